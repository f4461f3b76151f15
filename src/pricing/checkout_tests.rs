//! The checkout rules on a small catalog, with no runtime: lines, totals, quotes, errors.

use super::*;
use crate::views::testing::{price, product, stock};
use crate::views::{Catalog, Change};

fn rules(policy: RepricePolicy) -> CheckoutRules {
    CheckoutRules {
        policy,
        quotes: QuoteSigner::new("k", 900),
        base_currency: "USD".into(),
        max_quoted_quantity: 2,
    }
}

fn catalog() -> Catalog {
    let c = Catalog::new();
    c.apply(Change::Product(product("p", 1, &["a", "b"])));
    c.apply(Change::Price(price("a", 1, 10_000, None)));
    c.apply(Change::Price(price("b", 1, 5_000, Some(4_000))));
    c.apply(Change::Inventory(stock("a", 1, 3)));
    c
}

fn line(sku: &str, quantity: i32, quote: Option<String>) -> CartLine {
    CartLine {
        sku: sku.into(),
        quantity,
        quote,
    }
}

fn quote_for(rules: &CheckoutRules, sku: &str, amount_minor: i64, expires_at: i64) -> String {
    rules.quotes.sign(&QuoteClaims {
        sku: sku.into(),
        country: "US".into(),
        amount_minor,
        currency: "USD".into(),
        price_version: 1,
        product_version: 1,
        intl_version: None,
        expires_at,
        banner: String::new(),
    })
}

const US: CartMarket<'static> = CartMarket {
    country: "US",
    market: &Market::Base,
    banner: "",
};

#[test]
fn prices_lines_totals_and_shortages_in_the_base_market() {
    let rules = rules(RepricePolicy::Honor);
    let lines = vec![
        line("a", 2, None),
        line("b", 1, None),
        line("gone", 1, None),
    ];
    let cart = price_cart(&catalog(), &rules, US, lines, 0).unwrap();
    assert_eq!((cart.currency.as_str(), cart.minor_units), ("USD", 2));
    assert_eq!(cart.lines[0].amounts.unwrap().line_total_minor, 20_000);
    assert_eq!(cart.lines[1].amounts.unwrap().unit_minor, 4_000);
    assert_eq!(cart.lines[1].short_of, Some(0), "b has no stock");
    assert_eq!(
        (cart.lines[2].amounts, cart.lines[2].short_of),
        (None, Some(0))
    );
    assert_eq!(cart.subtotal_minor, 24_000);
    assert_eq!(cart.total_minor, cart.subtotal_minor + cart.shipping_minor);
}

#[test]
fn quotes_are_honoured_or_repriced_by_policy_and_expiry() {
    for (policy, expires_at, charged, reason) in [
        (
            RepricePolicy::Honor,
            100,
            9_000,
            RepriceReason::PriceChanged,
        ),
        (
            RepricePolicy::Reprice,
            100,
            10_000,
            RepriceReason::PriceChanged,
        ),
        (
            RepricePolicy::Honor,
            10,
            10_000,
            RepriceReason::QuoteExpired,
        ),
    ] {
        let rules = rules(policy);
        let quote = quote_for(&rules, "a", 9_000, expires_at);
        let lines = vec![line("a", 1, Some(quote))];
        let cart = price_cart(&catalog(), &rules, US, lines, 50).unwrap();
        let priced = &cart.lines[0];
        assert_eq!(priced.amounts.unwrap().unit_minor, charged, "{policy:?}");
        let repriced = priced.repriced.as_ref().unwrap();
        assert_eq!((repriced.from_minor, repriced.to_minor), (9_000, 10_000));
        assert_eq!(repriced.reason, reason);
    }
}

