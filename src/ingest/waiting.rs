//! Why the view topics cannot be assigned yet, said once (not once a second): a topic that does
//! not exist is named with the command that creates it and the setting that turns its feature
//! off or points elsewhere.

use crate::events::TopicMap;
use crate::views::ViewKind;

/// Why the topics cannot be read yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unready {
    /// The broker does not know the topic (or it has no partitions).
    Missing(String),
    /// Anything else (metadata or watermarks not answered, ...), as the client said it.
    Other(String),
}

impl std::fmt::Display for Unready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unready::Missing(topic) => write!(f, "topic {topic} does not exist"),
            Unready::Other(reason) => f.write_str(reason),
        }
    }
}

/// What to do about a missing topic: the command that creates it with the settings its view
/// needs, and the setting that names it (or turns reservations off).
pub fn missing_topic_hint(topic: &str, kind: Option<ViewKind>) -> String {
    match kind {
        Some(ViewKind::Reservations) => format!(
            "create it, never compacted: `kafka-topics --create --topic {topic} --partitions 12 \
             --config cleanup.policy=delete --config retention.ms=604800000`; or turn \
             reservations off with topics.reservations = \"\" (VITRINE_TOPICS__RESERVATIONS=) \
             (docs/operations.md#topics)"
        ),
        Some(kind) => {
            let view = kind.name();
            format!(
                "create it, compacted: `kafka-topics --create --topic {topic} --partitions 12 \
                 --config cleanup.policy=compact`; or name the existing one in topics.{view} \
                 (VITRINE_TOPICS__{upper}) or the banner's {view}_topic \
                 (docs/operations.md#topics)",
                upper = view.to_ascii_uppercase()
            )
        }
        None => "create it (docs/operations.md#topics)".to_string(),
    }
}

/// The reason last said, so a wait that goes on says it once and a new reason is said again.
#[derive(Debug, Default)]
pub struct WaitLog {
    said: Option<Unready>,
}

impl WaitLog {
    /// Logs `why` unless it is what was said last time (then at debug level).
    pub fn say(&mut self, topics: &TopicMap, why: Unready) {
        if self.said.as_ref() == Some(&why) {
            tracing::debug!(reason = %why, "still waiting for Kafka topics");
            return;
        }
        match &why {
            Unready::Missing(topic) => {
                let hint = missing_topic_hint(topic, topics.kind_of(topic));
                tracing::error!(
                    topic = %topic,
                    "Kafka topic {topic} does not exist; not ready until it does: {hint}"
                );
            }
            Unready::Other(reason) => {
                tracing::warn!(%reason, "waiting for Kafka topics; retrying every second")
            }
        }
        self.said = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_view_gets_the_settings_its_topic_needs() {
        let reservations = missing_topic_hint("r", Some(ViewKind::Reservations));
        assert!(
            reservations.contains("cleanup.policy=delete"),
            "{reservations}"
        );
        assert!(reservations.contains("topics.reservations = \"\""));
        let prices = missing_topic_hint("p", Some(ViewKind::Prices));
        assert!(prices.contains("cleanup.policy=compact"), "{prices}");
        assert!(prices.contains("VITRINE_TOPICS__PRICES"), "{prices}");
    }
}
