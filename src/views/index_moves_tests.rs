//! Memoized listing pages across changes in their scope: kept exactly while nothing they
//! show could differ, attacked with random changes against a fresh computation.

use std::sync::Arc;

use crate::views::index_moves::{Show, MOVES_KEPT};
use crate::views::listing::{
    ListingFilter, ListingPage, ListingRequest, Position, SortKey, SortValue,
};
use crate::views::reads::{ReadLog, RecordingReader};
use crate::views::testing::{price, product, stock};
use crate::views::{Catalog, Change, ViewKind};

/// `n` products p00.. in women/knit, one SKU each priced (i + 1) * 100, all in stock.
fn catalog(n: usize) -> Arc<Catalog> {
    let c = Catalog::new();
    for i in 0..n {
        put(&c, i, 1);
        c.apply(Change::Price(price(&sku(i), 1, (i as i64 + 1) * 100, None)));
        c.apply(Change::Inventory(stock(&sku(i), 1, 5)));
    }
    Arc::new(c)
}

fn sku(i: usize) -> String {
    format!("p{i:02}-a")
}

fn put(c: &Catalog, i: usize, version: u64) {
    let mut p = product(&format!("p{i:02}"), version, &[&sku(i)]);
    p.title = format!("Title {}", (i * 7) % 13);
    p.title_key = p.title.to_lowercase();
    p.categories = vec!["women/knit".into()];
    c.apply(Change::Product(p));
}

fn by_price(first: usize, filter: ListingFilter) -> ListingRequest {
    ListingRequest {
        filter: ListingFilter {
            category: Some("women".into()),
            ..filter
        },
        sort: SortKey::Price,
        reverse: false,
        after: None,
        first,
    }
}

fn exact() -> Show {
    Arc::new(|base, _| Some(base))
}

/// A page and the log of reading it.
fn listed(c: &Arc<Catalog>, request: &ListingRequest, show: &Show) -> (ListingPage, ReadLog) {
    let reader = RecordingReader::new(Arc::clone(c));
    let page = reader.list(request, |b, p: &_| show(b, p), true, || Arc::clone(show));
    (page, reader.log())
}

/// What a shopper sees of a page.
fn shown(page: &ListingPage) -> (Vec<Position>, usize, bool, bool) {
    let places = page.items.iter().map(|i| i.position.clone()).collect();
    (
        places,
        page.total_count,
        page.has_next_page,
        page.has_previous_page,
    )
}

#[test]
fn a_page_outlives_changes_past_its_last_product() {
    let c = catalog(20);
    let (_, log) = listed(&c, &by_price(5, ListingFilter::default()), &exact());
    assert!(log.still_current(&c));
    c.apply(Change::Price(price(&sku(15), 2, 1_600, None)));
    assert!(log.still_current(&c), "p15 moved, still past p04");
    c.apply(Change::Inventory(stock(&sku(12), 2, 0)));
    assert!(
        log.still_current(&c),
        "stock past the page, no stock filter"
    );
    c.apply(Change::Price(price(&sku(10), 2, 50, None)));
    assert!(!log.still_current(&c), "p10 moved onto the page");
}

#[test]
fn changes_to_the_count_or_a_short_page_outdate_it() {
    let c = catalog(20);
    let in_stock = ListingFilter {
        in_stock: Some(true),
        ..ListingFilter::default()
    };
    let (_, log) = listed(&c, &by_price(5, in_stock), &exact());
    c.apply(Change::Inventory(stock(&sku(12), 2, 0)));
    assert!(!log.still_current(&c), "p12 leaves the in-stock count");

    let (_, log) = listed(&c, &by_price(5, ListingFilter::default()), &exact());
    c.apply(Change::Delete(ViewKind::Products, "p19".into()));
    assert!(!log.still_current(&c), "p19 leaves the count");

    let (_, log) = listed(&c, &by_price(30, ListingFilter::default()), &exact());
    c.apply(Change::Price(price(&sku(18), 3, 1_950, None)));
    assert!(
        !log.still_current(&c),
        "a page that is not full shows every product"
    );
}

#[test]
fn a_page_checked_as_changes_come_outlives_more_than_it_remembers() {
    let c = catalog(20);
    let request = by_price(5, ListingFilter::default());
    let (_, checked) = listed(&c, &request, &exact());
    let (_, unchecked) = listed(&c, &request, &exact());
    for v in 0..(MOVES_KEPT as u64 + 1) {
        c.apply(Change::Price(price(
            &sku(15),
            v + 2,
            1_601 + v as i64,
            None,
        )));
        assert!(checked.still_current(&c), "change {v}");
    }
    assert!(
        !unchecked.still_current(&c),
        "more changes than the scope remembers since it was last found current"
    );
}

/// Random changes (prices, stock, product records, deletions) against pages of several
/// shapes: whenever a memoized page is found current, a fresh computation must show exactly
/// the same; and the window must save some of them (else it is not working).
#[test]
fn random_changes_never_keep_a_page_that_differs() {
    let c = catalog(30);
    let rounded: Show = Arc::new(|base, _| Some(base / 500 * 500)); // ties in shown price
    let mut shapes = Vec::new();
    for (show, reverse, first) in [
        (exact(), false, 6),
        (rounded, true, 4),
        (exact(), false, 40),
    ] {
        let mut request = by_price(first, ListingFilter::default());
        request.reverse = reverse;
        shapes.push((request, show));
    }
    let mut cursor = by_price(5, ListingFilter::default());
    cursor.after = Some(Position {
        value: SortValue::Int(800),
        id: "p07".into(),
    });
    shapes.push((cursor, exact()));
    let bounded = ListingFilter {
        min_price_minor: Some(500),
        max_price_minor: Some(2_000),
        in_stock: Some(true),
        ..ListingFilter::default()
    };
    shapes.push((by_price(5, bounded), exact()));
    let mut titled = by_price(5, ListingFilter::default());
    titled.sort = SortKey::Title;
    shapes.push((titled, exact()));

    let mut memo: Vec<_> = shapes.iter().map(|(r, s)| listed(&c, r, s)).collect();
    let (mut kept, mut seed) = (0, 0x9e37_79b9_u64);
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) % n
    };
    for round in 0..600 {
        let i = next(30) as usize;
        let version = round + 10;
        match next(10) {
            0..=4 => {
                c.apply(Change::Price(price(
                    &sku(i),
                    version,
                    100 + next(4_000) as i64,
                    None,
                )));
            }
            5..=7 => {
                c.apply(Change::Inventory(stock(&sku(i), version, next(3) as i32)));
            }
            8 => {
                put(&c, i, version);
            }
            _ => {
                c.apply(Change::Delete(ViewKind::Products, format!("p{i:02}")));
            }
        }
        for ((request, show), (page, log)) in shapes.iter().zip(memo.iter_mut()) {
            let (fresh, fresh_log) = listed(&c, request, show);
            if log.still_current(&c) {
                assert_eq!(shown(page), shown(&fresh), "round {round}: {request:?}");
                kept += 1;
            } else {
                (*page, *log) = (fresh, fresh_log);
            }
        }
    }
    assert!(kept > 300, "the window kept only {kept} pages");
}
