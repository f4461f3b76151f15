//! The one-stock property: with random holds on random stock, a variant's availability in
//! `product`, in `products(filter: {inStock})` and in `checkout` is the same: on-hand minus the
//! units held, never below zero; and a release gives the units back everywhere.

use proptest::prelude::*;
use serde_json::{json, Value};
use vitrine::events::reservation::{decided_hold, release};
use vitrine::views::ViewKind;

use crate::support::{Shop, CHECKOUT};

const PAGE: &str = "query($id: ID!) { product(id: $id) { availableForSale
    variants { sku quantityAvailable availableForSale } } }";
const IN_STOCK: &str =
    "{ products(first: 100, sortKey: ID, filter: {inStock: true}) { totalCount edges { node { id } } } }";

/// Per product, per variant: (on hand, units asked to hold).
fn stock() -> impl Strategy<Value = Vec<Vec<(i32, i32)>>> {
    prop::collection::vec(prop::collection::vec((0i32..6, 0i32..8), 1..4), 1..6)
}

async fn check(items: Vec<Vec<(i32, i32)>>, released: usize) {
    let shop = Shop::new("honor");
    let mut expected = vec![];
    for (i, variants) in items.iter().enumerate() {
        let skus: Vec<String> = (0..variants.len()).map(|v| format!("p{i}-{v}")).collect();
        let refs: Vec<&str> = skus.iter().map(String::as_str).collect();
        shop.product(&format!("p{i}"), 1, "6110.12", &refs);
        for (sku, (on_hand, asked)) in skus.iter().zip(variants) {
            shop.price(sku, 1, 1000, None);
            shop.stock(sku, 1, *on_hand);
            let mut free = *on_hand;
            if *asked > 0 {
                let id = format!("r-{sku}");
                shop.put(
                    ViewKind::Reservations,
                    sku,
                    decided_hold(&id, sku, *asked, *on_hand, vitrine::clock::unix_ms()),
                );
                free -= (*asked).min(*on_hand);
            }
            expected.push((format!("p{i}"), sku.clone(), *on_hand, *asked, free));
        }
    }
    // Some holds are released: their units are back.
    for (_, sku, on_hand, asked, free) in expected.iter_mut().take(released) {
        if *asked > 0 {
            shop.put(
                ViewKind::Reservations,
                sku,
                release(&format!("r-{sku}"), sku),
            );
            *free = *on_hand;
        }
    }
    let mut in_stock = vec![];
    for (product, sku, _, _, free) in &expected {
        let page = shop.query(PAGE, json!({"id": product})).await;
        let variant = page["data"]["product"]["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["sku"] == sku.as_str())
            .unwrap()
            .clone();
        assert_eq!(variant["quantityAvailable"], *free, "{sku}: {page}");
        assert_eq!(variant["availableForSale"], *free > 0, "{sku}");
        if *free > 0 && !in_stock.contains(product) {
            in_stock.push(product.clone());
        }
        let line = |n: i32| json!({"country": "US", "lines": [{"sku": sku, "quantity": n}]});
        let over = shop.query(CHECKOUT, line(free + 1)).await;
        let short: &Value = &over["data"]["checkout"]["lines"][0]["unavailable"];
        assert_eq!(
            short["available"], *free,
            "{sku}: checkout sees the same stock: {over}"
        );
        if *free > 0 {
            let fits = shop.query(CHECKOUT, line(*free)).await;
            assert!(
                fits["data"]["checkout"]["lines"][0]["unavailable"].is_null(),
                "{sku}: {fits}"
            );
        }
    }
    in_stock.sort();
    let listing = shop.query(IN_STOCK, json!({})).await;
    let listed: Vec<String> = listing["data"]["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        listed, in_stock,
        "the listing's inStock agrees with the pages"
    );
    assert_eq!(
        listing["data"]["products"]["totalCount"],
        in_stock.len(),
        "{listing}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn one_stock_everywhere(items in stock(), released in 0usize..6) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(check(items, released));
    }
}