#[test]
fn bad_lines_and_foreign_quotes_are_typed_errors() {
    let rules = rules(RepricePolicy::Honor);
    let c = catalog();
    let zero = price_cart(&c, &rules, US, vec![line("a", 0, None)], 0);
    assert!(matches!(zero, Err(CheckoutError::InvalidQuantity { .. })));
    let other_sku = quote_for(&rules, "b", 1, 100);
    let wrong = price_cart(&c, &rules, US, vec![line("a", 1, Some(other_sku))], 0);
    assert!(matches!(wrong, Err(CheckoutError::InvalidQuote { .. })));
    let forged = price_cart(&c, &rules, US, vec![line("a", 1, Some("x.y".into()))], 0);
    assert!(matches!(forged, Err(CheckoutError::InvalidQuote { .. })));
    // A quote shown in one banner is refused at another's checkout, both ways.
    let in_main = quote_for(&rules, "a", 1, 100);
    let outlet = CartMarket {
        banner: "outlet",
        ..US
    };
    let crossed = price_cart(&c, &rules, outlet, vec![line("a", 1, Some(in_main))], 0);
    assert!(
        matches!(&crossed, Err(CheckoutError::InvalidQuote { reason, .. }) if reason.contains("banner")),
        "{crossed:?}"
    );
    let many = vec![line("a", 1, None); MAX_LINES + 1];
    let too_many = price_cart(&c, &rules, US, many, 0);
    assert!(matches!(too_many, Err(CheckoutError::TooManyLines { .. })));
}

#[test]
fn a_quote_above_todays_price_is_never_charged() {
    let rules = rules(RepricePolicy::Honor);
    let quote = quote_for(&rules, "a", 12_000, 100);
    let cart = price_cart(&catalog(), &rules, US, vec![line("a", 1, Some(quote))], 50).unwrap();
    let priced = &cart.lines[0];
    assert_eq!(
        priced.amounts.unwrap().unit_minor,
        10_000,
        "today's lower price"
    );
    let repriced = priced.repriced.as_ref().unwrap();
    assert_eq!((repriced.from_minor, repriced.to_minor), (12_000, 10_000));
    assert_eq!(repriced.reason, RepriceReason::PriceChanged);
}

#[test]
fn quoted_units_are_capped_per_sku_and_lines_share_stock() {
    let rules = rules(RepricePolicy::Honor);
    let c = catalog();
    c.apply(Change::Inventory(stock("a", 2, 5)));
    let quote = || Some(quote_for(&rules, "a", 9_000, 100));
    // Five units on one line: two at the quote (the cap), three at today's 10,000.
    let cart = price_cart(&c, &rules, US, vec![line("a", 5, quote())], 50).unwrap();
    let one = &cart.lines[0];
    assert_eq!(one.quoted_quantity, 2);
    assert_eq!(
        one.amounts.unwrap().line_total_minor,
        2 * 9_000 + 3 * 10_000
    );
    assert_eq!(one.short_of, None);
    // Split over lines of the same SKU: the cap and the stock are shared.
    let lines = vec![
        line("a", 2, quote()),
        line("a", 2, quote()),
        line("a", 2, None),
    ];
    let cart = price_cart(&c, &rules, US, lines, 50).unwrap();
    let quoted: Vec<i32> = cart.lines.iter().map(|l| l.quoted_quantity).collect();
    assert_eq!(quoted, [2, 0, 0]);
    assert_eq!(cart.subtotal_minor, 2 * 9_000 + 4 * 10_000);
    assert!(
        cart.lines.iter().all(|l| l.short_of == Some(5)),
        "6 asked of 5 in stock"
    );
}

/// A price typed wrong and then corrected: quotes signed for versions before the correction
/// are not honoured, however long they still run, even after later updates.
#[test]
fn quotes_for_a_corrected_price_are_void() {
    let rules = rules(RepricePolicy::Honor);
    let c = catalog();
    let quote_at = |version: u64| {
        let claims = QuoteClaims {
            sku: "a".into(),
            country: "US".into(),
            amount_minor: 100, // the mistyped price
            currency: "USD".into(),
            price_version: version,
            product_version: 1,
            intl_version: None,
            expires_at: 1_000,
            banner: String::new(),
        };
        Some(rules.quotes.sign(&claims))
    };
    let mut fixed = price("a", 2, 10_000, None);
    fixed.corrected_at = Some(2);
    c.apply(Change::Price(fixed));
    c.apply(Change::Price(price("a", 3, 10_000, None)));
    assert_eq!(
        c.price("a").unwrap().corrected_at,
        Some(2),
        "carried forward"
    );
    let cart = price_cart(&c, &rules, US, vec![line("a", 1, quote_at(1))], 50).unwrap();
    let void = &cart.lines[0];
    assert_eq!(void.amounts.unwrap().unit_minor, 10_000);
    assert_eq!(
        void.repriced.as_ref().unwrap().reason,
        RepriceReason::PriceCorrected
    );
    // A quote signed after the correction is honoured as usual.
    let cart = price_cart(&c, &rules, US, vec![line("a", 1, quote_at(3))], 50).unwrap();
    assert_eq!(cart.lines[0].amounts.unwrap().unit_minor, 100);
}

