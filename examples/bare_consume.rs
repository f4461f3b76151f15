//! The ingest floor: a bare rdkafka consumer reading every partition of the given topics from
//! the beginning up to the high watermarks seen at start, with Vitrine's consumer settings,
//! doing nothing with the messages. Prints messages, seconds and messages/s.
//!
//! Usage: bare_consume BROKERS TOPIC [TOPIC...]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

fn main() {
    let mut args = std::env::args().skip(1);
    let brokers = args.next().expect("usage: bare_consume BROKERS TOPIC...");
    let topics: Vec<String> = args.collect();
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &brokers)
        .set("group.id", "bench-bare")
        .set("enable.auto.commit", "false")
        // The same consumer settings as Vitrine's ingest (src/ingest/consumer.rs).
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "10")
        .set("fetch.min.bytes", "1")
        .set("socket.nagle.disable", "true")
        .set("queued.min.messages", "1000000")
        .set("fetch.queue.backoff.ms", "10")
        .set("queued.max.messages.kbytes", "2048");
    // Extra librdkafka settings as KEY=VALUE pairs in $BARE_CONFIG (comma-separated).
    for pair in std::env::var("BARE_CONFIG")
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').expect("KEY=VALUE");
        config.set(k, v);
    }
    let consumer: BaseConsumer = config.create().unwrap();
    let mut assignment = TopicPartitionList::new();
    let mut remaining: HashMap<(String, i32), i64> = HashMap::new();
    let mut total = 0i64;
    for topic in &topics {
        let meta = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .unwrap();
        for p in meta.topics()[0].partitions() {
            let (low, high) = consumer
                .fetch_watermarks(topic, p.id(), Duration::from_secs(10))
                .unwrap();
            if high > low {
                remaining.insert((topic.clone(), p.id()), high);
                total += high - low;
            }
            assignment
                .add_partition_offset(topic, p.id(), Offset::Beginning)
                .unwrap();
        }
    }
    consumer.assign(&assignment).unwrap();
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut messages = 0i64;
    while !remaining.is_empty() {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            messages += 1;
            bytes += m.payload().map_or(0, <[u8]>::len);
            let key = (m.topic().to_string(), m.partition());
            if remaining
                .get(&key)
                .is_some_and(|high| m.offset() + 1 >= *high)
            {
                remaining.remove(&key);
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "BARE messages={messages} expected={total} bytes={bytes} seconds={secs:.2} rate={:.0}",
        messages as f64 / secs
    );
}
