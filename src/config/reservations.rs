//! Reservation settings (`[reservations]`): waits, hold times and abuse limits.

use serde::{Deserialize, Serialize};

/// Stock reservations (`reserve`, `releaseReservation`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReservationSettings {
    /// Longest `reserve` waits for this replica to apply its own events (`RESERVATION_TIMEOUT`
    /// past it: the outcome is then unknown and is read back by retrying with the same key).
    pub wait_ms: u64,
    /// Hold time when `ttlSeconds` is not given, and the most it may ask for.
    pub default_ttl_secs: i64,
    pub max_ttl_secs: i64,
    /// Lines per reservation, and units per SKU (`RESERVATION_TOO_LARGE` above).
    pub max_lines: usize,
    pub max_quantity: i32,
    /// Active reservations one client (peer IP, or `subscriptions.client_header`) may hold
    /// (`TOO_MANY_HOLDS` above).
    pub max_per_client: usize,
}
