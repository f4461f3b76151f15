//! On the real broker: a price event produced to Kafka reaches a WebSocket and an SSE subscriber.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use vitrine::demo::Publisher;
use vitrine::events::Record;
use vitrine::events::TopicMap;
use vitrine::views::ViewKind;

use crate::broker::Broker;
use crate::common::fresh_topics;
use crate::common::live::{sse_subscribe, Protocol, WsClient};
use crate::process::{feed, Vitrine};

const SUB: &str = "subscription { priceChanged(skus: [\"p000003-0\"], country: \"GB\") {
    sku productId price { amount currencyCode } previousPrice { amount currencyCode } version resync } }";

#[tokio::test]
async fn a_price_produced_to_kafka_reaches_websocket_and_sse_subscribers() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-subs");
    feed(&broker.address, &topics, 20);
    let vitrine = Vitrine::start(&broker.address, &topics);
    vitrine.client.wait_ready().await;

    let mut ws = WsClient::connect(&vitrine.client.base, Protocol::TransportWs).await;
    ws.subscribe("1", SUB).await;
    let mut sse = Box::pin(sse_subscribe(&vitrine.client.base, SUB).await);
    let c = vitrine.client.clone();
    crate::common::wait_until("two subscriptions", Duration::from_secs(10), || {
        let c = c.clone();
        async move { (c.health().await["subscriptions"]["active"] == 2).then_some(()) }
    })
    .await;

    let publisher = Publisher::connect(&broker.address, TopicMap::new(&topics)).unwrap();
    let value = json!({"sku": "p000003-0", "version": 2_000_000_000_000_000u64, "currency": "USD", "list": 10_000});
    publisher
        .send(&Record {
            kind: ViewKind::Prices,
            key: "p000003-0".into(),
            payload: Some(serde_json::to_vec(&value).unwrap()),
        })
        .unwrap();
    assert_eq!(publisher.flush(Duration::from_secs(10)).unwrap(), 0);

    // $100.00 (HS of p000003 decides the duty) in GBP with the demo's GB context.
    let from_ws = ws.next_payload().await;
    let from_sse = tokio::time::timeout(Duration::from_secs(20), sse.next())
        .await
        .unwrap()
        .unwrap();
    for payload in [&from_ws, &from_sse] {
        let e = &payload["data"]["priceChanged"];
        assert_eq!(e["sku"], "p000003-0", "{payload}");
        assert_eq!(e["productId"], "p000003");
        assert_eq!(e["price"]["currencyCode"], "GBP");
        assert!(
            e["price"]["amount"].as_str().unwrap().ends_with(".99"),
            "GB charm rounding: {e}"
        );
        assert_eq!(e["previousPrice"]["currencyCode"], "GBP");
        assert_eq!(e["version"], "2000000000000000");
        assert_eq!(e["resync"], false);
    }
    assert_eq!(from_ws, from_sse, "same event on both transports");
    // The PDP agrees with the pushed price.
    let pdp = vitrine
        .client
        .query(
            "{ product(id: \"p000003\", country: \"GB\") { variants { sku price { amount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        pdp["data"]["product"]["variants"][0]["price"]["amount"],
        from_ws["data"]["priceChanged"]["price"]["amount"]
    );
    ws.close().await;
}
