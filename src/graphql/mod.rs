//! The GraphQL API: schema, resolvers, limits and error codes. No HTTP here (see `server`).

pub mod errors;
pub mod limits;
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

/// Builds the schema over `catalog` with the configured limits.
pub fn build_schema(catalog: Arc<Catalog>, settings: &GraphqlSettings) -> VitrineSchema {
    let mut builder = builder()
        .data(catalog)
        .data(ApiSettings {
            max_page_size: settings.max_page_size,
            default_page_size: settings.default_page_size,
            base_currency: "USD".to_string(),
        })
        .extension(limits::OperationLimits::new(
            settings.max_depth,
            settings.max_complexity,
            settings.parse_cache_entries,
        ));
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as checked into `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
