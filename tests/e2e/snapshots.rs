//! Snapshots on the real broker: restart from our own snapshot, bootstrap from an upstream
//! baseline with only `asOf` (over HTTP), fall back from a corrupt one; each ends with the same
//! views as a full replay of the topics.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use vitrine::config::TopicSettings;
use vitrine::demo::CatalogGenerator;
use vitrine::demo::Publisher;
use vitrine::events::Record;
use vitrine::events::TopicMap;
use vitrine::snapshot::{list_snapshots, write_baseline};
use vitrine::views::ViewKind;

use crate::broker::Broker;
use crate::common::{fresh_topics, scenario, wait_until, Client};
use crate::process::{feed, Vitrine};

const PRODUCTS: usize = 60;

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vitrine-{name}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    vitrine::clock::since_epoch().as_nanos()
}

/// Deltas after the baseline: price moves, a stock change, a tombstone, an FX move.
fn deltas(round: u64) -> Vec<Record> {
    let v = 1_000 + round;
    let rec = |kind, key: &str, value: Option<Value>| Record {
        kind,
        key: key.to_string(),
        payload: value.map(|v| serde_json::to_vec(&v).unwrap()),
    };
    vec![
        rec(
            ViewKind::Prices,
            "p000001-0",
            Some(
                json!({"sku": "p000001-0", "version": v, "currency": "USD", "list": 10_000 + round as i64}),
            ),
        ),
        rec(
            ViewKind::Inventory,
            "p000002-1",
            Some(json!({"sku": "p000002-1", "version": v, "available": round as i64})),
        ),
        rec(ViewKind::Products, &format!("p{:06}", 10 + round), None),
        rec(
            ViewKind::Prices,
            "p000003-0",
            Some(json!({"sku": "p000003-0", "version": 0, "currency": "USD", "list": 1})),
        ),
    ]
}

async fn publish(brokers: &str, topics: &TopicSettings, records: &[Record]) {
    let publisher = Publisher::connect(brokers, TopicMap::new(topics)).unwrap();
    scenario::publish(&publisher, records).await;
}

/// Every product page (in GB, so the intl view counts too) and the stock of every variant.
async fn views_of(client: &Client) -> Vec<Value> {
    let mut out = vec![];
    for i in 0..PRODUCTS {
        let q = "query($id: ID!) { product(id: $id, country: \"GB\") { id title variants { sku price { amount } compareAtPrice { amount } quantityAvailable } } }";
        let r = client.query(q, json!({"id": format!("p{i:06}")})).await;
        out.push(r["data"].clone());
    }
    out
}

/// A fresh instance that replays the topics from the beginning: the reference.
async fn full_replay(brokers: &str, topics: &TopicSettings) -> Vec<Value> {
    let reference = Vitrine::start(brokers, topics);
    reference.client.wait_ready().await;
    views_of(&reference.client).await
}

async fn wait_applied(client: &Client, view: &str, at_least: u64) {
    let c = client.clone();
    let view = view.to_string();
    wait_until("deltas applied", Duration::from_secs(20), || {
        let (c, view) = (c.clone(), view.clone());
        async move {
            let h = c.health().await;
            (h["views"][&view]["lagMessages"] == 0
                && h["views"][&view]["ingest"]["applied"].as_u64() >= Some(at_least))
            .then_some(())
        }
    })
    .await;
}

fn applied_total(health: &Value) -> u64 {
    ["products", "prices", "inventory", "intl"]
        .iter()
        .map(|v| {
            health["views"][v]["ingest"]["applied"].as_u64().unwrap()
                + health["views"][v]["ingest"]["deleted"].as_u64().unwrap()
        })
        .sum()
}

