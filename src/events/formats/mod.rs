//! Binary value formats (Avro, Protobuf) as schema-registry serializers write them: how a value
//! names its writer's schema (`framing`), the writer schemas themselves (`writer`), and their
//! decoding into the JSON records of the contract, so everything after decoding is unchanged.

mod avro;
mod contract;
mod framing;
mod protobuf;
mod writer;

pub use contract::contract_schema;
pub use framing::{
    confluent_prefix, unframe, FrameError, Framed, Framing, SchemaRef, APICURIO_HEADER,
    CONFLUENT_HEADER,
};
pub use writer::{SchemaError, SchemaKind, SchemaText, WriterSchema};

use serde::{Deserialize, Serialize};

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

    /// The registry's `schemaType` of a binary format (`None`: JSON).
    pub fn schema_kind(self) -> Option<SchemaKind> {
        match self {
            Format::Json => None,
            Format::Avro => Some(SchemaKind::Avro),
            Format::Protobuf => Some(SchemaKind::Protobuf),
        }
    }
}
