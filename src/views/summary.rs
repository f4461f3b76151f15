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
        for (at, (price, available)) in self.variants.iter().enumerate() {
            if let Some(price) = price {
                summary.add(at, price.selling_minor(), *available > 0);
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
    /// Which priced variants are in stock (see [`Stocked`]), for variant-option filters and
    /// facets.
    pub stocked: Stocked,
}

/// Bit `i` (`i < 63`): the product's variant `i` is priced and in stock; bit 63: some variant
/// from the 64th on is (such products are rare: past 63 variants, an option filter that needs
/// stock treats every later variant as in stock when any of them is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stocked(pub u64);

impl Stocked {
    pub(super) const LAST: usize = 63;

    pub fn set(&mut self, variant: usize) {
        self.0 |= 1 << variant.min(Self::LAST);
    }

    pub fn has(self, variant: usize) -> bool {
        self.0 & (1 << variant.min(Self::LAST)) != 0
    }
}

impl ProductSummary {
    /// Counts priced variant `at`: its selling price, and whether it is in stock.
    fn add(&mut self, at: usize, amount: i64, in_stock: bool) {
        self.min_price_minor = Some(self.min_price_minor.map_or(amount, |m| m.min(amount)));
        self.max_price_minor = Some(self.max_price_minor.map_or(amount, |m| m.max(amount)));
        if in_stock {
            self.available_for_sale = true;
            self.stocked.set(at);
        }
    }
}

/// Computes a product's summary from the current prices and stock (no allocation: ingest
/// calls it on every change).
pub fn summarize(views: &impl StockAndPrices, product: &Product) -> ProductSummary {
    let mut summary = ProductSummary::default();
    for (at, variant) in product.variants.iter().enumerate() {
        if let Some(price) = views.price(&variant.sku) {
            summary.add(at, price.selling_minor(), views.available(&variant.sku) > 0);
        }
    }
    summary
}

/// `held` once the stock of `sku` (or its holds) moved and nothing else did: only that SKU is
/// read again, not every variant. `None` when it sits past the 63rd variant (the last bit of
/// [`Stocked`] stands for all of those): then compute the summary whole.
pub fn restocked(
    views: &impl StockAndPrices,
    product: &Product,
    held: ProductSummary,
    sku: &str,
) -> Option<ProductSummary> {
    let mut summary = held;
    let mut now: Option<bool> = None;
    for (at, variant) in product.variants.iter().enumerate() {
        if variant.sku != sku {
            continue;
        }
        if at >= Stocked::LAST {
            return None;
        }
        let in_stock =
            *now.get_or_insert_with(|| views.price(sku).is_some() && views.available(sku) > 0);
        summary.stocked.0 &= !(1u64 << at);
        if in_stock {
            summary.stocked.set(at);
        }
    }
    summary.available_for_sale = summary.stocked.0 != 0;
    Some(summary)
}
