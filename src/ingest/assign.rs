//! Assigning every partition of the view topics to the consumer, at the offsets a snapshot (or
//! the beginning) says, recording each partition's high watermark for readiness and lag.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::{Offset, TopicPartitionList};

use super::catch_up::CatchUp;
use super::waiting::{Unready, WaitLog};
use crate::events::TopicMap;
use crate::status::{PartitionProgress, Progress};

/// Where consumption starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    /// Exact next offsets per (topic, partition); partitions not listed start at the beginning.
    Offsets(HashMap<(String, i32), i64>),
    /// Offsets Kafka gives for this time (Unix ms), for baselines that know no offsets.
    Time(i64),
}

/// Each partition's (log start, high watermark), by (topic, partition).
pub type Watermarks = HashMap<(String, i32), (i64, i64)>;

/// Waits until every topic exists and returns the watermarks of all their partitions; `None`
/// if asked to stop first.
pub fn wait_for_watermarks<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topics: &TopicMap,
    timeout: Duration,
    stop: &AtomicBool,
) -> Option<Watermarks> {
    let mut log = WaitLog::default();
    loop {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        match partitions(consumer, topics, timeout) {
            Ok(found) => {
                return Some(
                    found
                        .into_iter()
                        .map(|(t, p, low, high)| ((t, p), (low, high)))
                        .collect(),
                )
            }
            Err(why) => {
                log.say(topics, why);
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// The consumer thread's handles on each partition's progress, by topic then partition.
pub type PartitionIndex = HashMap<String, HashMap<i32, Arc<PartitionProgress>>>;

/// Waits until every topic exists, then assigns all partitions. `None` if asked to stop first.
pub fn assign_all<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topics: &TopicMap,
    start: &StartAt,
    progress: &Progress,
    timeout: Duration,
    stop: &AtomicBool,
) -> Option<(CatchUp, PartitionIndex)> {
    let mut log = WaitLog::default();
    loop {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        match try_assign(consumer, topics, start, progress, timeout) {
            Ok(assigned) => return Some(assigned),
            Err(why) => {
                log.say(topics, why);
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// (topic, partition, low, high) of every partition of the view topics.
fn partitions<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topics: &TopicMap,
    timeout: Duration,
) -> Result<Vec<(String, i32, i64, i64)>, Unready> {
    use rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART as UNKNOWN;
    let mut out = vec![];
    for topic in topics.names() {
        let missing = || Unready::Missing(topic.to_string());
        let metadata = consumer
            .fetch_metadata(Some(topic), timeout)
            .map_err(|e| Unready::Other(format!("metadata for {topic}: {e}")))?;
        let Some(meta) = metadata.topics().iter().find(|t| t.name() == topic) else {
            return Err(missing());
        };
        match meta.error() {
            Some(UNKNOWN) => return Err(missing()),
            Some(err) => return Err(Unready::Other(format!("topic {topic}: {err:?}"))),
            None => {}
        }
        if meta.partitions().is_empty() {
            return Err(missing());
        }
        for partition in meta.partitions() {
            let id = partition.id();
            let (low, high) = consumer
                .fetch_watermarks(topic, id, timeout)
                .map_err(|e| Unready::Other(format!("watermarks of {topic}/{id}: {e}")))?;
            out.push((topic.to_string(), id, low, high));
        }
    }
    Ok(out)
}

/// Start offsets for a time: the earliest offset at or after it, per partition.
fn offsets_for_time<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    found: &[(String, i32, i64, i64)],
    time_ms: i64,
    timeout: Duration,
) -> Result<HashMap<(String, i32), i64>, String> {
    let mut query = TopicPartitionList::new();
    for (topic, partition, _, _) in found {
        query
            .add_partition_offset(topic, *partition, Offset::Offset(time_ms))
            .map_err(|e| e.to_string())?;
    }
    let answer = consumer
        .offsets_for_times(query, timeout)
        .map_err(|e| format!("offsets for time {time_ms}: {e}"))?;
    let mut out = HashMap::new();
    for (topic, partition, _, high) in found {
        let offset = match answer.find_partition(topic, *partition).map(|e| e.offset()) {
            Some(Offset::Offset(n)) => n,
            // No message at or after the time: start at the end.
            _ => *high,
        };
        out.insert((topic.clone(), *partition), offset);
    }
    Ok(out)
}

fn try_assign<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topics: &TopicMap,
    start: &StartAt,
    progress: &Progress,
    timeout: Duration,
) -> Result<(CatchUp, PartitionIndex), Unready> {
    let found = partitions(consumer, topics, timeout)?;
    let from_time = match start {
        StartAt::Time(ms) => {
            Some(offsets_for_time(consumer, &found, *ms, timeout).map_err(Unready::Other)?)
        }
        _ => None,
    };
    let mut assignment = TopicPartitionList::new();
    let mut catch_up = CatchUp::default();
    let mut starts = Vec::new();
    for (topic, partition, low, high) in found {
        let key = (topic.clone(), partition);
        let from = match (start, &from_time) {
            (StartAt::Offsets(offsets), _) => offsets.get(&key).copied(),
            (_, Some(by_time)) => by_time.get(&key).copied(),
            _ => None,
        }
        .map_or(low, |n| n.clamp(low, high));
        catch_up.track(&topic, partition, from, high);
        // A logical "beginning" skips the offset validation round trip librdkafka makes for an
        // explicit offset (which some brokers answer slowly).
        let offset = if from <= low {
            Offset::Beginning
        } else {
            Offset::Offset(from)
        };
        assignment
            .add_partition_offset(&topic, partition, offset)
            .map_err(|e| Unready::Other(e.to_string()))?;
        tracing::info!(topic, partition, low, high, from, "assigning partition");
        starts.push((topic, partition, from, high));
    }
    consumer
        .assign(&assignment)
        .map_err(|e| Unready::Other(e.to_string()))?;
    // Registered only once assigned, so a failed attempt leaves nothing behind to double-count.
    let mut index = PartitionIndex::new();
    for (topic, partition, from, high) in starts {
        let kind = topics
            .kind_of(&topic)
            .expect("assigned topics are view topics");
        let handle = progress.register(&topic, partition, kind, from, high);
        index.entry(topic).or_default().insert(partition, handle);
    }
    Ok((catch_up, index))
}
