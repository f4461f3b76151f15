//! The contract's own Avro and Protobuf schemas of each upstream topic (`schemas/` in the
//! repository; docs/events.md), what `vitrine feed --format` registers and writes with.

use super::{Format, SchemaKind, SchemaText};
use crate::views::ViewKind;

/// The contract's schema of `kind`'s topic in `format` (`None`: JSON, or a topic Vitrine writes
/// itself, which stays JSON).
pub fn contract_schema(kind: ViewKind, format: Format) -> Option<SchemaText> {
    let (schema_type, schema) = match (format, kind) {
        (Format::Avro, ViewKind::Products) => (
            SchemaKind::Avro,
            include_str!("../../../schemas/avro/products.avsc"),
        ),
        (Format::Avro, ViewKind::Prices) => (
            SchemaKind::Avro,
            include_str!("../../../schemas/avro/prices.avsc"),
        ),
        (Format::Avro, ViewKind::Inventory) => (
            SchemaKind::Avro,
            include_str!("../../../schemas/avro/inventory.avsc"),
        ),
        (Format::Avro, ViewKind::Intl) => (
            SchemaKind::Avro,
            include_str!("../../../schemas/avro/intl.avsc"),
        ),
        (Format::Protobuf, ViewKind::Products) => (
            SchemaKind::Protobuf,
            include_str!("../../../schemas/protobuf/products.proto"),
        ),
        (Format::Protobuf, ViewKind::Prices) => (
            SchemaKind::Protobuf,
            include_str!("../../../schemas/protobuf/prices.proto"),
        ),
        (Format::Protobuf, ViewKind::Inventory) => (
            SchemaKind::Protobuf,
            include_str!("../../../schemas/protobuf/inventory.proto"),
        ),
        (Format::Protobuf, ViewKind::Intl) => (
            SchemaKind::Protobuf,
            include_str!("../../../schemas/protobuf/intl.proto"),
        ),
        _ => return None,
    };
    Some(SchemaText {
        schema_type,
        schema: schema.to_string(),
        references: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::events::formats::SchemaKind;
    use crate::events::formats::{unframe, Framing, WriterSchema};
    use crate::events::{decode, DecodeError};
    use crate::views::Change;

    fn records() -> Vec<(ViewKind, &'static str, serde_json::Value)> {
        vec![
            (
                ViewKind::Products,
                "p1",
                json!({"id": "p1", "version": 3, "title": "Cashmere Sweater",
                "brand": "Loro Piana", "description": "Soft.", "categories": ["women/knitwear"],
                "images": ["https://img.example/p1/1.jpg"], "hsCode": "6110.12",
                "publishedAt": "2026-03-01T09:00:00Z",
                "variants": [{"sku": "p1-0", "size": "S", "color": "navy"}, {"sku": "p1-1"}]}),
            ),
            (
                ViewKind::Products,
                "p2",
                json!({"id": "p2", "version": 0, "title": "T", "brand": "B",
                "variants": [{"sku": "p2-0"}], "correction": true}),
            ),
            (
                ViewKind::Prices,
                "p1-0",
                json!({"sku": "p1-0", "version": 7, "currency": "USD", "list": 129500, "sale": 89900}),
            ),
            (
                ViewKind::Prices,
                "p1-1",
                json!({"sku": "p1-1", "version": 0, "currency": "USD", "list": 0, "correction": true}),
            ),
            (
                ViewKind::Inventory,
                "p1-0",
                json!({"sku": "p1-0", "version": 12, "available": 0}),
            ),
            (
                ViewKind::Inventory,
                "p1-1",
                json!({"sku": "p1-1", "version": 1, "available": -2, "reservations": ["r_a"]}),
            ),
            (
                ViewKind::Intl,
                "GB",
                json!({"country": "GB", "version": 3, "currency": "GBP", "minorUnits": 2,
                "fxRate": "0.7893", "dutyRates": {"61": 1200, "*": 500}, "taxRate": 2000,
                "rounding": {"increment": 100, "minus": 1}, "shipping": {"flat": 1500, "freeOver": 25000}}),
            ),
            (
                ViewKind::Intl,
                "JP",
                json!({"country": "JP", "version": 1, "currency": "JPY", "minorUnits": 0,
                "fxRate": "157.2", "taxRate": 1000, "shipping": {"flat": 0}}),
            ),
        ]
    }

    fn through(
        format: Format,
        kind: ViewKind,
        record: &serde_json::Value,
    ) -> Result<Change, DecodeError> {
        let schema = WriterSchema::parse(&contract_schema(kind, format).unwrap()).unwrap();
        let protobuf = format == Format::Protobuf;
        let mut value = super::super::framing::confluent_prefix(41, protobuf.then_some(&[0][..]));
        value.extend(schema.from_json(record).unwrap());
        let framed = unframe(Framing::Confluent, protobuf, None, &value).unwrap();
        let json = schema.to_json(&framed)?;
        decode(kind, Some(record_key(kind, record).as_bytes()), Some(&json))
    }

    fn record_key(kind: ViewKind, record: &serde_json::Value) -> String {
        let field = match kind {
            ViewKind::Products => "id",
            ViewKind::Intl => "country",
            _ => "sku",
        };
        record[field].as_str().unwrap().to_string()
    }

    /// Every topic's record written in Avro and in Protobuf with the contract's schema decodes
    /// to the same change as its JSON: zeros, empty lists, absent optional fields and
    /// corrections included.
    #[test]
    fn binary_records_decode_to_the_same_change_as_json() {
        for (kind, key, record) in records() {
            let json = decode(
                kind,
                Some(key.as_bytes()),
                Some(record.to_string().as_bytes()),
            )
            .unwrap();
            for format in [Format::Avro, Format::Protobuf] {
                assert_eq!(
                    through(format, kind, &record).unwrap(),
                    json,
                    "{format:?} {record}"
                );
            }
        }
    }

    /// Confluent's serializers register a Protobuf schema as a base64 `FileDescriptorProto`;
    /// a registry may serve it back so: it decodes like the `.proto` text.
    #[test]
    fn a_protobuf_schema_in_serialized_form_decodes_alike() {
        use base64::Engine;
        use prost::Message;
        let text = contract_schema(ViewKind::Prices, Format::Protobuf).unwrap();
        let file = protox::file::File::from_source("prices.proto", &text.schema).unwrap();
        let serialized = base64::engine::general_purpose::STANDARD
            .encode(file.file_descriptor_proto().encode_to_vec());
        let from_text = WriterSchema::parse(&text).unwrap();
        let from_bytes = WriterSchema::parse(&SchemaText {
            schema: serialized,
            ..text
        })
        .unwrap();
        let record = json!({"sku": "a", "version": 2, "currency": "USD", "list": 5});
        let mut value = super::super::framing::confluent_prefix(1, Some(&[0]));
        value.extend(from_text.from_json(&record).unwrap());
        let framed = unframe(Framing::Confluent, true, None, &value).unwrap();
        assert_eq!(
            from_text.to_json(&framed).unwrap(),
            from_bytes.to_json(&framed).unwrap()
        );
    }

    /// A Protobuf writer schema evolved compatibly (a field added, an optional one dropped,
    /// fields renumbered) decodes to the same change: fields are matched by name.
    #[test]
    fn an_evolved_protobuf_schema_decodes_alike() {
        let evolved = SchemaText {
            schema_type: SchemaKind::Protobuf,
            schema:
                "syntax = \"proto3\"; package shop; message PriceChanged { string promotion = 1;
                string sku = 2; uint64 version = 3; string currency = 4; int64 list = 5;
                optional int64 sale = 6; }"
                    .into(),
            references: vec![],
        };
        let writer = WriterSchema::parse(&evolved).unwrap();
        let record = json!({"sku": "a", "version": 4, "currency": "USD", "list": 900, "sale": 800,
            "promotion": "flash"});
        let mut value = super::super::framing::confluent_prefix(2, Some(&[0]));
        value.extend(writer.from_json(&record).unwrap());
        let framed = unframe(Framing::Confluent, true, None, &value).unwrap();
        let decoded = decode(
            ViewKind::Prices,
            Some(b"a"),
            Some(&writer.to_json(&framed).unwrap()),
        );
        let json = br#"{"sku": "a", "version": 4, "currency": "USD", "list": 900, "sale": 800}"#;
        assert_eq!(decoded, decode(ViewKind::Prices, Some(b"a"), Some(json)));
    }

    /// A registry's schema with an invalid record name is refused (apache-avro 0.21 panicked
    /// on it, found by the `framed_value` fuzz target: a hostile registry could stop an apply
    /// worker).
    #[test]
    fn a_schema_with_an_invalid_name_is_refused() {
        let text = SchemaText {
            schema_type: SchemaKind::Avro,
            schema: r#"{"type": "record", "name": "Coun%ry", "fields": []}"#.into(),
            references: vec![],
        };
        assert!(WriterSchema::parse(&text).is_err());
    }

    #[test]
    fn a_payload_that_does_not_fit_its_schema_is_malformed() {
        for format in [Format::Avro, Format::Protobuf] {
            let schema =
                WriterSchema::parse(&contract_schema(ViewKind::Prices, format).unwrap()).unwrap();
            let framed = crate::events::formats::Framed {
                schema: crate::events::formats::SchemaRef::Id(1),
                indexes: vec![0],
                payload: &[0xff, 0xff, 0xff],
            };
            assert!(
                matches!(schema.to_json(&framed), Err(DecodeError::Binary(_))),
                "{format:?}"
            );
            let framed = crate::events::formats::Framed {
                indexes: vec![3],
                ..framed
            };
            if format == Format::Protobuf {
                assert!(schema.to_json(&framed).is_err());
            }
        }
    }
}
