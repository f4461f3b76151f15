//! The decider: the one replica that owns a reservations partition (through the consumer group
//! `reservations.decider_group`) decides its hold requests and records each decision in the
//! log, with what it read from outside the partition (the SKU's on-hand count and its clock).
//! Every replica applies the recorded decisions and never decides itself (`views::holds`).
//!
//! Hand-over: when the owner dies, the group gives its partitions to another member within the
//! session timeout. The new owner first applies the partition up to its end as it was at
//! assignment, so it knows every decision written before; it then re-reads from the last
//! committed offset (committed only after the decisions before it were acknowledged) and skips
//! requests whose line it already shows. A decision written twice anyway (a zombie owner, a
//! decision not yet read back) is harmless: the first one in the log wins on every replica.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::FutureProducer;

use super::deciding::Decider;
use crate::config::ReservationSettings;
use crate::ingest::KafkaClient;
use crate::status::{DeciderStatus, Progress};
use crate::views::Catalog;

/// The idempotent producer requests and decisions go out through.
pub fn producer(
    client: &KafkaClient,
    settings: &ReservationSettings,
) -> Result<FutureProducer, KafkaError> {
    client
        .config(|c| {
            c.set("linger.ms", "0")
                .set("acks", "all")
                .set("enable.idempotence", "true")
                .set("message.timeout.ms", settings.wait_ms.max(1000).to_string());
        })
        .create()
}

/// A running decider; stops (and leaves the group, handing its partitions over) when dropped.
pub struct DeciderHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DeciderHandle {
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for DeciderHandle {
    fn drop(&mut self) {
        self.halt();
    }
}

/// What the decider needs from the rest of the replica.
pub struct DeciderParts {
    pub topic: String,
    pub catalog: Arc<Catalog>,
    pub progress: Arc<Progress>,
    pub status: Arc<DeciderStatus>,
    pub settings: ReservationSettings,
}

/// Joins the deciders' group and decides the partitions it is given, on a thread of its own.
pub fn spawn_decider(
    client: &KafkaClient,
    parts: DeciderParts,
) -> Result<DeciderHandle, KafkaError> {
    let settings = &parts.settings;
    let session = settings.decider_session_timeout_ms.max(1000);
    let consumer: BaseConsumer = client
        .config(|c| {
            c.set("group.id", &settings.decider_group)
                .set("enable.auto.commit", "false")
                .set("auto.offset.reset", "earliest")
                .set("session.timeout.ms", session.to_string())
                .set("heartbeat.interval.ms", (session / 3).max(100).to_string())
                // Incremental hand-over: a member joining or dying moves only the partitions
                // that must move, the others keep being decided (and tansu, the test broker,
                // reassigns a dead member's partitions only this way).
                .set("partition.assignment.strategy", "cooperative-sticky")
                .set("fetch.wait.max.ms", "10")
                .set("enable.partition.eof", "false");
        })
        .create()?;
    consumer.subscribe(&[&parts.topic])?;
    let producer = producer(client, settings)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("reservation-decider".into())
        .spawn(move || {
            Decider {
                consumer,
                producer,
                parts,
                owned: HashMap::new(),
                stop: flag,
            }
            .run()
        })
        .map_err(|e| KafkaError::Subscription(e.to_string()))?;
    Ok(DeciderHandle {
        stop,
        thread: Some(thread),
    })
}
