//! Every door a GraphQL operation can come through (a single POST, GET, a batch entry, SSE over
//! POST and over GET, graphql-transport-ws and the legacy graphql-ws) is sent the same
//! violating requests and must answer with the same code: no door may skip a rule.

use serde_json::{json, Value};

use crate::common::live::{Protocol, WsClient};
use crate::common::Client;
use crate::helpers::spawn_app;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    Post,
    Get,
    Batch,
    SsePost,
    SseGet,
    TransportWs,
    LegacyWs,
}

const DOORS: [Door; 7] = [
    Door::Post,
    Door::Get,
    Door::Batch,
    Door::SsePost,
    Door::SseGet,
    Door::TransportWs,
    Door::LegacyWs,
];

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The first GraphQL response `query` gets through `door`.
async fn through(client: &Client, door: Door, query: &str) -> Value {
    let url = format!("{}/graphql", client.base);
    let get_url = format!("{url}?query={}", encode(query));
    let response = match door {
        Door::TransportWs | Door::LegacyWs => {
            let protocol = match door {
                Door::TransportWs => Protocol::TransportWs,
                _ => Protocol::Legacy,
            };
            let mut ws = WsClient::connect(&client.base, protocol).await;
            ws.subscribe("1", query).await;
            let payload = ws.next_payload().await;
            ws.close().await;
            return payload;
        }
        Door::Post => client.http.post(&url).json(&json!({"query": query})),
        Door::Batch => client.http.post(&url).json(&json!([{"query": query}])),
        Door::Get => client.http.get(&get_url),
        Door::SsePost => client
            .http
            .post(&url)
            .header("accept", "text/event-stream")
            .json(&json!({"query": query})),
        Door::SseGet => client
            .http
            .get(&get_url)
            .header("accept", "text/event-stream"),
    }
    .send()
    .await
    .unwrap();
    let is_stream = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t.to_str().unwrap_or("").starts_with("text/event-stream"));
    let text = if is_stream {
        first_event(response).await
    } else {
        response.text().await.unwrap()
    };
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    match door {
        Door::Batch => value[0].clone(),
        _ => value,
    }
}

/// The data of the first `next` event of a stream.
async fn first_event(mut response: reqwest::Response) -> String {
    let mut pending = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let block: String = pending.drain(..end + 2).collect();
            if block.contains("event: next") || block.contains("event:next") {
                return block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim)
                    .collect();
            }
        }
    }
    pending
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn trusted_documents_only_holds_on_every_door() {
    let dir = std::env::temp_dir().join(format!("vitrine-doors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let allowed = "query Status { viewStatus { ready } }";
    let hash = vitrine::graphql::persisted::sha256_hex(allowed);
    let manifest = dir.join("manifest.json");
    let body = json!({"format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": hash, "name": "Status", "type": "query", "body": allowed}]});
    std::fs::write(&manifest, body.to_string()).unwrap();
    let app = spawn_app(&format!(
        "[graphql]\ntrusted_documents = \"{}\"\ntrusted_documents_only = true\n",
        manifest.display()
    ))
    .await;
    app.client.wait_ready().await;
    for door in DOORS {
        let r = through(&app.client, door, "{ products(first: 1) { totalCount } }").await;
        assert_eq!(code(&r), "PERSISTED_QUERY_REQUIRED", "{door:?}: {r}");
    }
    app.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_in_context_directive_is_validated_on_every_door() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    for typo in [
        "query @inContext(contry: GB) { products(first: 1) { totalCount } }",
        "query @inContext(country: GB, nosuch: 1) { products(first: 1) { totalCount } }",
    ] {
        for door in DOORS {
            let r = through(&app.client, door, typo).await;
            assert_eq!(
                code(&r),
                "GRAPHQL_VALIDATION_FAILED",
                "{door:?} {typo}: {r}"
            );
        }
    }
    app.stop().await;
}

/// Mutations run over POST (single or batched) only: never over GET, SSE over GET included.
#[tokio::test]
async fn mutations_never_run_over_get() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let mutation = "mutation { releaseReservation(id: \"r_x\", token: \"t\") { id } }";
    for door in [Door::Get, Door::SseGet] {
        let r = through(&app.client, door, mutation).await;
        assert_eq!(code(&r), "METHOD_NOT_ALLOWED", "{door:?}: {r}");
    }
    for door in [Door::Post, Door::Batch] {
        let r = through(&app.client, door, mutation).await;
        assert_eq!(code(&r), "RESERVATION_NOT_OWNED", "{door:?} runs it: {r}");
    }
    app.stop().await;
}

