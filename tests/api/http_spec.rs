//! GraphQL over HTTP as the spec and cross-site rules want it: JSON bodies only, the
//! `application/graphql-response+json` media type with its status codes, queries only over GET,
//! bounded batches, CORS origins from settings, and graphql-http's audit suite (npm) clean.

use std::path::Path;

use serde_json::{json, Value};

use crate::helpers::spawn_app;

const PDP: &str = "{ product(id: \"p000001\") { id title } }";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn post(
    base: &str,
    content_type: Option<&str>,
    accept: &str,
    body: String,
) -> (u16, String, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("accept", accept)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let media = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, media, body)
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn only_json_and_graphql_bodies_reach_the_gateway() {
    let app = spawn_app("").await;
    let base = &app.client.base;
    let body = json!({"query": PDP}).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let (status, _, answer) = post(base, content_type, "application/json", body.clone()).await;
        assert_eq!(status, 415, "{content_type:?}");
        assert_eq!(code(&answer), "UNSUPPORTED_MEDIA_TYPE");
        assert!(answer.get("data").is_none());
    }
    let (status, _, answer) =
        post(base, Some("application/json; charset=utf-8"), "*/*", body).await;
    assert_eq!(
        (status, &answer["data"]["product"]["id"]),
        (200, &json!("p000001"))
    );
    let (status, _, answer) = post(base, Some("application/graphql"), "*/*", PDP.into()).await;
    assert_eq!(
        (status, &answer["data"]["product"]["id"]),
        (200, &json!("p000001"))
    );
    app.stop().await;
}

#[tokio::test]
async fn graphql_response_json_gets_the_spec_status_codes() {
    let app = spawn_app("").await;
    let base = &app.client.base;
    let cases = [
        (json!({"query": PDP}), 200),
        (json!({"query": "{ product(id: "}), 400),
        (json!({"query": "{ nope }"}), 400),
        (
            json!({"query": "query($id: ID!) { product(id: $id) { id } }", "variables": {"id": [1, 2]}}),
            400,
        ),
        (json!({"notQuery": "{ __typename }"}), 400),
    ];
    for (body, want) in cases {
        let (status, media, answer) = post(
            base,
            Some("application/json"),
            GRAPHQL_RESPONSE,
            body.to_string(),
        )
        .await;
        assert_eq!(status, want, "{body} -> {answer}");
        assert!(
            media.starts_with(GRAPHQL_RESPONSE) || status == 400 && answer["errors"].is_array(),
            "{media}"
        );
        if want == 400 {
            assert!(
                answer.get("data").is_none(),
                "no data on a request error: {answer}"
            );
        }
        // Legacy clients that accept only application/json keep getting 200 for documents.
        let (legacy, media, _) = post(
            base,
            Some("application/json"),
            "application/json",
            body.to_string(),
        )
        .await;
        if answer["errors"][0]["extensions"]["code"] != "BAD_REQUEST" {
            assert_eq!(
                (legacy, media.as_str()),
                (200, "application/json"),
                "{body}"
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn mutations_never_run_over_get_and_batches_are_bounded() {
    let app = spawn_app("[graphql]\nmax_batch_size = 2\n").await;
    let base = &app.client.base;
    let get = reqwest::get(format!("{base}/graphql?query=mutation%20%7B%20x%20%7D"))
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let answer: Value = get.json().await.unwrap();
    assert_eq!(code(&answer), "METHOD_NOT_ALLOWED");
    let query = reqwest::get(format!("{base}/graphql?query=%7B__typename%7D"))
        .await
        .unwrap();
    assert_eq!(query.status().as_u16(), 200);

    let two = json!([{"query": "{ __typename }"}, {"query": "{ __typename }"}]).to_string();
    let (status, _, answer) = post(base, Some("application/json"), "application/json", two).await;
    assert_eq!((status, answer.as_array().map(Vec::len)), (200, Some(2)));
    let three = json!([{"query": "{ a: __typename }"}, {"query": "{ b: __typename }"}, {"query": "{ c: __typename }"}]).to_string();
    let (status, _, answer) = post(base, Some("application/json"), "application/json", three).await;
    assert_eq!((status, code(&answer)), (400, "BATCH_TOO_LARGE"));
    app.stop().await;

    let app = spawn_app("[graphql]\nmax_batch_size = 0\n").await;
    let one = json!([{"query": "{ __typename }"}]).to_string();
    let (status, _, answer) = post(&app.client.base, Some("application/json"), "*/*", one).await;
    assert_eq!((status, code(&answer)), (400, "BATCHING_NOT_ENABLED"));
    app.stop().await;
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = spawn_app("[server]\ncors_allowed_origins = [\"https://shop.example\"]\n").await;
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/graphql", app.client.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    app.stop().await;
}

/// graphql-http's `auditServer` (the suite graphql-yoga passes): no MUST or SHOULD failure.
#[tokio::test]
async fn the_graphql_over_http_audit_is_clean() {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        interop.join("node_modules/graphql-http").exists(),
        "run `npm ci --prefix tests/interop` (scripts/test.sh does)"
    );
    let app = spawn_app("").await;
    let output = tokio::process::Command::new("node")
        .arg(interop.join("audit.mjs"))
        .arg(format!("{}/graphql", app.client.base))
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        results.len() > 40,
        "the audit ran: {} results",
        results.len()
    );
    let failed: Vec<&Value> = results
        .iter()
        .filter(|r| r["status"] == "warn" || r["status"] == "error")
        .collect();
    assert!(failed.is_empty(), "MUST/SHOULD audits failed: {failed:#?}");
    app.stop().await;
}
