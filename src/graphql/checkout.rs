//! The `checkout` field's GraphQL types, and the translation to and from the checkout rules of
//! [`crate::pricing::checkout`], which price the cart through the same market code as the
//! listing and product page.

use async_graphql::{Enum, ErrorExtensions, InputObject, SimpleObject, ID};

use super::errors::ApiError;
use super::market::MarketContext;
use super::product::MoneyV2;
use super::ApiSettings;
use crate::clock::unix_secs;
use crate::pricing::checkout::{
    self as rules, price_cart, CartLine, CartMarket, PricedCart, PricedLine,
};
use crate::views::reads::RecordingReader;

pub use crate::pricing::checkout::{MAX_LINES, MAX_QUANTITY};

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
    /// The quoted price was an error, since corrected: quotes for it are not honoured.
    PriceCorrected,
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
    /// Units charged at the quoted `unitPrice`; the rest at today's price (at most
    /// `checkout.max_quoted_quantity` units of one SKU per cart are charged at a quote).
    pub quoted_quantity: i32,
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

fn reason(reason: rules::RepriceReason) -> RepriceReason {
    match reason {
        rules::RepriceReason::PriceChanged => RepriceReason::PriceChanged,
        rules::RepriceReason::QuoteExpired => RepriceReason::QuoteExpired,
        rules::RepriceReason::PriceCorrected => RepriceReason::PriceCorrected,
    }
}

fn line(priced: PricedLine, money: &impl Fn(i64) -> MoneyV2, units: u32) -> CheckoutLine {
    let amounts = priced.amounts;
    CheckoutLine {
        sku: ID(priced.sku),
        quantity: priced.quantity,
        quoted_quantity: priced.quoted_quantity,
        unit_price: amounts.map(|a| money(a.unit_minor)),
        line_total: amounts.map(|a| money(a.line_total_minor)),
        duty: amounts.map(|a| money(a.duty_minor)),
        tax: amounts.map(|a| money(a.tax_minor)),
        repriced: priced.repriced.map(|r| Repriced {
            from: MoneyV2::in_units(r.from_minor, &r.from_currency, units),
            to: money(r.to_minor),
            reason: reason(r.reason),
        }),
        unavailable: priced.short_of.map(|available| Unavailable { available }),
    }
}

fn checkout_object(cart: PricedCart) -> Checkout {
    let (currency, units) = (cart.currency.clone(), cart.minor_units);
    let money = |amount: i64| MoneyV2::in_units(amount, &currency, units);
    Checkout {
        lines: cart
            .lines
            .into_iter()
            .map(|l| line(l, &money, units))
            .collect(),
        subtotal: money(cart.subtotal_minor),
        duties: money(cart.duties_minor),
        taxes: money(cart.taxes_minor),
        shipping: money(cart.shipping_minor),
        total: money(cart.total_minor),
        currency_code: cart.currency,
    }
}

/// Prices a cart in `market` through the checkout rules.
pub fn checkout(
    reader: &RecordingReader,
    settings: &ApiSettings,
    market: &MarketContext,
    lines: Vec<CheckoutLineInput>,
) -> async_graphql::Result<Checkout> {
    // Quotes expire: the answer depends on the clock, so it is never memoized.
    reader.unmemoizable();
    let lines = lines
        .into_iter()
        .map(|l| CartLine {
            sku: l.sku.to_string(),
            quantity: l.quantity,
            quote: l.quote,
        })
        .collect();
    let market = CartMarket {
        country: &market.country,
        market: &market.market,
    };
    price_cart(reader, &settings.checkout, market, lines, unix_secs())
        .map(checkout_object)
        .map_err(|e| ApiError::from(e).extend())
}
