//! The catalog (one storefront's views): its selected products with their summaries over the
//! shared parts, the reads every resolver makes, and `apply` (see `catalog_write` for the
//! version rule, tombstones and the summaries kept current as prices and stock change).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use dashmap::DashMap;

use super::assortment::Assortment;
use super::catalog_index::CatalogIndex;
use super::changes::{key_hash, ChangeLog};
pub use super::shared_parts::{IntlMap, PriceList, ProductRecords, StockPool};
use super::{Change, IntlContext, Inventory, Price, Product, ProductSummary};
use super::{StockAndPrices, ViewKind};

/// A view's map. Keys up to 24 bytes (SKUs, product ids, countries) are held inline, not on the
/// heap: a lookup in a million-entry map then touches one cache line fewer (comparing the key
/// no longer follows a pointer), and each key saves an allocation.
pub(super) type Map<V> = DashMap<Key, V, foldhash::fast::RandomState>;
pub(super) type Key = compact_str::CompactString;

/// What applying one change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The record was inserted or replaced.
    Applied,
    /// A tombstone removed the key (or the key was already absent).
    Deleted,
    /// The stored record's version is equal or greater: the change was ignored.
    Stale,
}

/// A product with its derived summary.
#[derive(Debug, Clone)]
pub struct ProductEntry {
    pub product: Arc<Product>,
    pub summary: ProductSummary,
}

/// A storefront's views: the product records of its products topic that its assortment
/// selects, each with its derived summary and listing-index entry, over the parts it may share
/// with other storefronts (the records, a price list, a stock pool, the country contexts; see
/// `docs/design/banners.md` and [`super::storefronts`]). A catalog built with [`Catalog::new`]
/// has parts of its own and sells every product.
///
/// `apply` takes any number of writers (ingest workers) as long as each key's changes come from
/// one of them, in order (one partition, one worker); readers are unlimited.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The banner's name (empty for the one storefront of a process without banners).
    pub(crate) name: Arc<str>,
    /// The product records of its products topic (shared by the storefronts on that topic).
    pub(super) records: Arc<ProductRecords>,
    /// Which of those records this storefront sells.
    pub(super) assortment: Assortment,
    /// The selected products, each with its summary.
    pub(super) products: Map<ProductEntry>,
    /// The price list this storefront sells at.
    pub(super) price_list: Arc<PriceList>,
    /// Stock on hand and the holds against it (shared by the storefronts on one pool).
    pub(super) pool: Arc<StockPool>,
    /// Country pricing contexts, shared by every storefront.
    pub(super) intl_map: Arc<IntlMap>,
    /// While set (bulk loading before the service is ready), summaries are not maintained
    /// change by change; [`Catalog::end_bulk`] computes them all once.
    pub(super) bulk: AtomicBool,
    /// Listing indexes, changed in the same step as the product summaries they hold.
    pub(super) index: CatalogIndex,
    /// Which keys changed lately (recorded after each change is complete, and when holds end).
    pub(super) changes: ChangeLog,
}

/// The shared parts a storefront is built over.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    pub records: Arc<ProductRecords>,
    pub price_list: Arc<PriceList>,
    pub pool: Arc<StockPool>,
    pub intl_map: Arc<IntlMap>,
}

/// What moved for a SKU whose products' summaries are refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Moved {
    Price,
    /// Its stock or its holds: its prices did not change.
    Stock,
}

impl StockAndPrices for Catalog {
    fn price(&self, sku: &str) -> Option<Arc<Price>> {
        self.price_list
            .prices
            .get(sku)
            .map(|p| Arc::clone(p.value()))
    }

    fn inventory(&self, sku: &str) -> Option<Arc<Inventory>> {
        self.pool.inventory.get(sku).map(|i| Arc::clone(i.value()))
    }

    /// On hand minus the holds active now.
    fn available(&self, sku: &str) -> i32 {
        let on_hand = self.inventory(sku).map_or(0, |i| i.available);
        // Stock can shrink below what is held (a count corrected down): none is available.
        on_hand
            .saturating_sub(self.held_now(sku))
            .max(on_hand.min(0))
    }
}

impl Catalog {
    /// A storefront with parts of its own, selling every product.
    pub fn new() -> Self {
        Self::default()
    }

    /// A storefront over `parts` (shared with other storefronts) selling `assortment`.
    pub fn over(parts: Parts, assortment: Assortment) -> Self {
        Self {
            records: parts.records,
            assortment,
            price_list: parts.price_list,
            pool: parts.pool,
            intl_map: parts.intl_map,
            ..Self::default()
        }
    }

