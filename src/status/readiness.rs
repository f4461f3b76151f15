//! Readiness: the service is ready once every partition is consumed up to its high watermark at start.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Shared, lock-free readiness state, read by `/health/ready`.
#[derive(Debug, Default)]
pub struct Readiness {
    ready: AtomicBool,
    /// Partitions not yet consumed up to their start-time high watermark.
    pending_partitions: AtomicUsize,
    /// False until the consumer has found every topic and taken its assignment.
    assigned: AtomicBool,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn pending_partitions(&self) -> usize {
        self.pending_partitions.load(Ordering::Relaxed)
    }

    pub fn is_assigned(&self) -> bool {
        self.assigned.load(Ordering::Relaxed)
    }

    /// Ingest has taken its assignment and `pending` partitions still have to catch up.
    pub fn record_catch_up(&self, pending: usize) {
        self.assigned.store(true, Ordering::Relaxed);
        self.pending_partitions.store(pending, Ordering::Relaxed);
        if pending == 0 {
            self.ready.store(true, Ordering::Release);
        }
    }
}
