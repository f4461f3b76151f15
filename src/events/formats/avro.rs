//! Avro values decoded with their writer's schema: a record becomes a JSON object by field
//! name, a union its branch, a null or absent field is left out (the contract's defaults
//! apply), timestamps become RFC 3339 text. Which fields the writer has is its business: the
//! contract ignores the ones it does not know and defaults the optional ones it lacks, which
//! is how a compatibly evolved schema decodes without a restart.

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value as Avro;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{SchemaError, SchemaText};
use crate::events::DecodeError;

/// Largest single allocation a hostile length prefix can ask Avro's decoder for (a Kafka
/// record of a product is kilobytes).
const MAX_AVRO_ALLOCATION_BYTES: usize = 16 << 20;

#[derive(Debug)]
pub struct AvroWriter {
    schema: Schema,
    /// Named types the schema references (other subjects' schemas).
    references: Vec<Schema>,
}

fn error(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Binary(format!("avro: {e}"))
}

impl AvroWriter {
    pub fn parse(text: &SchemaText) -> Result<Self, SchemaError> {
        // Set once for the process; later calls keep the first value.
        apache_avro::util::max_allocation_bytes(MAX_AVRO_ALLOCATION_BYTES);
        let referenced = text.references.iter().map(|(_, t)| t.as_str());
        let (schema, references) = Schema::parse_str_with_list(&text.schema, referenced)
            .map_err(|e| SchemaError::Avro(e.to_string()))?;
        Ok(Self { schema, references })
    }

    pub fn decode(&self, payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let mut reader = payload;
        let datum = GenericDatumReader::builder(&self.schema)
            .writer_schemata(self.schemata())
            .and_then(|b| b.build())
            .map_err(error)?;
        let value = datum.read_value(&mut reader).map_err(error)?;
        if !reader.is_empty() {
            return Err(error(format!("{} bytes after the datum", reader.len())));
        }
        serde_json::to_vec(&Json(&value)).map_err(error)
    }

    pub fn encode(&self, record: &Value) -> Result<Vec<u8>, String> {
        let value = Avro::try_from(record.clone()).map_err(|e| e.to_string())?;
        let resolved = value
            .resolve_schemata(&self.schema, self.references.iter().collect())
            .map_err(|e| e.to_string())?;
        let datum = GenericDatumWriter::builder(&self.schema)
            .schemata(self.schemata())
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        datum
            .write_value(&mut out, resolved)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// The schema and those it references, for resolving names.
    fn schemata(&self) -> Vec<&Schema> {
        std::iter::once(&self.schema)
            .chain(&self.references)
            .collect()
    }
}

/// An Avro value written as the contract's JSON, straight to text (no JSON tree between).
struct Json<'a>(&'a Avro);

fn is_null(value: &Avro) -> bool {
    match value {
        Avro::Null => true,
        Avro::Union(_, inner) => is_null(inner),
        _ => false,
    }
}

fn timestamp(nanos: i128) -> Option<String> {
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let time = |nanos: i128, s: S| match timestamp(nanos) {
            Some(text) => s.serialize_str(&text),
            None => Err(S::Error::custom("timestamp out of range")),
        };
        match self.0 {
            Avro::Null => s.serialize_unit(),
            Avro::Boolean(b) => s.serialize_bool(*b),
            Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n) => s.serialize_i32(*n),
            Avro::Long(n) | Avro::TimeMicros(n) => s.serialize_i64(*n),
            Avro::Float(f) if f.is_finite() => s.serialize_f32(*f),
            Avro::Double(f) if f.is_finite() => s.serialize_f64(*f),
            Avro::String(text) | Avro::Enum(_, text) => s.serialize_str(text),
            Avro::Union(_, inner) => Json(inner).serialize(s),
            Avro::Array(items) => s.collect_seq(items.iter().map(Json)),
            Avro::Map(entries) => fields(s, entries.iter().map(|(k, v)| (k.as_str(), v))),
            Avro::Record(entries) => fields(s, entries.iter().map(|(k, v)| (k.as_str(), v))),
            Avro::TimestampMillis(ms) | Avro::LocalTimestampMillis(ms) => {
                time(i128::from(*ms) * 1_000_000, s)
            }
            Avro::TimestampMicros(us) | Avro::LocalTimestampMicros(us) => {
                time(i128::from(*us) * 1_000, s)
            }
            Avro::TimestampNanos(ns) | Avro::LocalTimestampNanos(ns) => time(i128::from(*ns), s),
            Avro::Uuid(u) => s.collect_str(u),
            other => Err(S::Error::custom(format!(
                "a value of a type the contract has no use for: {other:?}"
            ))),
        }
    }
}

/// An object without its null fields (absent, for the contract).
fn fields<'a, S: Serializer>(
    s: S,
    entries: impl Iterator<Item = (&'a str, &'a Avro)> + Clone,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    for (name, value) in entries.filter(|(_, v)| !is_null(v)) {
        map.serialize_entry(name, &Json(value))?;
    }
    map.end()
}
