//! Graceful shutdown of the real binary: SIGTERM with WebSocket and SSE subscribers open exits
//! 0 within `server.shutdown_timeout_ms` and leaves a snapshot that loads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use vitrine::ingest::Applier;
use vitrine::snapshot::{list_snapshots, load, HttpTimeouts, Source};
use vitrine::status::{IngestStats, Progress};
use vitrine::views::{Catalog, ViewKind};

use crate::broker::Broker;
use crate::common::live::{Protocol, WsClient};
use crate::common::{fresh_topics, wait_until};
use crate::process::{feed, Vitrine};
use crate::snapshots::temp_dir;

const SUB: &str = "subscription { priceChanged { sku price { amount } } }";

#[tokio::test]
async fn sigterm_with_subscribers_exits_within_the_bound_and_leaves_a_snapshot() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-shutdown");
    feed(&broker.address, &topics, 40);
    let dir = temp_dir("shutdown");
    let env = [
        ("VITRINE_SNAPSHOT__DIR", dir.to_str().unwrap()),
        ("VITRINE_SNAPSHOT__INTERVAL_SECS", "0"),
        ("VITRINE_SERVER__SHUTDOWN_TIMEOUT_MS", "5000"),
    ];
    let vitrine = Vitrine::start_with(&broker.address, &topics, &env);
    vitrine.client.wait_ready().await;
    let mut ws = WsClient::connect(&vitrine.client.base, Protocol::TransportWs).await;
    ws.subscribe("1", SUB).await;
    let sse = reqwest::Client::new()
        .post(format!("{}/graphql", vitrine.client.base))
        .header("accept", "text/event-stream")
        .json(&json!({"query": SUB}))
        .send()
        .await
        .unwrap();
    let client = vitrine.client.clone();
    wait_until("both subscriptions", Duration::from_secs(10), || {
        let client = client.clone();
        async move { (client.health().await["subscriptions"]["active"] == 2).then_some(()) }
    })
    .await;

    let started = Instant::now();
    let exit = tokio::task::spawn_blocking(move || vitrine.stop_within(Duration::from_secs(8)))
        .await
        .unwrap();
    assert!(exit.success(), "exit status {exit}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    let sse_body = sse.text().await.unwrap_or_default();
    assert!(
        sse_body.contains("complete"),
        "SSE ends with complete: {sse_body}"
    );
    drop(ws);

    let snapshots = list_snapshots(&dir);
    assert_eq!(snapshots.len(), 1, "the shutdown snapshot");
    let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
    let report = load(
        &Source::File(snapshots[0].clone()),
        &applier,
        &Progress::new(),
        &|_| Ok(()),
        HttpTimeouts::default(),
    )
    .unwrap();
    assert!(report.records > 0 && !report.header.offsets.is_empty());
    assert_eq!(applier.catalog().len(ViewKind::Products), 40);
    let _ = std::fs::remove_dir_all(dir);
}

/// Ctrl-C of the embedded demo while its trickle publishes: every client of the in-process
/// cluster is gone before the cluster, so nothing is logged as an error on the way out (the
/// trickle's producer used to outlive it: five librdkafka errors after "stopped").
#[tokio::test]
async fn the_demo_stops_on_ctrl_c_without_errors() {
    let topics = vitrine::config::Settings::defaults().topics;
    let vitrine = Vitrine::start_with(
        "",
        &topics,
        &[
            ("VITRINE_DEMO__PRODUCTS", "200"),
            ("VITRINE_DEMO__LIVE_INTERVAL_MS", "5"),
        ],
    );
    vitrine.client.wait_ready().await;
    tokio::time::sleep(Duration::from_secs(2)).await; // the trickle is publishing
    let (exit, logs) = vitrine.interrupt();
    assert!(exit.success(), "{exit}");
    assert!(logs.iter().any(|l| l.contains("\"stopped\"")), "{logs:#?}");
    let errors: Vec<&String> = logs
        .iter()
        .filter(|l| l.contains("\"level\":\"ERROR\""))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
