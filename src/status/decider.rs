//! What this replica's reservation decider owns and has done, for health and metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use serde::Serialize;

/// Written by the decider, read by health.
#[derive(Debug, Default)]
pub struct DeciderStatus {
    partitions: RwLock<Vec<i32>>,
    decided: AtomicU64,
    ticks: AtomicU64,
}

/// The decider as health reports it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeciderReport {
    /// Reservations partitions this replica decides now (given by the deciders' group).
    pub partitions: Vec<i32>,
    /// Decisions recorded since start, and ticks written.
    pub decided: u64,
    pub ticks: u64,
}

impl DeciderStatus {
    pub fn set_partitions(&self, mut partitions: Vec<i32>) {
        partitions.sort_unstable();
        *self.partitions.write().unwrap_or_else(|e| e.into_inner()) = partitions;
    }

    pub fn record_decided(&self) {
        self.decided.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("vitrine_reservation_decisions_total").increment(1);
    }

    pub fn record_tick(&self) {
        self.ticks.fetch_add(1, Ordering::Relaxed);
    }

    pub fn report(&self) -> DeciderReport {
        DeciderReport {
            partitions: self
                .partitions
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            decided: self.decided.load(Ordering::Relaxed),
            ticks: self.ticks.load(Ordering::Relaxed),
        }
    }
}
