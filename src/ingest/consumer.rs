//! The Kafka consumer: every partition of every view topic, from the beginning, by assignment.
//!
//! Each replica holds the whole view (like a GlobalKTable), so there is no consumer group:
//! the consumer assigns itself all partitions, reads them on a dedicated thread and feeds
//! the [`Applier`]. Readiness turns on once each partition reaches its start-time high watermark.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::applier::Applier;
use super::assign::{assign_all, wait_for_watermarks, PartitionIndex, StartAt, Watermarks};
use super::catch_up::CatchUp;
use super::client::KafkaClient;
pub use super::context::IngestContext;
use super::partitions::{spawn_watcher, NewPartition};
use super::workers::{Handed, Workers};
use crate::config::KafkaSettings;
use crate::events::TopicMap;
use crate::status::{Progress, Readiness};

/// Errors that stop the consumer from starting at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot create the Kafka consumer: {0}")]
    Client(#[from] KafkaError),
    #[error("cannot start the apply workers: {0}")]
    Workers(String),
}

/// A running consumer thread; dropping the handle does not stop it, [`ConsumerHandle::stop`] does.
pub struct ConsumerHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ConsumerHandle {
    /// Asks the thread (and its partition watcher) to stop and waits for it (at most one poll
    /// interval).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

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
            // ingest thread idle most of the time. Up to 2 MiB is queued per partition: with
            // 16 MiB the queues added ~100 MB to the peak of a million-variant replay, which is
            // bound by applying, not fetching (bench/bootstrap.sh: same replay time).
            .set("queued.min.messages", "1000000")
            .set("fetch.queue.backoff.ms", "10")
            .set("queued.max.messages.kbytes", "2048")
            .set("socket.nagle.disable", "true")
            .set("topic.metadata.refresh.interval.ms", "10000")
            .set(
                "statistics.interval.ms",
                stats_interval_ms(kafka).to_string(),
            );
    })
}

/// Statistics carry contact with the brokers: often enough to notice a lost one within
/// `contact_timeout_ms`, at most once a second.
fn stats_interval_ms(kafka: &KafkaSettings) -> u64 {
    (kafka.contact_timeout_ms / 4).clamp(100, 1000)
}

