//! `vitrine.prices`: a SKU's list and sale price in minor units, keyed by SKU.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::decode::{check_key, invalid, is_code, DecodeError};
use crate::views::Price;

/// The record as the topic carries it (`S`: see `product::ProductRecord`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PriceRecord<S = String> {
    sku: S,
    version: u64,
    currency: S,
    list: i64,
    sale: Option<i64>,
    /// This record corrects an erroneous price: quotes for earlier versions are void.
    #[serde(default)]
    correction: bool,
    /// The version of an earlier correction still in force (written by Vitrine's snapshots).
    corrected_at: Option<u64>,
}

/// Largest amount a price may carry, in minor units (10^15: ten trillion dollars). Every sum
/// and conversion of such amounts fits in 64 bits with room to spare; larger ones are refused
/// as malformed rather than risk a wrong amount.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

pub(super) fn decode(key: &str, record: PriceRecord) -> Result<Price, DecodeError> {
    check_key(key, "sku", &record.sku)?;
    checked(record)
}

/// The record's own checks, for a record with no separate key (binary snapshots).
pub(super) fn checked(record: PriceRecord) -> Result<Price, DecodeError> {
    if !is_code(&record.currency, 3) {
        return Err(invalid("currency", "must be an ISO 4217 code like USD"));
    }
    if !(0..=MAX_AMOUNT_MINOR).contains(&record.list) {
        return Err(invalid("list", "must be between 0 and 10^15 minor units"));
    }
    if record
        .sale
        .is_some_and(|s| !(0..=MAX_AMOUNT_MINOR).contains(&s))
    {
        return Err(invalid("sale", "must be between 0 and 10^15 minor units"));
    }
    Ok(Price {
        sku: record.sku,
        version: record.version,
        currency: record.currency,
        list_minor: record.list,
        sale_minor: record.sale,
        corrected_at: super::correction_in_force(
            record.version,
            record.correction,
            record.corrected_at,
        ),
    })
}

/// The record of a held price, borrowing its text (the inverse of [`decode`]).
pub(super) fn record_of(p: &Price) -> PriceRecord<&str> {
    let corrected = p.corrected_at;
    PriceRecord {
        sku: &p.sku,
        version: p.version,
        currency: &p.currency,
        list: p.list_minor,
        sale: p.sale_minor,
        correction: corrected == Some(p.version),
        corrected_at: corrected.filter(|v| *v != p.version),
    }
}

/// The record as the topic carries it (for snapshots): the inverse of [`decode`].
pub fn encode(p: &Price) -> Value {
    let mut value =
        json!({"sku": p.sku, "version": p.version, "currency": p.currency, "list": p.list_minor});
    if let Some(sale) = p.sale_minor {
        value["sale"] = json!(sale);
    }
    super::write_correction(&mut value, p.version, p.corrected_at);
    value
}

#[cfg(test)]
mod tests {
    use crate::events::decode;
    use crate::views::{Change, ViewKind};

    #[test]
    fn amounts_past_the_range_are_malformed() {
        for record in [
            r#"{"sku":"a","version":1,"currency":"USD","list":9223372036854775807}"#,
            r#"{"sku":"a","version":1,"currency":"USD","list":100,"sale":1000000000000001}"#,
            r#"{"sku":"a","version":1,"currency":"USD","list":-1}"#,
        ] {
            assert!(
                decode(ViewKind::Prices, Some(b"a"), Some(record.as_bytes())).is_err(),
                "{record}"
            );
        }
        let top = br#"{"sku":"a","version":1,"currency":"USD","list":1000000000000000}"#;
        assert!(decode(ViewKind::Prices, Some(b"a"), Some(top)).is_ok());
    }

    #[test]
    fn decodes_a_price() {
        let price = br#"{"sku":"a","version":1,"currency":"USD","list":129500,"sale":89900}"#;
        let Change::Price(p) = decode(ViewKind::Prices, Some(b"a"), Some(price)).unwrap() else {
            panic!()
        };
        assert_eq!((p.list_minor, p.sale_minor), (129500, Some(89900)));
        assert_eq!(p.corrected_at, None);
        let fix = br#"{"sku":"a","version":4,"currency":"USD","list":129500,"correction":true}"#;
        let Change::Price(p) = decode(ViewKind::Prices, Some(b"a"), Some(fix)).unwrap() else {
            panic!()
        };
        assert_eq!(p.corrected_at, Some(4));
        assert_eq!(super::encode(&p)["correction"], true);
        // An earlier correction still in force survives encode -> decode (snapshots).
        let later = crate::views::Price {
            version: 6,
            ..p.clone()
        };
        let bytes = serde_json::to_vec(&super::encode(&later)).unwrap();
        let Change::Price(back) = decode(ViewKind::Prices, Some(b"a"), Some(&bytes)).unwrap()
        else {
            panic!()
        };
        assert_eq!((back.version, back.corrected_at), (6, Some(4)));
    }
}
