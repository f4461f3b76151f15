//! From applied changes to subscription events: which variants a change touches, for a
//! subscription's filter and market, and whether what the shopper sees actually changed.

use std::collections::HashSet;
use std::sync::Arc;

use super::buffer::Coalesce;
use super::ViewChange;
use crate::pricing::landed::{Market, ShownPrice};
use crate::views::{Catalog, Inventory, Price, Product, StockAndPrices};

/// Which variants a subscription wants: listed SKUs, variants of listed products, or (both
/// empty) everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub skus: HashSet<String>,
    pub product_ids: HashSet<String>,
}

impl Filter {
    pub fn is_all(&self) -> bool {
        self.skus.is_empty() && self.product_ids.is_empty()
    }

    pub fn matches(&self, sku: &str, product_id: &str) -> bool {
        self.is_all() || self.skus.contains(sku) || self.product_ids.contains(product_id)
    }

    /// Visits each (product, sku) the filter selects; stops when `visit` returns false.
    fn for_each_variant(
        &self,
        catalog: &Catalog,
        mut visit: impl FnMut(&Arc<Product>, &str) -> bool,
    ) {
        if self.is_all() {
            let mut going = true;
            catalog.for_each_product(|entry| {
                for variant in &entry.product.variants {
                    if going {
                        going = visit(&entry.product, &variant.sku);
                    }
                }
            });
            return;
        }
        let mut seen = HashSet::new();
        let by_sku = self.skus.iter().filter_map(|s| catalog.product_of_sku(s));
        let by_id = self.product_ids.iter().filter_map(|id| catalog.product(id));
        for product in by_sku.chain(by_id) {
            for variant in &product.variants {
                if self.matches(&variant.sku, &product.id)
                    && seen.insert(variant.sku.clone())
                    && !visit(&product, &variant.sku)
                {
                    return;
                }
            }
        }
    }
}

/// The shown price of a variant moved.
#[derive(Debug, Clone)]
pub struct PriceEvent {
    pub sku: String,
    pub product: Arc<Product>,
    pub price_record: Option<Arc<Price>>,
    pub price: Option<ShownPrice>,
    pub previous: Option<ShownPrice>,
    /// Version of the record whose change caused this (price, product or intl record).
    pub version: u64,
}

impl Coalesce for PriceEvent {
    fn absorb(&mut self, newer: Self) {
        let previous = self.previous.take();
        *self = newer;
        self.previous = previous;
    }
}

fn same_amount(a: &Option<ShownPrice>, b: &Option<ShownPrice>) -> bool {
    let key = |s: &Option<ShownPrice>| s.as_ref().map(|s| (s.amount_minor, s.currency.clone()));
    key(a) == key(b)
}

/// The market a subscription prices in: the base market, or a country's current context.
#[derive(Debug, Clone)]
pub enum MarketRef {
    Base,
    Country(String),
}

impl MarketRef {
    fn current(&self, catalog: &Catalog) -> Option<Market> {
        match self {
            MarketRef::Base => Some(Market::Base),
            MarketRef::Country(c) => catalog.intl(c).map(Market::Intl),
        }
    }
}

