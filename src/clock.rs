//! The one wall clock: Unix time, read where an answer or a record needs "now".

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time since the Unix epoch (zero if the clock is set before it).
pub fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Unix time in milliseconds.
pub fn unix_ms() -> i64 {
    since_epoch().as_millis() as i64
}

/// Unix time in seconds.
pub fn unix_secs() -> i64 {
    since_epoch().as_secs() as i64
}
