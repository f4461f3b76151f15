//! Any request through the gateway (limits, parse cache, validation, execution) over a small
//! generated catalog, in the shapes its doors take: a single body (`{...}` or a bare document),
//! a batch (`[...]`), or graphql-transport-ws messages (`W` then one message per line, as a
//! WebSocket carries them): never a panic, always a JSON answer. The dictionary
//! (`fuzz/dict/graphql.dict`) and seed corpus make most inputs grammar-shaped documents.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use vitrine::config::Settings;
use vitrine::demo::load_baseline;
use vitrine::graphql::gateway::Gateway;
use vitrine::graphql::pipeline::{Caller, Door, StreamDoor};
use vitrine::ingest::Applier;
use vitrine::status::IngestStats;
use vitrine::views::Catalog;

fn gateway() -> &'static (Gateway, tokio::runtime::Runtime) {
    static GATEWAY: OnceLock<(Gateway, tokio::runtime::Runtime)> = OnceLock::new();
    GATEWAY.get_or_init(|| {
        let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
        load_baseline(&applier, 3, 40);
        let gateway =
            vitrine::graphql::build_gateway(Arc::clone(applier.catalog()), &Settings::defaults());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        (gateway, runtime)
    })
}

fuzz_target!(|data: &[u8]| {
    let (gateway, runtime) = gateway();
    match data.first() {
        Some(b'[') => return batch(gateway, runtime, data),
        Some(b'W') => return websocket(gateway, runtime, &data[1..]),
        _ => {}
    }
    // A JSON body as clients send it, else the bytes as the document itself.
    let request = serde_json_request(data)
        .unwrap_or_else(|| async_graphql::Request::new(String::from_utf8_lossy(data)));
    let body = runtime.block_on(gateway.execute_json(request));
    assert!(body.first() == Some(&b'{'), "not a JSON object");
});

fn serde_json_request(data: &[u8]) -> Option<async_graphql::Request> {
    if data.first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice(data).ok()
}

/// A batch, as a POST of a JSON array carries it (at most 8 entries, as the server allows).
fn batch(gateway: &Gateway, runtime: &tokio::runtime::Runtime, data: &[u8]) {
    let Ok(requests) = serde_json::from_slice::<Vec<async_graphql::Request>>(data) else {
        return;
    };
    if requests.len() > 8 {
        return;
    }
    let answered = runtime.block_on(gateway.execute_batch(
        async_graphql::BatchRequest::Batch(requests),
        &Caller::default(),
    ));
    assert!(serde_json::to_vec(&answered).is_ok_and(|b| b.first() == Some(&b'[')));
}

/// graphql-transport-ws messages, one per line, through the protocol the server speaks; the
/// answers (at most 16, within a bounded time) are JSON messages.
fn websocket(gateway: &Gateway, runtime: &tokio::runtime::Runtime, data: &[u8]) {
    use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
    use futures::StreamExt;
    let lines: Vec<Vec<u8>> = data
        .split(|b| *b == b'\n')
        .take(16)
        .map(<[u8]>::to_vec)
        .collect();
    let input = futures::stream::iter(lines);
    let door = StreamDoor::new(gateway.clone(), Door::WebSocket, Caller::default());
    let mut output = WebSocket::new(door, input, WebSocketProtocols::GraphQLWS);
    runtime.block_on(async {
        let collect = async {
            let mut answers = 0;
            while let Some(message) = output.next().await {
                if let WsMessage::Text(text) = message {
                    assert!(
                        serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                        "{text}"
                    );
                }
                answers += 1;
                if answers >= 16 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), collect).await;
    });
}
