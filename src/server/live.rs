//! Subscription transports: WebSocket (`graphql-transport-ws` and the legacy
//! `subscriptions-transport-ws`) and GraphQL over server-sent events (graphql-sse, distinct
//! connections mode), both at `/graphql`.
//!
//! WebSocket liveness is the server's job, as the protocols define it: every `ws_ping_interval`
//! the server sends a WebSocket ping frame plus the protocol's own keep-alive (`ping` for
//! graphql-transport-ws, `ka` for subscriptions-transport-ws), and closes the connection only
//! when the client has sent nothing at all (not even a pong) for a ping interval plus
//! `ws_pong_timeout`. A quiet client that answers pings stays connected for as long as it likes.

use std::convert::Infallible;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::http::{WebSocket as GraphQLWebSocket, WebSocketProtocols, WsMessage};
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{FromRequestParts, WebSocketUpgrade};
use axum::http::header::SEC_WEBSOCKET_PROTOCOL;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{stream, SinkExt, StreamExt};

use super::listener::ConnectionPermit;
use super::AppState;
use crate::graphql::pipeline::{Admitted, Door, StreamDoor};
use crate::graphql::subscription::ConnectionSubscriptions;
use crate::shutdown::Shutdown;

/// Read and write buffer of each WebSocket connection.
const WS_BUFFER_BYTES: usize = 4096;
/// Close code for a client that stopped answering pings (as async-graphql uses for timeouts).
const CLOSE_TIMEOUT: u16 = 3008;
/// Close code when the server shuts down ("going away").
const CLOSE_GOING_AWAY: u16 = 1001;

/// Timings of subscription transports.
#[derive(Debug, Clone, Copy)]
pub struct LiveTimings {
    /// Keep-alive comment interval on SSE streams.
    pub sse_keepalive: Duration,
    /// How often the server pings a WebSocket client.
    pub ws_ping_interval: Duration,
    /// How long past a ping interval a silent client is given before it is closed.
    pub ws_pong_timeout: Duration,
    /// Longest one message may wait to be written to a client that does not read.
    pub ws_send_timeout: Duration,
}

/// The subprotocol the client asked for (the first one we speak).
fn protocol(parts: &Parts) -> Option<WebSocketProtocols> {
    parts
        .headers
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())?
        .split(',')
        .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
}

/// Upgrades to a GraphQL WebSocket; each connection counts its own subscriptions, and its
/// client's.
/// Whether a WebSocket upgrade may proceed: no `Origin` (not a browser page), the server's own
/// origin (the same host), or a listed one. A page elsewhere is refused, so it cannot open a
/// socket with a shopper's browser (`tests/api/connections.rs`).
fn origin_allowed(headers: &axum::http::HeaderMap, allowed: &[String]) -> bool {
    use axum::http::header::{HOST, ORIGIN};
    let Some(origin) = headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return !headers.contains_key(ORIGIN); // present but not text: refused
    };
    let origin = origin.trim().trim_end_matches('/');
    if allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h.trim()))
}

