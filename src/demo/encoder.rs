//! Writing the catalog's records in Avro or Protobuf as a schema-registry serializer would:
//! the contract's schema of each binary topic registered under `{topic}-value` (the topic-name
//! strategy), each value encoded with it and framed with its id (Confluent's wire format).

use std::collections::HashMap;

use crate::config::Settings;
use crate::events::formats::{confluent_prefix, contract_schema, Format, WriterSchema};
use crate::events::TopicMap;
use crate::registry::RegistryHttp;
use crate::views::ViewKind;

/// The binary topics' schemas and frames.
pub struct Encoders {
    by_topic: HashMap<String, (Vec<u8>, WriterSchema)>,
}

impl Encoders {
    /// Registers the contract's schema of every binary upstream topic (`None`: all JSON).
    /// Blocking HTTP: call off the async runtime.
    pub fn register(settings: &Settings, topics: &TopicMap) -> Result<Option<Self>, String> {
        let mut by_topic = HashMap::new();
        let mut http = None;
        for topic in topics.names() {
            let Some(kind) = topics
                .kind_of(topic)
                .filter(|k| *k != ViewKind::Reservations)
            else {
                continue;
            };
            let format = settings.formats.of(topic);
            let Some(text) = contract_schema(kind, format) else {
                continue;
            };
            let registry = match http.as_ref() {
                Some(registry) => registry,
                None => http.insert(RegistryHttp::new(&settings.schema_registry)?),
            };
            let id = registry
                .register(&format!("{topic}-value"), &text)
                .map_err(|e| format!("registering the schema of {topic}: {e}"))?;
            let writer = WriterSchema::parse(&text).map_err(|e| e.to_string())?;
            let indexes = (format == Format::Protobuf).then_some(&[0u32][..]);
            by_topic.insert(topic.to_string(), (confluent_prefix(id, indexes), writer));
            tracing::info!(
                topic,
                format = format.name(),
                schema_id = id,
                "registered schema"
            );
        }
        Ok((!by_topic.is_empty()).then_some(Self { by_topic }))
    }

    /// `payload` (a contract JSON record) as `topic` carries it: framed binary for a binary
    /// topic, unchanged for a JSON one.
    pub fn encode(&self, topic: &str, payload: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let Some((prefix, writer)) = self.by_topic.get(topic) else {
            return Ok(None);
        };
        let record: serde_json::Value =
            serde_json::from_slice(payload).map_err(|e| e.to_string())?;
        let mut out = prefix.clone();
        out.extend(writer.from_json(&record)?);
        Ok(Some(out))
    }
}
