//! The demo: a deterministic generated catalog and its markets, the publisher, librdkafka's
//! in-process cluster, the embedded default that `vitrine` runs with no broker configured, and
//! the `vitrine feed` command that publishes the same catalog to a real Kafka. A client of the
//! production paths (events, ingest), never a shortcut around them.

pub mod banners;
pub mod cluster;
pub mod embedded;
pub mod encoder;
pub mod feed;
pub mod generator;
pub mod markets;
pub mod publisher;

pub use cluster::EmbeddedCluster;
pub use embedded::{load_baseline, Demo};
pub use generator::CatalogGenerator;
pub use publisher::{ensure_topics, Publisher};
