//! Three banners on the real broker: `main` (every product) and `outlet` (women's knitwear and
//! men's shirts, its own price list) on one stock pool, `flash` (women's) with a pool of its own
//! (its own inventory and reservations topics, its own decider). Pages, prices, holds and
//! quotes, country prices and subscriptions per banner with no leak between them, and every
//! banner restored exactly after kill -9.

use std::time::Duration;

use serde_json::{json, Value};
use vitrine::config::Settings;
use vitrine::demo::Publisher;
use vitrine::events::{Record, TopicMap};
use vitrine::views::ViewKind;

use crate::broker::Broker;
use crate::common::live::{Protocol, WsClient};
use crate::common::{fresh_topics, scenario, wait_until, Client};
use crate::process::{feed_configured, Vitrine};
use crate::snapshots::temp_dir;

const PAGE: &str = "query($id: ID!) { product(id: $id) { id
    variants { sku quote price { amount } quantityAvailable availableForSale } } }";
const RESERVE: &str = "mutation($sku: ID!, $key: String!) {
    reserve(lines: [{sku: $sku, quantity: 1}], idempotencyKey: $key) { status lines { held } } }";
const LISTING: &str = "{ products(first: 100) { totalCount edges { node { id } } } }";

async fn at(client: &Client, banner: &str, query: &str, variables: Value) -> Value {
    client
        .http
        .post(format!("{}/b/{banner}/graphql", client.base))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn variant<'a>(page: &'a Value, sku: &str) -> &'a Value {
    let variants = page["data"]["product"]["variants"].as_array();
    let variants = variants.unwrap_or_else(|| panic!("{page}"));
    variants.iter().find(|v| v["sku"] == sku).unwrap()
}

/// Reserves one unit through `banner`, retrying while the outcome is unknown.
async fn hold(client: &Client, banner: &str, sku: &str, key: &str) {
    let vars = json!({"sku": sku, "key": key});
    loop {
        let r = at(client, banner, RESERVE, vars.clone()).await;
        if r["data"]["reserve"].is_object() {
            assert_eq!(r["data"]["reserve"]["lines"][0]["held"], 1, "{r}");
            return;
        }
        assert_eq!(
            r["errors"][0]["extensions"]["code"], "RESERVATION_TIMEOUT",
            "{r}"
        );
    }
}

/// What each banner shows of `id` and its listing (quotes aside: they carry their expiry).
async fn views(client: &Client, id: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for banner in ["main", "outlet", "flash"] {
        let mut page = at(client, banner, PAGE, json!({"id": id})).await;
        for v in page["data"]["product"]["variants"].as_array_mut().unwrap() {
            v["quote"] = Value::Null;
        }
        seen.push(page["data"].clone());
        seen.push(at(client, banner, LISTING, json!({})).await["data"].clone());
    }
    seen
}

