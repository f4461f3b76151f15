//! `vitrine.products`: a product and its variants, keyed by product id.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::decode::{check_key, invalid, DecodeError};
use crate::views::{Product, Variant};

/// The record as the topic carries it; `S` is `String` decoding and `&str` writing the binary
/// form of Vitrine's snapshots (see `binary`), whose field order is this one.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProductRecord<S = String> {
    id: S,
    version: u64,
    title: S,
    brand: S,
    #[serde(default)]
    description: S,
    #[serde(default)]
    categories: Vec<S>,
    #[serde(default)]
    images: Vec<S>,
    hs_code: Option<S>,
    published_at: Option<S>,
    variants: Vec<VariantRecord<S>>,
}

#[derive(Serialize, Deserialize)]
struct VariantRecord<S = String> {
    sku: S,
    size: Option<S>,
    color: Option<S>,
}

/// The record of a held product, borrowing its text (the inverse of [`decode`]).
pub(super) fn record_of(p: &Product) -> ProductRecord<&str> {
    fn all(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    ProductRecord {
        id: &p.id,
        version: p.version,
        title: &p.title,
        brand: &p.brand,
        description: &p.description,
        categories: all(&p.categories),
        images: all(&p.images),
        hs_code: p.hs_code.as_deref(),
        published_at: p.published_at.as_deref(),
        variants: p
            .variants
            .iter()
            .map(|v| VariantRecord {
                sku: v.sku.as_str(),
                size: v.size.as_deref(),
                color: v.color.as_deref(),
            })
            .collect(),
    }
}

fn published_at_ms(text: &str) -> Result<i64, DecodeError> {
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| invalid("publishedAt", format!("not RFC 3339: {e}")))?;
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn check_variants(variants: &[VariantRecord]) -> Result<(), DecodeError> {
    let mut skus = std::collections::HashSet::new();
    for variant in variants {
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
    Ok(())
}

pub(super) fn decode(key: &str, record: ProductRecord) -> Result<Product, DecodeError> {
    check_key(key, "id", &record.id)?;
    checked(record)
}

/// The record's own checks, for a record with no separate key (binary snapshots).
pub(super) fn checked(record: ProductRecord) -> Result<Product, DecodeError> {
    if record.title.trim().is_empty() {
        return Err(invalid("title", "must not be empty"));
    }
    let published_at_ms = record
        .published_at
        .as_deref()
        .map(published_at_ms)
        .transpose()?;
    check_variants(&record.variants)?;
    Ok(Product {
        title_key: record.title.to_lowercase(),
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
        corrected_at: None,
    })
}

/// The record as the topic carries it (for snapshots): the inverse of [`decode`].
pub fn encode(p: &Product) -> Value {
    let variants: Vec<Value> = p
        .variants
        .iter()
        .map(|v| {
            let mut variant = json!({"sku": v.sku});
            if let Some(size) = &v.size {
                variant["size"] = json!(size);
            }
            if let Some(color) = &v.color {
                variant["color"] = json!(color);
            }
            variant
        })
        .collect();
    let mut value = json!({
        "id": p.id, "version": p.version, "title": p.title, "brand": p.brand,
        "description": p.description, "categories": p.categories, "images": p.images,
        "variants": variants,
    });
    if let Some(hs) = &p.hs_code {
        value["hsCode"] = json!(hs);
    }
    if let Some(at) = &p.published_at {
        value["publishedAt"] = json!(at);
    }
    super::write_correction(&mut value, p.version, p.corrected_at);
    value
}

/// The correction fields of a product record. They are read apart from the record (and only
/// when the text names them) because the record's fields are also the binary snapshot's layout;
/// a snapshot writes a product with a correction in force as JSON.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CorrectionFields {
    #[serde(default)]
    correction: bool,
    corrected_at: Option<u64>,
}

/// `product` with the correction `payload` (its JSON text) carries, if any.
pub(super) fn with_correction(mut product: Product, payload: &[u8]) -> Product {
    if memchr::memmem::find(payload, b"\"correct").is_some() {
        let fields: CorrectionFields = serde_json::from_slice(payload).unwrap_or_default();
        product.corrected_at =
            super::correction_in_force(product.version, fields.correction, fields.corrected_at);
    }
    product
}

#[cfg(test)]
mod tests {
    use crate::events::{decode, DecodeError};
    use crate::views::{Change, ViewKind};

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
        assert_eq!(
            p.title_key, "cashmere sweater",
            "the TITLE sort key, lower-cased once"
        );
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
