//! The gateway around the schema: cached parsing, error codes, execution through async-graphql
//! with the request's deadline, and the state the pipeline (`pipeline`) and the answer memo
//! share. Requests reach it only admitted by the pipeline (`pipeline::execute`).
//!
//! Done here rather than as an async-graphql extension because any installed extension puts
//! every field resolution through the extension chain, which costs more than the work itself.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError};

use super::answer::{outcome_of, Outcome};
use super::errors::{with_code, ApiError};
use super::freshness::FreshnessCache;
pub use super::freshness::MAX_STALENESS;
use super::in_context::take_in_context;
use super::limits::{Deadline, Limits, ScopesOf};
pub use super::memo::MemoStats;
use super::memo::{InFlight, Memo};
use super::parse_cache::{ParseCache, Parsed};
use super::persisted::PersistedQueries;
use super::pipeline::Banners;
use super::plan::PlannerMode;
pub use super::planned::PlanStats;
use super::request_metrics::{operation_label, record_request};
use super::{ApiSettings, VitrineSchema};
use crate::config::GraphqlSettings;
use crate::live::ChangeHub;
use crate::status::IngestStatus;
use crate::views::reads::{ReadLog, RecordingReader};
use crate::views::Catalog;

/// async-graphql's messages for its built-in limits, which carry no code of their own.
const DEPTH_MESSAGE: &str = "Query is nested too deep.";
const COMPLEXITY_MESSAGE: &str = "Query is too complex.";
/// How async-graphql opens the message of an argument or variable that does not fit its type.
const INPUT_MESSAGE: &str = "Failed to parse";

/// The schema plus what each request goes through before and after it.
#[derive(Clone)]
pub struct Gateway {
    pub(super) schema: VitrineSchema,
    /// The views of the storefront this gateway value answers in (`front`).
    pub(super) catalog: Arc<Catalog>,
    pub(super) front: usize,
    /// Every banner, and how a request selects one (the pipeline's context step).
    pub(super) banners: Arc<Banners>,
    hub: Arc<ChangeHub>,
    pub(super) status: Arc<IngestStatus>,
    pub(super) parsed: ParseCache,
    /// How long a request may execute.
    pub(super) request_timeout: Duration,
    /// Answers by (operation, variables, query); `None` when switched off.
    pub(super) memo: Option<moka::sync::Cache<String, Arc<Memo>>>,
    pub(super) memo_stats: Arc<MemoStats>,
    /// Recomputations of outdated answers under way, shared by the requests that ask meanwhile.
    pub(super) in_flight: Arc<InFlight>,
    max_depth: usize,
    pub(super) max_complexity: usize,
    pub(super) freshness: Arc<FreshnessCache>,
    /// Where the app installs the reservation desk.
    desk: super::mutation::DeskSlot,
    /// How long shared caches may keep a product page or listing answered over GET.
    pub(super) cache_max_age_secs: u64,
    /// APQ registrations and trusted documents.
    pub(super) persisted: Arc<PersistedQueries>,
    /// What resolvers read from the schema's data, for plans.
    pub(super) settings: Arc<ApiSettings>,
    pub(super) planner: PlannerMode,
    pub(super) plan_stats: Arc<PlanStats>,
}

impl Gateway {
    pub fn with_desk(mut self, desk: super::mutation::DeskSlot) -> Self {
        self.desk = desk;
        self
    }

    /// Turns `reserve`/`releaseReservation` on (once).
    /// What resolvers read from the schema's data (quote signer, reservation ownership).
    pub fn api_settings(&self) -> &super::ApiSettings {
        &self.settings
    }

    pub fn install_desk(&self, desk: crate::reservations::ReservationDesk) {
        self.install_desks(crate::reservations::pools::Desks::single(desk));
    }

    /// Turns `reserve`/`releaseReservation` on (once), a desk per banner.
    pub fn install_desks(&self, desks: crate::reservations::pools::Desks) {
        let _ = self.desk.set(desks);
    }

