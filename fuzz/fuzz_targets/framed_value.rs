//! Any binary value as a topic or registry could hand it over: the frame (Confluent's and
//! Apicurio's, in the value or in a header) is read or refused with a typed error, a payload
//! decodes with the contract's Avro or Protobuf schema into a record or is refused, and a
//! schema text from a registry parses or is refused; never a panic, a hang or an unbounded
//! allocation (the script's -malloc_limit_mb).
//!
//! Input: a selector byte (bit 0-1 the view, bit 2 Avro/Protobuf, bit 3 the framing, bit 4 a
//! header, bit 7 a schema text instead of a value), then for a header its length byte and
//! bytes, then the value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitrine::events::decode;
use vitrine::events::formats::{
    contract_schema, unframe, Format, Framing, SchemaKind, SchemaText, WriterSchema,
};
use vitrine::views::ViewKind;

const KINDS: [ViewKind; 4] = [
    ViewKind::Products,
    ViewKind::Prices,
    ViewKind::Inventory,
    ViewKind::Intl,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let format = if selector & 4 == 0 {
        Format::Avro
    } else {
        Format::Protobuf
    };
    if selector & 0x80 != 0 {
        let schema_type = match format {
            Format::Avro => SchemaKind::Avro,
            _ => SchemaKind::Protobuf,
        };
        let text = SchemaText {
            schema_type,
            schema: String::from_utf8_lossy(rest).into_owned(),
            references: vec![],
        };
        let _ = WriterSchema::parse(&text);
        return;
    }
    let kind = KINDS[usize::from(selector & 3)];
    let framing = if selector & 8 == 0 {
        Framing::Confluent
    } else {
        Framing::ApicurioLegacy
    };
    let (header, value) = match (selector & 16 != 0, rest.split_first()) {
        (true, Some((&len, tail))) => {
            let len = usize::from(len).min(tail.len());
            (Some(&tail[..len]), &tail[len..])
        }
        _ => (None, rest),
    };
    let Ok(framed) = unframe(framing, format == Format::Protobuf, header, value) else {
        return;
    };
    let schema = contract_schema(kind, format).expect("a contract schema per topic");
    let writer = WriterSchema::parse(&schema).expect("the contract's schemas parse");
    if let Ok(json) = writer.to_json(&framed) {
        let _ = decode(kind, Some(b"k"), Some(&json));
    }
});
