//! Persisted queries: Apollo Client (npm `@apollo/client` with its persisted-queries link, run
//! in Node) against the real server, and the trusted-documents mode refusing unknown documents.

use std::path::Path;

use serde_json::{json, Value};

use crate::common::error_code;
use crate::helpers::spawn_app;

#[tokio::test]
async fn apollo_client_runs_a_product_page_and_a_listing_by_hash() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        interop.join("node_modules/@apollo/client").exists(),
        "run `npm ci --prefix tests/interop` (scripts/test.sh does)"
    );
    let out = tokio::process::Command::new("node")
        .arg(interop.join("apollo.mjs"))
        .arg(format!("{}/graphql", app.client.base))
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["product"], "p000001", "{report}");
    assert_eq!(report["total"], 60, "{report}");
    assert_eq!(report["again"], "p000002", "{report}");
    let requests = report["requests"].as_array().unwrap();
    // Each new document: a GET by hash (not found), then the text once; a known one: GET only.
    let shape: Vec<(&str, bool)> = requests
        .iter()
        .map(|r| (r["method"].as_str().unwrap(), r["query"] == true))
        .collect();
    assert_eq!(
        shape,
        [
            ("GET", false),
            ("POST", true),
            ("GET", false),
            ("POST", true),
            ("GET", false)
        ],
        "{report}"
    );
    app.stop().await;
}

#[tokio::test]
async fn trusted_documents_only_refuses_anything_else() {
    let dir = std::env::temp_dir().join(format!("vitrine-trusted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let allowed = "query Status { viewStatus { ready } }";
    let hash = vitrine::graphql::persisted::sha256_hex(allowed);
    let manifest = dir.join("persisted-query-manifest.json");
    let body = json!({"format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": hash, "name": "Status", "type": "query", "body": allowed}]});
    std::fs::write(&manifest, body.to_string()).unwrap();
    let app = spawn_app(&format!(
        "[graphql]\ntrusted_documents = \"{}\"\ntrusted_documents_only = true\n",
        manifest.display()
    ))
    .await;
    app.client.wait_ready().await;
    let refused = app
        .client
        .query("{ viewStatus { ready } }", json!({}))
        .await;
    assert_eq!(
        error_code(&refused),
        "PERSISTED_QUERY_REQUIRED",
        "{refused}"
    );
    let hostile = app
        .client
        .query("{ a: products(first: 0) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&hostile), "PERSISTED_QUERY_REQUIRED");
    let by_hash = format!(
        "{}/graphql?extensions={}",
        app.client.base,
        urlencode(&json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).to_string())
    );
    let r: Value = app
        .client
        .http
        .get(by_hash)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["data"]["viewStatus"]["ready"], true, "{r}");
    let unknown = format!(
        "{}/graphql?extensions={}",
        app.client.base,
        urlencode(
            &json!({"persistedQuery": {"version": 1, "sha256Hash": "ab".repeat(32)}}).to_string()
        )
    );
    let r: Value = app
        .client
        .http
        .get(unknown)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&r), "PERSISTED_QUERY_NOT_FOUND", "{r}");

    // The other doors keep the rule: a batch entry, and an operation over WebSocket.
    let batch: Value = app
        .client
        .http
        .post(format!("{}/graphql", app.client.base))
        .json(&json!([{"query": allowed}, {"query": "{ a: products(first: 0) { totalCount } }"}]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(batch[0]["data"]["viewStatus"]["ready"], true, "{batch}");
    assert_eq!(error_code(&batch[1]), "PERSISTED_QUERY_REQUIRED", "{batch}");
    use crate::common::live::{Protocol, WsClient};
    for protocol in [Protocol::TransportWs, Protocol::Legacy] {
        let mut ws = WsClient::connect(&app.client.base, protocol).await;
        ws.subscribe("1", "{ a: products(first: 0) { totalCount } }")
            .await;
        let refused = ws.next_payload().await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_REQUIRED",
            "{refused}"
        );
        ws.close().await;
    }
    app.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
