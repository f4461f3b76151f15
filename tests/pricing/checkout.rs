//! Hand-worked checkouts: the GB example, zero-decimal yen, shipping threshold, stock, quotes.

use serde_json::json;
use vitrine::pricing::quote::{QuoteClaims, QuoteSigner};
use vitrine::views::ViewKind;

use crate::common::error_code as code;
use crate::support::{gb, jp, Shop, CHECKOUT, PDP, SECRET};

fn shop() -> Shop {
    shop_with("honor")
}

fn shop_with(policy: &str) -> Shop {
    let shop = Shop::new(policy);
    shop.put(ViewKind::Intl, "GB", gb(1, "0.7893"));
    shop.put(ViewKind::Intl, "JP", jp(1));
    shop.product("p1", 1, "6110.12", &["p1-a"]);
    shop.price("p1-a", 1, 129_500, Some(89_900));
    shop.stock("p1-a", 1, 3);
    shop.product("p2", 1, "4202.21", &["p2-a"]);
    shop.price("p2-a", 1, 5_000, None);
    shop.stock("p2-a", 1, 10);
    shop
}

#[tokio::test]
async fn gb_landed_price_matches_the_worked_example() {
    let shop = shop();
    let r = shop.query(PDP, json!({"id": "p1", "country": "GB"})).await;
    let v = &r["data"]["product"]["variants"][0];
    // 899.00 USD -> 709.58 GBP; duty 16% 113.53; VAT 20% 164.62; 987.73 -> 987.99.
    assert_eq!(
        v["price"],
        json!({"amount": "987.99", "currencyCode": "GBP"})
    );
    // List 1295.00 -> 1022.14; duty 163.54; VAT 237.14; 1422.82 -> 1422.99.
    assert_eq!(v["compareAtPrice"]["amount"], "1422.99");
    let base = shop.query(PDP, json!({"id": "p1"})).await;
    assert_eq!(
        base["data"]["product"]["variants"][0]["price"],
        json!({"amount": "899.00", "currencyCode": "USD"})
    );
}

#[tokio::test]
async fn checkout_totals_duty_tax_and_free_shipping() {
    let shop = shop();
    let lines = json!([{"sku": "p2-a", "quantity": 2}]);
    let r = shop
        .query(CHECKOUT, json!({"country": "GB", "lines": lines}))
        .await;
    let c = &r["data"]["checkout"];
    // 50.00 USD -> 39.47 (39.465 rounds half up); duty 5% 1.97; VAT 20% 8.29; 49.73 -> 49.99.
    assert_eq!(c["lines"][0]["unitPrice"]["amount"], "49.99", "{r}");
    assert_eq!(c["lines"][0]["duty"]["amount"], "1.97");
    assert_eq!(c["lines"][0]["tax"]["amount"], "8.29");
    assert_eq!(c["subtotal"]["amount"], "99.98");
    assert_eq!(c["duties"]["amount"], "3.94");
    assert_eq!(c["taxes"]["amount"], "16.58");
    assert_eq!(
        c["shipping"]["amount"], "15.00",
        "under the 250.00 threshold"
    );
    assert_eq!(c["total"]["amount"], "114.98");
    let lines = json!([{"sku": "p1-a", "quantity": 1}]);
    let r = shop
        .query(CHECKOUT, json!({"country": "GB", "lines": lines}))
        .await;
    assert_eq!(
        r["data"]["checkout"]["shipping"]["amount"], "0.00",
        "987.99 ships free"
    );
    assert_eq!(r["data"]["checkout"]["total"]["amount"], "987.99");
}

#[tokio::test]
async fn yen_has_no_decimals() {
    let shop = shop();
    let lines = json!([{"sku": "p2-a", "quantity": 1}]);
    let r = shop
        .query(CHECKOUT, json!({"country": "JP", "lines": lines}))
        .await;
    let c = &r["data"]["checkout"];
    // 50.00 USD * 157.2 = 7860; duty 5% 393; tax 10% 825.3 -> 825; 9078, no rounding rule.
    assert_eq!(
        c["lines"][0]["unitPrice"],
        json!({"amount": "9078", "currencyCode": "JPY"}),
        "{r}"
    );
    assert_eq!(
        c["total"]["amount"], "11078",
        "flat 2000 shipping, no threshold"
    );
}

