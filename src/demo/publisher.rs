//! Publishing records to the view topics, and creating them: used by `vitrine feed`, the demo
//! trickle and tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;

use crate::events::{Record, TopicMap};
use crate::ingest::KafkaClient;

/// Counts deliveries the broker did not acknowledge.
#[derive(Debug, Default, Clone)]
pub struct DeliveryFailures(Arc<AtomicU64>);

impl ClientContext for DeliveryFailures {}

impl ProducerContext for DeliveryFailures {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, _)) = result {
            self.0.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, "delivery failed");
        }
    }
}

/// A producer bound to the view topics.
pub struct Publisher {
    producer: ThreadedProducer<DeliveryFailures>,
    failures: DeliveryFailures,
    topics: TopicMap,
    /// Value bytes queued so far (what the topics carry, for comparing formats).
    value_bytes: Arc<AtomicU64>,
    /// Binary topics' schemas (`None`: every topic JSON).
    encoders: Option<std::sync::Arc<super::encoder::Encoders>>,
}

impl Publisher {
    /// A publisher to the cluster at `brokers`, with default client settings.
    pub fn connect(brokers: &str, topics: TopicMap) -> Result<Self, KafkaError> {
        Self::connect_to(&KafkaClient::at(brokers), topics)
    }

    pub fn connect_to(client: &KafkaClient, topics: TopicMap) -> Result<Self, KafkaError> {
        let failures = DeliveryFailures::default();
        let producer = client
            .config(|c| {
                c.set("linger.ms", "5")
                    .set("queue.buffering.max.messages", "200000")
                    .set("message.timeout.ms", "30000");
            })
            .create_with_context(failures.clone())?;
        Ok(Self {
            producer,
            failures,
            topics,
            value_bytes: Arc::default(),
            encoders: None,
        })
    }

    /// Writes binary topics' records with `encoders`.
    pub fn with_encoders(mut self, encoders: Option<super::encoder::Encoders>) -> Self {
        self.encoders = encoders.map(std::sync::Arc::new);
        self
    }

    /// Queues one record, waiting while the local queue is full.
    pub fn send(&self, record: &Record) -> Result<(), KafkaError> {
        let Some(topic) = self.topics.topic_of(record.kind) else {
            return Err(KafkaError::MessageProduction(
                RDKafkaErrorCode::UnknownTopic,
            ));
        };
        self.send_to(topic, record)
    }

    /// Queues one record on `topic`, and, for a price, the outlet's price on every other price
    /// list of the topic map (see `demo::banners`).
    pub fn send_with_lists(&self, record: &Record) -> Result<(), KafkaError> {
        self.send(record)?;
        if let Some(derived) = super::banners::outlet_price(record) {
            for topic in self.topics.other_price_lists() {
                self.send_to(&topic, &derived)?;
            }
        }
        Ok(())
    }

    /// Queues one record on `topic`, waiting while the local queue is full.
    pub fn send_to(&self, topic: &str, record: &Record) -> Result<(), KafkaError> {
        let encoded = match (&self.encoders, &record.payload) {
            (Some(encoders), Some(payload)) => encoders.encode(topic, payload).map_err(|e| {
                tracing::error!(
                    topic,
                    key = record.key,
                    error = e,
                    "cannot encode the record"
                );
                KafkaError::MessageProduction(RDKafkaErrorCode::InvalidRecord)
            })?,
            _ => None,
        };
        let payload = encoded.as_deref().or(record.payload.as_deref());
        let size = payload.map_or(0, <[u8]>::len) as u64;
        self.value_bytes.fetch_add(size, Ordering::Relaxed);
        loop {
            let mut message = BaseRecord::to(topic).key(record.key.as_bytes());
            if let Some(payload) = payload {
                message = message.payload(payload);
            }
            match self.producer.send(message) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err((error, _)) => return Err(error),
            }
        }
    }

    /// Value bytes queued so far (tombstones count none).
    pub fn value_bytes(&self) -> u64 {
        self.value_bytes.load(Ordering::Relaxed)
    }

    /// Waits for every queued record to be acknowledged; returns how many failed so far.
    pub fn flush(&self, timeout: Duration) -> Result<u64, KafkaError> {
        self.producer.flush(timeout)?;
        Ok(self.failures.0.load(Ordering::Relaxed))
    }
}

/// Creates the view topics if they do not exist yet.
pub async fn ensure_topics(
    brokers: &str,
    topics: &TopicMap,
    partitions: i32,
) -> Result<(), KafkaError> {
    ensure_topics_on(&KafkaClient::at(brokers), topics, partitions).await
}

/// [`ensure_topics`] with the client settings of `client`.
pub async fn ensure_topics_on(
    client: &KafkaClient,
    topics: &TopicMap,
    partitions: i32,
) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = client.config(|_| {}).create()?;
    let new_topics: Vec<NewTopic<'_>> = topics
        .topics
        .iter()
        .map(|(name, _)| NewTopic::new(name, partitions, TopicReplication::Fixed(1)))
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin.create_topics(&new_topics, &options).await? {
        match result {
            Ok(topic) => tracing::info!(topic, partitions, "created topic"),
            Err((topic, RDKafkaErrorCode::TopicAlreadyExists)) => {
                tracing::debug!(topic, "topic exists")
            }
            Err((topic, code)) => {
                return Err(KafkaError::AdminOp(code)).inspect_err(|_| {
                    tracing::error!(topic, ?code, "cannot create topic");
                })
            }
        }
    }
    Ok(())
}
