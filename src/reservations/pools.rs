//! Reservations per stock pool: every banner gets a desk that writes hold requests to its
//! pool's reservations topic (and checks SKUs against its own assortment), and every pool with
//! a reservations topic gets one decider, over the stock of that pool, in a consumer group of
//! its own (the configured group for the `[topics]` pool, `{group}.{topic}` for the others).

use std::sync::Arc;

use super::decider::{spawn_decider, DeciderHandle, DeciderParts};
use super::ReservationDesk;
use crate::config::{Banner, Settings};
use crate::ingest::KafkaClient;
use crate::status::{DeciderStatus, Progress};
use crate::views::storefronts::Storefronts;

/// The desks, by the name of the storefront (banner) they serve.
#[derive(Default)]
pub struct Desks(Vec<(Arc<str>, ReservationDesk)>);

impl Desks {
    /// The desk of the storefront named `name` (empty: a process without banners).
    pub fn of(&self, name: &str) -> Option<&ReservationDesk> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, d)| d)
    }

    /// One desk for the one storefront of a process without banners (and tests).
    pub fn single(desk: ReservationDesk) -> Self {
        Self(vec![("".into(), desk)])
    }
}

/// What the pools need from the application.
pub struct PoolParts<'a> {
    pub client: &'a KafkaClient,
    pub banners: &'a [Banner],
    pub fronts: &'a Storefronts,
    pub settings: &'a Settings,
    pub progress: &'a Arc<Progress>,
    pub status: &'a Arc<DeciderStatus>,
    pub ownership: &'a super::ownership::Ownership,
}

/// A desk per banner and a decider per pool with a reservations topic.
pub fn start_pools(
    parts: PoolParts<'_>,
) -> Result<(Desks, Vec<DeciderHandle>), rdkafka::error::KafkaError> {
    let mut desks = Vec::with_capacity(parts.fronts.len());
    let mut deciders: Vec<(String, DeciderHandle)> = Vec::new();
    for (banner, front) in parts.banners.iter().zip(parts.fronts.iter()) {
        let topic = &banner.reservations_topic;
        let catalog = Arc::clone(&front.catalog);
        let desk = ReservationDesk::new(
            Some(parts.client),
            topic,
            Arc::clone(&catalog),
            parts.settings.reservations.clone(),
            parts.ownership.clone(),
        )?;
        desks.push((Arc::clone(&catalog.name), desk));
        if topic.is_empty() || deciders.iter().any(|(t, _)| t == topic) {
            continue;
        }
        let mut settings = parts.settings.reservations.clone();
        if *topic != parts.settings.topics.reservations {
            settings.decider_group = format!("{}.{topic}", settings.decider_group);
        }
        let decider = spawn_decider(
            parts.client,
            DeciderParts {
                topic: topic.clone(),
                catalog,
                progress: Arc::clone(parts.progress),
                status: Arc::clone(parts.status),
                settings,
            },
        )?;
        deciders.push((topic.clone(), decider));
    }
    Ok((Desks(desks), deciders.into_iter().map(|(_, d)| d).collect()))
}

/// The distinct reservations topics of `banners` (to check at start-up).
pub fn reservation_topics(banners: &[Banner]) -> Vec<&str> {
    let mut topics: Vec<&str> = Vec::new();
    for banner in banners {
        let topic = banner.reservations_topic.as_str();
        if !topic.is_empty() && !topics.contains(&topic) {
            topics.push(topic);
        }
    }
    topics
}
