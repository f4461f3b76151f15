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
use super::assign::{assign_all, PartitionIndex, StartAt};
use super::catch_up::CatchUp;
use super::client::KafkaClient;
use crate::config::KafkaSettings;
use crate::events::TopicMap;
use crate::status::{Progress, Readiness};

/// Errors that stop the consumer from starting at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot create the Kafka consumer: {0}")]
    Client(#[from] KafkaError),
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

fn consumer_config(client: &KafkaClient, kafka: &KafkaSettings) -> ClientConfig {
    client.config(|config| {
        config
            // Required by librdkafka's consumer, unused: offsets are never committed.
            .set("group.id", format!("{}-unused", client.client_id()))
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
    })
}

/// Decides where consumption starts, on the ingest thread before the partitions are assigned
/// (for instance by loading a snapshot into the views through the applier).
pub type StartPlan = Box<dyn FnOnce(&Applier, &Progress) -> StartAt + Send>;

/// What the consumer thread needs besides the broker settings.
pub struct IngestParts {
    pub topics: TopicMap,
    pub applier: Applier,
    pub readiness: Arc<Readiness>,
    pub progress: Arc<Progress>,
    /// Where to start; `None` starts every partition at the beginning.
    pub start: Option<StartPlan>,
}

/// Starts the consumer thread on `client`'s cluster: plan the start, then consume.
pub fn spawn_consumer(
    client: &KafkaClient,
    kafka: &KafkaSettings,
    parts: IngestParts,
) -> Result<ConsumerHandle, IngestError> {
    let IngestParts {
        topics,
        applier,
        readiness,
        progress,
        start,
    } = parts;
    let context = IngestContext {
        progress: Arc::clone(&progress),
    };
    let consumer: IngestConsumer = consumer_config(client, kafka).create_with_context(context)?;
    let stop = Arc::new(AtomicBool::new(false));
    let timeout = Duration::from_millis(kafka.metadata_timeout_ms);
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("vitrine-ingest".into())
        .spawn(move || {
            // Until caught up nobody reads the views: load them in bulk.
            applier.catalog().begin_bulk();
            let start = match start {
                Some(plan) => plan(&applier, &progress),
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
            let consume = ConsumeLoop {
                consumer: &consumer,
                topics: &topics,
                applier: &applier,
                readiness: &readiness,
                progress: &progress,
                index,
            };
            consume.run(catch_up, &thread_stop);
        })
        .expect("spawning a thread");
    Ok(ConsumerHandle {
        stop,
        thread: Some(thread),
    })
}

/// The consumer thread's loop and what it updates.
struct ConsumeLoop<'a> {
    consumer: &'a IngestConsumer,
    topics: &'a TopicMap,
    applier: &'a Applier,
    readiness: &'a Readiness,
    progress: &'a Progress,
    index: PartitionIndex,
}

impl ConsumeLoop<'_> {
    fn run(&self, mut catch_up: CatchUp, stop: &AtomicBool) {
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
                        p.record_applied(offset, message.timestamp().to_millis());
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
        let since_start = self.progress.mark_ready();
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
