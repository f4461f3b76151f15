//! How far ingest has come: per partition, the next offset applied, the high watermark, the
//! timestamp of the last applied message and the last contact with its broker; plus the
//! bootstrap from a snapshot. Written by ingest
//! through methods named for what happened; read by health, `viewStatus`, response extensions,
//! metrics and the snapshot schedule.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::clock::unix_ms;
use crate::views::ViewKind;

/// Where a partition stands: every record before `next` has been applied. Snapshots record
/// these, and consumption resumes from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub next: i64,
}

/// One assigned partition.
#[derive(Debug)]
pub struct PartitionProgress {
    pub topic: String,
    pub partition: i32,
    pub kind: ViewKind,
    /// Next offset to apply (every record before it has been applied).
    next: AtomicI64,
    /// High watermark last seen (at assignment, from statistics, or from messages).
    high: AtomicI64,
    /// Kafka timestamp (ms) of the last applied message; 0 before any.
    last_timestamp_ms: AtomicI64,
    /// Wall-clock time (Unix ms) the partition's broker was last heard from.
    contact_ms: AtomicI64,
}

impl PartitionProgress {
    /// Messages behind the high watermark.
    pub fn lag(&self) -> i64 {
        (self.high_watermark() - self.next_offset()).max(0)
    }

    /// The next offset to apply.
    pub fn next_offset(&self) -> i64 {
        // Acquire: pairs with `record_applied`, so a snapshot that reads this offset before
        // copying the views sees every record before it.
        self.next.load(Ordering::Acquire)
    }

    pub fn high_watermark(&self) -> i64 {
        self.high.load(Ordering::Relaxed)
    }

    /// Kafka timestamp (ms) of the last applied message; 0 before any.
    pub fn last_timestamp_ms(&self) -> i64 {
        self.last_timestamp_ms.load(Ordering::Relaxed)
    }

    /// The broker reported a high watermark (from statistics or metadata); it never goes down.
    pub fn raise_high(&self, high: i64) {
        self.high.fetch_max(high, Ordering::Relaxed);
    }

    /// Wall-clock time (Unix ms) the partition's leader was last heard from.
    pub fn contact_ms(&self) -> i64 {
        self.contact_ms.load(Ordering::Relaxed)
    }

    /// The partition's leader answered at `at_ms` (a fetch response, from statistics).
    pub fn touch(&self, at_ms: i64) {
        self.contact_ms.fetch_max(at_ms, Ordering::Relaxed);
    }

    /// The consumer's position passed `position` with nothing left to apply before it: records
    /// the client consumed without handing them over (transaction markers) are not lag.
    pub fn reached(&self, position: i64) {
        if position > self.next_offset() {
            self.raise_high(position);
            self.next.store(position, Ordering::Release);
        }
    }

    /// The record at `offset` (with its Kafka timestamp, if any) has been applied to the views.
    pub fn record_applied(&self, offset: i64, timestamp_ms: Option<i64>) {
        if let Some(ts) = timestamp_ms {
            self.last_timestamp_ms.store(ts, Ordering::Relaxed);
        }
        self.raise_high(offset + 1);
        self.next.store(offset + 1, Ordering::Release);
    }
}

/// What the snapshot loaded at start-up was.
#[derive(Debug, Clone, Default)]
pub struct SnapshotLoaded {
    pub source: String,
    pub records: u64,
    pub created_at_ms: i64,
    pub load_ms: u64,
}

/// Per-view freshness, derived from the partitions feeding it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewFreshness {
    pub applied: i64,
    pub high: i64,
    pub lag_messages: i64,
    /// 0 when caught up and in contact; else how old the last applied message is, or, with
    /// the broker out of contact, at least the time since the last contact.
    pub lag_ms: i64,
    /// Longest time since a partition's broker was heard from.
    pub since_contact_ms: i64,
    /// Every partition's broker heard from within the contact timeout.
    pub reachable: bool,
}

