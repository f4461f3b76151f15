//! Subscription clients for tests: GraphQL over WebSocket (both protocols) and over SSE.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `graphql-transport-ws` (the graphql-ws library) or the legacy `graphql-ws` subprotocol of
/// subscriptions-transport-ws.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    TransportWs,
    Legacy,
}

pub struct WsClient {
    socket: Socket,
    protocol: Protocol,
}

impl WsClient {
    /// Connects to `{base}/graphql` and completes the connection handshake.
    pub async fn connect(base: &str, protocol: Protocol) -> Self {
        Self::connect_with(base, protocol, &[]).await
    }

    /// [`WsClient::connect`] with extra request headers.
    pub async fn connect_with(
        base: &str,
        protocol: Protocol,
        headers: &[(&'static str, &str)],
    ) -> Self {
        let url = format!("{}/graphql", base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().unwrap());
        }
        let name = match protocol {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::Legacy => "graphql-ws",
        };
        request
            .headers_mut()
            .insert("sec-websocket-protocol", name.parse().unwrap());
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connects");
        assert_eq!(response.headers()["sec-websocket-protocol"], name);
        let mut client = Self { socket, protocol };
        client
            .send(json!({"type": "connection_init", "payload": {}}))
            .await;
        let ack = client.receive().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("sent");
    }

    async fn receive(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(20), self.socket.next())
                .await
                .expect("a message within 20s")
                .expect("socket open")
                .expect("readable");
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] != "ka" && value["type"] != "ping" && value["type"] != "pong" {
                    return value;
                }
            }
        }
    }

    pub async fn subscribe(&mut self, id: &str, query: &str) {
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::Legacy => "start",
        };
        self.send(json!({"id": id, "type": kind, "payload": {"query": query}}))
            .await;
    }

    /// The next `next`/`data` payload, or the `error` payload (skipping `complete`).
    pub async fn next_payload(&mut self) -> Value {
        loop {
            let message = self.receive().await;
            match message["type"].as_str() {
                Some("next") | Some("data") | Some("error") => return message["payload"].clone(),
                Some("complete") => continue,
                _ => panic!("unexpected message {message}"),
            }
        }
    }

    /// The next frame as it arrives (pings and keep-alives included); `None` once closed.
    /// Reading is also what answers the server's pings.
    pub async fn next_frame(&mut self, within: Duration) -> Option<Message> {
        match tokio::time::timeout(within, self.socket.next()).await {
            Ok(Some(Ok(message))) => Some(message),
            Ok(_) => None,
            Err(_) => panic!("no frame within {within:?}"),
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// Opens a GraphQL-over-SSE subscription and returns a reader of its `next` payloads.
pub async fn sse_subscribe(base: &str, query: &str) -> impl futures::Stream<Item = Value> {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("accept", "text/event-stream")
        .json(&json!({"query": query}))
        .send()
        .await
        .expect("SSE request");
    assert_eq!(response.status(), 200);
    let mut pending = String::new();
    response
        .bytes_stream()
        .map(move |chunk| {
            pending.push_str(&String::from_utf8_lossy(&chunk.expect("SSE bytes")));
            let mut events = vec![];
            while let Some(end) = pending.find("\n\n") {
                let block: String = pending.drain(..end + 2).collect();
                let data: String = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim)
                    .collect();
                if block.contains("event: next") || block.contains("event:next") {
                    events.push(serde_json::from_str::<Value>(&data).expect("JSON event"));
                }
            }
            futures::stream::iter(events)
        })
        .flatten()
}
