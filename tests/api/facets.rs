//! Listing facets over HTTP on the demo catalog: the shape, counts that the selecting query's
//! `totalCount` confirms (each value's `input` merged into the filter), the market's currency,
//! and bad filter input.

use serde_json::{json, Value};

use std::time::Duration;

use crate::common::{error_code, wait_until};
use crate::helpers::spawn_app;

const FACETS: &str = "query($filter: ProductFilter) @inContext(country: GB) {
  products(first: 2, filter: $filter) {
    totalCount
    facets { id label type values { label count selected input }
             range { min { amount currencyCode } max { amount currencyCode } buckets { from to count } } } } }";

fn facet<'a>(r: &'a Value, id: &str) -> &'a Value {
    let facets = r["data"]["products"]["facets"].as_array().expect("facets");
    facets.iter().find(|f| f["id"] == id).expect(id)
}

fn total(r: &Value) -> i64 {
    r["data"]["products"]["totalCount"]
        .as_i64()
        .expect("totalCount")
}

/// `filter` with one facet value's input merged in (list fields add to what is there).
fn merged(filter: &Value, input: &Value) -> Value {
    let mut out = filter.clone();
    for (key, value) in input.as_object().unwrap() {
        match (out.get_mut(key), value) {
            (Some(Value::Array(held)), Value::Array(more)) => held.extend(more.iter().cloned()),
            _ => {
                out[key] = value.clone();
            }
        }
    }
    out
}

#[tokio::test]
async fn every_count_is_what_selecting_the_value_lists() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let base = json!({"category": "women"});
    let r = app.client.query(FACETS, json!({"filter": base})).await;
    assert!(r["errors"].is_null(), "{r}");
    let ids: Vec<&str> = r["data"]["products"]["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "brand",
            "category",
            "option.size",
            "option.color",
            "available",
            "price"
        ]
    );
    let all = total(&r);
    assert!(all > 0);
    // Every product has one brand and is in stock or not: those counts add up to the listing.
    for id in ["brand", "available"] {
        let sum: i64 = facet(&r, id)["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["count"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, all, "{id}");
    }
    let range = &facet(&r, "price")["range"];
    assert_eq!(range["min"]["currencyCode"], "GBP", "{range}");
    let bucketed: i64 = range["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert!(bucketed > 0 && bucketed <= all);
    // Selecting a value lists exactly its count, for each list facet.
    for id in [
        "brand",
        "category",
        "option.size",
        "option.color",
        "available",
    ] {
        let value = &facet(&r, id)["values"][0];
        assert_eq!(
            facet(&r, id)["type"],
            if id == "available" { "BOOLEAN" } else { "LIST" }
        );
        let narrowed = merged(&base, &value["input"]);
        let again = app.client.query(FACETS, json!({"filter": narrowed})).await;
        assert!(again["errors"].is_null(), "{again}");
        assert_eq!(
            total(&again),
            value["count"].as_i64().unwrap(),
            "{id}: {value}"
        );
        // Disjunctive: the selected value is marked (a category narrows instead: the facet
        // then lists the next level down).
        let selected = facet(&again, id)["values"].as_array().unwrap();
        let marked = selected
            .iter()
            .any(|v| v["selected"] == true && v["label"] == value["label"]);
        assert!(marked || id == "category", "{id}: {selected:?}");
        if id == "brand" {
            assert_eq!(
                selected.len(),
                facet(&r, id)["values"].as_array().unwrap().len()
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_filter_values_are_user_errors() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let r = app
        .client
        .query(
            FACETS,
            json!({"filter": {"options": [{"name": "fabric", "values": ["wool"]}]}}),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    let many: Vec<String> = (0..101).map(|i| format!("b{i}")).collect();
    let r = app
        .client
        .query(FACETS, json!({"filter": {"brands": many}}))
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    app.stop().await;
}

/// Facets are priced by the scope they count: a category's are allowed where the whole
/// catalog's go past `max_cost`.
#[tokio::test]
async fn facets_cost_their_scope_not_the_catalog() {
    let app = spawn_app("[demo]\nproducts = 3000\n[graphql]\nmax_cost = 250\n").await;
    app.client.wait_ready().await;
    // While the listing indexes are built after the demo's bulk load, scopes are priced as
    // the whole catalog (listings scan meanwhile): wait for them.
    let client = &app.client;
    let narrow = wait_until("a category's facets", Duration::from_secs(10), || async {
        let r = client
            .query(FACETS, json!({"filter": {"category": "women/bags"}}))
            .await;
        r["errors"].is_null().then_some(r)
    })
    .await;
    assert!(total(&narrow) > 0);
    let whole = app.client.query(FACETS, json!({})).await;
    assert_eq!(error_code(&whole), "MAX_COST_LIMIT", "{whole}");
    app.stop().await;
}
