//! On the real broker: an FX update from the pricing partner lands between a listing and a
//! checkout; the checkout honours the listed quote and reports the change.

use serde_json::json;
use vitrine::demo::{ensure_topics, Publisher};
use vitrine::events::Record;
use vitrine::events::TopicMap;
use vitrine::views::ViewKind;

use crate::broker::Broker;
use crate::common::{fresh_topics, scenario, wait_until};
use crate::process::Vitrine;

fn gb(version: u64, fx: &str) -> Record {
    let value = json!({"country": "GB", "version": version, "currency": "GBP", "minorUnits": 2,
        "fxRate": fx, "dutyRates": {"61": 1200, "6110": 1600, "*": 500}, "taxRate": 2000,
        "rounding": {"increment": 100, "minus": 1}, "shipping": {"flat": 1500, "freeOver": 25000}});
    Record {
        kind: ViewKind::Intl,
        key: "GB".into(),
        payload: Some(serde_json::to_vec(&value).unwrap()),
    }
}

const LISTING: &str = "{ products(first: 10, country: \"GB\", sortKey: PRICE) { edges { node { id
    variants { sku price { amount currencyCode } quote } } } } }";
const CHECKOUT: &str = "query($lines: [CheckoutLineInput!]!) { checkout(country: \"GB\", lines: $lines) {
    currencyCode lines { sku unitPrice { amount } repriced { from { amount } to { amount } reason } }
    total { amount } } }";

#[tokio::test]
async fn fx_update_between_listing_and_checkout() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-intl");
    let map = TopicMap::new(&topics);
    ensure_topics(&broker.address, &map, 3)
        .await
        .expect("topics created");
    let publisher = Publisher::connect(&broker.address, map).unwrap();
    let mut history = scenario::history();
    history.push(gb(1, "0.7893"));
    scenario::publish(&publisher, &history).await;

    let vitrine = Vitrine::start(&broker.address, &topics);
    vitrine.client.wait_ready().await;
    let listing = vitrine.client.query(LISTING, json!({})).await;
    let node = &listing["data"]["products"]["edges"][0]["node"];
    assert_eq!(node["id"], "p1", "{listing}");
    // p1-a sells at 90.00 USD: 71.04 GBP, duty 16% 11.37, VAT 20% 16.48 -> 98.89 -> 98.99
    let variant = &node["variants"][0];
    assert_eq!(
        variant["price"],
        json!({"amount": "98.99", "currencyCode": "GBP"})
    );
    let quote = variant["quote"].as_str().unwrap().to_string();

    scenario::publish(&publisher, &[gb(2, "0.8100")]).await;
    let client = vitrine.client.clone();
    let pdp = "{ product(id: \"p1\", country: \"GB\") { variants { price { amount } } } }";
    let moved = wait_until("the FX update", std::time::Duration::from_secs(20), || {
        let c = client.clone();
        async move {
            let r = c.query(pdp, json!({})).await;
            let price = r["data"]["product"]["variants"][0]["price"]["amount"].clone();
            (price != "98.99").then_some(price)
        }
    })
    .await;
    // 90.00 * 0.81 = 72.90, duty 11.66, VAT 16.91 -> 101.47 -> 101.99
    assert_eq!(moved, "101.99");

    let lines = json!({"lines": [{"sku": "p1-a", "quantity": 1, "quote": quote}]});
    let r = vitrine.client.query(CHECKOUT, lines).await;
    let line = &r["data"]["checkout"]["lines"][0];
    assert_eq!(
        line["unitPrice"]["amount"], "98.99",
        "the quote is honoured: {r}"
    );
    assert_eq!(
        line["repriced"],
        json!({"from": {"amount": "98.99"}, "to": {"amount": "101.99"}, "reason": "PRICE_CHANGED"})
    );
}
