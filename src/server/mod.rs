//! HTTP wiring: the axum router, GraphQL endpoints, health checks, CORS and body limits.

pub mod caller;
pub mod edge;
pub mod graphiql;
pub mod graphql_http;
pub mod health;
pub mod http_cache;
pub mod listener;
pub mod live;
pub mod metrics;

use std::sync::Arc;

use axum::http::{
    header, Extensions, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version,
};
use axum::routing::get;
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};

use crate::graphql::gateway::Gateway;
use crate::shutdown::Shutdown;
use crate::status::IngestStatus;

/// What every handler can reach: one shared allocation, so that axum's per-request clone of
/// the state is a reference count, not a copy of every field (the CORS origin list among them).
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct AppParts {
    pub gateway: Gateway,
    pub status: Arc<IngestStatus>,
    pub max_body_bytes: usize,
    /// Operations one batched POST may hold; 0 refuses batches.
    pub max_batch_size: usize,
    /// Origins browsers may call from (`*`: any).
    pub cors_allowed_origins: Vec<String>,
    /// Origins whose pages may open a WebSocket besides the server's own (`*`: any).
    pub ws_allowed_origins: Vec<String>,
    pub graphiql: bool,
    pub live: live::LiveTimings,
    /// Longest a client may take to send a request body.
    pub body_read_timeout: std::time::Duration,
    /// Header naming the client for per-client subscription caps; `None`: the peer address.
    pub client_header: Option<HeaderName>,
    /// Fires when the server shuts down: subscriptions end themselves.
    pub shutdown: Shutdown,
    /// Compress responses of at least this many bytes; 0: never.
    pub compression_min_bytes: u16,
}

/// The CORS origins: any for `*`, else the listed ones (an unparsable one is skipped, logged).
fn allowed_origins(origins: &[String]) -> AllowOrigin {
    if origins.iter().any(|o| o == "*") {
        return AllowOrigin::any();
    }
    let parsed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| {
            HeaderValue::from_str(o)
                .inspect_err(|_| tracing::warn!(origin = %o, "ignoring an invalid CORS origin"))
                .ok()
        })
        .collect();
    AllowOrigin::list(parsed)
}

/// gzip or brotli as negotiated, for responses of at least `min_bytes` (never event streams,
/// gRPC or images); none when `min_bytes` is 0.
fn compression(min_bytes: u16) -> CompressionLayer<impl Predicate> {
    let on = min_bytes > 0;
    let switch = move |_: StatusCode, _: Version, _: &HeaderMap, _: &Extensions| on;
    let when = SizeAbove::new(min_bytes.saturating_sub(1))
        .and(NotForContentType::GRPC)
        .and(NotForContentType::SSE)
        .and(NotForContentType::IMAGES)
        .and(switch);
    CompressionLayer::new().compress_when(when)
}

/// The request's span: traced (INFO, exported, its `trace_id` in every JSON log line) when the
/// caller sent a W3C `traceparent` or spans are exported; else a DEBUG span that costs nothing
/// at the default log level.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let traceparent = request
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok());
    if traceparent.is_none() && !crate::telemetry::exporting() {
        return tracing::debug_span!("request", method = %request.method(), path = request.uri().path());
    }
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        trace_id = tracing::field::Empty
    );
    if traceparent.is_some() {
        let headers = crate::telemetry::HeaderExtractor(request.headers());
        let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&headers));
        span.set_parent(parent);
    }
    if let Some(id) = crate::telemetry::trace_id(&span, traceparent) {
        span.record("trace_id", id.as_str());
    }
    span
}

pub fn router(state: AppState) -> edge::Routes {
    if metrics::handle().is_some() {
        crate::graphql::cache_metric_handles();
    }
    let cors = CorsLayer::new()
        .allow_origin(allowed_origins(&state.cors_allowed_origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static(graphql_http::MAX_STALENESS_HEADER),
        ]);
    let compression = compression(state.compression_min_bytes);
    let plain = Router::new()
        .route("/", get(graphiql::graphiql_page))
        .route("/graphiql/{version}/{name}", get(graphiql::graphiql_asset))
        .route(
            "/graphql",
            get(graphql_http::graphql_get).post(graphql_http::graphql_post),
        )
        // A banner by path (see `caller::banner_hint`); the pipeline refuses unknown ones.
        .route(
            "/b/{banner}/graphql",
            get(graphql_http::graphql_get).post(graphql_http::graphql_post),
        )
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(metrics::metrics))
        .with_state(state);
    let layered = plain
        .clone()
        .layer(compression)
        .layer(cors)
        // Request spans and failures at debug: a 503 from /health/ready while catching up is
        // expected, and request metrics are on /metrics.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG)),
        );
    edge::Routes { plain, layered }
}
