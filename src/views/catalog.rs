//! The catalog: the four views in `DashMap`s, the version rule, tombstones, SKU ownership and
//! the product summaries kept current as prices and stock change.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

use super::catalog_index::CatalogIndex;
use super::changes::{key_hash, ChangeLog};
use super::claims::Claims;
use super::shared_parts::upsert_versioned;
pub use super::shared_parts::{IntlMap, PriceList, StockPool};
pub(super) use super::stripes::ProductStripes;
use super::{summarize, Change, IntlContext, Inventory, Price, Product, ProductSummary};
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

/// The three views, keyed by product id and by SKU.
///
/// `apply` takes any number of writers (ingest workers) as long as each key's changes come from
/// one of them, in order (one partition, one worker); readers are unlimited.
#[derive(Debug, Default)]
pub struct Catalog {
    pub(super) products: Map<ProductEntry>,
    /// The price list this storefront sells at (see `docs/design/banners.md`).
    pub(super) price_list: Arc<PriceList>,
    /// Stock on hand and the holds against it (shared by the storefronts on one pool: see
    /// `docs/design/banners.md`).
    pub(super) pool: Arc<StockPool>,
    /// Country pricing contexts, shared by every storefront.
    intl_map: Arc<IntlMap>,
    /// SKU -> the products that list it (the last is its owner; see `claims`), to refresh
    /// their summaries and to find the product a SKU belongs to.
    pub(super) sku_owner: Map<Claims>,
    /// While set (bulk loading before the service is ready), summaries are not maintained
    /// change by change; [`Catalog::end_bulk`] computes them all once.
    pub(super) bulk: AtomicBool,
    /// Listing indexes, changed in the same step as the product summaries they hold.
    pub(super) index: CatalogIndex,
    /// Which keys changed lately (recorded after each change is complete, and when holds end).
    changes: ChangeLog,
    /// Writers take a product's stripe to replace it or recompute its summary and index entry,
    /// so two writers touching one product (a price and a stock change of two of its SKUs, on
    /// two workers) cannot leave a summary computed before the other's change. Readers never
    /// take these.
    pub(super) product_writes: ProductStripes,
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
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one change under the version rule (latest version wins, tombstones delete).
    pub fn apply(&self, change: Change) -> ApplyOutcome {
        let key = key_hash(match &change {
            Change::Product(p) => &p.id,
            Change::Price(p) => &p.sku,
            Change::Inventory(i) => &i.sku,
            Change::Intl(i) => &i.country,
            Change::Reservation(r) => r.sku(),
            Change::Delete(_, key) => key,
        });
        let outcome = self.apply_change(change);
        // Even a stale change is recorded: cheap, and nothing it did can be missed.
        self.changes.record(Some(key));
        outcome
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

    fn apply_change(&self, change: Change) -> ApplyOutcome {
        match change {
            Change::Product(p) => self.apply_product(p),
            Change::Price(mut p) => {
                // A correction stays in force: later records carry its version forward.
                if let Some(held) = self.price_list.prices.get(p.sku.as_str()) {
                    p.corrected_at = p.corrected_at.max(held.corrected_at);
                }
                let sku = p.sku.clone();
                let outcome = upsert_versioned(&self.price_list.prices, &sku, p, |p| p.version);
                self.refresh_owner_of(&sku, outcome, Moved::Price);
                outcome
            }
            Change::Inventory(i) => {
                let sku = i.sku.clone();
                let accounted = i.reservations.clone();
                let outcome = upsert_versioned(&self.pool.inventory, &sku, i, |i| i.version);
                if outcome == ApplyOutcome::Applied {
                    self.account_for(&sku, &accounted);
                }
                self.refresh_owner_of(&sku, outcome, Moved::Stock);
                outcome
            }
            Change::Reservation(event) => {
                let sku = event.sku().to_string();
                let outcome = self.apply_reservation(event);
                self.refresh_owner_of(&sku, outcome, Moved::Stock);
                outcome
            }
            Change::Delete(ViewKind::Reservations, _) => ApplyOutcome::Stale,
            Change::Intl(mut i) => {
                if let Some(held) = self.intl_map.intl.get(i.country.as_str()) {
                    i.corrected_at = i.corrected_at.max(held.corrected_at);
                }
                let country = i.country.clone();
                upsert_versioned(&self.intl_map.intl, &country, i, |i| i.version)
            }
            Change::Delete(ViewKind::Intl, country) => {
                self.intl_map.intl.remove(country.as_str());
                ApplyOutcome::Deleted
            }
            Change::Delete(ViewKind::Products, id) => {
                let _writing = self.product_writes.lock(&id);
                if let Some((_, entry)) = self.products.remove(id.as_str()) {
                    self.index.remove(&id);
                    for variant in &entry.product.variants {
                        self.release_sku(&variant.sku, &id);
                    }
                }
                ApplyOutcome::Deleted
            }
            Change::Delete(ViewKind::Prices, sku) => {
                self.price_list.prices.remove(sku.as_str());
                self.refresh_owner_of(&sku, ApplyOutcome::Deleted, Moved::Price);
                ApplyOutcome::Deleted
            }
            Change::Delete(ViewKind::Inventory, sku) => {
                self.pool.inventory.remove(sku.as_str());
                self.refresh_owner_of(&sku, ApplyOutcome::Deleted, Moved::Stock);
                ApplyOutcome::Deleted
            }
        }
    }

    fn apply_product(&self, mut product: Product) -> ApplyOutcome {
        let _writing = self.product_writes.lock(&product.id);
        let previous = self
            .products
            .get(product.id.as_str())
            .map(|e| Arc::clone(&e.product));
        if previous
            .as_ref()
            .is_some_and(|p| p.version >= product.version)
        {
            return ApplyOutcome::Stale;
        }
        // A correction stays in force: later records carry its version forward.
        product.corrected_at = product
            .corrected_at
            .max(previous.as_ref().and_then(|p| p.corrected_at));
        let product = Arc::new(product);
        if let Some(previous) = previous {
            for variant in &previous.variants {
                if !product.variants.iter().any(|v| v.sku == variant.sku) {
                    self.release_sku(&variant.sku, &product.id);
                }
            }
        }
        for variant in &product.variants {
            match self.sku_owner.entry(Key::from(variant.sku.as_str())) {
                Entry::Occupied(mut claims) => claims.get_mut().claim(&product.id),
                Entry::Vacant(slot) => {
                    slot.insert(Claims::One(product.id.clone()));
                }
            }
        }
        let summary = if self.in_bulk() {
            ProductSummary::default()
        } else {
            summarize(self, &product)
        };
        if !self.in_bulk() {
            self.index.upsert(&product, summary);
        }
        self.products.insert(
            Key::from(product.id.as_str()),
            ProductEntry { product, summary },
        );
        ApplyOutcome::Applied
    }

    /// `id` no longer lists `sku`: the SKU passes to its most recent other claimant, if any.
    fn release_sku(&self, sku: &str, id: &str) {
        if let Entry::Occupied(mut claims) = self.sku_owner.entry(Key::from(sku)) {
            if !claims.get_mut().release(id) {
                claims.remove();
            }
        }
    }

    /// Recomputes the summaries of the products listing `sku` after its price or stock changed
    /// (after a stock change only that SKU is read again: see `summary::restocked`).
    pub(super) fn refresh_owner_of(&self, sku: &str, outcome: ApplyOutcome, moved: Moved) {
        if outcome == ApplyOutcome::Stale || self.in_bulk() {
            return;
        }
        let Some(claimants) = self.sku_owner.get(sku).map(|c| c.ids().to_vec()) else {
            return;
        };
        for id in claimants {
            // Under the product's stripe, so this summary is computed after every change that
            // an earlier refresh of the product might have missed.
            let _writing = self.product_writes.lock(&id);
            let Some((product, held)) = self
                .products
                .get(id.as_str())
                .map(|e| (Arc::clone(&e.product), e.summary))
            else {
                continue;
            };
            let summary = match moved {
                Moved::Stock => super::summary::restocked(self, &product, held, sku),
                Moved::Price => None,
            };
            let summary = summary.unwrap_or_else(|| summarize(self, &product));
            let moved = match self.products.get_mut(id.as_str()) {
                Some(mut entry) if Arc::ptr_eq(&entry.product, &product) => {
                    std::mem::replace(&mut entry.summary, summary) != summary
                }
                _ => false,
            };
            // The indexes hold the same summary: only a change moves them.
            if moved {
                self.index.upsert(&product, summary);
            }
        }
    }

    pub fn product(&self, id: &str) -> Option<Arc<Product>> {
        self.products.get(id).map(|e| Arc::clone(&e.product))
    }

    /// The product that lists `sku`, if any.
    pub fn product_of_sku(&self, sku: &str) -> Option<Arc<Product>> {
        let owner = self.sku_owner.get(sku).map(|c| c.owner().to_string())?;
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

    /// Every product (pointer copies), e.g. for a snapshot.
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

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
