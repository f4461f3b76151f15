//! `viewStatus`: how fresh each view is, from GraphQL.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use crate::status::report::{SnapshotReport, StatusReport, ViewReport};
use crate::status::IngestStatus;

/// Offsets, lag and counters of one view. Offsets are sums over the view's partitions.
#[derive(SimpleObject)]
pub struct ViewStatus {
    pub view: String,
    pub records: i64,
    pub applied_offset: String,
    pub high_watermark: String,
    pub lag_messages: String,
    /// 0 when caught up; else the age of the last applied message.
    pub lag_ms: String,
    pub applied: String,
    pub stale: String,
    pub deleted: String,
    pub malformed: String,
}

impl From<ViewReport> for ViewStatus {
    fn from(v: ViewReport) -> Self {
        Self {
            view: v.view.to_string(),
            records: v.records as i64,
            applied_offset: v.applied_offset.to_string(),
            high_watermark: v.high_watermark.to_string(),
            lag_messages: v.lag_messages.to_string(),
            lag_ms: v.lag_ms.to_string(),
            applied: v.ingest.applied.to_string(),
            stale: v.ingest.stale.to_string(),
            deleted: v.ingest.deleted.to_string(),
            malformed: v.ingest.malformed.to_string(),
        }
    }
}

#[derive(SimpleObject)]
pub struct SnapshotStatus {
    /// File or URL (without its query string) the views were bootstrapped from.
    pub source: String,
    pub records: String,
    pub created_at_ms: String,
    pub load_ms: String,
}

impl From<SnapshotReport> for SnapshotStatus {
    fn from(s: SnapshotReport) -> Self {
        Self {
            source: s.source,
            records: s.records.to_string(),
            created_at_ms: s.created_at_ms.to_string(),
            load_ms: s.load_ms.to_string(),
        }
    }
}

/// The views' freshness and the bootstrap that filled them. Large counters are strings
/// (GraphQL's Int is 32-bit).
pub struct Status(pub StatusReport);

#[Object]
impl Status {
    /// Every partition consumed up to its high watermark at start.
    async fn ready(&self) -> bool {
        self.0.ready
    }
    /// Every partition's broker answered within `kafka.contact_timeout_ms`; while false the
    /// views are served as they were at the last contact and their lag grows.
    async fn broker_reachable(&self) -> bool {
        self.0.broker_reachable
    }
    /// Milliseconds since the least recently heard-from partition's broker answered.
    async fn since_contact_ms(&self) -> String {
        self.0.since_contact_ms.to_string()
    }
    async fn bootstrapping(&self) -> bool {
        self.0.bootstrapping
    }
    /// Records loaded from the snapshot so far.
    async fn bootstrap_records(&self) -> String {
        self.0.bootstrap_records.to_string()
    }
    /// Milliseconds from start to ready; 0 while not ready.
    async fn ready_after_ms(&self) -> String {
        self.0.ready_after_ms.to_string()
    }
    async fn snapshot(&self) -> Option<SnapshotStatus> {
        self.0.snapshot.clone().map(Into::into)
    }
    /// The banner whose views these are.
    async fn banner(&self) -> &str {
        &self.0.banner
    }
    async fn views(&self) -> Vec<ViewStatus> {
        self.0.views.clone().into_iter().map(Into::into).collect()
    }
    /// The schema registry Avro and Protobuf topics are decoded with (null: every topic is
    /// JSON).
    async fn schema_registry(&self) -> Option<RegistryStatus> {
        self.0.schema_registry.clone().map(Into::into)
    }
}

/// The schema registry client: schemas held, fetches, and what ingest waits for.
#[derive(SimpleObject)]
pub struct RegistryStatus {
    pub cached_schemas: String,
    pub fetched: String,
    /// Fetches that failed and were tried again (the registry down, 5xx, timeouts).
    pub failures: String,
    /// Schema ids the registry did not know (their records counted as malformed).
    pub not_found: String,
    /// While a partition waits for the registry: the schema id (or GUID) it needs.
    pub waiting_for: Option<String>,
    pub waiting_since_ms: Option<String>,
    pub waiting_error: Option<String>,
}

impl From<crate::registry::RegistryReport> for RegistryStatus {
    fn from(r: crate::registry::RegistryReport) -> Self {
        Self {
            cached_schemas: r.cached_schemas.to_string(),
            fetched: r.fetched.to_string(),
            failures: r.failures.to_string(),
            not_found: r.not_found.to_string(),
            waiting_for: r.waiting.as_ref().map(|w| w.schema.clone()),
            waiting_since_ms: r.waiting.as_ref().map(|w| w.since_ms.to_string()),
            waiting_error: r.waiting.map(|w| w.error),
        }
    }
}

/// The status of `banner`'s views (`None`: the request's banner).
pub fn view_status(ctx: &Context<'_>, banner: Option<&str>) -> async_graphql::Result<Status> {
    let status = ctx.data_unchecked::<Arc<IngestStatus>>();
    let catalog = match banner {
        None => Arc::clone(super::product::reader(ctx).catalog()),
        Some(name) => match status.fronts.get(name) {
            Some(front) => Arc::clone(&front.catalog),
            None => {
                let unknown =
                    super::errors::ApiError::UnknownBanner(name.chars().take(64).collect());
                return Err(async_graphql::ErrorExtensions::extend(&unknown));
            }
        },
    };
    Ok(Status(status.report_in(&catalog)))
}
