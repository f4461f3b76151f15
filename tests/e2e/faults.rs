//! Ingest faults on the real broker: an outage reported as growing lag, readiness past a
//! staleness bound, and partitions added to a topic while serving.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use serde_json::{json, Value};
use vitrine::demo::ensure_topics;
use vitrine::events::TopicMap;

use crate::broker::Broker;
use crate::common::{error_code, fresh_topics, wait_until, Client};
use crate::process::{feed, Vitrine};

const PDP: &str = "{ product(id: \"p000007\") { id variants { sku price { amount } } } }";

async fn bounded(client: &Client, bound_ms: i64) -> Value {
    client
        .http
        .post(format!("{}/graphql", client.base))
        .header("x-max-staleness-ms", bound_ms.to_string())
        .json(&json!({ "query": PDP }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON body")
}

#[tokio::test]
async fn an_outage_shows_as_growing_lag_and_stale_view() {
    let mut broker = Broker::start();
    let topics = fresh_topics("e2e-outage");
    feed(&broker.address, &topics, 40);
    let vitrine = Vitrine::start_with(
        &broker.address,
        &topics,
        &[("VITRINE_KAFKA__CONTACT_TIMEOUT_MS", "1500")],
    );
    vitrine.client.wait_ready().await;
    let healthy = vitrine.client.health().await;
    assert_eq!(healthy["broker"]["reachable"], true, "{healthy}");
    let served = bounded(&vitrine.client, 1000).await;
    assert_eq!(served["data"]["product"]["id"], "p000007", "{served}");

    broker.kill();
    let client = vitrine.client.clone();
    let first = wait_until("the outage reported", Duration::from_secs(20), || {
        let c = client.clone();
        async move {
            let h = c.health().await;
            (h["broker"]["reachable"] == false).then_some(h)
        }
    })
    .await;
    let since = first["broker"]["sinceContactMs"].as_i64().unwrap();
    assert!(since >= 1500, "{first}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let later = vitrine.client.health().await;
    let lag = |h: &Value| h["views"]["prices"]["lagMs"].as_i64().unwrap();
    assert!(
        lag(&later) >= lag(&first) + 500,
        "lag grows: {first} then {later}"
    );
    let status = vitrine
        .client
        .query(
            "{ viewStatus { brokerReachable sinceContactMs views { view lagMs } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        status["data"]["viewStatus"]["brokerReachable"], false,
        "{status}"
    );

    // A bounded request is refused; an unbounded one is served from the last views.
    assert_eq!(
        error_code(&bounded(&vitrine.client, 1000).await),
        "STALE_VIEW"
    );
    let r = vitrine.client.query(PDP, json!({})).await;
    assert_eq!(r["data"]["product"]["id"], "p000007", "{r}");
    assert!(
        vitrine.client.is_ready().await,
        "stale but servable by default"
    );
}

#[tokio::test]
async fn readiness_can_end_past_a_staleness_bound() {
    let mut broker = Broker::start();
    let topics = fresh_topics("e2e-unready");
    feed(&broker.address, &topics, 10);
    let vitrine = Vitrine::start_with(
        &broker.address,
        &topics,
        &[
            ("VITRINE_KAFKA__CONTACT_TIMEOUT_MS", "1000"),
            ("VITRINE_SERVER__UNREADY_PAST_LAG_MS", "2000"),
        ],
    );
    vitrine.client.wait_ready().await;
    broker.kill();
    let client = vitrine.client.clone();
    wait_until("readiness off", Duration::from_secs(20), || {
        let c = client.clone();
        async move { (!c.is_ready().await).then_some(()) }
    })
    .await;
    let h = vitrine.client.health().await;
    assert_eq!(h["status"], "stale", "{h}");
}

#[tokio::test]
async fn partitions_added_while_serving_are_consumed() {
    let dir = std::env::temp_dir().join(format!("vitrine-grow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("tansu.db");
    let broker = Broker::start_on_sqlite(&dir);
    let topics = fresh_topics("e2e-grow");
    let map = TopicMap::new(&topics);
    ensure_topics(&broker.address, &map, 1).await.unwrap();
    feed(&broker.address, &topics, 10);
    let vitrine = Vitrine::start_with(
        &broker.address,
        &topics,
        &[("VITRINE_KAFKA__PARTITION_REFRESH_MS", "500")],
    );
    vitrine.client.wait_ready().await;

    // tansu 0.6 has no CreatePartitions: grow the topic in its store, as the admin API would.
    grow_topic(&db, &topics.prices, 3);

    // Price records written straight to the new partitions.
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &broker.address)
        .create()
        .unwrap();
    for partition in [1, 2] {
        let price = json!({"sku": "p000007-1", "version": 2000 + partition,
                           "currency": "USD", "list": 5000 + partition});
        let payload = serde_json::to_vec(&price).unwrap();
        producer
            .send(
                BaseRecord::to(&topics.prices)
                    .key("p000007-1")
                    .partition(partition)
                    .payload(&payload),
            )
            .map_err(|(e, _)| e)
            .unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();

    let client = vitrine.client.clone();
    wait_until(
        "records of the new partitions",
        Duration::from_secs(30),
        || {
            let c = client.clone();
            async move {
                let r = c.query(PDP, json!({})).await;
                let shown = r["data"]["product"]["variants"]
                    .as_array()?
                    .iter()
                    .any(|v| v["price"]["amount"] == "50.02");
                shown.then_some(())
            }
        },
    )
    .await;
    let h = vitrine.client.health().await;
    assert!(
        h["views"]["prices"]["highWatermark"].as_i64().unwrap() >= 2,
        "{h}"
    );
    assert_eq!(h["views"]["prices"]["lagMessages"], 0, "{h}");
}

/// Adds partitions to a topic in tansu's SQLite store (its metadata is read from there).
fn grow_topic(db: &std::path::Path, topic: &str, partitions: i32) {
    let mut sql = format!("update topic set partitions = {partitions} where name = '{topic}';");
    for p in 1..partitions {
        sql.push_str(&format!(
            "insert into topition (topic, partition) select id, {p} from topic where name = '{topic}';\
             insert into watermark (topition) select tp.id from topic t, topition tp \
             where t.name = '{topic}' and tp.topic = t.id and tp.partition = {p};"
        ));
    }
    let status = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .status()
        .expect("sqlite3 runs (Debian package sqlite3)");
    assert!(status.success());
}

#[tokio::test]
async fn a_snapshot_from_another_cluster_is_refused() {
    let dir = crate::snapshots::temp_dir("foreign");
    let dir_text = dir.to_str().unwrap();
    let topics = fresh_topics("e2e-foreign");
    let first = Broker::start();
    feed(&first.address, &topics, 40);
    let a = Vitrine::start_with(
        &first.address,
        &topics,
        &[("VITRINE_SNAPSHOT__DIR", dir_text)],
    );
    a.client.wait_ready().await;
    a.stop_gracefully();
    assert_eq!(vitrine::snapshot::list_snapshots(&dir).len(), 1);

    // Another cluster, or the topics recreated: the same names, far fewer records. The
    // snapshot's offsets lie past the end of these logs.
    let second = Broker::start();
    feed(&second.address, &topics, 5);
    let b = Vitrine::start_with(
        &second.address,
        &topics,
        &[("VITRINE_SNAPSHOT__DIR", dir_text)],
    );
    b.client.wait_ready().await;
    let h = b.client.health().await;
    assert_eq!(h["bootstrap"]["rejectedSnapshots"], 1, "{h}");
    assert_eq!(h["snapshot"], Value::Null, "{h}");
    assert_eq!(h["views"]["products"]["records"], 5, "a full replay: {h}");
    let _ = std::fs::remove_dir_all(dir);
}
