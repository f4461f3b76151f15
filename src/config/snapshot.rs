//! Snapshot settings (`[snapshot]`): where Vitrine writes its own, and where it may start from.

use serde::{Deserialize, Serialize};

/// Snapshots: bootstrap from one at start-up, and write our own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSettings {
    /// Directory for Vitrine's own snapshots (written there, and looked for first at
    /// start-up). Empty: none.
    pub dir: String,
    /// Seconds between snapshots once ready; 0 writes only on clean shutdown.
    pub interval_secs: u64,
    /// Snapshots kept in `dir`.
    pub keep: usize,
    /// A snapshot to bootstrap from when `dir` has no usable one: a path or an http(s) URL.
    pub source: String,
    /// Longest wait to connect to an http(s) `source`.
    pub http_connect_timeout_ms: u64,
    /// Longest wait for an http(s) `source`'s response headers, and for each read of its body;
    /// a stalled download fails and start-up falls back.
    pub http_read_timeout_ms: u64,
}
