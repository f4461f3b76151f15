//! Subscriptions end to end in-process: a price or stock change published to the app's Kafka
//! reaches WebSocket (both protocols) and SSE subscribers; limits; teardown.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};
use vitrine::config::Settings;
use vitrine::demo::Publisher;
use vitrine::events::Record;
use vitrine::events::TopicMap;
use vitrine::views::ViewKind;

use crate::common::live::{sse_subscribe, Protocol, WsClient};
use crate::common::wait_until;
use crate::helpers::{spawn_app, TestApp};

pub(crate) const PRICE_SUB: &str = "subscription { priceChanged(skus: [\"p000003-0\"]) { sku productId price { amount currencyCode } previousPrice { amount } quote version resync } }";

pub(crate) fn publisher(app: &TestApp) -> Publisher {
    Publisher::connect(&app.brokers, TopicMap::new(&Settings::defaults().topics)).unwrap()
}

pub(crate) fn price(sku: &str, version: u64, list: i64) -> Record {
    let value = json!({"sku": sku, "version": version, "currency": "USD", "list": list});
    Record {
        kind: ViewKind::Prices,
        key: sku.into(),
        payload: Some(serde_json::to_vec(&value).unwrap()),
    }
}

pub(crate) fn stock(sku: &str, version: u64, available: i32) -> Record {
    let value = json!({"sku": sku, "version": version, "available": available});
    Record {
        kind: ViewKind::Inventory,
        key: sku.into(),
        payload: Some(serde_json::to_vec(&value).unwrap()),
    }
}

pub(crate) async fn publish(app: &TestApp, records: &[Record]) {
    let publisher = publisher(app);
    for r in records {
        publisher.send(r).unwrap();
    }
    assert_eq!(publisher.flush(Duration::from_secs(10)).unwrap(), 0);
}

pub(crate) async fn active_subscriptions(app: &TestApp) -> u64 {
    app.client.health().await["subscriptions"]["active"]
        .as_u64()
        .unwrap()
}

pub(crate) async fn wait_for_active(app: &TestApp, n: u64) {
    let c = app.client.clone();
    wait_until(
        &format!("{n} active subscriptions"),
        Duration::from_secs(10),
        || {
            let c = c.clone();
            async move {
                (c.health().await["subscriptions"]["active"].as_u64() == Some(n)).then_some(())
            }
        },
    )
    .await;
}

fn check_price_event(payload: &Value, amount: &str) {
    let e = &payload["data"]["priceChanged"];
    assert_eq!(e["sku"], "p000003-0", "{payload}");
    assert_eq!(e["productId"], "p000003");
    assert_eq!(e["price"], json!({"amount": amount, "currencyCode": "USD"}));
    assert!(e["previousPrice"]["amount"].is_string());
    assert_eq!(e["version"], "100");
    assert_eq!(e["resync"], false);
    assert!(e["quote"].as_str().unwrap().contains('.'));
}

#[tokio::test]
async fn price_changes_reach_websocket_and_sse_subscribers() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let mut modern = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    modern.subscribe("1", PRICE_SUB).await;
    wait_for_active(&app, 1).await;
    let mut legacy = WsClient::connect(&app.client.base, Protocol::Legacy).await;
    legacy.subscribe("a", PRICE_SUB).await;
    wait_for_active(&app, 2).await;
    let mut sse = Box::pin(sse_subscribe(&app.client.base, PRICE_SUB).await);
    wait_for_active(&app, 3).await;

    // Another SKU first (filtered out), then ours.
    publish(
        &app,
        &[price("p000004-0", 100, 1), price("p000003-0", 100, 12_345)],
    )
    .await;
    check_price_event(&modern.next_payload().await, "123.45");
    check_price_event(&legacy.next_payload().await, "123.45");
    let from_sse = tokio::time::timeout(Duration::from_secs(20), sse.next())
        .await
        .unwrap()
        .unwrap();
    check_price_event(&from_sse, "123.45");

    // Teardown: closing clients frees every subscription.
    modern.close().await;
    legacy.close().await;
    wait_for_active(&app, 1).await;
    drop(sse);
    wait_for_active(&app, 0).await;
    app.stop().await;
}

#[tokio::test]
async fn inventory_status_changes_are_pushed() {
    let app = spawn_app("[subscriptions]\nlow_stock_below = 5").await;
    app.client.wait_ready().await;
    let mut ws = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    ws.subscribe("s", "subscription { inventoryChanged(productIds: [\"p000005\"]) { sku productId quantityAvailable availableForSale status resync } }").await;
    wait_for_active(&app, 1).await;
    publish(
        &app,
        &[
            stock("p000006-0", 100, 1),
            stock("p000005-0", 100, 2),
            stock("p000005-0", 101, 0),
        ],
    )
    .await;
    let first = ws.next_payload().await;
    let e = &first["data"]["inventoryChanged"];
    assert_eq!(e["sku"], "p000005-0", "{first}");
    // The two changes may be coalesced into one: what matters is the latest state arrives.
    let last = if e["quantityAvailable"] == 2 {
        assert_eq!(e["status"], "LOW_STOCK");
        ws.next_payload().await["data"]["inventoryChanged"].clone()
    } else {
        e.clone()
    };
    assert_eq!(last["quantityAvailable"], 0);
    assert_eq!(last["status"], "OUT_OF_STOCK");
    assert_eq!(last["availableForSale"], false);
    ws.close().await;
    app.stop().await;
}

#[tokio::test]
async fn subscription_limits_and_country_errors() {
    let app = spawn_app("[subscriptions]\nmax_per_connection = 1").await;
    let mut ws = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    ws.subscribe("1", PRICE_SUB).await;
    wait_for_active(&app, 1).await;
    ws.subscribe("2", PRICE_SUB).await;
    let refused = ws.next_payload().await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
        "{refused}"
    );
    ws.subscribe(
        "3",
        "subscription { priceChanged(country: \"ZZ\") { sku } }",
    )
    .await;
    let unsupported = ws.next_payload().await;
    assert_eq!(
        unsupported["errors"][0]["extensions"]["code"], "UNSUPPORTED_COUNTRY",
        "{unsupported}"
    );
    assert_eq!(active_subscriptions(&app).await, 1);
    ws.close().await;
    wait_for_active(&app, 0).await;
    app.stop().await;
}
