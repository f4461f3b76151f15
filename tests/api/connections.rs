//! Connection hygiene: slow or stalled clients are cut off by timeouts, open connections are
//! capped, and one client cannot take every subscription slot.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::live::{Protocol, WsClient};
use crate::helpers::spawn_app;
use crate::subscriptions::{wait_for_active, PRICE_SUB};

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection; returns what it sent.
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server did not close within {within:?}");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn stalled_clients_are_cut_off_and_never_delay_others() {
    let app =
        spawn_app("[server]\nheader_read_timeout_ms = 300\nbody_read_timeout_ms = 300\n").await;
    app.client.wait_ready().await;
    let address = addr(&app.client.base);
    // 300 connections that send half a request and stall.
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    // A normal query is answered meanwhile.
    let r = app
        .client
        .query("{ product(id: \"p000001\") { id } }", json!({}))
        .await;
    assert_eq!(r["data"]["product"]["id"], "p000001", "{r}");
    // Every stalled connection is closed by the header-read timeout.
    for stream in stalled.iter_mut().take(20) {
        read_to_close(stream, Duration::from_secs(10)).await;
    }
    // An idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answered = read_to_close(&mut idle, Duration::from_secs(10)).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    // A body that never arrives in full: 408 with a code.
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"query\"")
        .await
        .unwrap();
    let answer = read_to_close(&mut slow, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn open_connections_are_capped() {
    let app = spawn_app("[server]\nmax_connections = 3\nheader_read_timeout_ms = 60000\n").await;
    let address = addr(&app.client.base);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(&address).await.unwrap());
    }
    // The fourth connection is not served while three are open...
    let mut fourth = TcpStream::connect(&address).await.unwrap();
    fourth
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut first_byte = [0u8; 1];
    let early =
        tokio::time::timeout(Duration::from_millis(500), fourth.read(&mut first_byte)).await;
    assert!(early.is_err(), "served past the cap");
    // ...and is once one of them closes.
    held.pop();
    let answer = read_to_close(&mut fourth, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(held);
    app.stop().await;
}

#[tokio::test]
async fn one_client_cannot_take_every_subscription() {
    let app =
        spawn_app("[subscriptions]\nmax_per_client = 2\nclient_header = \"x-client\"\n").await;
    app.client.wait_ready().await;
    let base = &app.client.base;
    let mut a = WsClient::connect_with(base, Protocol::TransportWs, &[("x-client", "alice")]).await;
    let mut b =
        WsClient::connect_with(base, Protocol::TransportWs, &[("x-client", "alice, proxy")]).await;
    a.subscribe("1", PRICE_SUB).await;
    b.subscribe("1", PRICE_SUB).await;
    wait_for_active(&app, 2).await;
    a.subscribe("2", PRICE_SUB).await;
    let refused = a.next_payload().await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
        "{refused}"
    );
    // Another client still gets its own.
    let mut c = WsClient::connect_with(base, Protocol::TransportWs, &[("x-client", "bob")]).await;
    c.subscribe("1", PRICE_SUB).await;
    wait_for_active(&app, 3).await;
    // Closing frees alice's places.
    b.close().await;
    wait_for_active(&app, 2).await;
    a.subscribe("3", PRICE_SUB).await;
    wait_for_active(&app, 3).await;
    app.stop().await;
}

