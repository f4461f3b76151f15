//! Vitrine: a GraphQL read gateway over Kafka-fed materialized views.
//!
//! # Layout
//! - [`config`]: typed settings from `config/default.toml`, a file and `VITRINE_*` variables.
//! - [`ingest`]: the Kafka consumer, event decoding, the demo cluster and publisher; feeds
//!   every record through one decode-and-apply path into the views.
//! - [`snapshot`]: the snapshot format, its streamed reader (file or URL) and atomic writer.
//! - [`views`]: the materialized state (products, prices, inventory) and listings. Pure: no I/O.
//! - [`pricing`]: money amounts, landed prices and quotes. Pure.
//! - [`live`]: the change hub and per-subscription coalescing buffers behind subscriptions.
//! - [`graphql`]: the schema, resolvers, limits and error codes.
//! - [`server`]: axum wiring, health checks, body limits.
//! - [`app`]: builds all of the above from settings and runs it.
//! - [`cli`] and [`feed`]: the command line and `vitrine feed`.

pub mod app;
pub mod cli;
pub mod config;
pub mod feed;
pub mod graphql;
pub mod ingest;
pub mod live;
pub mod pricing;
pub mod server;
pub mod snapshot;
pub mod telemetry;
pub mod views;
