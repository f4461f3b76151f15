//! Parallel apply: the consumer thread hands records to a fixed set of worker threads by
//! partition, so each partition's records (hence each key's) are decoded and applied in order
//! by one thread while the others apply other partitions. Hand-over is in batches over bounded
//! channels: a worker that falls behind makes the consumer thread wait, and librdkafka's own
//! bounded queue then pauses fetching.

use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::applier::{Applier, Origin};
use super::batch_span::BatchSpans;
use crate::status::PartitionProgress;
use crate::views::ViewKind;

/// Records per batch handed to a worker (a partly filled one goes as soon as the consumer has
/// nothing more at hand, so a live change never waits for a batch to fill).
const BATCH_RECORDS: usize = 512;
/// Batches a worker may have waiting: with `BATCH_RECORDS`, what bounds the records between the
/// consumer and the views.
const QUEUED_BATCHES: usize = 4;

/// One record in a batch: where it came from, and where its key and value lie in the batch's
/// bytes (`None`: absent; a value of `None` is a tombstone).
struct Item {
    kind: ViewKind,
    partition: Arc<PartitionProgress>,
    offset: i64,
    timestamp_ms: Option<i64>,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    /// A binary value's schema-id header.
    header: Option<Range<usize>>,
}

/// What a worker does, in the order it receives them.
enum Work {
    Record(Item),
    /// The consumer's position in a partition passed `next` with nothing left to hand over
    /// (transaction markers): applied in order, after the records before it.
    Reached(Arc<PartitionProgress>, i64),
}

#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    work: Vec<Work>,
}

impl Batch {
    fn copy(&mut self, data: Option<&[u8]>) -> Option<Range<usize>> {
        let data = data?;
        let start = self.bytes.len();
        self.bytes.extend_from_slice(data);
        Some(start..self.bytes.len())
    }

    fn slice(&self, range: &Option<Range<usize>>) -> Option<&[u8]> {
        range.as_ref().map(|r| &self.bytes[r.clone()])
    }
}

enum Job {
    Batch(Batch),
    /// Answered once every job before it has been done.
    Sync(SyncSender<()>),
}

/// A record as the consumer hands it over.
pub struct Handed<'a> {
    pub kind: ViewKind,
    pub partition: &'a Arc<PartitionProgress>,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    /// The schema-id header of a binary topic's value, if it has one.
    pub header: Option<&'a [u8]>,
}

/// The worker threads and the batches being filled for them (owned by the consumer thread).
pub struct Workers {
    senders: Vec<SyncSender<Job>>,
    open: Vec<Batch>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` workers (at least one) applying through `applier`.
    pub fn start(count: usize, applier: &Applier) -> std::io::Result<Self> {
        let count = count.max(1);
        let mut workers = Self {
            senders: Vec::with_capacity(count),
            open: (0..count).map(|_| Batch::default()).collect(),
            threads: Vec::with_capacity(count),
        };
        for n in 0..count {
            let (sender, jobs) = sync_channel(QUEUED_BATCHES);
            let applier = applier.clone();
            let thread = std::thread::Builder::new()
                .name(format!("vitrine-apply-{n}"))
                .spawn(move || work(jobs, &applier))?;
            workers.senders.push(sender);
            workers.threads.push(thread);
        }
        Ok(workers)
    }

    /// The worker of a partition: fixed for the partition's life, so its records stay in order.
    /// Partition numbers are offset by view so each view's partitions spread over the workers.
    fn worker_of(&self, partition: &PartitionProgress) -> usize {
        let spread = partition.partition.unsigned_abs() as usize + partition.kind as usize;
        spread % self.senders.len()
    }

    /// Hands a record to its partition's worker.
    pub fn hand(&mut self, record: Handed<'_>) {
        let n = self.worker_of(record.partition);
        let batch = &mut self.open[n];
        let key = batch.copy(record.key);
        let value = batch.copy(record.value);
        let header = batch.copy(record.header);
        batch.work.push(Work::Record(Item {
            kind: record.kind,
            partition: Arc::clone(record.partition),
            offset: record.offset,
            timestamp_ms: record.timestamp_ms,
            key,
            value,
            header,
        }));
        if batch.work.len() >= BATCH_RECORDS {
            self.send(n);
        }
    }

    /// Tells a partition's worker that its position reached `next` (after what it was handed).
    pub fn reached(&mut self, partition: &Arc<PartitionProgress>, next: i64) {
        let n = self.worker_of(partition);
        self.open[n]
            .work
            .push(Work::Reached(Arc::clone(partition), next));
    }

    /// Whether records are waiting in a partly filled batch.
    pub fn has_open(&self) -> bool {
        self.open.iter().any(|b| !b.work.is_empty())
    }

    /// Sends every partly filled batch.
    pub fn flush(&mut self) {
        for n in 0..self.open.len() {
            if !self.open[n].work.is_empty() {
                self.send(n);
            }
        }
    }

    fn send(&mut self, n: usize) {
        let batch = std::mem::take(&mut self.open[n]);
        // A worker only goes away if it panicked; its records are then lost to the views, which
        // the partition's lag shows.
        let _ = self.senders[n].send(Job::Batch(batch));
    }

    /// Returns once everything handed over so far has been applied.
    pub fn sync(&mut self) {
        self.flush();
        let (done, answers) = sync_channel(self.senders.len());
        let asked = self
            .senders
            .iter()
            .filter(|s| s.send(Job::Sync(done.clone())).is_ok())
            .count();
        drop(done);
        for _ in 0..asked {
            if answers.recv().is_err() {
                break;
            }
        }
    }

    /// Applies what was handed over, then stops the workers.
    pub fn stop(mut self) {
        self.flush();
        self.senders.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A worker's loop: apply each batch in order, advance each partition after its records.
fn work(jobs: Receiver<Job>, applier: &Applier) {
    let mut spans = BatchSpans::default();
    while let Ok(job) = jobs.recv() {
        let batch = match job {
            Job::Batch(batch) => batch,
            Job::Sync(done) => {
                let _ = done.send(());
                continue;
            }
        };
        let full = batch.work.len() >= BATCH_RECORDS;
        for work in &batch.work {
            match work {
                Work::Record(item) => {
                    let origin = Origin {
                        topic: &item.partition.topic,
                        partition: item.partition.partition,
                        offset: item.offset,
                        timestamp_ms: item.timestamp_ms,
                    };
                    let (key, value) = (batch.slice(&item.key), batch.slice(&item.value));
                    let header = batch.slice(&item.header);
                    // Stopping while the registry was waited for: this record and everything
                    // after it stay unapplied, their positions unmoved.
                    if applier
                        .apply_message(item.kind, key, header, value, origin)
                        .is_err()
                    {
                        return;
                    }
                    item.partition
                        .record_applied(item.offset, item.timestamp_ms);
                    spans.applied();
                }
                Work::Reached(partition, next) => partition.reached(*next),
            }
        }
        if !full {
            spans.close(); // the consumer ran dry: the run of records ends
        }
    }
    spans.close();
}

#[cfg(test)]
#[path = "workers_tests.rs"]
mod tests;
