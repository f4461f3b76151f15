//! The consumer thread's own record of which partitions still have to reach the high watermark
//! they had at start, published to [`Readiness`] as it shrinks.

use std::collections::HashMap;

use crate::status::Readiness;

/// The consumer thread's own record of which partitions still have to catch up.
#[derive(Debug, Default)]
pub struct CatchUp {
    /// topic -> partition -> high watermark seen at start.
    targets: HashMap<String, HashMap<i32, i64>>,
    pending: usize,
}

impl CatchUp {
    /// Registers a partition; one that is already empty needs no catching up.
    pub fn track(&mut self, topic: &str, partition: i32, low: i64, high: i64) {
        if high > low {
            self.targets
                .entry(topic.to_string())
                .or_default()
                .insert(partition, high);
            self.pending += 1;
        }
    }

    pub fn is_done(&self) -> bool {
        self.pending == 0
    }

    /// Notes that `partition` has been consumed up to `next_offset` (exclusive).
    /// Returns true when this completed the catch-up of the partition.
    pub fn advance(&mut self, topic: &str, partition: i32, next_offset: i64) -> bool {
        let Some(partitions) = self.targets.get_mut(topic) else {
            return false;
        };
        match partitions.get(&partition) {
            Some(&high) if next_offset >= high => {
                partitions.remove(&partition);
                self.pending -= 1;
                true
            }
            _ => false,
        }
    }

    /// Topic/partition pairs still catching up.
    pub fn pending_partitions(&self) -> Vec<(String, i32)> {
        self.targets
            .iter()
            .flat_map(|(t, ps)| ps.keys().map(move |p| (t.clone(), *p)))
            .collect()
    }

    pub fn publish_to(&self, readiness: &Readiness) {
        readiness.record_catch_up(self.pending);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_after_every_partition_reaches_its_watermark() {
        let readiness = Readiness::default();
        let mut c = CatchUp::default();
        c.track("a", 0, 0, 3);
        c.track("a", 1, 5, 5); // empty: nothing to wait for
        c.track("b", 0, 2, 4);
        c.publish_to(&readiness);
        assert!(!readiness.is_ready());
        assert_eq!(readiness.pending_partitions(), 2);
        assert!(!c.advance("a", 0, 2));
        assert!(c.advance("a", 0, 3));
        assert!(!c.advance("a", 0, 4), "already done");
        assert!(!c.advance("zzz", 0, 4));
        c.publish_to(&readiness);
        assert!(!readiness.is_ready());
        assert!(c.advance("b", 0, 9));
        c.publish_to(&readiness);
        assert!(readiness.is_ready());
        assert!(c.is_done());
    }
}