#[tokio::test]
async fn restart_resumes_from_its_own_snapshot_with_no_loss_or_duplicate() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-restart");
    feed(&broker.address, &topics, PRODUCTS);
    let dir = temp_dir("restart");
    let env = [
        ("VITRINE_SNAPSHOT__DIR", dir.to_str().unwrap()),
        ("VITRINE_SNAPSHOT__INTERVAL_SECS", "0"),
    ];

    let first = Vitrine::start_with(&broker.address, &topics, &env);
    first.client.wait_ready().await;
    publish(&broker.address, &topics, &deltas(1)).await;
    wait_applied(&first.client, "prices", 1).await;
    first.stop_gracefully();
    let snapshots = list_snapshots(&dir);
    assert_eq!(snapshots.len(), 1, "a clean shutdown leaves a snapshot");

    // While it is down, more deltas arrive.
    let while_down = deltas(2);
    publish(&broker.address, &topics, &while_down).await;

    let second = Vitrine::start_with(&broker.address, &topics, &env);
    second.client.wait_ready().await;
    let health = second.client.health().await;
    let snapshot = &health["snapshot"];
    assert_eq!(
        snapshot["source"],
        snapshots[0].to_str().unwrap(),
        "{health}"
    );
    // Only the snapshot and what came while down were applied: nothing replayed twice.
    let loaded = snapshot["records"].as_u64().unwrap();
    assert_eq!(
        applied_total(&health),
        loaded + while_down.len() as u64 - 1,
        "{health}"
    );
    assert_eq!(
        health["views"]["prices"]["ingest"]["stale"], 1,
        "only the version-0 price is stale"
    );
    assert_eq!(
        views_of(&second.client).await,
        full_replay(&broker.address, &topics).await
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_baseline_with_only_as_of_over_http_then_the_deltas_after_it() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-asof");
    feed(&broker.address, &topics, PRODUCTS);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let as_of = vitrine::clock::unix_ms();
    tokio::time::sleep(Duration::from_millis(50)).await;
    publish(&broker.address, &topics, &deltas(1)).await;

    // The same catalog, exported upstream as a baseline knowing only its time.
    let dir = temp_dir("asof");
    let path = dir.join("baseline.snap.zst");
    let mut records = vec![];
    CatalogGenerator::new(42, PRODUCTS).baseline(|r| {
        let value: Value = serde_json::from_slice(r.payload.as_ref().unwrap()).unwrap();
        records.push((r.kind, r.key, value));
    });
    let count = write_baseline(&path, as_of, records).unwrap();
    let url = crate::broker::serve_file(path.clone()).await;

    let vitrine = Vitrine::start_with(
        &broker.address,
        &topics,
        &[("VITRINE_SNAPSHOT__SOURCE", &url)],
    );
    vitrine.client.wait_ready().await;
    let health = vitrine.client.health().await;
    assert_eq!(health["snapshot"]["records"], count, "{health}");
    assert!(!health["snapshot"]["source"].as_str().unwrap().contains('?'));
    // From Kafka, only the deltas after `as_of` (3 applied or deleted, 1 stale).
    assert_eq!(applied_total(&health), count + 3, "{health}");
    assert_eq!(
        views_of(&vitrine.client).await,
        full_replay(&broker.address, &topics).await
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_corrupt_snapshot_falls_back_to_an_older_one_then_to_a_full_replay() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-corrupt");
    feed(&broker.address, &topics, PRODUCTS);
    let dir = temp_dir("corrupt");
    let env = [
        ("VITRINE_SNAPSHOT__DIR", dir.to_str().unwrap()),
        ("VITRINE_SNAPSHOT__INTERVAL_SECS", "0"),
    ];
    let first = Vitrine::start_with(&broker.address, &topics, &env);
    first.client.wait_ready().await;
    first.stop_gracefully();
    let good = list_snapshots(&dir).remove(0);
    publish(&broker.address, &topics, &deltas(1)).await;

    // A newer snapshot, cut short (as by a crash while copying it in).
    let bytes = std::fs::read(&good).unwrap();
    let newer = dir.join("vitrine-9999999999999.snap.zst");
    std::fs::write(&newer, &bytes[..bytes.len() / 3]).unwrap();
    let second = Vitrine::start_with(&broker.address, &topics, &env);
    second.client.wait_ready().await;
    let health = second.client.health().await;
    assert_eq!(
        health["snapshot"]["source"],
        good.to_str().unwrap(),
        "fell back to the older one: {health}"
    );
    let reference = full_replay(&broker.address, &topics).await;
    assert_eq!(views_of(&second.client).await, reference);
    drop(second);

    // Nothing usable at all: a full replay.
    for snapshot in list_snapshots(&dir) {
        std::fs::write(snapshot, b"garbage").unwrap();
    }
    let third = Vitrine::start_with(
        &broker.address,
        &topics,
        &[("VITRINE_SNAPSHOT__DIR", dir.to_str().unwrap())],
    );
    third.client.wait_ready().await;
    assert!(third.client.health().await["snapshot"].is_null());
    assert_eq!(views_of(&third.client).await, reference);
    let _ = std::fs::remove_dir_all(dir);
}
