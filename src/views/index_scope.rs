//! One listing scope: its products in every order, its counts, and the changes it saw lately.

use std::collections::HashMap;
use std::sync::Arc;

use super::index::{HsClass, Id, Indexed, Ordered};
use super::index_moves::Moves;

type Hash = foldhash::fast::RandomState;

/// One scope's products in every order, and its counts.
#[derive(Debug, Default)]
pub struct Scope {
    pub by_id: Ordered<Id>,
    pub by_title: Ordered<(Arc<str>, Id)>,
    pub by_created: Ordered<(i64, Id)>,
    /// Priced products by lowest base selling price, per HS code.
    pub by_price: HashMap<HsClass, Ordered<(i64, Id)>, Hash>,
    /// Its products' ordinals (for facets).
    pub bits: roaring::RoaringBitmap,
    pub in_stock: usize,
    /// Priced products (every product in stock is priced: stock counts only priced variants).
    pub priced: usize,
    /// Changes whenever a product enters, leaves or changes within the scope.
    pub generation: u64,
    /// The latest of those changes, one by one (see `index_moves`).
    pub moves: Moves,
}

impl Scope {
    pub(super) fn add(&mut self, entry: &Arc<Indexed>) {
        let id = &entry.id;
        self.bits.insert(entry.ordinal);
        self.by_id.insert(Arc::clone(id), Arc::clone(entry));
        self.by_title.insert(
            (Arc::clone(&entry.title_key), Arc::clone(id)),
            Arc::clone(entry),
        );
        self.by_created
            .insert((entry.created(), Arc::clone(id)), Arc::clone(entry));
        self.add_price(entry);
    }

    pub(super) fn take(&mut self, entry: &Indexed) {
        let id = &entry.id;
        self.bits.remove(entry.ordinal);
        self.by_id.remove(id);
        self.by_title
            .remove(&(Arc::clone(&entry.title_key), Arc::clone(id)));
        self.by_created.remove(&(entry.created(), Arc::clone(id)));
        self.take_price(entry);
    }

    /// Counts the entry's summary and orders it by price (when priced).
    pub(super) fn add_price(&mut self, entry: &Arc<Indexed>) {
        self.in_stock += usize::from(entry.in_stock());
        if let Some(min) = entry.min_price() {
            self.by_price
                .entry(entry.hs_class().clone())
                .or_default()
                .insert((min, Arc::clone(&entry.id)), Arc::clone(entry));
            self.priced += 1;
        }
    }

    pub(super) fn take_price(&mut self, entry: &Indexed) {
        self.in_stock -= usize::from(entry.in_stock());
        if let Some(min) = entry.min_price() {
            if let Some(prices) = self.by_price.get_mut(entry.hs_class()) {
                prices.remove(&(min, Arc::clone(&entry.id)));
                if prices.is_empty() {
                    self.by_price.remove(entry.hs_class());
                }
            }
            self.priced -= 1;
        }
    }

    /// Recounts from the entries (after a build).
    pub(super) fn count_all(&mut self) {
        let entries = self.by_id.values();
        let (mut in_stock, mut priced) = (0, 0);
        for e in entries {
            in_stock += usize::from(e.in_stock());
            priced += usize::from(e.min_price().is_some());
        }
        (self.in_stock, self.priced) = (in_stock, priced);
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
