//! Translating changes into subscription events: filters, unchanged prices, stock states.

use super::*;
use crate::views::testing::{price, product, stock};
use crate::views::Change;

fn catalog() -> Catalog {
    let c = Catalog::new();
    c.apply(Change::Product(product("p1", 1, &["a", "b"])));
    c.apply(Change::Product(product("p2", 1, &["c"])));
    for sku in ["a", "b", "c"] {
        c.apply(Change::Price(price(sku, 1, 1000, None)));
    }
    c
}

fn price_change(sku: &str, old: i64, new: i64) -> ViewChange {
    ViewChange::Price {
        sku: sku.into(),
        old: Some(Arc::new(price(sku, 1, old, None))),
        new: Some(Arc::new(price(sku, 2, new, None))),
    }
}

fn collect(
    change: &ViewChange,
    c: &Catalog,
    filter: &Filter,
) -> Vec<(String, Option<i64>, Option<i64>)> {
    let mut out = vec![];
    price_events(change, c, filter, &MarketRef::Base, |e| {
        out.push((
            e.sku,
            e.previous.map(|p| p.amount_minor),
            e.price.map(|p| p.amount_minor),
        ));
        true
    });
    out
}

#[test]
fn filters_select_by_sku_or_product() {
    let c = catalog();
    let change = price_change("b", 1000, 900);
    assert_eq!(
        collect(&change, &c, &Filter::default()),
        [("b".into(), Some(1000), Some(900))]
    );
    let by_sku = Filter {
        skus: ["b".to_string()].into(),
        ..Default::default()
    };
    assert_eq!(collect(&change, &c, &by_sku).len(), 1);
    let other_sku = Filter {
        skus: ["a".to_string()].into(),
        ..Default::default()
    };
    assert!(collect(&change, &c, &other_sku).is_empty());
    let by_product = Filter {
        product_ids: ["p1".to_string()].into(),
        ..Default::default()
    };
    assert_eq!(collect(&change, &c, &by_product).len(), 1);
    let other_product = Filter {
        product_ids: ["p2".to_string()].into(),
        ..Default::default()
    };
    assert!(collect(&change, &c, &other_product).is_empty());
}

#[test]
fn unchanged_shown_price_is_no_event() {
    let c = catalog();
    // A list price change under an unchanged lower sale price: the shown price stays.
    let change = ViewChange::Price {
        sku: "a".into(),
        old: Some(Arc::new(price("a", 1, 1000, Some(800)))),
        new: Some(Arc::new(price("a", 2, 1200, Some(800)))),
    };
    assert!(collect(&change, &c, &Filter::default()).is_empty());
}

#[test]
fn stock_status_and_availability() {
    let c = catalog();
    let mut events = vec![];
    let change = ViewChange::Inventory {
        sku: "a".into(),
        old: Some(Arc::new(stock("a", 1, 5))),
        new: Some(Arc::new(stock("a", 2, 2))),
    };
    stock_events(&change, &c, &Filter::default(), 3, |e| {
        events.push(e);
        true
    });
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].state.status, StockStatus::LowStock);
    assert!(events[0].state.available_for_sale);
    // A price deletion makes a stocked variant unavailable.
    c.apply(Change::Inventory(stock("c", 1, 9)));
    let gone = ViewChange::Price {
        sku: "c".into(),
        old: Some(Arc::new(price("c", 1, 1, None))),
        new: None,
    };
    let mut flips = vec![];
    stock_events(&gone, &c, &Filter::default(), 3, |e| {
        flips.push(e);
        true
    });
    assert_eq!(flips.len(), 1);
    assert!(!flips[0].state.available_for_sale);
    assert_eq!(flips[0].state.status, StockStatus::InStock);
}
