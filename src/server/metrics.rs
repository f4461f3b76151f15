//! Prometheus metrics at `/metrics`: ingest counters, lag, bootstrap, subscribers, answer memo
//! (read from their sources at scrape time), and request counts and latencies by operation
//! (recorded by the gateway).

use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;

/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// The process-wide recorder (installed once; several apps in one test process share it).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Drains the histograms' raw samples into their buckets every `interval`, whether or not
/// anyone scrapes: the exporter otherwise keeps every sample until the next scrape, so memory
/// grew without bound under load with no scraper. Runs until the task is aborted.
pub async fn run_upkeep(interval: std::time::Duration) {
    let Some(handle) = handle() else {
        return;
    };
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        handle.run_upkeep();
        counter!("vitrine_metrics_upkeep_total").increment(1);
    }
}

fn refresh(state: &AppState) {
    let report = state.status.report();
    for view in &report.views {
        let v = view.view;
        for (outcome, value) in [
            ("applied", view.ingest.applied),
            ("stale", view.ingest.stale),
            ("deleted", view.ingest.deleted),
            ("malformed", view.ingest.malformed),
        ] {
            counter!("vitrine_ingest_events_total", "view" => v, "outcome" => outcome)
                .absolute(value);
        }
        gauge!("vitrine_view_records", "view" => v).set(view.records as f64);
        gauge!("vitrine_view_lag_messages", "view" => v).set(view.lag_messages as f64);
        gauge!("vitrine_view_lag_seconds", "view" => v).set(view.lag_ms as f64 / 1000.0);
    }
    if state.status.fronts.len() > 1 {
        for front in state.status.fronts.iter() {
            let banner = front.name.to_string();
            for view in state.status.report_in(&front.catalog).views {
                let labels = [("banner", banner.clone()), ("view", view.view.to_string())];
                gauge!("vitrine_banner_view_records", &labels).set(view.records as f64);
                let lag = view.lag_ms as f64 / 1000.0;
                gauge!("vitrine_banner_view_lag_seconds", &labels).set(lag);
            }
        }
    }
    // Every series exists from the first scrape (at 0 when nothing happened, e.g. no registry
    // configured), so dashboards and alerts never meet an absent series.
    let no_registry = crate::registry::RegistryReport::default();
    {
        let registry = report.schema_registry.as_ref().unwrap_or(&no_registry);
        gauge!("vitrine_schema_registry_cached_schemas").set(registry.cached_schemas as f64);
        counter!("vitrine_schema_registry_fetches_total").absolute(registry.fetched);
        counter!("vitrine_schema_registry_failures_total").absolute(registry.failures);
        counter!("vitrine_schema_registry_not_found_total").absolute(registry.not_found);
        let waiting = registry.waiting.as_ref().map_or(0.0, |_| 1.0);
        gauge!("vitrine_schema_registry_waiting").set(waiting);
    }
    gauge!("vitrine_ready").set(if report.ready { 1.0 } else { 0.0 });
    gauge!("vitrine_broker_reachable").set(if report.broker_reachable { 1.0 } else { 0.0 });
    gauge!("vitrine_broker_since_contact_seconds").set(report.since_contact_ms as f64 / 1000.0);
    counter!("vitrine_snapshots_rejected_total").absolute(report.rejected_snapshots);
    counter!("vitrine_connections_refused_total", "reason" => "per_client").increment(0);
    counter!("vitrine_reservation_decisions_total").increment(0);
    gauge!("vitrine_bootstrap_seconds").set(report.ready_after_ms as f64 / 1000.0);
    gauge!("vitrine_snapshot_records").set(report.snapshot.map_or(0.0, |s| s.records as f64));
    gauge!("vitrine_subscriptions_active").set(state.gateway.hub().active() as f64);
    let memo = state.gateway.memo_stats();
    counter!("vitrine_memo_hits_total").absolute(memo.hits.load(Ordering::Relaxed));
    counter!("vitrine_memo_misses_total").absolute(memo.misses.load(Ordering::Relaxed));
    counter!("vitrine_memo_outdated_total").absolute(memo.outdated.load(Ordering::Relaxed));
    counter!("vitrine_memo_shared_total").absolute(memo.shared.load(Ordering::Relaxed));
    for ended in super::live::WsClose::ALL {
        counter!("vitrine_websocket_closes_total", "reason" => ended.label())
            .absolute(ended.count());
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response();
    };
    refresh(&state);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}
