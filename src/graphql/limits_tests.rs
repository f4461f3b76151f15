//! The limits on documents the test writes: each one refused past its bound, allowed under it.

use super::*;
use async_graphql::parser::parse_query;

fn limits() -> Limits {
    Limits {
        max_tokens: 200,
        max_nesting: 8,
        max_aliases: 3,
        max_root_fields: 4,
        max_directives: 2,
        max_cost: 1_000,
        default_page_size: 20,
        max_page_size: 100,
    }
}

fn check(query: &str, products: usize) -> Result<(), LimitExceeded> {
    check_with(query, serde_json::json!({}), products)
}

fn check_with(
    query: &str,
    variables: serde_json::Value,
    products: usize,
) -> Result<(), LimitExceeded> {
    let limits = limits();
    limits.check_text(query)?;
    let document = parse_query(query).unwrap();
    limits.check_document(&document, None, &Variables::from_json(variables), &products)
}

fn refused_by(query: &str, products: usize) -> Option<Limit> {
    check(query, products).err().map(|e| e.limit)
}

#[test]
fn text_limits_come_before_parsing() {
    let many = format!("{{ {} }}", "a ".repeat(300));
    assert_eq!(refused_by(&many, 0), Some(Limit::Tokens));
    let deep = format!("{}{}", "{a".repeat(9), "}".repeat(9));
    assert_eq!(refused_by(&deep, 0), Some(Limit::Nesting));
}

#[test]
fn aliases_root_fields_and_directives() {
    assert_eq!(check("{ a: x b: x c: x }", 0), Ok(()));
    assert_eq!(
        refused_by("{ a: x b: x c: x d: x }", 0),
        Some(Limit::Aliases)
    );
    assert_eq!(refused_by("{ x y z w v }", 0), Some(Limit::RootFields));
    assert_eq!(
        refused_by("{ ...F v } fragment F on Q { x y z w }", 0),
        Some(Limit::RootFields),
        "fields through fragments count"
    );
    assert_eq!(
        refused_by(
            "{ x @skip(if: false) y @skip(if: false) z @include(if: true) }",
            0
        ),
        Some(Limit::Directives)
    );
}

#[test]
fn a_listing_costs_its_walk_and_its_page() {
    // From the indexes: a category, a brand or nothing costs the page, at any catalog size.
    for cheap in [
        "{ products(first: 0) { totalCount } }",
        "{ products(first: 5, filter: {category: \"women\"}) { totalCount } }",
        "{ products(filter: {brand: \"Loro\", minPrice: null}) { totalCount } }",
    ] {
        assert_eq!(check(cheap, 1_000_000), Ok(()), "{cheap}");
    }
    // Text, price, stock, or category and brand together may walk the catalog: 10,000
    // products cost 1,000 units, over the limit with the page.
    let listing = "{ products(first: 0, filter: {query: \"x\"}) { totalCount } }";
    assert_eq!(check(listing, 1_000), Ok(()));
    assert_eq!(refused_by(listing, 10_000), Some(Limit::Cost));
    for filter in [
        "{minPrice: \"1\"}",
        "{inStock: true}",
        "{category: \"w\", brand: \"b\"}",
    ] {
        let q = format!("{{ products(first: 0, filter: {filter}) {{ totalCount }} }}");
        assert_eq!(refused_by(&q, 10_000), Some(Limit::Cost), "{q}");
    }
    let by_variable = "query($f: ProductFilter) { products(first: 0, filter: $f) { totalCount } }";
    let vars = serde_json::json!({"f": {"query": "x"}});
    assert!(check_with(by_variable, vars, 10_000).is_err());
    let vars = serde_json::json!({"f": {"category": "x"}});
    assert_eq!(check_with(by_variable, vars, 10_000), Ok(()));
    // A filter left to the variable's default is costed as the default: 20 aliases sent with
    // `{}` were priced as unfiltered pages and executed as 20 scans of the catalog.
    let by_default = format!(
        "query($f: ProductFilter = {{inStock: true, minPrice: \"0.01\"}}) {{ {} }}",
        (0..3)
            .map(|i| format!("a{i}: products(first: 1, filter: $f) {{ totalCount }}"))
            .collect::<String>()
    );
    assert_eq!(
        check_with(&by_default, serde_json::json!({}), 10_000).map_err(|e| e.limit),
        Err(Limit::Cost)
    );
    let sent = serde_json::json!({"f": {"category": "x"}});
    assert_eq!(check_with(&by_default, sent, 10_000), Ok(()), "sent wins");
    let null = serde_json::json!({"f": null});
    assert_eq!(
        check_with(&by_default, null, 10_000),
        Ok(()),
        "null stays null"
    );
    let two = "{ a: products(first: 0, filter: {query: \"x\"}) { totalCount } b: products(first: 0, filter: {query: \"y\"}) { totalCount } }";
    assert_eq!(check(two, 4_000), Ok(()));
    assert_eq!(
        refused_by(two, 5_000),
        Some(Limit::Cost),
        "each alias scans again"
    );
    // The page counts: 100 items of 11 fields is over 1,000 on its own.
    let wide = "{ products(first: 100) { edges { node { id title brand images } } } }";
    assert_eq!(check(wide, 0), Ok(()));
    let wider = "{ products(first: 100) { edges { cursor node { id title brand images hsCode description publishedAt categories availableForSale } } } }";
    assert_eq!(refused_by(wider, 0), Some(Limit::Cost));
    let by_variable = "query($n: Int) { products(first: $n) { edges { cursor node { id title brand images hsCode description publishedAt categories availableForSale } } } }";
    assert_eq!(
        check_with(by_variable, serde_json::json!({"n": 5}), 0),
        Ok(())
    );
    assert!(check_with(by_variable, serde_json::json!({"n": 100}), 0).is_err());
}

