//! The embedded demo: librdkafka's in-process mock cluster, a generated baseline and a live trickle.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::mocking::MockCluster;

use super::applier::{Applier, Origin};
use super::consumer::TopicMap;
use super::generator::CatalogGenerator;
use super::publisher::Publisher;

/// Partitions per topic in the embedded cluster.
const DEMO_PARTITIONS: i32 = 3;

/// An in-process Kafka cluster, owned by its own thread (the mock handle is not `Send`).
/// Dropping this shuts the cluster down.
pub struct EmbeddedCluster {
    bootstrap_servers: String,
    shutdown: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedCluster {
    /// Starts a one-broker mock cluster with the view topics created.
    pub fn start(topics: &TopicMap) -> Result<Self, KafkaError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (shutdown_tx, shutdown_rx) = mpsc::channel::<()>();
        let names: Vec<String> = topics.topics.iter().map(|(t, _)| t.clone()).collect();
        let thread = std::thread::Builder::new()
            .name("vitrine-mock-kafka".into())
            .spawn(move || {
                let started = MockCluster::new(1).and_then(|cluster| {
                    for name in &names {
                        cluster.create_topic(name, DEMO_PARTITIONS, 1)?;
                    }
                    Ok(cluster)
                });
                match started {
                    Ok(cluster) => {
                        let _ = ready_tx.send(Ok(cluster.bootstrap_servers()));
                        // Hold the cluster until asked to stop (or the owner is gone).
                        let _ = shutdown_rx.recv();
                        drop(cluster);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .expect("spawning a thread");
        let bootstrap_servers = ready_rx.recv().map_err(|_| KafkaError::Canceled)??;
        Ok(Self {
            bootstrap_servers,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap_servers
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        drop(self.shutdown.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Loads the generated baseline straight through the decode-and-apply path (no broker):
/// the path a snapshot takes. Returns the generator, ready to make live changes.
pub fn load_baseline(applier: &Applier, seed: u64, products: usize) -> CatalogGenerator {
    let started = Instant::now();
    let mut generator = CatalogGenerator::new(seed, products);
    let mut offset = 0;
    applier.catalog().begin_bulk();
    generator.baseline(|record| {
        let origin = Origin {
            topic: "baseline",
            partition: 0,
            offset,
        };
        offset += 1;
        applier.apply_record(
            record.kind,
            Some(record.key.as_bytes()),
            record.payload.as_deref(),
            origin,
        );
    });
    applier.catalog().end_bulk();
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
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticker.tick().await;
        let Some(record) = generator.next_change() else {
            return;
        };
        if let Err(error) = publisher.send(&record) {
            tracing::warn!(%error, key = record.key, "demo trickle could not publish");
        }
    }
}
