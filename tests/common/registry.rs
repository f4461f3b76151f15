//! A small schema registry for the tests. No schema registry server can be installed on the
//! test machines, so this implements the REST endpoints that Confluent's serializers (the
//! `confluent-kafka` Python package) and Vitrine use, with Confluent's JSON shapes:
//! `POST /subjects/{s}/versions` (register, or find the same schema registered: its id),
//! `POST /subjects/{s}` (look up), `GET /subjects/{s}/versions/{v|latest}`,
//! `GET /schemas/ids/{id}`, `GET /schemas/ids/{id}/schema`, `GET /schemas/guids/{guid}`.
//! Schemas are kept as received (Confluent's server turns a serialized Protobuf descriptor into
//! `.proto` text; Vitrine reads both). It can be made to fail (503 on every call), as a
//! registry behind a load balancer does when it is down, and counts the requests per path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Clone)]
struct Stored {
    id: u32,
    guid: String,
    subject: String,
    version: u32,
    schema: String,
    schema_type: String,
}

#[derive(Default)]
struct Inner {
    schemas: Vec<Stored>,
    failing: bool,
    /// The last `Authorization` header received.
    authorization: Option<String>,
    /// Every answer waits this long first.
    delay_ms: u64,
    requests: HashMap<String, u64>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Inner>>);

pub struct FakeRegistry {
    pub url: String,
    shared: Shared,
}

impl FakeRegistry {
    /// Serves on a free port of 127.0.0.1 from the current tokio runtime.
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = Router::new()
            .route("/subjects/{subject}/versions", post(register))
            .route("/subjects/{subject}", post(lookup))
            .route("/subjects/{subject}/versions/{version}", get(version))
            .route("/schemas/ids/{id}", get(by_id))
            .route("/schemas/ids/{id}/schema", get(raw_by_id))
            .route("/schemas/guids/{guid}", get(by_guid))
            .fallback(|uri: Uri| async move {
                (
                    StatusCode::NOT_FOUND,
                    Json(json!({"error_code": 404, "message": format!("no route {uri}")})),
                )
            })
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                remember_auth,
            ))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, shared }
    }

    /// While `on`, every call answers 503.
    pub fn fail(&self, on: bool) {
        self.shared.0.lock().unwrap().failing = on;
    }

    /// Every answer waits `ms` first (to hold concurrent callers inside one fetch).
    pub fn delay(&self, ms: u64) {
        self.shared.0.lock().unwrap().delay_ms = ms;
    }

    /// The last `Authorization` header a client sent.
    pub fn authorization(&self) -> Option<String> {
        self.shared.0.lock().unwrap().authorization.clone()
    }

    /// Requests so far whose path starts with `prefix` (e.g. `/schemas/ids/`).
    pub fn requests(&self, prefix: &str) -> u64 {
        let inner = self.shared.0.lock().unwrap();
        inner
            .requests
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Registers a schema directly: its id.
    pub fn register(&self, subject: &str, schema: &str, schema_type: &str) -> u32 {
        store(
            &mut self.shared.0.lock().unwrap(),
            subject,
            schema,
            schema_type,
        )
        .id
    }
}

async fn remember_auth(
    State(shared): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let auth = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if let Some(auth) = auth {
        shared.0.lock().unwrap().authorization = Some(auth.to_string());
    }
    next.run(request).await
}

fn store(inner: &mut Inner, subject: &str, schema: &str, schema_type: &str) -> Stored {
    if let Some(found) = inner
        .schemas
        .iter()
        .find(|s| s.subject == subject && s.schema == schema)
    {
        return found.clone();
    }
    let id = inner.schemas.len() as u32 + 1;
    let version = inner
        .schemas
        .iter()
        .filter(|s| s.subject == subject)
        .count() as u32
        + 1;
    let stored = Stored {
        id,
        guid: format!("00000000-0000-4000-8000-{id:012x}"),
        subject: subject.to_string(),
        version,
        schema: schema.to_string(),
        schema_type: schema_type.to_string(),
    };
    inner.schemas.push(stored.clone());
    stored
}

