//! Who is calling, as the HTTP doors identify them for the request pipeline: the client (per
//! client limits) and the staleness bound it asks for.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use super::AppState;
use crate::graphql::pipeline::Caller;
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

/// Who is calling: the client (see [`client_id`]) and the staleness bound of
/// `x-max-staleness-ms`.
pub fn caller(state: &AppState, parts: &Parts) -> Caller {
    let max_staleness_ms = parts
        .headers
        .get(super::graphql_http::MAX_STALENESS_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    Caller {
        client: client_id(state, parts),
        max_staleness_ms,
    }
}
