//! Indexed listings against a brute-force scan: random catalogs, random change sequences
//! (bulk loads included), every filter, sort, direction, page size and market, walked page by
//! page with cursors that outlive the changes between pages.

use std::sync::Arc;

use proptest::prelude::*;
use vitrine::pricing::landed::Market;
use vitrine::views::listing::{list_products, scan_products, ListingFilter, ListingPage};
use vitrine::views::listing::{ListingRequest, Position, SortKey, SortValue};
use vitrine::views::model::{CharmRounding, ExactRate, Shipping};
use vitrine::views::{Catalog, Change, IntlContext, Inventory, Price, Product, Variant, ViewKind};

const TITLES: &[&str] = &[
    "Cashmere", "Crème", "sweater", "Brûlée", "T-Shirt", "Łódź", "boot", "Cash",
];
const BRANDS: &[&str] = &["Loro", "LORO", "Acne", "Max Mara", "Émile"];
const PATHS: &[&str] = &[
    "women/knitwear/sweaters",
    "women/knitwear",
    "women/knitwear-sale",
    "men/shoes",
    "/odd",
    "a//b",
    "",
];
/// A SKU's size and colour, by its number (two spellings of one size: facets group them).
const SIZES: &[Option<&str>] = &[Some("S"), Some("M"), None, Some("m"), Some("XL")];
const COLORS: &[Option<&str>] = &[Some("Black"), Some("Camel"), None];
const HS: &[Option<&str>] = &[Some("6110.12"), Some("6204.44"), Some("4202"), None];

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Product {
        id: u8,
        title: Vec<u8>,
        brand: u8,
        paths: Vec<u8>,
        hs: u8,
        published: Option<i64>,
        skus: Vec<u8>,
    },
    DeleteProduct(u8),
    Price {
        sku: u8,
        list: i64,
        sale: Option<i64>,
    },
    DeletePrice(u8),
    Stock {
        sku: u8,
        available: i32,
    },
    DeleteStock(u8),
    /// The next ops are loaded in bulk (summaries and indexes built once at the end).
    Bulk(u8),
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u8..16, prop::collection::vec(0u8..8, 1..4), 0u8..5, prop::collection::vec(0u8..7, 0..3),
              0u8..4, prop::option::of(-2i64..3), prop::collection::vec(0u8..24, 0..4))
            .prop_map(|(id, title, brand, paths, hs, published, skus)| Op::Product { id, title, brand, paths, hs, published, skus }),
        1 => (0u8..16).prop_map(Op::DeleteProduct),
        5 => (0u8..24, 0i64..60, prop::option::of(0i64..60))
            .prop_map(|(sku, list, sale)| Op::Price { sku, list: list * 50, sale: sale.map(|s| s * 50) }),
        1 => (0u8..24).prop_map(Op::DeletePrice),
        4 => (0u8..24, -1i32..3).prop_map(|(sku, available)| Op::Stock { sku, available }),
        1 => (0u8..24).prop_map(Op::DeleteStock),
        1 => (1u8..12).prop_map(Op::Bulk),
    ]
}

pub(crate) fn apply(catalog: &Catalog, ops: &[Op], version: &mut u64) {
    let mut bulk_left = 0u8;
    for op in ops {
        *version += 1;
        let Some(change) = to_change(op, *version) else {
            if let Op::Bulk(n) = op {
                catalog.begin_bulk();
                bulk_left = *n;
            }
            continue;
        };
        catalog.apply(change);
        if bulk_left > 0 {
            bulk_left -= 1;
            if bulk_left == 0 {
                catalog.end_bulk();
                catalog.finish_listing_index();
            }
        }
    }
    catalog.end_bulk();
    catalog.finish_listing_index();
}

/// The change `op` makes at version `v` (`None` for the start of a bulk load).
pub(crate) fn to_change(op: &Op, v: u64) -> Option<Change> {
    Some(match op.clone() {
        Op::Product {
            id,
            title,
            brand,
            paths,
            hs,
            published,
            skus,
        } => {
            let title: Vec<&str> = title.iter().map(|t| TITLES[*t as usize]).collect();
            let title = title.join(" ");
            let brand = BRANDS[brand as usize].to_string();
            Change::Product(Product {
                corrected_at: None,
                id: format!("p{id:02}"),
                version: v,
                title_key: title.to_lowercase(),
                title,
                brand,
                description: String::new(),
                categories: paths
                    .iter()
                    .map(|p| PATHS[*p as usize].to_string())
                    .collect(),
                images: vec![],
                hs_code: HS[hs as usize].map(str::to_string),
                published_at: None,
                published_at_ms: published,
                variants: skus
                    .iter()
                    .map(|s| Variant {
                        sku: format!("s{s}"),
                        size: SIZES[*s as usize % SIZES.len()].map(str::to_string),
                        color: COLORS[*s as usize / 2 % COLORS.len()].map(str::to_string),
                    })
                    .collect(),
            })
        }
        Op::DeleteProduct(id) => Change::Delete(ViewKind::Products, format!("p{id:02}")),
        Op::Price { sku, list, sale } => Change::Price(Price {
            sku: format!("s{sku}"),
            version: v,
            currency: "USD".into(),
            list_minor: list,
            sale_minor: sale,
            corrected_at: None,
        }),
        Op::DeletePrice(sku) => Change::Delete(ViewKind::Prices, format!("s{sku}")),
        Op::Stock { sku, available } => Change::Inventory(Inventory {
            sku: format!("s{sku}"),
            version: v,
            available,
            reservations: vec![],
        }),
        Op::DeleteStock(sku) => Change::Delete(ViewKind::Inventory, format!("s{sku}")),
        Op::Bulk(_) => return None,
    })
}