/// A WebSocket upgrade from another site's page is refused before the upgrade (403); the
/// server's own pages, a listed origin and clients that send no Origin (apps) connect.
#[tokio::test]
async fn websockets_from_other_sites_are_refused() {
    let app = spawn_app("[server]\nallowed_origins = [\"https://shop.example.com\"]\n").await;
    let own = format!("http://{}", addr(&app.client.base));
    let upgrade = |origin: Option<&str>| {
        let mut request = app
            .client
            .http
            .get(format!("{}/graphql", app.client.base))
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-protocol", "graphql-transport-ws");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(upgrade(Some("https://evil.example")).await, 403);
    assert_eq!(upgrade(Some("null")).await, 403);
    assert_eq!(upgrade(Some(&own)).await, 101, "the server's own page");
    assert_eq!(
        upgrade(Some("https://shop.example.com")).await,
        101,
        "listed"
    );
    assert_eq!(upgrade(None).await, 101, "an app sends no Origin");
    app.stop().await;
}

/// A subscription naming more SKUs and product ids than `max_filter_ids` is refused with a code
/// before anything is held for it; the same list within the bound subscribes.
#[tokio::test]
async fn subscription_filters_are_bounded() {
    let app = spawn_app("[subscriptions]\nmax_filter_ids = 50\n").await;
    let list = |n: usize| {
        (0..n)
            .map(|i| format!("\"p{i:06}-0\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut ws = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    let too_many = format!(
        "subscription {{ inventoryChanged(skus: [{}], productIds: [\"p000001\"]) {{ sku }} }}",
        list(50)
    );
    ws.subscribe("1", &too_many).await;
    let refused = ws.next_payload().await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "TOO_MANY_IDS",
        "{refused}"
    );
    let fits = format!(
        "subscription {{ priceChanged(skus: [{}]) {{ sku }} }}",
        list(50)
    );
    ws.subscribe("2", &fits).await;
    wait_for_active(&app, 1).await;
    ws.close().await;
    app.stop().await;
}

/// A WebSocket client that stops reading while answers pile up is closed once one message has
/// waited `ws_send_timeout_ms`: its connection slot comes back (here the only one), where
/// before its task waited in `send` for ever.
#[tokio::test]
async fn a_websocket_client_that_stops_reading_is_closed_and_its_slot_freed() {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let app = spawn_app(
        "[server]\nmax_connections = 1\nheader_read_timeout_ms = 300\n\
         [subscriptions]\nws_send_timeout_ms = 300\n",
    )
    .await;
    let address = addr(&app.client.base);
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(address.parse().unwrap()).await.unwrap();
    let mut request = format!("ws://{address}/graphql")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .unwrap();
    let init = json!({"type": "connection_init", "payload": {}}).to_string();
    ws.send(Message::text(init)).await.unwrap();
    // Hundreds of large answers asked for, none read.
    let big = "{ products(first: 60) { edges { node { id title description brand images categories variants { sku quantityAvailable price { amount currencyCode } } } } } }";
    for i in 0..400 {
        let subscribe =
            json!({"id": i.to_string(), "type": "subscribe", "payload": {"query": big}});
        if ws.send(Message::text(subscribe.to_string())).await.is_err() {
            break; // already closed by the server
        }
    }
    // The only slot comes back: a new client is served.
    let probe = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let answer = probe
        .get(format!("{}/health/live", app.client.base))
        .send()
        .await
        .expect("served once the stalled socket is closed");
    assert_eq!(answer.status(), 200);
    drop(ws);
    app.stop().await;
}

/// One address cannot hold every connection place: past `max_connections_per_client` a new
/// connection's request is answered 429 with a code and the connection closed; one closed
/// makes room again.
#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    let app = spawn_app("[server]\nmax_connections_per_client = 3\n").await;
    let address = addr(&app.client.base);
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(&address).await.unwrap());
    }
    // The listener counts a connection once it has accepted it: wait until the fourth is
    // turned away (the first three sit idle, sending nothing).
    let mut extra = TcpStream::connect(&address).await.unwrap();
    extra
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let refused = read_to_close(&mut extra, Duration::from_secs(10)).await;
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(refused.contains("TOO_MANY_CONNECTIONS"), "{refused}");
    drop(idle.pop());
    let client = app.client.clone();
    crate::common::wait_until("a place again", Duration::from_secs(10), || {
        let c = client.clone();
        async move {
            let fresh = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap();
            let r = fresh.get(format!("{}/health/live", c.base)).send().await;
            r.is_ok_and(|r| r.status() == 200).then_some(())
        }
    })
    .await;
    drop(idle);
    app.stop().await;
}
