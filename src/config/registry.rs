//! `[schema_registry]` (where Avro and Protobuf topics' writer schemas are fetched, and how hard
//! to try) and `[formats]` (each upstream topic's value format).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret};

/// A Confluent-compatible schema registry (Confluent, Redpanda, Karapace, Apicurio's
/// `/apis/ccompat/v7`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SchemaRegistrySettings {
    /// Base URL; empty: no registry (every topic must then be JSON).
    pub url: String,
    /// HTTP basic auth (Confluent Cloud: the API key and secret).
    pub username: String,
    /// Prefer `VITRINE_SCHEMA_REGISTRY__PASSWORD` or `password_file`.
    pub password: Secret,
    pub password_file: String,
    /// A bearer token instead of basic auth (`VITRINE_SCHEMA_REGISTRY__BEARER_TOKEN`, or a file).
    pub bearer_token: Secret,
    pub bearer_token_file: String,
    /// PEM CA certificate(s) to trust besides the system's.
    pub ca_file: String,
    pub connect_timeout_ms: u64,
    /// Longest one registry request may take.
    pub request_timeout_ms: u64,
    /// Schemas held by id (they never change); the least used go past this.
    pub cache_capacity: u64,
    /// How long an id the registry does not know stays unknown before it is asked again (its
    /// records are malformed meanwhile, never waited for).
    pub not_found_ttl_ms: u64,
    /// Backoff between tries while the registry is unreachable or failing (5xx, timeouts):
    /// the partition waits, nothing is skipped.
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
}

impl Default for SchemaRegistrySettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            username: String::new(),
            password: Secret::default(),
            password_file: String::new(),
            bearer_token: Secret::default(),
            bearer_token_file: String::new(),
            ca_file: String::new(),
            connect_timeout_ms: 2_000,
            request_timeout_ms: 5_000,
            cache_capacity: 10_000,
            not_found_ttl_ms: 60_000,
            retry_initial_ms: 100,
            retry_max_ms: 5_000,
        }
    }
}

/// Value formats of the upstream topics (the reservations topic, Vitrine's own, is JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FormatSettings {
    /// `json`, `avro` or `protobuf`: every upstream topic not named in `topics`.
    pub default: Format,
    /// How binary values carry their schema id: `confluent` (magic byte 0 and a 4-byte id, or
    /// 1 and a GUID, or the `__value_schema_id` header) or `apicurio-legacy` (an 8-byte id).
    pub framing: Framing,
    /// Per topic name, e.g. `"vitrine.prices" = "protobuf"`.
    pub topics: BTreeMap<String, Format>,
}

impl FormatSettings {
    pub fn of(&self, topic: &str) -> Format {
        self.topics.get(topic).copied().unwrap_or(self.default)
    }
}

fn read_secret(file: &str, field: &'static str, value: &Secret) -> Result<Secret, ConfigError> {
    if file.is_empty() {
        return Ok(value.clone());
    }
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError::Rejected {
        field,
        reason: format!("cannot read `{file}`: {e}"),
    })?;
    Ok(Secret::new(text.trim_end_matches(['\n', '\r'])))
}

impl SchemaRegistrySettings {
    /// The password and token, read from their files if named.
    pub fn with_secret_files(mut self) -> Result<Self, ConfigError> {
        self.password = read_secret(
            &self.password_file,
            "schema_registry.password_file",
            &self.password,
        )?;
        self.bearer_token = read_secret(
            &self.bearer_token_file,
            "schema_registry.bearer_token_file",
            &self.bearer_token,
        )?;
        self.password_file.clear();
        self.bearer_token_file.clear();
        Ok(self)
    }
}

/// Checks the formats against the topics read: a binary format needs a registry, the
/// reservations topic stays JSON, and a topic named under `formats.topics` must be read.
pub fn check(
    formats: &FormatSettings,
    registry: &SchemaRegistrySettings,
    upstream: &[&str],
    reservations: &[&str],
) -> Result<(), ConfigError> {
    let reject = |field, reason: String| Err(ConfigError::Rejected { field, reason });
    let binary = upstream.iter().any(|t| formats.of(t) != Format::Json);
    if binary && registry.url.is_empty() {
        return reject(
            "schema_registry.url",
            "an avro or protobuf topic needs a schema registry".to_string(),
        );
    }
    for (topic, format) in &formats.topics {
        if reservations.contains(&topic.as_str()) && *format != Format::Json {
            return reject(
                "formats.topics",
                format!("`{topic}` is a reservations topic, which Vitrine writes in JSON"),
            );
        }
        if !upstream.contains(&topic.as_str()) && !reservations.contains(&topic.as_str()) {
            return reject(
                "formats.topics",
                format!("`{topic}` is not a topic any view reads"),
            );
        }
    }
    if !registry.username.is_empty() && !registry.bearer_token.is_empty() {
        return reject(
            "schema_registry",
            "give basic auth (username, password) or a bearer token, not both".to_string(),
        );
    }
    Ok(())
}

/// A topic's value format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The contract's JSON records (docs/events.md), no registry.
    #[default]
    Json,
    /// Avro datums framed with their writer schema's registry id.
    Avro,
    /// Protobuf messages framed with their schema's registry id and message indexes.
    Protobuf,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Avro => "avro",
            Format::Protobuf => "protobuf",
        }
    }
}

/// How a topic's values carry their schema's id (the bytes alone cannot tell a 4-byte id from
/// an 8-byte one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framing {
    /// Confluent's wire format (also Apicurio's 4-byte content-id handler and Redpanda's and
    /// Karapace's serializers), or the id in the `__value_schema_id` header.
    #[default]
    Confluent,
    /// Apicurio's legacy 8-byte global id after magic byte 0, or the `apicurio.value.globalId`
    /// header (8 bytes, big-endian).
    ApicurioLegacy,
}
