//! Writer schemas as a registry serves them (type, text, references), parsed once and used to
//! decode every value written with them into the contract's JSON record.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Framed;
use crate::events::DecodeError;

/// A registry's `schemaType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaKind {
    Avro,
    Protobuf,
}

/// A schema as the registry served it: what the snapshot keeps, so a restart decodes with the
/// registry down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaText {
    pub schema_type: SchemaKind,
    pub schema: String,
    /// The schemas it references, by the name it imports each under (Protobuf: a file name;
    /// Avro: any), with their own text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<(String, String)>,
}

/// A schema the registry served that cannot be used (every record written with it is
/// malformed; it is not fetched again until the not-found time passes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("avro schema: {0}")]
    Avro(String),
    #[error("protobuf schema: {0}")]
    Protobuf(String),
}

/// A parsed writer schema.
#[derive(Debug, Clone)]
pub enum WriterSchema {
    Avro(Arc<super::avro::AvroWriter>),
    Protobuf(Arc<super::protobuf::ProtobufWriter>),
}

impl WriterSchema {
    /// A panic inside a format library on a hostile schema (one was found by fuzzing in an
    /// earlier apache-avro) is a refused schema here, never a dead apply worker.
    pub fn parse(text: &SchemaText) -> Result<Self, SchemaError> {
        std::panic::catch_unwind(|| Self::parse_unguarded(text)).unwrap_or_else(|_| {
            Err(SchemaError::Avro(
                "the schema library panicked on it".into(),
            ))
        })
    }

    fn parse_unguarded(text: &SchemaText) -> Result<Self, SchemaError> {
        match text.schema_type {
            SchemaKind::Avro => {
                super::avro::AvroWriter::parse(text).map(|w| Self::Avro(Arc::new(w)))
            }
            SchemaKind::Protobuf => {
                super::protobuf::ProtobufWriter::parse(text).map(|w| Self::Protobuf(Arc::new(w)))
            }
        }
    }

    pub fn kind(&self) -> SchemaKind {
        match self {
            WriterSchema::Avro(_) => SchemaKind::Avro,
            WriterSchema::Protobuf(_) => SchemaKind::Protobuf,
        }
    }

    /// The value as the contract's JSON record (fields the contract does not know are kept and
    /// ignored by it; a field absent or null is absent).
    pub fn to_json(&self, framed: &Framed<'_>) -> Result<Vec<u8>, DecodeError> {
        let decoded =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.decode(framed)));
        decoded.unwrap_or_else(|_| {
            Err(DecodeError::Binary(
                "the format library panicked on it".into(),
            ))
        })
    }

    fn decode(&self, framed: &Framed<'_>) -> Result<Vec<u8>, DecodeError> {
        match self {
            WriterSchema::Avro(w) => w.decode(framed.payload),
            WriterSchema::Protobuf(w) => w.decode(&framed.indexes, framed.payload),
        }
    }

    /// Encodes a contract JSON record with this schema (`vitrine feed`, tests): the payload
    /// without its frame.
    pub fn from_json(&self, record: &serde_json::Value) -> Result<Vec<u8>, String> {
        match self {
            WriterSchema::Avro(w) => w.encode(record),
            WriterSchema::Protobuf(w) => w.encode(record),
        }
    }
}
