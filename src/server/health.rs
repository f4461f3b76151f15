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
    let mut body = body;
    if state.status.fronts.len() > 1 {
        body["banners"] = banners(&state);
    }
    (status, Json(body)).into_response()
}

/// Each banner's readiness and views (its records, its own topics' lag), by name.
fn banners(state: &AppState) -> serde_json::Value {
    let fronts = state.status.fronts.iter();
    let reports = fronts.map(|front| {
        let report = state.status.report_in(&front.catalog);
        let views: serde_json::Map<String, serde_json::Value> = report
            .views
            .iter()
            .map(|v| {
                let view =
                    json!({"records": v.records, "lagMs": v.lag_ms, "lagMessages": v.lag_messages});
                (v.view.to_string(), view)
            })
            .collect();
        (
            front.name.to_string(),
            json!({"ready": report.ready, "views": views}),
        )
    });
    serde_json::Value::Object(reports.collect())
}
