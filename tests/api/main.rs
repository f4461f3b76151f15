//! In-process integration tests: the real app on port 0, over librdkafka's mock cluster.

#[path = "../common/mod.rs"]
mod common;

mod banners;
mod connections;
mod dashboard;
mod deploy;
mod doors;
mod facets;
mod graphiql;
mod graphql_api;
mod helpers;
mod http_cache;
mod http_spec;
mod interop;
mod liveness;
mod mock_cluster;
mod operation_limits;
mod persisted;
mod registry;
mod reservations;
mod subscriptions;
