//! The one request pipeline. Every door (a single POST, GET, a batch entry, SSE, both
//! WebSocket protocols) hands its request to [`Gateway::admit`], which applies the rules in this
//! order, and only an [`Admitted`] request can be executed ([`Gateway::answer`],
//! [`Gateway::execute`], [`Gateway::stream`]): a new door cannot run anything without them.
//!
//! 1. **Who is calling**: the door identifies the [`Caller`] (client id, staleness bound), and
//!    the banner it names by path or host (`context`: an unknown name is `UNKNOWN_BANNER`).
//! 2. **A document**: a request without a query or a persisted-query extension is refused.
//! 3. **Persisted and trusted documents**: an APQ hash or a trusted document's id is resolved
//!    to its text; with `trusted_documents_only` any other document is refused. On the HTTP
//!    doors, a request whose very answer (same text, operation and variables) the answer memo
//!    holds and is current stops here, admitted with it: it was admitted with every rule below
//!    before, as a query, and executes nothing.
//! 4. **Parse** through the cache, within the text limits; then the **context**: the banner
//!    `@inContext(banner:)` names overrides the door's, and the country must be one the banner
//!    sells to. The request executes over that banner's storefront; the memo key holds the
//!    door's banner (the text holds the rest).
//! 5. **Operation policy** ([`Door::allows`]): mutations only from a JSON POST or a WebSocket
//!    whose `Origin` was checked, subscriptions only on streaming doors.
//! 6. **Limits and cost**, with the variables and their defaults applied.
//! 7. **Deadline**: the request's time budget starts here and bounds its execution on every
//!    door (a subscription's setup included; its later events are not a request's work).

mod context;
mod door;
mod execute;
mod executor;

use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response, ServerError};

pub use context::Banners;
pub use door::{BannerHint, Caller, Door, Identify};
pub use executor::StreamDoor;

use super::document::selected_operation;
use super::errors::ApiError;
use super::freshness::MAX_STALENESS;
use super::gateway::Gateway;
use super::in_context::{context_banner, context_country, context_language};
use super::limits::Deadline;
use super::limits::ScopesOf;
use super::memo::{Memo, Probe};
use super::parse_cache::Parsed;
use super::request_metrics::record_request;

/// A request that passed every rule: the only thing the gateway executes.
pub struct Admitted {
    request: Request,
    prepared: Prepared,
    operation: OperationType,
    /// The storefront it is answered in, and the country and language `@inContext` names.
    pub(super) front: usize,
    pub(super) country: Option<String>,
    pub(super) language: Option<String>,
    deadline: Deadline,
    started: Instant,
}

/// What execution starts from.
enum Prepared {
    /// The parsed document, and the answer memo as looked up at admission (HTTP doors).
    Parsed(Parsed, Option<Probe>),
    /// A current memoized answer for this very request (same text, operation and variables,
    /// admitted before): nothing is parsed or executed.
    Memoized(Arc<Memo>),
}

impl std::fmt::Debug for Admitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitted")
            .field("operation", &self.operation)
            .field("query", &self.request.query)
            .finish_non_exhaustive()
    }
}

impl Admitted {
    pub fn request(&self) -> &Request {
        &self.request
    }

    pub fn operation(&self) -> OperationType {
        self.operation
    }

    /// The storefront it is answered in (0: the default one).
    pub fn front(&self) -> usize {
        self.front
    }

    /// The parts execution needs; or the memoized answer it was admitted with.
    pub(super) fn into_parts(self) -> Result<(Request, Parsed, Deadline, Instant), Arc<Memo>> {
        match self.prepared {
            Prepared::Parsed(parsed, _) => Ok((self.request, parsed, self.deadline, self.started)),
            Prepared::Memoized(memo) => Err(memo),
        }
    }

    /// The memoized answer it was admitted with, if any.
    pub(super) fn memoized(&self) -> Option<&Arc<Memo>> {
        match &self.prepared {
            Prepared::Memoized(memo) => Some(memo),
            Prepared::Parsed(..) => None,
        }
    }

    /// The memo lookup made at admission, for the answer to use.
    pub(super) fn take_probe(&mut self) -> Option<Probe> {
        match &mut self.prepared {
            Prepared::Parsed(_, probe) => probe.take(),
            Prepared::Memoized(_) => None,
        }
    }
}

/// Why a request was refused before execution, by the stage that refused it (HTTP doors map
/// stages to status codes; the others answer with the error alone).
#[derive(Debug)]
pub enum Refusal {
    /// No query and no persisted-query extension.
    NoDocument(ApiError),
    /// An unknown hash, a hash mismatch, or not a trusted document.
    Persisted(ApiError),
    /// The operation may not come through this door.
    Policy(ApiError),
    /// The document does not parse or goes past a limit.
    Invalid(ServerError),
}

impl Refusal {
    pub fn to_server_error(&self) -> ServerError {
        match self {
            Refusal::NoDocument(e) | Refusal::Persisted(e) | Refusal::Policy(e) => {
                e.to_server_error()
            }
            Refusal::Invalid(e) => e.clone(),
        }
    }

    pub fn into_response(self) -> Response {
        Response::from_errors(vec![self.to_server_error()])
    }
}