fn answer(s: &Stored) -> Value {
    json!({"id": s.id, "guid": s.guid, "subject": s.subject, "version": s.version,
        "schema": s.schema, "schemaType": s.schema_type, "references": []})
}

fn not_found(what: String) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error_code": 40403, "message": what})),
    )
        .into_response()
}

/// Counts the request; `Some` (a 503) while failing.
fn enter(shared: &Shared, path: String) -> Option<Response> {
    let mut inner = shared.0.lock().unwrap();
    *inner.requests.entry(path).or_default() += 1;
    if inner.delay_ms > 0 {
        // A blocking pause is fine here: the tests' runtimes have threads to spare.
        std::thread::sleep(std::time::Duration::from_millis(inner.delay_ms));
    }
    inner.failing.then(|| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error_code": 50300, "message": "down"})),
        )
            .into_response()
    })
}

fn body_schema(body: &Value) -> (String, String) {
    let schema = body["schema"].as_str().unwrap_or_default().to_string();
    let kind = body["schemaType"].as_str().unwrap_or("AVRO").to_string();
    (schema, kind)
}

async fn register(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    body: String,
) -> Response {
    if let Some(down) = enter(&shared, format!("/subjects/{subject}/versions")) {
        return down;
    }
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    let (schema, kind) = body_schema(&body);
    let stored = store(&mut shared.0.lock().unwrap(), &subject, &schema, &kind);
    Json(json!({"id": stored.id, "guid": stored.guid})).into_response()
}

async fn lookup(
    State(shared): State<Shared>,
    Path(subject): Path<String>,
    body: String,
) -> Response {
    if let Some(down) = enter(&shared, format!("/subjects/{subject}")) {
        return down;
    }
    let body: Value = serde_json::from_str(&body).unwrap_or_default();
    let (schema, _) = body_schema(&body);
    let inner = shared.0.lock().unwrap();
    match inner
        .schemas
        .iter()
        .find(|s| s.subject == subject && s.schema == schema)
    {
        Some(s) => Json(answer(s)).into_response(),
        None => not_found(format!("schema not under {subject}")),
    }
}

async fn version(
    State(shared): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
) -> Response {
    if let Some(down) = enter(&shared, format!("/subjects/{subject}/versions/{version}")) {
        return down;
    }
    let inner = shared.0.lock().unwrap();
    let mut under = inner.schemas.iter().filter(|s| s.subject == subject);
    let found = match version.as_str() {
        "latest" | "-1" => under.next_back(),
        v => under.find(|s| v.parse() == Ok(s.version)),
    };
    match found {
        Some(s) => Json(answer(s)).into_response(),
        None => not_found(format!("{subject} version {version}")),
    }
}

fn find(shared: &Shared, id: &str) -> Option<Stored> {
    let inner = shared.0.lock().unwrap();
    inner
        .schemas
        .iter()
        .find(|s| id.parse() == Ok(s.id))
        .cloned()
}

async fn by_id(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    if let Some(down) = enter(&shared, format!("/schemas/ids/{id}")) {
        return down;
    }
    match find(&shared, &id) {
        Some(s) => Json(json!({"schema": s.schema, "schemaType": s.schema_type, "references": []}))
            .into_response(),
        None => not_found(format!("schema {id}")),
    }
}

async fn raw_by_id(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    if let Some(down) = enter(&shared, format!("/schemas/ids/{id}/schema")) {
        return down;
    }
    match find(&shared, &id) {
        Some(s) => s.schema.into_response(),
        None => not_found(format!("schema {id}")),
    }
}

async fn by_guid(State(shared): State<Shared>, Path(guid): Path<String>) -> Response {
    if let Some(down) = enter(&shared, format!("/schemas/guids/{guid}")) {
        return down;
    }
    let inner = shared.0.lock().unwrap();
    match inner.schemas.iter().find(|s| s.guid == guid) {
        Some(s) => Json(json!({"schema": s.schema, "schemaType": s.schema_type, "references": []}))
            .into_response(),
        None => not_found(format!("schema {guid}")),
    }
}
