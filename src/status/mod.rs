//! How the views stand: ingest progress per partition, readiness, the ingest counters and the
//! report built from them. Ingest writes it (through methods named for what happened); health,
//! `viewStatus`, response extensions, metrics and snapshots read it.

pub mod decider;
pub mod progress;
pub mod readiness;
pub mod report;
pub mod stats;

pub use decider::DeciderStatus;
pub use progress::{PartitionOffset, PartitionProgress, Progress, SnapshotLoaded, ViewFreshness};
pub use readiness::Readiness;
pub use report::{IngestStatus, StatusReport};
pub use stats::IngestStats;
