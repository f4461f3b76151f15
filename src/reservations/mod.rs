//! The write half of stock reservations. `reserve` puts one hold request per line on
//! `vitrine.reservations` (keyed by SKU); the replica that owns the line's partition decides it
//! and records the decision in the log ([`decider`]); every replica applies the decisions alike
//! (`views::holds`), and the desk waits, bounded, until this replica shows them. Releases and
//! checkout against a reservation need its owner's token ([`ownership`]).

pub mod decider;
mod deciding;
pub mod ownership;
pub mod pools;
pub mod topic_check;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::config::ReservationSettings;
use crate::events::reservation::{hold, release};
use crate::ingest::KafkaClient;
use crate::views::holds::{HoldRequest, Reservation};
use crate::views::Catalog;
pub use ownership::Ownership;

/// Why a reservation call was refused; each has a stable GraphQL code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReserveError {
    #[error("reservations are off (no reservations topic configured)")]
    Disabled,
    #[error("{0}")]
    Invalid(String),
    #[error("a reservation takes at most {max} lines of at most {max_quantity} units each")]
    TooLarge { max: usize, max_quantity: i32 },
    #[error("this client already has {max} reservations")]
    TooManyHolds { max: usize },
    #[error("no variant has SKU `{0}`")]
    UnknownSku(String),
    #[error("no reservation `{0}`")]
    NotFound(String),
    /// The token does not prove ownership (said the same way as a missing reservation would
    /// not be: the caller learns nothing about others' reservations but that it is not theirs).
    #[error("reservation `{0}` is not yours (wrong or missing token)")]
    NotOwner(String),
    /// The outcome is unknown: retry with the same idempotency key to read it back.
    #[error(
        "not applied within {ms} ms; the outcome is unknown: retry with the same idempotency key"
    )]
    Timeout { ms: u64 },
    #[error("the reservation could not be written to Kafka: {0}")]
    Unavailable(String),
}

/// One line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveLine {
    pub sku: String,
    pub quantity: i32,
}

/// A reservation with its owner's token.
#[derive(Debug, Clone)]
pub struct Owned {
    pub reservation: Arc<Reservation>,
    pub token: String,
}

/// Produces reservation requests and reads their decisions back from the views.
pub struct ReservationDesk {
    producer: Option<(FutureProducer, String)>,
    catalog: Arc<Catalog>,
    settings: ReservationSettings,
    ownership: Ownership,
    /// Reservations under way per client: counted with the remembered ones, under this lock,
    /// so concurrent calls cannot pass the limit together.
    under_way: Mutex<HashMap<String, usize>>,
}

impl std::fmt::Debug for ReservationDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReservationDesk")
            .field("enabled", &self.producer.is_some())
            .finish_non_exhaustive()
    }
}

/// Frees a client's slot under way when the call ends (or is dropped).
struct UnderWay<'a> {
    desk: &'a ReservationDesk,
    client: String,
}

impl Drop for UnderWay<'_> {
    fn drop(&mut self) {
        let mut under_way = self.desk.lock_under_way();
        if let Some(n) = under_way.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                under_way.remove(&self.client);
            }
        }
    }
}

impl ReservationDesk {
    /// A desk writing to `topic` on `client`'s cluster; no client or topic: reservations are
    /// off.
    pub fn new(
        client: Option<&KafkaClient>,
        topic: &str,
        catalog: Arc<Catalog>,
        settings: ReservationSettings,
        ownership: Ownership,
    ) -> Result<Self, rdkafka::error::KafkaError> {
        let producer = match client.filter(|_| !topic.is_empty()) {
            Some(client) => Some((decider::producer(client, &settings)?, topic.to_string())),
            None => None,
        };
        Ok(Self {
            producer,
            catalog,
            settings,
            ownership,
            under_way: Mutex::default(),
        })
    }

    /// A desk that refuses everything (tests and tools without Kafka).
    pub fn disabled(catalog: Arc<Catalog>, settings: ReservationSettings) -> Self {
        Self {
            producer: None,
            catalog,
            settings,
            ownership: Ownership::new(Vec::new()),
            under_way: Mutex::default(),
        }
    }

