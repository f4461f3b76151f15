//! From applied changes to subscription events: which variants a change touches, for a
//! subscription's filter and market, and whether what the shopper sees actually changed.

use std::collections::HashSet;
use std::sync::Arc;

use super::buffer::Coalesce;
use super::ViewChange;
use crate::pricing::landed::{Market, ShownPrice};
use crate::views::{Catalog, IntlContext, Inventory, Price, Product, StockAndPrices};

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

    /// A filter of SKUs only, without this one: decided before any read of the views.
    pub fn excludes_sku(&self, sku: &str) -> bool {
        self.product_ids.is_empty() && !self.skus.is_empty() && !self.skus.contains(sku)
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// One variant's shown price before and after a change, and what to report it with.
struct PriceMove<'a> {
    product: &'a Arc<Product>,
    sku: &'a str,
    record: Option<Arc<Price>>,
    before: Option<ShownPrice>,
    after: Option<ShownPrice>,
    version: u64,
}

/// Emits a move that changed the shown amount; returns false when `emit` asks to stop.
fn report(m: PriceMove<'_>, emit: &mut impl FnMut(PriceEvent) -> bool) -> bool {
    if same_amount(&m.before, &m.after) {
        return true;
    }
    emit(PriceEvent {
        sku: m.sku.to_string(),
        product: Arc::clone(m.product),
        price_record: m.record,
        price: m.after,
        previous: m.before,
        version: m.version,
    })
}

/// A price record changed: one variant, in the subscription's market.
fn price_record_moved(
    sku: &str,
    old: &Option<Arc<Price>>,
    new: &Option<Arc<Price>>,
    catalog: &Catalog,
    filter: &Filter,
    market: &MarketRef,
    emit: &mut impl FnMut(PriceEvent) -> bool,
) {
    if filter.excludes_sku(sku) {
        return;
    }
    let Some(product) = catalog.product_of_sku(sku) else {
        return;
    };
    let Some(m) = market
        .current(catalog)
        .filter(|_| filter.matches(sku, &product.id))
    else {
        return;
    };
    let price_move = PriceMove {
        product: &product,
        sku,
        record: new.clone(),
        before: old.as_ref().and_then(|p| m.selling(p, &product)),
        after: new.as_ref().and_then(|p| m.selling(p, &product)),
        version: new.as_ref().or(old.as_ref()).map_or(0, |p| p.version),
    };
    report(price_move, emit);
}

/// A country's pricing context changed: every matching variant, in that market only.
fn market_moved(
    old: &Option<Arc<IntlContext>>,
    new: &Option<Arc<IntlContext>>,
    catalog: &Catalog,
    filter: &Filter,
    emit: &mut impl FnMut(PriceEvent) -> bool,
) {
    let before_m = old.clone().map(Market::Intl);
    let after_m = new.clone().map(Market::Intl);
    let version = new.as_ref().or(old.as_ref()).map_or(0, |i| i.version);
    filter.for_each_variant(catalog, |product, sku| {
        let Some(price) = catalog.price(sku) else {
            return true;
        };
        let price_move = PriceMove {
            product,
            sku,
            before: before_m.as_ref().and_then(|m| m.selling(&price, product)),
            after: after_m.as_ref().and_then(|m| m.selling(&price, product)),
            record: Some(price),
            version,
        };
        report(price_move, emit)
    });
}

/// A product's HS code (so its duty) changed: its matching variants, in the market.
fn duty_moved(
    old: &Product,
    new: &Arc<Product>,
    catalog: &Catalog,
    filter: &Filter,
    market: &MarketRef,
    emit: &mut impl FnMut(PriceEvent) -> bool,
) {
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
        let price_move = PriceMove {
            product: new,
            sku: &variant.sku,
            before: m.selling(&price, old),
            after: m.selling(&price, new),
            record: Some(price),
            version: new.version,
        };
        if !report(price_move, emit) {
            return;
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
    match change {
        ViewChange::Price { sku, old, new } => {
            price_record_moved(sku, old, new, catalog, filter, market, &mut emit)
        }
        ViewChange::Intl { country, old, new } => {
            if matches!(market, MarketRef::Country(ours) if ours == country) {
                market_moved(old, new, catalog, filter, &mut emit);
            }
        }
        // Only the HS code (duty) can move a price; variants come and go with their prices.
        ViewChange::Product {
            old: Some(old),
            new: Some(new),
            ..
        } if old.hs_code != new.hs_code => duty_moved(old, new, catalog, filter, market, &mut emit),
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
        ViewChange::Inventory { sku, .. } | ViewChange::Price { sku, .. }
            if filter.excludes_sku(sku) =>
        {
            return
        }
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
#[path = "translate_tests.rs"]
mod tests;
