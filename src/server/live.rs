//! Subscription transports: WebSocket (`graphql-transport-ws` and the legacy
//! `subscriptions-transport-ws`) and GraphQL over server-sent events (graphql-sse, distinct
//! connections mode), both at `/graphql`.

use std::convert::Infallible;
use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, Executor, Request};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{FromRequestParts, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{stream, StreamExt};

use super::AppState;
use crate::graphql::subscription::ConnectionSubscriptions;

/// Read and write buffer of each WebSocket connection.
const WS_BUFFER_BYTES: usize = 4096;

/// Upgrades to a GraphQL WebSocket; each connection counts its own subscriptions.
pub async fn websocket(state: AppState, parts: &mut Parts) -> Response {
    let protocol = match GraphQLProtocol::from_request_parts(parts, &()).await {
        Ok(protocol) => protocol,
        Err(rejection) => return rejection.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let gateway = state.gateway.clone();
    // Small buffers: most connections sit idle holding subscriptions (tungstenite's defaults
    // reserve 128 KiB per connection for reading alone); messages are bounded like bodies.
    upgrade
        .read_buffer_size(WS_BUFFER_BYTES)
        .write_buffer_size(WS_BUFFER_BYTES)
        .max_message_size(state.max_body_bytes)
        .max_frame_size(state.max_body_bytes)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let mut data = Data::default();
            data.insert(ConnectionSubscriptions::default());
            GraphQLWebSocket::new(socket, gateway, protocol)
                .with_data(data)
                .keepalive_timeout(Duration::from_secs(30))
                .serve()
        })
        .into_response()
}

/// Answers one request as a stream of `next` events, then `complete`.
pub fn event_stream(state: &AppState, request: Request) -> Response {
    let responses = state.gateway.execute_stream(request, None).map(|response| {
        Ok::<_, Infallible>(
            Event::default()
                .event("next")
                .json_data(&response)
                .unwrap_or_else(|_| Event::default().event("next").data("{}")),
        )
    });
    let complete = stream::once(async { Ok(Event::default().event("complete").data("")) });
    Sse::new(responses.chain(complete))
        .keep_alive(KeepAlive::new().interval(state.sse_keepalive))
        .into_response()
}