#[derive(Debug)]
pub struct Progress {
    partitions: RwLock<Vec<Arc<PartitionProgress>>>,
    snapshot: RwLock<Option<SnapshotLoaded>>,
    /// Records loaded from a snapshot so far (while bootstrapping).
    bootstrap_records: AtomicU64,
    bootstrapping: AtomicBool,
    /// Snapshots found unusable at start-up.
    rejected_snapshots: AtomicU64,
    started_ms: AtomicI64,
    /// Milliseconds from start to ready; 0 until ready.
    ready_after_ms: AtomicI64,
    /// Past this long without contact a partition's broker counts as unreachable.
    contact_timeout_ms: AtomicI64,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

/// Default for [`Progress::set_contact_timeout`].
pub const DEFAULT_CONTACT_TIMEOUT_MS: i64 = 5_000;

impl Progress {
    pub fn new() -> Self {
        Self {
            partitions: RwLock::default(),
            snapshot: RwLock::default(),
            bootstrap_records: AtomicU64::new(0),
            bootstrapping: AtomicBool::new(false),
            rejected_snapshots: AtomicU64::new(0),
            started_ms: AtomicI64::new(unix_ms()),
            ready_after_ms: AtomicI64::new(0),
            contact_timeout_ms: AtomicI64::new(DEFAULT_CONTACT_TIMEOUT_MS),
        }
    }

    /// How long without contact before a broker counts as unreachable.
    pub fn set_contact_timeout(&self, ms: i64) {
        self.contact_timeout_ms.store(ms.max(1), Ordering::Relaxed);
    }

    pub fn contact_timeout_ms(&self) -> i64 {
        self.contact_timeout_ms.load(Ordering::Relaxed)
    }

    pub fn register(
        &self,
        topic: &str,
        partition: i32,
        kind: ViewKind,
        next: i64,
        high: i64,
    ) -> Arc<PartitionProgress> {
        let p = Arc::new(PartitionProgress {
            topic: topic.to_string(),
            partition,
            kind,
            next: AtomicI64::new(next.max(0)),
            high: AtomicI64::new(high),
            last_timestamp_ms: AtomicI64::new(0),
            contact_ms: AtomicI64::new(unix_ms()),
        });
        self.partitions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(&p));
        p
    }

    /// Start-up loads a snapshot before consuming.
    pub fn begin_bootstrap(&self) {
        self.bootstrapping.store(true, Ordering::Relaxed);
    }

    /// A snapshot being loaded has reached `records` records (restarts at 0 for each source).
    pub fn bootstrap_loaded(&self, records: u64) {
        self.bootstrap_records.store(records, Ordering::Relaxed);
    }

    /// Start-up is done with snapshots (one loaded, or none usable).
    pub fn end_bootstrap(&self) {
        self.bootstrapping.store(false, Ordering::Relaxed);
    }

