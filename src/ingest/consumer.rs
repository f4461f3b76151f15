//! The Kafka consumer: every partition of every view topic, from the beginning, by assignment.
//!
//! Each replica holds the whole view (like a GlobalKTable), so there is no consumer group:
//! the consumer assigns itself all partitions, reads them on a dedicated thread and feeds
//! the [`Applier`]. Readiness turns on once each partition reaches its start-time high watermark.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::Offset;

use super::applier::{Applier, Origin};
use super::assign::{assign_all, PartitionIndex};
use super::bootstrap::{bootstrap, StartAt};
use super::progress::{unix_ms, Progress};
use super::readiness::{CatchUp, Readiness};
use crate::config::{KafkaSettings, SnapshotSettings, TopicSettings};
use crate::views::ViewKind;

/// Errors that stop the consumer from starting at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot create the Kafka consumer: {0}")]
    Client(#[from] KafkaError),
}

/// Which topic feeds which view.
#[derive(Debug, Clone)]
pub struct TopicMap {
    pub topics: Vec<(String, ViewKind)>,
}

impl TopicMap {
    pub fn new(settings: &TopicSettings) -> Self {
        Self {
            topics: vec![
                (settings.products.clone(), ViewKind::Products),
                (settings.prices.clone(), ViewKind::Prices),
                (settings.inventory.clone(), ViewKind::Inventory),
                (settings.intl.clone(), ViewKind::Intl),
            ],
        }
    }

    pub fn kind_of(&self, topic: &str) -> Option<ViewKind> {
        self.topics
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, k)| *k)
    }

    pub fn topic_of(&self, kind: ViewKind) -> &str {
        self.topics
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(t, _)| t.as_str())
            .expect("every view has a topic")
    }
}

/// A running consumer thread; dropping the handle does not stop it, [`ConsumerHandle::stop`] does.
pub struct ConsumerHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ConsumerHandle {
    /// Asks the thread to stop and waits for it (at most one poll interval).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Routes librdkafka's error callbacks to `tracing` (minus the end-of-partition events that
/// `enable.partition.eof` turns on for readiness), and its statistics' high watermarks into
/// the partitions' progress, so lag stays current while nothing arrives.
pub struct IngestContext {
    progress: Arc<Progress>,
}

impl ClientContext for IngestContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let end_of_partition = matches!(
            error,
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
        );
        if !end_of_partition {
            tracing::warn!(%error, reason, "kafka client error");
        }
    }

    fn stats(&self, statistics: Statistics) {
        for p in self.progress.partitions() {
            let high = statistics
                .topics
                .get(&p.topic)
                .and_then(|t| t.partitions.get(&p.partition))
                .map(|s| s.hi_offset);
            if let Some(high) = high.filter(|h| *h >= 0) {
                p.raise_high(high);
            }
        }
    }
}

impl ConsumerContext for IngestContext {}

type IngestConsumer = BaseConsumer<IngestContext>;

fn consumer_config(kafka: &KafkaSettings, brokers: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("client.id", &kafka.client_id)
        // Required by librdkafka's consumer, unused: offsets are never committed.
        .set("group.id", format!("{}-unused", kafka.client_id))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", kafka.fetch_wait_max_ms.to_string())
        .set("fetch.min.bytes", "1")
        // Keep the local queue full during a replay: by default librdkafka pauses a partition's
        // fetches for a whole second once its queue passes the threshold, which left the
        // ingest thread idle most of the time. Up to 16 MiB is queued per partition.
        .set("queued.min.messages", "1000000")
        .set("fetch.queue.backoff.ms", "10")
        .set("queued.max.messages.kbytes", "16384")
        .set("socket.nagle.disable", "true")
        .set("topic.metadata.refresh.interval.ms", "10000")
        .set("statistics.interval.ms", "1000");
    config
}

/// What the consumer thread needs besides the broker settings.
pub struct IngestParts {
    pub topics: TopicMap,
    pub applier: Applier,
    pub readiness: Arc<Readiness>,
    pub progress: Arc<Progress>,
    /// Snapshots to bootstrap from before consuming (`None`: start at the beginning).
    pub snapshots: Option<SnapshotSettings>,
}

