//! Fan-out of one FX move: N GraphQL subscribers (graphql-transport-ws) of `priceChanged` in
//! one country with no filter, then one new pricing context for that country produced to the
//! intl topic. Reports when each subscriber got its first and last message after the produce
//! (an event or a resync), and the views' largest ingest lag (`/health/ready`, sampled every
//! 50 ms) meanwhile.
//!
//! Usage: fx_fanout BROKERS VITRINE_HOST:PORT [subscribers=1000] [country=GB] [intl_topic]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::ClientConfig;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// What one subscriber saw after the produce: first and last message times, events, resyncs.
#[derive(Default, Clone, Copy)]
struct Seen {
    first: Option<Duration>,
    last: Option<Duration>,
    events: u64,
    resyncs: u64,
}

async fn subscriber(
    url: String,
    country: String,
    since: Arc<Mutex<Option<Instant>>>,
    seen: Arc<Mutex<Seen>>,
    ready: tokio::sync::mpsc::UnboundedSender<()>,
) {
    let mut request = url.into_client_request().unwrap();
    let protocol = "graphql-transport-ws".parse().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol);
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let init = json!({"type": "connection_init"}).to_string();
    ws.send(WsMessage::text(init)).await.unwrap();
    let query = format!("subscription {{ priceChanged(country: \"{country}\") {{ sku resync }} }}");
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query}});
    ws.send(WsMessage::text(subscribe.to_string()))
        .await
        .unwrap();
    let _ = ready.send(());
    while let Some(Ok(message)) = ws.next().await {
        let Some(t0) = *since.lock().unwrap() else {
            continue;
        };
        let WsMessage::Text(text) = message else {
            continue;
        };
        let v: Value = serde_json::from_str(&text).unwrap_or_default();
        let change = &v["payload"]["data"]["priceChanged"];
        if change.is_null() {
            continue;
        }
        let at = t0.elapsed();
        let mut s = seen.lock().unwrap();
        s.first.get_or_insert(at);
        s.last = Some(at);
        if change["resync"].as_bool() == Some(true) {
            s.resyncs += 1;
        } else {
            s.events += 1;
        }
    }
}

/// The largest `lagMs` of any view in the health report.
async fn max_lag_ms(client: &reqwest::Client, url: &str) -> i64 {
    let Ok(response) = client.get(url).send().await else {
        return -1;
    };
    let health: Value = response.json().await.unwrap_or_default();
    let views = health["views"].as_object().cloned().unwrap_or_default();
    views
        .values()
        .filter_map(|v| v["lagMs"].as_i64())
        .max()
        .unwrap_or(-1)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let (brokers, host) = (arg(0, "127.0.0.1:9092"), arg(1, "127.0.0.1:8080"));
    let subscribers: usize = arg(2, "1000").parse().unwrap();
    let (country, topic) = (arg(3, "GB"), arg(4, "vitrine.intl"));

    let since = Arc::new(Mutex::new(None));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
    let seen: Vec<Arc<Mutex<Seen>>> = (0..subscribers).map(|_| Arc::default()).collect();
    for s in &seen {
        let url = format!("ws://{host}/graphql");
        let task = subscriber(
            url,
            country.clone(),
            since.clone(),
            s.clone(),
            ready_tx.clone(),
        );
        tokio::spawn(task);
    }
    for _ in 0..subscribers {
        ready_rx.recv().await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    let client = reqwest::Client::new();
    let health = format!("http://{host}/health/ready");
    let before = max_lag_ms(&client, &health).await;
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("linger.ms", "0")
        .create()
        .unwrap();
    let version = vitrine::clock::since_epoch().as_micros() as u64;
    // A rate no earlier run used, so every shown price in the country moves.
    let fx = format!("0.{:04}", 7000 + version % 2000);
    let record = json!({"country": country, "version": version, "currency": "GBP",
        "minorUnits": 2, "fxRate": fx, "dutyRates": {"61": 1200, "*": 500}, "taxRate": 2000,
        "shipping": {"flat": 495}});
    *since.lock().unwrap() = Some(Instant::now());
    let payload = record.to_string();
    let _ = producer.send(BaseRecord::to(&topic).key(&country).payload(&payload));
    producer.flush(Duration::from_secs(10)).unwrap();
    let mut lag = before;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        lag = lag.max(max_lag_ms(&client, &health).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let seen: Vec<Seen> = seen.iter().map(|s| *s.lock().unwrap()).collect();
    let mut first: Vec<Duration> = seen.iter().filter_map(|s| s.first).collect();
    first.sort();
    let last = seen.iter().filter_map(|s| s.last).max().unwrap_or_default();
    let at = |p: f64| first.get(((first.len() as f64 - 1.0) * p).round() as usize);
    let (events, resyncs): (u64, u64) = (
        seen.iter().map(|s| s.events).sum(),
        seen.iter().map(|s| s.resyncs).sum(),
    );
    println!(
        "FANOUT subscribers={subscribers} reached={} first_p50_ms={:.1} first_p99_ms={:.1} \
         first_max_ms={:.1} last_ms={:.1} events={events} resyncs={resyncs} max_lag_ms={lag}",
        first.len(),
        at(0.5).map_or(f64::NAN, |d| ms(*d)),
        at(0.99).map_or(f64::NAN, |d| ms(*d)),
        first.last().map_or(f64::NAN, |d| ms(*d)),
        ms(last),
    );
    std::process::exit(0);
}
