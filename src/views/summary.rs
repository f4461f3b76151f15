//! Per-product price range and availability, derived from the price and inventory views.

use std::sync::Arc;

use super::{Inventory, Price, Product};

/// Read access to prices and stock: the catalog itself, or a reader that records what it saw.
pub trait StockAndPrices {
    fn price(&self, sku: &str) -> Option<Arc<Price>>;
    fn inventory(&self, sku: &str) -> Option<Arc<Inventory>>;

    /// Units available for a SKU; no inventory record means none.
    fn available(&self, sku: &str) -> i32 {
        self.inventory(sku).map_or(0, |i| i.available)
    }

    /// Every variant of `product` as read now. A request's reader reads them once and hands
    /// the same reads to every field that needs them (variants, price range, availability).
    fn variant_reads(&self, product: &Arc<Product>) -> Arc<VariantReads>
    where
        Self: Sized,
    {
        Arc::new(VariantReads::read(self, product))
    }
}

/// One product's variants as read together: each variant's price record (if priced) and units
/// available, in the product's variant order.
#[derive(Debug, Clone, Default)]
pub struct VariantReads {
    pub variants: Vec<(Option<Arc<Price>>, i32)>,
}

impl VariantReads {
    pub fn read(views: &impl StockAndPrices, product: &Product) -> Self {
        let variants = product
            .variants
            .iter()
            .map(|v| (views.price(&v.sku), views.available(&v.sku)))
            .collect();
        Self { variants }
    }

    /// The product's summary from these reads (the same rule as [`summarize`]).
    pub fn summary(&self) -> ProductSummary {
        let mut summary = ProductSummary::default();
        for (price, available) in &self.variants {
            if let Some(price) = price {
                summary.add(price.selling_minor(), || *available > 0);
            }
        }
        summary
    }
}

/// Price and availability of a product, as listings filter and sort on them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductSummary {
    /// Lowest and highest selling price of the priced variants (base minor units).
    pub min_price_minor: Option<i64>,
    pub max_price_minor: Option<i64>,
    /// Some priced variant is in stock.
    pub available_for_sale: bool,
}

impl ProductSummary {
    /// Counts one priced variant: its selling price, and whether it is in stock (asked only
    /// for priced variants).
    fn add(&mut self, amount: i64, in_stock: impl FnOnce() -> bool) {
        self.min_price_minor = Some(self.min_price_minor.map_or(amount, |m| m.min(amount)));
        self.max_price_minor = Some(self.max_price_minor.map_or(amount, |m| m.max(amount)));
        if !self.available_for_sale && in_stock() {
            self.available_for_sale = true;
        }
    }
}

/// Computes a product's summary from the current prices and stock (no allocation: ingest
/// calls it on every change).
pub fn summarize(views: &impl StockAndPrices, product: &Product) -> ProductSummary {
    let mut summary = ProductSummary::default();
    for variant in &product.variants {
        if let Some(price) = views.price(&variant.sku) {
            summary.add(price.selling_minor(), || views.available(&variant.sku) > 0);
        }
    }
    summary
}
