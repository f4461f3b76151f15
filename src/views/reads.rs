//! Reads that remember what they saw: which records an answer was computed from, so a memoized
//! answer can be proven current (every record still the very one read) before it is reused.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::changes::key_hash;
use super::index::ScopeKey;
use super::listing::{ListingPage, ListingRequest};
use super::{Catalog, IntlContext, Inventory, Price, Product, StockAndPrices, ViewKind};

/// One record as read: the stored value itself (kept alive, so its identity cannot be reused).
/// Identity, not version, is compared: a record deleted and re-created with the same version
/// is a different record.
#[derive(Debug, Clone)]
pub struct Seen(Arc<dyn Any + Send + Sync>);

impl Seen {
    fn of<T: Any + Send + Sync>(record: &Arc<T>) -> Self {
        Seen(Arc::clone(record) as Arc<dyn Any + Send + Sync>)
    }

    fn is<T: Any + Send + Sync>(&self, now: &Arc<T>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(now))
    }

    fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        Arc::clone(&self.0).downcast::<T>().ok()
    }
}

/// Two logs are equal when they read the same keys and saw the same records.
impl PartialEq for Seen {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Seen {}

/// What was read under one key, per view (`None`: not read; `Some(None)`: read, absent). One
/// entry per key whatever the views, so a SKU's price, stock and holds share one allocation and
/// a repeated read allocates nothing.
type Slots = [Option<Option<Seen>>; ViewKind::ALL.len()];

/// The records one computation read, as it saw them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadLog {
    reads: HashMap<Box<str>, Slots, foldhash::fast::RandomState>,
    /// It depends on more than it can check (a scan, the wall clock): never memoized.
    scanned: bool,
    /// Listing scopes it walked, at the generation it saw (see `index`).
    listings: Vec<(ScopeKey, u64)>,
    /// The keys read, hashed as the catalog's change log records them, sorted.
    hashes: Vec<u64>,
    /// A hold it read ends then (catalog clock): the answer is outdated from that time on.
    valid_until_ms: Option<i64>,
    /// It hands out something that ages (a price quote): reuse it only until then (Unix ms).
    reusable_until_unix_ms: Option<i64>,
    /// It read availability while no SKU had ever been held (holds not read): the first hold
    /// anywhere outdates it.
    before_any_hold: bool,
}

impl ReadLog {
    /// Worth memoizing: bounded reads that can be re-checked cheaply.
    pub fn is_checkable(&self) -> bool {
        !self.scanned
    }

    /// Records read (a key read in two views counts twice).
    pub fn len(&self) -> usize {
        self.reads
            .values()
            .map(|slots| slots.iter().filter(|s| s.is_some()).count())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.reads.is_empty() && self.listings.is_empty()
    }

    /// [`ReadLog::still_current`], checking records only when a key it read changed since the
    /// log was last found current (`verified` holds the catalog's change count then; `u64::MAX`
    /// before the first check), or when those changes are no longer remembered.
    pub fn still_current_since(&self, catalog: &Catalog, verified: &AtomicU64) -> bool {
        let now = catalog.changes();
        let since = verified.load(Ordering::Acquire);
        let read = |hash| self.hashes.binary_search(&hash).is_ok();
        let untouched =
            since != u64::MAX && catalog.change_log().touched(since, now, read) == Some(false);
        let current = match untouched {
            true => self.conditions_hold(catalog),
            false => self.still_current(catalog),
        };
        if current {
            verified.store(now, Ordering::Release);
        }
        current
    }

    /// What is checked besides the records: no scan, no hold since (if it read stock before any
    /// hold), none of the holds it read ended, the listing scopes it walked unchanged.
    fn conditions_hold(&self, catalog: &Catalog) -> bool {
        !self.scanned
            && self
                .reusable_until_unix_ms
                .is_none_or(|t| crate::clock::unix_ms() < t)
            && (!self.before_any_hold || catalog.never_held())
            && self
                .valid_until_ms
                .is_none_or(|until| catalog.clock_ms() < until)
            && self
                .listings
                .iter()
                .all(|(scope, seen)| catalog.listing_generation(scope) == *seen)
    }

    /// True when every record read is still the very record that was read (or still absent).
    pub fn still_current(&self, catalog: &Catalog) -> bool {
        fn same<T: Any + Send + Sync>(seen: &Option<Seen>, now: Option<Arc<T>>) -> bool {
            match (seen, now) {
                (None, None) => true,
                (Some(seen), Some(now)) => seen.is(&now),
                _ => false,
            }
        }
        self.conditions_hold(catalog)
            && self.reads.iter().all(|(key, slots)| {
                ViewKind::ALL.iter().zip(slots).all(|(kind, slot)| {
                    let Some(seen) = slot else {
                        return true;
                    };
                    match kind {
                        ViewKind::Products => same(seen, catalog.product(key)),
                        ViewKind::Prices => same(seen, catalog.price(key)),
                        ViewKind::Inventory => same(seen, catalog.inventory(key)),
                        ViewKind::Intl => same(seen, catalog.intl(key)),
                        ViewKind::Reservations => same(seen, catalog.holds(key)),
                    }
                })
            })
    }
}

/// A window onto the catalog for one request. It pins every record it hands out: a second
/// read of a key in the same request returns the same record, so everything one answer says
/// about a record (a variant's price, the price range, availability, a listing's filter and
/// the prices it shows) comes from one read, even while ingest changes it. The pins double as
/// the log of what the answer depends on.
#[derive(Debug)]
pub struct RecordingReader {
    catalog: Arc<Catalog>,
    log: Mutex<ReadLog>,
    /// Long-lived readers (subscriptions) must see every change: they pin nothing.
    pins: bool,
}

