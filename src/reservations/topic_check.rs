//! Start-up check of the reservations topic's configuration (DescribeConfigs): a compacted
//! topic keeps only the latest record per SKU, so a replay would lose hold requests and
//! decisions; too short a retention loses holds still running. Either is refused with what to
//! set; a broker that cannot say is warned about, not refused.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use crate::config::ReservationSettings;
use crate::ingest::KafkaClient;

/// Why the reservations topic cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TopicCheckError {
    #[error(
        "topic `{topic}` has cleanup.policy={policy}: a compacted reservations topic loses hold \
         requests and decisions on replay. Create it with cleanup.policy=delete and \
         retention.ms >= {min_retention_ms} (e.g. kafka-topics --create --topic {topic} \
         --config cleanup.policy=delete --config retention.ms={min_retention_ms}), or set \
         topics.reservations = \"\" to switch reservations off"
    )]
    Compacted {
        topic: String,
        policy: String,
        min_retention_ms: i64,
    },
    #[error(
        "topic `{topic}` keeps records for retention.ms={retention_ms}, less than the longest \
         hold plus the remember window plus the snapshot interval ({min_retention_ms} ms): \
         holds would vanish on replay. Set retention.ms >= {min_retention_ms} \
         (kafka-configs --alter --entity-type topics --entity-name {topic} --add-config \
         retention.ms={min_retention_ms})"
    )]
    RetentionTooShort {
        topic: String,
        retention_ms: i64,
        min_retention_ms: i64,
    },
}

/// The shortest retention the reservations topic may have (ms).
pub fn min_retention_ms(settings: &ReservationSettings, snapshot_interval_secs: u64) -> i64 {
    let secs = settings
        .max_ttl_secs
        .saturating_add(settings.remember_secs)
        .saturating_add(snapshot_interval_secs as i64);
    secs.saturating_mul(1000)
}

/// Judges a topic's `cleanup.policy` and `retention.ms` (absent: the broker's defaults,
/// `delete` and a week).
pub fn judge(
    topic: &str,
    policy: Option<&str>,
    retention_ms: Option<&str>,
    min_retention_ms: i64,
) -> Result<(), TopicCheckError> {
    let policy = policy.unwrap_or("delete");
    if policy.split(',').any(|p| p.trim() == "compact") {
        return Err(TopicCheckError::Compacted {
            topic: topic.to_string(),
            policy: policy.to_string(),
            min_retention_ms,
        });
    }
    let retention: i64 = retention_ms
        .and_then(|r| r.trim().parse().ok())
        .unwrap_or(7 * 24 * 3_600_000);
    if retention >= 0 && retention < min_retention_ms {
        return Err(TopicCheckError::RetentionTooShort {
            topic: topic.to_string(),
            retention_ms: retention,
            min_retention_ms,
        });
    }
    Ok(())
}

/// Reads the topic's configuration and judges it.
pub async fn check_reservations_topic(
    client: &KafkaClient,
    topic: &str,
    settings: &ReservationSettings,
    snapshot_interval_secs: u64,
) -> Result<(), TopicCheckError> {
    let min = min_retention_ms(settings, snapshot_interval_secs);
    let admin: AdminClient<DefaultClientContext> = match client.config(|_| {}).create() {
        Ok(admin) => admin,
        Err(error) => {
            tracing::warn!(topic, %error, "cannot check the reservations topic's configuration");
            return Ok(());
        }
    };
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(5)));
    let described = admin
        .describe_configs(&[ResourceSpecifier::Topic(topic)], &options)
        .await;
    let resource = match described.as_deref() {
        Ok([Ok(resource)]) => resource,
        Ok([Err(RDKafkaErrorCode::UnknownTopicOrPartition)]) => {
            tracing::warn!(
                topic,
                min_retention_ms = min,
                "the reservations topic does not exist: create it with cleanup.policy=delete \
                 and retention.ms of at least min_retention_ms, or set topics.reservations = \"\""
            );
            return Ok(());
        }
        other => {
            tracing::warn!(topic, answer = ?other.map(|r| r.len()), "the broker did not describe the reservations topic's configuration; not checked");
            return Ok(());
        }
    };
    let value = |name: &str| resource.get(name).and_then(|e| e.value.as_deref());
    judge(topic, value("cleanup.policy"), value("retention.ms"), min)?;
    tracing::info!(
        topic,
        "reservations topic: cleanup.policy and retention.ms fit"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacted_and_short_lived_topics_are_refused() {
        let min = 10_000;
        assert!(judge("t", None, None, min).is_ok(), "broker defaults");
        assert!(
            judge("t", Some("delete"), Some("-1"), min).is_ok(),
            "forever"
        );
        assert!(judge("t", Some("delete"), Some("10000"), min).is_ok());
        for policy in ["compact", "compact,delete", "delete, compact"] {
            let refused = judge("t", Some(policy), None, min).unwrap_err();
            assert!(
                refused.to_string().contains("cleanup.policy=delete"),
                "{refused}"
            );
        }
        assert!(matches!(
            judge("t", Some("delete"), Some("9999"), min),
            Err(TopicCheckError::RetentionTooShort { .. })
        ));
    }
}