pub async fn websocket(state: AppState, parts: &mut Parts) -> Response {
    if !origin_allowed(&parts.headers, &state.ws_allowed_origins) {
        return (
            StatusCode::FORBIDDEN,
            "this origin may not open a WebSocket here",
        )
            .into_response();
    }
    let Some(protocol) = protocol(parts) else {
        return (StatusCode::BAD_REQUEST, "unsupported websocket subprotocol").into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    // Every message is one pass through the pipeline, as this caller through this door.
    let caller = super::caller::caller(&state, parts).identified();
    let door = StreamDoor::new(state.gateway.clone(), Door::WebSocket, caller);
    let (timings, shutdown) = (state.live, state.shutdown.clone());
    // The connection's place under max_connections, kept while the socket lives.
    let permit = parts.extensions.get::<ConnectionPermit>().cloned();
    // Small buffers: most connections sit idle holding subscriptions (tungstenite's defaults
    // reserve 128 KiB per connection for reading alone); messages are bounded like bodies.
    upgrade
        .read_buffer_size(WS_BUFFER_BYTES)
        .write_buffer_size(WS_BUFFER_BYTES)
        .max_message_size(state.max_body_bytes)
        .max_frame_size(state.max_body_bytes)
        .protocols([protocol.sec_websocket_protocol()])
        .on_upgrade(move |socket| async move {
            let mut data = Data::default();
            data.insert(ConnectionSubscriptions::default());
            serve_socket(socket, door, protocol, data, timings, shutdown).await;
            drop(permit);
        })
        .into_response()
}

/// The protocol's own keep-alive message from the server.
fn keepalive_message(protocol: WebSocketProtocols) -> &'static str {
    match protocol {
        WebSocketProtocols::GraphQLWS => r#"{"type":"ping"}"#,
        WebSocketProtocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Runs one GraphQL WebSocket: client messages into async-graphql's protocol state machine,
/// its answers out, pings on a timer, and a close on shutdown or a silent client.
async fn serve_socket(
    socket: WebSocket,
    door: StreamDoor,
    protocol: WebSocketProtocols,
    data: Data,
    timings: LiveTimings,
    shutdown: Shutdown,
) {
    let (mut sink, incoming) = socket.split();
    let last_heard = Arc::new(Mutex::new(Instant::now()));
    let heard = Arc::clone(&last_heard);
    // Any frame, a pong included, proves the client is there; only data reaches the protocol.
    let input = incoming
        .take_while(|frame| futures::future::ready(frame.is_ok()))
        .filter_map(move |frame| {
            *heard.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            futures::future::ready(match frame {
                Ok(Message::Text(text)) => Some(bytes::Bytes::from(text)),
                Ok(Message::Binary(data)) => Some(data),
                _ => None,
            })
        });
    let mut outgoing = GraphQLWebSocket::new(door, input, protocol).connection_data(data);
    let mut ticker = tokio::time::interval(timings.ws_ping_interval);
    ticker.tick().await;
    let silent_after = timings.ws_ping_interval + timings.ws_pong_timeout;
    let within = timings.ws_send_timeout;
    let stopping = shutdown.wait();
    tokio::pin!(stopping);
    let ended = loop {
        let message = tokio::select! {
            message = outgoing.next() => match message {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => close(code, &reason),
                None => break WsClose::Client,
            },
            _ = ticker.tick() => {
                let quiet = last_heard.lock().unwrap_or_else(|e| e.into_inner()).elapsed();
                if quiet > silent_after {
                    tracing::debug!(quiet_ms = quiet.as_millis() as u64, "websocket client stopped answering; closing");
                    send_within(&mut sink, close(CLOSE_TIMEOUT, "timeout"), within).await;
                    break WsClose::PongTimeout;
                }
                if !send_within(&mut sink, Message::Ping(bytes::Bytes::new()), within).await {
                    break WsClose::SendTimeout;
                }
                Message::Text(keepalive_message(protocol).into())
            },
            _ = &mut stopping => {
                send_within(&mut sink, close(CLOSE_GOING_AWAY, "server shutting down"), within).await;
                break WsClose::Shutdown;
            }
        };
        let closing = matches!(message, Message::Close(_));
        if !send_within(&mut sink, message, within).await {
            break WsClose::SendTimeout;
        }
        if closing {
            break WsClose::Protocol;
        }
    };
    WS_CLOSES[ended as usize].fetch_add(1, Ordering::Relaxed);
    let _ = tokio::time::timeout(within, sink.close()).await;
}

/// Why a WebSocket ended, as `/metrics` counts them (`vitrine_websocket_closes_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsClose {
    /// The client closed it or the connection broke.
    Client,
    /// The protocol ended it (a bad or unacknowledged `connection_init`, a malformed message).
    Protocol,
    /// The client sent nothing, not even a pong, past the ping interval and the pong timeout.
    PongTimeout,
    /// The client did not read a message within `subscriptions.ws_send_timeout_ms`.
    SendTimeout,
    /// The server shut down.
    Shutdown,
}

impl WsClose {
    pub const ALL: [WsClose; 5] = [
        WsClose::Client,
        WsClose::Protocol,
        WsClose::PongTimeout,
        WsClose::SendTimeout,
        WsClose::Shutdown,
    ];

    pub fn label(self) -> &'static str {
        match self {
            WsClose::Client => "client",
            WsClose::Protocol => "protocol",
            WsClose::PongTimeout => "pong_timeout",
            WsClose::SendTimeout => "send_timeout",
            WsClose::Shutdown => "shutdown",
        }
    }

    /// WebSockets ended this way since the process started.
    pub fn count(self) -> u64 {
        WS_CLOSES[self as usize].load(Ordering::Relaxed)
    }
}

/// Ends of WebSockets by [`WsClose`], process-wide (like the metrics recorder).
static WS_CLOSES: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

/// Sends one message, waiting at most `within` for a client that does not read; false when
/// it could not be sent (the connection is then dropped).
async fn send_within(
    sink: &mut futures::stream::SplitSink<WebSocket, Message>,
    message: Message,
    within: Duration,
) -> bool {
    match tokio::time::timeout(within, sink.send(message)).await {
        Ok(sent) => sent.is_ok(),
        Err(_) => {
            tracing::debug!(
                within_ms = within.as_millis() as u64,
                "websocket client does not read; closing"
            );
            false
        }
    }
}

/// The client asked for server-sent events.
pub fn wants_event_stream(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}

/// Answers one admitted request as a stream of `next` events, then `complete` (also when the
/// server shuts down, so the client knows the stream ended on purpose).
pub fn event_stream(state: &AppState, admitted: Admitted) -> Response {
    let responses = state.gateway.stream(admitted, None).map(|response| {
        Ok::<_, Infallible>(
            Event::default()
                .event("next")
                .json_data(&response)
                .unwrap_or_else(|_| Event::default().event("next").data("{}")),
        )
    });
    let responses = responses.take_until(state.shutdown.clone().wait());
    let complete = stream::once(async { Ok(Event::default().event("complete").data("")) });
    Sse::new(responses.chain(complete))
        .keep_alive(KeepAlive::new().interval(state.live.sse_keepalive))
        .into_response()
}
