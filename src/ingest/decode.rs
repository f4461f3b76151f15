//! Decoding Kafka messages (UTF-8 key, JSON value or tombstone) into view changes, per `docs/events.md`.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::decode_intl::decode_intl;
use crate::views::{Change, Inventory, Price, Product, Variant, ViewKind};

/// Why a message was skipped. Nothing in the views changes for such a message.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("message has no key")]
    MissingKey,
    #[error("key is not UTF-8")]
    KeyNotUtf8,
    #[error("value is not a valid record: {0}")]
    Json(String),
    #[error("key `{key}` does not match the record's `{field}` `{value}`")]
    KeyMismatch {
        key: String,
        field: &'static str,
        value: String,
    },
    #[error("field `{field}`: {reason}")]
    Invalid { field: &'static str, reason: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProductRecord {
    id: String,
    version: u64,
    title: String,
    brand: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    images: Vec<String>,
    hs_code: Option<String>,
    published_at: Option<String>,
    variants: Vec<VariantRecord>,
}

#[derive(Deserialize)]
struct VariantRecord {
    sku: String,
    size: Option<String>,
    color: Option<String>,
}

#[derive(Deserialize)]
struct PriceRecord {
    sku: String,
    version: u64,
    currency: String,
    list: i64,
    sale: Option<i64>,
}

#[derive(Deserialize)]
struct InventoryRecord {
    sku: String,
    version: u64,
    available: i32,
}

pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> DecodeError {
    DecodeError::Invalid {
        field,
        reason: reason.into(),
    }
}

pub(super) fn check_key(key: &str, field: &'static str, value: &str) -> Result<(), DecodeError> {
    if key == value {
        Ok(())
    } else {
        Err(DecodeError::KeyMismatch {
            key: key.to_string(),
            field,
            value: value.to_string(),
        })
    }
}

fn parse<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(payload).map_err(|e| DecodeError::Json(e.to_string()))
}

/// Decodes one message of the topic feeding `kind`; a `None` payload is a tombstone.
pub fn decode(
    kind: ViewKind,
    key: Option<&[u8]>,
    payload: Option<&[u8]>,
) -> Result<Change, DecodeError> {
    let key = key.ok_or(DecodeError::MissingKey)?;
    let key = std::str::from_utf8(key).map_err(|_| DecodeError::KeyNotUtf8)?;
    if key.is_empty() {
        return Err(DecodeError::MissingKey);
    }
    let Some(payload) = payload else {
        return Ok(Change::Delete(kind, key.to_string()));
    };
    match kind {
        ViewKind::Products => decode_product(key, parse(payload)?).map(Change::Product),
        ViewKind::Prices => decode_price(key, parse(payload)?).map(Change::Price),
        ViewKind::Intl => decode_intl(key, parse(payload)?).map(Change::Intl),
        ViewKind::Inventory => {
            let record: InventoryRecord = parse(payload)?;
            check_key(key, "sku", &record.sku)?;
            Ok(Change::Inventory(Inventory {
                sku: record.sku,
                version: record.version,
                available: record.available,
            }))
        }
    }
}

fn decode_product(key: &str, record: ProductRecord) -> Result<Product, DecodeError> {
    check_key(key, "id", &record.id)?;
    if record.title.trim().is_empty() {
        return Err(invalid("title", "must not be empty"));
    }
    let published_at_ms = match &record.published_at {
        None => None,
        Some(text) => {
            let at = OffsetDateTime::parse(text, &Rfc3339)
                .map_err(|e| invalid("publishedAt", format!("not RFC 3339: {e}")))?;
            Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
        }
    };
    let mut skus = std::collections::HashSet::new();
    for variant in &record.variants {
        if variant.sku.is_empty() {
            return Err(invalid("variants.sku", "must not be empty"));
        }
        if !skus.insert(variant.sku.as_str()) {
            return Err(invalid(
                "variants.sku",
                format!("`{}` appears twice", variant.sku),
            ));
        }
    }
    let search_text = format!("{} {}", record.title, record.brand).to_lowercase();
    Ok(Product {
        title_key: record.title.to_lowercase(),
        search_text,
        id: record.id,
        version: record.version,
        title: record.title,
        brand: record.brand,
        description: record.description,
        categories: record.categories,
        images: record.images,
        hs_code: record.hs_code,
        published_at: record.published_at,
        published_at_ms,
        variants: record
            .variants
            .into_iter()
            .map(|v| Variant {
                sku: v.sku,
                size: v.size,
                color: v.color,
            })
            .collect(),
    })
}

