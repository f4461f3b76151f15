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

pub(super) fn record_request(operation: &'static str, started: std::time::Instant, ok: bool) {
    let outcome = if ok { "ok" } else { "error" };
    metrics::counter!("vitrine_graphql_requests_total", "operation" => operation, "outcome" => outcome).increment(1);
    metrics::histogram!("vitrine_graphql_request_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
}