/// Starts the consumer thread for `brokers`: bootstrap from a snapshot if any, then consume.
pub fn spawn_consumer(
    kafka: &KafkaSettings,
    brokers: &str,
    parts: IngestParts,
) -> Result<ConsumerHandle, IngestError> {
    let IngestParts {
        topics,
        applier,
        readiness,
        progress,
        snapshots,
    } = parts;
    let context = IngestContext {
        progress: Arc::clone(&progress),
    };
    let consumer: IngestConsumer = consumer_config(kafka, brokers).create_with_context(context)?;
    let stop = Arc::new(AtomicBool::new(false));
    let timeout = Duration::from_millis(kafka.metadata_timeout_ms);
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("vitrine-ingest".into())
        .spawn(move || {
            // Until caught up nobody reads the views: load them in bulk.
            applier.catalog().begin_bulk();
            let start = match &snapshots {
                Some(settings) => bootstrap(settings, &applier, &progress),
                None => StartAt::Beginning,
            };
            let Some((catch_up, index)) =
                assign_all(&consumer, &topics, &start, &progress, timeout, &thread_stop)
            else {
                return;
            };
            if catch_up.is_done() {
                applier.catalog().end_bulk();
            }
            catch_up.publish_to(&readiness);
            let feed = Feed {
                consumer: &consumer,
                topics: &topics,
                applier: &applier,
                readiness: &readiness,
                progress: &progress,
                index,
            };
            feed.consume(catch_up, &thread_stop);
        })
        .expect("spawning a thread");
    Ok(ConsumerHandle {
        stop,
        thread: Some(thread),
    })
}

/// The consumer thread's loop and what it updates.
struct Feed<'a> {
    consumer: &'a IngestConsumer,
    topics: &'a TopicMap,
    applier: &'a Applier,
    readiness: &'a Readiness,
    progress: &'a Progress,
    index: PartitionIndex,
}

impl Feed<'_> {
    fn consume(&self, mut catch_up: CatchUp, stop: &AtomicBool) {
        let started = Instant::now();
        let mut caught_up_logged = catch_up.is_done();
        if caught_up_logged {
            self.mark_ready(&started);
        }
        while !stop.load(Ordering::Relaxed) {
            let Some(result) = self.consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            match result {
                Ok(message) => {
                    let topic = message.topic();
                    let Some(kind) = self.topics.kind_of(topic) else {
                        continue;
                    };
                    let (partition, offset) = (message.partition(), message.offset());
                    let origin = Origin {
                        topic,
                        partition,
                        offset,
                    };
                    self.applier
                        .apply_record(kind, message.key(), message.payload(), origin);
                    if let Some(p) = self.index.get(topic).and_then(|t| t.get(&partition)) {
                        if let Some(ts) = message.timestamp().to_millis() {
                            p.last_timestamp_ms.store(ts, Ordering::Relaxed);
                        }
                        p.raise_high(offset + 1);
                        p.next.store(offset + 1, Ordering::Release);
                    }
                    if !catch_up.is_done() && catch_up.advance(topic, partition, offset + 1) {
                        self.publish(&catch_up);
                    }
                }
                Err(KafkaError::PartitionEOF(_)) => {
                    // The EOF names no topic: ask the consumer where each pending partition stands.
                    if !catch_up.is_done() {
                        advance_from_positions(self.consumer, &mut catch_up);
                        self.publish(&catch_up);
                    }
                }
                Err(error) => tracing::warn!(%error, "kafka consumer error"),
            }
            if !caught_up_logged && catch_up.is_done() {
                caught_up_logged = true;
                self.mark_ready(&started);
            }
        }
    }

    /// Publishes catch-up progress; the views' summaries are complete before it says ready.
    fn publish(&self, catch_up: &CatchUp) {
        if catch_up.is_done() {
            self.applier.catalog().end_bulk();
        }
        catch_up.publish_to(self.readiness);
    }

    fn mark_ready(&self, consuming_since: &Instant) {
        let since_start = unix_ms() - self.progress.started_ms.load(Ordering::Relaxed);
        self.progress
            .ready_after_ms
            .store(since_start.max(1), Ordering::Relaxed);
        tracing::info!(
            consuming_ms = consuming_since.elapsed().as_millis() as u64,
            since_start_ms = since_start,
            "views caught up with Kafka; ready"
        );
    }
}

fn advance_from_positions(consumer: &IngestConsumer, catch_up: &mut CatchUp) {
    let Ok(positions) = consumer.position() else {
        return;
    };
    for (topic, partition) in catch_up.pending_partitions() {
        if let Some(Offset::Offset(next)) = positions
            .find_partition(&topic, partition)
            .map(|e| e.offset())
        {
            catch_up.advance(&topic, partition, next);
        }
    }
}