#[tokio::test]
async fn shortages_and_missing_variants_are_reported_per_line() {
    let shop = shop();
    let lines = json!([{"sku": "p1-a", "quantity": 5}, {"sku": "nope", "quantity": 1}]);
    let r = shop
        .query(CHECKOUT, json!({"country": "GB", "lines": lines}))
        .await;
    let lines = &r["data"]["checkout"]["lines"];
    assert_eq!(lines[0]["unavailable"]["available"], 3, "{r}");
    assert_eq!(
        lines[0]["lineTotal"]["amount"], "4939.95",
        "still priced so the cart can be fixed"
    );
    assert_eq!(lines[1]["unavailable"]["available"], 0);
    assert!(lines[1]["unitPrice"].is_null());
}

#[tokio::test]
async fn bad_input_gets_codes() {
    let shop = shop();
    let one = |sku: &str, quantity: i32, quote: Option<&str>| json!([{"sku": sku, "quantity": quantity, "quote": quote}]);
    let r = shop
        .query(
            CHECKOUT,
            json!({"country": "ZZ", "lines": one("p1-a", 1, None)}),
        )
        .await;
    assert_eq!(code(&r), "UNSUPPORTED_COUNTRY");
    let r = shop
        .query(
            CHECKOUT,
            json!({"country": "GB", "lines": one("p1-a", 0, None)}),
        )
        .await;
    assert_eq!(code(&r), "INVALID_QUANTITY");
    let r = shop
        .query(
            CHECKOUT,
            json!({"country": "GB", "lines": one("p1-a", 1, Some("forged.token"))}),
        )
        .await;
    assert_eq!(code(&r), "INVALID_QUOTE");
    let r = shop.query(PDP, json!({"id": "p1", "country": "GB"})).await;
    let quote = r["data"]["product"]["variants"][0]["quote"]
        .as_str()
        .unwrap()
        .to_string();
    let r = shop
        .query(
            CHECKOUT,
            json!({"country": "JP", "lines": one("p1-a", 1, Some(&quote))}),
        )
        .await;
    assert_eq!(code(&r), "INVALID_QUOTE", "a GB quote in JP");
    let r = shop
        .query(
            CHECKOUT,
            json!({"country": "GB", "lines": one("p2-a", 1, Some(&quote))}),
        )
        .await;
    assert_eq!(code(&r), "INVALID_QUOTE", "a quote for another SKU");
    let mut tampered = quote.clone();
    tampered.replace_range(5..6, if &quote[5..6] == "A" { "B" } else { "A" });
    let r = shop
        .query(
            CHECKOUT,
            json!({"country": "GB", "lines": one("p1-a", 1, Some(&tampered))}),
        )
        .await;
    assert_eq!(code(&r), "INVALID_QUOTE");
    let r = shop.query(PDP, json!({"id": "p1", "country": "gb"})).await;
    assert_eq!(code(&r), "BAD_USER_INPUT", "not a country code");
}

#[tokio::test]
async fn quotes_are_honoured_or_repriced_by_policy() {
    for policy in ["honor", "reprice"] {
        let shop = shop_with(policy);
        let honour = policy == "honor";
        let r = shop.query(PDP, json!({"id": "p1", "country": "GB"})).await;
        let quote = r["data"]["product"]["variants"][0]["quote"]
            .as_str()
            .unwrap()
            .to_string();
        // The pound weakens: the same dollars make more pounds.
        shop.put(ViewKind::Intl, "GB", gb(2, "0.8100"));
        let lines = json!([{"sku": "p1-a", "quantity": 1, "quote": quote}]);
        let r = shop
            .query(CHECKOUT, json!({"country": "GB", "lines": lines}))
            .await;
        let line = &r["data"]["checkout"]["lines"][0];
        // 899 * 0.81 = 728.19; duty 116.51; VAT 168.94; 1013.64 -> 1013.99
        assert_eq!(
            line["repriced"],
            json!({"from": {"amount": "987.99"}, "to": {"amount": "1013.99"}, "reason": "PRICE_CHANGED"}),
            "{policy}: {r}"
        );
        let charged = if honour { "987.99" } else { "1013.99" };
        assert_eq!(line["unitPrice"]["amount"], charged, "{policy}");
        // Duty and tax shown are those of the price charged: an honoured 987.99 includes
        // VAT 987.99 / 6 = 164.67 and duty (987.99 - 164.67) * 16/116 = 113.56.
        let (duty, tax) = if honour {
            ("113.56", "164.67")
        } else {
            ("116.51", "168.94")
        };
        assert_eq!(
            (&line["duty"]["amount"], &line["tax"]["amount"]),
            (&json!(duty), &json!(tax)),
            "{policy}: {r}"
        );
        let totals = &r["data"]["checkout"];
        assert_eq!(
            (&totals["duties"]["amount"], &totals["taxes"]["amount"]),
            (&json!(duty), &json!(tax))
        );
    }
}

