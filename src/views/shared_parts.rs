//! The parts of the views storefronts can share (see `docs/design/banners.md`): the product
//! records of a products topic, a stock pool (stock on hand and the holds against it, for
//! storefronts selling from the same warehouses), a price list, and the country pricing
//! contexts.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use dashmap::mapref::entry::Entry;

use super::catalog::{ApplyOutcome, Key, Map};
use super::claims::Claims;
use super::holds::{Reservation, SharedHolds};
use super::stripes::ProductStripes;
use super::{IntlContext, Inventory, Price, Product};

/// The product records of one products topic (every product, whichever storefronts select
/// it), which products list each SKU, and the writers' locks per product.
#[derive(Debug, Default)]
pub struct ProductRecords {
    pub(super) products: Map<Arc<Product>>,
    /// SKU -> the products that list it (the last is its owner; see `claims`), to refresh
    /// their summaries and to find the product a SKU belongs to.
    pub(super) sku_owner: Map<Claims>,
    /// Writers take a product's stripe to replace it or recompute its summary and index entry
    /// in a storefront, so two writers touching one product (a price and a stock change of two
    /// of its SKUs, on two workers) cannot leave a summary computed before the other's change.
    /// Readers never take these.
    pub(super) writes: ProductStripes,
}

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

/// A price list: the prices one or more storefronts sell at.
#[derive(Debug, Default)]
pub struct PriceList {
    pub(super) prices: Map<Arc<Price>>,
}

/// Country pricing contexts (FX, duty, tax, shipping), one set for every storefront.
#[derive(Debug, Default)]
pub struct IntlMap {
    pub(super) intl: Map<Arc<IntlContext>>,
}

/// Insert `value` under `key` only if its version is greater than the stored one.
pub(super) fn upsert_versioned<T>(
    map: &Map<Arc<T>>,
    key: &str,
    value: T,
    version: fn(&T) -> u64,
) -> ApplyOutcome {
    match map.entry(Key::from(key)) {
        Entry::Occupied(held) if version(held.get()) >= version(&value) => ApplyOutcome::Stale,
        Entry::Occupied(mut held) => {
            held.insert(Arc::new(value));
            ApplyOutcome::Applied
        }
        Entry::Vacant(slot) => {
            slot.insert(Arc::new(value));
            ApplyOutcome::Applied
        }
    }
}
