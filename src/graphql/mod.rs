//! The GraphQL API: schema, resolvers, limits and error codes. No HTTP here (see `server`).

pub mod answer;
pub mod checkout;
pub mod cost;
pub mod document;
pub mod errors;
pub mod facets;
pub mod freshness;
pub mod gateway;
pub mod in_context;
pub mod limits;
pub mod listing;
pub mod market;
mod memo;
pub mod mutation;
pub mod parse_cache;
pub mod persisted;
pub mod pipeline;
pub mod plan;
mod planned;
pub mod product;
pub mod query;
mod request_metrics;
pub use request_metrics::cache_metric_handles;
pub mod status;
pub mod subscription;
pub mod tokens;

use std::sync::Arc;

use async_graphql::{Schema, SchemaBuilder};

use rand::TryRngCore;

use crate::config::Settings;
use crate::live::ChangeHub;
use crate::pricing::checkout::CheckoutRules;
use crate::pricing::quote::QuoteSigner;
use crate::status::IngestStatus;
use crate::views::storefronts::Storefronts;
use crate::views::Catalog;

pub type VitrineSchema =
    Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// Settings resolvers read from the context.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub max_page_size: usize,
    pub default_page_size: usize,
    /// Values and buckets of listing facets.
    pub facets: crate::views::facets::FacetShape,
    /// `graphql.facet_options_in_stock`.
    pub facet_options_in_stock: bool,
    /// The base market: its country, and the currency of the price view's amounts.
    pub base_country: String,
    pub base_currency: String,
    /// Quotes are signed with `checkout.quotes`; carts are priced under these rules.
    pub checkout: CheckoutRules,
    /// Reservation ids and owners' tokens, derived from the same secret as quotes.
    pub ownership: crate::reservations::Ownership,
}

impl ApiSettings {
    pub fn from_settings(settings: &Settings) -> Self {
        let secret = if settings.checkout.quote_secret.is_empty() {
            tracing::warn!("checkout.quote_secret is empty: quotes are signed with a random per-process secret");
            let mut key = [0u8; 32];
            rand::rngs::OsRng
                .try_fill_bytes(&mut key)
                .expect("the OS provides randomness");
            key.to_vec()
        } else {
            settings.checkout.quote_secret.expose().as_bytes().to_vec()
        };
        let quotes = QuoteSigner::new(secret, settings.checkout.quote_ttl_secs);
        let ownership =
            crate::reservations::Ownership::new(quotes.derive_key("vitrine reservation ownership"));
        Self {
            ownership,
            max_page_size: settings.graphql.max_page_size,
            default_page_size: settings.graphql.default_page_size,
            facets: crate::views::facets::FacetShape {
                max_values: settings.graphql.facet_values,
                buckets: settings.graphql.facet_buckets,
            },
            facet_options_in_stock: settings.graphql.facet_options_in_stock,
            base_country: settings.pricing.base_country.clone(),
            base_currency: settings.pricing.base_currency.clone(),
            checkout: CheckoutRules {
                policy: settings.checkout.reprice_policy,
                quotes,
                base_currency: settings.pricing.base_currency.clone(),
                max_quoted_quantity: settings.checkout.max_quoted_quantity,
            },
        }
    }
}

fn builder(
) -> SchemaBuilder<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot> {
    Schema::build(
        query::QueryRoot,
        mutation::MutationRoot,
        subscription::SubscriptionRoot,
    )
}

/// Builds the gateway over `catalog` alone (no ingest status to report): for tests and tools.
pub fn build_gateway(catalog: Arc<Catalog>, settings: &Settings) -> gateway::Gateway {
    let status = IngestStatus {
        fronts: Arc::new(Storefronts::single(catalog)),
        ..IngestStatus::default()
    };
    build_gateway_with(Arc::new(status), settings)
}

/// Builds the gateway (schema, parse cache, limits, answer memo) over the views in `status`,
/// with the hub its subscriptions listen to (`Gateway::hub`, for ingest to publish on).
pub fn build_gateway_with(status: Arc<IngestStatus>, settings: &Settings) -> gateway::Gateway {
    let subs = &settings.subscriptions;
    let hub = Arc::new(ChangeHub::new(subs.hub_capacity, subs.max_total));
    let live = subscription::LiveContext {
        hub: Arc::clone(&hub),
        settings: subs.clone(),
        per_client: Default::default(),
    };
    let desk = mutation::DeskSlot::default();
    // One copy of the API settings (and so one quote secret) for the resolvers and the planner.
    let api = ApiSettings::from_settings(settings);
    let schema = build_schema(settings, &api, live, Arc::clone(&status), Arc::clone(&desk));
    let banners = match settings.resolved_banners() {
        Ok(banners) => pipeline::Banners::new(Arc::clone(&status.fronts), &banners),
        Err(_) => pipeline::Banners::single(Arc::clone(&status.fronts)),
    };
    gateway::Gateway::new(schema, status, hub, &settings.graphql, api)
        .with_desk(desk)
        .with_banners(banners)
}

/// Builds the schema with the configured limits. Query resolvers reach the views only through
/// the request's `RecordingReader`, which the gateway attaches to every request.
pub fn build_schema(
    all: &Settings,
    api: &ApiSettings,
    live: subscription::LiveContext,
    status: Arc<IngestStatus>,
    desk: mutation::DeskSlot,
) -> VitrineSchema {
    let settings = &all.graphql;
    let mut builder = builder()
        .data(api.clone())
        .data(live)
        .data(status)
        .data(desk)
        .limit_depth(settings.max_depth)
        .limit_complexity(settings.max_complexity);
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as checked into `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
