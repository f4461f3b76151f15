//! The decider's loop: follows the partitions the group gives it, decides their hold requests
//! (see `decider` for the protocol), commits what is acknowledged and ticks idle partitions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

use super::decider::DeciderParts;
use crate::clock::unix_ms;
use crate::events::decode;
use crate::events::reservation::{decision, tick, TICK_KEY};
use crate::status::Progress;
use crate::views::holds::{HoldRequest, ReservationEvent};
use crate::views::{Change, StockAndPrices, ViewKind};

/// One owned partition.
pub(super) struct Owned {
    /// The partition's end when it was assigned: decisions before it must be applied here
    /// before this replica decides anything in it.
    caught_up_to: i64,
    ready: bool,
    /// The clock of the partition's last decision or tick (decisions never go back in time).
    last_at_ms: i64,
    last_tick: Instant,
}

pub(super) struct Decider {
    pub(super) consumer: BaseConsumer,
    pub(super) producer: FutureProducer,
    pub(super) parts: DeciderParts,
    pub(super) owned: HashMap<i32, Owned>,
    pub(super) stop: Arc<AtomicBool>,
}

type Delivery = rdkafka::producer::DeliveryFuture;

/// What became of one request.
enum Outcome {
    Sent(Delivery),
    /// This replica already shows its line: nothing to write.
    AlreadyDecided,
    /// Not written (the partition was handed over, or the producer's queue is full).
    NotSent,
}

/// One polled message: partition, offset, key and payload.
struct Polled {
    partition: i32,
    offset: i64,
    key: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    /// The message's own timestamp (its producer's clock), to leave requests nobody waits for.
    timestamp_ms: Option<i64>,
}

impl Decider {
    pub(super) fn run(mut self) {
        tracing::info!(topic = %self.parts.topic, group = %self.parts.settings.decider_group, "reservation decider started");
        while !self.stop.load(Ordering::Relaxed) {
            let batch = self.poll_batch();
            self.follow_assignment();
            if !batch.is_empty() {
                self.decide(batch);
            }
            self.tick();
        }
        self.consumer.unsubscribe();
        self.parts.status.set_partitions(vec![]);
        tracing::info!("reservation decider stopped");
    }

    /// Up to 256 messages, waiting at most 50 ms for the first.
    fn poll_batch(&self) -> Vec<Polled> {
        let mut batch = Vec::new();
        let mut wait = Duration::from_millis(50);
        while batch.len() < 256 {
            match self.consumer.poll(wait) {
                Some(Ok(m)) => batch.push(Polled {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    payload: m.payload().map(<[u8]>::to_vec),
                    timestamp_ms: m.timestamp().to_millis(),
                }),
                Some(Err(error)) => {
                    tracing::warn!(%error, "reservation decider: consumer error");
                    break;
                }
                None => break,
            }
            wait = Duration::ZERO;
        }
        batch
    }

    /// Notices partitions given and taken away.
    fn follow_assignment(&mut self) {
        let Ok(assignment) = self.consumer.assignment() else {
            return;
        };
        let now: Vec<i32> = assignment
            .elements()
            .iter()
            .map(|e| e.partition())
            .collect();
        self.parts.status.set_partitions(now.clone());
        self.owned.retain(|p, _| {
            let keep = now.contains(p);
            if !keep {
                tracing::info!(partition = p, "reservation decider: partition handed over");
            }
            keep
        });
        for partition in now {
            if self.owned.contains_key(&partition) {
                continue;
            }
            let end = self
                .consumer
                .fetch_watermarks(&self.parts.topic, partition, Duration::from_secs(5))
                .map_or(0, |(_, high)| high);
            tracing::info!(partition, end, "reservation decider: owns partition");
            self.owned.insert(
                partition,
                Owned {
                    caught_up_to: end,
                    ready: false,
                    last_at_ms: 0,
                    last_tick: Instant::now(),
                },
            );
        }
    }

