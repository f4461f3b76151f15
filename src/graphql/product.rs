//! The product page types: `Product`, `ProductVariant`, `MoneyV2`, after Shopify's Storefront API.
//! Every price goes through the query's market (`pricing::landed`), the same as checkout.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use serde::{Deserialize, Serialize};

use super::market::MarketContext;
use super::ApiSettings;
use crate::pricing::landed::ShownPrice;
use crate::pricing::money::{format_minor, minor_units};
use crate::pricing::quote::QuoteSigner;
use crate::views::reads::RecordingReader;
use crate::views::{self, StockAndPrices};

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
        Self::in_units(amount_minor, currency, minor_units(currency))
    }

    pub fn in_units(amount_minor: i64, currency: &str, units: u32) -> Self {
        Self {
            amount: Decimal(format_minor(amount_minor, units)),
            currency_code: currency.to_string(),
        }
    }

    pub fn shown(price: &ShownPrice) -> Self {
        Self::in_units(price.amount_minor, &price.currency, price.minor_units)
    }
}

/// The lowest and highest variant selling prices of a product.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProductPriceRange {
    pub min_variant_price: MoneyV2,
    pub max_variant_price: MoneyV2,
}

/// The request's reader: every view read goes through it, so it knows what an answer depends on.
pub(crate) fn reader<'a>(ctx: &Context<'a>) -> &'a RecordingReader {
    ctx.data_unchecked::<Arc<RecordingReader>>()
}

/// A product in the query's market, read from the views when each field resolves.
pub struct Product {
    pub product: Arc<views::Product>,
    pub market: Arc<MarketContext>,
}

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(self.product.id.clone())
    }
    async fn title(&self) -> &str {
        &self.product.title
    }
    async fn brand(&self) -> &str {
        &self.product.brand
    }
    async fn description(&self) -> &str {
        &self.product.description
    }
    /// Category paths, most specific last segment, e.g. `women/knitwear/sweaters`.
    async fn categories(&self) -> &[String] {
        &self.product.categories
    }
    /// Image URLs, in display order.
    async fn images(&self) -> &[String] {
        &self.product.images
    }
    /// Harmonized System code used for duty, e.g. `6110.12`.
    async fn hs_code(&self) -> Option<&str> {
        self.product.hs_code.as_deref()
    }
    async fn published_at(&self) -> Option<DateTime> {
        self.product.published_at.clone().map(DateTime)
    }
    async fn variants(&self, ctx: &Context<'_>) -> Vec<ProductVariant> {
        variants_of(reader(ctx), &self.product, &self.market)
    }
    /// True when any variant is priced and in stock.
    async fn available_for_sale(&self, ctx: &Context<'_>) -> bool {
        reader(ctx)
            .variant_reads(&self.product)
            .summary()
            .available_for_sale
    }
    /// Lowest and highest variant price in the query's market; null while no variant has a price.
    async fn price_range(&self, ctx: &Context<'_>) -> Option<ProductPriceRange> {
        price_range(reader(ctx), &self.product, &self.market)
    }
}

/// The lowest and highest shown prices of a product's priced variants in `market`.
pub fn price_range(
    reader: &RecordingReader,
    product: &Arc<views::Product>,
    market: &MarketContext,
) -> Option<ProductPriceRange> {
    let reads = reader.variant_reads(product);
    let base = &market.market;
    // Amounts first (no allocation), then the two prices shown: the first lowest and the last
    // highest in variant order, as a stable sort by amount would pick them.
    let mut low: Option<(i64, &views::Price)> = None;
    let mut high: Option<(i64, &views::Price)> = None;
    for price in reads
        .variants
        .iter()
        .filter_map(|(price, _)| price.as_deref())
    {
        let Some(amount) = base.shown_minor(price.selling_minor(), &price.currency, product) else {
            continue;
        };
        if low.is_none_or(|(m, _)| amount < m) {
            low = Some((amount, price));
        }
        if high.is_none_or(|(m, _)| amount >= m) {
            high = Some((amount, price));
        }
    }
    let shown = |(_, price): (i64, &views::Price)| base.selling(price, product);
    Some(ProductPriceRange {
        min_variant_price: MoneyV2::shown(&shown(low?)?),
        max_variant_price: MoneyV2::shown(&shown(high?)?),
    })
}

