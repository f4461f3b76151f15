//! Freshness on every answer: the `freshness` extension (per view offsets, high watermarks and
//! lag) and the `STALE_VIEW` answer to a request whose staleness bound the views exceed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_graphql::{Request, Response, Value};
use bytes::Bytes;

use super::errors::ApiError;
use crate::status::IngestStatus;
use crate::views::ViewKind;

/// Request extension bounding how stale the views may be, in ms.
pub const MAX_STALENESS: &str = "maxStalenessMs";

/// Request extension asking for the full per-view breakdown (`"freshness": true`). Without it
/// an answer carries only the compact signal: the `Vitrine-Max-Lag-Ms` header over HTTP,
/// `extensions.freshness.maxLagMs` otherwise (WebSocket, batches).
pub const FRESHNESS: &str = "freshness";

/// The HTTP header carrying the views' largest lag on every answer.
pub const MAX_LAG_HEADER: &str = "vitrine-max-lag-ms";

/// Whether the request asks for the full freshness breakdown.
pub fn wants_breakdown(request: &Request) -> bool {
    matches!(
        request.extensions.0.get(FRESHNESS),
        Some(Value::Boolean(true))
    ) || matches!(request.extensions.0.get(FRESHNESS), Some(Value::String(s)) if s == "full")
}

/// The compact freshness extension: the largest lag alone.
pub fn compact(max_lag_ms: i64) -> Value {
    let mut compact = async_graphql::indexmap::IndexMap::new();
    compact.insert(
        async_graphql::Name::new("maxLagMs"),
        Value::from(max_lag_ms),
    );
    Value::Object(compact)
}

/// How long a computed freshness extension is reused.
const FRESHNESS_REUSE: Duration = Duration::from_millis(1);

/// The freshness extension every response carries: per view, offsets applied vs high
/// watermarks and lag.
pub fn freshness_value(status: &IngestStatus) -> (i64, Value) {
    let mut views = async_graphql::indexmap::IndexMap::new();
    let mut max_lag = 0;
    let mut reachable = true;
    for kind in ViewKind::ALL {
        let f = status.freshness(kind);
        max_lag = max_lag.max(f.lag_ms);
        reachable &= f.reachable;
        let value = Value::from_json(serde_json::json!({
            "appliedOffset": f.applied, "highWatermark": f.high,
            "lagMessages": f.lag_messages, "lagMs": f.lag_ms,
        }))
        .unwrap_or_default();
        views.insert(async_graphql::Name::new(kind.name()), value);
    }
    let mut freshness = async_graphql::indexmap::IndexMap::new();
    freshness.insert(async_graphql::Name::new("maxLagMs"), Value::from(max_lag));
    freshness.insert(
        async_graphql::Name::new("brokerReachable"),
        Value::from(reachable),
    );
    freshness.insert(async_graphql::Name::new("views"), Value::Object(views));
    (max_lag, Value::Object(freshness))
}

/// `STALE_VIEW` when the request bounds staleness (`extensions.maxStalenessMs`) and the
/// views lag more: answered at once, never blocking until they catch up.
pub fn stale_response(request: &Request, max_lag_ms: i64) -> Option<Response> {
    let bound = request.extensions.0.get(MAX_STALENESS)?;
    let bound = match bound {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .unwrap_or(-1);
    (max_lag_ms > bound).then(|| {
        let error = ApiError::StaleView {
            lag_ms: max_lag_ms,
            bound_ms: bound,
        };
        Response::from_errors(vec![error.to_server_error()])
    })
}

/// The freshness extension as JSON with the max lag, reused for up to `FRESHNESS_REUSE`
/// (computing it on every request cost a fifth of the product page's throughput).
#[derive(Debug, Default)]
pub struct FreshnessCache(Mutex<Option<(Instant, i64, Bytes)>>);

impl FreshnessCache {
    /// The freshness extension serialized, computed at most once per `FRESHNESS_REUSE`.
    pub fn json(&self, status: &IngestStatus) -> (i64, Bytes) {
        let mut cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, lag, json)) = cached.as_ref() {
            if at.elapsed() < FRESHNESS_REUSE {
                return (*lag, json.clone());
            }
        }
        let (lag, value) = freshness_value(status);
        let json = Bytes::from(serde_json::to_vec(&value).expect("values serialize"));
        *cached = Some((Instant::now(), lag, json.clone()));
        (lag, json)
    }
}

/// Adds `name: value` (value already JSON) to a serialized response's `extensions`: appended
/// as the object's last member when the body has none (no `"extensions":` anywhere, the usual
/// case), else merged into the parsed response.
pub fn with_extension(body: &[u8], name: &str, value_json: &[u8]) -> Bytes {
    const KEY: &[u8] = b"\"extensions\":";
    if body.windows(KEY.len()).any(|w| w == KEY) {
        if let Some(merged) = merged_extension(body, name, value_json) {
            return merged;
        }
    }
    let Some(end) = body.iter().rposition(|b| *b == b'}') else {
        return Bytes::copy_from_slice(body);
    };
    let mut out = Vec::with_capacity(body.len() + 256);
    out.extend_from_slice(&body[..end]);
    out.extend_from_slice(b",\"extensions\":{\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(value_json);
    out.extend_from_slice(b"}}");
    Bytes::from(out)
}

fn merged_extension(body: &[u8], name: &str, value_json: &[u8]) -> Option<Bytes> {
    let mut response: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).ok()?;
    let value = serde_json::from_slice(value_json).ok()?;
    let extensions = response
        .entry("extensions")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    extensions.as_object_mut()?.insert(name.to_string(), value);
    serde_json::to_vec(&response).ok().map(Bytes::from)
}