    /// Whether this replica has applied `partition` up to where it was when assigned (waits up
    /// to `wait` for it).
    fn caught_up(&mut self, partition: i32, wait: Duration) -> bool {
        let Some(owned) = self.owned.get_mut(&partition) else {
            return false;
        };
        if owned.ready {
            return true;
        }
        let applied = |progress: &Progress| {
            progress
                .partitions()
                .iter()
                .find(|p| p.topic == self.parts.topic && p.partition == partition)
                .map_or(-1, |p| p.next_offset())
        };
        let deadline = Instant::now() + wait;
        loop {
            if applied(&self.parts.progress) >= owned.caught_up_to {
                owned.ready = true;
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn decide(&mut self, batch: Vec<Polled>) {
        if batch.iter().any(|m| !self.owned.contains_key(&m.partition)) {
            self.follow_assignment();
        }
        let mut deliveries: Vec<(i32, i64, Delivery)> = Vec::new();
        let mut first_of: HashMap<i32, i64> = HashMap::new();
        let mut next_of: HashMap<i32, i64> = HashMap::new();
        let mut retry: Vec<(i32, i64)> = Vec::new();
        for Polled {
            partition,
            offset,
            key,
            payload,
            timestamp_ms,
        } in batch
        {
            first_of.entry(partition).or_insert(offset);
            if retry.iter().any(|(p, _)| *p == partition) {
                continue; // already going back for this partition
            }
            if !self.caught_up(partition, Duration::from_millis(200)) {
                retry.push((partition, offset));
                continue;
            }
            let request = requested(key.as_deref(), payload.as_deref())
                .filter(|_| !self.long_past(timestamp_ms));
            if let Some(request) = request {
                match self.decide_one(partition, &request) {
                    Outcome::Sent(delivery) => deliveries.push((partition, offset, delivery)),
                    Outcome::AlreadyDecided => {}
                    // Never committed past: this request is decided here later or by the
                    // partition's next owner.
                    Outcome::NotSent => {
                        retry.push((partition, offset));
                        continue;
                    }
                }
            }
            next_of.insert(partition, offset + 1);
        }
        // Commit only what is acknowledged: a partition whose decision failed goes back to the
        // first request of this batch (deciding some twice is harmless).
        for (partition, offset, delivery) in deliveries {
            let acked = futures::executor::block_on(delivery).is_ok_and(|r| r.is_ok());
            if !acked && !retry.iter().any(|(p, _)| *p == partition) {
                tracing::warn!(
                    partition,
                    offset,
                    "reservation decider: a decision was not acknowledged; deciding again"
                );
                retry.push((partition, first_of[&partition]));
            }
        }
        let mut commit = TopicPartitionList::new();
        for (partition, next) in next_of {
            if !retry.iter().any(|(p, _)| *p == partition) {
                let _ =
                    commit.add_partition_offset(&self.parts.topic, partition, Offset::Offset(next));
            }
        }
        if commit.count() > 0 {
            // Asynchronous: the loop goes on deciding; librdkafka sends commits in order.
            if let Err(error) = self.consumer.commit(&commit, CommitMode::Async) {
                tracing::warn!(%error, "reservation decider: commit failed (requests may be decided again, harmlessly)");
            }
        }
        for (partition, offset) in retry {
            let _ = self.consumer.seek(
                &self.parts.topic,
                partition,
                Offset::Offset(offset),
                Duration::from_secs(1),
            );
        }
    }

    /// Records the decision for one request, unless this replica already shows its line.
    fn decide_one(&mut self, partition: i32, request: &HoldRequest) -> Outcome {
        let catalog = &self.parts.catalog;
        if catalog
            .reservation(&request.id)
            .is_some_and(|r| r.lines.contains_key(&request.sku))
        {
            return Outcome::AlreadyDecided;
        }
        let on_hand = catalog.inventory(&request.sku).map_or(0, |i| i.available);
        let Some(owned) = self.owned.get_mut(&partition) else {
            return Outcome::NotSent; // handed over meanwhile
        };
        let at_ms = unix_ms().max(owned.last_at_ms);
        owned.last_at_ms = at_ms;
        owned.last_tick = Instant::now();
        let settings = &self.parts.settings;
        let record = decision(
            request,
            on_hand,
            at_ms,
            at_ms.saturating_sub(settings.remember_secs.saturating_mul(1000)),
            settings.max_active_per_sku.max(1),
        )
        .to_string();
        let message = FutureRecord::to(&self.parts.topic)
            .partition(partition)
            .key(&request.sku)
            .payload(&record);
        match self.producer.send_result(message) {
            Ok(delivery) => {
                self.parts.status.record_decided();
                Outcome::Sent(delivery)
            }
            Err((error, _)) => {
                tracing::warn!(%error, partition, "reservation decider: cannot enqueue a decision");
                Outcome::NotSent
            }
        }
    }

    /// Moves the clock of owned partitions that had nothing to decide for `tick_ms`, while the
    /// views remember any line (an idle topic gets no ticks).
    fn tick(&mut self) {
        let every = Duration::from_millis(self.parts.settings.tick_ms.max(10));
        if self.parts.catalog.remembered_reservations() == 0 {
            return;
        }
        let remember_ms = self.parts.settings.remember_secs.saturating_mul(1000);
        let due: Vec<i32> = self
            .owned
            .iter()
            .filter(|(_, o)| o.last_tick.elapsed() >= every)
            .map(|(p, _)| *p)
            .collect();
        let mut sent = Vec::new();
        for partition in due {
            if !self.caught_up(partition, Duration::ZERO) {
                continue;
            }
            let Some(owned) = self.owned.get_mut(&partition) else {
                continue;
            };
            let at_ms = unix_ms().max(owned.last_at_ms);
            owned.last_at_ms = at_ms;
            owned.last_tick = Instant::now();
            let record = tick(at_ms.saturating_sub(remember_ms)).to_string();
            let message = FutureRecord::to(&self.parts.topic)
                .partition(partition)
                .key(TICK_KEY)
                .payload(&record);
            if let Ok(delivery) = self.producer.send_result(message) {
                self.parts.status.record_tick();
                sent.push(delivery);
            }
        }
        for delivery in sent {
            let _ = futures::executor::block_on(delivery);
        }
    }
}

impl Decider {
    /// A request older than the longest hold is left undecided: nobody waits for it any more
    /// (a client retries with its key), and a decision now would hold stock for a cart long
    /// gone; e.g. the requests a topic still holds from before deciders existed.
    fn long_past(&self, timestamp_ms: Option<i64>) -> bool {
        let max_ttl_ms = self.parts.settings.max_ttl_secs.saturating_mul(1000);
        timestamp_ms.is_some_and(|at| unix_ms().saturating_sub(at) > max_ttl_ms)
    }
}

/// The hold request a message carries, if it is one.
fn requested(key: Option<&[u8]>, payload: Option<&[u8]>) -> Option<HoldRequest> {
    match decode(ViewKind::Reservations, key, payload) {
        Ok(Change::Reservation(ReservationEvent::Request(request))) => Some(request),
        _ => None,
    }
}
