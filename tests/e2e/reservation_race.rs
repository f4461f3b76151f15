//! Reservations decided once, by the log, while stock moves: two replicas take 400 racing
//! reservations on four SKUs whose on-hand counts change every few milliseconds; a replica
//! that decides some of the partitions is killed (-9) mid-race and the survivor takes its
//! partitions over; a third replica replaying the topics from nothing reads back every
//! reservation exactly as the survivor does, and as the racing clients were answered.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use vitrine::demo::Publisher;
use vitrine::events::{Record, TopicMap};
use vitrine::views::ViewKind;

use crate::broker::Broker;
use crate::common::{fresh_topics, scenario, wait_until, Client};
use crate::process::{feed, Vitrine};

const SKUS: [&str; 4] = ["p000001-0", "p000002-0", "p000003-0", "p000004-0"];
const RESERVE: &str = "mutation($key: String!, $lines: [ReserveLineInput!]!) {
    reserve(lines: $lines, idempotencyKey: $key) { id status lines { sku requested held } } }";

fn lines_of(i: usize) -> Value {
    // Two lines on two SKUs (so most reservations span two partitions), 1 to 3 units each.
    let (a, b) = (SKUS[i % 4], SKUS[(i / 4 + 1 + i % 4) % 4]);
    if a == b {
        json!([{"sku": a, "quantity": 1 + i % 3}])
    } else {
        json!([{"sku": a, "quantity": 1 + i % 3}, {"sku": b, "quantity": 1 + (i / 3) % 3}])
    }
}