#[tokio::test]
async fn expired_quotes_are_not_honoured() {
    let shop = shop();
    let signer = QuoteSigner::new(SECRET, 900);
    let expired = signer.sign(&QuoteClaims {
        sku: "p1-a".into(),
        country: "GB".into(),
        amount_minor: 50_00,
        currency: "GBP".into(),
        price_version: 1,
        product_version: 1,
        intl_version: Some(1),
        expires_at: 1_000,
        banner: String::new(),
    });
    let lines = json!([{"sku": "p1-a", "quantity": 1, "quote": expired}]);
    let r = shop
        .query(CHECKOUT, json!({"country": "GB", "lines": lines}))
        .await;
    let line = &r["data"]["checkout"]["lines"][0];
    assert_eq!(line["unitPrice"]["amount"], "987.99", "{r}");
    assert_eq!(line["repriced"]["reason"], "QUOTE_EXPIRED");
    assert_eq!(line["repriced"]["from"]["amount"], "50.00");
}

#[tokio::test]
async fn in_context_sets_the_country_of_every_priced_field_without_one() {
    let shop = shop();
    let q = "query @inContext(country: GB) { product(id: \"p1\") { variants { price { amount currencyCode } } }
        products(first: 1, sortKey: PRICE, reverse: true) { edges { node { priceRange { minVariantPrice { amount } } } } }
        jp: product(id: \"p1\", country: \"JP\") { variants { price { currencyCode } } } }";
    let r = shop.query(q, json!({})).await;
    assert_eq!(
        r["data"]["product"]["variants"][0]["price"],
        json!({"amount": "987.99", "currencyCode": "GBP"}),
        "{r}"
    );
    let top = &r["data"]["products"]["edges"][0]["node"]["priceRange"]["minVariantPrice"]["amount"];
    assert_eq!(top, "987.99", "the listing is priced in GB too");
    assert_eq!(
        r["data"]["jp"]["variants"][0]["price"]["currencyCode"], "JPY",
        "an argument wins"
    );
    let r = shop.query("query($c: CountryCode) @inContext(country: $c) { product(id: \"p1\") { variants { price { currencyCode } } } }", json!({"c": "JP"})).await;
    assert_eq!(
        r["data"]["product"]["variants"][0]["price"]["currencyCode"], "JPY",
        "{r}"
    );
    let r = shop
        .query(
            "query @inContext(country: ZZ) { product(id: \"p1\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "UNSUPPORTED_COUNTRY");
    let r = shop
        .query(
            "query @inContext(country: gb) { product(id: \"p1\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "BAD_USER_INPUT");
    // A typo in the directive is refused like a typo in a field's arguments, never answered
    // silently in the base country.
    for typo in [
        "query @inContext(contry: GB) { product(id: \"p1\") { id } }",
        "query @inContext(country: GB, nosuch: 1) { product(id: \"p1\") { id } }",
        "query { product(id: \"p1\", nosuch: 1) { id } }",
    ] {
        let r = shop.query(typo, json!({})).await;
        assert_eq!(code(&r), "GRAPHQL_VALIDATION_FAILED", "{typo}: {r}");
        assert!(r["data"].is_null(), "{r}");
    }
}