pub(crate) fn gb() -> Market {
    Market::Intl(Arc::new(IntlContext {
        country: "GB".into(),
        version: 1,
        currency: "GBP".into(),
        minor_units: 2,
        fx_rate: ExactRate {
            mantissa: 7893,
            scale: 4,
        },
        fx_rate_text: "0.7893".into(),
        duty_rates: vec![("6110".into(), 1200), ("62".into(), 800)],
        duty_fallback_bp: Some(300),
        tax_bp: 2000,
        rounding: Some(CharmRounding {
            increment: 500,
            minus: 1,
        }),
        corrected_at: None,
        shipping: Shipping {
            flat_minor: 0,
            free_over_minor: None,
        },
    }))
}

#[derive(Debug, Clone)]
struct Ask {
    category: Option<&'static str>,
    brand: Option<&'static str>,
    in_stock: Option<bool>,
    min: Option<i64>,
    max: Option<i64>,
    query: Option<&'static str>,
    sort: SortKey,
    reverse: bool,
    first: usize,
    gb: bool,
}

fn ask() -> impl Strategy<Value = Ask> {
    // Each condition is set in about a third of the requests, so pages are rarely empty.
    fn sometimes<T: Clone + std::fmt::Debug + 'static>(
        values: Vec<T>,
    ) -> impl Strategy<Value = Option<T>> {
        prop::option::weighted(0.3, prop::sample::select(values))
    }
    let category = sometimes(vec![
        "women",
        "women/",
        "women/knitwear",
        "men",
        "nope",
        "",
        "/odd",
        "a/",
    ]);
    let brand = sometimes(vec!["loro", "LORO", "max mara", "émile", "x"]);
    let query = sometimes(vec![
        "cash",
        "CASH swe",
        "creme",
        "crème brû",
        "b",
        "lodz",
        "zz",
        "",
        " - ",
        "t-sh",
    ]);
    let sort = prop::sample::select(vec![
        SortKey::Title,
        SortKey::Price,
        SortKey::CreatedAt,
        SortKey::Id,
    ]);
    let price = || prop::option::weighted(0.2, 0i64..3000);
    (
        category,
        brand,
        prop::option::weighted(0.3, any::<bool>()),
        price(),
        price(),
        query,
        sort,
        any::<bool>(),
        0usize..5,
        any::<bool>(),
    )
        .prop_map(
            |(category, brand, in_stock, min, max, query, sort, reverse, first, gb)| Ask {
                category,
                brand,
                in_stock,
                min,
                max,
                query,
                sort,
                reverse,
                first,
                gb,
            },
        )
}

fn summary(page: &ListingPage) -> (Vec<(String, Position)>, usize, bool, bool) {
    let items = page
        .items
        .iter()
        .map(|i| (i.product.id.clone(), i.position.clone()))
        .collect();
    (
        items,
        page.total_count,
        page.has_next_page,
        page.has_previous_page,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)))]

    #[test]
    fn indexed_listings_equal_a_scan(
        ops in prop::collection::vec(op(), 0..80),
        between in prop::collection::vec(prop::collection::vec(op(), 0..4), 6),
        asks in prop::collection::vec(ask(), 1..6),
        forged in prop::option::weighted(0.2, (-3i64..3000, 0u8..20)),
    ) {
        let catalog = Catalog::new();
        let mut version = 0;
        apply(&catalog, &ops, &mut version);
        let gb = gb();
        for ask in asks {
            let market = if ask.gb { gb.clone() } else { Market::Base };
            let show = |base, product: &Product| market.shown_minor(base, "USD", product);
            let mut request = ListingRequest {
                filter: ListingFilter {
                    category: ask.category.map(str::to_string),
                    brand: ask.brand.map(str::to_string),
                    in_stock: ask.in_stock,
                    min_price_minor: ask.min,
                    max_price_minor: ask.max,
                    query: ask.query.map(str::to_lowercase),
                    ..ListingFilter::default()
                },
                sort: ask.sort,
                reverse: ask.reverse,
                after: forged.map(|(n, id)| Position { value: SortValue::Int(n), id: format!("p{id:02}") }),
                first: ask.first,
            };
            for changes in between.iter().take(6) {
                let indexed = list_products(&catalog, &request, show);
                let scanned = scan_products(&catalog, &request, show);
                prop_assert_eq!(summary(&indexed), summary(&scanned), "{:?}", request);
                let Some(last) = indexed.items.last() else { break };
                request.after = Some(last.position.clone());
                // Cursors stay valid across changes: the next page is asked after some.
                apply(&catalog, changes, &mut version);
            }
        }
    }
}

