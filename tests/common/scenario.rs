//! The edge-case scenario: a tombstone, an out-of-order version and a poison message in the
//! middle of a partition, then a live change. Replayed on the mock cluster and the real broker.

use std::time::Duration;

use serde_json::{json, Value};
use vitrine::demo::Publisher;
use vitrine::events::Record;
use vitrine::views::ViewKind;

use super::{wait_until, Client};

fn record(kind: ViewKind, key: &str, value: Option<Value>) -> Record {
    Record {
        kind,
        key: key.to_string(),
        payload: value.map(|v| serde_json::to_vec(&v).unwrap()),
    }
}

fn raw(kind: ViewKind, key: &str, bytes: &[u8]) -> Record {
    Record {
        kind,
        key: key.to_string(),
        payload: Some(bytes.to_vec()),
    }
}

fn product(id: &str, version: u64, skus: &[&str]) -> Value {
    let variants: Vec<Value> = skus
        .iter()
        .map(|s| json!({"sku": s, "size": "M"}))
        .collect();
    json!({"id": id, "version": version, "title": format!("Title {id}"), "brand": "Khaite",
           "categories": ["women/knitwear/sweaters"], "hsCode": "6110.12",
           "publishedAt": "2026-03-01T09:00:00Z", "variants": variants})
}

fn price(sku: &str, version: u64, list: i64, sale: Option<i64>) -> Value {
    let mut v = json!({"sku": sku, "version": version, "currency": "USD", "list": list});
    if let Some(s) = sale {
        v["sale"] = json!(s);
    }
    v
}

fn stock(sku: &str, version: u64, available: i32) -> Value {
    json!({"sku": sku, "version": version, "available": available})
}

/// The history published before Vitrine starts.
pub fn history() -> Vec<Record> {
    use ViewKind::*;
    vec![
        record(Products, "p1", Some(product("p1", 1, &["p1-a", "p1-b"]))),
        record(Products, "p2", Some(product("p2", 1, &["p2-a"]))),
        record(Prices, "p1-a", Some(price("p1-a", 1, 10000, None))),
        // Poison in the middle of p1-a's partition: skipped, the partition keeps flowing.
        raw(Prices, "p1-a", b"{this is not json"),
        record(Prices, "p1-a", Some(price("p1-a", 2, 12000, Some(9000)))),
        // Out of order: version 3 arrives after version 5 and must be ignored.
        record(Prices, "p1-b", Some(price("p1-b", 5, 5000, None))),
        record(Prices, "p1-b", Some(price("p1-b", 3, 99999, None))),
        record(Prices, "p2-a", Some(price("p2-a", 1, 700, None))),
        record(Inventory, "p1-a", Some(stock("p1-a", 1, 3))),
        record(Inventory, "p1-b", Some(stock("p1-b", 1, 0))),
        // Tombstone: p2 is gone.
        record(Products, "p2", None),
    ]
}

pub async fn publish(publisher: &Publisher, records: &[Record]) {
    for r in records {
        publisher.send(r).expect("queued");
    }
    let failed = publisher.flush(Duration::from_secs(20)).expect("flushed");
    assert_eq!(failed, 0, "all records acknowledged");
}

const PDP: &str = "query($id: ID!) { product(id: $id) { id title availableForSale
    priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
    variants { sku price { amount currencyCode } compareAtPrice { amount } quantityAvailable availableForSale } } }";

/// Checks the answers after [`history`] has been consumed.
pub async fn assert_history_applied(client: &Client) {
    let r = client.query(PDP, json!({"id": "p1"})).await;
    let p = &r["data"]["product"];
    assert_eq!(p["id"], "p1", "{r}");
    assert_eq!(p["availableForSale"], true);
    assert_eq!(p["priceRange"]["minVariantPrice"]["amount"], "50.00");
    assert_eq!(p["priceRange"]["maxVariantPrice"]["amount"], "90.00");
    let a = &p["variants"][0];
    assert_eq!(a["sku"], "p1-a");
    assert_eq!(
        a["price"]["amount"], "90.00",
        "version 2 after the poison message"
    );
    assert_eq!(a["compareAtPrice"]["amount"], "120.00");
    assert_eq!(a["quantityAvailable"], 3);
    assert_eq!(a["availableForSale"], true);
    let b = &p["variants"][1];
    assert_eq!(b["price"]["amount"], "50.00", "older version 3 ignored");
    assert_eq!(b["compareAtPrice"], Value::Null);
    assert_eq!(b["availableForSale"], false, "no stock");

    let r = client.query(PDP, json!({"id": "p2"})).await;
    assert_eq!(r["data"]["product"], Value::Null, "tombstoned: {r}");

    let health = client.health().await;
    let views = &health["views"];
    assert_eq!(views["prices"]["ingest"]["malformed"], 1, "{health}");
    assert_eq!(views["prices"]["ingest"]["stale"], 1, "{health}");
    assert_eq!(views["products"]["ingest"]["deleted"], 1, "{health}");
    assert_eq!(views["products"]["records"], 1, "{health}");
}

/// Publishes a live price change and waits until the PDP shows it.
pub async fn assert_live_change_arrives(client: &Client, publisher: &Publisher) {
    let change = [record(
        ViewKind::Prices,
        "p1-b",
        Some(price("p1-b", 6, 4000, None)),
    )];
    publish(publisher, &change).await;
    let client = client.clone();
    wait_until("the live price change", Duration::from_secs(20), || {
        let c = client.clone();
        async move {
            let r = c.query(PDP, json!({"id": "p1"})).await;
            (r["data"]["product"]["variants"][1]["price"]["amount"] == "40.00").then_some(())
        }
    })
    .await;
}
