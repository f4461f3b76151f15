//! Listings: filters, sorts, keyset pages and market prices, over small catalogs.

use super::*;
use crate::views::testing::{price, product, stock};
use crate::views::Change;

fn same(base: i64, _: &Product) -> Option<i64> {
    Some(base)
}

fn ids(page: &ListingPage) -> Vec<&str> {
    page.items.iter().map(|i| i.product.id.as_str()).collect()
}

fn request(sort: SortKey) -> ListingRequest {
    ListingRequest {
        filter: ListingFilter::default(),
        sort,
        reverse: false,
        after: None,
        first: 10,
    }
}

/// p1 $30 in stock, p2 $10 out of stock, p3 $20 (sale) in stock, p4 unpriced.
fn catalog() -> Catalog {
    let c = Catalog::new();
    for (id, title, brand, cat) in [
        ("p1", "Cashmere Sweater", "Loro", "women/knitwear/sweaters"),
        ("p2", "Wool Scarf", "Acne", "women/accessories"),
        ("p3", "Alpaca Cardigan", "Loro", "women/knitwear-sale"),
        ("p4", "Boots", "Acne", "men/shoes"),
    ] {
        let mut p = product(id, 1, &[&format!("{id}-a"), &format!("{id}-b")]);
        p.title = title.into();
        p.title_key = title.to_lowercase();
        p.brand = brand.into();
        p.categories = vec![cat.into()];
        c.apply(Change::Product(p));
    }
    c.apply(Change::Price(price("p1-a", 1, 3000, None)));
    c.apply(Change::Price(price("p1-b", 1, 5000, None)));
    c.apply(Change::Price(price("p2-a", 1, 1000, None)));
    c.apply(Change::Price(price("p3-a", 1, 4000, Some(2000))));
    c.apply(Change::Inventory(stock("p1-b", 1, 2)));
    c.apply(Change::Inventory(stock("p2-a", 1, 0)));
    c.apply(Change::Inventory(stock("p3-a", 1, 1)));
    c.apply(Change::Inventory(stock("p4-a", 1, 9)));
    c
}

#[test]
fn category_prefix_respects_boundaries() {
    assert!(category_matches(
        "women/knitwear/sweaters",
        "women/knitwear"
    ));
    assert!(category_matches("women/knitwear", "women/knitwear/"));
    assert!(!category_matches("women/knitwear-sale", "women/knitwear"));
    assert!(!category_matches("women", "women/knitwear"));
}

#[test]
fn sorts_with_id_tiebreak_and_reverse() {
    let c = catalog();
    assert_eq!(
        ids(&list_products(&c, &request(SortKey::Title), same)),
        ["p3", "p4", "p1", "p2"]
    );
    assert_eq!(
        ids(&list_products(&c, &request(SortKey::Id), same)),
        ["p1", "p2", "p3", "p4"]
    );
    let mut r = request(SortKey::Id);
    r.reverse = true;
    assert_eq!(ids(&list_products(&c, &r, same)), ["p4", "p3", "p2", "p1"]);
}

#[test]
fn price_sort_uses_lowest_selling_price_and_skips_unpriced() {
    let c = catalog();
    let page = list_products(&c, &request(SortKey::Price), same);
    assert_eq!(ids(&page), ["p2", "p3", "p1"]);
    assert_eq!(page.total_count, 3);
}

#[test]
fn filters_combine() {
    let c = catalog();
    let mut r = request(SortKey::Id);
    r.filter.category = Some("women/knitwear".into());
    assert_eq!(ids(&list_products(&c, &r, same)), ["p1"]);
    r.filter = ListingFilter {
        brand: Some("loro".into()),
        ..Default::default()
    };
    assert_eq!(ids(&list_products(&c, &r, same)), ["p1", "p3"]);
    r.filter = ListingFilter {
        in_stock: Some(true),
        ..Default::default()
    };
    assert_eq!(
        ids(&list_products(&c, &r, same)),
        ["p1", "p3"],
        "p4 has stock but no price"
    );
    r.filter = ListingFilter {
        min_price_minor: Some(1500),
        max_price_minor: Some(3000),
        ..Default::default()
    };
    assert_eq!(ids(&list_products(&c, &r, same)), ["p1", "p3"]);
    r.filter = ListingFilter {
        query: Some("SCARF".into()),
        ..Default::default()
    };
    assert_eq!(ids(&list_products(&c, &r, same)), ["p2"]);
}

