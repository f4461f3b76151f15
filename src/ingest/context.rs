//! The consumer's librdkafka context: error callbacks to `tracing`, statistics to progress.

use std::sync::Arc;

use rdkafka::client::ClientContext;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::statistics::Statistics;

use crate::clock::unix_ms;
use crate::status::Progress;

/// Routes librdkafka's error callbacks to `tracing` (minus the end-of-partition events that
/// `enable.partition.eof` turns on for readiness), and its statistics' high watermarks into
/// the partitions' progress, so lag stays current while nothing arrives.
pub struct IngestContext {
    pub(super) progress: Arc<Progress>,
}

impl ClientContext for IngestContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let end_of_partition = matches!(
            error,
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
        );
        if !end_of_partition {
            tracing::warn!(%error, reason, "kafka client error");
        }
    }

    /// High watermarks, and contact: a partition's broker was last heard from `rxidle` ago if
    /// it is up (a paused broker stays "UP" while `rxidle` grows; a dead one goes down).
    fn stats(&self, statistics: Statistics) {
        let now = unix_ms();
        for p in self.progress.partitions() {
            let Some(stats) = statistics
                .topics
                .get(&p.topic)
                .and_then(|t| t.partitions.get(&p.partition))
            else {
                continue;
            };
            if stats.hi_offset >= 0 {
                p.raise_high(stats.hi_offset);
            }
            let leader = statistics
                .brokers
                .values()
                .find(|b| b.nodeid == stats.leader && stats.leader >= 0);
            if let Some(broker) = leader.filter(|b| b.state == "UP" && b.rxidle >= 0) {
                p.touch(now - broker.rxidle / 1000);
            }
        }
    }
}

impl ConsumerContext for IngestContext {}
