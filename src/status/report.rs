//! One place that says how the views stand: records, ingest counters, offsets vs high
//! watermarks, lag, snapshot and bootstrap. Health, `viewStatus`, response extensions and
//! metrics all read it.

use std::sync::Arc;

use serde::Serialize;

use super::progress::{Progress, ViewFreshness};
use super::stats::{IngestStats, TopicCounts};
use super::Readiness;
use crate::clock::unix_ms;
use crate::views::{Catalog, ViewKind};

#[derive(Debug, Clone, Default)]
pub struct IngestStatus {
    pub catalog: Arc<Catalog>,
    pub stats: Arc<IngestStats>,
    pub readiness: Arc<Readiness>,
    pub progress: Arc<Progress>,
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
    pub ready: bool,
    pub assigned: bool,
    pub pending_partitions: usize,
    pub bootstrapping: bool,
    /// Records loaded from the snapshot so far (progress while bootstrapping).
    pub bootstrap_records: u64,
    /// Milliseconds from start to ready (0 while not ready).
    pub ready_after_ms: i64,
    pub snapshot: Option<SnapshotReport>,
    pub views: Vec<ViewReport>,
}

impl IngestStatus {
    pub fn freshness(&self, kind: ViewKind) -> ViewFreshness {
        self.progress.view(kind, unix_ms())
    }

    pub fn report(&self) -> StatusReport {
        let now = unix_ms();
        StatusReport {
            ready: self.readiness.is_ready(),
            assigned: self.readiness.is_assigned(),
            pending_partitions: self.readiness.pending_partitions(),
            bootstrapping: self.progress.is_bootstrapping(),
            bootstrap_records: self.progress.bootstrap_records(),
            ready_after_ms: self.progress.ready_after_ms(),
            snapshot: self.progress.snapshot().map(|s| SnapshotReport {
                source: s.source,
                records: s.records,
                created_at_ms: s.created_at_ms,
                load_ms: s.load_ms,
            }),
            views: ViewKind::ALL
                .into_iter()
                .map(|kind| {
                    let f = self.progress.view(kind, now);
                    ViewReport {
                        view: kind.name(),
                        records: self.catalog.len(kind),
                        ingest: self.stats.counts(kind),
                        applied_offset: f.applied,
                        high_watermark: f.high,
                        lag_messages: f.lag_messages,
                        lag_ms: f.lag_ms,
                    }
                })
                .collect(),
        }
    }
}
