//! Reservations on the real broker with two replicas: 1,000 concurrent `reserve` calls split
//! between them for a SKU with 100 units hold exactly 100, both replicas decide every
//! reservation alike, and a replica killed (-9) and restarted decides them alike again.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use vitrine::demo::Publisher;
use vitrine::events::{Record, TopicMap};
use vitrine::views::ViewKind;

use crate::broker::Broker;
use crate::common::{fresh_topics, scenario, wait_until, Client};
use crate::process::{feed, Vitrine};
use crate::snapshots::temp_dir;

const SKU: &str = "p000001-0";
const RESERVE: &str = "mutation($key: String!, $sku: ID!) {
    reserve(lines: [{sku: $sku, quantity: 1}], idempotencyKey: $key) {
      id token status lines { sku requested held } } }";
const STOCK: &str = "{ product(id: \"p000001\") { variants { sku quantityAvailable } } }";

/// Reserves one unit under `key`, retrying while the outcome is unknown (as clients must).
async fn reserve(client: &Client, key: &str) -> Value {
    loop {
        let r = client.query(RESERVE, json!({"key": key, "sku": SKU})).await;
        if r["data"]["reserve"].is_object() {
            return r["data"]["reserve"].clone();
        }
        let code = r["errors"][0]["extensions"]["code"].as_str().unwrap_or("");
        assert_eq!(code, "RESERVATION_TIMEOUT", "{key}: {r}");
    }
}