    /// A snapshot was found unusable (and nothing of it applied).
    pub fn snapshot_rejected(&self) {
        self.rejected_snapshots.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rejected_snapshots(&self) -> u64 {
        self.rejected_snapshots.load(Ordering::Relaxed)
    }

    pub fn is_bootstrapping(&self) -> bool {
        self.bootstrapping.load(Ordering::Relaxed)
    }

    pub fn bootstrap_records(&self) -> u64 {
        self.bootstrap_records.load(Ordering::Relaxed)
    }

    /// The views caught up with Kafka: remembers, and returns, milliseconds since start.
    pub fn mark_ready(&self) -> i64 {
        let since_start = (unix_ms() - self.started_ms.load(Ordering::Relaxed)).max(1);
        self.ready_after_ms.store(since_start, Ordering::Relaxed);
        since_start
    }

    /// Milliseconds from start to ready; 0 until ready.
    pub fn ready_after_ms(&self) -> i64 {
        self.ready_after_ms.load(Ordering::Relaxed)
    }

    pub fn partitions(&self) -> Vec<Arc<PartitionProgress>> {
        self.partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The offsets a snapshot taken now covers (read before copying the views).
    pub fn applied_offsets(&self) -> Vec<PartitionOffset> {
        self.partitions()
            .iter()
            .map(|p| PartitionOffset {
                topic: p.topic.clone(),
                partition: p.partition,
                next: p.next_offset(),
            })
            .collect()
    }

    pub fn set_snapshot(&self, loaded: SnapshotLoaded) {
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded);
    }

    pub fn snapshot(&self) -> Option<SnapshotLoaded> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn view(&self, kind: ViewKind, now_ms: i64) -> ViewFreshness {
        self.view_among(kind, now_ms, None)
    }

    /// [`Progress::view`] over the partitions of `topics` only (one banner's; `None`: all).
    pub fn view_among(&self, kind: ViewKind, now: i64, topics: Option<&[String]>) -> ViewFreshness {
        let now_ms = now;
        let timeout = self.contact_timeout_ms();
        let started = self.started_ms.load(Ordering::Relaxed);
        let mut f = ViewFreshness {
            reachable: true,
            ..ViewFreshness::default()
        };
        let among = |topic: &str| topics.is_none_or(|t| t.iter().any(|t| t == topic));
        for p in self
            .partitions()
            .iter()
            .filter(|p| p.kind == kind && among(&p.topic))
        {
            let lag = p.lag();
            f.applied += p.next_offset();
            f.high += p.high_watermark();
            f.lag_messages += lag;
            let mut lag_ms = 0;
            if lag > 0 {
                let ts = p.last_timestamp_ms();
                lag_ms = now_ms - if ts > 0 { ts } else { started };
            }
            let since_contact = (now_ms - p.contact_ms()).max(0);
            f.since_contact_ms = f.since_contact_ms.max(since_contact);
            if since_contact > timeout {
                // Out of contact: whatever happened since is unknown, so the view is at least
                // that stale, and more so every millisecond.
                f.reachable = false;
                lag_ms = lag_ms.max(since_contact);
            }
            f.lag_ms = f.lag_ms.max(lag_ms.max(0));
        }
        f
    }

    /// Whether every partition's broker is in contact, and the longest time since contact.
    pub fn broker_contact(&self, now_ms: i64) -> (bool, i64) {
        ViewKind::ALL
            .iter()
            .map(|k| self.view(*k, now_ms))
            .fold((true, 0), |(reachable, since), f| {
                (reachable && f.reachable, since.max(f.since_contact_ms))
            })
    }

    /// The largest lag over all views, in ms.
    pub fn max_lag_ms(&self, now_ms: i64) -> i64 {
        ViewKind::ALL
            .iter()
            .map(|k| self.view(*k, now_ms).lag_ms)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_in_messages_and_time() {
        let progress = Progress::new();
        let p0 = progress.register("prices", 0, ViewKind::Prices, 0, 10);
        let p1 = progress.register("prices", 1, ViewKind::Prices, 5, 5);
        let f = progress.view(ViewKind::Prices, unix_ms());
        assert_eq!((f.applied, f.high, f.lag_messages), (5, 15, 10));
        p0.record_applied(7, Some(1_000));
        assert_eq!(progress.view(ViewKind::Prices, 4_000).lag_ms, 3_000);
        p0.record_applied(9, None);
        assert_eq!(
            progress.view(ViewKind::Prices, 4_000),
            ViewFreshness {
                applied: 15,
                high: 15,
                lag_messages: 0,
                lag_ms: 0,
                since_contact_ms: 0,
                reachable: true,
            }
        );
        p1.raise_high(7);
        p1.raise_high(6);
        assert_eq!(progress.view(ViewKind::Prices, 4_000).lag_messages, 2);
        let offsets = progress.applied_offsets();
        assert_eq!(offsets[0].next, 10);
        assert_eq!(offsets[1].next, 5);
    }

    #[test]
    fn out_of_contact_the_lag_grows_with_the_wall_clock() {
        let progress = Progress::new();
        progress.set_contact_timeout(1_000);
        let p = progress.register("prices", 0, ViewKind::Prices, 0, 3);
        p.record_applied(2, Some(50));
        let contact = p.contact_ms();
        let fresh = progress.view(ViewKind::Prices, contact + 900);
        assert_eq!((fresh.lag_ms, fresh.reachable), (0, true));
        let lost = progress.view(ViewKind::Prices, contact + 1_500);
        assert_eq!((lost.lag_ms, lost.reachable), (1_500, false));
        assert_eq!(
            progress.view(ViewKind::Prices, contact + 9_000).lag_ms,
            9_000
        );
        assert_eq!(progress.broker_contact(contact + 9_000), (false, 9_000));
        assert_eq!(progress.max_lag_ms(contact + 9_000), 9_000);
        p.touch(contact + 8_900);
        assert_eq!(progress.broker_contact(contact + 9_000), (true, 100));
        assert_eq!(progress.max_lag_ms(contact + 9_000), 0);
    }

    #[test]
    fn records_consumed_but_never_handed_over_are_not_lag() {
        // A transactional producer's commit marker sits at offset 3, after the last record.
        let progress = Progress::new();
        let p = progress.register("prices", 0, ViewKind::Prices, 0, 4);
        p.record_applied(2, Some(unix_ms()));
        assert_eq!(
            p.lag(),
            1,
            "the marker looks like lag until the position passes it"
        );
        p.reached(4);
        assert_eq!((p.lag(), p.next_offset()), (0, 4));
        p.reached(1);
        assert_eq!(p.next_offset(), 4, "never goes back");
    }
}
