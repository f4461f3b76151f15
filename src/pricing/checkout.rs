//! Checkout rules: a cart priced from the views through the same market pricing as listings and
//! product pages, honouring or re-pricing the quotes the shopper was shown. Pure: the caller
//! hands in the reader, the market, the rules and the time.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::landed::{Market, ShownPrice};
use super::money::minor_units;
use super::quote::{QuoteClaims, QuoteSigner};
use super::tally::CartTally;
use crate::views::reads::RecordingReader;
use crate::views::{Product, StockAndPrices};

/// Most lines one checkout takes.
pub const MAX_LINES: usize = 250;
/// Largest quantity on one line.
pub const MAX_QUANTITY: i32 = 10_000;

/// What happens to a quoted price that differs from today's.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RepricePolicy {
    /// An unexpired quote's amount is charged, and the change reported.
    Honor,
    /// The current price is charged, and the change reported.
    Reprice,
}

/// The rules a checkout is priced under.
#[derive(Debug, Clone)]
pub struct CheckoutRules {
    pub policy: RepricePolicy,
    /// Signs the quotes; a token it does not verify is refused.
    pub quotes: QuoteSigner,
    /// Currency of the price view's amounts (the base market's).
    pub base_currency: String,
    /// Units of one SKU, over all lines of the cart, charged at a quoted price; the rest at
    /// today's price. Bounds what a price typed wrong for a moment can sell.
    pub max_quoted_quantity: i32,
}

/// The views a checkout reads.
pub trait CartReader: StockAndPrices {
    fn product_of_sku(&self, sku: &str) -> Option<Arc<Product>>;
}

impl CartReader for RecordingReader {
    fn product_of_sku(&self, sku: &str) -> Option<Arc<Product>> {
        RecordingReader::product_of_sku(self, sku)
    }
}

/// Where the cart is priced: the market and its country.
#[derive(Debug, Clone, Copy)]
pub struct CartMarket<'a> {
    pub country: &'a str,
    pub market: &'a Market,
    /// The banner checking out (its quotes only; empty: a process without banners).
    pub banner: &'a str,
}

/// One line as the shopper sent it.
#[derive(Debug, Clone)]
pub struct CartLine {
    pub sku: String,
    pub quantity: i32,
    /// The variant's `quote` token as the shopper saw it.
    pub quote: Option<String>,
}

/// Why a cart cannot be priced at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutError {
    #[error("a checkout takes at most {max} lines, got {got}")]
    TooManyLines { got: usize, max: usize },
    #[error("quantity for `{sku}` must be between 1 and {max}, got {got}")]
    InvalidQuantity { sku: String, got: i32, max: i32 },
    #[error("invalid quote for `{sku}`: {reason}")]
    InvalidQuote { sku: String, reason: String },
    /// A total does not fit the amounts Vitrine computes with (never a wrapped or clamped sum).
    #[error("the cart's amounts are out of range")]
    AmountOutOfRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepriceReason {
    /// The price changed since the quote (a price, product or FX/duty/tax update).
    PriceChanged,
    /// The quote expired and the price is no longer the quoted one.
    QuoteExpired,
    /// The quoted price was an error, since corrected (a price, product or country record with
    /// `correction`).
    PriceCorrected,
}

/// The quoted price differs from the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repricing {
    /// The quoted amount, in the quote's currency.
    pub from_minor: i64,
    pub from_currency: String,
    /// Today's amount, in the cart's currency.
    pub to_minor: i64,
    pub reason: RepriceReason,
}

/// What one priced unit of a line costs, and what it includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmounts {
    pub unit_minor: i64,
    pub line_total_minor: i64,
    /// Duty and tax included in the unit price.
    pub duty_minor: i64,
    pub tax_minor: i64,
    /// Duty and tax included in the line total (quoted and today's units together).
    pub line_duty_minor: i64,
    pub line_tax_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub sku: String,
    pub quantity: i32,
    /// Units charged at the quoted price (the unit price); the rest at today's.
    pub quoted_quantity: i32,
    /// `None` when the variant has no price any more.
    pub amounts: Option<LineAmounts>,
    pub repriced: Option<Repricing>,
    /// Units available, when the line asks for more (or the variant is gone).
    pub short_of: Option<i32>,
}