/// Decides where consumption starts, on the ingest thread before the partitions are assigned
/// (for instance by loading a snapshot into the views through the applier).
/// It sees each partition's watermarks, to refuse a snapshot whose offsets lie outside them.
pub type StartPlan = Box<dyn FnOnce(&Applier, &Progress, &Watermarks) -> StartAt + Send>;

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
    let refresh = Duration::from_millis(kafka.partition_refresh_ms.max(10));
    let watcher_client = client.clone();
    let workers = Workers::start(kafka.apply_workers(), &applier)
        .map_err(|e| IngestError::Workers(e.to_string()))?;
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("vitrine-ingest".into())
        .spawn(move || {
            // Until caught up nobody reads the views: load them in bulk.
            applier.storefronts().begin_bulk();
            let start = match start {
                Some(plan) => {
                    let Some(watermarks) =
                        wait_for_watermarks(&consumer, &topics, timeout, &thread_stop)
                    else {
                        return;
                    };
                    plan(&applier, &progress, &watermarks)
                }
                None => StartAt::Beginning,
            };
            let Some((catch_up, index)) =
                assign_all(&consumer, &topics, &start, &progress, timeout, &thread_stop)
            else {
                return;
            };
            if catch_up.is_done() {
                end_bulk(applier.storefronts());
            } else {
                reserve_for_replay(applier.catalog(), &index);
            }
            catch_up.publish_to(&readiness);
            let known = index
                .iter()
                .flat_map(|(t, ps)| ps.keys().map(move |p| (t.clone(), *p)))
                .collect();
            let watcher = spawn_watcher(
                &watcher_client,
                &topics,
                known,
                refresh,
                timeout,
                Arc::clone(&thread_stop),
            );
            let (found, watcher) = match watcher {
                Ok((found, handle)) => (Some(found), Some(handle)),
                Err(error) => {
                    tracing::warn!(%error, "no partition watcher: partitions added later are not consumed");
                    (None, None)
                }
            };
            let consume = ConsumeLoop {
                consumer: &consumer,
                topics: &topics,
                applier: &applier,
                readiness: &readiness,
                progress: &progress,
                index,
                found,
                workers,
            };
            consume.run(catch_up, &thread_stop);
            if let Some(watcher) = watcher {
                let _ = watcher.join();
            }
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
    /// Partitions the watcher found after start.
    found: Option<Receiver<NewPartition>>,
    /// The threads that decode and apply, each owning whole partitions.
    workers: Workers,
}

impl ConsumeLoop<'_> {
    fn run(mut self, mut catch_up: CatchUp, stop: &AtomicBool) {
        let started = Instant::now();
        let mut caught_up_logged = catch_up.is_done();
        if caught_up_logged {
            self.mark_ready(&started);
        }
        while !stop.load(Ordering::Relaxed) {
            self.assign_found(&mut catch_up);
            // With records waiting in a partly filled batch, only take what is already here;
            // once nothing is, they go to their workers.
            let wait = if self.workers.has_open() {
                Duration::ZERO
            } else {
                Duration::from_millis(100)
            };
            let Some(result) = self.consumer.poll(wait) else {
                self.workers.flush();
                continue;
            };
            match result {
                Ok(message) => self.hand(&message, &mut catch_up),
                Err(KafkaError::PartitionEOF(_)) => {
                    // The EOF names no topic: ask the consumer where each partition stands. Its
                    // position has passed records it consumed without handing them over
                    // (transaction markers), which are then not lag.
                    let positions = self.consumer.position().ok();
                    if let Some(positions) = &positions {
                        self.reach_positions(positions);
                    }
                    if !catch_up.is_done() {
                        if let Some(positions) = &positions {
                            advance_from_positions(positions, &mut catch_up);
                        }
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
        // A worker waiting for the schema registry stops waiting (its record stays unapplied).
        if let Some(formats) = self.applier.formats() {
            formats.registry().halt();
        }
        self.workers.stop();
    }

    /// Hands a message to its partition's worker; catch-up counts it as handed over, and is
    /// only published as done once the workers applied everything (see `publish`).
    fn hand(&mut self, message: &BorrowedMessage<'_>, catch_up: &mut CatchUp) {
        let topic = message.topic();
        let Some(kind) = self.topics.kind_of(topic) else {
            return;
        };
        let (partition, offset) = (message.partition(), message.offset());
        let Some(progress) = self.index.get(topic).and_then(|t| t.get(&partition)) else {
            return;
        };
        self.workers.hand(Handed {
            kind,
            partition: progress,
            offset,
            timestamp_ms: message.timestamp().to_millis(),
            key: message.key(),
            value: message.payload(),
            header: super::formats::schema_header(self.applier.formats(), message),
        });
        if !catch_up.is_done() && catch_up.advance(topic, partition, offset + 1) {
            self.publish(catch_up);
        }
    }

    /// Moves each partition's applied position up to the consumer's position, through the
    /// partition's worker (after the records handed to it before).
    fn reach_positions(&mut self, positions: &TopicPartitionList) {
        for element in positions.elements() {
            if let Offset::Offset(next) = element.offset() {
                if let Some(p) = self
                    .index
                    .get(element.topic())
                    .and_then(|t| t.get(&element.partition()))
                {
                    self.workers.reached(p, next);
                }
            }
        }
    }

    /// Publishes catch-up progress; every record handed over is applied and the views'
    /// summaries are complete before it says ready.
    fn publish(&mut self, catch_up: &CatchUp) {
        if catch_up.is_done() {
            self.workers.sync();
            end_bulk(self.applier.storefronts());
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

impl ConsumeLoop<'_> {
    /// Assigns partitions the watcher found, from their beginning; they count in lag at once,
    /// and in readiness while start-up is still catching up.
    fn assign_found(&mut self, catch_up: &mut CatchUp) {
        let Some(found) = &self.found else {
            return;
        };
        while let Ok(new) = found.try_recv() {
            let Some(kind) = self.topics.kind_of(&new.topic) else {
                continue;
            };
            let mut list = TopicPartitionList::new();
            if list
                .add_partition_offset(&new.topic, new.partition, Offset::Beginning)
                .is_err()
            {
                continue;
            }
            if let Err(error) = self.consumer.incremental_assign(&list) {
                tracing::warn!(topic = new.topic, partition = new.partition, %error, "cannot assign a new partition");
                continue;
            }
            tracing::info!(
                topic = new.topic,
                partition = new.partition,
                "assigned a new partition"
            );
            let handle = self
                .progress
                .register(&new.topic, new.partition, kind, new.low, new.high);
            if !catch_up.is_done() {
                catch_up.track(&new.topic, new.partition, new.low, new.high);
                catch_up.publish_to(self.readiness);
            }
            self.index
                .entry(new.topic)
                .or_default()
                .insert(new.partition, handle);
        }
    }
}

/// Ends the bulk load (summaries and indexes), logging how long the summaries took.
fn end_bulk(fronts: &crate::views::storefronts::Storefronts) {
    let started = Instant::now();
    fronts.end_bulk();
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "bulk load ended: product summaries computed"
    );
}

/// Sizes the views for the records a replay will bring (at most one key per message).
fn reserve_for_replay(catalog: &crate::views::Catalog, index: &PartitionIndex) {
    let mut messages = std::collections::HashMap::new();
    for partition in index.values().flat_map(|t| t.values()) {
        *messages.entry(partition.kind).or_insert(0usize) += partition.lag() as usize;
    }
    for (kind, count) in messages {
        catalog.reserve(kind, count);
    }
}

fn advance_from_positions(positions: &TopicPartitionList, catch_up: &mut CatchUp) {
    for (topic, partition) in catch_up.pending_partitions() {
        if let Some(Offset::Offset(next)) = positions
            .find_partition(&topic, partition)
            .map(|e| e.offset())
        {
            catch_up.advance(&topic, partition, next);
        }
    }
}
