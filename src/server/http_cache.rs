//! HTTP caching of queries asked over GET: `Cache-Control` from the gateway's verdict, a strong
//! `ETag` over the answer's data (not its freshness extension, which moves while the data stays
//! put), `Vary`, and `If-None-Match` answered with 304 Not Modified. Every replica computes the
//! same tag for the same data, so a CDN in front of several replicas revalidates across them.

use crate::digest::sha256_hex;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::graphql::answer::{Cacheable, JsonAnswer, Outcome};

/// What a cached answer varies on: the media type asked for, the encoding, and the staleness
/// bound (a bounded request may get `STALE_VIEW` where an unbounded one is served).
const VARY: &str = "accept, accept-encoding, x-max-staleness-ms";

fn vary(host: bool) -> String {
    match host {
        true => format!("{VARY}, host"),
        false => VARY.to_string(),
    }
}

/// The strong entity tag of `data` (the first 128 bits of its SHA-256, in hex).
pub fn etag(data: &[u8]) -> String {
    format!("\"{}\"", &sha256_hex(data)[..32])
}

/// True when `If-None-Match` names `tag` (or is `*`).
fn matches(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == tag || t == "*")
}

/// Adds the caching headers to a GET answer, or answers 304 when the client has it already.
/// `respond` builds the full response otherwise.
pub fn cached(
    request: &HeaderMap,
    answer: JsonAnswer,
    respond: impl FnOnce(JsonAnswer) -> Response,
) -> Response {
    let Some(Cacheable {
        max_age_secs,
        data_len,
        vary_host,
    }) = answer.cache.filter(|_| answer.outcome == Outcome::Executed)
    else {
        return respond(answer);
    };
    let tag = etag(&answer.body[..data_len.min(answer.body.len())]);
    let control = format!("public, max-age={max_age_secs}");
    let mut response = if matches(request, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        respond(answer)
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::ETAG, tag),
        (header::CACHE_CONTROL, control),
        (header::VARY, vary(vary_host)),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_forms() {
        let tag = etag(b"{\"data\":{}}");
        let mut h = HeaderMap::new();
        assert!(!matches(&h, &tag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{tag}")).unwrap(),
        );
        assert!(matches(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches(&h, &tag));
        assert_ne!(etag(b"a"), etag(b"b"));
    }
}
