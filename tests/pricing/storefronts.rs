//! Storefronts over shared parts against one catalog per storefront built alone: random
//! product, price, stock and hold changes (bulk loads included), each written once into the
//! part it belongs to, leave every storefront exactly as a catalog that applied only that
//! storefront's changes and kept the products its assortment selects.

use proptest::prelude::*;
use vitrine::views::assortment::Assortment;
use vitrine::views::holds::{Decision, HoldRequest, ReservationEvent};
use vitrine::views::listing::{list_products, ListingRequest, SortKey};
use vitrine::views::storefronts::{StorefrontSpec, Storefronts};
use vitrine::views::{Catalog, Change, StockAndPrices};

use crate::listing_index::{op, to_change, Op};

/// A: every product, price list `pa`, the shared pool. B: women's knitwear, its own list
/// `pb`, the shared pool. C: everything but men's, list `pa`, a pool of its own.
fn specs() -> Vec<StorefrontSpec> {
    let spec = |name: &str, assortment: Assortment, prices: &str, pool: &str| StorefrontSpec {
        name: name.into(),
        assortment,
        products: "products".into(),
        prices: prices.into(),
        pool: pool.into(),
    };
    vec![
        spec("a", Assortment::everything(), "pa", "shared"),
        spec(
            "b",
            Assortment {
                include_categories: vec!["women/knitwear".into()],
                ..Assortment::default()
            },
            "pb",
            "shared",
        ),
        spec(
            "c",
            Assortment {
                exclude_categories: vec!["men".into()],
                ..Assortment::default()
            },
            "pa",
            "own",
        ),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    /// A change of `listing_index`'s model; prices go to list `pb` when `second` is set,
    /// stock to the pool `own` when it is.
    Op { op: Op, second: bool },
    /// A hold of `quantity` units of SKU `sku` in the shared pool (or `own`).
    Hold { sku: u8, quantity: i32, own: bool },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (op(), any::<bool>()).prop_map(|(op, second)| Step::Op { op, second }),
        1 => (0u8..24, 1i32..3, any::<bool>())
            .prop_map(|(sku, quantity, own)| Step::Hold { sku, quantity, own }),
    ]
}

/// Which storefronts' references take a change of each part.
fn takes(front: usize, step: &Step) -> bool {
    let uses_pb = front == 1;
    let uses_own = front == 2;
    match step {
        Step::Op { op, second } => match op {
            Op::Price { .. } | Op::DeletePrice(_) => *second == uses_pb,
            Op::Stock { .. } | Op::DeleteStock(_) => *second == uses_own,
            _ => true,
        },
        Step::Hold { own, .. } => *own == uses_own,
    }
}

/// The storefront a change enters through (one holding its part).
fn via(step: &Step) -> usize {
    match step {
        Step::Op { op, second } => match op {
            Op::Price { .. } | Op::DeletePrice(_) if *second => 1,
            // Writes to the shared pool enter through B: A must see them too.
            Op::Stock { .. } | Op::DeleteStock(_) => [1, 2][*second as usize],
            _ => 0,
        },
        Step::Hold { own, .. } => [1, 2][*own as usize],
    }
}

fn hold(sku: u8, quantity: i32, version: u64, on_hand: i32) -> Change {
    Change::Reservation(ReservationEvent::Decision(Decision {
        request: HoldRequest {
            id: format!("r{version}"),
            sku: format!("s{sku}"),
            quantity,
            ttl_ms: i64::MAX / 4,
            client: "c".into(),
            lines: 1,
        },
        on_hand,
        at_ms: version as i64,
        forget_before_ms: 0,
        max_active: 1000,
        partition: 0,
        offset: version as i64,
    }))
}