impl Gateway {
    /// Passes one request through every rule (see the module's text), as it came through `door`
    /// from `caller`.
    pub fn admit(
        &self,
        door: Door,
        caller: &impl Identify,
        request: Request,
    ) -> Result<Admitted, Refusal> {
        let started = Instant::now();
        let admitted = self.admit_at(door, caller, request, started);
        if admitted.is_err() {
            record_request("unparsed", started, false);
        }
        admitted
    }

    fn admit_at(
        &self,
        door: Door,
        caller: &impl Identify,
        request: Request,
        started: Instant,
    ) -> Result<Admitted, Refusal> {
        let persisted = request.extensions.0.contains_key("persistedQuery");
        if request.query.trim().is_empty() && !persisted {
            let error = ApiError::BadRequest("no `query` given".into());
            return Err(Refusal::NoDocument(error));
        }
        let door_front = self
            .banners
            .at_door(&caller.banner(self.banners.by_host()))
            .map_err(Refusal::Policy)?;
        let mut request = self
            .persisted
            .resolve(request)
            .map_err(Refusal::Persisted)?;
        if let Some(bound) = caller.max_staleness_ms() {
            request
                .extensions
                .0
                .entry(MAX_STALENESS.to_string())
                .or_insert(async_graphql::Value::from(bound));
        }
        // A request whose very answer (same text, operation and variables) the memo holds and
        // is current was admitted before as a query, with every rule below: it is answered
        // from the memo without parsing or executing anything.
        let probe = match door {
            Door::Post { .. } | Door::Get if self.memo.is_some() => {
                Some(self.probe(door_front, &request))
            }
            _ => None,
        };
        if let Some(memo) = probe.as_ref().and_then(|p| p.current()) {
            return Ok(Admitted {
                front: memo.front,
                country: None,
                language: None,
                prepared: Prepared::Memoized(Arc::clone(memo)),
                request,
                operation: OperationType::Query,
                deadline: Deadline::after(self.request_timeout),
                started,
            });
        }
        let parse_span = crate::telemetry::traced_span(|| tracing::info_span!("graphql.parse"));
        let _parsing = parse_span.enter();
        let parsed = self
            .parsed
            .document(&request.query)
            .map_err(Refusal::Invalid)?;
        let operation_name = request.operation_name.as_deref();
        let selected = selected_operation(&parsed.prepared.document, operation_name);
        let operation = selected.map(|operation| operation.ty);
        // A document selecting no operation is left to validation, which names the problem.
        if let Some(operation) = operation {
            door.allows(operation).map_err(Refusal::Policy)?;
        }
        let (front, country, language) = match selected {
            Some(selected) => self.context(door_front, selected, &request.variables)?,
            None => (door_front, None, None),
        };
        let scopes = self.banners.fronts.at(front).map(|f| &f.catalog);
        let scopes = scopes.unwrap_or(&self.catalog);
        self.parsed
            .check(
                &parsed,
                operation_name,
                &request.variables,
                &ScopesOf(scopes),
                self.banners.max_cost(front),
            )
            .map_err(Refusal::Invalid)?;
        let operation = operation.unwrap_or(OperationType::Query);
        // Only mutations (holds per client) and subscriptions (subscriptions per client) ask
        // who is calling: queries skip the work.
        if operation != OperationType::Query {
            if let Some(client) = caller.client() {
                request = request.data(client);
            }
        }
        Ok(Admitted {
            front,
            country,
            language,
            request,
            prepared: Prepared::Parsed(parsed, probe),
            operation,
            deadline: Deadline::after(self.request_timeout),
            started,
        })
    }

    /// The context step: the storefront `@inContext(banner:)` names (else the door's) and the
    /// country it names, refused when the banner does not exist or does not sell there.
    fn context(
        &self,
        door_front: usize,
        operation: &async_graphql::parser::types::OperationDefinition,
        variables: &async_graphql::Variables,
    ) -> Result<(usize, Option<String>, Option<String>), Refusal> {
        let named = context_banner(operation, variables).map_err(Refusal::Invalid)?;
        let front = match named {
            Some(name) => self.banners.named(&name).map_err(Refusal::Policy)?,
            None => door_front,
        };
        let country = context_country(operation, variables).map_err(Refusal::Invalid)?;
        let country = country.map(|c| c.0);
        self.banners
            .check_country(front, country.as_deref())
            .map_err(Refusal::Policy)?;
        let language = context_language(operation, variables).map_err(Refusal::Invalid)?;
        Ok((front, country, language))
    }

    /// Admits and executes a request as a JSON POST from no particular client: for callers
    /// inside the process (tests, benches, tools).
    pub async fn respond(&self, request: Request) -> Response {
        match self.admit(Door::Post { json: true }, &Caller::default(), request) {
            Ok(admitted) => self.execute(admitted).await,
            Err(refused) => refused.into_response(),
        }
    }

    /// [`Gateway::respond`], answered as JSON.
    pub async fn respond_json(&self, request: Request) -> super::answer::JsonAnswer {
        match self.admit(Door::Post { json: true }, &Caller::default(), request) {
            Ok(admitted) => self.answer(admitted).await,
            Err(refused) => self.refused(refused),
        }
    }

    /// The JSON body of [`Gateway::respond_json`].
    pub async fn execute_json(&self, request: Request) -> bytes::Bytes {
        self.respond_json(request).await.body
    }
}

#[cfg(test)]
mod tests;
