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

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_graphql_ws_reference_client_receives_a_price_change() {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        interop.join("node_modules/graphql-ws").exists(),
        "run `npm ci --prefix tests/interop` (scripts/test.sh does) to install the graphql-ws client"
    );
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let url = format!("{}/graphql", app.client.base.replace("http://", "ws://"));
    let query = "subscription { priceChanged(productIds: [\"p000009\"]) { sku productId price { amount currencyCode } resync } }";
    let mut node = tokio::process::Command::new("node")
        .arg(interop.join("subscribe.mjs"))
        .args([&url, query, "1"])
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
    let c = app.client.clone();
    crate::common::wait_until("the subscription", Duration::from_secs(10), || {
        let c = c.clone();
        async move { (c.health().await["subscriptions"]["active"] == 1).then_some(()) }
    })
    .await;

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

    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        event["data"]["priceChanged"],
        json!({"sku": "p000009-1", "productId": "p000009", "price": {"amount": "42.00", "currencyCode": "USD"}, "resync": false})
    );
    let status = tokio::time::timeout(Duration::from_secs(10), node.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    app.stop().await;
}