/// Changes applied while the indexes are rebuilt after a bulk load (on their own thread) are
/// replayed on the rebuilt indexes; listings meanwhile are found by scanning, with the same
/// answers.
#[test]
fn changes_during_a_rebuild_are_replayed() {
    let catalog = Catalog::new();
    let product = |i: usize, version: u64| Product {
        corrected_at: None,
        id: format!("q{i:05}"),
        version,
        title: format!("{} {i}", TITLES[i % TITLES.len()]),
        title_key: format!("{} {i}", TITLES[i % TITLES.len()]).to_lowercase(),
        brand: BRANDS[i % BRANDS.len()].into(),
        description: String::new(),
        categories: vec![PATHS[i % PATHS.len()].into()],
        images: vec![],
        hs_code: HS[i % HS.len()].map(str::to_string),
        published_at: None,
        published_at_ms: Some(i as i64 % 97),
        variants: vec![Variant {
            sku: format!("k{i}"),
            size: None,
            color: None,
        }],
    };
    let price = |i: usize, version: u64, list: i64| Price {
        sku: format!("k{i}"),
        version,
        currency: "USD".into(),
        list_minor: list,
        sale_minor: None,
        corrected_at: None,
    };
    catalog.begin_bulk();
    for i in 0..30_000 {
        catalog.apply(Change::Product(product(i, 1)));
        catalog.apply(Change::Price(price(i, 1, (i as i64 * 7919) % 5000)));
    }
    catalog.end_bulk();
    // Most likely still rebuilding: these go to the queue (or straight in, if it was quick).
    catalog.apply(Change::Delete(ViewKind::Products, "q00003".into()));
    catalog.apply(Change::Price(price(5, 2, 1)));
    catalog.apply(Change::Product(product(30_001, 1)));
    catalog.apply(Change::Price(price(30_001, 1, 2)));
    catalog.apply(Change::Inventory(Inventory {
        sku: "k9".into(),
        version: 1,
        available: 3,
        reservations: vec![],
    }));
    // More than one replay chunk's worth.
    for i in 10..10_010 {
        catalog.apply(Change::Price(price(i, 3, (i as i64 * 31) % 7000)));
    }
    let request = |sort| ListingRequest {
        filter: ListingFilter::default(),
        sort,
        reverse: false,
        after: None,
        first: 50,
    };
    let same = |base, _: &Product| Some(base);
    let early = list_products(&catalog, &request(SortKey::Price), same);
    catalog.finish_listing_index();
    for sort in [
        SortKey::Price,
        SortKey::Title,
        SortKey::Id,
        SortKey::CreatedAt,
    ] {
        assert_eq!(
            summary(&list_products(&catalog, &request(sort), same)),
            summary(&scan_products(&catalog, &request(sort), same))
        );
    }
    assert_eq!(
        summary(&early),
        summary(&list_products(&catalog, &request(SortKey::Price), same))
    );
    let stock = ListingRequest {
        filter: ListingFilter {
            in_stock: Some(true),
            ..Default::default()
        },
        ..request(SortKey::Id)
    };
    assert_eq!(ids_of(&list_products(&catalog, &stock, same)), ["q00009"]);
}

fn ids_of(page: &ListingPage) -> Vec<&str> {
    page.items.iter().map(|i| i.product.id.as_str()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)))]

    /// The summaries kept change by change (prices, stock, deletions, bulk loads) are the ones
    /// computed from scratch from the views.
    #[test]
    fn kept_summaries_equal_summaries_from_scratch(
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let catalog = Catalog::new();
        let mut version = 0;
        apply(&catalog, &ops, &mut version);
        let mut kept = Vec::new();
        catalog.for_each_product(|e| kept.push((e.product.clone(), e.summary)));
        for (product, summary) in kept {
            prop_assert_eq!(summary, vitrine::views::summarize(&catalog, &product), "{}", product.id);
        }
    }
}