    fn lock_under_way(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.under_way
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long to wait: `wait_ms`, or less when the request's own budget ends sooner (a
    /// tenth of it kept back, so the answer is this desk's `RESERVATION_TIMEOUT`, which says
    /// to retry with the key, rather than the request's own timeout).
    fn wait(&self, budget: Option<Duration>) -> Duration {
        let wait = Duration::from_millis(self.settings.wait_ms.max(1));
        budget
            .map_or(wait, |b| wait.min(b - b / 10))
            .max(Duration::from_millis(1))
    }

    fn owned(&self, reservation: Arc<Reservation>) -> Owned {
        let token = self.ownership.token(&reservation.id);
        Owned { reservation, token }
    }

    /// Holds stock for `lines`; the same `idempotency_key` from the same client always means
    /// the same reservation. `budget`: what is left of the request's time.
    pub async fn reserve(
        &self,
        lines: Vec<ReserveLine>,
        idempotency_key: &str,
        ttl_secs: Option<i64>,
        client: &str,
        budget: Option<Duration>,
    ) -> Result<Owned, ReserveError> {
        let Some((producer, topic)) = &self.producer else {
            return Err(ReserveError::Disabled);
        };
        if idempotency_key.is_empty() || idempotency_key.len() > 128 {
            return Err(ReserveError::Invalid(
                "idempotencyKey must be 1 to 128 characters".into(),
            ));
        }
        let lines = self.merged(lines)?;
        let ttl_secs = ttl_secs.unwrap_or(self.settings.default_ttl_secs);
        if !(1..=self.settings.max_ttl_secs).contains(&ttl_secs) {
            return Err(ReserveError::Invalid(format!(
                "ttlSeconds must be between 1 and {}",
                self.settings.max_ttl_secs
            )));
        }
        let id = self.ownership.reservation_id(client, idempotency_key);
        if let Some(known) = self.catalog.reservation(&id).filter(|r| r.is_decided()) {
            return Ok(self.owned(known));
        }
        let _slot = self.take_slot(client, &id)?;
        let started = Instant::now();
        let wait = self.wait(budget);
        let requests: Vec<HoldRequest> = lines
            .iter()
            .map(|(sku, quantity)| HoldRequest {
                id: id.clone(),
                sku: sku.clone(),
                quantity: *quantity,
                ttl_ms: ttl_secs * 1000,
                client: client.to_string(),
                lines: lines.len() as u32,
            })
            .collect();
        let payloads: Vec<(String, String)> = requests
            .iter()
            .map(|r| (r.sku.clone(), hold(r).to_string()))
            .collect();
        self.send_all(producer, topic, &payloads, wait).await?;
        let decided = |c: &Catalog| c.reservation(&id).filter(|r| r.is_decided());
        let found = self.read_back(started, wait, decided).await?;
        Ok(self.owned(found))
    }

    /// Ends a reservation's holds; only its owner's token may.
    pub async fn release(
        &self,
        id: &str,
        token: &str,
        budget: Option<Duration>,
    ) -> Result<Owned, ReserveError> {
        let Some((producer, topic)) = &self.producer else {
            return Err(ReserveError::Disabled);
        };
        let known = self.owned_reservation(id, token)?;
        let started = Instant::now();
        let wait = self.wait(budget);
        let held: Vec<String> = known
            .lines
            .values()
            .filter(|l| l.held > 0 && l.ended.is_none())
            .map(|l| l.sku.clone())
            .collect();
        // Written only now that this replica shows the decisions: each release is in the log
        // after the decision it ends, on every replica.
        let payloads: Vec<(String, String)> = held
            .iter()
            .map(|sku| (sku.clone(), release(id, sku).to_string()))
            .collect();
        self.send_all(producer, topic, &payloads, wait).await?;
        let ended = |c: &Catalog| {
            c.reservation(id).filter(|r| {
                held.iter()
                    .all(|s| r.lines.get(s).is_none_or(|l| l.ended.is_some()))
            })
        };
        let found = self.read_back(started, wait, ended).await?;
        Ok(self.owned(found))
    }

    /// The reservation `id`, if `token` is its owner's.
    pub fn owned_reservation(
        &self,
        id: &str,
        token: &str,
    ) -> Result<Arc<Reservation>, ReserveError> {
        if !self.ownership.owns(id, token) {
            return Err(ReserveError::NotOwner(id.to_string()));
        }
        self.catalog
            .reservation(id)
            .ok_or_else(|| ReserveError::NotFound(id.to_string()))
    }

    /// Lines of one SKU are merged; sizes checked; every SKU must be a known variant's.
    fn merged(&self, lines: Vec<ReserveLine>) -> Result<BTreeMap<String, i32>, ReserveError> {
        let too_large = ReserveError::TooLarge {
            max: self.settings.max_lines,
            max_quantity: self.settings.max_quantity,
        };
        if lines.is_empty() || lines.len() > self.settings.max_lines {
            return Err(too_large);
        }
        let mut merged = BTreeMap::new();
        for line in lines {
            if line.sku.is_empty() || line.sku.len() > 128 || line.quantity < 1 {
                return Err(ReserveError::Invalid(
                    "each line needs a SKU and a quantity of at least 1".into(),
                ));
            }
            let total: &mut i32 = merged.entry(line.sku).or_insert(0);
            *total = total.saturating_add(line.quantity);
            if *total > self.settings.max_quantity {
                return Err(too_large);
            }
        }
        if let Some(unknown) = merged
            .keys()
            .find(|sku| self.catalog.product_of_sku(sku).is_none())
        {
            return Err(ReserveError::UnknownSku(unknown.clone()));
        }
        Ok(merged)
    }

    /// Counts the client's remembered reservations and those under way, and takes a slot if
    /// there is room, in one step (`tests::concurrent_calls_cannot_pass_the_client_limit`).
    fn take_slot(&self, client: &str, id: &str) -> Result<UnderWay<'_>, ReserveError> {
        let max = self.settings.max_per_client;
        let mut under_way = self.lock_under_way();
        let pending = self.catalog.reservation(id).is_some();
        let count = self.catalog.reservations_of(client) + under_way.get(client).unwrap_or(&0);
        // A retry of a reservation already counted takes no new slot's worth of room.
        if count >= max + usize::from(pending) {
            return Err(ReserveError::TooManyHolds { max });
        }
        *under_way.entry(client.to_string()).or_default() += 1;
        Ok(UnderWay {
            desk: self,
            client: client.to_string(),
        })
    }