    /// This storefront named `name`.
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    /// The banner's name (empty: the one storefront of a process without banners).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn assortment(&self) -> &Assortment {
        &self.assortment
    }

    /// Applies one change under the version rule (latest version wins, tombstones delete): to
    /// the shared part it belongs to, then to this storefront's summaries and indexes. With
    /// storefronts sharing parts, [`super::storefronts::Storefronts::apply`] writes the part
    /// once and refreshes each of them.
    pub fn apply(&self, change: Change) -> ApplyOutcome {
        let key = change_key_hash(&change);
        let written = self.write(change);
        self.refresh(&written);
        // Even a stale change is recorded: cheap, and nothing it did can be missed.
        self.changes.record(Some(key));
        written.outcome
    }

    /// Records a change to `key` (`None`: any key) once everything it touched is in place.
    pub(super) fn changed(&self, key: Option<&str>) {
        self.changes.record(key.map(key_hash));
    }

    /// How many changes were applied: while it stays the same, nothing in the views changed
    /// (the clock aside).
    pub fn changes(&self) -> u64 {
        self.changes.count()
    }

    /// The recent changes, by key (see `changes`).
    pub fn change_log(&self) -> &ChangeLog {
        &self.changes
    }

    pub fn product(&self, id: &str) -> Option<Arc<Product>> {
        self.products.get(id).map(|e| Arc::clone(&e.product))
    }

    /// The product that lists `sku`, if any.
    pub fn product_of_sku(&self, sku: &str) -> Option<Arc<Product>> {
        let owner = self
            .records
            .sku_owner
            .get(sku)
            .map(|c| c.owner().to_string())?;
        self.product(&owner)
    }

    /// The pricing context of a country, if the partner has sent one.
    pub fn intl(&self, country: &str) -> Option<Arc<IntlContext>> {
        self.intl_map
            .intl
            .get(country)
            .map(|i| Arc::clone(i.value()))
    }

    pub fn product_entry(&self, id: &str) -> Option<ProductEntry> {
        self.products.get(id).map(|e| e.value().clone())
    }

    /// Visits every product with its summary (a listing scan, a market's subscription
    /// events). The entries are copied first (pointers and summaries), so no lock is held
    /// while `visit` works: a long visit would otherwise hold ingest off a shard of the
    /// products, and, as a waiting writer goes first, every reader of that shard behind it.
    pub fn for_each_product(&self, mut visit: impl FnMut(&ProductEntry)) {
        let entries: Vec<ProductEntry> = self.products.iter().map(|e| e.value().clone()).collect();
        for entry in &entries {
            visit(entry);
        }
    }

    /// Every product record of its products topic, selected here or not (pointer copies: a
    /// snapshot's products).
    pub fn all_records(&self) -> Vec<Arc<Product>> {
        self.records
            .products
            .iter()
            .map(|e| Arc::clone(e.value()))
            .collect()
    }

    /// Every product it sells (pointer copies).
    pub fn all_products(&self) -> Vec<Arc<Product>> {
        self.products
            .iter()
            .map(|e| Arc::clone(&e.product))
            .collect()
    }

    pub fn all_prices(&self) -> Vec<Arc<Price>> {
        self.price_list
            .prices
            .iter()
            .map(|e| Arc::clone(e.value()))
            .collect()
    }

    pub fn all_inventory(&self) -> Vec<Arc<Inventory>> {
        self.pool
            .inventory
            .iter()
            .map(|e| Arc::clone(e.value()))
            .collect()
    }

    pub fn all_intl(&self) -> Vec<Arc<IntlContext>> {
        self.intl_map
            .intl
            .iter()
            .map(|e| Arc::clone(e.value()))
            .collect()
    }

    /// Records held per view.
    pub fn len(&self, kind: ViewKind) -> usize {
        match kind {
            ViewKind::Products => self.products.len(),
            ViewKind::Prices => self.price_list.prices.len(),
            ViewKind::Inventory => self.pool.inventory.len(),
            ViewKind::Intl => self.intl_map.intl.len(),
            ViewKind::Reservations => self.pool.reservations.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        ViewKind::ALL.iter().all(|k| self.len(*k) == 0)
    }
}

/// The key a change is recorded under in the change log.
pub(super) fn change_key_hash(change: &Change) -> u64 {
    key_hash(match change {
        Change::Product(p) => &p.id,
        Change::Price(p) => &p.sku,
        Change::Inventory(i) => &i.sku,
        Change::Intl(i) => &i.country,
        Change::Reservation(r) => r.sku(),
        Change::Delete(_, key) => key,
    })
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
