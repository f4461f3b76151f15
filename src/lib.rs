//! Vitrine: a GraphQL read gateway over Kafka-fed materialized views.
//!
//! # Layout
//! Data flows one way: `events -> ingest -> views <- pricing <- graphql <- server`, with `live`
//! fed by ingest and read by graphql, and `status` written by ingest and read by everyone.
//!
//! - [`events`]: the event contract of `docs/events.md`: one file per topic (decode and encode),
//!   the wire [`events::Record`], the [`events::TopicMap`] and the records' binary form for
//!   snapshots ([`events::binary`]). Pure: no Kafka.
//! - [`ingest`]: the Kafka source: the one client configuration, assignment, the consume loop,
//!   the apply workers that own whole partitions ([`ingest::workers`]), catch-up, and the one
//!   decode-and-apply path ([`ingest::Applier`]).
//! - [`status`]: how far ingest has come and how the views stand: per-partition progress,
//!   readiness, counters and the report health, `viewStatus` and metrics show.
//! - [`views`]: the materialized state (products, prices, inventory, intl) and listings. Pure.
//! - [`pricing`]: money, landed prices, quotes and the checkout rules. Pure.
//! - [`registry`]: the schema registry client that Avro and Protobuf topics are decoded with
//!   (the formats themselves are [`events::formats`], pure).
//! - [`snapshot`]: the snapshot format (JSON lines, and binary chunks decoded on every core),
//!   reader and writer, start-up from a snapshot and the schedule of Vitrine's own snapshots.
//! - [`reservations`]: the write half of stock holds: events to the reservations topic, the
//!   decision read back from the views.
//! - [`live`]: the change hub, translations shared by subscriptions with no filter, and the
//!   per-subscription coalescing buffers behind subscriptions.
//! - [`graphql`]: the schema, resolvers, limits and error codes: translation between GraphQL
//!   and the domain. Every request, whatever door it came through, passes the one request
//!   pipeline, [`graphql::pipeline`]: caller, persisted and trusted documents, operation
//!   policy, parse, limits and cost, deadline; only what it admits is executed.
//! - [`server`]: axum wiring, health, metrics, transports (the doors), body limits.
//! - [`demo`]: the generated catalog, the in-process cluster, the embedded default and
//!   `vitrine feed`.
//! - [`app`]: builds all of the above from settings and runs it; [`config`], [`cli`],
//!   [`telemetry`], [`clock`], [`digest`] and [`shutdown`] beside it.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod digest;
pub mod events;
pub mod graphql;
pub mod ingest;
pub mod live;
pub mod pricing;
pub mod registry;
pub mod reservations;
pub mod server;
pub mod shutdown;
pub mod snapshot;
pub mod startup;
pub mod status;
pub mod telemetry;
pub mod views;