/// Calls `emit` for every shown-price move `change` causes; stops when `emit` returns false.
pub fn price_events(
    change: &ViewChange,
    catalog: &Catalog,
    filter: &Filter,
    market: &MarketRef,
    mut emit: impl FnMut(PriceEvent) -> bool,
) {
    let mut compare = |product: &Arc<Product>,
                       sku: &str,
                       record: Option<Arc<Price>>,
                       before: Option<ShownPrice>,
                       after: Option<ShownPrice>,
                       version: u64| {
        if same_amount(&before, &after) {
            return true;
        }
        emit(PriceEvent {
            sku: sku.to_string(),
            product: Arc::clone(product),
            price_record: record,
            price: after,
            previous: before,
            version,
        })
    };
    match change {
        ViewChange::Price { sku, old, new } => {
            let Some(product) = catalog.product_of_sku(sku) else {
                return;
            };
            let Some(m) = market
                .current(catalog)
                .filter(|_| filter.matches(sku, &product.id))
            else {
                return;
            };
            let before = old.as_ref().and_then(|p| m.selling(p, &product));
            let after = new.as_ref().and_then(|p| m.selling(p, &product));
            let version = new.as_ref().or(old.as_ref()).map_or(0, |p| p.version);
            compare(&product, sku, new.clone(), before, after, version);
        }
        ViewChange::Intl { country, old, new } => {
            let MarketRef::Country(ours) = market else {
                return;
            };
            if ours != country {
                return;
            }
            let before_m = old.clone().map(Market::Intl);
            let after_m = new.clone().map(Market::Intl);
            let version = new.as_ref().or(old.as_ref()).map_or(0, |i| i.version);
            filter.for_each_variant(catalog, |product, sku| {
                let Some(price) = catalog.price(sku) else {
                    return true;
                };
                let before = before_m.as_ref().and_then(|m| m.selling(&price, product));
                let after = after_m.as_ref().and_then(|m| m.selling(&price, product));
                compare(product, sku, Some(price), before, after, version)
            });
        }
        ViewChange::Product {
            old: Some(old),
            new: Some(new),
            ..
        } => {
            // Only the HS code (duty) can move a price; variants come and go with their prices.
            if old.hs_code == new.hs_code {
                return;
            }
            let Some(m) = market.current(catalog) else {
                return;
            };
            for variant in &new.variants {
                if !filter.matches(&variant.sku, &new.id) {
                    continue;
                }
                let Some(price) = catalog.price(&variant.sku) else {
                    continue;
                };
                let before = m.selling(&price, old);
                let after = m.selling(&price, new);
                if !compare(
                    new,
                    &variant.sku,
                    Some(Arc::clone(&price)),
                    before,
                    after,
                    new.version,
                ) {
                    return;
                }
            }
        }
        ViewChange::Product { .. } | ViewChange::Inventory { .. } => {}
    }
}

/// A variant's stock as a page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockStatus {
    InStock,
    LowStock,
    OutOfStock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockState {
    pub quantity: i32,
    pub available_for_sale: bool,
    pub status: StockStatus,
}

impl StockState {
    pub fn new(quantity: i32, priced: bool, low_stock_below: i32) -> Self {
        let status = if quantity <= 0 {
            StockStatus::OutOfStock
        } else if quantity < low_stock_below {
            StockStatus::LowStock
        } else {
            StockStatus::InStock
        };
        Self {
            quantity,
            available_for_sale: priced && quantity > 0,
            status,
        }
    }
}

/// Stock (or availability) of a variant changed.
#[derive(Debug, Clone)]
pub struct StockEvent {
    pub sku: String,
    pub product_id: String,
    pub state: StockState,
    pub version: u64,
}

impl Coalesce for StockEvent {
    fn absorb(&mut self, newer: Self) {
        *self = newer;
    }
}

