//! Tracing: a W3C `traceparent` continues the caller's trace, its trace id is in the JSON log
//! lines of the request, and with an OTLP endpoint configured the spans (request, parse,
//! execute, checkout) reach a collector, here a stand-in receiving OTLP/HTTP JSON.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::broker::Broker;
use crate::common::{fresh_topics, wait_until};
use crate::process::{feed, Vitrine};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// An OTLP/HTTP receiver on a free port: the bodies it got.
async fn collector() -> (String, Arc<Mutex<Vec<String>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: String| {
            let kept = Arc::clone(&kept);
            async move {
                kept.lock().unwrap().push(body);
                axum::Json(json!({}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}/v1/traces"), got)
}

async fn traced_checkout(vitrine: &Vitrine) {
    let query = "{ checkout(country: \"US\", lines: [{sku: \"p000001-0\", quantity: 1}]) { total { amount } } }";
    let r: serde_json::Value = vitrine
        .client
        .http
        .post(format!("{}/graphql", vitrine.client.base))
        .header("traceparent", PARENT)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["data"]["checkout"]["total"]["amount"].is_string(), "{r}");
}

#[tokio::test]
async fn traceparent_reaches_logs_and_spans_reach_the_collector() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-trace");
    feed(&broker.address, &topics, 5);
    let (endpoint, got) = collector().await;
    let vitrine = Vitrine::start_with(
        &broker.address,
        &topics,
        &[
            ("VITRINE_TELEMETRY__OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("RUST_LOG", "info,tower_http=debug"),
        ],
    );
    vitrine.client.wait_ready().await;
    traced_checkout(&vitrine).await;
    let got = Arc::clone(&got);
    let spans = wait_until("spans of the trace", Duration::from_secs(20), || {
        let got = Arc::clone(&got);
        async move {
            let all = got.lock().unwrap().join("\n");
            let complete = all.contains(TRACE)
                && [
                    "\"request\"",
                    "\"graphql.parse\"",
                    "\"graphql.execute\"",
                    "\"checkout\"",
                ]
                .iter()
                .all(|name| all.contains(name));
            complete.then_some(all)
        }
    })
    .await;
    assert!(spans.contains("\"vitrine\""), "service.name: {spans}");
    let traced: Vec<String> = vitrine
        .logs()
        .into_iter()
        .filter(|l| l.contains(TRACE))
        .collect();
    assert!(
        !traced.is_empty(),
        "a log line of the request names the trace"
    );
    assert!(traced[0].contains("\"trace_id\""), "{}", traced[0]);
}

#[tokio::test]
async fn without_export_the_trace_id_still_reaches_the_logs() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-trace-logs");
    feed(&broker.address, &topics, 5);
    let vitrine = Vitrine::start_with(
        &broker.address,
        &topics,
        &[("RUST_LOG", "info,tower_http=debug")],
    );
    vitrine.client.wait_ready().await;
    traced_checkout(&vitrine).await;
    let v = &vitrine;
    wait_until(
        "a log line with the trace id",
        Duration::from_secs(10),
        || async move { v.logs().iter().any(|l| l.contains(TRACE)).then_some(()) },
    )
    .await;
}
