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

/// Computes a product's summary from the current prices and stock.
pub fn summarize(views: &impl StockAndPrices, product: &Product) -> ProductSummary {
    let mut summary = ProductSummary::default();
    for variant in &product.variants {
        let Some(price) = views.price(&variant.sku) else {
            continue;
        };
        let amount = price.selling_minor();
        summary.min_price_minor = Some(summary.min_price_minor.map_or(amount, |m| m.min(amount)));
        summary.max_price_minor = Some(summary.max_price_minor.map_or(amount, |m| m.max(amount)));
        if views.available(&variant.sku) > 0 {
            summary.available_for_sale = true;
        }
    }
    summary
}
