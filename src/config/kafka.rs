//! Kafka connection settings (`[kafka]`, `[kafka.security]`, `[kafka.librdkafka]`), after
//! Vector's Kafka source: every field documented, secrets from the environment or a file and
//! never shown in logs or `Debug`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How to reach Kafka (`Debug` names the passthrough's keys, never its values).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KafkaSettings {
    /// Bootstrap servers, `host:port[,host:port]`; empty runs the embedded demo cluster.
    pub brokers: String,
    /// Kafka `client.id`, shown in broker logs.
    pub client_id: String,
    /// Longest time the broker may hold a fetch open waiting for data (librdkafka
    /// `fetch.wait.max.ms`): lower means fresher views and more requests.
    pub fetch_wait_max_ms: u32,
    /// How long start-up waits for broker metadata and watermarks per attempt; also the bound
    /// on the start-up check that refuses a wrong password or an untrusted certificate.
    pub metadata_timeout_ms: u64,
    /// Past this long without an answer from a partition's broker, the broker counts as
    /// unreachable and the view's lag grows with the wall clock (`STALE_VIEW` for requests
    /// bounding staleness below it).
    pub contact_timeout_ms: u64,
    /// How often topic metadata is re-read to pick up partitions added while running.
    pub partition_refresh_ms: u64,
    /// Threads decoding and applying records, each owning whole partitions (so each key's
    /// records stay in order); 0: one per core.
    #[serde(default)]
    pub apply_workers: usize,
    /// Encryption and authentication.
    #[serde(default)]
    pub security: KafkaSecurity,
    /// Any librdkafka property (`"socket.keepalive.enable" = "true"`), applied last, over
    /// everything Vitrine sets. Values are strings, as librdkafka takes them.
    #[serde(default)]
    pub librdkafka: BTreeMap<String, String>,
}

impl std::fmt::Debug for KafkaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The passthrough may hold anything (a `sasl.password`, a key's password): keys only.
        let passthrough: Vec<&String> = self.librdkafka.keys().collect();
        f.debug_struct("KafkaSettings")
            .field("brokers", &self.brokers)
            .field("client_id", &self.client_id)
            .field("fetch_wait_max_ms", &self.fetch_wait_max_ms)
            .field("metadata_timeout_ms", &self.metadata_timeout_ms)
            .field("contact_timeout_ms", &self.contact_timeout_ms)
            .field("partition_refresh_ms", &self.partition_refresh_ms)
            .field("apply_workers", &self.apply_workers)
            .field("security", &self.security)
            .field("librdkafka (values redacted)", &passthrough)
            .finish()
    }
}

/// Passthrough keys that would quietly undo `[kafka.security]` (plaintext, no certificate or
/// host checks, other credentials) while the logs still name the configured protocol: refused.
const WEAKENING_KEYS: [&str; 7] = [
    "security.protocol",
    "ssl.endpoint.identification.algorithm",
    "enable.ssl.certificate.verification",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
];

impl KafkaSettings {
    /// A `[kafka.librdkafka]` key that overrides what `[kafka.security]` decides, if any.
    pub fn weakening_passthrough(&self) -> Option<&str> {
        self.librdkafka
            .keys()
            .map(String::as_str)
            .find(|key| WEAKENING_KEYS.contains(&key.trim().to_ascii_lowercase().as_str()))
    }
}

/// librdkafka's `security.protocol`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SecurityProtocol {
    #[default]
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl KafkaSettings {
    /// Apply workers to start: as configured, or one per core.
    pub fn apply_workers(&self) -> usize {
        match self.apply_workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

impl SecurityProtocol {
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }

    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }
}

/// librdkafka's `sasl.mechanisms`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum SaslMechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