/// Reserves under `key`, on `first` and then, when that replica is gone or the outcome is
/// unknown, on any replica in `all` (a load balancer's retry), until answered.
async fn reserve(all: &[Client], first: usize, key: &str, lines: &Value) -> Value {
    let mut at = first;
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while std::time::Instant::now() < deadline {
        let answer = all[at]
            .http
            .post(format!("{}/graphql", all[at].base))
            .json(&json!({"query": RESERVE, "variables": {"key": key, "lines": lines}}))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if let Ok(answer) = answer {
            let r: Value = answer.json().await.unwrap_or(Value::Null);
            if r["data"]["reserve"].is_object() {
                return r["data"]["reserve"].clone();
            }
            let code = r["errors"][0]["extensions"]["code"].as_str().unwrap_or("");
            assert!(
                matches!(code, "RESERVATION_TIMEOUT" | "REQUEST_TIMEOUT"),
                "{key}: {r}"
            );
        }
        at = (at + 1) % all.len();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{key}: never answered");
}

/// Fails with the reservations that differ (the first five), not two 400-entry maps.
fn assert_same(got: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>, what: &str) {
    let differ: Vec<String> = want
        .iter()
        .filter(|(key, answer)| got.get(*key) != Some(answer))
        .map(|(key, answer)| {
            format!(
                "{key}: {answer} vs {}",
                got.get(key).unwrap_or(&Value::Null)
            )
        })
        .collect();
    assert!(
        differ.is_empty() && got.len() == want.len(),
        "{what}: {} of {} differ, e.g. {:#?}",
        differ.len(),
        want.len(),
        &differ[..differ.len().min(5)]
    );
}

async fn decider_partitions(client: &Client) -> Vec<i64> {
    let health = client.health().await;
    health["reservations"]["decider"]["partitions"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn stock(sku: &str, version: u64, available: i32) -> Record {
    Record {
        kind: ViewKind::Inventory,
        key: sku.into(),
        payload: Some(
            json!({"sku": sku, "version": version, "available": available})
                .to_string()
                .into_bytes(),
        ),
    }
}

#[tokio::test]
async fn replicas_agree_while_stock_moves_and_the_decider_dies() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-race");
    feed(&broker.address, &topics, 5);
    let publisher = Arc::new(Publisher::connect(&broker.address, TopicMap::new(&topics)).unwrap());
    let first: Vec<Record> = SKUS.iter().map(|s| stock(s, 1_000, 40)).collect();
    scenario::publish(&publisher, &first).await;

    let env = [("VITRINE_RESERVATIONS__MAX_PER_CLIENT", "100000")];
    // A joins the deciders' group first and decides every partition; B takes its share, and
    // dies mid-race: A must take B's partitions over and decide what B left pending.
    let a = Vitrine::start_with(&broker.address, &topics, &env);
    a.client.wait_ready().await;
    let ca = a.client.clone();
    let partitions = wait_until(
        "A to decide every partition",
        Duration::from_secs(60),
        || {
            let ca = ca.clone();
            async move {
                let owned = decider_partitions(&ca).await.len();
                (owned > 0).then_some(owned)
            }
        },
    )
    .await;
    let b = Vitrine::start_with(&broker.address, &topics, &env);
    b.client.wait_ready().await;
    // The group has handed every partition out (to one replica or both).
    let (ca, cb) = (a.client.clone(), b.client.clone());
    let settled = wait_until(
        "the deciders' group to settle",
        Duration::from_secs(60),
        || {
            let (ca, cb) = (ca.clone(), cb.clone());
            async move {
                let (pa, pb) = (decider_partitions(&ca).await, decider_partitions(&cb).await);
                let mut all: Vec<i64> = pa.iter().chain(&pb).copied().collect();
                all.sort_unstable();
                (!pa.is_empty() && !pb.is_empty() && all.windows(2).all(|w| w[0] != w[1]))
                    .then_some(all.len())
            }
        },
    )
    .await;
    assert_eq!(
        settled, partitions,
        "both replicas decide some partitions, none twice"
    );

    // The stock moves every few milliseconds while the race runs.
    let moving = Arc::new(AtomicBool::new(true));
    // (on a thread of its own: publishing waits for the broker's acknowledgements).
    let mover = {
        let (publisher, moving) = (Arc::clone(&publisher), Arc::clone(&moving));
        std::thread::spawn(move || {
            let mut version = 1_001u64;
            while moving.load(Ordering::Relaxed) {
                for (i, sku) in SKUS.iter().enumerate() {
                    let available = 20 + ((version as i32 * 7 + i as i32 * 13) % 40);
                    publisher
                        .send(&stock(sku, version, available))
                        .expect("queued");
                }
                let failed = publisher.flush(Duration::from_secs(20)).expect("flushed");
                assert_eq!(failed, 0);
                version += 1;
                std::thread::sleep(Duration::from_millis(3));
            }
            version
        })
    };

    // 400 racing reservations, half sent to each replica; B (a decider) dies a quarter in.
    let clients = vec![a.client.clone(), b.client.clone()];
    let mut calls = tokio::task::JoinSet::new();
    let mut b = Some(b);
    for i in 0..400usize {
        let clients = clients.clone();
        // Spread over ~4 s, so the kill falls in the middle of the stream of requests.
        tokio::time::sleep(Duration::from_millis(10)).await;
        calls.spawn(async move {
            let key = format!("shopper-{i}");
            let answer = reserve(&clients, i % 2, &key, &lines_of(i)).await;
            (key, answer)
        });
        if i == 100 {
            drop(b.take()); // kill -9 mid-race
        }
    }
    let mut answers = BTreeMap::new();
    while let Some(done) = calls.join_next().await {
        let (key, answer) = done.unwrap();
        answers.insert(key, answer);
    }
    moving.store(false, Ordering::Relaxed);
    let versions = mover.join().unwrap();
    assert!(
        versions > 1_010,
        "the stock moved during the race ({versions})"
    );
    assert_eq!(answers.len(), 400);
    for (key, r) in &answers {
        let n: usize = key.trim_start_matches("shopper-").parse().unwrap();
        assert_eq!(
            r["lines"].as_array().unwrap().len(),
            lines_of(n).as_array().unwrap().len(),
            "{key}: every line decided: {r}"
        );
        assert!(
            ["HELD", "PARTIAL", "REJECTED"].contains(&r["status"].as_str().unwrap()),
            "{key}: {r}"
        );
    }
    let ca = a.client.clone();
    wait_until(
        "A to decide every partition again",
        Duration::from_secs(60),
        || {
            let ca = ca.clone();
            async move { (decider_partitions(&ca).await.len() == partitions).then_some(()) }
        },
    )
    .await;

    // A third replica from nothing: the same decisions, line by line.
    let c = Vitrine::start(&broker.address, &topics);
    c.client.wait_ready().await;
    let read_back = |client: Client| {
        let answers = answers.clone();
        async move {
            let mut out = BTreeMap::new();
            for key in answers.keys() {
                let n: usize = key.trim_start_matches("shopper-").parse().unwrap();
                let r = reserve(std::slice::from_ref(&client), 0, key, &lines_of(n)).await;
                out.insert(key.clone(), r);
            }
            out
        }
    };
    let on_a = read_back(a.client.clone()).await;
    let on_c = read_back(c.client.clone()).await;
    assert_same(
        &on_a,
        &answers,
        "A reads back what the racing clients were told",
    );
    assert_same(
        &on_c,
        &on_a,
        "a replica replaying from scratch decides nothing anew",
    );
    let held: i64 = answers
        .values()
        .flat_map(|r| r["lines"].as_array().unwrap().iter())
        .map(|l| l["held"].as_i64().unwrap())
        .sum();
    let rejected = answers
        .values()
        .filter(|r| r["status"] == "REJECTED")
        .count();
    assert!(
        held > 0 && rejected > 0,
        "the race held some and ran out: {held} held, {rejected} rejected"
    );
    // No SKU ever held more than the most it had on hand (59) at once.
    for sku in SKUS {
        let on_sku: i64 = answers
            .values()
            .flat_map(|r| r["lines"].as_array().unwrap().iter())
            .filter(|l| l["sku"] == sku)
            .map(|l| l["held"].as_i64().unwrap())
            .sum();
        assert!(on_sku <= 59, "{sku}: {on_sku} held");
    }
    let health = c.client.health().await;
    assert_eq!(
        health["views"]["reservations"]["ingest"]["malformed"], 0,
        "{health}"
    );
}
