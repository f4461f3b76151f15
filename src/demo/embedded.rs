//! The embedded demo: a generated baseline loaded through the decode-and-apply path, and a live
//! trickle of changes published to the in-process cluster, which ingest consumes like any Kafka.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::cluster::EmbeddedCluster;
use super::generator::CatalogGenerator;
use super::publisher::Publisher;
use crate::config::DemoSettings;
use crate::events::TopicMap;
use crate::ingest::{Applier, Origin};

/// The running demo: the cluster and its trickle, kept alive while the app runs.
pub struct Demo {
    cluster: EmbeddedCluster,
    trickle: Option<JoinHandle<()>>,
}

impl Demo {
    /// Starts the cluster, loads the baseline into the views and starts the trickle (if on).
    pub fn start(
        settings: &DemoSettings,
        applier: &Applier,
        topics: &TopicMap,
        encoders: Option<super::encoder::Encoders>,
    ) -> Result<Self, rdkafka::error::KafkaError> {
        let cluster = EmbeddedCluster::start(topics)?;
        let generator = load_baseline(applier, settings.seed, settings.products);
        let trickle = if settings.live_interval_ms > 0 {
            let publisher = Publisher::connect(cluster.bootstrap_servers(), topics.clone())?
                .with_encoders(encoders);
            Some(tokio::spawn(run_trickle(
                generator,
                Arc::new(publisher),
                Duration::from_millis(settings.live_interval_ms),
                settings.live_changes_per_tick.max(1),
            )))
        } else {
            None
        };
        Ok(Self { cluster, trickle })
    }

    pub fn bootstrap_servers(&self) -> &str {
        self.cluster.bootstrap_servers()
    }

    /// Stops the trickle and waits until its producer is gone, then the cluster (off the
    /// async runtime: it joins a thread), so no client of the cluster outlives it (each would
    /// log connection errors).
    pub async fn stop(self) {
        if let Some(trickle) = self.trickle {
            trickle.abort();
            let _ = trickle.await;
        }
        let cluster = self.cluster;
        let _ = tokio::task::spawn_blocking(move || drop(cluster)).await;
    }
}

/// Loads the generated baseline straight through the decode-and-apply path (no broker):
/// the path a snapshot takes. Returns the generator, ready to make live changes.
pub fn load_baseline(applier: &Applier, seed: u64, products: usize) -> CatalogGenerator {
    let started = Instant::now();
    let mut generator = CatalogGenerator::new(seed, products);
    let mut offset = 0;
    applier.storefronts().begin_bulk();
    let other_lists = applier
        .routes()
        .map(|r| r.other_price_lists())
        .unwrap_or_default();
    let mut apply = |topic: &str, record: &crate::events::Record| {
        let origin = Origin {
            topic,
            partition: 0,
            offset,
            timestamp_ms: None,
        };
        offset += 1;
        applier.apply_record(
            record.kind,
            Some(record.key.as_bytes()),
            record.payload.as_deref(),
            origin,
        );
    };
    generator.baseline(|record| {
        apply("baseline", &record);
        if let Some(derived) = super::banners::outlet_price(&record) {
            for topic in &other_lists {
                apply(topic, &derived);
            }
        }
    });
    applier.storefronts().end_bulk();
    tracing::info!(
        products,
        skus = generator.sku_count(),
        records = offset,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "loaded demo baseline"
    );
    generator
}

/// Publishes a live change every `interval` until the task is aborted.
pub async fn run_trickle(
    mut generator: CatalogGenerator,
    publisher: Arc<Publisher>,
    interval: Duration,
    per_tick: u32,
) {
    let mut ticker = tokio::time::interval(interval);
    // Missed ticks are made up for, so the stream keeps its rate under load.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    loop {
        ticker.tick().await;
        for _ in 0..per_tick {
            let Some(record) = generator.next_change() else {
                return;
            };
            if let Err(error) = publisher.send_with_lists(&record) {
                tracing::warn!(%error, key = record.key, "demo trickle could not publish");
            }
        }
    }
}
