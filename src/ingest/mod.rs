//! Ingest: Kafka consumer, event decoding, the demo cluster and the feed publisher.
//!
//! Everything that reaches the views goes through [`applier::Applier`]: decode, version rule, count.

pub mod applier;
pub mod assign;
pub mod bootstrap;
pub mod consumer;
pub mod decode;
pub mod decode_intl;
pub mod demo;
pub mod encode;
pub mod generator;
pub mod markets;
pub mod progress;
pub mod publisher;
pub mod readiness;
pub mod snapshots;
pub mod stats;
pub mod status;

pub use applier::{Applier, Origin};
pub use consumer::{spawn_consumer, ConsumerHandle, IngestError, IngestParts, TopicMap};
pub use readiness::Readiness;
pub use stats::IngestStats;
pub use status::IngestStatus;
