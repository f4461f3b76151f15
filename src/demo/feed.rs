//! `vitrine feed`: publish the generated catalog (and optionally live changes) to a real Kafka.

use std::time::{Duration, Instant};

use super::encoder::Encoders;
use super::generator::CatalogGenerator;
use super::publisher::{ensure_topics_on, Publisher};
use crate::config::Settings;
use crate::events::TopicMap;
use crate::ingest::KafkaClient;

/// What to publish.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    pub brokers: String,
    pub products: usize,
    pub seed: u64,
    pub partitions: i32,
    /// After the catalog, publish live changes until interrupted.
    pub live: bool,
    pub live_interval: Duration,
    /// Changes published at each interval.
    pub live_per_tick: u32,
}

pub async fn run_feed(options: FeedOptions, settings: &Settings) -> anyhow::Result<()> {
    let banners = settings.resolved_banners()?;
    let topics = TopicMap::for_banners(&banners, &settings.topics);
    let client = KafkaClient::new(&settings.kafka, &options.brokers)?;
    ensure_topics_on(&client, &topics, options.partitions).await?;
    let encoders = {
        let (settings, topics) = (settings.clone(), topics.clone());
        tokio::task::spawn_blocking(move || Encoders::register(&settings, &topics))
            .await?
            .map_err(|e| anyhow::anyhow!("schema registry: {e}"))?
    };
    let publisher = Publisher::connect_to(&client, topics)?.with_encoders(encoders);
    let started = Instant::now();
    let mut generator = CatalogGenerator::new(options.seed, options.products);
    let mut sent = 0u64;
    let mut failed_send = None;
    generator.baseline(|record| {
        if failed_send.is_none() {
            match publisher.send_with_lists(&record) {
                Ok(()) => sent += 1,
                Err(e) => failed_send = Some(e),
            }
        }
    });
    if let Some(e) = failed_send {
        anyhow::bail!("publishing the catalog failed after {sent} records: {e}");
    }
    let failed = publisher.flush(Duration::from_secs(60))?;
    tracing::info!(
        records = sent,
        value_bytes = publisher.value_bytes(),
        failed,
        skus = generator.sku_count(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "published catalog"
    );
    if failed > 0 {
        anyhow::bail!("{failed} of {sent} records were not acknowledged");
    }
    if options.live {
        tracing::info!(
            interval_ms = options.live_interval.as_millis() as u64,
            "publishing live changes; Ctrl-C stops"
        );
        let mut ticker = tokio::time::interval(options.live_interval);
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = ticker.tick() => {
                    for _ in 0..options.live_per_tick {
                        if let Some(record) = generator.next_change() {
                            publisher.send_with_lists(&record)?;
                        }
                    }
                }
            }
        }
        publisher.flush(Duration::from_secs(10))?;
    }
    Ok(())
}