impl RecordingReader {
    pub fn new(catalog: Arc<Catalog>) -> Self {
        Self {
            catalog,
            log: Mutex::new(ReadLog::default()),
            pins: true,
        }
    }

    /// A reader that pins and logs nothing (for long-lived requests such as subscriptions).
    pub fn unlogged(catalog: Arc<Catalog>) -> Self {
        let reader = Self {
            pins: false,
            ..Self::new(catalog)
        };
        reader.unmemoizable();
        reader
    }

    /// The record under `key`: the one pinned by an earlier read in this request, else read
    /// now (and pinned).
    fn read<T: Any + Send + Sync>(
        &self,
        kind: ViewKind,
        key: &str,
        fetch: impl FnOnce(&Catalog) -> Option<Arc<T>>,
    ) -> Option<Arc<T>> {
        if !self.pins {
            return fetch(&self.catalog);
        }
        let slot = kind as usize;
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Some(seen)) = log.reads.get(key).map(|slots| &slots[slot]) {
            return seen.as_ref().and_then(Seen::get);
        }
        let record = fetch(&self.catalog);
        let seen = record.as_ref().map(Seen::of);
        match log.reads.get_mut(key) {
            Some(slots) => slots[slot] = Some(seen),
            None => {
                let mut slots = Slots::default();
                slots[slot] = Some(seen);
                log.reads.insert(Box::from(key), slots);
            }
        }
        record
    }

    pub fn product(&self, id: &str) -> Option<Arc<Product>> {
        self.read(ViewKind::Products, id, |c| c.product(id))
    }

    /// The product listing `sku` (logged as a read of that product; a SKU nobody lists makes
    /// the answer unmemoizable, since what matters then is a product that does not exist yet).
    pub fn product_of_sku(&self, sku: &str) -> Option<Arc<Product>> {
        let owner = self.catalog.product_of_sku(sku);
        match owner {
            Some(p) => self.read(ViewKind::Products, &p.id, |_| Some(Arc::clone(&p))),
            None => {
                self.unmemoizable();
                None
            }
        }
    }

    pub fn intl(&self, country: &str) -> Option<Arc<IntlContext>> {
        self.read(ViewKind::Intl, country, |c| c.intl(country))
    }

    /// The answer hands out something that ages (a price quote): reuse it only until
    /// `unix_ms`.
    pub fn reusable_until(&self, unix_ms: i64) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let until = log
            .reusable_until_unix_ms
            .map_or(unix_ms, |t| t.min(unix_ms));
        log.reusable_until_unix_ms = Some(until);
    }

    /// The answer depends on more than the logged reads (a scan, the clock): never reuse it.
    pub fn unmemoizable(&self) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.scanned = true;
    }

    /// The whole catalog, for scans such as listings: the log stops being checkable (reads
    /// through the reader still pin).
    pub fn scan(&self) -> &Catalog {
        self.unmemoizable();
        &self.catalog
    }

    /// A listing page from the catalog's indexes; the answer then depends on the scope it
    /// walked (any change to a product in it outdates the answer).
    pub fn list(
        &self,
        request: &ListingRequest,
        show: impl Fn(i64, &Product) -> Option<i64>,
        count: bool,
    ) -> ListingPage {
        let listed = self.catalog.list(request, show, count);
        if listed.scanned {
            self.unmemoizable();
        } else if self.pins {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            log.listings.push((listed.scope, listed.generation));
        }
        listed.page
    }

    /// What the answer read, if it can be checked (empty for scans).
    pub fn log(&self) -> ReadLog {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.scanned {
            return ReadLog {
                scanned: true,
                ..ReadLog::default()
            };
        }
        let mut log = log.clone();
        log.hashes = log.reads.keys().map(|k| key_hash(k)).collect();
        log.hashes.sort_unstable();
        log.hashes.dedup();
        log
    }
}

impl StockAndPrices for RecordingReader {
    fn price(&self, sku: &str) -> Option<Arc<Price>> {
        self.read(ViewKind::Prices, sku, |c| c.price(sku))
    }

    fn inventory(&self, sku: &str) -> Option<Arc<Inventory>> {
        self.read(ViewKind::Inventory, sku, |c| c.inventory(sku))
    }

    /// On hand minus the holds active at the catalog's clock, both pinned.
    fn available(&self, sku: &str) -> i32 {
        let on_hand = self.inventory(sku).map_or(0, |i| i.available);
        if self.pins {
            // Nothing was ever held (as this request first saw it): no holds to read or pin; a
            // first hold outdates the log, and the rest of the request keeps that view.
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            if log.before_any_hold || self.catalog.never_held() {
                log.before_any_hold = true;
                return on_hand;
            }
        }
        let Some(holds) = self.read(ViewKind::Reservations, sku, |c| c.holds(sku)) else {
            return on_hand;
        };
        let now = self.catalog.clock_ms();
        let ends = holds
            .lines
            .iter()
            .filter(|l| l.holding_at(now) > 0)
            .map(|l| l.expires_at_ms)
            .min();
        if let Some(ends) = ends {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            log.valid_until_ms = Some(log.valid_until_ms.map_or(ends, |v| v.min(ends)));
        }
        on_hand
            .saturating_sub(holds.held_at(now))
            .max(on_hand.min(0))
    }
}

#[cfg(test)]
#[path = "reads_tests.rs"]
mod tests;
