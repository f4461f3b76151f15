//! When Vitrine writes its own snapshots: periodically once caught up, and on clean shutdown.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::writer::write_views;
use crate::events::TopicMap;
use crate::status::{Progress, Readiness};
use crate::views::storefronts::Storefronts;

/// The schedule of snapshots and what a snapshot is taken of.
#[derive(Clone)]
pub struct SnapshotSchedule {
    pub dir: PathBuf,
    pub keep: usize,
    /// Zero: only on shutdown.
    pub interval: Duration,
    /// What is written: every storefront's parts (each tagged with its topic when there are
    /// several storefronts, see `sections`).
    pub fronts: Arc<Storefronts>,
    pub topics: Arc<TopicMap>,
    pub progress: Arc<Progress>,
    pub readiness: Arc<Readiness>,
    /// The schema registry client whose schemas the snapshot carries (binary topics).
    pub registry: Option<Arc<crate::registry::Registry>>,
}

impl SnapshotSchedule {
    /// Writes a snapshot now, if the views are caught up (a snapshot of a half-replayed view
    /// would be valid, but worth less than the one it would replace).
    pub async fn write_now(&self) {
        if !self.readiness.is_ready() {
            tracing::info!("not caught up: no snapshot written");
            return;
        }
        // Offsets first, then the views: see `write_snapshot`.
        let offsets = self.progress.applied_offsets();
        let (dir, keep) = (self.dir.clone(), self.keep);
        let (fronts, topics) = (Arc::clone(&self.fronts), Arc::clone(&self.topics));
        let started = Instant::now();
        let schemas = self
            .registry
            .as_ref()
            .map(|r| r.export())
            .unwrap_or_default();
        let written = tokio::task::spawn_blocking(move || {
            write_views(&dir, &fronts, &topics, offsets, keep, schemas)
        })
        .await;
        match written {
            Ok(Ok((path, records))) => tracing::info!(
                path = %path.display(),
                records,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "wrote snapshot"
            ),
            Ok(Err(error)) => {
                tracing::error!(%error, dir = %self.dir.display(), "snapshot not written")
            }
            Err(error) => tracing::error!(%error, "snapshot task failed"),
        }
    }

    pub async fn run_periodically(self) {
        if self.interval.is_zero() {
            return;
        }
        let mut ticker = tokio::time::interval(self.interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            self.write_now().await;
        }
    }
}