#[test]
fn fragments_are_costed_once_however_often_spread() {
    // Each level doubles the spreads: expanding them would take 2^30 steps.
    let mut query = String::from("{ ...F0 }");
    for i in 0..30 {
        query.push_str(&format!(
            " fragment F{i} on Q {{ a: x ...F{} ...F{} }}",
            i + 1,
            i + 1
        ));
    }
    query.push_str(" fragment F30 on Q { x }");
    let mut limits = limits();
    limits.max_tokens = 10_000;
    limits.max_aliases = 100;
    limits.max_root_fields = 100;
    let document = parse_query(&query).unwrap();
    let result = limits.check_document(&document, None, &Variables::default(), &0);
    assert_eq!(result.map_err(|e| e.limit), Err(Limit::Cost));
}

/// Facets are priced once per listing, not per item, and like a walk of the scope.
#[test]
fn facets_cost_a_scan_of_the_scope_once() {
    let plain = "{ products(first: 50) { totalCount } }";
    let faceted = "{ products(first: 50) { totalCount facets { id } } }";
    let cost = |query: &str, products: usize| {
        let document = parse_query(query).unwrap();
        let mut limits = limits();
        limits.max_page_size = 50;
        limits.max_cost = 1_000;
        limits.check_document(&document, None, &Variables::default(), &products)
    };
    assert_eq!(cost(plain, 5_000), Ok(()));
    assert_eq!(cost(faceted, 5_000), Ok(()), "500 scan units + 50 + 2");
    assert_eq!(cost(faceted, 10_000).map_err(|e| e.limit), Err(Limit::Cost));
    assert_eq!(cost(plain, 10_000), Ok(()), "facets are what costs");
}

/// Walks and facets are priced by the scope the listing names (a category of 2,000 in a
/// catalog of 200,000), by literal or variable.
#[test]
fn walks_and_facets_are_priced_by_their_scope() {
    struct Sizes;
    impl ScopeSizes for Sizes {
        fn scope(&self, category: Option<&str>, brand: Option<&str>) -> usize {
            match (category, brand) {
                (Some("women/bags"), None) => 2_000,
                (Some("women/bags"), Some("loro")) => 300,
                (Some(_), _) => 0,
                (None, _) => 200_000,
            }
        }
    }
    let cost = |query: &str, variables: serde_json::Value| {
        let document = parse_query(query).unwrap();
        let mut limits = limits();
        limits.max_cost = 1_000;
        limits.max_aliases = 10;
        let variables = Variables::from_json(variables);
        limits
            .check_document(&document, None, &variables, &Sizes)
            .map_err(|e| e.limit)
    };
    let none = serde_json::json!({});
    let bags = "{ products(first: 5, filter: {category: \"women/bags\"}) { facets { id } } }";
    assert_eq!(cost(bags, none.clone()), Ok(()), "200 units of scope");
    let all = "{ products(first: 5) { facets { id } } }";
    assert_eq!(cost(all, none.clone()), Err(Limit::Cost), "20,000 units");
    let by_variable = "query($c: String) { products(first: 5, filter: {category: $c, query: \"x\"}) { totalCount } }";
    assert_eq!(
        cost(by_variable, serde_json::json!({"c": "women/bags"})),
        Ok(())
    );
    assert_eq!(
        cost(by_variable, none),
        Err(Limit::Cost),
        "no category: the catalog"
    );
    let filter = "query($f: ProductFilter) { products(first: 5, filter: $f) { facets { id } } }";
    let f = serde_json::json!({"f": {"category": "women/bags", "brand": "loro"}});
    assert_eq!(cost(filter, f), Ok(()));
}
