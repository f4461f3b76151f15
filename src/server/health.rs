//! Liveness and readiness: ready (200) only once the views have caught up with Kafka (and, if
//! configured, while they lag less than a bound); the body says how fresh each view is and
//! whether the broker is in contact.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::AppState;

pub async fn live() -> Response {
    Json(json!({"status": "live"})).into_response()
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let report = state.status.report();
    let views: serde_json::Map<String, serde_json::Value> = report
        .views
        .iter()
        .map(|v| {
            (
                v.view.to_string(),
                serde_json::to_value(v).unwrap_or_default(),
            )
        })
        .collect();
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if report.ready { "ready" } else if report.stale { "stale" } else { "catching_up" },
        "broker": {"reachable": report.broker_reachable, "sinceContactMs": report.since_contact_ms},
        "assigned": report.assigned,
        "pendingPartitions": report.pending_partitions,
        "bootstrap": {"inProgress": report.bootstrapping, "records": report.bootstrap_records,
                      "rejectedSnapshots": report.rejected_snapshots},
        "readyAfterMs": report.ready_after_ms,
        "snapshot": report.snapshot,
        "views": views,
        "subscriptions": {"active": state.gateway.hub().active()},
        "reservations": {"decider": report.decider},
    });
    (status, Json(body)).into_response()
}