    pub fn new(
        schema: VitrineSchema,
        status: Arc<IngestStatus>,
        hub: Arc<ChangeHub>,
        settings: &GraphqlSettings,
        api: ApiSettings,
    ) -> Self {
        let catalog = Arc::clone(status.catalog());
        let memo = (settings.memo_entries > 0 && settings.memo_bytes > 0).then(|| {
            // Bounded by bytes, and by entries: each weighs at least its share of the bytes.
            let floor = settings.memo_bytes / settings.memo_entries;
            let builder = moka::sync::Cache::builder()
                .max_capacity(settings.memo_bytes)
                .weigher(move |key: &String, memo: &Arc<Memo>| {
                    let bytes = memo.approx_bytes().saturating_add(key.len() as u64);
                    u32::try_from(bytes.max(floor)).unwrap_or(u32::MAX)
                });
            match settings.memo_ttl_ms {
                0 => builder.build(), // kept until evicted or outdated
                ttl => builder.time_to_live(Duration::from_millis(ttl)).build(),
            }
        });
        let banners = Arc::new(Banners::single(Arc::clone(&status.fronts)));
        Self {
            schema,
            catalog,
            front: 0,
            banners,
            hub,
            status,
            parsed: ParseCache::new(
                settings.parse_cache_bytes,
                settings.parse_cache_entries,
                limits_of(settings),
            ),
            request_timeout: Duration::from_millis(settings.request_timeout_ms.max(1)),
            memo,
            memo_stats: Arc::default(),
            in_flight: Arc::default(),
            max_depth: settings.max_depth,
            max_complexity: settings.max_complexity,
            freshness: Arc::default(),
            desk: Default::default(),
            cache_max_age_secs: settings.cache_max_age_secs,
            persisted: Arc::new(PersistedQueries::from_settings(settings)),
            settings: Arc::new(api),
            planner: settings.planner,
            plan_stats: Arc::default(),
        }
    }

    /// Answers for the banners `banners` configures (the storefronts must be the status's).
    pub fn with_banners(mut self, banners: Banners) -> Self {
        self.banners = Arc::new(banners);
        self
    }

    /// This gateway answering in storefront `front` (the same caches, keyed by storefront).
    pub(super) fn on_front(&self, front: usize) -> Self {
        let catalog = match self.banners.fronts.at(front) {
            Some(f) => Arc::clone(&f.catalog),
            None => Arc::clone(&self.catalog),
        };
        Self {
            catalog,
            front,
            ..self.clone()
        }
    }

    pub fn banners(&self) -> &Banners {
        &self.banners
    }

    pub fn schema(&self) -> &VitrineSchema {
        &self.schema
    }

    /// Where ingest publishes applied changes for subscriptions.
    pub fn hub(&self) -> &Arc<ChangeHub> {
        &self.hub
    }

    /// Requests answered by plans, and those that went to async-graphql.
    pub fn plan_stats(&self) -> &PlanStats {
        &self.plan_stats
    }

    pub fn memo_stats(&self) -> &MemoStats {
        &self.memo_stats
    }

    pub fn parse_cache(&self) -> &ParseCache {
        &self.parsed
    }

    /// Parses through the cache, within the operation limits (a parse failure is
    /// `GRAPHQL_PARSE_FAILED`).
    pub(super) fn parse(&self, request: &Request) -> Result<Parsed, ServerError> {
        let operation_name = request.operation_name.as_deref();
        self.parsed.parse(
            &request.query,
            operation_name,
            &request.variables,
            &ScopesOf(&self.catalog),
        )
    }

    /// Hands async-graphql its own copy of the document, with the selected operation's
    /// `@inContext(country:)` taken off into request data.
    pub(super) fn with_document(
        &self,
        mut request: Request,
        parsed: &Parsed,
    ) -> Result<Request, ServerError> {
        let mut document = ExecutableDocument::clone(&parsed.prepared.document);
        let operation_name = request.operation_name.as_deref();
        let country = take_in_context(&mut document, &request.variables, operation_name)?;
        request.set_parsed_query(document);
        Ok(match country {
            Some(country) => request.data(country),
            None => request,
        })
    }

