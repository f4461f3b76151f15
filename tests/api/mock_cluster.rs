//! Ingest over librdkafka's in-process mock cluster: history, edge cases, then a live change.

use vitrine::config::Settings;
use vitrine::demo::EmbeddedCluster;
use vitrine::demo::Publisher;
use vitrine::events::TopicMap;

use crate::common::{fresh_topics, scenario};
use crate::helpers::spawn_with;

#[tokio::test]
async fn history_edge_cases_and_live_changes_on_the_mock_cluster() {
    let topics = fresh_topics("mock");
    let map = TopicMap::new(&topics);
    let cluster = EmbeddedCluster::start(&map).expect("mock cluster");
    let publisher = Publisher::connect(cluster.bootstrap_servers(), map).unwrap();
    scenario::publish(&publisher, &scenario::history()).await;

    let mut settings = Settings::defaults()
        .with_overrides("[server]\nlisten = \"127.0.0.1:0\"\n[kafka]\nfetch_wait_max_ms = 10\n[checkout]\nquote_secret = \"test\"")
        .unwrap();
    settings.kafka.brokers = cluster.bootstrap_servers().to_string();
    settings.topics = topics;
    let app = spawn_with(settings).await;
    app.client.wait_ready().await;
    scenario::assert_history_applied(&app.client).await;
    scenario::assert_live_change_arrives(&app.client, &publisher).await;
    app.stop().await;
    drop(cluster);
}

#[tokio::test]
async fn not_ready_until_topics_exist() {
    // Topics that nobody created: the app serves, but is not ready.
    let mut settings = Settings::defaults()
        .with_overrides("[server]\nlisten = \"127.0.0.1:0\"\n[kafka]\nmetadata_timeout_ms = 200\n[checkout]\nquote_secret = \"test\"")
        .unwrap();
    let other = fresh_topics("other");
    let cluster = EmbeddedCluster::start(&TopicMap::new(&other)).unwrap();
    settings.kafka.brokers = cluster.bootstrap_servers().to_string();
    settings.topics = fresh_topics("absent");
    let app = spawn_with(settings).await;
    assert_eq!(app.client.get("/health/live").await.status(), 200);
    let health = app.client.get("/health/ready").await;
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "catching_up");
    app.stop().await;
}

#[tokio::test]
async fn demo_trickle_flows_through_the_mock_cluster() {
    let app = crate::helpers::spawn_app("[demo]\nlive_interval_ms = 5").await;
    app.client.wait_ready().await;
    let baseline = app.client.health().await["views"]["prices"]["ingest"]["applied"]
        .as_u64()
        .unwrap();
    let client = app.client.clone();
    crate::common::wait_until(
        "live demo changes",
        std::time::Duration::from_secs(20),
        || {
            let c = client.clone();
            async move {
                let h = c.health().await;
                let applied = |v: &str| h["views"][v]["ingest"]["applied"].as_u64().unwrap();
                (applied("prices") > baseline || applied("inventory") > baseline).then_some(())
            }
        },
    )
    .await;
    app.stop().await;
}
