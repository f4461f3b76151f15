//! HTTP wiring: the axum router, GraphQL endpoints, health checks, CORS and body limits.

pub mod graphql_http;
pub mod health;
pub mod live;
pub mod metrics;

use std::sync::Arc;

use axum::http::{header, Method};
use axum::routing::get;
use axum::Router;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};

use crate::graphql::gateway::Gateway;
use crate::status::IngestStatus;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub gateway: Gateway,
    pub status: Arc<IngestStatus>,
    pub max_body_bytes: usize,
    pub graphiql: bool,
    pub sse_keepalive: std::time::Duration,
}

pub fn router(state: AppState) -> Router {
    metrics::handle();
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE]);
    Router::new()
        .route("/", get(graphql_http::graphiql))
        .route(
            "/graphql",
            get(graphql_http::graphql_get).post(graphql_http::graphql_post),
        )
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(metrics::metrics))
        .layer(cors)
        // Request spans and failures at debug: a 503 from /health/ready while catching up is
        // expected, and request metrics are on /metrics.
        .layer(
            TraceLayer::new_for_http()
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG)),
        )
        .with_state(state)
}
