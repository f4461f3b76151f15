//! The one place a Kafka client's configuration is built: the consumer, the admin client and the
//! publisher all start from [`KafkaClient::config`], so connection and security settings are
//! set once, and `[kafka.librdkafka]` is applied last, over everything.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;

use crate::config::kafka::SecurityError;
use crate::config::KafkaSettings;

/// Client id used where no settings are at hand (tools and tests).
const DEFAULT_CLIENT_ID: &str = "vitrine";

/// How to reach a Kafka cluster, for any client Vitrine makes.
#[derive(Clone)]
pub struct KafkaClient {
    brokers: String,
    client_id: String,
    /// Security properties, then `[kafka.librdkafka]`: applied after the role's own.
    properties: Vec<(String, String)>,
    protocol: &'static str,
    mechanism: &'static str,
}

/// Passwords are among the properties: never printed.
impl std::fmt::Debug for KafkaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaClient")
            .field("brokers", &self.brokers)
            .field("client_id", &self.client_id)
            .field("protocol", &self.protocol)
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

/// Why start-up cannot talk to Kafka.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Settings(#[from] SecurityError),
    #[error("cannot create a Kafka client: {0}")]
    Client(#[from] KafkaError),
    #[error("Kafka at {brokers} refused the connection over {protocol} (SASL mechanism {mechanism}): {reason}")]
    Refused {
        brokers: String,
        protocol: &'static str,
        mechanism: &'static str,
        reason: String,
    },
    #[error("Kafka at {brokers} did not answer over {protocol} within {waited_ms} ms: {reason}")]
    Unreachable {
        brokers: String,
        protocol: &'static str,
        waited_ms: u64,
        reason: String,
    },
}

impl KafkaClient {
    /// The configured cluster at `brokers` (the configured ones, or the embedded cluster's).
    pub fn new(settings: &KafkaSettings, brokers: &str) -> Result<Self, SecurityError> {
        let mut properties: Vec<(String, String)> = settings
            .security
            .properties()?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        properties.extend(
            settings
                .librdkafka
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        Ok(Self {
            brokers: brokers.to_string(),
            client_id: settings.client_id.clone(),
            properties,
            protocol: settings.security.protocol.name(),
            mechanism: settings.security.mechanism_name(),
        })
    }

    /// A cluster at `brokers` with default, plaintext settings (tools and tests).
    pub fn at(brokers: &str) -> Self {
        Self {
            brokers: brokers.to_string(),
            client_id: DEFAULT_CLIENT_ID.to_string(),
            properties: vec![],
            protocol: "PLAINTEXT",
            mechanism: "none",
        }
    }

    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The configuration of a client: the connection, then `role`'s own properties, then
    /// security and `[kafka.librdkafka]` (which win).
    pub fn config(&self, role: impl FnOnce(&mut ClientConfig)) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", &self.client_id);
        role(&mut config);
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }

    /// Asks the cluster for metadata once, within `timeout`. A refused handshake (wrong
    /// password, untrusted certificate) is [`ConnectError::Refused`]; no answer at all is
    /// [`ConnectError::Unreachable`] (the broker may still be starting).
    pub fn check(&self, timeout: Duration) -> Result<(), ConnectError> {
        let errors = ErrorLog::default();
        let consumer: BaseConsumer<ErrorLog> = self
            .config(|c| {
                c.set("group.id", format!("{}-check", self.client_id));
            })
            .create_with_context(errors.clone())?;
        // Short attempts until the bound: a refusal is reported as soon as librdkafka says so,
        // not only once the whole wait has run out.
        let deadline = std::time::Instant::now() + timeout;
        let error = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let attempt = consumer.fetch_metadata(None, left.min(Duration::from_millis(500)));
            // Serves librdkafka's queued log and error callbacks (nothing is assigned).
            let _ = consumer.poll(Duration::ZERO);
            match attempt {
                Ok(_) => return Ok(()),
                Err(error) if left.is_zero() || errors.refused() => break error,
                Err(_) => continue,
            }
        };
        // Closing the client delivers what librdkafka still had to say.
        drop(consumer);
        let seen = errors.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let refused = seen.iter().find(|e| is_refusal(e));
        match refused {
            Some(reason) => Err(ConnectError::Refused {
                brokers: self.brokers.clone(),
                protocol: self.protocol,
                mechanism: self.mechanism,
                reason: reason.clone(),
            }),
            None => Err(ConnectError::Unreachable {
                brokers: self.brokers.clone(),
                protocol: self.protocol,
                waited_ms: timeout.as_millis() as u64,
                reason: seen.last().cloned().unwrap_or_else(|| error.to_string()),
            }),
        }
    }
}

/// An authentication or TLS failure, as librdkafka words them.
fn is_refusal(error: &str) -> bool {
    let lower = error.to_ascii_lowercase();
    ["authentication", "sasl", "ssl", "certificate", "handshake"]
        .iter()
        .any(|word| lower.contains(word))
}

/// Collects librdkafka's error callbacks during the start-up check.
#[derive(Clone, Default)]
struct ErrorLog(Arc<Mutex<Vec<String>>>);

impl ErrorLog {
    fn refused(&self) -> bool {
        let seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        seen.iter().any(|e| is_refusal(e))
    }

    fn push(&self, line: String) {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() < 32 {
            seen.push(line);
        }
    }
}

/// librdkafka reports a refused SASL handshake through its log (`FAIL`), a refused certificate
/// through both; keep what either says.
impl ClientContext for ErrorLog {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        use RDKafkaLogLevel::{Alert, Critical, Emerg, Error, Warning};
        if matches!(level, Emerg | Alert | Critical | Error | Warning) {
            self.push(format!("{fac}: {log_message}"));
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.push(format!("{error}: {reason}"));
    }
}

impl ConsumerContext for ErrorLog {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn librdkafka_properties_are_applied_last() {
        let settings = Settings::defaults()
            .with_overrides(
                "[kafka.security]\nprotocol = \"SASL_SSL\"\nsasl_mechanism = \"SCRAM-SHA-512\"\n\
                 username = \"u\"\npassword = \"p\"\n\
                 [kafka.librdkafka]\n\"fetch.wait.max.ms\" = \"7\"\n\"client.id\" = \"override\"\n",
            )
            .unwrap();
        let client = KafkaClient::new(&settings.kafka, "127.0.0.1:9092").unwrap();
        let config = client.config(|c| {
            c.set("fetch.wait.max.ms", "50");
        });
        assert_eq!(config.get("bootstrap.servers"), Some("127.0.0.1:9092"));
        assert_eq!(config.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(config.get("sasl.username"), Some("u"));
        assert_eq!(
            config.get("fetch.wait.max.ms"),
            Some("7"),
            "the map wins over the role"
        );
        assert_eq!(config.get("client.id"), Some("override"));
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("\"p\"") && shown.contains("SASL_SSL"),
            "{shown}"
        );
    }

    #[test]
    fn refusals_are_told_from_silence() {
        assert!(is_refusal(
            "Local: Authentication failure: SASL SCRAM-SHA-512 mechanism handshake failed"
        ));
        assert!(is_refusal(
            "SSL handshake failed: certificate verify failed"
        ));
        assert!(!is_refusal(
            "Connection refused (after 0ms in state CONNECT)"
        ));
    }
}