async fn available(client: &Client) -> i64 {
    let r = client.query(STOCK, json!({})).await;
    r["data"]["product"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sku"] == SKU)
        .unwrap()["quantityAvailable"]
        .as_i64()
        .unwrap()
}

/// Every key's reservation as `client` reads it back.
async fn decisions(client: &Client, keys: &[String]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for key in keys {
        out.insert(key.clone(), reserve(client, key).await);
    }
    out
}

#[tokio::test]
async fn two_replicas_hold_exactly_the_stock_and_agree() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-reserve");
    feed(&broker.address, &topics, 5);
    let publisher = Publisher::connect(&broker.address, TopicMap::new(&topics)).unwrap();
    let stock = Record {
        kind: ViewKind::Inventory,
        key: SKU.into(),
        payload: Some(
            json!({"sku": SKU, "version": 1000, "available": 100})
                .to_string()
                .into_bytes(),
        ),
    };
    scenario::publish(&publisher, &[stock]).await;

    let dirs = [temp_dir("reserve-a"), temp_dir("reserve-b")];
    let env = |dir: &std::path::Path| {
        vec![
            ("VITRINE_SNAPSHOT__DIR", dir.to_str().unwrap().to_string()),
            ("VITRINE_SNAPSHOT__INTERVAL_SECS", "1".to_string()),
            ("VITRINE_RESERVATIONS__MAX_PER_CLIENT", "100000".to_string()),
        ]
    };
    let start = |dir: &std::path::Path| {
        let env = env(dir);
        let borrowed: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Vitrine::start_with(&broker.address, &topics, &borrowed)
    };
    let a = start(&dirs[0]);
    let mut b = start(&dirs[1]);
    a.client.wait_ready().await;
    b.client.wait_ready().await;
    let (ca, cb) = (a.client.clone(), b.client.clone());
    wait_until("the stock on both", Duration::from_secs(20), || {
        let (ca, cb) = (ca.clone(), cb.clone());
        async move { (available(&ca).await == 100 && available(&cb).await == 100).then_some(()) }
    })
    .await;

    // 1,000 shoppers at once, half on each replica.
    let keys: Vec<String> = (0..1000).map(|i| format!("shopper-{i}")).collect();
    let mut calls = tokio::task::JoinSet::new();
    for (i, key) in keys.iter().enumerate() {
        let client = if i % 2 == 0 {
            a.client.clone()
        } else {
            b.client.clone()
        };
        let key = key.clone();
        calls.spawn(async move { (key.clone(), reserve(&client, &key).await) });
    }
    let mut answers = BTreeMap::new();
    while let Some(done) = calls.join_next().await {
        let (key, r) = done.unwrap();
        answers.insert(key, r);
    }
    let held: i64 = answers
        .values()
        .map(|r| r["lines"][0]["held"].as_i64().unwrap())
        .sum();
    assert_eq!(held, 100, "exactly the stock is held");
    let statuses =
        |m: &BTreeMap<String, Value>, s: &str| m.values().filter(|r| r["status"] == s).count();
    assert_eq!(statuses(&answers, "HELD"), 100);
    assert_eq!(statuses(&answers, "REJECTED"), 900);
    assert_eq!(available(&a.client).await, 0);
    assert_eq!(available(&b.client).await, 0);

    // Both replicas decided every reservation alike (read back with the same keys).
    assert_eq!(decisions(&a.client, &keys).await, answers, "replica A");
    assert_eq!(decisions(&b.client, &keys).await, answers, "replica B");

    // B dies without a word and comes back from its snapshot plus the log: the same decisions.
    let b_dir = dirs[1].clone();
    wait_until("a snapshot of B", Duration::from_secs(20), || {
        let d = b_dir.clone();
        async move { (!vitrine::snapshot::list_snapshots(&d).is_empty()).then_some(()) }
    })
    .await;
    drop(b);
    b = start(&dirs[1]);
    b.client.wait_ready().await;
    assert_eq!(available(&b.client).await, 0);
    assert_eq!(
        decisions(&b.client, &keys).await,
        answers,
        "replica B after kill -9"
    );

    // Ten shoppers let go: their units are free again, on both replicas.
    let held: Vec<&Value> = answers.values().filter(|r| r["status"] == "HELD").collect();
    let held_ids: Vec<Value> = held.iter().map(|r| r["id"].clone()).collect();
    for r in &held[..10] {
        let r = a
            .client
            .query(
                "mutation($id: ID!, $t: String!) { releaseReservation(id: $id, token: $t) { status } }",
                json!({"id": r["id"], "t": r["token"]}),
            )
            .await;
        assert_eq!(r["data"]["releaseReservation"]["status"], "RELEASED", "{r}");
    }
    let (ca, cb) = (a.client.clone(), b.client.clone());
    wait_until("released units on both", Duration::from_secs(20), || {
        let (ca, cb) = (ca.clone(), cb.clone());
        async move { (available(&ca).await == 10 && available(&cb).await == 10).then_some(()) }
    })
    .await;

    // The warehouse takes one held order: its inventory record names the reservation and counts
    // its unit out (99 on hand); the hold ends at once, so 10 stay available (not 9).
    let taken = held_ids[10].clone();
    let offset = |h: &Value| h["views"]["inventory"]["appliedOffset"].as_i64().unwrap();
    let before = offset(&a.client.health().await);
    let shipped = Record {
        kind: ViewKind::Inventory,
        key: SKU.into(),
        payload: Some(
            json!({"sku": SKU, "version": 1001, "available": 99, "reservations": [taken]})
                .to_string()
                .into_bytes(),
        ),
    };
    scenario::publish(&publisher, &[shipped]).await;
    let ca = a.client.clone();
    wait_until("the shipped record", Duration::from_secs(20), || {
        let c = ca.clone();
        async move { (offset(&c.health().await) > before).then_some(()) }
    })
    .await;
    assert_eq!(available(&a.client).await, 10, "99 on hand, 89 still held");
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A reservations topic that compacts (or forgets holds still running) is refused at start-up,
/// with what to set; the broker's own description of the topic is what is judged.
#[tokio::test]
async fn a_compacted_or_short_lived_reservations_topic_is_refused_at_start() {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let broker = Broker::start();
    for (config, value, says, fix) in [
        (
            "cleanup.policy",
            "compact",
            "cleanup.policy=compact",
            "cleanup.policy=delete",
        ),
        (
            "retention.ms",
            "60000",
            "retention.ms=60000",
            "retention.ms >= 4500000",
        ),
    ] {
        let topics = fresh_topics("e2e-topic-check");
        let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &broker.address)
            .create()
            .unwrap();
        let topic =
            NewTopic::new(&topics.reservations, 1, TopicReplication::Fixed(1)).set(config, value);
        for created in admin
            .create_topics(&[topic], &AdminOptions::new())
            .await
            .unwrap()
        {
            created.unwrap();
        }
        feed(&broker.address, &topics, 2);
        let (status, output) =
            crate::process::run_to_exit(&broker.address, &topics, &[], Duration::from_secs(60));
        assert!(!status.success(), "{output}");
        assert!(output.contains(says), "names the setting: {output}");
        assert!(output.contains(fix), "says what to set: {output}");
    }
}