/// An FX rate typed wrong on the intl topic, corrected a minute later: quotes priced in that
/// country from the wrong context are void, though their price record never changed; so are
/// quotes priced from a product record corrected since (an HS-code typo moves the duty).
#[test]
fn quotes_from_a_corrected_country_or_product_are_void() {
    use crate::pricing::landed::tests_support::intl;
    let rules = rules(RepricePolicy::Honor);
    let c = catalog();
    let quote = |intl_version: Option<u64>, product_version: u64, country: &str| {
        Some(rules.quotes.sign(&QuoteClaims {
            sku: "a".into(),
            country: country.into(),
            amount_minor: 100, // priced from the typo
            currency: if intl_version.is_some() { "GBP" } else { "USD" }.into(),
            price_version: 1,
            product_version,
            intl_version,
            expires_at: 1_000,
            banner: String::new(),
        }))
    };
    let mut typo = intl("GBP", 2, "0.7893", 2000, None);
    typo.version = 3;
    let mut fixed = typo.clone();
    fixed.version = 4;
    fixed.corrected_at = Some(4);
    for (context, reason) in [
        (typo, RepriceReason::PriceChanged),
        (fixed, RepriceReason::PriceCorrected),
    ] {
        let market = Market::Intl(std::sync::Arc::new(context));
        let gb = CartMarket {
            country: "XX",
            market: &market,
            banner: "",
        };
        let cart = price_cart(
            &c,
            &rules,
            gb,
            vec![line("a", 1, quote(Some(3), 1, "XX"))],
            50,
        )
        .unwrap();
        let repriced = cart.lines[0].repriced.as_ref().unwrap();
        assert_eq!(repriced.reason, reason);
        let honoured = cart.lines[0].amounts.unwrap().unit_minor == 100;
        assert_eq!(
            honoured,
            reason == RepriceReason::PriceChanged,
            "{reason:?}"
        );
    }

    let mut hs_fixed = product("p", 2, &["a", "b"]);
    hs_fixed.corrected_at = Some(2);
    c.apply(Change::Product(hs_fixed));
    c.apply(Change::Product(product("p", 3, &["a", "b"])));
    let cart = price_cart(&c, &rules, US, vec![line("a", 1, quote(None, 1, "US"))], 50).unwrap();
    assert_eq!(
        cart.lines[0].repriced.as_ref().unwrap().reason,
        RepriceReason::PriceCorrected,
        "the product's correction is carried forward and voids the quote"
    );
    let cart = price_cart(&c, &rules, US, vec![line("a", 1, quote(None, 3, "US"))], 50).unwrap();
    assert_eq!(
        cart.lines[0].amounts.unwrap().unit_minor,
        100,
        "priced after it"
    );
}

#[test]
fn totals_past_the_range_are_an_error_not_a_clamped_amount() {
    // The largest price a record may carry, in quantities checkout accepts: the line total is
    // 10^15 * 10^4 minor units, past 64 bits. Before, the sum saturated at i64::MAX.
    let c = Catalog::new();
    c.apply(Change::Product(product("p", 1, &["big"])));
    c.apply(Change::Price(price("big", 1, 1_000_000_000_000_000, None)));
    c.apply(Change::Inventory(stock("big", 1, 1_000_000)));
    let rules = rules(RepricePolicy::Honor);
    let result = price_cart(&c, &rules, US, vec![line("big", MAX_QUANTITY, None)], 0);
    assert!(
        matches!(result, Err(CheckoutError::AmountOutOfRange)),
        "{result:?}"
    );
    let fine = price_cart(&c, &rules, US, vec![line("big", 9, None)], 0).unwrap();
    assert_eq!(fine.total_minor, 9_000_000_000_000_000);
}
