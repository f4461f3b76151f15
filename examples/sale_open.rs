//! The moment a flash sale opens: every variant of the sale category's products (the demo's
//! p000000..p000499 by default) gets its sale price at once, published as one burst to a
//! running Vitrine's broker (its embedded cluster in the demo). Prints how many records and
//! how long publishing them took.
//! Usage: sale_open BROKERS [prices_topic=vitrine.prices] [sale_products=500] [catalog=10000] [seed=42]

use std::time::{Duration, Instant};

use vitrine::demo::{CatalogGenerator, Publisher};
use vitrine::events::{Record, TopicMap};
use vitrine::views::ViewKind;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let brokers = arg(0, "127.0.0.1:9092");
    let topic = arg(1, "vitrine.prices");
    let sale: usize = arg(2, "500").parse().expect("sale products");
    let catalog: usize = arg(3, "10000").parse().expect("catalog products");
    let seed: u64 = arg(4, "42").parse().expect("seed");
    let sale_ids: std::collections::HashSet<String> =
        (0..sale).map(CatalogGenerator::product_id).collect();
    // The demo catalog's prices, for the sale's SKUs: 30% off, with versions past any the
    // demo's trickle reaches.
    let mut burst = vec![];
    CatalogGenerator::new(seed, catalog).baseline(|r| {
        let product = r.key.rsplit_once('-').map(|(p, _)| p.to_string());
        if r.kind != ViewKind::Prices || !product.is_some_and(|p| sale_ids.contains(&p)) {
            return;
        }
        let Some(mut price) = r
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_slice::<serde_json::Value>(p).ok())
        else {
            return;
        };
        let list = price["list"].as_i64().unwrap_or(0);
        price["sale"] = serde_json::json!(list * 7 / 10);
        price["version"] = serde_json::json!(1_000_000_000u64);
        burst.push(Record {
            kind: ViewKind::Prices,
            key: r.key.clone(),
            payload: Some(price.to_string().into_bytes()),
        });
    });
    let topics = TopicMap::new(&vitrine::config::TopicSettings {
        products: "unused.products".into(),
        prices: topic,
        inventory: "unused.inventory".into(),
        intl: "unused.intl".into(),
        reservations: String::new(),
    });
    let publisher = Publisher::connect(&brokers, topics).expect("producer");
    let started = Instant::now();
    for record in &burst {
        publisher.send(record).expect("queued");
    }
    let failed = publisher.flush(Duration::from_secs(30)).expect("flushed");
    println!(
        "SALE_OPEN records={} failed={failed} publish_ms={}",
        burst.len(),
        started.elapsed().as_millis()
    );
}
