//! Avro values decoded with their writer's schema: a record becomes a JSON object by field
//! name, a union its branch, a null or absent field is left out (the contract's defaults
//! apply), timestamps become RFC 3339 text. Which fields the writer has is its business: the
//! contract ignores the ones it does not know and defaults the optional ones it lacks, which
//! is how a compatibly evolved schema decodes without a restart.

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value as Avro;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;
use serde_json::{Map, Number, Value};
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

    pub fn decode(&self, payload: &[u8]) -> Result<Value, DecodeError> {
        let mut reader = payload;
        let datum = GenericDatumReader::builder(&self.schema)
            .writer_schemata(self.schemata())
            .and_then(|b| b.build())
            .map_err(error)?;
        let value = datum.read_value(&mut reader).map_err(error)?;
        if !reader.is_empty() {
            return Err(error(format!("{} bytes after the datum", reader.len())));
        }
        to_json(value)
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

fn number(n: impl Into<Number>) -> Value {
    Value::Number(n.into())
}

fn float(f: f64) -> Result<Value, DecodeError> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| error("a float that is not a number"))
}

fn timestamp(nanos: i128) -> Result<Value, DecodeError> {
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .map(Value::String)
        .ok_or_else(|| error("timestamp out of range"))
}

fn to_json(value: Avro) -> Result<Value, DecodeError> {
    Ok(match value {
        Avro::Null => Value::Null,
        Avro::Boolean(b) => Value::Bool(b),
        Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n) => number(n),
        Avro::Long(n) | Avro::TimeMicros(n) => number(n),
        Avro::Float(f) => float(f64::from(f))?,
        Avro::Double(f) => float(f)?,
        Avro::String(s) | Avro::Enum(_, s) => Value::String(s),
        Avro::Union(_, inner) => to_json(*inner)?,
        Avro::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Avro::Map(entries) => object(entries.into_iter())?,
        Avro::Record(fields) => object(fields.into_iter())?,
        Avro::TimestampMillis(ms) | Avro::LocalTimestampMillis(ms) => {
            timestamp(i128::from(ms) * 1_000_000)?
        }
        Avro::TimestampMicros(us) | Avro::LocalTimestampMicros(us) => {
            timestamp(i128::from(us) * 1_000)?
        }
        Avro::TimestampNanos(ns) | Avro::LocalTimestampNanos(ns) => timestamp(i128::from(ns))?,
        Avro::Uuid(u) => Value::String(u.to_string()),
        other => {
            return Err(error(format!(
                "a value of a type the contract has no use for: {other:?}"
            )))
        }
    })
}

/// An object without its null fields (absent, for the contract).
fn object(fields: impl Iterator<Item = (String, Avro)>) -> Result<Value, DecodeError> {
    let mut map = Map::new();
    for (name, value) in fields {
        let value = to_json(value)?;
        if !value.is_null() {
            map.insert(name, value);
        }
    }
    Ok(Value::Object(map))
}
