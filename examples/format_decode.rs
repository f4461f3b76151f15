//! Decoding cost per record of each value format, in-process (no broker): the generated
//! catalog's records as JSON, and encoded with the contract's Avro and Protobuf schemas in
//! Confluent's frame, decoded into view changes the way ingest does (frame, writer schema held,
//! then the contract's checks). Prints, per round and format, ns per record and bytes per
//! record; rounds interleave the formats.
//! Usage: cargo run --release --example format_decode [products=50000] [rounds=5]

use std::time::Instant;

use vitrine::demo::CatalogGenerator;
use vitrine::events::decode;
use vitrine::events::formats::{
    confluent_prefix, contract_schema, unframe, Format, Framing, WriterSchema,
};
use vitrine::events::Record;
use vitrine::views::ViewKind;

fn main() {
    let mut args = std::env::args().skip(1);
    let products: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let mut records: Vec<Record> = vec![];
    CatalogGenerator::new(42, products).baseline(|r| records.push(r));
    records.retain(|r| r.payload.is_some());
    let formats = [Format::Json, Format::Avro, Format::Protobuf];
    let encoded: Vec<Vec<(Option<WriterSchema>, Vec<u8>)>> = formats
        .iter()
        .map(|&format| {
            let mut writers = std::collections::HashMap::new();
            records
                .iter()
                .map(|r| encode(format, r, &mut writers))
                .collect()
        })
        .collect();
    for round in 1..=rounds {
        for (f, &format) in formats.iter().enumerate() {
            let started = Instant::now();
            let mut ok = 0usize;
            for (r, (writer, bytes)) in records.iter().zip(&encoded[f]) {
                let key = Some(r.key.as_bytes());
                let change = match writer {
                    None => decode(r.kind, key, Some(bytes)),
                    Some(w) => {
                        let framed =
                            unframe(Framing::Confluent, format == Format::Protobuf, None, bytes)
                                .expect("framed");
                        w.to_json(&framed)
                            .and_then(|json| decode(r.kind, key, Some(&json)))
                    }
                };
                ok += usize::from(change.is_ok());
            }
            let elapsed = started.elapsed();
            assert_eq!(ok, records.len(), "every record decodes");
            let bytes: usize = encoded[f].iter().map(|(_, b)| b.len()).sum();
            println!(
                "ROUND {round} format={} records={} ns_per_record={:.0} bytes_per_record={:.1}",
                format.name(),
                records.len(),
                elapsed.as_nanos() as f64 / records.len() as f64,
                bytes as f64 / records.len() as f64
            );
        }
    }
}

/// The record in `format`, with the writer schema it decodes with (parsed once per topic).
fn encode(
    format: Format,
    record: &Record,
    writers: &mut std::collections::HashMap<ViewKind, Option<WriterSchema>>,
) -> (Option<WriterSchema>, Vec<u8>) {
    let payload = record.payload.clone().expect("no tombstones");
    let writer = writers.entry(record.kind).or_insert_with(|| {
        contract_schema(record.kind, format)
            .map(|t| WriterSchema::parse(&t).expect("contract schema"))
    });
    let Some(writer) = writer.clone() else {
        return (None, payload);
    };
    let json: serde_json::Value = serde_json::from_slice(&payload).expect("json");
    let indexes = (format == Format::Protobuf).then_some(&[0u32][..]);
    let mut out = confluent_prefix(1, indexes);
    out.extend(writer.from_json(&json).expect("encodes"));
    (Some(writer), out)
}
