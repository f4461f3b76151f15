//! Storefronts over shared parts: one write, every storefront on the part refreshed.

use super::*;
use crate::views::testing::*;
use crate::views::Product;

fn two_on_one_pool() -> Storefronts {
    let spec = |name: &str, prices: &str, pool: &str| StorefrontSpec {
        name: name.into(),
        assortment: Assortment::everything(),
        products: "products".into(),
        prices: prices.into(),
        pool: pool.into(),
    };
    Storefronts::build(&[
        spec("main", "main", "shared"),
        spec("outlet", "outlet", "shared"),
        spec("other", "main", "own"),
    ])
}

fn in_stock(fronts: &Storefronts, name: &str) -> bool {
    let entry = fronts.get(name).unwrap().catalog.product_entry("p1");
    entry.unwrap().summary.available_for_sale
}

#[test]
fn one_sku_sells_at_each_storefronts_price() {
    let fronts = two_on_one_pool();
    fronts.apply(0, Change::Product(product("p1", 1, &["s1"])));
    fronts.apply(0, Change::Price(price("s1", 1, 10_000, None)));
    fronts.apply(1, Change::Price(price("s1", 1, 6_000, None)));
    let shown = |name: &str| {
        let catalog = &fronts.get(name).unwrap().catalog;
        catalog.product_entry("p1").unwrap().summary.min_price_minor
    };
    assert_eq!(shown("main"), Some(10_000));
    assert_eq!(shown("outlet"), Some(6_000));
    assert_eq!(
        shown("other"),
        Some(10_000),
        "a price list shared with main"
    );
}

#[test]
fn an_expired_hold_refreshes_every_storefront_on_its_pool() {
    let fronts = two_on_one_pool();
    fronts.apply(0, Change::Product(product("p1", 1, &["s1"])));
    for via in 0..2 {
        fronts.apply(via, Change::Price(price("s1", 1, 100, None)));
    }
    fronts.apply(0, Change::Inventory(stock("s1", 1, 1)));
    fronts.apply(2, Change::Inventory(stock("s1", 1, 1)));
    fronts.advance_clock(1_000);
    fronts.apply(1, decision("r1", "s1", 1, 1, 1_000, 10));
    assert!(!in_stock(&fronts, "main") && !in_stock(&fronts, "outlet"));
    assert!(in_stock(&fronts, "other"), "its own pool holds nothing");
    assert_eq!(
        fronts.advance_clock(2_000),
        1,
        "the pool's clock moves once"
    );
    assert!(in_stock(&fronts, "main") && in_stock(&fronts, "outlet"));
}

#[test]
fn a_product_leaving_the_assortment_leaves_the_storefront_only() {
    let fronts = Storefronts::build(&[
        StorefrontSpec {
            name: "main".into(),
            assortment: Assortment::everything(),
            products: "products".into(),
            prices: "prices".into(),
            pool: "pool".into(),
        },
        StorefrontSpec {
            name: "knits".into(),
            assortment: Assortment {
                include_categories: vec!["women/knitwear".into()],
                ..Assortment::default()
            },
            products: "products".into(),
            prices: "prices".into(),
            pool: "pool".into(),
        },
    ]);
    fronts.apply(0, Change::Product(product("p1", 1, &["s1"])));
    assert!(fronts.get("knits").unwrap().catalog.product("p1").is_some());
    let moved = Product {
        categories: vec!["home".into()],
        ..product("p1", 2, &["s1"])
    };
    fronts.apply(0, Change::Product(moved));
    assert!(fronts.get("knits").unwrap().catalog.product("p1").is_none());
    assert!(fronts
        .get("knits")
        .unwrap()
        .catalog
        .product_of_sku("s1")
        .is_none());
    assert_eq!(
        fronts
            .get("main")
            .unwrap()
            .catalog
            .product("p1")
            .unwrap()
            .version,
        2
    );
    assert_eq!(fronts.position("knits"), Some(1));
    assert!(fronts.get("nope").is_none());
}
