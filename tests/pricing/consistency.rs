//! The one-price property: for random catalogs, partner records and countries, a variant's price
//! in `products`, in `product` and as `unitPrice` in `checkout` is the same; and a quote taken
//! from any of them is honoured (never above today's price), or reported as repriced (void
//! after a price correction), never silently changed.

use proptest::prelude::*;
use serde_json::{json, Value};
use vitrine::views::ViewKind;

use crate::support::{Shop, CHECKOUT};

#[derive(Debug, Clone)]
struct Market {
    country: &'static str,
    currency: &'static str,
    minor_units: u32,
    fx: String,
    duty: Vec<(String, u32)>,
    tax_bp: u32,
    rounding: Option<(i64, i64)>,
}

impl Market {
    fn record(&self, version: u64) -> Value {
        let duty: serde_json::Map<String, Value> = self
            .duty
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let mut v = json!({"country": self.country, "version": version, "currency": self.currency,
            "minorUnits": self.minor_units, "fxRate": self.fx, "dutyRates": duty,
            "taxRate": self.tax_bp, "shipping": {"flat": 1000, "freeOver": 50000}});
        if let Some((increment, minus)) = self.rounding {
            v["rounding"] = json!({"increment": increment, "minus": minus});
        }
        v
    }
}

fn market() -> impl Strategy<Value = Market> {
    let countries = prop_oneof![
        Just(("GB", "GBP", 2u32)),
        Just(("JP", "JPY", 0)),
        Just(("KW", "KWD", 3)),
        Just(("CA", "CAD", 2)),
    ];
    let fx = (1u64..3_000_000, 0u32..6).prop_map(|(m, s)| {
        let text = m.to_string();
        let s = (s as usize).min(text.len() - 1);
        if s == 0 {
            text
        } else {
            format!("{}.{}", &text[..text.len() - s], &text[text.len() - s..])
        }
    });
    let duty = prop::collection::vec(("[0-9]{1,4}|\\*", 0u32..3000), 0..4);
    let rounding = prop::option::of((
        prop_oneof![Just(1i64), Just(5), Just(10), Just(100)],
        0i64..5,
    ));
    (countries, fx, duty, 0u32..2500, rounding).prop_map(
        |((country, currency, minor_units), fx, duty, tax_bp, rounding)| Market {
            country,
            currency,
            minor_units,
            fx,
            duty,
            tax_bp,
            rounding: rounding.map(|(inc, minus)| (inc, minus % inc)),
        },
    )
}

#[derive(Debug, Clone)]
struct Item {
    hs_code: String,
    prices: Vec<(i64, Option<i64>, i32)>, // list, sale, stock per variant
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    let variant = (100i64..500_000, prop::option::of(50i64..500_000), 0i32..5);
    let item = ("[0-9]{4}\\.[0-9]{2}", prop::collection::vec(variant, 1..4))
        .prop_map(|(hs_code, prices)| Item { hs_code, prices });
    prop::collection::vec(item, 1..6)
}

const LISTING: &str =
    "query($country: CountryCode) { products(first: 100, country: $country, sortKey: PRICE) {
  edges { node { id variants { sku price { amount currencyCode } quote } } } } }";
const PRODUCT: &str =
    "query($id: ID!, $country: CountryCode) { product(id: $id, country: $country) {
  variants { sku price { amount currencyCode } quote } } }";

fn build(items: &[Item], market: &Market) -> Shop {
    let shop = Shop::new("honor");
    shop.put(ViewKind::Intl, market.country, market.record(1));
    for (i, item) in items.iter().enumerate() {
        let skus: Vec<String> = (0..item.prices.len())
            .map(|v| format!("p{i}-{v}"))
            .collect();
        let sku_refs: Vec<&str> = skus.iter().map(String::as_str).collect();
        shop.product(&format!("p{i}"), 1, &item.hs_code, &sku_refs);
        for (sku, (list, sale, stock)) in skus.iter().zip(&item.prices) {
            shop.price(sku, 1, *list, *sale);
            shop.stock(sku, 1, *stock);
        }
    }
    shop
}

