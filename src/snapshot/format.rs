//! The snapshot format: one header line, the records, one end line; zstd-compressed with a
//! content checksum. Version 1 (baselines written upstream, and Vitrine's own before version
//! 2) has one JSON line per record:
//!
//! ```text
//! {"format":"vitrine.snapshot","formatVersion":1,"createdAt":"...","offsets":[{"topic":"vitrine.prices","partition":0,"next":1234}]}
//! ["products","p000042",{ ...the product record as on vitrine.products... }]
//! ["prices","p000042-0",{ ...the price record... }]
//! {"end":{"records":2}}
//! ```
//!
//! Version 2 (what Vitrine writes) keeps the header and end lines and puts the records in
//! binary chunks, one zstd frame each, decoded in parallel (see `frames`).

use serde::{Deserialize, Serialize};

pub use crate::status::PartitionOffset;
use crate::views::ViewKind;

pub const FORMAT: &str = "vitrine.snapshot";
/// The version Vitrine writes; it reads this one and version 1.
pub const FORMAT_VERSION: u32 = 2;
/// The line-per-record version, still read (and written for baselines).
pub const JSON_LINES_VERSION: u32 = 1;
/// Version 2 with its chunks in sections, one per topic (several storefronts: see
/// `sections`); written only by a process with banners, so a build without them refuses it.
pub const SECTIONS_VERSION: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    /// RFC 3339 creation time, and the same as Unix milliseconds.
    pub created_at: String,
    pub created_at_ms: i64,
    /// Exact offsets covered (snapshots Vitrine writes): the snapshot holds every record before
    /// each partition's `next`. Empty for a baseline that knows none.
    #[serde(default)]
    pub offsets: Vec<PartitionOffset>,
    /// For a baseline without offsets: the time (Unix ms) the snapshot reflects; consumption
    /// resumes from the offsets Kafka gives for that time.
    #[serde(default)]
    pub as_of_ms: Option<i64>,
    /// Version 3: the chunks, in order, by the topic whose part they hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// The writer schemas of the binary topics' values held when written: a restart decodes
    /// the records after the snapshot with the registry down. Builds that predate them ignore
    /// the field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<crate::registry::CachedSchema>,
}

/// A run of chunks holding one topic's part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub topic: String,
    pub chunks: u64,
}

/// The end line: its record count proves the snapshot was not cut short.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct End {
    pub records: u64,
    /// Version 2: the chunk frames between the header and the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunks: Option<u64>,
    /// Version 2: records per view (sizes the views before loading).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub views: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct EndLine {
    pub end: End,
}

/// Why a snapshot could not be used. Nothing is lost: start-up falls back to an older one or
/// a full replay.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot fetch snapshot: {0}")]
    Http(#[from] reqwest::Error),
    #[error("not a snapshot: {0}")]
    BadHeader(String),
    #[error("line {line}: {reason}")]
    BadLine { line: u64, reason: String },
    #[error("truncated: no end line after {records} records")]
    Truncated { records: u64 },
    #[error("end line counts {expected} records, read {read}")]
    CountMismatch { expected: u64, read: u64 },
    /// The snapshot's offset is past the log's end (the topic was recreated, or the snapshot
    /// comes from another cluster) or before its start (retention deleted the deltas after it).
    #[error("offset {next} of {topic}/{partition} is outside the log [{low}, {high}]")]
    OffsetOutOfRange {
        topic: String,
        partition: i32,
        next: i64,
        low: i64,
        high: i64,
    },
    #[error("{topic}/{partition} is not a partition of the view topics")]
    UnknownPartition { topic: String, partition: i32 },
}

pub fn view_name(kind: ViewKind) -> &'static str {
    kind.name()
}

pub fn view_kind(name: &str) -> Option<ViewKind> {
    ViewKind::ALL.into_iter().find(|k| k.name() == name)
}
