//! The Grafana dashboard (`deploy/grafana/vitrine.json`) queries only metrics the gateway
//! exports: every `vitrine_*` name in its expressions is a series of `/metrics` after one
//! request (histograms by their `_bucket`, `_sum` and `_count` series).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::spawn_app;

/// Every metric name an expression names.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("vitrine_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.push(name);
    }
    names
}

fn expressions(dashboard: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            out.push(target["expr"].as_str().expect("expr").to_string());
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .expect("variables")
    {
        if let Some(query) = variable["query"].as_str() {
            out.push(query.to_string());
        }
    }
    out
}

#[tokio::test]
async fn every_metric_the_dashboard_queries_is_exported() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/grafana/vitrine.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let queried: BTreeSet<String> = expressions(&dashboard)
        .iter()
        .flat_map(|e| metric_names(e))
        .collect();
    assert!(queried.len() >= 20, "the dashboard queries {queried:?}");

    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let r = app
        .client
        .query("{ product(id: \"p000001\") { id } }", json!({}))
        .await;
    assert_eq!(r["data"]["product"]["id"], "p000001", "{r}");
    let text = app.client.get("/metrics").await.text().await.unwrap();
    let exported: BTreeSet<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect();
    let missing: Vec<&String> = queried.iter().filter(|m| !exported.contains(*m)).collect();
    assert!(missing.is_empty(), "not in /metrics: {missing:?}");
    app.stop().await;
}
