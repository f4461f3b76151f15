//! Shared by the integration-test binaries: waiting with a deadline, GraphQL over HTTP,
//! fresh topic names, and the edge-case event scenario both the mock and the real broker replay.
#![allow(dead_code)]

pub mod live;
pub mod registry;
pub mod scenario;

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vitrine::config::TopicSettings;

/// Polls `check` until it returns `Some`, or panics after `deadline` naming `what`.
pub async fn wait_until<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Topic names no other test uses.
pub fn fresh_topics(test: &str) -> TopicSettings {
    let nonce = format!(
        "{}-{}",
        std::process::id(),
        vitrine::clock::since_epoch().as_nanos()
    );
    TopicSettings {
        products: format!("{test}-{nonce}.products"),
        prices: format!("{test}-{nonce}.prices"),
        inventory: format!("{test}-{nonce}.inventory"),
        intl: format!("{test}-{nonce}.intl"),
        reservations: format!("{test}-{nonce}.reservations"),
    }
}

/// A GraphQL client for one server.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.http
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON body")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn is_ready(&self) -> bool {
        match self
            .http
            .get(format!("{}/health/ready", self.base))
            .send()
            .await
        {
            Ok(r) => r.status() == 200,
            Err(_) => false,
        }
    }

    pub async fn health(&self) -> Value {
        self.get("/health/ready")
            .await
            .json()
            .await
            .expect("JSON health")
    }

    pub async fn wait_ready(&self) {
        let client = self.clone();
        wait_until("readiness", Duration::from_secs(30), || {
            let c = client.clone();
            async move { c.is_ready().await.then_some(()) }
        })
        .await;
    }
}

/// The first error code of a GraphQL response.
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}