    /// Gives every error a stable code: the limits get theirs, values that do not fit their
    /// input type are `BAD_USER_INPUT`, and other errors raised before execution (no path, no
    /// code) are validation failures.
    pub(super) fn with_codes(&self, mut response: Response) -> Response {
        for error in &mut response.errors {
            let coded = error
                .extensions
                .as_ref()
                .is_some_and(|e| e.get("code").is_some());
            if coded {
                continue;
            }
            let limit = match error.message.as_str() {
                DEPTH_MESSAGE => Some(ApiError::MaxDepth {
                    max: self.max_depth,
                }),
                COMPLEXITY_MESSAGE => Some(ApiError::MaxComplexity {
                    max: self.max_complexity,
                }),
                _ => None,
            };
            if let Some(limit) = limit {
                *error = limit.to_server_error();
            } else if error.message.starts_with(INPUT_MESSAGE) {
                *error = with_code(error.clone(), "BAD_USER_INPUT");
            } else if error.path.is_empty() {
                *error = with_code(error.clone(), "GRAPHQL_VALIDATION_FAILED");
            }
        }
        response
    }

    /// Parses and executes one request through async-graphql (as `graphql.planner = "verify"`
    /// does to check a planned answer): the response, what it read and its operation label.
    pub(super) async fn run(&self, request: Request) -> (Response, ReadLog, &'static str) {
        let started = std::time::Instant::now();
        let deadline = Deadline::after(self.request_timeout);
        match self.parse(&request) {
            Ok(parsed) => self.run_parsed(request, parsed, deadline, started).await,
            Err(error) => unparsed(error, started),
        }
    }

    pub(super) async fn run_parsed(
        &self,
        request: Request,
        parsed: Parsed,
        deadline: Deadline,
        started: std::time::Instant,
    ) -> (Response, ReadLog, &'static str) {
        let reader = Arc::new(RecordingReader::new(Arc::clone(&self.catalog)));
        let query = (!parsed.validated).then(|| request.query.clone());
        let request = match self.with_document(request, &parsed) {
            Ok(request) => request.data(Arc::clone(&reader)).data(deadline),
            Err(error) => return unparsed(error, started),
        };
        let operation = operation_label(&parsed.prepared.document);
        let execute_span = crate::telemetry::traced_span(|| {
            tracing::info_span!("graphql.execute", operation = operation)
        });
        let executed = tokio::time::timeout_at(
            deadline.at.into(),
            tracing::Instrument::instrument(self.schema.execute(request), execute_span),
        );
        let response = match executed.await {
            Ok(response) => self.with_codes(response),
            Err(_) => {
                let ms = deadline.budget.as_millis() as u64;
                Response::from_errors(vec![ApiError::RequestTimeout { ms }.to_server_error()])
            }
        };
        if let Some(query) = query.filter(|_| outcome_of(&response) == Outcome::Executed) {
            self.parsed.remember(query, parsed.prepared);
        }
        record_request(operation, started, response.errors.is_empty());
        (response, reader.take_log(), operation)
    }
}

/// A request refused before execution.
pub(super) fn unparsed(
    error: ServerError,
    started: std::time::Instant,
) -> (Response, ReadLog, &'static str) {
    record_request("unparsed", started, false);
    (
        Response::from_errors(vec![error]),
        ReadLog::default(),
        "unparsed",
    )
}

/// The operation limits in the settings.
fn limits_of(settings: &GraphqlSettings) -> Limits {
    Limits {
        max_tokens: settings.max_tokens,
        max_nesting: settings.max_nesting,
        max_aliases: settings.max_aliases,
        max_root_fields: settings.max_root_fields,
        max_directives: settings.max_directives,
        max_cost: settings.max_cost,
        default_page_size: settings.default_page_size,
        max_page_size: settings.max_page_size,
    }
}

#[cfg(test)]
#[path = "gateway_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "gateway_memo_tests.rs"]
mod memo_tests;
