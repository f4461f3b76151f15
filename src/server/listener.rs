//! The accept loop (in place of `axum::serve`, which exposes none of this): HTTP/1.1 with
//! upgrades for WebSockets, a header-read timeout that also closes idle keep-alive
//! connections, a cap on open connections (a WebSocket keeps its place while it lives), and a
//! graceful shutdown that stops accepting and lets open connections finish.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use crate::shutdown::Shutdown;

/// Limits on connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest a client may take to send a request's headers, and longest a keep-alive
    /// connection may sit idle between requests.
    pub header_read_timeout: Duration,
    /// Connections open at once; past it new ones wait in the listen backlog.
    pub max_connections: usize,
    /// Connections one peer address may hold; past it a new one gets 429 and is closed
    /// (0: no cap).
    pub max_per_client: usize,
}

/// Open connections per peer address.
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// One connection's count against its peer address, given back when the connection (or the
/// WebSocket it became) is gone.
struct ClientPlace {
    clients: Arc<PerClient>,
    ip: IpAddr,
}

impl PerClient {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<ClientPlace> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_default();
        if max > 0 && *count >= max {
            return None;
        }
        *count += 1;
        Some(ClientPlace {
            clients: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for ClientPlace {
    fn drop(&mut self) {
        let mut open = self.clients.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A connection's place under `max_connections`; in every request's extensions, so a
/// WebSocket upgrade can keep it for as long as the socket lives.
#[derive(Clone)]
#[allow(dead_code)]
pub struct ConnectionPermit(Arc<(OwnedSemaphorePermit, ClientPlace)>);

/// Serves `router` on `listener` until `shutdown` fires, then waits for open connections.
pub async fn serve(
    listener: TcpListener,
    router: super::edge::Routes,
    limits: ConnectionLimits,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let places = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let clients = Arc::new(PerClient::default());
    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener, &places) => accepted,
            _ = shutdown.clone().wait() => break,
        };
        let (stream, peer, permit) = accepted;
        let Some(place) = clients.take(peer.ip(), limits.max_per_client) else {
            metrics::counter!("vitrine_connections_refused_total", "reason" => "per_client")
                .increment(1);
            tokio::spawn(refuse(stream, limits.header_read_timeout, permit));
            continue;
        };
        let permit = ConnectionPermit(Arc::new((permit, place)));
        let service =
            router
                .clone()
                .map_request(move |request: hyper::Request<hyper::body::Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request.extensions_mut().insert(permit.clone());
                    request
                });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = stop.wait() => {
                    // Finish the request in flight, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    // Every connection (and WebSocket) holds a place until it is gone: wait for all of them.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = places.acquire_many(all).await;
    Ok(())
}

/// Answers a connection over its address's cap: its first request gets 429
/// `TOO_MANY_CONNECTIONS` (as HTTP, so a client reads it as an answer), then it is closed.
async fn refuse(
    stream: tokio::net::TcpStream,
    header_read_timeout: Duration,
    permit: OwnedSemaphorePermit,
) {
    let service = hyper::service::service_fn(|_request| async {
        let body = serde_json::json!({"errors": [{
            "message": "too many connections from this address",
            "extensions": {"code": "TOO_MANY_CONNECTIONS"}}]});
        let response = hyper::Response::builder()
            .status(hyper::StatusCode::TOO_MANY_REQUESTS)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::CONNECTION, "close")
            .body(axum::body::Body::from(body.to_string()));
        Ok::<_, std::convert::Infallible>(response.unwrap_or_default())
    });
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(header_read_timeout * 2, served).await;
    drop(permit);
}

/// The next connection, once a place is free. Accept errors (too many open files, a peer
/// that reset) are logged and retried after a pause, never fatal.
async fn accept(
    listener: &TcpListener,
    places: &Arc<Semaphore>,
) -> (tokio::net::TcpStream, SocketAddr, OwnedSemaphorePermit) {
    let permit = Arc::clone(places)
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                return (stream, peer, permit);
            }
            Err(error) => {
                tracing::warn!(%error, "accept failed; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
