//! The registry's REST endpoints Vitrine uses (Confluent's API, which Redpanda, Karapace and
//! Apicurio's ccompat layer serve): a schema by id or GUID with its references, and
//! registering a schema under a subject (`vitrine feed`).

use std::io::Read;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::config::SchemaRegistrySettings;
use crate::events::formats::{SchemaKind, SchemaRef, SchemaText};

/// Largest response body read (a schema is kilobytes; a hostile or broken registry cannot
/// make Vitrine hold more).
const MAX_BODY_BYTES: u64 = 4 << 20;
/// Most schemas one schema may pull in through its references (transitively).
const MAX_REFERENCES: usize = 64;

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The registry says it does not know the id (or a schema it references): definite.
    #[error("not found: {0}")]
    NotFound(String),
    /// Down, failing, timing out, refusing our credentials: worth trying again.
    #[error("registry unavailable: {0}")]
    Unavailable(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaResponse {
    schema: String,
    /// Absent means AVRO (Confluent's API).
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Deserialize)]
struct Reference {
    name: String,
    subject: String,
    version: i64,
}

#[derive(Deserialize)]
struct Registered {
    id: u32,
}

/// An HTTP client for one registry.
pub struct RegistryHttp {
    base: String,
    client: reqwest::blocking::Client,
    auth: Auth,
}

enum Auth {
    None,
    Basic(String, String),
    Bearer(String),
}

impl RegistryHttp {
    pub fn new(settings: &SchemaRegistrySettings) -> Result<Self, String> {
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms.max(1)))
            .timeout(Duration::from_millis(settings.request_timeout_ms.max(1)))
            .redirect(reqwest::redirect::Policy::limited(3));
        if !settings.ca_file.is_empty() {
            let pem = std::fs::read(&settings.ca_file)
                .map_err(|e| format!("schema_registry.ca_file `{}`: {e}", settings.ca_file))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string())? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let auth = if !settings.bearer_token.is_empty() {
            Auth::Bearer(settings.bearer_token.expose().to_string())
        } else if !settings.username.is_empty() {
            Auth::Basic(
                settings.username.clone(),
                settings.password.expose().to_string(),
            )
        } else {
            Auth::None
        };
        Ok(Self {
            base: settings.url.trim_end_matches('/').to_string(),
            client: builder.build().map_err(|e| e.to_string())?,
            auth,
        })
    }

    fn send(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<serde_json::Value, FetchError> {
        let request = match &self.auth {
            Auth::None => request,
            Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
        };
        let response = request
            .header(
                "accept",
                "application/vnd.schemaregistry.v1+json, application/json",
            )
            .send()
            .map_err(|e| FetchError::Unavailable(without_url(e)))?;
        let status = response.status();
        let mut body = Vec::new();
        response
            .take(MAX_BODY_BYTES)
            .read_to_end(&mut body)
            .map_err(|e| FetchError::Unavailable(e.to_string()))?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(FetchError::NotFound(
                String::from_utf8_lossy(&body).chars().take(200).collect(),
            ));
        }
        if !status.is_success() {
            return Err(FetchError::Unavailable(format!("HTTP {status}")));
        }
        serde_json::from_slice(&body)
            .map_err(|e| FetchError::Unavailable(format!("bad answer: {e}")))
    }

    fn get(&self, path: &str) -> Result<serde_json::Value, FetchError> {
        self.send(self.client.get(format!("{}{path}", self.base)))
    }

    /// The schema a value names, with every schema it references.
    pub fn schema(&self, schema: SchemaRef) -> Result<SchemaText, FetchError> {
        let path = match schema {
            SchemaRef::Id(id) => format!("/schemas/ids/{id}"),
            SchemaRef::Guid(_) => format!("/schemas/guids/{schema}"),
        };
        let answer = parse(self.get(&path)?)?;
        let mut references = Vec::new();
        let mut pending: Vec<Reference> = answer.references;
        while let Some(reference) = pending.pop() {
            if references.len() >= MAX_REFERENCES {
                return Err(FetchError::NotFound(format!(
                    "more than {MAX_REFERENCES} references"
                )));
            }
            if references.iter().any(|(name, _)| *name == reference.name) {
                continue;
            }
            let subject = encode(&reference.subject);
            let found = parse(self.get(&format!(
                "/subjects/{subject}/versions/{}",
                reference.version
            ))?)?;
            pending.extend(found.references);
            references.push((reference.name, found.schema));
        }
        Ok(SchemaText {
            schema_type: answer.kind,
            schema: answer.schema,
            references,
        })
    }

    /// Registers `schema` under `subject` (or finds it registered) and returns its id.
    pub fn register(&self, subject: &str, schema: &SchemaText) -> Result<u32, FetchError> {
        let kind = match schema.schema_type {
            SchemaKind::Avro => "AVRO",
            SchemaKind::Protobuf => "PROTOBUF",
        };
        let body = json!({"schema": schema.schema, "schemaType": kind});
        let url = format!("{}/subjects/{}/versions", self.base, encode(subject));
        let request = self
            .client
            .post(url)
            .header("content-type", "application/vnd.schemaregistry.v1+json")
            .body(body.to_string());
        let answer = self.send(request)?;
        serde_json::from_value::<Registered>(answer)
            .map(|r| r.id)
            .map_err(|e| FetchError::Unavailable(format!("bad answer: {e}")))
    }
}

struct Parsed {
    kind: SchemaKind,
    schema: String,
    references: Vec<Reference>,
}

fn parse(answer: serde_json::Value) -> Result<Parsed, FetchError> {
    let answer: SchemaResponse = serde_json::from_value(answer)
        .map_err(|e| FetchError::Unavailable(format!("bad answer: {e}")))?;
    let kind = match answer.schema_type.as_deref().unwrap_or("AVRO") {
        "AVRO" => SchemaKind::Avro,
        "PROTOBUF" => SchemaKind::Protobuf,
        other => {
            return Err(FetchError::NotFound(format!(
                "schema type {other} is not read by Vitrine"
            )))
        }
    };
    Ok(Parsed {
        kind,
        schema: answer.schema,
        references: answer.references,
    })
}

/// A subject in a URL path.
fn encode(subject: &str) -> String {
    subject
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A transport error without the URL (which may carry credentials).
fn without_url(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    format!("{kind}: {}", error.without_url())
}
