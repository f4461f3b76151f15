//! Any request body through the gateway (limits, parse cache, validation, execution) over a
//! small generated catalog: never a panic, always a JSON answer. The dictionary
//! (`fuzz/dict/graphql.dict`) and seed corpus make most inputs grammar-shaped documents.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use vitrine::config::Settings;
use vitrine::demo::load_baseline;
use vitrine::graphql::gateway::Gateway;
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