#[test]
fn keyset_pages_cover_everything_once() {
    let c = catalog();
    for reverse in [false, true] {
        let mut r = request(SortKey::Title);
        r.reverse = reverse;
        r.first = 1;
        let mut seen = vec![];
        loop {
            let page = list_products(&c, &r, same);
            assert_eq!(page.total_count, 4);
            seen.extend(ids(&page).iter().map(|s| s.to_string()));
            if !page.has_next_page {
                break;
            }
            r.after = Some(page.items.last().unwrap().position.clone());
        }
        let mut expected = vec!["p3", "p4", "p1", "p2"];
        if reverse {
            expected.reverse();
        }
        assert_eq!(seen, expected);
    }
}

#[test]
fn cursor_stays_valid_when_items_change() {
    let c = catalog();
    let mut r = request(SortKey::Id);
    r.first = 2;
    let first_page = list_products(&c, &r, same);
    r.after = Some(first_page.items.last().unwrap().position.clone());
    // p1 disappears, p2 is still the cursor's anchor though it no longer exists either.
    c.apply(Change::Delete(
        crate::views::ViewKind::Products,
        "p2".into(),
    ));
    c.apply(Change::Delete(
        crate::views::ViewKind::Products,
        "p1".into(),
    ));
    assert_eq!(ids(&list_products(&c, &r, same)), ["p3", "p4"]);
}

#[test]
fn summary_reports_range_and_availability() {
    let c = catalog();
    let s = c.product_entry("p1").unwrap().summary;
    assert_eq!(
        (s.min_price_minor, s.max_price_minor),
        (Some(3000), Some(5000))
    );
    assert!(s.available_for_sale);
    let s = c.product_entry("p4").unwrap().summary;
    assert_eq!(s.min_price_minor, None);
    assert!(!s.available_for_sale);
}

#[test]
fn market_prices_drive_price_filters_and_sorts() {
    let c = catalog();
    // A market where p1 (title "Cashmere...") pays a 10x duty: it moves to the end.
    let duty_on_p1 = |base: i64, p: &Product| Some(if p.id == "p1" { base * 10 } else { base });
    let page = list_products(&c, &request(SortKey::Price), duty_on_p1);
    assert_eq!(ids(&page), ["p2", "p3", "p1"]);
    let mut r = request(SortKey::Id);
    r.filter.max_price_minor = Some(25000);
    assert_eq!(ids(&list_products(&c, &r, duty_on_p1)), ["p2", "p3"]);
}

#[test]
fn first_zero_and_short_pages() {
    let c = catalog();
    let mut r = request(SortKey::Id);
    r.first = 0;
    let page = list_products(&c, &r, same);
    assert!(page.items.is_empty());
    assert!(page.has_next_page);
    assert_eq!(page.total_count, 4);
    r.first = 3;
    r.reverse = true;
    let page = list_products(&c, &r, same);
    assert_eq!(ids(&page), ["p4", "p3", "p2"]);
    assert!(page.has_next_page && !page.has_previous_page);
}

/// The listing's filter and the prices its nodes show come from the same reads: a price that
/// moves after the scan (here: out of the `maxPrice` range) takes the product off the page
/// instead of showing it above the bound.
#[test]
fn a_page_is_rechecked_against_the_reads_it_shows() {
    let c = std::sync::Arc::new(catalog());
    let mut req = request(SortKey::Price);
    req.filter.max_price_minor = Some(2500);
    let page = list_products(&c, &req, same);
    assert_eq!(ids(&page), ["p2", "p3"]);
    // Ingest moves p3 to $31 after the scan, before the answer reads its variants.
    c.apply(Change::Price(price("p3-a", 9, 3100, None)));
    c.apply(Change::Price(price("p3-b", 9, 3100, None)));
    let reader = crate::views::reads::RecordingReader::new(std::sync::Arc::clone(&c));
    let page = recheck_page(page, &req, &reader, same);
    assert_eq!(ids(&page), ["p2"]);
    for item in &page.items {
        for v in &item.product.variants {
            if let Some(p) = reader.price(&v.sku) {
                assert!(
                    p.selling_minor() <= 2500,
                    "{} shown at {}",
                    v.sku,
                    p.selling_minor()
                );
            }
        }
    }
}
