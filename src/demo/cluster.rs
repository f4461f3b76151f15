//! librdkafka's in-process mock cluster, with the view topics created: the embedded demo's Kafka.

use std::sync::mpsc;
use std::thread::JoinHandle;

use rdkafka::error::KafkaError;
use rdkafka::mocking::MockCluster;

use crate::events::TopicMap;

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
        let names: Vec<String> = topics.names().map(String::from).collect();
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
