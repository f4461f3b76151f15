//! What start-up builds from the settings besides the views: the checked Kafka client, the
//! client-naming header, the snapshot start plan, and each banner's topics for its status.

use std::time::Duration;

use crate::config::Settings;
use crate::ingest::client::ConnectError;
use crate::ingest::{KafkaClient, StartPlan};
use crate::views::storefronts::Storefronts;

/// The configured Kafka client, after one metadata request: a refused handshake (wrong
/// password, untrusted certificate) stops start-up with a message naming the brokers, the
/// protocol and the mechanism; a broker that does not answer yet is waited for by ingest.
pub async fn checked_client(
    settings: &Settings,
    brokers: &str,
) -> Result<KafkaClient, ConnectError> {
    let client = KafkaClient::new(&settings.kafka, brokers).map_err(ConnectError::from)?;
    let timeout = Duration::from_millis(settings.kafka.metadata_timeout_ms);
    let probe = client.clone();
    let checked = tokio::task::spawn_blocking(move || probe.check(timeout))
        .await
        .unwrap_or(Ok(()));
    match checked {
        Ok(()) => Ok(client),
        Err(error @ ConnectError::Unreachable { .. }) => {
            tracing::warn!(%error, "Kafka does not answer yet; ingest keeps trying");
            Ok(client)
        }
        Err(error) => Err(error),
    }
}

/// The header naming clients, if set (an invalid name is refused at start-up by validation).
pub fn client_header(name: &str) -> Option<axum::http::HeaderName> {
    let name = name.trim();
    (!name.is_empty())
        .then(|| axum::http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).ok())
        .flatten()
}

/// Start-up from a snapshot when one may exist: our own (not in the demo, whose views come from
/// its baseline) or a configured source. Runs on the ingest thread before assignment.
pub fn start_plan(settings: &Settings, demo: bool) -> Option<StartPlan> {
    let snapshot = &settings.snapshot;
    let own = !demo && !snapshot.dir.is_empty();
    if !own && snapshot.source.is_empty() {
        return None;
    }
    let snapshot = snapshot.clone();
    Some(Box::new(move |applier, progress, watermarks| {
        crate::snapshot::bootstrap(&snapshot, applier, progress, watermarks)
    }))
}

/// Each banner's topics (the country contexts' included), by its catalog's name (its status
/// reports their lag).
pub fn banner_topics(
    fronts: &Storefronts,
    banners: &[crate::config::Banner],
    intl: &str,
) -> std::collections::HashMap<String, Vec<String>> {
    let topics = |b: &crate::config::Banner| {
        [
            &b.products_topic,
            &b.prices_topic,
            &b.inventory_topic,
            &b.reservations_topic,
        ]
        .into_iter()
        .chain([&intl.to_string()])
        .filter(|t| !t.is_empty())
        .cloned()
        .collect()
    };
    let named = fronts.iter().zip(banners);
    named
        .map(|(front, b)| (front.catalog.name().to_string(), topics(b)))
        .collect()
}
