//! Partitions added to a view topic while running: a watcher thread re-reads topic metadata
//! every `kafka.partition_refresh_ms` and hands each new partition (with its watermarks) to the
//! consume loop, which assigns it from its beginning.
//!
//! The watcher has its own client so that a slow or vanished broker never blocks the consume
//! loop (or shutdown) on a metadata request.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;

use super::client::KafkaClient;
use crate::events::TopicMap;

/// A partition the consumer does not have yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartition {
    pub topic: String,
    pub partition: i32,
    pub low: i64,
    pub high: i64,
}

/// Starts the watcher; `known` are the partitions assigned at start.
pub fn spawn_watcher(
    client: &KafkaClient,
    topics: &TopicMap,
    known: HashSet<(String, i32)>,
    every: Duration,
    timeout: Duration,
    stop: Arc<AtomicBool>,
) -> Result<(Receiver<NewPartition>, JoinHandle<()>), KafkaError> {
    let consumer: BaseConsumer = client
        .config(|c| {
            c.set("group.id", format!("{}-unused", client.client_id()));
        })
        .create()?;
    let names: Vec<String> = topics.names().map(str::to_string).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("vitrine-partitions".into())
        .spawn(move || watch(&consumer, &names, known, every, timeout, &stop, &tx))
        .expect("spawning a thread");
    Ok((rx, handle))
}

fn watch(
    consumer: &BaseConsumer,
    topics: &[String],
    mut known: HashSet<(String, i32)>,
    every: Duration,
    timeout: Duration,
    stop: &AtomicBool,
    found: &Sender<NewPartition>,
) {
    loop {
        let started = Instant::now();
        while started.elapsed() < every {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50).min(every));
        }
        for topic in topics {
            let new = match new_partitions(consumer, topic, &known, timeout) {
                Ok(new) => new,
                Err(error) => {
                    tracing::debug!(topic, %error, "partition refresh failed; retrying later");
                    continue;
                }
            };
            for p in new {
                tracing::info!(
                    topic = p.topic,
                    partition = p.partition,
                    high = p.high,
                    "new partition found"
                );
                known.insert((p.topic.clone(), p.partition));
                if found.send(p).is_err() {
                    return; // the consume loop is gone
                }
            }
        }
    }
}

fn new_partitions(
    consumer: &BaseConsumer,
    topic: &str,
    known: &HashSet<(String, i32)>,
    timeout: Duration,
) -> Result<Vec<NewPartition>, KafkaError> {
    let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
    let mut out = vec![];
    for meta in metadata.topics().iter().filter(|t| t.name() == topic) {
        for partition in meta.partitions() {
            let id = partition.id();
            if known.contains(&(topic.to_string(), id)) {
                continue;
            }
            let (low, high) = consumer.fetch_watermarks(topic, id, timeout)?;
            out.push(NewPartition {
                topic: topic.to_string(),
                partition: id,
                low,
                high,
            });
        }
    }
    Ok(out)
}
