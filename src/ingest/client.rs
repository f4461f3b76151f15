//! The one place a Kafka client's configuration is built: the consumer, the admin client and the
//! publisher all start from [`KafkaClient::config`], so connection settings are set once.

use rdkafka::config::ClientConfig;

use crate::config::KafkaSettings;

/// Client id used where no settings are at hand (tools and tests).
const DEFAULT_CLIENT_ID: &str = "vitrine";

/// How to reach a Kafka cluster, for any client Vitrine makes.
#[derive(Debug, Clone)]
pub struct KafkaClient {
    brokers: String,
    client_id: String,
}

impl KafkaClient {
    /// The configured cluster, at `brokers` (the configured ones, or the embedded cluster's).
    pub fn new(settings: &KafkaSettings, brokers: &str) -> Self {
        Self {
            brokers: brokers.to_string(),
            client_id: settings.client_id.clone(),
        }
    }

    /// A cluster at `brokers` with default settings.
    pub fn at(brokers: &str) -> Self {
        Self {
            brokers: brokers.to_string(),
            client_id: DEFAULT_CLIENT_ID.to_string(),
        }
    }

    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The base configuration every client starts from; callers add their role's properties.
    pub fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", &self.client_id);
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_starts_from_the_same_connection_settings() {
        let config = KafkaClient::at("127.0.0.1:9092").config();
        assert_eq!(config.get("bootstrap.servers"), Some("127.0.0.1:9092"));
        assert_eq!(config.get("client.id"), Some(DEFAULT_CLIENT_ID));
    }
}
