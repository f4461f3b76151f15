//! Interop: the reference JavaScript client `graphql-ws` (npm) subscribes and gets the event.
//! Needs Node.js and `npm ci --prefix tests/interop` (scripts/test.sh does it).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use vitrine::config::Settings;
use vitrine::demo::Publisher;
use vitrine::events::Record;
use vitrine::events::TopicMap;
use vitrine::views::ViewKind;

use crate::helpers::{spawn_app, TestApp};
use crate::subscriptions::{publish, wait_for_active};

const QUERY: &str = "subscription { priceChanged(productIds: [\"p000009\"]) { sku productId price { amount currencyCode } resync } }";

type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// Starts the graphql-ws client (default options) on `query`, waiting for `count` events, and
/// returns once it is connected and its subscription is active.
async fn node_subscriber(
    app: &TestApp,
    query: &str,
    count: usize,
) -> (tokio::process::Child, Lines) {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        interop.join("node_modules/graphql-ws").exists(),
        "run `npm ci --prefix tests/interop` (scripts/test.sh does) to install the graphql-ws client"
    );
    let url = format!("{}/graphql", app.client.base.replace("http://", "ws://"));
    let mut node = tokio::process::Command::new("node")
        .arg(interop.join("subscribe.mjs"))
        .args([&url, query, &count.to_string()])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (Node.js is required for this test)");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let connected = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(connected, r#"{"connected":true}"#);
    wait_for_active(app, 1).await;
    (node, lines)
}

/// The client exits 0 once it has had every event it waited for.
async fn exits_cleanly(mut node: tokio::process::Child) {
    let status = tokio::time::timeout(Duration::from_secs(10), node.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

async fn next_event(lines: &mut Lines) -> Value {
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .expect("an event line");
    serde_json::from_str(&line).unwrap()
}

#[tokio::test]
async fn the_graphql_ws_reference_client_receives_a_price_change() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let (node, mut lines) = node_subscriber(&app, QUERY, 1).await;

    let publisher =
        Publisher::connect(&app.brokers, TopicMap::new(&Settings::defaults().topics)).unwrap();
    let value = json!({"sku": "p000009-1", "version": 77, "currency": "USD", "list": 4_200});
    publisher
        .send(&Record {
            kind: ViewKind::Prices,
            key: "p000009-1".into(),
            payload: Some(serde_json::to_vec(&value).unwrap()),
        })
        .unwrap();
    publisher.flush(Duration::from_secs(10)).unwrap();

    let event = next_event(&mut lines).await;
    assert_eq!(
        event["data"]["priceChanged"],
        json!({"sku": "p000009-1", "productId": "p000009", "price": {"amount": "42.00", "currencyCode": "USD"}, "resync": false})
    );
    exits_cleanly(node).await;
    app.stop().await;
}

/// graphql-ws with its default options (keepAlive 0: it never pings on its own) stays
/// subscribed across many of the server's ping intervals and receives every event.
#[tokio::test]
async fn a_default_graphql_ws_client_stays_subscribed_across_ping_intervals() {
    let app =
        spawn_app("[subscriptions]\nws_ping_interval_ms = 100\nws_pong_timeout_ms = 300\n").await;
    app.client.wait_ready().await;
    let (node, mut lines) = node_subscriber(&app, QUERY, 3).await;
    for round in 0..3 {
        // Quiet for five ping intervals plus the pong timeout between events.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let value = json!({"sku": "p000009-1", "version": 80 + round, "currency": "USD", "list": 4_200 + round});
        publish(
            &app,
            &[Record {
                kind: ViewKind::Prices,
                key: "p000009-1".into(),
                payload: Some(serde_json::to_vec(&value).unwrap()),
            }],
        )
        .await;
        let event = next_event(&mut lines).await;
        let amount = format!("42.0{round}");
        assert_eq!(
            event["data"]["priceChanged"]["price"]["amount"],
            amount.as_str(),
            "{event}"
        );
    }
    exits_cleanly(node).await;
    app.stop().await;
}