    /// Enqueues every record before waiting for any, so a request cut short (its deadline, a
    /// client gone) can never leave a reservation with some lines asked and others not.
    async fn send_all(
        &self,
        producer: &FutureProducer,
        topic: &str,
        records: &[(String, String)],
        wait: Duration,
    ) -> Result<(), ReserveError> {
        let mut deliveries = Vec::with_capacity(records.len());
        for (key, payload) in records {
            let record = FutureRecord::to(topic).key(key).payload(payload);
            match producer.send_result(record) {
                Ok(delivery) => deliveries.push(delivery),
                Err((error, _)) => return Err(ReserveError::Unavailable(error.to_string())),
            }
        }
        let all = futures::future::join_all(deliveries);
        match tokio::time::timeout(wait, all).await {
            Err(_) => Err(ReserveError::Timeout {
                ms: wait.as_millis() as u64,
            }),
            Ok(results) => match results.into_iter().find_map(|r| match r {
                Ok(Ok(_)) => None,
                Ok(Err((error, _))) => Some(error.to_string()),
                Err(_) => Some("the producer dropped the message".to_string()),
            }) {
                Some(error) => Err(ReserveError::Unavailable(error)),
                None => Ok(()),
            },
        }
    }

    /// Waits (bounded by `wait` from `started`) until this replica's views show `done`.
    async fn read_back(
        &self,
        started: Instant,
        wait: Duration,
        done: impl Fn(&Catalog) -> Option<Arc<Reservation>>,
    ) -> Result<Arc<Reservation>, ReserveError> {
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(found) = done(&self.catalog) {
                return Ok(found);
            }
            if started.elapsed() >= wait {
                return Err(ReserveError::Timeout {
                    ms: wait.as_millis() as u64,
                });
            }
            tokio::time::sleep(pause).await;
            // A lookup costs well under a microsecond: look often, the answer is a round trip away.
            pause = (pause * 2).min(Duration::from_millis(2));
        }
    }
}

#[cfg(test)]
mod tests;
