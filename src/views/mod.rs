//! The materialized views: the latest version of every product, price and inventory record.
//!
//! Pure state, no I/O: the ingest layer feeds [`Catalog::apply`], the GraphQL layer reads.
//! Values are `Arc`s in `DashMap`s, so a reader clones a pointer and never waits on a writer.

pub mod listing;
pub mod model;

use std::sync::Arc;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

pub use model::{Change, Inventory, Price, Product, Variant, ViewKind};

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

/// The three views, keyed by product id and by SKU.
#[derive(Debug, Default)]
pub struct Catalog {
    products: DashMap<String, Arc<Product>>,
    prices: DashMap<String, Arc<Price>>,
    inventory: DashMap<String, Arc<Inventory>>,
}

/// Insert `value` under `key` only if its version is greater than the stored one.
fn upsert_versioned<T>(
    map: &DashMap<String, Arc<T>>,
    key: String,
    value: T,
    version: impl Fn(&T) -> u64,
) -> ApplyOutcome {
    match map.entry(key) {
        Entry::Occupied(mut held) => {
            if version(held.get()) >= version(&value) {
                ApplyOutcome::Stale
            } else {
                held.insert(Arc::new(value));
                ApplyOutcome::Applied
            }
        }
        Entry::Vacant(slot) => {
            slot.insert(Arc::new(value));
            ApplyOutcome::Applied
        }
    }
}

impl Catalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one change under the version rule (latest version wins, tombstones delete).
    pub fn apply(&self, change: Change) -> ApplyOutcome {
        match change {
            Change::Product(p) => upsert_versioned(&self.products, p.id.clone(), p, |p| p.version),
            Change::Price(p) => upsert_versioned(&self.prices, p.sku.clone(), p, |p| p.version),
            Change::Inventory(i) => {
                upsert_versioned(&self.inventory, i.sku.clone(), i, |i| i.version)
            }
            Change::Delete(kind, key) => {
                match kind {
                    ViewKind::Products => self.products.remove(&key).map(|_| ()),
                    ViewKind::Prices => self.prices.remove(&key).map(|_| ()),
                    ViewKind::Inventory => self.inventory.remove(&key).map(|_| ()),
                };
                ApplyOutcome::Deleted
            }
        }
    }

    pub fn product(&self, id: &str) -> Option<Arc<Product>> {
        self.products.get(id).map(|p| Arc::clone(p.value()))
    }

    pub fn price(&self, sku: &str) -> Option<Arc<Price>> {
        self.prices.get(sku).map(|p| Arc::clone(p.value()))
    }

    pub fn inventory(&self, sku: &str) -> Option<Arc<Inventory>> {
        self.inventory.get(sku).map(|i| Arc::clone(i.value()))
    }

    /// Units available for a SKU; no inventory record means none.
    pub fn available(&self, sku: &str) -> i32 {
        self.inventory.get(sku).map_or(0, |i| i.available)
    }

    /// A consistent-enough copy of all product pointers, for listings.
    pub fn products(&self) -> Vec<Arc<Product>> {
        self.products
            .iter()
            .map(|p| Arc::clone(p.value()))
            .collect()
    }

    /// Records held per view.
    pub fn len(&self, kind: ViewKind) -> usize {
        match kind {
            ViewKind::Products => self.products.len(),
            ViewKind::Prices => self.prices.len(),
            ViewKind::Inventory => self.inventory.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        ViewKind::ALL.iter().all(|k| self.len(*k) == 0)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Small builders for tests across the crate.
    use super::*;

    pub fn product(id: &str, version: u64, skus: &[&str]) -> Product {
        Product {
            id: id.into(),
            version,
            title: format!("Title {id}"),
            brand: "Brand".into(),
            description: String::new(),
            categories: vec!["women/knitwear/sweaters".into()],
            images: vec![],
            hs_code: Some("6110.12".into()),
            published_at: None,
            published_at_ms: None,
            variants: skus
                .iter()
                .map(|s| Variant {
                    sku: s.to_string(),
                    size: Some("M".into()),
                    color: None,
                })
                .collect(),
            search_text: format!("title {id} brand"),
            title_key: format!("title {id}"),
        }
    }

    pub fn price(sku: &str, version: u64, list: i64, sale: Option<i64>) -> Price {
        Price {
            sku: sku.into(),
            version,
            currency: "USD".into(),
            list_minor: list,
            sale_minor: sale,
        }
    }

    pub fn stock(sku: &str, version: u64, available: i32) -> Inventory {
        Inventory {
            sku: sku.into(),
            version,
            available,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn newer_version_wins_older_and_equal_are_stale() {
        let c = Catalog::new();
        assert_eq!(
            c.apply(Change::Price(price("a", 2, 100, None))),
            ApplyOutcome::Applied
        );
        assert_eq!(
            c.apply(Change::Price(price("a", 1, 999, None))),
            ApplyOutcome::Stale
        );
        assert_eq!(
            c.apply(Change::Price(price("a", 2, 999, None))),
            ApplyOutcome::Stale
        );
        assert_eq!(c.price("a").unwrap().list_minor, 100);
        assert_eq!(
            c.apply(Change::Price(price("a", 3, 150, None))),
            ApplyOutcome::Applied
        );
        assert_eq!(c.price("a").unwrap().list_minor, 150);
    }

    #[test]
    fn redelivery_is_idempotent() {
        let c = Catalog::new();
        let p = product("p1", 5, &["s1"]);
        c.apply(Change::Product(p.clone()));
        assert_eq!(c.apply(Change::Product(p.clone())), ApplyOutcome::Stale);
        assert_eq!(*c.product("p1").unwrap(), p);
    }

    #[test]
    fn tombstone_deletes_only_its_key_and_view() {
        let c = Catalog::new();
        c.apply(Change::Product(product("p1", 1, &["s1"])));
        c.apply(Change::Product(product("p2", 1, &["s2"])));
        c.apply(Change::Inventory(stock("p1", 1, 3)));
        let out = c.apply(Change::Delete(ViewKind::Products, "p1".into()));
        assert_eq!(out, ApplyOutcome::Deleted);
        assert!(c.product("p1").is_none());
        assert!(c.product("p2").is_some());
        assert_eq!(c.available("p1"), 3, "other views keep the key");
        // Deleting an absent key is harmless.
        assert_eq!(
            c.apply(Change::Delete(ViewKind::Products, "nope".into())),
            ApplyOutcome::Deleted
        );
    }

    #[test]
    fn missing_inventory_means_zero_available() {
        let c = Catalog::new();
        assert_eq!(c.available("x"), 0);
        c.apply(Change::Inventory(stock("x", 1, 4)));
        assert_eq!(c.available("x"), 4);
        assert_eq!(c.len(ViewKind::Inventory), 1);
    }
}
