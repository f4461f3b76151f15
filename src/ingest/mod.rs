//! Ingest: the Kafka source. One client configuration, the assignment of every partition of the
//! view topics, the consume loop, catch-up, and the one decode-and-apply path
//! ([`Applier`]) that every record takes, from Kafka, a snapshot or the demo baseline.

pub mod applier;
pub mod assign;
mod batch_span;
pub mod catch_up;
pub mod client;
pub mod consumer;
mod context;
pub mod formats;
pub mod partitions;
pub mod waiting;
pub mod workers;

pub use applier::{Applier, Origin};
pub use assign::{StartAt, Watermarks};
pub use client::KafkaClient;
pub use consumer::{spawn_consumer, ConsumerHandle, IngestError, IngestParts, StartPlan};
pub use formats::TopicFormats;
