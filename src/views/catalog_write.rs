//! Applying a change in two steps: `write` puts it into the shared part it belongs to (the
//! version rule, tombstones, SKU ownership, holds), once however many storefronts share that
//! part; `refresh` then brings one storefront's selection, summaries and listing indexes up to
//! date with what was written.

use std::sync::Arc;

use dashmap::mapref::entry::Entry;

use super::catalog::{ApplyOutcome, Catalog, Key, Moved, ProductEntry};
use super::claims::Claims;
use super::shared_parts::upsert_versioned;
use super::{summarize, Change, Product, ProductSummary, ViewKind};

/// What writing a change to its part did, and what storefronts must refresh for it.
#[derive(Debug, Clone)]
pub struct Written {
    pub outcome: ApplyOutcome,
    pub(super) touched: Touched,
}

/// What a written change touched.
#[derive(Debug, Clone)]
pub(super) enum Touched {
    /// Nothing a storefront derives (a stale change, a country context, a tick).
    Nothing,
    /// A product record (replaced, created or deleted).
    Product(String),
    /// The price or the stock of a SKU.
    Sku(String, Moved),
}

/// Which shared part a change belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Records,
    PriceList,
    Pool,
    Intl,
}

impl Part {
    pub fn of(change: &Change) -> Self {
        match change {
            Change::Product(_) | Change::Delete(ViewKind::Products, _) => Part::Records,
            Change::Price(_) | Change::Delete(ViewKind::Prices, _) => Part::PriceList,
            Change::Inventory(_)
            | Change::Reservation(_)
            | Change::Delete(ViewKind::Inventory | ViewKind::Reservations, _) => Part::Pool,
            Change::Intl(_) | Change::Delete(ViewKind::Intl, _) => Part::Intl,
        }
    }
}

impl Catalog {
    /// True when this storefront and `other` hold the same `part`.
    pub fn shares(&self, other: &Catalog, part: Part) -> bool {
        match part {
            Part::Records => Arc::ptr_eq(&self.records, &other.records),
            Part::PriceList => Arc::ptr_eq(&self.price_list, &other.price_list),
            Part::Pool => Arc::ptr_eq(&self.pool, &other.pool),
            Part::Intl => Arc::ptr_eq(&self.intl_map, &other.intl_map),
        }
    }

    /// Writes `change` into the part it belongs to (see [`Part`]); no storefront's summaries
    /// move until it is refreshed with what this returns.
    pub fn write(&self, change: Change) -> Written {
        let (outcome, touched) = match change {
            Change::Product(p) => {
                let id = p.id.clone();
                (self.write_product(p), Touched::Product(id))
            }
            Change::Delete(ViewKind::Products, id) => {
                self.delete_product(&id);
                (ApplyOutcome::Deleted, Touched::Product(id))
            }
            Change::Price(mut p) => {
                // A correction stays in force: later records carry its version forward.
                if let Some(held) = self.price_list.prices.get(p.sku.as_str()) {
                    p.corrected_at = p.corrected_at.max(held.corrected_at);
                }
                let sku = p.sku.clone();
                let outcome = upsert_versioned(&self.price_list.prices, &sku, p, |p| p.version);
                (outcome, Touched::Sku(sku, Moved::Price))
            }
            Change::Delete(ViewKind::Prices, sku) => {
                self.price_list.prices.remove(sku.as_str());
                (ApplyOutcome::Deleted, Touched::Sku(sku, Moved::Price))
            }
            Change::Inventory(i) => {
                let sku = i.sku.clone();
                let accounted = i.reservations.clone();
                let outcome = upsert_versioned(&self.pool.inventory, &sku, i, |i| i.version);
                if outcome == ApplyOutcome::Applied {
                    self.account_for(&sku, &accounted);
                }
                (outcome, Touched::Sku(sku, Moved::Stock))
            }
            Change::Delete(ViewKind::Inventory, sku) => {
                self.pool.inventory.remove(sku.as_str());
                (ApplyOutcome::Deleted, Touched::Sku(sku, Moved::Stock))
            }
            Change::Reservation(event) => {
                let sku = event.sku().to_string();
                let outcome = self.apply_reservation(event);
                (outcome, Touched::Sku(sku, Moved::Stock))
            }
            Change::Delete(ViewKind::Reservations, _) => (ApplyOutcome::Stale, Touched::Nothing),
            Change::Intl(mut i) => {
                if let Some(held) = self.intl_map.intl.get(i.country.as_str()) {
                    i.corrected_at = i.corrected_at.max(held.corrected_at);
                }
                let country = i.country.clone();
                let outcome = upsert_versioned(&self.intl_map.intl, &country, i, |i| i.version);
                (outcome, Touched::Nothing)
            }
            Change::Delete(ViewKind::Intl, country) => {
                self.intl_map.intl.remove(country.as_str());
                (ApplyOutcome::Deleted, Touched::Nothing)
            }
        };
        let touched = match outcome {
            ApplyOutcome::Stale => Touched::Nothing,
            _ => touched,
        };
        Written { outcome, touched }
    }

