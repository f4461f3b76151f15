//! A stock pool: stock on hand and the holds against it, which storefronts selling from the
//! same warehouses share (see `docs/design/banners.md`); the catalog reads availability here.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use super::catalog::Map;
use super::holds::{Reservation, SharedHolds};
use super::Inventory;

/// Stock on hand and the holds against it: what storefronts sharing a stock pool share.
#[derive(Debug, Default)]
pub struct StockPool {
    pub(super) inventory: Map<Arc<Inventory>>,
    /// Holds per SKU and reservations by id (see `holds`), and the clock reads of availability
    /// use (Unix ms; 0 until set: every hold counts).
    pub(super) holds: Map<SharedHolds>,
    pub(super) reservations: Map<Arc<Reservation>>,
    /// Client -> ids of its remembered reservations (forgotten with them), for per-client
    /// limits.
    pub(super) by_client: Map<Vec<String>>,
    /// When remembered lines are forgotten and active holds end.
    pub(super) hold_schedule: super::catalog_holds::HoldSchedule,
    pub(super) clock_ms: AtomicI64,
    /// SKUs that have had holds (never decreases); 0: no reservation ever applied.
    pub(super) held_skus: std::sync::atomic::AtomicUsize,
    /// Holds and reservations change by read-modify-write across SKUs (a reservation's lines)
    /// and views (stock records that account for holds): one writer at a time.
    pub(super) hold_writes: std::sync::Mutex<()>,
}
