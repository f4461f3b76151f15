//! Snapshots: a view's state as a zstd-compressed stream of event records with a header naming
//! the Kafka offsets (or only the time) it covers. Read at start-up from a file or an http(s)
//! URL, streamed; written by Vitrine itself, atomically, keeping the last few. See
//! `docs/snapshots.md`.

pub mod format;
pub mod reader;
pub mod writer;

pub use format::{Header, PartitionOffset, SnapshotError};
pub use reader::{load, LoadReport, Source};
pub use writer::{list_snapshots, write_snapshot};