/// Applies `steps` to the storefronts and to each reference (a catalog of its own); a bulk
/// load covers the storefronts and the references alike.
fn run(fronts: &Storefronts, references: &[Catalog], steps: &[Step]) {
    let end_bulk = |catalog: &Catalog| {
        catalog.end_bulk();
        catalog.finish_listing_index();
    };
    let mut bulk_left = 0u8;
    for (version, step) in (1u64..).zip(steps) {
        let change = match step {
            Step::Op {
                op: Op::Bulk(n), ..
            } => {
                fronts.begin_bulk();
                references.iter().for_each(Catalog::begin_bulk);
                bulk_left = *n;
                continue;
            }
            Step::Op { op, .. } => to_change(op, version).unwrap(),
            Step::Hold { sku, quantity, .. } => {
                let writer = &fronts.iter().nth(via(step)).unwrap().catalog;
                let on_hand = writer
                    .inventory(&format!("s{sku}"))
                    .map_or(0, |i| i.available);
                hold(*sku, *quantity, version, on_hand)
            }
        };
        for (front, reference) in references.iter().enumerate() {
            if takes(front, step) {
                reference.apply(change.clone());
            }
        }
        fronts.apply(via(step), change);
        if bulk_left > 0 {
            bulk_left -= 1;
            if bulk_left == 0 {
                fronts.iter().for_each(|f| end_bulk(&f.catalog));
                references.iter().for_each(end_bulk);
            }
        }
    }
    fronts.iter().for_each(|f| end_bulk(&f.catalog));
    references.iter().for_each(end_bulk);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(128)))]

    #[test]
    fn storefronts_equal_catalogs_built_alone(steps in prop::collection::vec(step(), 0..100)) {
        let specs = specs();
        let fronts = Storefronts::build(&specs);
        let references: Vec<Catalog> = specs.iter().map(|_| Catalog::new()).collect();
        run(&fronts, &references, &steps);
        for ((front, reference), spec) in fronts.iter().zip(&references).zip(&specs) {
            let catalog = &front.catalog;
            let mut expected: Vec<String> = reference
                .all_products()
                .into_iter()
                .filter(|p| spec.assortment.selects(p))
                .map(|p| p.id.clone())
                .collect();
            expected.sort();
            let mut held: Vec<String> = catalog.all_products().iter().map(|p| p.id.clone()).collect();
            held.sort();
            prop_assert_eq!(&held, &expected, "{} sells what its assortment selects", spec.name);
            for id in &expected {
                let kept = catalog.product_entry(id).unwrap();
                let alone = reference.product_entry(id).unwrap();
                prop_assert_eq!(&kept.product, &alone.product);
                prop_assert_eq!(kept.summary, alone.summary, "{} {}", spec.name, id);
            }
            for sku in (0..24).map(|s| format!("s{s}")) {
                prop_assert_eq!(catalog.available(&sku), reference.available(&sku), "{} {}", spec.name, sku);
                prop_assert_eq!(catalog.price(&sku), reference.price(&sku));
            }
            let request = ListingRequest {
                filter: Default::default(),
                sort: SortKey::Id,
                reverse: false,
                after: None,
                first: 100,
            };
            let page = list_products(catalog, &request, |shown, _| Some(shown));
            let listed: Vec<&str> = page.items.iter().map(|i| i.product.id.as_str()).collect();
            prop_assert_eq!(listed, expected.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}

/// One hold through one storefront is gone from every storefront on that pool at once, never
/// from a storefront with a pool of its own.
#[test]
fn a_hold_through_one_storefront_moves_every_storefront_on_its_pool() {
    let fronts = Storefronts::build(&specs());
    let stock = |sku: &str, available| {
        Change::Inventory(vitrine::views::Inventory {
            sku: sku.into(),
            version: 1,
            available,
            reservations: vec![],
        })
    };
    fronts.apply(0, stock("s1", 3));
    fronts.apply(2, stock("s1", 3));
    fronts.apply(1, hold(1, 2, 2, 3));
    let available: Vec<i32> = fronts.iter().map(|f| f.catalog.available("s1")).collect();
    assert_eq!(available, [1, 1, 3]);
}