impl SaslMechanism {
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// A secret: its value is used, never printed (`Debug` shows `"[redacted]"`, and no error
/// about it quotes it).
#[derive(Clone, Serialize, PartialEq, Eq, Default)]
#[serde(transparent)]
pub struct Secret(String);

/// Text, or a number or boolean a settings layer read as one (digits in a file, `true`): taken as
/// its text. Anything else is refused without saying what it was.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Secret;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a secret as text")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret::new(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Secret, E> {
                Ok(Secret::new(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Secret, E> {
                Ok(Secret::new(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Secret, E> {
                Ok(Secret::new(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Secret, E> {
                Err(E::custom(
                    "a secret must be text: quote it (its value is not shown)",
                ))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"[redacted]\""
        })
    }
}

/// `[kafka.security]`: what managed clusters (Confluent Cloud, MSK, Aiven, Redpanda Cloud) ask.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaSecurity {
    /// `PLAINTEXT` (default), `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    pub protocol: SecurityProtocol,
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`; required with a SASL protocol.
    pub sasl_mechanism: Option<SaslMechanism>,
    pub username: String,
    /// Prefer `VITRINE_KAFKA__SECURITY__PASSWORD` or `password_file` to writing it here.
    pub password: Secret,
    /// A file holding the password (trailing newline ignored), e.g. a mounted secret.
    pub password_file: String,
    /// CA certificate(s) to trust, PEM; empty: the system's trust store.
    pub ca_file: String,
    /// Client certificate and key for mutual TLS, PEM.
    pub cert_file: String,
    pub key_file: String,
}

/// Why the security settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error("kafka.security: {0}")]
    Invalid(&'static str),
    #[error("kafka.security.password_file `{path}`: {source}")]
    PasswordFile {
        path: String,
        source: std::io::Error,
    },
}

impl KafkaSecurity {
    /// The librdkafka properties these settings stand for, the password read from its file if
    /// need be. Checked: a SASL protocol needs a mechanism, a username and a password.
    pub fn properties(&self) -> Result<Vec<(&'static str, String)>, SecurityError> {
        let mut out = vec![("security.protocol", self.protocol.name().to_string())];
        if self.protocol.uses_sasl() {
            let mechanism = self.sasl_mechanism.ok_or(SecurityError::Invalid(
                "a SASL protocol needs sasl_mechanism",
            ))?;
            if self.username.is_empty() {
                return Err(SecurityError::Invalid("a SASL protocol needs username"));
            }
            let password = self.password()?;
            if password.is_empty() {
                return Err(SecurityError::Invalid(
                    "a SASL protocol needs password or password_file",
                ));
            }
            out.push(("sasl.mechanisms", mechanism.name().to_string()));
            out.push(("sasl.username", self.username.clone()));
            out.push(("sasl.password", password.expose().to_string()));
        }
        if self.protocol.uses_tls() {
            for (property, path) in [
                ("ssl.ca.location", &self.ca_file),
                ("ssl.certificate.location", &self.cert_file),
                ("ssl.key.location", &self.key_file),
            ] {
                if !path.is_empty() {
                    out.push((property, absolute(path)));
                }
            }
        }
        Ok(out)
    }

    /// The password: from the file if one is named, else the setting.
    fn password(&self) -> Result<Secret, SecurityError> {
        if self.password_file.is_empty() {
            return Ok(self.password.clone());
        }
        std::fs::read_to_string(&self.password_file)
            .map(|text| Secret::new(text.trim_end_matches(['\n', '\r'])))
            .map_err(|source| SecurityError::PasswordFile {
                path: self.password_file.clone(),
                source,
            })
    }

    /// The mechanism's name for messages ("none" without SASL).
    pub fn mechanism_name(&self) -> &'static str {
        match (self.protocol.uses_sasl(), self.sasl_mechanism) {
            (true, Some(m)) => m.name(),
            _ => "none",
        }
    }
}

/// librdkafka resolves relative certificate paths against its own idea of the working
/// directory; hand it absolute ones.
fn absolute(path: &str) -> String {
    std::path::absolute(path).map_or_else(|_| path.to_string(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sasl_ssl() -> KafkaSecurity {
        KafkaSecurity {
            protocol: SecurityProtocol::SaslSsl,
            sasl_mechanism: Some(SaslMechanism::ScramSha512),
            username: "vitrine".into(),
            password: Secret::new("s3cret"),
            ca_file: "/etc/ca.pem".into(),
            ..KafkaSecurity::default()
        }
    }

    #[test]
    fn sasl_ssl_becomes_librdkafka_properties() {
        let props = sasl_ssl().properties().unwrap();
        let get = |k| props.iter().find(|(p, _)| *p == k).map(|(_, v)| v.as_str());
        assert_eq!(get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
        assert_eq!(get("sasl.password"), Some("s3cret"));
        assert_eq!(get("ssl.ca.location"), Some("/etc/ca.pem"));
        assert_eq!(get("ssl.certificate.location"), None);
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let shown = format!("{:?}", sasl_ssl());
        assert!(
            !shown.contains("s3cret") && shown.contains("[redacted]"),
            "{shown}"
        );
    }

    #[test]
    fn incomplete_sasl_settings_and_missing_files_are_refused() {
        let mut no_mechanism = sasl_ssl();
        no_mechanism.sasl_mechanism = None;
        assert!(no_mechanism.properties().is_err());
        let mut no_password = sasl_ssl();
        no_password.password = Secret::default();
        assert!(no_password.properties().is_err());
        let mut from_file = sasl_ssl();
        from_file.password_file = "/nonexistent/vitrine-password".into();
        assert!(matches!(
            from_file.properties(),
            Err(SecurityError::PasswordFile { .. })
        ));
        let file = std::env::temp_dir().join(format!("vitrine-pw-{}", std::process::id()));
        std::fs::write(&file, "from-file\n").unwrap();
        from_file.password_file = file.display().to_string();
        let props = from_file.properties().unwrap();
        assert!(props.contains(&("sasl.password", "from-file".to_string())));
        let _ = std::fs::remove_file(file);
    }
}
