//! The real binary on the real broker: edge cases, the feed command, a vanishing broker.

use serde_json::json;
use vitrine::demo::{ensure_topics, Publisher};
use vitrine::events::TopicMap;

use crate::broker::Broker;
use crate::common::{fresh_topics, scenario};
use crate::process::{feed, Vitrine};

#[tokio::test]
async fn tombstone_out_of_order_and_poison_on_the_real_broker() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-edges");
    let map = TopicMap::new(&topics);
    ensure_topics(&broker.address, &map, 3)
        .await
        .expect("topics created");
    let publisher = Publisher::connect(&broker.address, map).unwrap();
    scenario::publish(&publisher, &scenario::history()).await;

    let vitrine = Vitrine::start(&broker.address, &topics);
    vitrine.client.wait_ready().await;
    scenario::assert_history_applied(&vitrine.client).await;
    scenario::assert_live_change_arrives(&vitrine.client, &publisher).await;
}

#[tokio::test]
async fn fed_catalog_is_served_in_full() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-feed");
    feed(&broker.address, &topics, 300);
    let vitrine = Vitrine::start(&broker.address, &topics);
    vitrine.client.wait_ready().await;
    let health = vitrine.client.health().await;
    assert_eq!(health["views"]["products"]["records"], 300, "{health}");
    assert_eq!(health["views"]["prices"]["ingest"]["malformed"], 0);
    let r = vitrine
        .client
        .query(
            "{ products(first: 5, sortKey: TITLE) { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["products"]["totalCount"], 300, "{r}");
}

#[tokio::test]
async fn views_survive_the_broker_vanishing() {
    let mut broker = Broker::start();
    let topics = fresh_topics("e2e-vanish");
    feed(&broker.address, &topics, 40);
    let vitrine = Vitrine::start(&broker.address, &topics);
    vitrine.client.wait_ready().await;
    let pdp =
        "{ product(id: \"p000007\") { id variants { sku price { amount } quantityAvailable } } }";
    let before = vitrine.client.query(pdp, json!({})).await;
    assert_eq!(before["data"]["product"]["id"], "p000007");
    broker.kill();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // The answer is the same (its freshness extension may move: the broker is gone).
    assert_eq!(
        vitrine.client.query(pdp, json!({})).await["data"],
        before["data"]
    );
    assert!(
        vitrine.client.is_ready().await,
        "caught-up views stay servable"
    );
}

/// A configured topic the cluster does not have (a reservations topic on a cluster set up for
/// an older version): said once, naming the topic, how to create it and the setting that turns
/// reservations off, not a warning a second; created, the gateway becomes ready.
#[tokio::test]
async fn a_missing_topic_is_named_once_with_how_to_create_it() {
    let broker = Broker::start();
    let mut topics = fresh_topics("e2e-missing");
    let reservations = std::mem::take(&mut topics.reservations);
    feed(&broker.address, &topics, 20); // every topic but the reservations one
    topics.reservations = reservations.clone();
    let vitrine = Vitrine::start(&broker.address, &topics);
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let health = vitrine.client.health().await;
    assert_eq!(health["status"], "catching_up", "{health}");
    let said: Vec<String> = vitrine
        .logs()
        .into_iter()
        .filter(|l| l.contains("does not exist") || l.contains("waiting for Kafka topics"))
        .collect();
    assert_eq!(said.len(), 1, "said once: {said:#?}");
    for needed in [
        reservations.as_str(),
        "cleanup.policy=delete",
        "topics.reservations",
    ] {
        assert!(said[0].contains(needed), "{needed} in {}", said[0]);
    }
    let map = TopicMap::new(&topics);
    ensure_topics(&broker.address, &map, 1)
        .await
        .expect("topics created");
    vitrine.client.wait_ready().await;
}