fn decode_price(key: &str, record: PriceRecord) -> Result<Price, DecodeError> {
    check_key(key, "sku", &record.sku)?;
    let currency_ok =
        record.currency.len() == 3 && record.currency.bytes().all(|b| b.is_ascii_uppercase());
    if !currency_ok {
        return Err(invalid("currency", "must be an ISO 4217 code like USD"));
    }
    if record.list < 0 {
        return Err(invalid("list", "must not be negative"));
    }
    if record.sale.is_some_and(|s| s < 0) {
        return Err(invalid("sale", "must not be negative"));
    }
    Ok(Price {
        sku: record.sku,
        version: record.version,
        currency: record.currency,
        list_minor: record.list,
        sale_minor: record.sale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCT: &str = r#"{"id":"p1","version":3,"title":"Cashmere Sweater","brand":"Loro",
        "description":"Soft","categories":["women/knitwear/sweaters"],"images":["https://i/1.jpg"],
        "hsCode":"6110.12","publishedAt":"2026-03-01T10:00:00Z",
        "variants":[{"sku":"p1-s","size":"S","color":"navy"},{"sku":"p1-m","size":"M"}]}"#;

    #[test]
    fn decodes_a_product() {
        let Change::Product(p) =
            decode(ViewKind::Products, Some(b"p1"), Some(PRODUCT.as_bytes())).unwrap()
        else {
            panic!("not a product")
        };
        assert_eq!(p.version, 3);
        assert_eq!(p.variants.len(), 2);
        assert_eq!(p.variants[1].color, None);
        assert_eq!(p.published_at_ms, Some(1_772_359_200_000));
        assert_eq!(p.search_text, "cashmere sweater loro");
    }

    #[test]
    fn decodes_price_inventory_and_tombstone() {
        let price = br#"{"sku":"a","version":1,"currency":"USD","list":129500,"sale":89900}"#;
        let Change::Price(p) = decode(ViewKind::Prices, Some(b"a"), Some(price)).unwrap() else {
            panic!()
        };
        assert_eq!((p.list_minor, p.sale_minor), (129500, Some(89900)));
        let stock = br#"{"sku":"a","version":7,"available":3}"#;
        assert!(matches!(
            decode(ViewKind::Inventory, Some(b"a"), Some(stock)),
            Ok(Change::Inventory(Inventory { available: 3, .. }))
        ));
        assert_eq!(
            decode(ViewKind::Prices, Some(b"a"), None),
            Ok(Change::Delete(ViewKind::Prices, "a".into()))
        );
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        type Case<'a> = (ViewKind, Option<&'a [u8]>, &'a [u8]);
        let cases: [Case; 11] = [
            (ViewKind::Prices, Some(b"a"), b"{not json"),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"a","version":1,"currency":"USD"}"#),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"a","version":"1","currency":"USD","list":1}"#),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"b","version":1,"currency":"USD","list":1}"#),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"a","version":1,"currency":"usd","list":1}"#),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"a","version":-1,"currency":"USD","list":1}"#),
            (ViewKind::Prices, None, br#"{"sku":"a","version":1,"currency":"USD","list":1}"#),
            (ViewKind::Inventory, Some(b"a"), br#"{"sku":"a","version":1,"available":1e99}"#),
            (ViewKind::Inventory, Some(b"\xff"), br#"{"sku":"a","version":1,"available":1}"#),
            (ViewKind::Products, Some(b"p1"), br#"[1,2]"#),
            (
                ViewKind::Products,
                Some(b"p1"),
                br#"{"id":"p1","version":1,"title":"T","brand":"B","publishedAt":"yesterday","variants":[]}"#,
            ),
        ];
        for (kind, key, payload) in cases {
            let result = decode(kind, key, Some(payload));
            assert!(
                result.is_err(),
                "{:?} should be rejected",
                String::from_utf8_lossy(payload)
            );
        }
    }

    #[test]
    fn duplicate_variant_skus_are_rejected() {
        let dup = br#"{"id":"p","version":1,"title":"T","brand":"B","variants":[{"sku":"x"},{"sku":"x"}]}"#;
        assert!(matches!(
            decode(ViewKind::Products, Some(b"p"), Some(dup)),
            Err(DecodeError::Invalid {
                field: "variants.sku",
                ..
            })
        ));
    }
}
