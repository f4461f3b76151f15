//! Facets from the bitmap indexes against a brute-force reference: random catalogs (sizes and
//! colours in two spellings, bulk loads included), random selections of every facet, both
//! stock rules for options, base and foreign markets; and the counts after further changes.

use proptest::prelude::*;
use vitrine::pricing::landed::Market;
use vitrine::views::facets::{reference, FacetShape, Facets};
use vitrine::views::listing::{ListingFilter, ListingRequest, SortKey};
use vitrine::views::listing_filter::{OptionFilter, OptionName};
use vitrine::views::{Catalog, Product};

use super::listing_index::{apply, gb, op};

#[derive(Debug, Clone)]
struct Ask {
    category: Option<&'static str>,
    brand: Option<&'static str>,
    brands: Vec<&'static str>,
    sizes: Vec<&'static str>,
    colors: Vec<&'static str>,
    options_in_stock: bool,
    in_stock: Option<bool>,
    min: Option<i64>,
    max: Option<i64>,
    query: Option<&'static str>,
    gb: bool,
    shape: (usize, usize),
}

fn ask() -> impl Strategy<Value = Ask> {
    fn sometimes<T: Clone + std::fmt::Debug + 'static>(
        v: Vec<T>,
    ) -> impl Strategy<Value = Option<T>> {
        prop::option::weighted(0.25, prop::sample::select(v))
    }
    fn some_of(v: Vec<&'static str>) -> impl Strategy<Value = Vec<&'static str>> {
        prop::collection::vec(prop::sample::select(v), 0..3)
    }
    let price = || prop::option::weighted(0.2, 0i64..3000);
    (
        (
            sometimes(vec![
                "women",
                "women/",
                "women/knitwear",
                "men",
                "a",
                "",
                "nope",
            ]),
            sometimes(vec!["loro", "acne", "x"]),
            some_of(vec!["Loro", "acne", "Max Mara", "Émile", "none"]),
            some_of(vec!["s", "M", "XL", "xs"]),
            some_of(vec!["black", "Camel", "red"]),
            any::<bool>(),
        ),
        (
            prop::option::weighted(0.3, any::<bool>()),
            price(),
            price(),
            sometimes(vec!["cash", "crème", "boot", ""]),
            any::<bool>(),
            (1usize..4, 1usize..6),
        ),
    )
        .prop_map(
            |(
                (category, brand, brands, sizes, colors, options_in_stock),
                (in_stock, min, max, query, gb, shape),
            )| Ask {
                category,
                brand,
                brands,
                sizes,
                colors,
                options_in_stock,
                in_stock,
                min,
                max,
                query,
                gb,
                shape,
            },
        )
}

fn request(ask: &Ask) -> ListingRequest {
    let mut options = Vec::new();
    for (name, values) in [
        (OptionName::Size, &ask.sizes),
        (OptionName::Color, &ask.colors),
    ] {
        if !values.is_empty() {
            let values = values.iter().map(|v| v.to_string()).collect();
            options.push(OptionFilter { name, values });
        }
    }
    ListingRequest {
        filter: ListingFilter {
            category: ask.category.map(str::to_string),
            brand: ask.brand.map(str::to_string),
            brands: ask.brands.iter().map(|b| b.to_string()).collect(),
            options,
            options_in_stock: ask.options_in_stock,
            in_stock: ask.in_stock,
            min_price_minor: ask.min,
            max_price_minor: ask.max,
            query: ask.query.map(str::to_lowercase),
        },
        sort: SortKey::Id,
        reverse: false,
        after: None,
        first: 5,
    }
}

/// Labels as facets group them (one value per spelling ignoring case; which spelling is shown
/// depends on which product was seen first).
fn normalized(mut facets: Facets) -> Facets {
    let lists = std::iter::once(&mut facets.brand)
        .chain(std::iter::once(&mut facets.category))
        .chain(facets.options.iter_mut().map(|(_, v)| v));
    for list in lists {
        for v in list.iter_mut() {
            v.label = v.label.to_lowercase();
            v.value = v.value.to_lowercase();
        }
    }
    facets
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)))]

    #[test]
    fn facets_from_bitmaps_equal_a_brute_force_count(
        ops in prop::collection::vec(op(), 0..80),
        more in prop::collection::vec(op(), 0..12),
        asks in prop::collection::vec(ask(), 1..5),
    ) {
        let catalog = Catalog::new();
        let mut version = 0;
        apply(&catalog, &ops, &mut version);
        let gb = gb();
        for round in 0..2 {
            for ask in &asks {
                let market = if ask.gb { gb.clone() } else { Market::Base };
                let show = |base, product: &Product| market.shown_minor(base, "USD", product);
                let shape = FacetShape { max_values: ask.shape.0, buckets: ask.shape.1 };
                let request = request(ask);
                let (indexed, scope) = catalog.facets(&request, show, shape);
                prop_assert!(scope.is_some(), "the indexes are ready");
                let expected = reference(&catalog, &request, show, shape);
                prop_assert_eq!(normalized(indexed), normalized(expected), "{:?}", request);
            }
            // The counts follow further changes.
            if round == 0 {
                apply(&catalog, &more, &mut version);
            }
        }
    }
}
