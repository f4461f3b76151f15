//! One place that says how the views stand: records, ingest counters, offsets vs high
//! watermarks, lag, snapshot and bootstrap. Health, `viewStatus`, response extensions and
//! metrics all read it.

use std::sync::Arc;

use serde::Serialize;

use super::progress::{Progress, ViewFreshness};
use super::stats::{IngestStats, TopicCounts};
use super::Readiness;
use crate::clock::unix_ms;
use crate::views::storefronts::Storefronts;
use crate::views::{Catalog, ViewKind};

#[derive(Debug, Clone, Default)]
pub struct IngestStatus {
    /// Every storefront's views (the default first).
    pub fronts: Arc<Storefronts>,
    pub stats: Arc<IngestStats>,
    pub readiness: Arc<Readiness>,
    pub progress: Arc<Progress>,
    /// Readiness ends while any view lags more than this (ms); 0: never for staleness.
    pub unready_past_lag_ms: i64,
    /// The reservations partitions this replica decides.
    pub decider: Arc<super::DeciderStatus>,
    /// Each banner's topics, by the name its catalog carries (none: every topic is the one
    /// storefront's).
    pub banner_topics: Arc<std::collections::HashMap<String, Vec<String>>>,
    /// The schema registry client of the binary topics, if any.
    pub registry: Option<Arc<crate::registry::Registry>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewReport {
    pub view: &'static str,
    pub records: usize,
    pub ingest: TopicCounts,
    /// Sum over the view's partitions of the next offset applied, and of the high watermarks.
    pub applied_offset: i64,
    pub high_watermark: i64,
    pub lag_messages: i64,
    pub lag_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotReport {
    pub source: String,
    pub records: u64,
    pub created_at_ms: i64,
    pub load_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// Caught up at start (and, with `unready_past_lag_ms`, not past that lag now).
    pub ready: bool,
    /// Caught up at start, but lagging past `unready_past_lag_ms`.
    pub stale: bool,
    /// Every partition's broker answered within the contact timeout.
    pub broker_reachable: bool,
    /// Longest time since a partition's broker answered.
    pub since_contact_ms: i64,
    pub assigned: bool,
    pub pending_partitions: usize,
    pub bootstrapping: bool,
    /// Records loaded from the snapshot so far (progress while bootstrapping).
    pub bootstrap_records: u64,
    /// Snapshots found unusable at start-up (offsets outside the logs, corrupt, unreachable).
    pub rejected_snapshots: u64,
    /// Milliseconds from start to ready (0 while not ready).
    pub ready_after_ms: i64,
    pub snapshot: Option<SnapshotReport>,
    /// The banner the views are reported for.
    pub banner: String,
    pub views: Vec<ViewReport>,
    pub decider: super::decider::DeciderReport,
    /// The schema registry of the binary topics (absent: every topic is JSON). While a
    /// partition waits for it, `waiting` says which schema and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_registry: Option<crate::registry::RegistryReport>,
}

impl IngestStatus {
    /// The default storefront's views.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.fronts.default_front().catalog
    }

    pub fn freshness(&self, kind: ViewKind) -> ViewFreshness {
        self.progress.view(kind, unix_ms())
    }

    /// The whole process: every topic's lag (the default banner's records).
    pub fn report(&self) -> StatusReport {
        self.report_over(self.catalog(), None)
    }

    /// The report with the views of storefront `catalog` (its records, its topics' lag).
    pub fn report_in(&self, catalog: &Catalog) -> StatusReport {
        let topics = self.banner_topics.get(catalog.name()).map(Vec::as_slice);
        self.report_over(catalog, topics)
    }

    fn report_over(&self, catalog: &Catalog, topics: Option<&[String]>) -> StatusReport {
        let now = unix_ms();
        let caught_up = self.readiness.is_ready();
        let stale = caught_up
            && self.unready_past_lag_ms > 0
            && self.progress.max_lag_ms(now) > self.unready_past_lag_ms;
        let (broker_reachable, since_contact_ms) = self.progress.broker_contact(now);
        StatusReport {
            ready: caught_up && !stale,
            stale,
            broker_reachable,
            since_contact_ms,
            assigned: self.readiness.is_assigned(),
            pending_partitions: self.readiness.pending_partitions(),
            bootstrapping: self.progress.is_bootstrapping(),
            bootstrap_records: self.progress.bootstrap_records(),
            rejected_snapshots: self.progress.rejected_snapshots(),
            ready_after_ms: self.progress.ready_after_ms(),
            snapshot: self.progress.snapshot().map(|s| SnapshotReport {
                source: s.source,
                records: s.records,
                created_at_ms: s.created_at_ms,
                load_ms: s.load_ms,
            }),
            banner: match catalog.name() {
                "" => crate::views::storefronts::SOLE.to_string(),
                name => name.to_string(),
            },
            views: ViewKind::ALL
                .into_iter()
                .map(|kind| {
                    let f = self.progress.view_among(kind, now, topics);
                    ViewReport {
                        view: kind.name(),
                        records: catalog.len(kind),
                        ingest: self.stats.counts(kind),
                        applied_offset: f.applied,
                        high_watermark: f.high,
                        lag_messages: f.lag_messages,
                        lag_ms: f.lag_ms,
                    }
                })
                .collect(),
            decider: self.decider.report(),
            schema_registry: self.registry.as_ref().map(|r| r.report()),
        }
    }
}