#[tokio::test]
async fn banners_share_what_they_share_and_nothing_else() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-banners");
    let (outlet_prices, flash_stock, flash_holds) = (
        format!("{}.outlet", topics.prices),
        format!("{}.flash", topics.inventory),
        format!("{}.flash", topics.reservations),
    );
    let dir = temp_dir("banners");
    let config = dir.join("banners.toml");
    let banners = format!(
        "[[banners]]\nname = \"main\"\n[[banners]]\nname = \"outlet\"\n\
         prices_topic = \"{outlet_prices}\"\n[banners.assortment]\n\
         include_categories = [\"women/knitwear\", \"men/shirts\"]\n\
         [[banners]]\nname = \"flash\"\ninventory_topic = \"{flash_stock}\"\n\
         reservations_topic = \"{flash_holds}\"\n[banners.assortment]\n\
         include_categories = [\"women\"]\n"
    );
    std::fs::write(&config, &banners).unwrap();
    // The feed publishes every price list (the outlet's derived from main's) and creates
    // every banner's topics.
    feed_configured(&broker.address, &topics, 30, &[], Some(&config));
    let settings = Settings::defaults()
        .with_overrides(&format!("{}\n[topics]\nproducts = \"{}\"\nprices = \"{}\"\ninventory = \"{}\"\nintl = \"{}\"\nreservations = \"{}\"\n",
            banners, topics.products, topics.prices, topics.inventory, topics.intl, topics.reservations))
        .unwrap();
    let map = TopicMap::for_banners(&settings.resolved_banners().unwrap(), &settings.topics);
    let publisher = Publisher::connect(&broker.address, map).unwrap();

    let snapshot_dir = dir.join("snapshots");
    let env = [
        ("VITRINE_SNAPSHOT__DIR", snapshot_dir.to_str().unwrap()),
        ("VITRINE_SNAPSHOT__INTERVAL_SECS", "1"),
    ];
    let vitrine = Vitrine::start_configured(&broker.address, &topics, &env, Some(&config));
    vitrine.client.wait_ready().await;
    let client = vitrine.client.clone();

    // A product all three sell (women's knitwear), and one of its SKUs.
    let outlet = at(&client, "outlet", LISTING, json!({})).await;
    let flash = at(&client, "flash", LISTING, json!({})).await;
    let ids = |listing: &Value| -> Vec<String> {
        let edges = listing["data"]["products"]["edges"].as_array().unwrap();
        let id = |e: &Value| e["node"]["id"].as_str().unwrap().to_string();
        edges.iter().map(id).collect()
    };
    let flash_ids = ids(&flash);
    let id = ids(&outlet).into_iter().find(|id| flash_ids.contains(id));
    let id = id.expect("women's knitwear");
    let main_page = at(&client, "main", PAGE, json!({"id": id})).await;
    let sku = main_page["data"]["product"]["variants"][0]["sku"]
        .as_str()
        .unwrap()
        .to_string();
    // Stock: 10 in the shared pool, 4 in the flash pool.
    let stock = |version: u64, n: i32| Record {
        kind: ViewKind::Inventory,
        key: sku.clone(),
        payload: Some(
            json!({"sku": sku, "version": version, "available": n})
                .to_string()
                .into_bytes(),
        ),
    };
    publisher.send(&stock(10_000, 10)).unwrap();
    publisher.send_to(&flash_stock, &stock(10_000, 4)).unwrap();
    scenario::publish(&publisher, &[]).await;
    let quantities = || async {
        let mut q = Vec::new();
        for banner in ["main", "outlet", "flash"] {
            let page = at(&client, banner, PAGE, json!({"id": id})).await;
            q.push(variant(&page, &sku)["quantityAvailable"].as_i64().unwrap());
        }
        q
    };
    wait_until("stock in both pools", Duration::from_secs(20), || async {
        (quantities().await == [10, 10, 4]).then_some(())
    })
    .await;

    // One SKU at two prices; flash shares main's list.
    let price = |page: &Value| {
        variant(page, &sku)["price"]["amount"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let pages: Vec<Value> = futures::future::join_all(
        ["main", "outlet", "flash"].map(|b| at(&client, b, PAGE, json!({"id": id}))),
    )
    .await;
    assert_ne!(price(&pages[0]), price(&pages[1]), "the outlet's own price");
    assert_eq!(
        price(&pages[0]),
        price(&pages[2]),
        "flash sells at main's list"
    );
    let main_total =
        at(&client, "main", LISTING, json!({})).await["data"]["products"]["totalCount"].as_i64();
    let outlet_total = outlet["data"]["products"]["totalCount"].as_i64();
    assert!(
        outlet_total < main_total,
        "{outlet_total:?} of {main_total:?}"
    );

    // Country prices per banner: landed from each banner's own list.
    let gb_page = "query($id: ID!) { product(id: $id, country: \"GB\") { variants { sku price { amount currencyCode } } } }";
    let gb: Vec<Value> = futures::future::join_all(
        ["main", "outlet", "flash"].map(|b| at(&client, b, gb_page, json!({"id": id}))),
    )
    .await;
    let gb_price = |page: &Value| variant(page, &sku)["price"].clone();
    assert_eq!(gb_price(&gb[0])["currencyCode"], "GBP", "{}", gb[0]);
    assert_ne!(
        gb_price(&gb[0]),
        gb_price(&gb[1]),
        "the outlet's list, landed"
    );
    assert_eq!(gb_price(&gb[0]), gb_price(&gb[2]));

    // Subscriptions per banner: each hears its own list's and its own pool's changes.
    let mut subscribers = Vec::new();
    for banner in ["main", "outlet", "flash"] {
        let mut ws = WsClient::connect(&client.base, Protocol::TransportWs).await;
        let watch = format!(
            "subscription @inContext(banner: \"{banner}\") {{ inventoryChanged(skus: [\"{sku}\"]) {{ quantityAvailable }} }}"
        );
        ws.subscribe("s", &watch).await;
        subscribers.push(ws);
    }
    wait_until("three subscriptions", Duration::from_secs(10), || async {
        let h = client.health().await;
        (h["subscriptions"]["active"] == 3).then_some(())
    })
    .await;
    publisher.send(&stock(10_001, 12)).unwrap();
    scenario::publish(&publisher, &[]).await;
    for ws in &mut subscribers[..2] {
        let event = ws.next_payload().await;
        assert_eq!(
            event["data"]["inventoryChanged"]["quantityAvailable"], 12,
            "{event}"
        );
    }
    let quiet =
        tokio::time::timeout(Duration::from_millis(500), subscribers[2].next_payload()).await;
    assert!(quiet.is_err(), "flash's pool did not move: {quiet:?}");
    publisher.send_to(&flash_stock, &stock(10_001, 5)).unwrap();
    scenario::publish(&publisher, &[]).await;
    let event = subscribers[2].next_payload().await;
    assert_eq!(
        event["data"]["inventoryChanged"]["quantityAvailable"], 5,
        "{event}"
    );
    drop(subscribers);
    wait_until("stock in both pools", Duration::from_secs(20), || async {
        (quantities().await == [12, 12, 5]).then_some(())
    })
    .await;

    // A hold through the outlet is gone from main at once, never from flash's pool; a hold
    // through flash is decided by flash's pool alone.
    hold(&client, "outlet", &sku, "o-1").await;
    assert_eq!(quantities().await, [11, 11, 5]);
    hold(&client, "flash", &sku, "f-1").await;
    assert_eq!(quantities().await, [11, 11, 4]);

    // A quote shown by main is refused at the outlet's checkout.
    let quote = variant(&pages[0], &sku)["quote"]
        .as_str()
        .unwrap()
        .to_string();
    let checkout = "query($lines: [CheckoutLineInput!]!) { checkout(country: \"US\", lines: $lines) { total { amount } } }";
    let lines = json!({"lines": [{"sku": sku, "quantity": 1, "quote": quote}]});
    let crossed = at(&client, "outlet", checkout, lines.clone()).await;
    assert_eq!(
        crossed["errors"][0]["extensions"]["code"], "INVALID_QUOTE",
        "{crossed}"
    );
    let own = at(&client, "main", checkout, lines).await;
    assert!(own["errors"].is_null(), "{own}");

    // kill -9 and restart: every banner comes back exactly (from the snapshot, then the log).
    let before = views(&client, &id).await;
    wait_until("a snapshot", Duration::from_secs(20), || async {
        (!vitrine::snapshot::list_snapshots(&snapshot_dir).is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    drop(vitrine);
    let again = Vitrine::start_configured(&broker.address, &topics, &env, Some(&config));
    again.client.wait_ready().await;
    assert_eq!(views(&again.client, &id).await, before);
    let restored = again
        .logs()
        .iter()
        .any(|l| l.contains("snapshot") && l.contains("loaded"));
    assert!(restored, "started from its snapshot");
}
