//! Produce-to-subscriber latency: N GraphQL subscribers (graphql-transport-ws) on a running
//! Vitrine, and beside them a bare rdkafka consumer of the same topic on the same broker (the
//! floor). Each price update carries its produce time (Unix µs) as `version`, which both sides
//! read back. Also reports Vitrine's memory per idle subscriber (VmRSS before/after connecting).
//!
//! Usage: sub_latency BROKERS VITRINE_URL VITRINE_PID PRICES_TOPIC [subscribers=1000]
//!        [skus=100] [rate_per_s=200] [seconds=20]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn now_micros() -> i64 {
    vitrine::clock::since_epoch().as_micros() as i64
}

fn rss_kib(pid: &str) -> i64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn sku(i: usize) -> String {
    format!("p{:06}-0", i)
}

/// One subscriber: sends each event's latency (µs) to `out`.
async fn subscriber(
    url: String,
    sku: String,
    out: mpsc::UnboundedSender<i64>,
    ready: mpsc::UnboundedSender<()>,
) {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    ws.send(WsMessage::text(
        json!({"type": "connection_init"}).to_string(),
    ))
    .await
    .unwrap();
    let query = format!("subscription {{ priceChanged(skus: [\"{sku}\"]) {{ version resync }} }}");
    ws.send(WsMessage::text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": query}}).to_string(),
    ))
    .await
    .unwrap();
    let _ = ready.send(());
    while let Some(Ok(message)) = ws.next().await {
        let received = now_micros();
        let WsMessage::Text(text) = message else {
            continue;
        };
        let v: Value = serde_json::from_str(&text).unwrap_or_default();
        if let Some(version) = v["payload"]["data"]["priceChanged"]["version"].as_str() {
            let _ = out.send(received - version.parse::<i64>().unwrap_or(received));
        }
    }
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let (brokers, url, pid, topic) = (
        arg(0, "127.0.0.1:9092"),
        arg(1, "ws://127.0.0.1:8080/graphql"),
        arg(2, "0"),
        arg(3, "vitrine.prices"),
    );
    let subscribers: usize = arg(4, "1000").parse().unwrap();
    let skus: usize = arg(5, "100").parse().unwrap();
    let rate: u64 = arg(6, "200").parse().unwrap();
    let seconds: u64 = arg(7, "20").parse().unwrap();

    // Connect the subscribers, and measure memory per idle subscriber.
    let rss_before = rss_kib(&pid);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    for i in 0..subscribers {
        tokio::spawn(subscriber(
            url.clone(),
            sku(i % skus),
            tx.clone(),
            ready_tx.clone(),
        ));
    }
    for _ in 0..subscribers {
        ready_rx.recv().await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_kib(&pid);

    // The floor: a bare consumer of the same topic, from the end, same fetch wait.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let floor_stop = stop.clone();
    let floor_brokers = brokers.clone();
    let floor_topic = topic.clone();
    let floor = std::thread::spawn(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &floor_brokers)
            .set("group.id", "bench-floor")
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "10")
            .set("fetch.min.bytes", "1")
            .create()
            .unwrap();
        let meta = consumer
            .fetch_metadata(Some(&floor_topic), Duration::from_secs(5))
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for p in meta.topics()[0].partitions() {
            tpl.add_partition_offset(&floor_topic, p.id(), Offset::End)
                .unwrap();
        }
        consumer.assign(&tpl).unwrap();
        let mut samples = vec![];
        let mut seen = std::collections::HashSet::new();
        while !floor_stop.load(std::sync::atomic::Ordering::Relaxed) {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                let received = now_micros();
                let v: Value =
                    serde_json::from_slice(m.payload().unwrap_or_default()).unwrap_or_default();
                // Count each update once, as Vitrine's version rule does with redeliveries.
                if let Some(version) = v["version"].as_i64().filter(|v| seen.insert(*v)) {
                    samples.push(received - version);
                }
            }
        }
        samples
    });
    tokio::time::sleep(Duration::from_secs(2)).await;

    // A steady stream of price updates, round-robin over the subscribed SKUs.
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("linger.ms", "0")
        .create()
        .unwrap();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let total = rate * seconds;
    for n in 0..total {
        ticker.tick().await;
        let s = sku(n as usize % skus);
        let version = now_micros();
        let value = json!({"sku": s, "version": version, "currency": "USD", "list": 10_000 + (n % 1000) as i64 * 7 + 1});
        let payload = value.to_string();
        let _ = producer.send(BaseRecord::to(&topic).key(&s).payload(&payload));
    }
    producer.flush(Duration::from_secs(10)).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut floor_samples = floor.join().unwrap();
    drop(tx);
    let mut sub_samples = vec![];
    while let Ok(s) = rx.try_recv() {
        sub_samples.push(s);
    }
    sub_samples.sort_unstable();
    floor_samples.sort_unstable();
    let expected = total as usize * subscribers / skus;
    println!("updates={total} rate={rate}/s subscribers={subscribers} skus={skus}");
    println!("| path | events | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    println!(
        "| bare rdkafka consumer (floor) | {} | {:.2} | {:.2} |",
        floor_samples.len(),
        percentile(&floor_samples, 0.5),
        percentile(&floor_samples, 0.99)
    );
    println!(
        "| vitrine subscriber (WebSocket) | {} of {expected} | {:.2} | {:.2} |",
        sub_samples.len(),
        percentile(&sub_samples, 0.5),
        percentile(&sub_samples, 0.99)
    );
    println!("memory per idle subscriber: {:.1} KiB (VmRSS {rss_before} -> {rss_after} KiB for {subscribers})", (rss_after - rss_before) as f64 / subscribers as f64);
    std::process::exit(0);
}
