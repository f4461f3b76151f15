//! The GraphQL API over the demo catalog: PDP and listing shapes, pagination, errors, GET, GraphiQL.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::common::error_code;
use crate::helpers::spawn_app;

const LISTING: &str = "query($first: Int, $after: String, $sort: ProductSortKeys, $reverse: Boolean, $filter: ProductFilter) {
  products(first: $first, after: $after, sortKey: $sort, reverse: $reverse, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id title availableForSale priceRange { minVariantPrice { amount } } } } } }";

fn amount(edge: &Value) -> f64 {
    edge["node"]["priceRange"]["minVariantPrice"]["amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn product_page_has_the_storefront_shape() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let r = app
        .client
        .query(
            "{ product(id: \"p000001\") { id title brand description categories images hsCode publishedAt
                availableForSale priceRange { minVariantPrice { amount currencyCode } }
                variants { id sku title size color price { amount currencyCode } compareAtPrice { amount }
                           quantityAvailable availableForSale } } }",
            json!({}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let p = &r["data"]["product"];
    assert_eq!(p["id"], "p000001");
    assert!(!p["images"].as_array().unwrap().is_empty());
    assert!(p["publishedAt"].as_str().unwrap().starts_with("2026-"));
    let variants = p["variants"].as_array().unwrap();
    assert!((3..=7).contains(&variants.len()));
    for v in variants {
        let price = v["price"]["amount"].as_str().unwrap();
        assert!(price.ends_with(".00") || price.split('.').nth(1).unwrap().len() == 2);
        assert_eq!(v["price"]["currencyCode"], "USD");
        let for_sale = v["quantityAvailable"].as_i64().unwrap() > 0;
        assert_eq!(v["availableForSale"], for_sale);
    }
    let missing = app
        .client
        .query("{ product(id: \"nope\") { id } }", json!({}))
        .await;
    assert_eq!(missing["data"], json!({"product": null}));
    // Freshness: the largest lag in a header on every answer, the breakdown when asked for.
    let post = |extensions: Value| {
        let body = json!({"query": "{ product(id: \"nope\") { id } }", "extensions": extensions});
        app.client
            .http
            .post(format!("{}/graphql", app.client.base))
            .json(&body)
            .send()
    };
    let compact = post(json!({})).await.unwrap();
    assert_eq!(compact.headers()["vitrine-max-lag-ms"], "0", "caught up");
    let compact: Value = compact.json().await.unwrap();
    // The demo serves two banners: every answer says which one (and the country) it is in.
    let context = json!({"context": {"banner": "main", "country": "US"}});
    assert_eq!(compact["extensions"], context, "{compact}");
    let full: Value = post(json!({"freshness": true}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let freshness = &full["extensions"]["freshness"];
    assert_eq!(freshness["maxLagMs"], 0, "caught up: {full}");
    assert!(freshness["views"]["prices"]["highWatermark"].is_i64());
    app.stop().await;
}

#[tokio::test]
async fn listing_pages_through_everything_once_in_order() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    for reverse in [false, true] {
        let mut after = Value::Null;
        let mut seen = Vec::new();
        let mut total = None;
        loop {
            let vars = json!({"first": 7, "after": after, "sort": "PRICE", "reverse": reverse});
            let r = app.client.query(LISTING, vars).await;
            let conn = &r["data"]["products"];
            assert!(r["errors"].is_null(), "{r}");
            total.get_or_insert(conn["totalCount"].as_u64().unwrap());
            assert_eq!(conn["pageInfo"]["hasPreviousPage"], !after.is_null());
            for edge in conn["edges"].as_array().unwrap() {
                seen.push((
                    amount(edge),
                    edge["node"]["id"].as_str().unwrap().to_string(),
                ));
            }
            if conn["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = conn["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen.len() as u64, total.unwrap());
        assert_eq!(seen.len(), 60, "every demo product is priced");
        let ids: HashSet<_> = seen.iter().map(|(_, id)| id.clone()).collect();
        assert_eq!(ids.len(), seen.len(), "no product twice");
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        if reverse {
            sorted.reverse();
        }
        assert_eq!(seen, sorted);
    }
    app.stop().await;
}

#[tokio::test]
async fn filters_apply_to_the_lowest_variant_price() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let vars = json!({"first": 100, "filter": {"minPrice": "300", "maxPrice": "1200.50", "inStock": true}});
    let r = app.client.query(LISTING, vars).await;
    let edges = r["data"]["products"]["edges"].as_array().unwrap();
    assert!(!edges.is_empty(), "{r}");
    for e in edges {
        assert!((300.0..=1200.5).contains(&amount(e)), "{e}");
        assert_eq!(e["node"]["availableForSale"], true);
    }
    let all = app.client.query(LISTING, json!({"first": 100})).await;
    assert!(
        all["data"]["products"]["totalCount"].as_u64()
            > r["data"]["products"]["totalCount"].as_u64()
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_arguments_get_stable_codes() {
    let app = spawn_app("").await;
    let c = &app.client;
    let r = c.query(LISTING, json!({"first": 101})).await;
    assert_eq!(error_code(&r), "FIRST_OUT_OF_RANGE");
    let r = c.query(LISTING, json!({"first": -1})).await;
    assert_eq!(error_code(&r), "FIRST_OUT_OF_RANGE");
    let r = c.query(LISTING, json!({"after": "garbage"})).await;
    assert_eq!(error_code(&r), "INVALID_CURSOR");
    let page = c.query(LISTING, json!({"first": 1, "sort": "TITLE"})).await;
    let cursor = page["data"]["products"]["pageInfo"]["endCursor"].clone();
    let r = c
        .query(LISTING, json!({"after": cursor, "sort": "PRICE"}))
        .await;
    assert_eq!(
        error_code(&r),
        "INVALID_CURSOR",
        "a cursor of another sort order"
    );
    let r = c
        .query(LISTING, json!({"filter": {"minPrice": "1.234"}}))
        .await;
    assert_eq!(error_code(&r), "INVALID_AMOUNT");
    app.stop().await;
}

#[tokio::test]
async fn get_requests_graphiql_and_health() {
    let app = spawn_app("").await;
    let c = &app.client;
    let r: Value = c
        .get("/graphql?query=%7Bproduct(id%3A%22p000002%22)%7Bid%7D%7D")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["data"]["product"]["id"], "p000002");
    let html = c.get("/").await.text().await.unwrap();
    assert!(html.contains("graphiql"), "GraphiQL page");
    let browser = c
        .http
        .get(format!("{}/graphql", c.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(browser.text().await.unwrap().contains("graphiql"));
    assert_eq!(c.get("/health/live").await.status(), 200);
    c.wait_ready().await;
    let health = c.health().await;
    assert_eq!(health["status"], "ready");
    assert_eq!(health["views"]["products"]["records"], 60);
    assert_eq!(health["views"]["prices"]["lagMessages"], 0);
    let status = c
        .query(
            "{ viewStatus { ready views { view records lagMessages lagMs applied } } }",
            json!({}),
        )
        .await;
    let views = status["data"]["viewStatus"]["views"].as_array().unwrap();
    assert_eq!(status["data"]["viewStatus"]["ready"], true, "{status}");
    assert_eq!(views[0]["view"], "products");
    assert_eq!(views[0]["records"], 60);
    assert_eq!(
        views[0]["applied"], "60",
        "the demo baseline went through the applier"
    );
    // The recorder is process-wide and other tests' apps share it: check names, not values.
    let metrics = c.get("/metrics").await.text().await.unwrap();
    for line in [
        "vitrine_ingest_events_total{view=\"products\",outcome=\"applied\"}",
        "vitrine_view_records{view=\"products\"}",
        "vitrine_view_lag_seconds{view=\"prices\"}",
        "vitrine_bootstrap_seconds",
        "vitrine_subscriptions_active",
        "vitrine_broker_reachable",
        "vitrine_snapshots_rejected_total",
        "vitrine_graphql_requests_total{operation=\"product\",outcome=\"ok\"}",
        "vitrine_graphql_request_duration_seconds_bucket{operation=\"viewStatus\"",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    app.stop().await;
}

/// On a real Kafka every replica must sign quotes with the same key: without one, start-up
/// stops and says so (the embedded demo keeps a random key).
#[tokio::test]
async fn a_real_kafka_needs_a_quote_secret() {
    let settings = vitrine::config::Settings::defaults()
        .with_overrides("[server]\nlisten = \"127.0.0.1:0\"\n[kafka]\nbrokers = \"127.0.0.1:1\"\n")
        .unwrap();
    let refused = vitrine::app::App::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(
        refused.to_string().contains("checkout.quote_secret"),
        "{refused}"
    );
}

/// The value of the metric line starting with `series` (0 when absent).
fn metric(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Request counters count each request under its operation and outcome (their handles are
/// looked up once and every series is listed from the start, so a name check alone proves
/// nothing). Other tests share the recorder: counts only grow, by at least what this one sent.
#[tokio::test]
async fn request_counters_count_by_operation_and_outcome() {
    let app = spawn_app("").await;
    let c = &app.client;
    c.wait_ready().await;
    let ok = "vitrine_graphql_requests_total{operation=\"product\",outcome=\"ok\"}";
    let failed = "vitrine_graphql_requests_total{operation=\"products\",outcome=\"error\"}";
    let before = c.get("/metrics").await.text().await.unwrap();
    for _ in 0..3 {
        let r = c
            .query("{ product(id: \"p000001\") { id } }", json!({}))
            .await;
        assert_eq!(r["data"]["product"]["id"], "p000001", "{r}");
    }
    let r = c
        .query("{ products(first: -1) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&r), "FIRST_OUT_OF_RANGE");
    let after = c.get("/metrics").await.text().await.unwrap();
    assert!(metric(&after, ok) >= metric(&before, ok) + 3.0, "{after}");
    assert!(
        metric(&after, failed) >= metric(&before, failed) + 1.0,
        "{after}"
    );
    app.stop().await;
}
