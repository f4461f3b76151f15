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
    self as rules, price_cart, CartLine, CartMarket, CartReader, PricedCart, PricedLine,
};
use crate::reservations::ReserveError;
use crate::views::reads::RecordingReader;
use crate::views::{Inventory, Price, Product, StockAndPrices};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    /// With a `reservationId`: units of this SKU the reservation holds now (0: not, or no
    /// longer, held: released, expired or never granted). Null without one.
    pub held: Option<i32>,
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
        held: None,
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

/// The request's reads, with a reservation's own holds counted as available to it, as far as
/// the stock on hand covers them after earlier holds: a held cart is not short of the stock
/// held for it, and all held carts together are never promised more than is on hand.
struct HeldCart<'a> {
    reader: &'a RecordingReader,
    reservation: Option<&'a str>,
}

impl StockAndPrices for HeldCart<'_> {
    fn price(&self, sku: &str) -> Option<Arc<Price>> {
        self.reader.price(sku)
    }
    fn inventory(&self, sku: &str) -> Option<Arc<Inventory>> {
        self.reader.inventory(sku)
    }
    fn available(&self, sku: &str) -> i32 {
        match self.reservation {
            Some(id) => {
                // Pin the stock and holds read for this request, then divide them.
                let _ = self.reader.available(sku);
                self.reader.scan().available_to(id, sku)
            }
            None => self.reader.available(sku),
        }
    }
}

impl CartReader for HeldCart<'_> {
    fn product_of_sku(&self, sku: &str) -> Option<Arc<Product>> {
        self.reader.product_of_sku(sku)
    }
}

/// Units each SKU of reservation `id` holds now, if `token` is its owner's.
fn own_holds(
    reader: &RecordingReader,
    settings: &ApiSettings,
    id: &str,
    token: &str,
) -> async_graphql::Result<BTreeMap<String, i32>> {
    let catalog = reader.scan();
    let not = |e: ReserveError| ApiError::Reserve(e).extend();
    if !settings.ownership.owns(id, token) {
        return Err(not(ReserveError::NotOwner(id.to_string())));
    }
    let Some(reservation) = catalog.reservation(id) else {
        return Err(not(ReserveError::NotFound(id.to_string())));
    };
    let now = catalog.clock_ms();
    Ok(reservation
        .lines
        .values()
        .map(|l| (l.sku.clone(), l.holding_at(now)))
        .collect())
}

/// Prices a cart in `market` through the checkout rules; with a reservation, counts its holds
/// as the cart's own and says per line what it holds.
pub fn checkout(
    reader: &RecordingReader,
    settings: &ApiSettings,
    market: &MarketContext,
    lines: Vec<CheckoutLineInput>,
    reservation: Option<(&str, &str)>,
) -> async_graphql::Result<Checkout> {
    let span =
        crate::telemetry::traced_span(|| tracing::info_span!("checkout", lines = lines.len()));
    let _entered = span.enter();
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
        banner: &market.banner,
    };
    let own = match reservation {
        Some((id, token)) => Some(own_holds(reader, settings, id, token)?),
        None => None,
    };
    let cart = HeldCart {
        reader,
        reservation: reservation.map(|(id, _)| id),
    };
    let mut answer = price_cart(&cart, &settings.checkout, market, lines, unix_secs())
        .map(checkout_object)
        .map_err(|e| ApiError::from(e).extend())?;
    if let Some(own) = own {
        for line in &mut answer.lines {
            line.held = Some(own.get(line.sku.as_str()).copied().unwrap_or(0));
        }
    }
    Ok(answer)
}
