//! Request metrics: a bounded operation label and the request counter and latency histogram.

use async_graphql::parser::types::ExecutableDocument;

/// A bounded label for metrics: the operation's first root field, if it is one of ours.
pub(super) fn operation_label(document: &ExecutableDocument) -> &'static str {
    use async_graphql::parser::types::Selection;
    let Some((_, operation)) = document.operations.iter().next() else {
        return "none";
    };
    let first = operation
        .node
        .selection_set
        .node
        .items
        .first()
        .map(|s| &s.node);
    match first {
        Some(Selection::Field(f)) => match f.node.name.node.as_str() {
            "product" => "product",
            "products" => "products",
            "checkout" => "checkout",
            "viewStatus" => "viewStatus",
            "reserve" => "reserve",
            "releaseReservation" => "releaseReservation",
            "priceChanged" => "priceChanged",
            "inventoryChanged" => "inventoryChanged",
            "__schema" | "__type" => "introspection",
            _ => "other",
        },
        _ => "other",
    }
}

/// Every label `operation_label` and the gateway hand out.
const OPERATIONS: [&str; 12] = [
    "product",
    "products",
    "checkout",
    "viewStatus",
    "reserve",
    "releaseReservation",
    "priceChanged",
    "inventoryChanged",
    "introspection",
    "other",
    "none",
    "unparsed",
];

/// One operation's request counters (ok, error) and latency histogram.
type Handles = (metrics::Counter, metrics::Counter, metrics::Histogram);

/// The metric handles of every operation, looked up once: labelled macros hash their key
/// and search the registry on every request.
static HANDLES: std::sync::OnceLock<Vec<Handles>> = std::sync::OnceLock::new();

/// Requests answered by a compiled plan, and left to async-graphql.
static PLANNED: std::sync::OnceLock<[metrics::Counter; 2]> = std::sync::OnceLock::new();

fn planned_counter(outcome: &'static str) -> metrics::Counter {
    metrics::counter!("vitrine_graphql_planned_total", "outcome" => outcome)
}

/// Counts a request a plan answered (`planned`) or left to async-graphql.
pub(super) fn record_planned(planned: bool) {
    let outcome = if planned { "planned" } else { "fallback" };
    match PLANNED.get() {
        Some([yes, no]) => if planned { yes } else { no }.increment(1),
        None => planned_counter(outcome).increment(1),
    }
}

/// Looks the handles up in the recorder installed now (call it after installing one; before,
/// each request looks its metrics up by name).
pub fn cache_metric_handles() {
    PLANNED.get_or_init(|| [planned_counter("planned"), planned_counter("fallback")]);
    HANDLES.get_or_init(|| {
        OPERATIONS
            .iter()
            .map(|&operation| {
                let requests = |outcome: &'static str| {
                    metrics::counter!("vitrine_graphql_requests_total", "operation" => operation, "outcome" => outcome)
                };
                let latency = metrics::histogram!("vitrine_graphql_request_duration_seconds", "operation" => operation);
                (requests("ok"), requests("error"), latency)
            })
            .collect()
    });
}

pub(super) fn record_request(operation: &'static str, started: std::time::Instant, ok: bool) {
    let seconds = started.elapsed().as_secs_f64();
    let cached = HANDLES
        .get()
        .zip(OPERATIONS.iter().position(|&o| o == operation));
    if let Some((handles, at)) = cached {
        let (requests_ok, requests_error, latency) = &handles[at];
        if ok { requests_ok } else { requests_error }.increment(1);
        latency.record(seconds);
        return;
    }
    let outcome = if ok { "ok" } else { "error" };
    metrics::counter!("vitrine_graphql_requests_total", "operation" => operation, "outcome" => outcome).increment(1);
    metrics::histogram!("vitrine_graphql_request_duration_seconds", "operation" => operation)
        .record(seconds);
}
