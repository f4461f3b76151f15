//! `reserve` latency against the broker's produce-to-consume floor, in one run, and
//! reservations per second sustained.
//!
//! The floor: one message at a time produced (acks=all, idempotent, like the reservation desk)
//! to a topic of its own and read back by a bare rdkafka consumer with the same
//! `fetch.wait.max.ms` as Vitrine: what any write-then-read-back through this broker costs.
//! Then `reserve` of one unit, one call at a time (same shape: produce, wait until applied),
//! then `workers` concurrent callers for `seconds`.
//!
//! With several replicas (`VITRINE_URL` a comma-separated list) calls go to each in turn, as a
//! load balancer would send them; every decision is written by the partition's owner.
//!
//! Usage: reserve_latency BROKERS VITRINE_URL[,URL...] SKU [samples=300] [workers=16] [seconds=10]

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let (p50, p99) = (percentile(&ms, 0.5), percentile(&ms, 0.99));
    println!(
        "RESULT {name} samples={} p50_ms={p50:.2} p99_ms={p99:.2}",
        ms.len()
    );
    (p50, p99)
}

async fn floor(brokers: &str, samples: usize) -> Vec<f64> {
    let topic = format!("bench-floor-{}", std::process::id());
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let _ = admin
        .create_topics(
            &[NewTopic::new(&topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "0")
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "bench-floor")
        .set("fetch.wait.max.ms", "10")
        .set("fetch.min.bytes", "1")
        .set("auto.offset.reset", "latest")
        .create()
        .unwrap();
    let mut list = rdkafka::TopicPartitionList::new();
    list.add_partition_offset(&topic, 0, rdkafka::Offset::End)
        .unwrap();
    consumer.assign(&list).unwrap();
    let consumer = std::sync::Arc::new(consumer);
    let mut out = vec![];
    for i in 0..samples + 20 {
        let key = format!("k{i}");
        let started = Instant::now();
        producer
            .send(
                FutureRecord::to(&topic).key(&key).payload("x"),
                Duration::from_secs(5),
            )
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        let c = std::sync::Arc::clone(&consumer);
        let seen = tokio::task::spawn_blocking(move || loop {
            if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
                if m.key() == Some(key.as_bytes()) {
                    return true;
                }
            }
            if started.elapsed() > Duration::from_secs(10) {
                return false;
            }
        })
        .await
        .unwrap();
        assert!(seen, "the floor message came back");
        if i >= 20 {
            out.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    out
}

/// Calls of `reserve` whose outcome was unknown (`RESERVATION_TIMEOUT`, e.g. while the
/// deciders' group hands partitions over) and were retried with the same key, as clients must.
static RETRIED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn reserve(http: &reqwest::Client, url: &str, sku: &str, key: &str) -> Value {
    let query = "mutation($sku: ID!, $key: String!) { reserve(lines: [{sku: $sku, quantity: 1}], idempotencyKey: $key, ttlSeconds: 60) { status } }";
    loop {
        let answer: Value = http
            .post(url)
            .json(&json!({"query": query, "variables": {"sku": sku, "key": key}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if answer["errors"][0]["extensions"]["code"] != "RESERVATION_TIMEOUT" {
            return answer;
        }
        RETRIED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Gives `sku` a billion units and waits until Vitrine shows them.
async fn stock_up(brokers: &str, http: &reqwest::Client, base: &str, sku: &str) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let record = json!({"sku": sku, "version": 9_000_000_000u64, "available": 1_000_000_000});
    producer
        .send(
            FutureRecord::to("vitrine.inventory")
                .key(sku)
                .payload(&record.to_string()),
            Duration::from_secs(5),
        )
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let product = sku.rsplit_once('-').map_or(sku, |(p, _)| p);
    let query =
        format!("{{ product(id: \"{product}\") {{ variants {{ sku quantityAvailable }} }} }}");
    for _ in 0..200 {
        let r: Value = http
            .post(format!("{base}/graphql"))
            .json(&json!({"query": query}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stocked = r["data"]["product"]["variants"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v["sku"] == sku && v["quantityAvailable"].as_i64() > Some(1_000_000));
        if stocked {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the stock record never showed");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bases: Vec<String> = args[2].split(',').map(String::from).collect();
    let urls: Vec<String> = bases.iter().map(|b| format!("{b}/graphql")).collect();
    let (brokers, sku) = (&args[1], args[3].clone());
    let arg = |i: usize, d: usize| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(d);
    let (samples, workers, seconds) = (arg(4, 300), arg(5, 16), arg(6, 10));
    let run = std::process::id();

    let floor_ms = floor(brokers, samples).await;
    let (f50, f99) = report("floor_produce_to_consume", floor_ms);

    let http = reqwest::Client::new();
    for base in &bases {
        stock_up(brokers, &http, base, &sku).await;
    }
    let mut ms = vec![];
    for i in 0..samples + 20 {
        let started = Instant::now();
        let url = &urls[i % urls.len()];
        let r = reserve(&http, url, &sku, &format!("seq-{run}-{i}")).await;
        assert_eq!(r["data"]["reserve"]["status"], "HELD", "{r}");
        if i >= 20 {
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let (r50, r99) = report("reserve_one_at_a_time", ms);
    println!(
        "RESULT reserve_over_floor p50_ms={:.2} p99_ms={:.2}",
        r50 - f50,
        r99 - f99
    );

    let deadline = Instant::now() + Duration::from_secs(seconds as u64);
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..workers {
        let (http, urls, sku) = (http.clone(), urls.clone(), sku.clone());
        tasks.spawn(async move {
            let (mut done, mut ms) = (0usize, vec![]);
            while Instant::now() < deadline {
                let started = Instant::now();
                let url = &urls[(w + done) % urls.len()];
                let r = reserve(&http, url, &sku, &format!("par-{run}-{w}-{done}")).await;
                assert_eq!(r["data"]["reserve"]["status"], "HELD", "{r}");
                ms.push(started.elapsed().as_secs_f64() * 1000.0);
                done += 1;
            }
            ms
        });
    }
    let mut all = vec![];
    while let Some(ms) = tasks.join_next().await {
        all.extend(ms.unwrap());
    }
    println!(
        "RESULT sustained workers={workers} reservations_per_s={:.0}",
        all.len() as f64 / seconds as f64
    );
    println!("RESULT holds_total={}", all.len() + samples + 20);
    println!(
        "RESULT retried_after_unknown_outcome={}",
        RETRIED.load(std::sync::atomic::Ordering::Relaxed)
    );
    report("reserve_under_load", all);
}
