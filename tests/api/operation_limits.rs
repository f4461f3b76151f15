//! Hostile requests are refused before any resolver runs, with stable codes.

use serde_json::json;

use crate::common::error_code;
use crate::helpers::spawn_app;

const DEEP: &str = "{ products(first: 1) { edges { node { variants { price { amount } } } } } }";

#[tokio::test]
async fn depth_limit_rejects_before_execution() {
    let app = spawn_app("[graphql]\nmax_depth = 4").await;
    let r = app.client.query(DEEP, json!({})).await;
    assert_eq!(error_code(&r), "MAX_DEPTH_LIMIT", "{r}");
    // `first: 1000` would fail in the resolver; only the limit error shows, so nothing ran.
    let r = app
        .client
        .query(
            "{ products(first: 1000) { edges { node { variants { sku } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r["errors"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(error_code(&r), "MAX_DEPTH_LIMIT");
    assert!(r["data"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn complexity_counts_requested_items() {
    let app = spawn_app("[graphql]\nmax_complexity = 200").await;
    let small = app
        .client
        .query(
            "{ products(first: 10) { edges { node { id title } } } }",
            json!({}),
        )
        .await;
    assert!(small["errors"].is_null(), "{small}");
    let big = app
        .client
        .query(
            "{ products(first: 100) { edges { node { id title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&big), "MAX_COMPLEXITY_LIMIT", "{big}");
    app.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413_with_a_code() {
    let app = spawn_app("[server]\nmax_body_bytes = 1024").await;
    let padding = " ".repeat(2000);
    let response = app
        .client
        .http
        .post(format!("{}/graphql", app.client.base))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"query\":\"{{ product(id: \\\"p000001\\\") {{ id }} }}{padding}\"}}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "PAYLOAD_TOO_LARGE");
    app.stop().await;
}

#[tokio::test]
async fn malformed_and_invalid_queries_are_coded() {
    let app = spawn_app("").await;
    let r = app.client.query("{ product(id: ", json!({})).await;
    assert_eq!(error_code(&r), "GRAPHQL_PARSE_FAILED");
    let r = app
        .client
        .query("{ product(id: \"x\") { nope } }", json!({}))
        .await;
    assert_eq!(error_code(&r), "GRAPHQL_VALIDATION_FAILED");
    let response = app
        .client
        .http
        .post(format!("{}/graphql", app.client.base))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_REQUEST");
    app.stop().await;
}

#[tokio::test]
async fn introspection_and_graphiql_can_be_switched_off() {
    let open = spawn_app("").await;
    let r = open
        .client
        .query("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(r["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    open.stop().await;

    let closed = spawn_app("[graphql]\nintrospection = false\n[server]\ngraphiql = false").await;
    let r = closed
        .client
        .query("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(r["data"]["__schema"].is_null(), "{r}");
    assert_eq!(closed.client.get("/").await.status(), 404);
    closed.stop().await;
}
