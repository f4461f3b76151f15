//! Liveness and readiness: ready (200) only once the views have caught up with Kafka.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::AppState;
use crate::views::ViewKind;

pub async fn live() -> Response {
    Json(json!({"status": "live"})).into_response()
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let ready = state.readiness.is_ready();
    let mut views = serde_json::Map::new();
    for kind in ViewKind::ALL {
        views.insert(
            kind.name().to_string(),
            json!({
                "records": state.catalog.len(kind),
                "ingest": state.stats.counts(kind),
            }),
        );
    }
    let body = json!({
        "status": if ready { "ready" } else { "catching_up" },
        "assigned": state.readiness.is_assigned(),
        "pendingPartitions": state.readiness.pending_partitions(),
        "views": views,
        "subscriptions": {"active": state.gateway.hub().active()},
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
