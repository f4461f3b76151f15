//! The GraphQL API: schema, resolvers, limits and error codes. No HTTP here (see `server`).

pub mod errors;
pub mod gateway;
pub mod listing;
pub mod product;
pub mod query;

use std::sync::Arc;

use async_graphql::{EmptyMutation, EmptySubscription, Schema, SchemaBuilder};

use crate::config::GraphqlSettings;
use crate::views::Catalog;

pub type VitrineSchema = Schema<query::QueryRoot, EmptyMutation, EmptySubscription>;

/// Settings resolvers read from the context.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub max_page_size: usize,
    pub default_page_size: usize,
    /// Currency of the price view's amounts; price filters are read in it.
    pub base_currency: String,
}

fn builder() -> SchemaBuilder<query::QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(query::QueryRoot, EmptyMutation, EmptySubscription)
}

/// Builds the gateway (schema, parse cache, limits, answer memo) over `catalog`.
pub fn build_gateway(catalog: Arc<Catalog>, settings: &GraphqlSettings) -> gateway::Gateway {
    gateway::Gateway::new(build_schema(settings), catalog, settings)
}

/// Builds the schema with the configured limits. Resolvers reach the views only through the
/// request's `RecordingReader`, which the gateway attaches to every request.
pub fn build_schema(settings: &GraphqlSettings) -> VitrineSchema {
    let mut builder = builder()
        .data(ApiSettings {
            max_page_size: settings.max_page_size,
            default_page_size: settings.default_page_size,
            base_currency: "USD".to_string(),
        })
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
