//! Facets on a catalog small enough to count by hand: disjunctive counts, options matched on
//! one in-stock variant, selected values at 0, categories one level down, the histogram, and
//! counts that follow a stock change.

use super::*;
use crate::views::listing::{ListingFilter, ListingRequest, SortKey};
use crate::views::listing_filter::{OptionFilter, OptionName};
use crate::views::testing::{price, product, stock};
use crate::views::{Catalog, Change};

fn same(base: i64, _: &Product) -> Option<i64> {
    Some(base)
}

/// (id, brand, category, [(sku, size, colour, price, stock)])
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str, i64, i32)],
);

const ROWS: &[Row] = &[
    (
        "p1",
        "Celine",
        "women/bags",
        &[
            ("p1-a", "40", "Black", 10_000, 1),
            ("p1-b", "41", "Camel", 12_000, 0),
        ],
    ),
    (
        "p2",
        "Celine",
        "women/shoes",
        &[("p2-a", "40", "Camel", 5_000, 2)],
    ),
    (
        "p3",
        "Loro",
        "women/shoes",
        &[
            ("p3-a", "41", "Black", 30_000, 3),
            ("p3-b", "40", "Black", 30_000, 1),
        ],
    ),
    (
        "p4",
        "Acne",
        "men/shoes",
        &[("p4-a", "40", "Black", 2_000, 1)],
    ),
];

fn catalog() -> Catalog {
    let c = Catalog::new();
    for (id, brand, category, variants) in ROWS {
        let skus: Vec<&str> = variants.iter().map(|v| v.0).collect();
        let mut p = product(id, 1, &skus);
        p.brand = brand.to_string();
        p.categories = vec![category.to_string()];
        for (variant, (_, size, color, _, _)) in p.variants.iter_mut().zip(variants.iter()) {
            variant.size = Some(size.to_string());
            variant.color = Some(color.to_string());
        }
        c.apply(Change::Product(p));
        for (sku, _, _, amount, units) in variants.iter() {
            c.apply(Change::Price(price(sku, 1, *amount, None)));
            c.apply(Change::Inventory(stock(sku, 1, *units)));
        }
    }
    c
}

fn request(filter: ListingFilter) -> ListingRequest {
    ListingRequest {
        filter,
        sort: SortKey::Id,
        reverse: false,
        after: None,
        first: 10,
    }
}

fn counts(values: &[FacetValue]) -> Vec<(&str, usize, bool)> {
    values
        .iter()
        .map(|v| (v.label.as_str(), v.count, v.selected))
        .collect()
}

const SHAPE: FacetShape = FacetShape {
    max_values: 10,
    buckets: 10,
};

fn celine_size_40_in_stock() -> ListingFilter {
    ListingFilter {
        category: Some("women".into()),
        brands: vec!["celine".into()],
        options: vec![OptionFilter {
            name: OptionName::Size,
            values: vec!["40".into()],
        }],
        in_stock: Some(true),
        ..ListingFilter::default()
    }
}

#[test]
fn each_facet_counts_with_every_other_selection_applied() {
    let catalog = catalog();
    let request = request(celine_size_40_in_stock());
    let (facets, scope) = catalog.facets(&request, same, SHAPE);
    assert!(scope.is_some());
    assert_eq!(facets, reference(&catalog, &request, same, SHAPE));
    // Loro stays visible with Celine selected: p3 has an in-stock size 40.
    assert_eq!(
        counts(&facets.brand),
        [("Celine", 2, true), ("Loro", 1, false)]
    );
    let sizes = &facets.options[0];
    assert_eq!(sizes.0, OptionName::Size);
    // Size 41 of Celine is out of stock: not offered.
    assert_eq!(counts(&sizes.1), [("40", 2, true)]);
    // Colours of the in-stock size-40 variants only (p1's camel is size 41).
    assert_eq!(
        counts(&facets.options[1].1),
        [("Black", 1, false), ("Camel", 1, false)]
    );
    assert_eq!(counts(&facets.available), [("In stock", 2, true)]);
    assert_eq!(
        counts(&facets.category),
        [("women/bags", 1, false), ("women/shoes", 1, false)]
    );
    let price = facets.price.expect("priced");
    assert_eq!((price.min, price.max), (5_000, 10_000));
    let buckets: Vec<(i64, i64, usize)> = price
        .buckets
        .iter()
        .map(|b| (b.from, b.to, b.count))
        .collect();
    assert_eq!(
        buckets,
        [
            (5_000, 6_000, 1),
            (6_000, 7_000, 0),
            (7_000, 8_000, 0),
            (8_000, 9_000, 0),
            (9_000, 10_000, 0),
            (10_000, 11_000, 1)
        ]
    );
    // The listing itself keeps what the selected values count.
    let listed = crate::views::listing::list_products(&catalog, &request, same);
    assert_eq!(listed.items.len(), 2);
}

#[test]
fn a_selected_value_is_returned_at_zero_and_stock_moves_the_counts() {
    let catalog = catalog();
    let mut filter = celine_size_40_in_stock();
    filter.brands.push("Gucci".into());
    let (facets, _) = catalog.facets(&request(filter.clone()), same, SHAPE);
    assert_eq!(
        counts(&facets.brand),
        [("Celine", 2, true), ("Loro", 1, false), ("Gucci", 0, true)]
    );
    // p3's size 40 sells out: Loro drops out of the brand facet.
    catalog.apply(Change::Inventory(stock("p3-b", 2, 0)));
    let (facets, _) = catalog.facets(&request(filter.clone()), same, SHAPE);
    assert_eq!(
        counts(&facets.brand),
        [("Celine", 2, true), ("Gucci", 0, true)]
    );
    // Without the stock rule, sizes count every variant.
    filter.in_stock = None;
    let (facets, _) = catalog.facets(&request(filter), same, SHAPE);
    assert_eq!(
        counts(&facets.options[0].1),
        [("40", 2, true), ("41", 1, false)]
    );
}

#[test]
fn histogram_widths_are_round_and_hold_every_price() {
    // 100,000 would take 11 buckets (0 to 1,100,000): the next round width is 200,000.
    let range = price_range(&[1, 1_000_000], 10).unwrap();
    assert_eq!(range.buckets.len(), 6);
    assert_eq!(range.buckets[0].from, 0);
    assert_eq!(range.buckets[0].to, 200_000);
    assert_eq!(range.buckets.iter().map(|b| b.count).sum::<usize>(), 2);
    let one = price_range(&[4_999], 10).unwrap();
    assert_eq!((one.buckets.len(), one.buckets[0].count), (1, 1));
    assert!(price_range(&[], 10).is_none());
    let extreme = price_range(&[i64::MIN, i64::MAX], 3).unwrap();
    assert_eq!(extreme.buckets.iter().map(|b| b.count).sum::<usize>(), 2);
}