/// sku -> (price, quote) from every variant in a list of product nodes.
fn prices(products: &[&Value]) -> Vec<(String, Value, String)> {
    let mut out = vec![];
    for p in products {
        for v in p["variants"].as_array().unwrap() {
            out.push((
                v["sku"].as_str().unwrap().to_string(),
                v["price"].clone(),
                v["quote"].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

async fn check(items: Vec<Item>, market: Market, change: Option<(usize, i64)>) {
    let shop = build(&items, &market);
    let country = json!({"country": market.country});
    let listing = shop.query(LISTING, country.clone()).await;
    let nodes: Vec<&Value> = listing["data"]["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let from_listing = prices(&nodes);
    let mut pages = vec![];
    for i in 0..items.len() {
        pages.push(
            shop.query(
                PRODUCT,
                json!({"id": format!("p{i}"), "country": market.country}),
            )
            .await,
        );
    }
    let from_pages = prices(
        &pages
            .iter()
            .map(|p| &p["data"]["product"])
            .collect::<Vec<_>>(),
    );
    let strip_quotes = |v: &[(String, Value, String)]| {
        v.iter()
            .map(|(s, p, _)| (s.clone(), p.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip_quotes(&from_listing),
        strip_quotes(&from_pages),
        "listing vs product page"
    );

    let lines: Vec<Value> = from_pages
        .iter()
        .map(|(sku, _, _)| json!({"sku": sku, "quantity": 1}))
        .collect();
    let checkout = shop
        .query(CHECKOUT, json!({"country": market.country, "lines": lines}))
        .await;
    for (line, (sku, price, _)) in checkout["data"]["checkout"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&from_pages)
    {
        assert_eq!(&line["sku"], sku);
        assert_eq!(
            &line["unitPrice"], price,
            "checkout vs product page for {sku}"
        );
    }

    // Optionally change one variant's price (or the market), then check out with the quotes.
    let mut corrected_sku = None;
    if let Some((which, new_list)) = change {
        let (sku, _, _) = &from_pages[which % from_pages.len()];
        if new_list % 4 == 0 {
            // The earlier price was an error: its quotes are void.
            let fix = json!({"sku": sku, "version": 2, "currency": "USD", "list": new_list, "correction": true});
            shop.put(ViewKind::Prices, sku, fix);
            corrected_sku = Some(sku.clone());
        } else if new_list % 2 == 0 {
            shop.price(sku, 2, new_list, None);
        } else {
            // An FX move: one more decimal digit makes a nearby, different rate.
            let mut moved = market.clone();
            moved.fx = if market.fx.contains('.') {
                format!("{}7", market.fx)
            } else {
                format!("{}.7", market.fx)
            };
            shop.put(ViewKind::Intl, market.country, moved.record(2));
        }
    }
    let mut after = vec![];
    for i in 0..items.len() {
        after.push(
            shop.query(
                PRODUCT,
                json!({"id": format!("p{i}"), "country": market.country}),
            )
            .await,
        );
    }
    let now = prices(
        &after
            .iter()
            .map(|p| &p["data"]["product"])
            .collect::<Vec<_>>(),
    );
    let quoted: Vec<Value> = from_listing
        .iter()
        .map(|(sku, _, quote)| json!({"sku": sku, "quantity": 1, "quote": quote}))
        .collect();
    let checkout = shop
        .query(
            CHECKOUT,
            json!({"country": market.country, "lines": quoted}),
        )
        .await;
    let lines = checkout["data"]["checkout"]["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("{checkout}"));
    for ((line, (sku, shown, _)), (_, current, _)) in lines.iter().zip(&from_listing).zip(&now) {
        if shown == current {
            assert!(
                line["repriced"].is_null(),
                "{sku}: unchanged price reported as repriced"
            );
            assert_eq!(&line["unitPrice"], shown);
        } else {
            assert_eq!(
                line["repriced"]["from"]["amount"], shown["amount"],
                "{sku}: change not reported"
            );
            assert_eq!(line["repriced"]["to"]["amount"], current["amount"]);
            if corrected_sku.as_ref() == Some(sku) {
                assert_eq!(line["repriced"]["reason"], "PRICE_CORRECTED", "{sku}");
                assert_eq!(
                    &line["unitPrice"], current,
                    "{sku}: a corrected price's quote is void"
                );
                continue;
            }
            // Honoured, but never above today's price: the lower of the two is charged.
            let minor = |m: &Value| {
                m["amount"]
                    .as_str()
                    .unwrap()
                    .replace('.', "")
                    .parse::<i64>()
                    .unwrap()
            };
            let lower = if minor(shown) <= minor(current) {
                shown
            } else {
                current
            };
            assert_eq!(
                &line["unitPrice"], lower,
                "{sku}: honour policy charges the quote, capped at today's price"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn one_price_everywhere(items in items(), market in market(), change in prop::option::of((0usize..20, 100i64..500_000))) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(check(items, market, change));
    }
}