    /// Brings this storefront up to date with a change written to a part it holds.
    pub fn refresh(&self, written: &Written) {
        match &written.touched {
            Touched::Nothing => {}
            Touched::Product(id) => self.refresh_product(id),
            Touched::Sku(sku, moved) => self.refresh_owner_of(sku, *moved),
        }
    }

    fn write_product(&self, mut product: Product) -> ApplyOutcome {
        let records = &self.records;
        let _writing = records.writes.lock(&product.id);
        let previous = records
            .products
            .get(product.id.as_str())
            .map(|e| Arc::clone(e.value()));
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
            match records.sku_owner.entry(Key::from(variant.sku.as_str())) {
                Entry::Occupied(mut claims) => claims.get_mut().claim(&product.id),
                Entry::Vacant(slot) => {
                    slot.insert(Claims::One(product.id.clone()));
                }
            }
        }
        records
            .products
            .insert(Key::from(product.id.as_str()), product);
        ApplyOutcome::Applied
    }

    fn delete_product(&self, id: &str) {
        let _writing = self.records.writes.lock(id);
        if let Some((_, product)) = self.records.products.remove(id) {
            for variant in &product.variants {
                self.release_sku(&variant.sku, id);
            }
        }
    }

    /// `id` no longer lists `sku`: the SKU passes to its most recent other claimant, if any.
    fn release_sku(&self, sku: &str, id: &str) {
        if let Entry::Occupied(mut claims) = self.records.sku_owner.entry(Key::from(sku)) {
            if !claims.get_mut().release(id) {
                claims.remove();
            }
        }
    }

    /// Takes the product record `id` as it now is into this storefront: selected, it is
    /// (re)summarized and indexed; deleted or no longer selected, it leaves.
    fn refresh_product(&self, id: &str) {
        let _writing = self.records.writes.lock(id);
        let record = self.records.products.get(id).map(|e| Arc::clone(e.value()));
        match record {
            Some(product) if self.assortment.selects(&product) => {
                let held = self.products.get(id).map(|e| Arc::clone(&e.product));
                if held.is_some_and(|held| Arc::ptr_eq(&held, &product)) {
                    return;
                }
                let summary = if self.in_bulk() {
                    ProductSummary::default()
                } else {
                    let summary = summarize(self, &product);
                    self.index.upsert(&product, summary);
                    summary
                };
                self.products
                    .insert(Key::from(id), ProductEntry { product, summary });
            }
            _ => {
                if self.products.remove(id).is_some() {
                    self.index.remove(id);
                }
            }
        }
    }

    /// Recomputes the summaries of the products listing `sku` after its price or stock changed
    /// (after a stock change only that SKU is read again: see `summary::restocked`).
    pub(super) fn refresh_owner_of(&self, sku: &str, moved: Moved) {
        if self.in_bulk() {
            return;
        }
        let Some(claimants) = self.records.sku_owner.get(sku).map(|c| c.ids().to_vec()) else {
            return;
        };
        for id in claimants {
            // Under the product's stripe, so this summary is computed after every change that
            // an earlier refresh of the product might have missed.
            let _writing = self.records.writes.lock(&id);
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
}