/// Calls `emit` when `change` moves a selected variant's quantity, availability or status.
pub fn stock_events(
    change: &ViewChange,
    catalog: &Catalog,
    filter: &Filter,
    low_stock_below: i32,
    mut emit: impl FnMut(StockEvent) -> bool,
) {
    let quantity = |i: &Option<Arc<Inventory>>| i.as_ref().map_or(0, |i| i.available);
    let (sku, before, after, version) = match change {
        ViewChange::Inventory { sku, old, new } => {
            let priced = catalog.price(sku).is_some();
            let version = new.as_ref().or(old.as_ref()).map_or(0, |i| i.version);
            (
                sku,
                StockState::new(quantity(old), priced, low_stock_below),
                StockState::new(quantity(new), priced, low_stock_below),
                version,
            )
        }
        ViewChange::Price { sku, old, new } if old.is_some() != new.is_some() => {
            let held = catalog.available(sku);
            let version = new.as_ref().or(old.as_ref()).map_or(0, |p| p.version);
            (
                sku,
                StockState::new(held, old.is_some(), low_stock_below),
                StockState::new(held, new.is_some(), low_stock_below),
                version,
            )
        }
        _ => return,
    };
    if before == after {
        return;
    }
    let Some(product) = catalog.product_of_sku(sku) else {
        return;
    };
    if filter.matches(sku, &product.id) {
        emit(StockEvent {
            sku: sku.clone(),
            product_id: product.id.clone(),
            state: after,
            version,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::{price, product, stock};
    use crate::views::Change;

    fn catalog() -> Catalog {
        let c = Catalog::new();
        c.apply(Change::Product(product("p1", 1, &["a", "b"])));
        c.apply(Change::Product(product("p2", 1, &["c"])));
        for sku in ["a", "b", "c"] {
            c.apply(Change::Price(price(sku, 1, 1000, None)));
        }
        c
    }

    fn price_change(sku: &str, old: i64, new: i64) -> ViewChange {
        ViewChange::Price {
            sku: sku.into(),
            old: Some(Arc::new(price(sku, 1, old, None))),
            new: Some(Arc::new(price(sku, 2, new, None))),
        }
    }

    fn collect(
        change: &ViewChange,
        c: &Catalog,
        filter: &Filter,
    ) -> Vec<(String, Option<i64>, Option<i64>)> {
        let mut out = vec![];
        price_events(change, c, filter, &MarketRef::Base, |e| {
            out.push((
                e.sku,
                e.previous.map(|p| p.amount_minor),
                e.price.map(|p| p.amount_minor),
            ));
            true
        });
        out
    }

    #[test]
    fn filters_select_by_sku_or_product() {
        let c = catalog();
        let change = price_change("b", 1000, 900);
        assert_eq!(
            collect(&change, &c, &Filter::default()),
            [("b".into(), Some(1000), Some(900))]
        );
        let by_sku = Filter {
            skus: ["b".to_string()].into(),
            ..Default::default()
        };
        assert_eq!(collect(&change, &c, &by_sku).len(), 1);
        let other_sku = Filter {
            skus: ["a".to_string()].into(),
            ..Default::default()
        };
        assert!(collect(&change, &c, &other_sku).is_empty());
        let by_product = Filter {
            product_ids: ["p1".to_string()].into(),
            ..Default::default()
        };
        assert_eq!(collect(&change, &c, &by_product).len(), 1);
        let other_product = Filter {
            product_ids: ["p2".to_string()].into(),
            ..Default::default()
        };
        assert!(collect(&change, &c, &other_product).is_empty());
    }

    #[test]
    fn unchanged_shown_price_is_no_event() {
        let c = catalog();
        // A list price change under an unchanged lower sale price: the shown price stays.
        let change = ViewChange::Price {
            sku: "a".into(),
            old: Some(Arc::new(price("a", 1, 1000, Some(800)))),
            new: Some(Arc::new(price("a", 2, 1200, Some(800)))),
        };
        assert!(collect(&change, &c, &Filter::default()).is_empty());
    }

    #[test]
    fn stock_status_and_availability() {
        let c = catalog();
        let mut events = vec![];
        let change = ViewChange::Inventory {
            sku: "a".into(),
            old: Some(Arc::new(stock("a", 1, 5))),
            new: Some(Arc::new(stock("a", 2, 2))),
        };
        stock_events(&change, &c, &Filter::default(), 3, |e| {
            events.push(e);
            true
        });
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].state.status, StockStatus::LowStock);
        assert!(events[0].state.available_for_sale);
        // A price deletion makes a stocked variant unavailable.
        c.apply(Change::Inventory(stock("c", 1, 9)));
        let gone = ViewChange::Price {
            sku: "c".into(),
            old: Some(Arc::new(price("c", 1, 1, None))),
            new: None,
        };
        let mut flips = vec![];
        stock_events(&gone, &c, &Filter::default(), 3, |e| {
            flips.push(e);
            true
        });
        assert_eq!(flips.len(), 1);
        assert!(!flips[0].state.available_for_sale);
        assert_eq!(flips[0].state.status, StockStatus::InStock);
    }
}
