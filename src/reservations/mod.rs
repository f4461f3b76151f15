//! The write half of stock reservations: `reserve` and `releaseReservation` put one event per
//! line on `vitrine.reservations` (keyed by SKU) and wait, bounded, until this replica has
//! applied them. What is held is decided by the log, identically on every replica (see
//! `views::holds`); this desk only asks and reads the answer back. "There is only one path."

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::digest::sha256_hex;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::config::ReservationSettings;
use crate::events::reservation::{hold, release};
use crate::ingest::KafkaClient;
use crate::views::holds::Reservation;
use crate::views::Catalog;

/// Why a reservation call was refused; each has a stable GraphQL code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReserveError {
    #[error("reservations are off (no reservations topic configured)")]
    Disabled,
    #[error("{0}")]
    Invalid(String),
    #[error("a reservation takes at most {max} lines of at most {max_quantity} units each")]
    TooLarge { max: usize, max_quantity: i32 },
    #[error("this client already holds {max} reservations")]
    TooManyHolds { max: usize },
    #[error("no reservation `{0}`")]
    NotFound(String),
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

/// Produces reservation events and reads their decisions back from the views.
pub struct ReservationDesk {
    producer: Option<(FutureProducer, String)>,
    catalog: Arc<Catalog>,
    settings: ReservationSettings,
}

impl std::fmt::Debug for ReservationDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReservationDesk")
            .field("enabled", &self.producer.is_some())
            .finish_non_exhaustive()
    }
}

/// The reservation id an idempotency key stands for: the same on every replica.
pub fn reservation_id(idempotency_key: &str) -> String {
    format!("r_{}", &sha256_hex(idempotency_key)[..32])
}

impl ReservationDesk {
    /// A desk writing to `topic` on `client`'s cluster; `None` topic: reservations are off.
    pub fn new(
        client: Option<&KafkaClient>,
        topic: &str,
        catalog: Arc<Catalog>,
        settings: ReservationSettings,
    ) -> Result<Self, rdkafka::error::KafkaError> {
        let producer = match client.filter(|_| !topic.is_empty()) {
            Some(client) => {
                let producer: FutureProducer = client
                    .config(|c| {
                        c.set("linger.ms", "0")
                            .set("acks", "all")
                            .set("enable.idempotence", "true")
                            .set("message.timeout.ms", settings.wait_ms.max(1).to_string());
                    })
                    .create()?;
                Some((producer, topic.to_string()))
            }
            None => None,
        };
        Ok(Self {
            producer,
            catalog,
            settings,
        })
    }

    /// A desk that refuses everything (tests and tools without Kafka).
    pub fn disabled(catalog: Arc<Catalog>, settings: ReservationSettings) -> Self {
        Self {
            producer: None,
            catalog,
            settings,
        }
    }

    fn wait(&self) -> Duration {
        Duration::from_millis(self.settings.wait_ms.max(1))
    }

    /// Holds stock for `lines`; the same `idempotency_key` always means the same reservation.
    pub async fn reserve(
        &self,
        lines: Vec<ReserveLine>,
        idempotency_key: &str,
        ttl_secs: Option<i64>,
        client: &str,
    ) -> Result<Arc<Reservation>, ReserveError> {
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
        let id = reservation_id(idempotency_key);
        if let Some(known) = self.catalog.reservation(&id).filter(|r| r.is_decided()) {
            return Ok(known);
        }
        self.check_client(client)?;
        let count = lines.len() as u32;
        let started = Instant::now();
        for (sku, quantity) in &lines {
            let payload = hold(&id, sku, *quantity, ttl_secs * 1000, client, count).to_string();
            self.send(producer, topic, sku, &payload).await?;
        }
        let decided = |c: &Catalog| c.reservation(&id).filter(|r| r.is_decided());
        self.read_back(started, decided).await
    }

    /// Ends a reservation's holds.
    pub async fn release(&self, id: &str) -> Result<Arc<Reservation>, ReserveError> {
        let Some((producer, topic)) = &self.producer else {
            return Err(ReserveError::Disabled);
        };
        let Some(known) = self.catalog.reservation(id) else {
            return Err(ReserveError::NotFound(id.to_string()));
        };
        let started = Instant::now();
        let held: Vec<String> = known
            .lines
            .values()
            .filter(|l| l.held > 0 && l.ended.is_none())
            .map(|l| l.sku.clone())
            .collect();
        for sku in &held {
            self.send(producer, topic, sku, &release(id, sku).to_string())
                .await?;
        }
        let ended = |c: &Catalog| {
            c.reservation(id).filter(|r| {
                held.iter()
                    .all(|s| r.lines.get(s).is_some_and(|l| l.ended.is_some()))
            })
        };
        self.read_back(started, ended).await
    }

    /// Lines of one SKU are merged; sizes checked.
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
        Ok(merged)
    }

    /// Active holds of one client, as this replica sees them.
    fn check_client(&self, client: &str) -> Result<(), ReserveError> {
        let max = self.settings.max_per_client;
        if self.catalog.active_reservations_of(client) >= max {
            return Err(ReserveError::TooManyHolds { max });
        }
        Ok(())
    }

    async fn send(
        &self,
        producer: &FutureProducer,
        topic: &str,
        key: &str,
        payload: &str,
    ) -> Result<(), ReserveError> {
        let record = FutureRecord::to(topic).key(key).payload(payload);
        match tokio::time::timeout(self.wait(), producer.send(record, self.wait())).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err((error, _))) => Err(ReserveError::Unavailable(error.to_string())),
            Err(_) => Err(ReserveError::Timeout {
                ms: self.settings.wait_ms,
            }),
        }
    }

    /// Waits (bounded by `wait_ms` from `started`) until this replica's views show `done`.
    async fn read_back(
        &self,
        started: Instant,
        done: impl Fn(&Catalog) -> Option<Arc<Reservation>>,
    ) -> Result<Arc<Reservation>, ReserveError> {
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(found) = done(&self.catalog) {
                return Ok(found);
            }
            if started.elapsed() >= self.wait() {
                return Err(ReserveError::Timeout {
                    ms: self.settings.wait_ms,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }
}
