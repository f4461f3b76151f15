//! The product page types: `Product`, `ProductVariant`, `MoneyV2`, after Shopify's Storefront API.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject, ID};
use serde::{Deserialize, Serialize};

use crate::pricing::money::{format_minor, minor_units};
use crate::views::reads::RecordingReader;
use crate::views::{self, summarize, StockAndPrices};

/// An exact decimal amount as a string, e.g. `"899.00"`: never a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decimal(pub String);
async_graphql::scalar!(
    Decimal,
    "Decimal",
    "An exact decimal number as a string, such as \"899.00\"."
);

/// An RFC 3339 date-time string, e.g. `"2026-03-01T09:00:00Z"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateTime(pub String);
async_graphql::scalar!(DateTime, "DateTime", "An RFC 3339 date and time.");

/// An amount of money in a currency.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct MoneyV2 {
    /// Decimal amount, with as many decimals as the currency has minor units.
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency_code: String,
}

impl MoneyV2 {
    pub fn from_minor(amount_minor: i64, currency: &str) -> Self {
        Self {
            amount: Decimal(format_minor(amount_minor, minor_units(currency))),
            currency_code: currency.to_string(),
        }
    }
}

/// The lowest and highest variant selling prices of a product.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProductPriceRange {
    pub min_variant_price: MoneyV2,
    pub max_variant_price: MoneyV2,
}

/// A product, read from the views when each field resolves.
pub struct Product(pub Arc<views::Product>);

/// The request's reader: every view read goes through it, so it knows what an answer depends on.
pub(crate) fn reader<'a>(ctx: &Context<'a>) -> &'a RecordingReader {
    ctx.data_unchecked::<Arc<RecordingReader>>()
}

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn brand(&self) -> &str {
        &self.0.brand
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Category paths, most specific last segment, e.g. `women/knitwear/sweaters`.
    async fn categories(&self) -> &[String] {
        &self.0.categories
    }
    /// Image URLs, in display order.
    async fn images(&self) -> &[String] {
        &self.0.images
    }
    /// Harmonized System code used for duty, e.g. `6110.12`.
    async fn hs_code(&self) -> Option<&str> {
        self.0.hs_code.as_deref()
    }
    async fn published_at(&self) -> Option<DateTime> {
        self.0.published_at.clone().map(DateTime)
    }
    async fn variants(&self, ctx: &Context<'_>) -> Vec<ProductVariant> {
        let reader = reader(ctx);
        self.0
            .variants
            .iter()
            .map(|v| ProductVariant::read(reader, v))
            .collect()
    }
    /// True when any variant is priced and in stock.
    async fn available_for_sale(&self, ctx: &Context<'_>) -> bool {
        summarize(reader(ctx), &self.0).available_for_sale
    }
    /// Lowest and highest variant price; null while no variant has a price.
    async fn price_range(&self, ctx: &Context<'_>) -> Option<ProductPriceRange> {
        let reader = reader(ctx);
        let prices = self.0.variants.iter().filter_map(|v| reader.price(&v.sku));
        let (mut min, mut max): (Option<Arc<views::Price>>, Option<Arc<views::Price>>) =
            (None, None);
        for price in prices {
            if min
                .as_ref()
                .is_none_or(|m| price.selling_minor() < m.selling_minor())
            {
                min = Some(Arc::clone(&price));
            }
            if max
                .as_ref()
                .is_none_or(|m| price.selling_minor() > m.selling_minor())
            {
                max = Some(price);
            }
        }
        let (min, max) = (min?, max?);
        Some(ProductPriceRange {
            min_variant_price: MoneyV2::from_minor(min.selling_minor(), &min.currency),
            max_variant_price: MoneyV2::from_minor(max.selling_minor(), &max.currency),
        })
    }
}

/// One size/color of a product, with its price and stock at the time of the request.
#[derive(SimpleObject)]
pub struct ProductVariant {
    /// Same as `sku`: variants are identified by SKU.
    pub id: ID,
    pub sku: String,
    /// `size / color`, as a storefront shows it.
    pub title: String,
    pub size: Option<String>,
    pub color: Option<String>,
    /// Selling price; null while the SKU has no price.
    pub price: Option<MoneyV2>,
    /// The struck-through list price, when a lower sale price applies.
    pub compare_at_price: Option<MoneyV2>,
    pub quantity_available: i32,
    /// Priced and in stock.
    pub available_for_sale: bool,
}

impl ProductVariant {
    fn read(views: &impl StockAndPrices, variant: &views::Variant) -> Self {
        let price = views.price(&variant.sku);
        let quantity_available = views.available(&variant.sku);
        let title = [variant.size.as_deref(), variant.color.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        Self {
            id: ID(variant.sku.clone()),
            sku: variant.sku.clone(),
            title,
            size: variant.size.clone(),
            color: variant.color.clone(),
            price: price
                .as_ref()
                .map(|p| MoneyV2::from_minor(p.selling_minor(), &p.currency)),
            compare_at_price: price.as_ref().and_then(|p| {
                p.compare_at_minor()
                    .map(|list| MoneyV2::from_minor(list, &p.currency))
            }),
            quantity_available,
            available_for_sale: price.is_some() && quantity_available > 0,
        }
    }
}
