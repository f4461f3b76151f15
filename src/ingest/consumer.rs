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
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::applier::{Applier, Origin};
use super::readiness::{CatchUp, Readiness};
use crate::config::{KafkaSettings, TopicSettings};
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

/// Routes librdkafka's error callbacks to `tracing`, minus the end-of-partition events that
/// `enable.partition.eof` turns on for readiness (they are expected, not errors).
pub struct IngestContext;

impl ClientContext for IngestContext {
    fn error(&self, error: KafkaError, reason: &str) {
        if !matches!(error, KafkaError::PartitionEOF(_)) {
            tracing::warn!(%error, reason, "kafka client error");
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
        .set("socket.nagle.disable", "true")
        .set("topic.metadata.refresh.interval.ms", "10000");
    config
}

/// Starts the consumer thread for `brokers`.
pub fn spawn_consumer(
    kafka: &KafkaSettings,
    brokers: &str,
    topics: TopicMap,
    applier: Applier,
    readiness: Arc<Readiness>,
) -> Result<ConsumerHandle, IngestError> {
    let consumer: IngestConsumer =
        consumer_config(kafka, brokers).create_with_context(IngestContext)?;
    let stop = Arc::new(AtomicBool::new(false));
    let timeout = Duration::from_millis(kafka.metadata_timeout_ms);
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("vitrine-ingest".into())
        .spawn(move || {
            let Some(catch_up) = assign_all(&consumer, &topics, timeout, &thread_stop) else {
                return;
            };
            catch_up.publish_to(&readiness);
            consume(
                &consumer,
                &topics,
                &applier,
                &readiness,
                catch_up,
                &thread_stop,
            );
        })
        .expect("spawning a thread");
    Ok(ConsumerHandle {
        stop,
        thread: Some(thread),
    })
}

/// Waits until every topic exists, then assigns all partitions from the beginning and
/// records their high watermarks. `None` if asked to stop first.
fn assign_all(
    consumer: &IngestConsumer,
    topics: &TopicMap,
    timeout: Duration,
    stop: &AtomicBool,
) -> Option<CatchUp> {
    loop {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        match try_assign(consumer, topics, timeout) {
            Ok(catch_up) => return Some(catch_up),
            Err(reason) => {
                tracing::warn!(%reason, "waiting for Kafka topics; retrying in 1s");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

fn try_assign(
    consumer: &IngestConsumer,
    topics: &TopicMap,
    timeout: Duration,
) -> Result<CatchUp, String> {
    let mut assignment = TopicPartitionList::new();
    let mut catch_up = CatchUp::default();
    for (topic, _) in &topics.topics {
        let metadata = consumer
            .fetch_metadata(Some(topic), timeout)
            .map_err(|e| format!("metadata for {topic}: {e}"))?;
        let Some(meta) = metadata.topics().iter().find(|t| t.name() == topic) else {
            return Err(format!("topic {topic} not in metadata"));
        };
        if let Some(err) = meta.error() {
            return Err(format!("topic {topic}: {err:?}"));
        }
        if meta.partitions().is_empty() {
            return Err(format!("topic {topic} has no partitions"));
        }
        for partition in meta.partitions() {
            let id = partition.id();
            let (low, high) = consumer
                .fetch_watermarks(topic, id, timeout)
                .map_err(|e| format!("watermarks of {topic}/{id}: {e}"))?;
            catch_up.track(topic, id, low, high);
            assignment
                .add_partition_offset(topic, id, Offset::Beginning)
                .map_err(|e| e.to_string())?;
            tracing::info!(topic, partition = id, low, high, "assigned partition");
        }
    }
    consumer.assign(&assignment).map_err(|e| e.to_string())?;
    Ok(catch_up)
}

fn consume(
    consumer: &IngestConsumer,
    topics: &TopicMap,
    applier: &Applier,
    readiness: &Readiness,
    mut catch_up: CatchUp,
    stop: &AtomicBool,
) {
    let started = Instant::now();
    let mut caught_up_logged = catch_up.is_done();
    while !stop.load(Ordering::Relaxed) {
        let Some(result) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        match result {
            Ok(message) => {
                let topic = message.topic();
                let Some(kind) = topics.kind_of(topic) else {
                    continue;
                };
                let origin = Origin {
                    topic,
                    partition: message.partition(),
                    offset: message.offset(),
                };
                applier.apply_record(kind, message.key(), message.payload(), origin);
                if !catch_up.is_done()
                    && catch_up.advance(topic, message.partition(), message.offset() + 1)
                {
                    catch_up.publish_to(readiness);
                }
            }
            Err(KafkaError::PartitionEOF(_)) => {
                // The EOF names no topic: ask the consumer where each pending partition stands.
                if !catch_up.is_done() {
                    advance_from_positions(consumer, &mut catch_up);
                    catch_up.publish_to(readiness);
                }
            }
            Err(error) => tracing::warn!(%error, "kafka consumer error"),
        }
        if !caught_up_logged && catch_up.is_done() {
            caught_up_logged = true;
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "views caught up with Kafka; ready"
            );
        }
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