/// `size / color`, as a storefront shows it (either alone when the other is missing).
pub fn variant_title(variant: &views::Variant) -> String {
    [variant.size.as_deref(), variant.color.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A product's variants as shown in `market`, read through `reader`.
pub fn variants_of(
    reader: &RecordingReader,
    product: &Arc<views::Product>,
    market: &Arc<MarketContext>,
) -> Vec<ProductVariant> {
    let reads = reader.variant_reads(product);
    product
        .variants
        .iter()
        .zip(&reads.variants)
        .map(|(v, (price, available))| ProductVariant::read(v, price, *available, product, market))
        .collect()
}

/// One size/color of a product, with its price (in the query's market) and stock at the time
/// of the request.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProductVariant {
    /// Same as `sku`: variants are identified by SKU.
    pub id: ID,
    pub sku: String,
    /// `size / color`, as a storefront shows it.
    pub title: String,
    pub size: Option<String>,
    pub color: Option<String>,
    /// Selling price, converted with duty and tax included outside the base market; null
    /// while the SKU has no price.
    pub price: Option<MoneyV2>,
    /// The struck-through list price, when a lower sale price applies.
    pub compare_at_price: Option<MoneyV2>,
    pub quantity_available: i32,
    /// Priced and in stock.
    pub available_for_sale: bool,
    #[graphql(skip)]
    quotable: Option<(Arc<views::Price>, ShownPrice)>,
    #[graphql(skip)]
    product: Arc<views::Product>,
    #[graphql(skip)]
    market: Arc<MarketContext>,
}

#[ComplexObject]
impl ProductVariant {
    /// A signed token for `price` in this market; pass it to `checkout` to be charged this
    /// amount while it is valid, or be told why the price changed.
    async fn quote(&self, ctx: &Context<'_>) -> Option<String> {
        self.quote_for(
            reader(ctx),
            &ctx.data_unchecked::<ApiSettings>().checkout.quotes,
        )
    }
}

impl ProductVariant {
    /// The signed quote of this variant's shown price (see the `quote` field).
    pub fn quote_for(&self, reader: &RecordingReader, signer: &QuoteSigner) -> Option<String> {
        let (price, shown) = self.quotable.as_ref()?;
        let claims = self
            .market
            .quote_claims(price, &self.product, shown, signer.ttl_secs);
        // A memoized answer hands this quote out again: for at most half its lifetime.
        let now_ms = crate::clock::unix_ms();
        let half_life_ms = signer.ttl_secs.max(0).saturating_mul(500);
        reader.reusable_until(now_ms.saturating_add(half_life_ms));
        Some(signer.sign(&claims))
    }

    pub(crate) fn read(
        variant: &views::Variant,
        price: &Option<Arc<views::Price>>,
        quantity_available: i32,
        product: &Arc<views::Product>,
        market: &Arc<MarketContext>,
    ) -> Self {
        let price = price.clone();
        let title = variant_title(variant);
        let selling = price
            .as_ref()
            .and_then(|p| market.market.selling(p, product));
        Self {
            id: ID(variant.sku.clone()),
            sku: variant.sku.clone(),
            title,
            size: variant.size.clone(),
            color: variant.color.clone(),
            price: selling.as_ref().map(MoneyV2::shown),
            compare_at_price: price
                .as_ref()
                .and_then(|p| market.market.compare_at(p, product))
                .as_ref()
                .map(MoneyV2::shown),
            quantity_available,
            available_for_sale: selling.is_some() && quantity_available > 0,
            quotable: price.zip(selling),
            product: Arc::clone(product),
            market: Arc::clone(market),
        }
    }
}
