//! Who is calling, as the HTTP doors identify them for the request pipeline: the client (per
//! client limits) and the staleness bound it asks for.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use super::AppState;
use crate::graphql::pipeline::{BannerHint, Caller, Identify};
use crate::graphql::subscription::ClientId;

/// Who the client is: the first value of the configured header, else the peer's IP address.
pub fn client_id(state: &AppState, parts: &Parts) -> Option<ClientId> {
    let from_header = state.client_header.as_ref().and_then(|name| {
        let value = parts.headers.get(name)?.to_str().ok()?;
        let first = value.split(',').next()?.trim();
        (!first.is_empty()).then(|| first.to_string())
    });
    from_header
        .or_else(|| {
            let ConnectInfo(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
            Some(peer.ip().to_string())
        })
        .map(ClientId)
}

/// Who is calling, from an HTTP request's head: the client (see [`client_id`], worked out only
/// when the pipeline asks) and the staleness bound of `x-max-staleness-ms`.
pub struct HttpCaller<'a> {
    state: &'a AppState,
    parts: &'a Parts,
}

pub fn caller<'a>(state: &'a AppState, parts: &'a Parts) -> HttpCaller<'a> {
    HttpCaller { state, parts }
}

impl Identify for HttpCaller<'_> {
    fn client(&self) -> Option<ClientId> {
        client_id(self.state, self.parts)
    }

    fn max_staleness_ms(&self) -> Option<i64> {
        self.parts
            .headers
            .get(super::graphql_http::MAX_STALENESS_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
    }

    fn banner(&self, with_host: bool) -> BannerHint {
        banner_hint(self.parts, with_host)
    }
}

/// The banner named by the path (`/b/{banner}/graphql`) and the `Host` asked at (without its
/// port, lower case).
pub fn banner_hint(parts: &Parts, with_host: bool) -> BannerHint {
    if !with_host && !parts.uri.path().starts_with("/b/") {
        return BannerHint::default();
    }
    let named = parts
        .uri
        .path()
        .strip_prefix("/b/")
        .and_then(|rest| rest.strip_suffix("/graphql"))
        .map(str::to_string);
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.host())
        .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
        .map(|h| h.trim().to_ascii_lowercase());
    BannerHint { named, host }
}

impl HttpCaller<'_> {
    /// Identified now (a batch's entries share it; a WebSocket keeps it for its messages).
    pub fn identified(&self) -> Caller {
        Caller {
            client: self.client(),
            max_staleness_ms: self.max_staleness_ms(),
            banner: self.banner(true),
        }
    }
}
