//! The benchmark ceiling: plain axum returning a fixed JSON body for GET and POST `/graphql`.
//! Usage: `static_ceiling BODY_FILE LISTEN_ADDR`.

use axum::http::header;
use axum::routing::get;
use axum::Router;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let body_file = args
        .next()
        .expect("usage: static_ceiling BODY_FILE LISTEN_ADDR");
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8090".into());
    let body: &'static [u8] = Box::leak(std::fs::read(body_file)?.into_boxed_slice());
    let reply = move || async move { ([(header::CONTENT_TYPE, "application/json")], body) };
    let app = Router::new().route("/graphql", get(reply).post(reply));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
