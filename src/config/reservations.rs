//! Reservation settings (`[reservations]`): waits, hold times, abuse limits and the decider.

use serde::{Deserialize, Serialize};

/// Stock reservations (`reserve`, `releaseReservation`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReservationSettings {
    /// Longest `reserve` waits for the decisions to be applied here (`RESERVATION_TIMEOUT`
    /// past it: the outcome is then unknown and is read back by retrying with the same key).
    /// Capped by what is left of the request's own budget (`graphql.request_timeout_ms`).
    pub wait_ms: u64,
    /// Hold time when `ttlSeconds` is not given, and the most it may ask for.
    pub default_ttl_secs: i64,
    pub max_ttl_secs: i64,
    /// Lines per reservation, and units per SKU (`RESERVATION_TOO_LARGE` above).
    pub max_lines: usize,
    pub max_quantity: i32,
    /// Reservations one client (peer IP, or `subscriptions.client_header`) may have that the
    /// views remember, whatever their outcome, plus those under way (`TOO_MANY_HOLDS` above).
    pub max_per_client: usize,
    /// How long a line is remembered after its hold ended (a rejected line: after it was
    /// decided): retries with the same key are recognised for this long, then forgotten.
    pub remember_secs: i64,
    /// Lines one SKU may hold at once; a decision past it holds nothing.
    pub max_active_per_sku: u32,
    /// The consumer group of the replicas that decide holds: each reservations partition is
    /// decided by the one member that owns it.
    pub decider_group: String,
    /// How long a silent decider keeps its partitions before the group hands them over.
    pub decider_session_timeout_ms: u64,
    /// How often a decider moves its partitions' clock (ticks forget what is over).
    pub tick_ms: u64,
}
