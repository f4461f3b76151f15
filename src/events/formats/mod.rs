//! Binary value formats (Avro, Protobuf) as schema-registry serializers write them: how a value
//! names its writer's schema (`framing`), the writer schemas themselves (`writer`), and their
//! decoding into the JSON records of the contract, so everything after decoding is unchanged.

mod avro;
mod contract;
mod framing;
mod protobuf;
mod writer;

/// Settings' types (`[formats]`), defined with the settings.
pub use crate::config::registry::{Format, Framing};
pub use contract::contract_schema;
pub use framing::{
    confluent_prefix, unframe, FrameError, Framed, SchemaRef, APICURIO_HEADER, CONFLUENT_HEADER,
};
pub use writer::{SchemaError, SchemaKind, SchemaText, WriterSchema};

/// The registry's `schemaType` of a binary format (`None`: JSON).
pub fn schema_kind(format: Format) -> Option<SchemaKind> {
    match format {
        Format::Json => None,
        Format::Avro => Some(SchemaKind::Avro),
        Format::Protobuf => Some(SchemaKind::Protobuf),
    }
}
