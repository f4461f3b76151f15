//! Checkout: a read over the views that prices a cart through the same market code as the
//! listing and product page, and honours or re-prices the quotes the shopper was shown.

use async_graphql::{Enum, ErrorExtensions, InputObject, SimpleObject, ID};

use super::errors::ApiError;
use super::market::{unix_now, MarketContext};
use super::product::MoneyV2;
use super::ApiSettings;
use crate::config::RepricePolicy;
use crate::pricing::quote::QuoteClaims;
use crate::views::reads::RecordingReader;
use crate::views::StockAndPrices;

/// Most lines one checkout takes.
pub const MAX_LINES: usize = 250;
/// Largest quantity on one line.
pub const MAX_QUANTITY: i32 = 10_000;

#[derive(Debug, Clone, InputObject)]
pub struct CheckoutLineInput {
    pub sku: ID,
    pub quantity: i32,
    /// The `quote` of the variant as the shopper saw it (optional).
    pub quote: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum RepriceReason {
    /// The price changed since the quote (a price, product or FX/duty/tax update).
    PriceChanged,
    /// The quote expired and the price is no longer the quoted one.
    QuoteExpired,
}

/// The quoted price differs from the current one.
#[derive(Debug, Clone, SimpleObject)]
pub struct Repriced {
    pub from: MoneyV2,
    pub to: MoneyV2,
    pub reason: RepriceReason,
}

/// The line asks for more than is available (or the variant is gone).
#[derive(Debug, Clone, SimpleObject)]
pub struct Unavailable {
    pub available: i32,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct CheckoutLine {
    pub sku: ID,
    pub quantity: i32,
    /// The unit price charged; null when the variant has no price any more.
    pub unit_price: Option<MoneyV2>,
    pub line_total: Option<MoneyV2>,
    /// Duty and tax included in the unit price, for display.
    pub duty: Option<MoneyV2>,
    pub tax: Option<MoneyV2>,
    pub repriced: Option<Repriced>,
    pub unavailable: Option<Unavailable>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Checkout {
    pub currency_code: String,
    pub lines: Vec<CheckoutLine>,
    pub subtotal: MoneyV2,
    pub duties: MoneyV2,
    pub taxes: MoneyV2,
    /// Flat per order, or zero once the subtotal reaches the country's free-shipping threshold.
    pub shipping: MoneyV2,
    pub total: MoneyV2,
}

/// Running totals in the market's minor units.
#[derive(Default)]
struct Totals {
    subtotal: i64,
    duties: i64,
    taxes: i64,
}

fn invalid_quote(sku: &str, reason: &str) -> async_graphql::Error {
    ApiError::InvalidQuote {
        sku: sku.to_string(),
        reason: reason.to_string(),
    }
    .extend()
}

/// Checks a quote token against the line it came with; expiry is judged by the caller.
fn verified_quote(
    settings: &ApiSettings,
    market: &MarketContext,
    sku: &str,
    token: &str,
) -> async_graphql::Result<QuoteClaims> {
    let claims = settings
        .quotes
        .verify(token)
        .map_err(|e| invalid_quote(sku, &e.to_string()))?;
    if claims.sku != sku {
        return Err(invalid_quote(sku, "it was issued for another SKU"));
    }
    if claims.country != market.country {
        return Err(invalid_quote(sku, "it was issued for another country"));
    }
    Ok(claims)
}

/// Prices a cart in `market`.
pub fn checkout(
    reader: &RecordingReader,
    settings: &ApiSettings,
    market: &MarketContext,
    lines: Vec<CheckoutLineInput>,
) -> async_graphql::Result<Checkout> {
    if lines.len() > MAX_LINES {
        return Err(ApiError::TooManyLines {
            got: lines.len(),
            max: MAX_LINES,
        }
        .extend());
    }
    // Quotes expire: the answer depends on the clock, so it is never memoized.
    reader.unmemoizable();
    let now = unix_now();
    let (currency, units) = match &market.market {
        crate::pricing::landed::Market::Base => {
            let c = settings.base_currency.clone();
            let u = crate::pricing::money::minor_units(&c);
            (c, u)
        }
        crate::pricing::landed::Market::Intl(intl) => (intl.currency.clone(), intl.minor_units),
    };
    let money = |amount: i64| MoneyV2::in_units(amount, &currency, units);
    let mut totals = Totals::default();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let sku = line.sku.to_string();
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(ApiError::InvalidQuantity {
                sku,
                got: line.quantity,
                max: MAX_QUANTITY,
            }
            .extend());
        }
        let quote = match &line.quote {
            Some(token) => Some(verified_quote(settings, market, &sku, token)?),
            None => None,
        };
        let product = reader.product_of_sku(&sku);
        let current = product.as_ref().and_then(|product| {
            let price = reader.price(&sku)?;
            market.market.selling(&price, product)
        });
        let available = if current.is_some() {
            reader.available(&sku)
        } else {
            0
        };
        let unavailable = (line.quantity > available).then_some(Unavailable {
            available: available.max(0),
        });
        let Some(current) = current else {
            out.push(CheckoutLine {
                sku: line.sku,
                quantity: line.quantity,
                unit_price: None,
                line_total: None,
                duty: None,
                tax: None,
                repriced: None,
                unavailable,
            });
            continue;
        };
        let mut unit = current.amount_minor;
        let mut repriced = None;
        if let Some(quote) = quote.filter(|q| q.amount_minor != current.amount_minor) {
            let expired = quote.expires_at < now;
            let same_currency = quote.currency == current.currency;
            let honour =
                !expired && same_currency && settings.reprice_policy == RepricePolicy::Honor;
            if honour {
                unit = quote.amount_minor;
            }
            repriced = Some(Repriced {
                from: MoneyV2::in_units(quote.amount_minor, &quote.currency, units),
                to: money(current.amount_minor),
                reason: if expired {
                    RepriceReason::QuoteExpired
                } else {
                    RepriceReason::PriceChanged
                },
            });
        }
        let quantity = i64::from(line.quantity);
        let line_total = unit.saturating_mul(quantity);
        totals.subtotal = totals.subtotal.saturating_add(line_total);
        totals.duties = totals
            .duties
            .saturating_add(current.duty_minor.saturating_mul(quantity));
        totals.taxes = totals
            .taxes
            .saturating_add(current.tax_minor.saturating_mul(quantity));
        out.push(CheckoutLine {
            sku: line.sku,
            quantity: line.quantity,
            unit_price: Some(money(unit)),
            line_total: Some(money(line_total)),
            duty: Some(money(current.duty_minor)),
            tax: Some(money(current.tax_minor)),
            repriced,
            unavailable,
        });
    }
    let shipping = if totals.subtotal > 0 {
        market.market.shipping_minor(totals.subtotal)
    } else {
        0
    };
    Ok(Checkout {
        currency_code: currency.clone(),
        lines: out,
        subtotal: money(totals.subtotal),
        duties: money(totals.duties),
        taxes: money(totals.taxes),
        shipping: money(shipping),
        total: money(totals.subtotal.saturating_add(shipping)),
    })
}