/// A subscription's filter is bounded on every door subscriptions come through.
#[tokio::test]
async fn subscription_filters_are_bounded_on_every_door() {
    let app = spawn_app("[subscriptions]\nmax_filter_ids = 20\n").await;
    app.client.wait_ready().await;
    let skus: Vec<String> = (0..21).map(|i| format!("\"p{i:06}-0\"")).collect();
    let query = format!(
        "subscription {{ priceChanged(skus: [{}]) {{ sku }} }}",
        skus.join(",")
    );
    for door in [
        Door::SsePost,
        Door::SseGet,
        Door::TransportWs,
        Door::LegacyWs,
    ] {
        let r = through(&app.client, door, &query).await;
        assert_eq!(code(&r), "TOO_MANY_IDS", "{door:?}: {r}");
    }
    app.stop().await;
}

/// The cost model prices a listing by the filter it will run with, the variables' defaults
/// included, on every door.
#[tokio::test]
async fn cost_counts_variable_defaults_on_every_door() {
    let app = spawn_app("[graphql]\nmax_cost = 60\n").await;
    app.client.wait_ready().await;
    let listings: String = (0..20)
        .map(|i| format!("a{i}: products(first: 1, filter: $f) {{ totalCount }} "))
        .collect();
    let query = format!(
        "query($f: ProductFilter = {{inStock: true, minPrice: \"0.01\"}}) {{ {listings} }}"
    );
    for door in DOORS {
        let r = through(&app.client, door, &query).await;
        assert_eq!(code(&r), "MAX_COST_LIMIT", "{door:?}: {r}");
    }
    app.stop().await;
}

/// A request's time budget bounds its execution on every door, WebSocket and SSE included
/// (through async-graphql: compiled plans answer this too fast to be cut off reliably).
#[tokio::test]
async fn every_door_keeps_the_request_deadline() {
    let app = spawn_app(
        "[demo]\nproducts = 3000\n[graphql]\nplanner = \"off\"\nrequest_timeout_ms = 1\nmax_cost = 1000000\n\
         max_aliases = 100\nmax_root_fields = 100\n",
    )
    .await;
    app.client.wait_ready().await;
    let listings: String = (0..30)
        .map(|i| {
            format!("a{i}: products(first: 1, filter: {{query: \"zz{i}\"}}) {{ totalCount }} ")
        })
        .collect();
    let query = format!("{{ {listings} }}");
    for door in DOORS {
        let r = through(&app.client, door, &query).await;
        assert_eq!(code(&r), "REQUEST_TIMEOUT", "{door:?}: {r}");
    }
    app.stop().await;
}

/// Operations go only through the doors that carry them: a subscription needs a stream, a
/// mutation a JSON body (not `application/graphql`), and GET carries queries alone.
#[tokio::test]
async fn each_operation_keeps_to_its_doors() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let subscription = "subscription { priceChanged(skus: [\"p000001-0\"]) { sku } }";
    for (door, expected) in [
        (Door::Post, "SUBSCRIPTION_NEEDS_STREAM"),
        (Door::Batch, "SUBSCRIPTION_NEEDS_STREAM"),
        (Door::Get, "METHOD_NOT_ALLOWED"),
    ] {
        let r = through(&app.client, door, subscription).await;
        assert_eq!(code(&r), expected, "{door:?}: {r}");
    }
    let mutation = "mutation { releaseReservation(id: \"r_x\", token: \"t\") { id } }";
    let response = app
        .client
        .http
        .post(format!("{}/graphql", app.client.base))
        .header("content-type", "application/graphql")
        .body(mutation)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let r: Value = response.json().await.unwrap();
    assert_eq!(code(&r), "UNSUPPORTED_MEDIA_TYPE", "{r}");
    for door in [Door::TransportWs, Door::LegacyWs, Door::SsePost] {
        let r = through(&app.client, door, mutation).await;
        assert_eq!(code(&r), "RESERVATION_NOT_OWNED", "{door:?} runs it: {r}");
    }
    app.stop().await;
}
