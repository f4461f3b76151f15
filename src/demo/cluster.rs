//! librdkafka's in-process mock cluster, with the view topics created: the embedded demo's Kafka.

use std::sync::mpsc;
use std::thread::JoinHandle;

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, Producer};

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
                let started = mock_cluster_host().and_then(|host| {
                    let servers = {
                        let cluster = host.client().mock_cluster().ok_or(KafkaError::Canceled)?;
                        for name in &names {
                            cluster.create_topic(name, DEMO_PARTITIONS, 1)?;
                        }
                        cluster.bootstrap_servers()
                    };
                    no_initial_rebalance_delay(&host);
                    Ok((host, servers))
                });
                match started {
                    Ok((host, servers)) => {
                        let _ = ready_tx.send(Ok(servers));
                        // Hold the cluster until asked to stop (or the owner is gone).
                        let _ = shutdown_rx.recv();
                        drop(host);
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

/// A client that owns a one-broker mock cluster (librdkafka creates it with the client).
fn mock_cluster_host() -> Result<BaseProducer, KafkaError> {
    ClientConfig::new()
        .set("test.mock.num.brokers", "1")
        .set("log_level", "3")
        .create()
}

/// A mock cluster, like a real broker, waits 3 s after a group's first member joins before
/// handing out partitions; the demo's one replica need not wait to decide reservations.
fn no_initial_rebalance_delay(host: &BaseProducer) {
    use rdkafka::bindings::{
        rd_kafka_handle_mock_cluster, rd_kafka_mock_group_initial_rebalance_delay_ms,
    };
    // SAFETY: `host` owns the mock cluster and outlives this call; the pointer is checked for
    // null, and the setter only writes the cluster's configuration under its own lock.
    unsafe {
        let cluster = rd_kafka_handle_mock_cluster(host.client().native_ptr());
        if !cluster.is_null() {
            rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
        }
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
