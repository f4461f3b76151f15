//! Which topics carry Avro or Protobuf values, and how such a record is taken out of its frame
//! and decoded with its writer's schema (fetched through the [`Registry`]) into the contract's
//! record, before the one apply path. JSON topics never come here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{FormatSettings, SchemaRegistrySettings};
use crate::events::formats::{
    schema_kind, unframe, Format, Framing, APICURIO_HEADER, CONFLUENT_HEADER,
};
use crate::events::{decode, DecodeError, TopicMap};
use crate::registry::{Registry, Unresolved};
use crate::views::{Change, ViewKind};

/// The process is stopping while a record waited for the registry: it stays unapplied (and
/// its partition's position does not pass it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Halted;

/// The binary topics of this process and the registry their schemas come from.
#[derive(Clone)]
pub struct TopicFormats {
    binary: HashMap<String, Format>,
    framing: Framing,
    registry: Arc<Registry>,
}

impl std::fmt::Debug for TopicFormats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicFormats")
            .field("binary", &self.binary)
            .finish()
    }
}

impl TopicFormats {
    /// The formats of the upstream topics of `topics`, with a registry client built only if
    /// one of them is binary (`None`: every one is JSON; the reservations topics, Vitrine's
    /// own, always are).
    pub fn build(
        settings: &FormatSettings,
        registry: &SchemaRegistrySettings,
        topics: &TopicMap,
    ) -> Result<Option<Self>, String> {
        let binary: HashMap<String, Format> = topics
            .names()
            .filter(|t| topics.kind_of(t) != Some(ViewKind::Reservations))
            .map(|t| (t.to_string(), settings.of(t)))
            .filter(|(_, f)| *f != Format::Json)
            .collect();
        if binary.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self {
            binary,
            framing: settings.framing,
            registry: Arc::new(Registry::new(registry)?),
        }))
    }

    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The header a binary topic's values may carry their schema id in.
    pub fn header_name(&self, topic: &str) -> Option<&'static str> {
        self.binary.get(topic)?;
        Some(match self.framing {
            Framing::Confluent => CONFLUENT_HEADER,
            Framing::ApicurioLegacy => APICURIO_HEADER,
        })
    }

    /// Decodes one record of `topic`: `None` for a JSON topic (the caller decodes it).
    pub fn decode(
        &self,
        kind: ViewKind,
        topic: &str,
        key: Option<&[u8]>,
        header: Option<&[u8]>,
        payload: Option<&[u8]>,
    ) -> Option<Result<Result<Change, DecodeError>, Halted>> {
        let format = *self.binary.get(topic)?;
        let Some(value) = payload else {
            return Some(Ok(decode(kind, key, None)));
        };
        Some(self.decode_value(format, kind, key, header, value))
    }

    fn decode_value(
        &self,
        format: Format,
        kind: ViewKind,
        key: Option<&[u8]>,
        header: Option<&[u8]>,
        value: &[u8],
    ) -> Result<Result<Change, DecodeError>, Halted> {
        let framed = match unframe(self.framing, format == Format::Protobuf, header, value) {
            Ok(framed) => framed,
            Err(error) => return Ok(Err(error.into())),
        };
        let writer = match self.registry.resolve(framed.schema) {
            Ok(writer) => writer,
            Err(Unresolved::Halted) => return Err(Halted),
            Err(Unresolved::Unknown(reason)) => {
                let schema = framed.schema.to_string();
                return Ok(Err(DecodeError::Schema { schema, reason }));
            }
        };
        if Some(writer.kind()) != schema_kind(format) {
            return Ok(Err(DecodeError::Schema {
                schema: framed.schema.to_string(),
                reason: format!("a {:?} schema on a {} topic", writer.kind(), format.name()),
            }));
        }
        Ok(writer
            .to_json(&framed)
            .and_then(|json| decode(kind, key, Some(&json))))
    }
}

/// The schema-id header of a binary topic's message, if it carries one.
pub fn schema_header<'m>(
    formats: Option<&Arc<TopicFormats>>,
    message: &'m rdkafka::message::BorrowedMessage<'_>,
) -> Option<&'m [u8]> {
    use rdkafka::message::{Headers, Message};
    let name = formats?.header_name(message.topic())?;
    let headers = message.headers()?;
    headers.iter().find(|h| h.key == name).and_then(|h| h.value)
}
