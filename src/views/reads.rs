//! Reads that pin what they saw: one request sees one state per record, and what it read is
//! logged (`read_log`) so a memoized answer can be proven current before it is reused.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::holds::SharedHolds;
use super::index_moves::{Show, Window};
use super::listing::{ListingPage, ListingRequest};
pub use super::read_log::ReadLog;
use super::read_log::{ListingDep, Seen, Slots};
use super::{
    Catalog, IntlContext, Inventory, Price, Product, StockAndPrices, VariantReads, ViewKind,
};

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
    /// Each product's variants as first read, by the product record's address (the record is
    /// kept alive beside them, so the address cannot be reused while the request runs).
    variants: Mutex<ProductReads>,
}

type ProductReads = HashMap<usize, (Arc<Product>, Arc<VariantReads>), foldhash::fast::RandomState>;

impl RecordingReader {
    pub fn new(catalog: Arc<Catalog>) -> Self {
        Self {
            catalog,
            log: Mutex::new(ReadLog::with_capacity(16)),
            pins: true,
            variants: Mutex::default(),
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
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        self.pinned(&mut log, kind, key, fetch)
    }

    /// [`RecordingReader::read`] with the log already locked.
    fn pinned<T: Any + Send + Sync>(
        &self,
        log: &mut ReadLog,
        kind: ViewKind,
        key: &str,
        fetch: impl FnOnce(&Catalog) -> Option<Arc<T>>,
    ) -> Option<Arc<T>> {
        let slot = kind as usize;
        // One lookup when the key was read before (in any view), two when it is new.
        if let Some(slots) = log.reads.get_mut(key) {
            if let Some(seen) = &slots[slot] {
                return seen.as_ref().and_then(Seen::get);
            }
            let record = fetch(&self.catalog);
            slots[slot] = Some(record.as_ref().map(Seen::of));
            return record;
        }
        let record = fetch(&self.catalog);
        let mut slots = Slots::default();
        slots[slot] = Some(record.as_ref().map(Seen::of));
        log.reads.insert(Box::from(key), slots);
        record
    }

    /// On hand minus the holds active at the catalog's clock, both pinned (log locked).
    fn available_pinned(&self, log: &mut ReadLog, sku: &str) -> i32 {
        let on_hand = self
            .pinned(log, ViewKind::Inventory, sku, |c| c.inventory(sku))
            .map_or(0, |i| i.available);
        // Nothing was ever held (as this request first saw it): no holds to read or pin; a
        // first hold outdates the log, and the rest of the request keeps that view.
        if log.before_any_hold || self.catalog.never_held() {
            log.before_any_hold = true;
            return on_hand;
        }
        let holds = self.pinned(log, ViewKind::Reservations, sku, |c| c.holds(sku));
        self.net_of_holds(log, on_hand, holds)
    }

    /// `on_hand` less the units `holds` hold now; the log learns when the first of them ends.
    fn net_of_holds(&self, log: &mut ReadLog, on_hand: i32, holds: Option<SharedHolds>) -> i32 {
        let Some(holds) = holds else {
            return on_hand;
        };
        let now = self.catalog.clock_ms();
        let ends = holds
            .active
            .iter()
            .filter(|l| l.holding_at(now) > 0)
            .map(|l| l.expires_at_ms)
            .min();
        if let Some(ends) = ends {
            log.valid_until_ms = Some(log.valid_until_ms.map_or(ends, |v| v.min(ends)));
        }
        on_hand
            .saturating_sub(holds.held_at(now))
            .max(on_hand.min(0))
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
    /// The storefront it reads (for who it is; reading records through it bypasses the log:
    /// use [`RecordingReader::scan`] for that).
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub fn scan(&self) -> &Catalog {
        self.unmemoizable();
        &self.catalog
    }

    /// A listing page from the catalog's indexes; the answer then depends on the scope it
    /// walked: a change to a product in it outdates the answer when it could alter the page
    /// (see `index_moves`). `show` prices the walk (inlined: a count runs it once per product
    /// it looks at); `keep` gives the same function to keep for those later checks.
    pub fn list(
        &self,
        request: &ListingRequest,
        show: impl Fn(i64, &Product) -> Option<i64>,
        count: bool,
        keep: impl FnOnce() -> Show,
    ) -> ListingPage {
        let listed = self.catalog.list(request, show, count);
        if listed.scanned {
            self.unmemoizable();
        } else if self.pins {
            let window = Window::new(request, &listed.page, &keep());
            let dep = ListingDep::new(listed.scope, listed.generation, Some(window));
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            log.listings.push(dep);
        }
        listed.page
    }

    /// A listing's facets (see `facets`); the answer then depends on the scope they counted.
    pub fn facets(
        &self,
        request: &ListingRequest,
        show: impl Fn(i64, &Product) -> Option<i64>,
        shape: super::facets::FacetShape,
    ) -> super::facets::Facets {
        let (facets, scope) = self.catalog.facets(request, show, shape);
        match scope {
            None => self.unmemoizable(),
            Some((scope, generation)) if self.pins => {
                let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
                log.listings.push(ListingDep::new(scope, generation, None));
            }
            Some(_) => {}
        }
        facets
    }

    /// What the answer read, if it can be checked (empty for scans).
    pub fn log(&self) -> ReadLog {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.clone().finished()
    }

    /// [`RecordingReader::log`] for a finished request: the log is moved out, not copied (the
    /// reader remembers nothing after).
    pub fn take_log(&self) -> ReadLog {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *log).finished()
    }
}

impl StockAndPrices for RecordingReader {
    /// Read once per product and request, then shared (pinned reads would agree anyway; this
    /// spares the repeated lookups). Unpinned readers read afresh.
    fn variant_reads(&self, product: &Arc<Product>) -> Arc<VariantReads> {
        if !self.pins {
            return Arc::new(VariantReads::read(self, product));
        }
        let key = Arc::as_ptr(product) as usize;
        let known = self.variants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, reads)) = known.get(&key) {
            return Arc::clone(reads);
        }
        drop(known);
        let reads = {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            let variants = product
                .variants
                .iter()
                .map(|v| {
                    let price =
                        self.pinned(&mut log, ViewKind::Prices, &v.sku, |c| c.price(&v.sku));
                    (price, self.available_pinned(&mut log, &v.sku))
                })
                .collect();
            Arc::new(VariantReads { variants })
        };
        let mut known = self.variants.lock().unwrap_or_else(|e| e.into_inner());
        let entry = known
            .entry(key)
            .or_insert_with(|| (Arc::clone(product), Arc::clone(&reads)));
        Arc::clone(&entry.1)
    }

    fn price(&self, sku: &str) -> Option<Arc<Price>> {
        self.read(ViewKind::Prices, sku, |c| c.price(sku))
    }

    fn inventory(&self, sku: &str) -> Option<Arc<Inventory>> {
        self.read(ViewKind::Inventory, sku, |c| c.inventory(sku))
    }

    /// On hand minus the holds active at the catalog's clock, both pinned.
    fn available(&self, sku: &str) -> i32 {
        if !self.pins {
            let on_hand = self.catalog.inventory(sku).map_or(0, |i| i.available);
            let mut unlogged = ReadLog::default();
            return self.net_of_holds(&mut unlogged, on_hand, self.catalog.holds(sku));
        }
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        self.available_pinned(&mut log, sku)
    }
}

#[cfg(test)]
#[path = "reads_tests.rs"]
mod tests;
