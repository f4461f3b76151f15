//! Bulk loading of the catalog (a replay or a snapshot before the service is ready): the maps
//! sized once for what is coming, summaries not maintained change by change but computed once
//! at the end, on every core, then the listing indexes rebuilt.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::catalog::{Catalog, Map};
use super::{summarize, Product, ProductSummary, ViewKind};

impl Catalog {
    /// Stops maintaining summaries per change (a product with 5 variants would otherwise be
    /// summarized 11 times while its records stream in).
    pub fn begin_bulk(&self) {
        self.bulk.store(true, Ordering::Release);
    }

    /// Computes every product's summary once (on every core) and resumes per-change
    /// maintenance.
    pub fn end_bulk(&self) {
        if !self.bulk.swap(false, Ordering::AcqRel) {
            return;
        }
        self.fit_reserved();
        let products = self.all_products();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = products.len().div_ceil(threads).max(1);
        let entries = std::thread::scope(|scope| {
            let parts: Vec<_> = products
                .chunks(share)
                .map(|part| scope.spawn(move || self.summarize_all(part)))
                .collect();
            let mut entries = Vec::with_capacity(products.len());
            for part in parts {
                // A panic while summarizing is not to leave products unsummarized unnoticed.
                entries.extend(part.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
            entries
        });
        self.index.rebuild(entries);
        self.changed(None);
    }

    /// Summarizes each listed product as it is now, under its stripe.
    fn summarize_all(&self, listed: &[Arc<Product>]) -> Vec<(Arc<Product>, ProductSummary)> {
        let mut entries = Vec::with_capacity(listed.len());
        for listed in listed {
            let _writing = self.records.writes.lock(&listed.id);
            let Some(mut entry) = self.products.get_mut(listed.id.as_str()) else {
                continue;
            };
            let product = Arc::clone(&entry.product);
            entry.summary = summarize(self, &product);
            entries.push((product, entry.summary));
        }
        entries
    }

    pub(super) fn in_bulk(&self) -> bool {
        self.bulk.load(Ordering::Acquire)
    }

    /// Makes room for `keys` more records of `kind` (a bulk load that knows its size), so the
    /// maps do not rehash as they grow (moving every entry, with old and new tables both
    /// alive at the peak). Prices size the SKU ownership map too.
    pub fn reserve(&self, kind: ViewKind, keys: usize) {
        match kind {
            ViewKind::Products => {
                reserve(&self.records.products, keys);
                reserve(&self.products, keys);
            }
            ViewKind::Prices => {
                reserve(&self.price_list.prices, keys);
                reserve(&self.records.sku_owner, keys);
            }
            ViewKind::Inventory => reserve(&self.pool.inventory, keys),
            ViewKind::Intl | ViewKind::Reservations => {}
        }
    }

    /// Gives back what a reservation overestimated (a topic with many versions per key).
    fn fit_reserved(&self) {
        fit(&self.records.products);
        fit(&self.products);
        fit(&self.price_list.prices);
        fit(&self.records.sku_owner);
        fit(&self.pool.inventory);
    }
}

fn reserve<V>(map: &Map<V>, keys: usize) {
    let shards = map.shards();
    // Keys spread evenly over the shards, give or take; a little more keeps the fullest from
    // doubling.
    let per_shard = (keys + keys / 16).div_ceil(shards.len());
    for shard in shards {
        shard
            .write()
            .reserve(per_shard, |(key, _)| map.hash_usize(key) as u64);
    }
}

fn fit<V>(map: &Map<V>) {
    if map.capacity() > 4 * map.len().max(1024) {
        map.shrink_to_fit();
    }
}
