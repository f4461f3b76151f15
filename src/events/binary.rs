//! The compact binary form of the event records, for Vitrine's own snapshots: the records of
//! the topics' JSON contract with the same fields in the same order, in postcard's encoding
//! (varints, length-prefixed text, no field names). Products, prices and stock, the millions,
//! are binary; the few country contexts and decided holds keep their JSON text. Decoding
//! goes through the same checks as a message from a topic.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::decode::{decode, DecodeError};
use super::inventory::InventoryRecord;
use super::price::PriceRecord;
use super::product::ProductRecord;
use super::{inventory, price, product};
use crate::views::{Change, Inventory, Price, Product, ViewKind};

/// One record; the variant order is part of the format (snapshot `formatVersion` 2).
#[derive(Serialize, Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de> + Default"))]
enum BinaryRecord<S = String> {
    Product(ProductRecord<S>),
    Price(PriceRecord<S>),
    Inventory(InventoryRecord<S>),
    /// Any view's record as JSON text, under its key.
    Json {
        view: S,
        key: S,
        value: S,
    },
}

/// Bytes that are not a binary record (corruption, or another format version).
#[derive(Debug, thiserror::Error)]
#[error("not a binary record: {0}")]
pub struct BinaryError(#[from] postcard::Error);

fn append(record: &BinaryRecord<&str>, out: &mut Vec<u8>) -> Result<(), BinaryError> {
    let written = postcard::to_extend(record, std::mem::take(out))?;
    *out = written;
    Ok(())
}

/// A product; one with a correction in force goes as its JSON text, which carries it (the
/// binary record's fields are the topic record's, without the correction's).
pub fn append_product(p: &Product, out: &mut Vec<u8>) -> Result<(), BinaryError> {
    if p.corrected_at.is_some() {
        return append_json(ViewKind::Products, &p.id, &product::encode(p), out);
    }
    append(&BinaryRecord::Product(product::record_of(p)), out)
}

pub fn append_price(p: &Price, out: &mut Vec<u8>) -> Result<(), BinaryError> {
    append(&BinaryRecord::Price(price::record_of(p)), out)
}

pub fn append_inventory(i: &Inventory, out: &mut Vec<u8>) -> Result<(), BinaryError> {
    append(&BinaryRecord::Inventory(inventory::record_of(i)), out)
}

/// A record of any view as its JSON value.
pub fn append_json(
    kind: ViewKind,
    key: &str,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), BinaryError> {
    let text = value.to_string();
    let record = BinaryRecord::Json {
        view: kind.name(),
        key,
        value: &text,
    };
    append(&record, out)
}

/// One decoded record: its view, and the change (or why the record is refused, as a topic's
/// message would be).
pub type Decoded = (ViewKind, Result<Change, DecodeError>);

/// Checks that `bytes` begin with a well-formed record (borrowing its text, so nothing is
/// built); returns the bytes after it.
pub fn check_first(bytes: &[u8]) -> Result<&[u8], BinaryError> {
    let (_, rest) = postcard::take_from_bytes::<BinaryRecord<&str>>(bytes)?;
    Ok(rest)
}

/// Decodes the first record of `bytes`; returns it with the bytes after it.
pub fn decode_first(bytes: &[u8]) -> Result<(Decoded, &[u8]), BinaryError> {
    let (record, rest) = postcard::take_from_bytes::<BinaryRecord>(bytes)?;
    let decoded = match record {
        BinaryRecord::Product(r) => (ViewKind::Products, product::checked(r).map(Change::Product)),
        BinaryRecord::Price(r) => (ViewKind::Prices, price::checked(r).map(Change::Price)),
        BinaryRecord::Inventory(r) => (
            ViewKind::Inventory,
            inventory::checked(r).map(Change::Inventory),
        ),
        BinaryRecord::Json { view, key, value } => {
            let Some(kind) = ViewKind::ALL.into_iter().find(|k| k.name() == view) else {
                let error = DecodeError::Invalid {
                    field: "view",
                    reason: format!("unknown view `{view}`"),
                };
                return Ok(((ViewKind::Products, Err(error)), rest));
            };
            let change = decode(kind, Some(key.as_bytes()), Some(value.as_bytes()));
            (kind, change)
        }
    };
    Ok((decoded, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{decode as decode_json, inventory, price, product};

    fn json_change(kind: ViewKind, key: &str, value: &Value) -> Change {
        decode_json(
            kind,
            Some(key.as_bytes()),
            Some(value.to_string().as_bytes()),
        )
        .unwrap()
    }

    /// Every record decodes from its binary form to what its JSON form decodes to.
    #[test]
    fn binary_records_decode_like_their_json() {
        let product_json = serde_json::json!({"id":"p1","version":3,"title":"Cashmere Sweater",
            "brand":"Loro","description":"Soft","categories":["women/knitwear"],"images":["i"],
            "hsCode":"6110.12","publishedAt":"2026-03-01T10:00:00Z",
            "variants":[{"sku":"p1-s","size":"S","color":"navy"},{"sku":"p1-m"}]});
        let Change::Product(p) = json_change(ViewKind::Products, "p1", &product_json) else {
            panic!()
        };
        let price_json = serde_json::json!({"sku":"p1-s","version":9,"currency":"USD",
            "list":1000,"sale":800,"correctedAt":4});
        let Change::Price(pr) = json_change(ViewKind::Prices, "p1-s", &price_json) else {
            panic!()
        };
        let stock_json = serde_json::json!({"sku":"p1-s","version":2,"available":5,
            "reservations":["r1"]});
        let Change::Inventory(st) = json_change(ViewKind::Inventory, "p1-s", &stock_json) else {
            panic!()
        };
        let mut bytes = Vec::new();
        append_product(&p, &mut bytes).unwrap();
        append_price(&pr, &mut bytes).unwrap();
        append_inventory(&st, &mut bytes).unwrap();
        append_json(ViewKind::Prices, "p1-s", &price::encode(&pr), &mut bytes).unwrap();
        let mut rest = bytes.as_slice();
        let mut decoded = vec![];
        while !rest.is_empty() {
            let ((kind, change), after) = decode_first(rest).unwrap();
            decoded.push((kind, change.unwrap()));
            rest = after;
        }
        assert_eq!(decoded[0], (ViewKind::Products, Change::Product(p.clone())));
        assert_eq!(decoded[1], (ViewKind::Prices, Change::Price(pr.clone())));
        assert_eq!(
            decoded[2],
            (ViewKind::Inventory, Change::Inventory(st.clone()))
        );
        assert_eq!(decoded[3], (ViewKind::Prices, Change::Price(pr.clone())));
        // And the JSON the snapshot used to carry round-trips the same.
        assert_eq!(
            json_change(ViewKind::Products, "p1", &product::encode(&p)),
            Change::Product(p)
        );
        assert_eq!(
            json_change(ViewKind::Inventory, "p1-s", &inventory::encode(&st)),
            Change::Inventory(st)
        );
    }

    /// A product correction (an HS-code typo fixed) survives a snapshot, as one still in force
    /// carried by a later record does.
    #[test]
    fn a_corrected_product_keeps_its_correction_through_a_snapshot() {
        let mut fixed = serde_json::json!({"id":"p1","version":5,"title":"T","brand":"B",
            "hsCode":"6110.12","correction":true,"variants":[{"sku":"p1-s"}]});
        let Change::Product(p) = json_change(ViewKind::Products, "p1", &fixed) else {
            panic!()
        };
        assert_eq!(p.corrected_at, Some(5));
        fixed["version"] = serde_json::json!(6);
        fixed["correction"] = serde_json::json!(false);
        fixed["correctedAt"] = serde_json::json!(5);
        let Change::Product(later) = json_change(ViewKind::Products, "p1", &fixed) else {
            panic!()
        };
        assert_eq!(later.corrected_at, Some(5));
        for product in [p, later] {
            let mut bytes = Vec::new();
            append_product(&product, &mut bytes).unwrap();
            let ((_, change), rest) = decode_first(&bytes).unwrap();
            assert!(rest.is_empty());
            assert_eq!(change.unwrap(), Change::Product(product));
        }
    }

    #[test]
    fn a_record_failing_its_checks_is_refused_and_garbage_is_an_error() {
        let mut bytes = Vec::new();
        let bad = serde_json::json!({"sku":"a","version":1,"currency":"usd","list":1});
        append_json(ViewKind::Prices, "a", &bad, &mut bytes).unwrap();
        let ((kind, change), rest) = decode_first(&bytes).unwrap();
        assert_eq!(kind, ViewKind::Prices);
        assert!(matches!(
            change,
            Err(DecodeError::Invalid {
                field: "currency",
                ..
            })
        ));
        assert!(rest.is_empty());
        assert!(decode_first(&[9, 1, 2]).is_err());
        assert!(
            decode_first(&bytes[..bytes.len() - 3]).is_err(),
            "cut short"
        );
    }
}
