//! API errors with stable `extensions.code` values clients can match on.

use async_graphql::{ErrorExtensions, ServerError};

use super::limits::LimitExceeded;
use crate::pricing::checkout::CheckoutError;
use crate::reservations::ReserveError;

/// Errors a request can meet, each with a stable SCREAMING_SNAKE code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("`first` must be between 0 and {max}, got {got}")]
    FirstOutOfRange { got: i64, max: usize },
    #[error("invalid filter: {0}")]
    InvalidFilter(String),
    #[error("invalid cursor: {0}")]
    InvalidCursor(&'static str),
    #[error("invalid amount for `{field}`: {reason}")]
    InvalidAmount { field: &'static str, reason: String },
    #[error("query is nested deeper than the limit of {max}")]
    MaxDepth { max: usize },
    #[error("query is more complex than the limit of {max}")]
    MaxComplexity { max: usize },
    #[error("request body exceeds {max} bytes")]
    PayloadTooLarge { max: usize },
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("POST bodies must be `application/json` (or `application/graphql`), got {0}")]
    UnsupportedMediaType(String),
    #[error("{0} operations are not allowed over GET; use POST")]
    MethodNotAllowed(&'static str),
    #[error("mutations must be sent as an `application/json` POST body")]
    MutationNeedsJson,
    #[error("subscriptions need a WebSocket or `Accept: text/event-stream`")]
    SubscriptionNeedsStream,
    #[error("batched requests are not enabled")]
    BatchingNotEnabled,
    #[error("a batch holds at most {max} operations, got {got}")]
    BatchTooLarge { got: usize, max: usize },
    #[error("no pricing is available for country `{0}`")]
    UnsupportedCountry(String),
    #[error("no banner is named `{0}`")]
    UnknownBanner(String),
    #[error("banner `{banner}` does not sell to `{country}`")]
    CountryNotInMarkets { banner: String, country: String },
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
    #[error(transparent)]
    Reserve(#[from] ReserveError),
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    #[error("the request ran past its time budget of {ms} ms")]
    RequestTimeout { ms: u64 },
    #[error("too many subscriptions {limit} (at most {max})")]
    TooManySubscriptions { limit: &'static str, max: usize },
    #[error("a subscription may name at most {max} SKUs and product ids together")]
    TooManyIds { max: usize },
    #[error("the views lag {lag_ms} ms, more than the {bound_ms} ms the request allows")]
    StaleView { lag_ms: i64, bound_ms: i64 },
    #[error("the planned answer differs from async-graphql's (graphql.planner = \"verify\")")]
    PlanMismatch,
    /// Apollo clients match this message exactly.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    #[error("PersistedQueryNotSupported")]
    PersistedQueryNotSupported,
    #[error("provided sha does not match query")]
    PersistedQueryHashMismatch,
    #[error("only trusted documents may run here: send one of the persisted operations")]
    PersistedQueryRequired,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::FirstOutOfRange { .. } => "FIRST_OUT_OF_RANGE",
            ApiError::InvalidCursor(_) => "INVALID_CURSOR",
            ApiError::InvalidFilter(_) => "BAD_USER_INPUT",
            ApiError::InvalidAmount { .. } => "INVALID_AMOUNT",
            ApiError::MaxDepth { .. } => "MAX_DEPTH_LIMIT",
            ApiError::MaxComplexity { .. } => "MAX_COMPLEXITY_LIMIT",
            ApiError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            ApiError::BadRequest(_) => "BAD_REQUEST",
            ApiError::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            ApiError::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            ApiError::MutationNeedsJson => "UNSUPPORTED_MEDIA_TYPE",
            ApiError::SubscriptionNeedsStream => "SUBSCRIPTION_NEEDS_STREAM",
            ApiError::BatchingNotEnabled => "BATCHING_NOT_ENABLED",
            ApiError::BatchTooLarge { .. } => "BATCH_TOO_LARGE",
            ApiError::UnsupportedCountry(_) | ApiError::CountryNotInMarkets { .. } => {
                "UNSUPPORTED_COUNTRY"
            }
            ApiError::UnknownBanner(_) => "UNKNOWN_BANNER",
            ApiError::Limit(exceeded) => exceeded.limit.code(),
            ApiError::RequestTimeout { .. } => "REQUEST_TIMEOUT",
            ApiError::Checkout(CheckoutError::InvalidQuote { .. }) => "INVALID_QUOTE",
            ApiError::Checkout(CheckoutError::InvalidQuantity { .. }) => "INVALID_QUANTITY",
            ApiError::Checkout(CheckoutError::TooManyLines { .. }) => "TOO_MANY_LINES",
            ApiError::Checkout(CheckoutError::AmountOutOfRange) => "AMOUNT_OUT_OF_RANGE",
            ApiError::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ApiError::PersistedQueryNotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            ApiError::PersistedQueryHashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
            ApiError::PersistedQueryRequired => "PERSISTED_QUERY_REQUIRED",
            ApiError::Reserve(e) => match e {
                ReserveError::Disabled => "RESERVATIONS_DISABLED",
                ReserveError::Invalid(_) => "BAD_USER_INPUT",
                ReserveError::TooLarge { .. } => "RESERVATION_TOO_LARGE",
                ReserveError::TooManyHolds { .. } => "TOO_MANY_HOLDS",
                ReserveError::NotFound(_) => "RESERVATION_NOT_FOUND",
                ReserveError::UnknownSku(_) => "UNKNOWN_SKU",
                ReserveError::NotOwner(_) => "RESERVATION_NOT_OWNED",
                ReserveError::Timeout { .. } => "RESERVATION_TIMEOUT",
                ReserveError::Unavailable(_) => "RESERVATION_UNAVAILABLE",
            },
            ApiError::TooManySubscriptions { .. } => "TOO_MANY_SUBSCRIPTIONS",
            ApiError::TooManyIds { .. } => "TOO_MANY_IDS",
            ApiError::StaleView { .. } => "STALE_VIEW",
            ApiError::PlanMismatch => "PLAN_MISMATCH",
        }
    }

    pub fn to_server_error(&self) -> ServerError {
        with_code(ServerError::new(self.to_string(), None), self.code())
    }
}

/// Resolvers return `ApiError`s through `.extend()`, which keeps the code (a plain `?` would
/// go through async-graphql's `Display` conversion and lose it).
impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| e.set("code", self.code()))
    }
}

/// Adds `extensions.code` to an error that has none yet.
pub fn with_code(mut error: ServerError, code: &'static str) -> ServerError {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
    error
}
