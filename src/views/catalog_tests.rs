//! The catalog's version rule, tombstones, bulk loading and summaries.

use super::*;
use crate::views::testing::*;

#[test]
fn newer_version_wins_older_and_equal_are_stale() {
    let c = Catalog::new();
    assert_eq!(
        c.apply(Change::Price(price("a", 2, 100, None))),
        ApplyOutcome::Applied
    );
    assert_eq!(
        c.apply(Change::Price(price("a", 1, 999, None))),
        ApplyOutcome::Stale
    );
    assert_eq!(
        c.apply(Change::Price(price("a", 2, 999, None))),
        ApplyOutcome::Stale
    );
    assert_eq!(c.price("a").unwrap().list_minor, 100);
    assert_eq!(
        c.apply(Change::Price(price("a", 3, 150, None))),
        ApplyOutcome::Applied
    );
    assert_eq!(c.price("a").unwrap().list_minor, 150);
}

#[test]
fn redelivery_is_idempotent() {
    let c = Catalog::new();
    let p = product("p1", 5, &["s1"]);
    c.apply(Change::Product(p.clone()));
    assert_eq!(c.apply(Change::Product(p.clone())), ApplyOutcome::Stale);
    assert_eq!(*c.product("p1").unwrap(), p);
}

#[test]
fn tombstone_deletes_only_its_key_and_view() {
    let c = Catalog::new();
    c.apply(Change::Product(product("p1", 1, &["s1"])));
    c.apply(Change::Product(product("p2", 1, &["s2"])));
    c.apply(Change::Inventory(stock("p1", 1, 3)));
    let out = c.apply(Change::Delete(ViewKind::Products, "p1".into()));
    assert_eq!(out, ApplyOutcome::Deleted);
    assert!(c.product("p1").is_none());
    assert!(c.product("p2").is_some());
    assert_eq!(c.available("p1"), 3, "other views keep the key");
    // Deleting an absent key is harmless.
    assert_eq!(
        c.apply(Change::Delete(ViewKind::Products, "nope".into())),
        ApplyOutcome::Deleted
    );
}

#[test]
fn missing_inventory_means_zero_available() {
    let c = Catalog::new();
    assert_eq!(c.available("x"), 0);
    c.apply(Change::Inventory(stock("x", 1, 4)));
    assert_eq!(c.available("x"), 4);
    assert_eq!(c.len(ViewKind::Inventory), 1);
}

#[test]
fn bulk_loading_computes_summaries_once_at_the_end() {
    let bulk = Catalog::new();
    let live = Catalog::new();
    bulk.begin_bulk();
    for c in [&bulk, &live] {
        c.apply(Change::Price(price("a", 1, 3000, Some(2000))));
        c.apply(Change::Product(product("p", 1, &["a", "b"])));
        c.apply(Change::Price(price("b", 1, 1000, None)));
        c.apply(Change::Inventory(stock("b", 1, 4)));
    }
    assert_eq!(
        summary_of(&bulk, "p"),
        ProductSummary::default(),
        "deferred"
    );
    bulk.end_bulk();
    assert_eq!(summary_of(&bulk, "p"), summary_of(&live, "p"));
    // After the bulk, changes are maintained one by one again.
    bulk.apply(Change::Price(price("b", 2, 500, None)));
    assert_eq!(summary_of(&bulk, "p").min_price_minor, Some(500));
}

fn summary_of(c: &Catalog, id: &str) -> ProductSummary {
    c.product_entry(id).unwrap().summary
}

#[test]
fn summaries_follow_prices_stock_and_product_changes() {
    let c = Catalog::new();
    // Prices may arrive before the product.
    c.apply(Change::Price(price("a", 1, 3000, None)));
    c.apply(Change::Product(product("p", 1, &["a", "b"])));
    assert_eq!(summary_of(&c, "p").min_price_minor, Some(3000));
    assert!(!summary_of(&c, "p").available_for_sale);
    c.apply(Change::Price(price("b", 1, 2000, Some(1500))));
    c.apply(Change::Inventory(stock("a", 1, 2)));
    let s = summary_of(&c, "p");
    assert_eq!(
        (s.min_price_minor, s.max_price_minor),
        (Some(1500), Some(3000))
    );
    assert!(s.available_for_sale);
    // A stale price changes nothing; a deleted price leaves the range.
    c.apply(Change::Price(price("b", 1, 1, None)));
    assert_eq!(summary_of(&c, "p").min_price_minor, Some(1500));
    c.apply(Change::Delete(ViewKind::Prices, "b".into()));
    assert_eq!(summary_of(&c, "p").min_price_minor, Some(3000));
    // A new product version without sku `a` stops tracking it.
    c.apply(Change::Product(product("p", 2, &["b"])));
    assert_eq!(summary_of(&c, "p"), ProductSummary::default());
    c.apply(Change::Price(price("a", 2, 10, None)));
    assert_eq!(summary_of(&c, "p").min_price_minor, None);
    c.apply(Change::Price(price("b", 2, 700, None)));
    assert_eq!(summary_of(&c, "p").min_price_minor, Some(700));
}

/// A SKU listed by two products belongs to the one whose record listing it came last; deleting
/// either leaves it owned by the other (before, deleting the owner left it with none).
#[test]
fn a_sku_claimed_twice_has_a_defined_owner_both_ways() {
    let owner = |c: &Catalog| c.product_of_sku("s").map(|p| p.id.clone());
    for (first, second) in [("p1", "p2"), ("p2", "p1")] {
        let c = Catalog::new();
        c.apply(Change::Product(product(first, 1, &["s"])));
        c.apply(Change::Product(product(second, 1, &["s"])));
        assert_eq!(owner(&c).as_deref(), Some(second));
        // Both summaries follow the SKU's price, whoever owns it.
        c.apply(Change::Price(price("s", 1, 4200, None)));
        assert_eq!(summary_of(&c, first).min_price_minor, Some(4200));
        assert_eq!(summary_of(&c, second).min_price_minor, Some(4200));

        c.apply(Change::Delete(ViewKind::Products, second.into()));
        assert_eq!(owner(&c).as_deref(), Some(first), "passes back to {first}");
        c.apply(Change::Product(product(second, 2, &["s"])));
        assert_eq!(owner(&c).as_deref(), Some(second));
        c.apply(Change::Delete(ViewKind::Products, first.into()));
        assert_eq!(owner(&c).as_deref(), Some(second), "the owner stays");
        c.apply(Change::Product(product(second, 3, &["other"])));
        assert_eq!(owner(&c), None, "nobody lists it");
    }
}

/// A visit of every product holds no lock: a change to a product can be applied from another
/// thread while the visit waits for it (with the shard's lock held it would wait forever).
#[test]
fn a_change_is_applied_while_every_product_is_visited() {
    let catalog = std::sync::Arc::new(Catalog::new());
    catalog.apply(Change::Product(product("p", 1, &["a"])));
    let mut visited = 0;
    catalog.for_each_product(|_| {
        visited += 1;
        let (done, applied) = std::sync::mpsc::channel();
        let writer = std::sync::Arc::clone(&catalog);
        std::thread::spawn(move || {
            writer.apply(Change::Product(product("p", 2, &["a"])));
            let _ = done.send(());
        });
        let waited = applied.recv_timeout(std::time::Duration::from_secs(5));
        assert!(waited.is_ok(), "the change waited for the visit");
    });
    assert_eq!(visited, 1);
    assert_eq!(catalog.product("p").unwrap().version, 2);
}
