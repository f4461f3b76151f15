//! Counters of what ingest did with each message, per view: applied, deleted, stale, malformed.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::views::{ApplyOutcome, ViewKind};

/// Counters for one view's topic.
#[derive(Debug, Default)]
pub struct TopicCounters {
    applied: AtomicU64,
    deleted: AtomicU64,
    stale: AtomicU64,
    malformed: AtomicU64,
}

/// A point-in-time copy of one view's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TopicCounts {
    pub applied: u64,
    pub deleted: u64,
    /// Ignored under the version rule (equal or lower version than held).
    pub stale: u64,
    /// Skipped as undecodable.
    pub malformed: u64,
}

/// Counters for all views.
#[derive(Debug, Default)]
pub struct IngestStats {
    products: TopicCounters,
    prices: TopicCounters,
    inventory: TopicCounters,
    intl: TopicCounters,
    reservations: TopicCounters,
}

impl IngestStats {
    fn counters(&self, kind: ViewKind) -> &TopicCounters {
        match kind {
            ViewKind::Products => &self.products,
            ViewKind::Prices => &self.prices,
            ViewKind::Inventory => &self.inventory,
            ViewKind::Intl => &self.intl,
            ViewKind::Reservations => &self.reservations,
        }
    }

    pub fn record(&self, kind: ViewKind, outcome: ApplyOutcome) {
        let c = self.counters(kind);
        let counter = match outcome {
            ApplyOutcome::Applied => &c.applied,
            ApplyOutcome::Deleted => &c.deleted,
            ApplyOutcome::Stale => &c.stale,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_malformed(&self, kind: ViewKind) {
        self.counters(kind)
            .malformed
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self, kind: ViewKind) -> TopicCounts {
        let c = self.counters(kind);
        TopicCounts {
            applied: c.applied.load(Ordering::Relaxed),
            deleted: c.deleted.load(Ordering::Relaxed),
            stale: c.stale.load(Ordering::Relaxed),
            malformed: c.malformed.load(Ordering::Relaxed),
        }
    }
}