/// A priced cart, in the market's currency and minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedCart {
    pub currency: String,
    pub minor_units: u32,
    pub lines: Vec<PricedLine>,
    pub subtotal_minor: i64,
    pub duties_minor: i64,
    pub taxes_minor: i64,
    /// Flat per order, or zero once the subtotal reaches the country's free-shipping threshold.
    pub shipping_minor: i64,
    pub total_minor: i64,
}

/// Checks the cart's shape and a line's quantity before anything is priced.
fn check_line(line: &CartLine) -> Result<(), CheckoutError> {
    if !(1..=MAX_QUANTITY).contains(&line.quantity) {
        return Err(CheckoutError::InvalidQuantity {
            sku: line.sku.clone(),
            got: line.quantity,
            max: MAX_QUANTITY,
        });
    }
    Ok(())
}

/// Verifies a line's quote token: signed by us, for this SKU and this country.
fn verified_quote(
    rules: &CheckoutRules,
    market: CartMarket<'_>,
    line: &CartLine,
) -> Result<Option<QuoteClaims>, CheckoutError> {
    let Some(token) = &line.quote else {
        return Ok(None);
    };
    let invalid = |reason: String| CheckoutError::InvalidQuote {
        sku: line.sku.clone(),
        reason,
    };
    let claims = rules
        .quotes
        .verify(token)
        .map_err(|e| invalid(e.to_string()))?;
    if claims.sku != line.sku {
        return Err(invalid("it was issued for another SKU".into()));
    }
    if claims.country != market.country {
        return Err(invalid("it was issued for another country".into()));
    }
    if claims.banner != market.banner {
        return Err(invalid("it was issued in another banner".into()));
    }
    Ok(Some(claims))
}

/// The unit price charged for a line, and the repricing to report, under the rules.
fn charged_unit(
    rules: &CheckoutRules,
    current: &ShownPrice,
    quote: Option<QuoteClaims>,
    now_secs: i64,
    corrections: super::quote::Corrections,
) -> (i64, Option<Repricing>) {
    let Some(quote) = quote.filter(|q| q.amount_minor != current.amount_minor) else {
        return (current.amount_minor, None);
    };
    let expired = quote.expires_at < now_secs;
    let corrected = corrections.void(&quote);
    let same_currency = quote.currency == current.currency;
    let honour = !expired && !corrected && same_currency && rules.policy == RepricePolicy::Honor;
    // Honoured, but never above today's price: a quote is a promise to the shopper.
    let unit = if honour {
        quote.amount_minor.min(current.amount_minor)
    } else {
        current.amount_minor
    };
    let reason = if corrected {
        RepriceReason::PriceCorrected
    } else if expired {
        RepriceReason::QuoteExpired
    } else {
        RepriceReason::PriceChanged
    };
    let repricing = Repricing {
        from_minor: quote.amount_minor,
        from_currency: quote.currency,
        to_minor: current.amount_minor,
        reason,
    };
    (unit, Some(repricing))
}

