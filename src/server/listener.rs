//! The accept loop (in place of `axum::serve`, which exposes none of this): HTTP/1.1 with
//! upgrades for WebSockets, a header-read timeout that also closes idle keep-alive
//! connections, a cap on open connections (a WebSocket keeps its place while it lives), and a
//! graceful shutdown that stops accepting and lets open connections finish.

use std::net::SocketAddr;
use std::sync::Arc;
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
}

/// A connection's place under `max_connections`; in every request's extensions, so a
/// WebSocket upgrade can keep it for as long as the socket lives.
#[derive(Clone)]
pub struct ConnectionPermit(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

/// Serves `router` on `listener` until `shutdown` fires, then waits for open connections.
pub async fn serve(
    listener: TcpListener,
    router: super::edge::Routes,
    limits: ConnectionLimits,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let places = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener, &places) => accepted,
            _ = shutdown.clone().wait() => break,
        };
        let (stream, peer, permit) = accepted;
        let permit = ConnectionPermit(Arc::new(permit));
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