/// Prices one line (already checked) against the views.
fn price_line(
    reader: &impl CartReader,
    rules: &CheckoutRules,
    market: CartMarket<'_>,
    line: CartLine,
    quote: Option<QuoteClaims>,
    now_secs: i64,
    tally: &mut CartTally,
) -> Result<PricedLine, CheckoutError> {
    let product = reader.product_of_sku(&line.sku);
    let price = product.as_ref().and_then(|_| reader.price(&line.sku));
    let current = match (&product, &price) {
        (Some(product), Some(price)) => market.market.selling(price, product),
        _ => None,
    };
    let available = if current.is_some() {
        reader.available(&line.sku)
    } else {
        0
    };
    // Lines of one SKU share its stock: short when together they ask for more.
    let requested = tally.requested.get(&line.sku).copied().unwrap_or(0);
    let short_of = (requested > i64::from(available)).then_some(available.max(0));
    let (Some(current), Some(product)) = (current, product) else {
        return Ok(PricedLine {
            sku: line.sku,
            quantity: line.quantity,
            quoted_quantity: 0,
            amounts: None,
            repriced: None,
            short_of,
        });
    };
    let corrections = super::quote::Corrections {
        price: price.as_ref().and_then(|p| p.corrected_at),
        product: product.corrected_at,
        intl: market.market.corrected_at(),
    };
    let (unit, repriced) = charged_unit(rules, &current, quote, now_secs, corrections);
    let quoted_quantity = if unit == current.amount_minor {
        0
    } else {
        tally.take_quoted(&line.sku, line.quantity, rules.max_quoted_quantity)
    };
    // Quoted units carry the breakdown of the quoted price, today's units today's.
    let (quoted_duty, quoted_tax) = market.market.breakdown(unit, &product);
    let quoted = i64::from(quoted_quantity);
    let at_today = i64::from(line.quantity - quoted_quantity);
    let mix = |quoted_part: i64, today_part: i64| {
        quoted_part
            .checked_mul(quoted)?
            .checked_add(today_part.checked_mul(at_today)?)
    };
    let (unit_minor, duty_minor, tax_minor) = if quoted_quantity > 0 {
        (unit, quoted_duty, quoted_tax)
    } else {
        (current.amount_minor, current.duty_minor, current.tax_minor)
    };
    let amounts = (|| {
        Some(LineAmounts {
            unit_minor,
            line_total_minor: mix(unit, current.amount_minor)?,
            duty_minor,
            tax_minor,
            line_duty_minor: mix(quoted_duty, current.duty_minor)?,
            line_tax_minor: mix(quoted_tax, current.tax_minor)?,
        })
    })();
    Ok(PricedLine {
        sku: line.sku,
        quantity: line.quantity,
        quoted_quantity,
        amounts: Some(amounts.ok_or(CheckoutError::AmountOutOfRange)?),
        repriced,
        short_of,
    })
}

/// The cart's currency and its minor units in `market`.
fn cart_currency(market: &Market, base_currency: &str) -> (String, u32) {
    match market {
        Market::Base => (base_currency.to_string(), minor_units(base_currency)),
        Market::Intl(intl) => (intl.currency.clone(), intl.minor_units),
    }
}

/// Adds up the priced lines, and shipping, into the cart.
fn total(
    market: &Market,
    currency: (String, u32),
    lines: Vec<PricedLine>,
) -> Result<PricedCart, CheckoutError> {
    let (mut subtotal, mut duties, mut taxes) = (0i64, 0i64, 0i64);
    let out_of_range = || CheckoutError::AmountOutOfRange;
    for line in &lines {
        if let Some(a) = &line.amounts {
            subtotal = subtotal
                .checked_add(a.line_total_minor)
                .ok_or_else(out_of_range)?;
            duties = duties
                .checked_add(a.line_duty_minor)
                .ok_or_else(out_of_range)?;
            taxes = taxes
                .checked_add(a.line_tax_minor)
                .ok_or_else(out_of_range)?;
        }
    }
    let shipping = if subtotal > 0 {
        market.shipping_minor(subtotal)
    } else {
        0
    };
    Ok(PricedCart {
        currency: currency.0,
        minor_units: currency.1,
        lines,
        subtotal_minor: subtotal,
        duties_minor: duties,
        taxes_minor: taxes,
        shipping_minor: shipping,
        total_minor: subtotal.checked_add(shipping).ok_or_else(out_of_range)?,
    })
}

/// Prices a cart in `market` at `now_secs` (Unix seconds, for quote expiry).
pub fn price_cart(
    reader: &impl CartReader,
    rules: &CheckoutRules,
    market: CartMarket<'_>,
    lines: Vec<CartLine>,
    now_secs: i64,
) -> Result<PricedCart, CheckoutError> {
    if lines.len() > MAX_LINES {
        return Err(CheckoutError::TooManyLines {
            got: lines.len(),
            max: MAX_LINES,
        });
    }
    let mut tally = CartTally::of(&lines);
    let mut priced = Vec::with_capacity(lines.len());
    for line in lines {
        check_line(&line)?;
        let quote = verified_quote(rules, market, &line)?;
        priced.push(price_line(
            reader, rules, market, line, quote, now_secs, &mut tally,
        )?);
    }
    let currency = cart_currency(market.market, &rules.base_currency);
    total(market.market, currency, priced)
}

impl CartReader for crate::views::Catalog {
    fn product_of_sku(&self, sku: &str) -> Option<Arc<Product>> {
        crate::views::Catalog::product_of_sku(self, sku)
    }
}

#[cfg(test)]
#[path = "checkout_tests.rs"]
mod tests;
