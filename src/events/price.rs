//! `vitrine.prices`: a SKU's list and sale price in minor units, keyed by SKU.

use serde::Deserialize;
use serde_json::{json, Value};

use super::decode::{check_key, invalid, is_code, DecodeError};
use crate::views::Price;

#[derive(Deserialize)]
pub(super) struct PriceRecord {
    sku: String,
    version: u64,
    currency: String,
    list: i64,
    sale: Option<i64>,
}

pub(super) fn decode(key: &str, record: PriceRecord) -> Result<Price, DecodeError> {
    check_key(key, "sku", &record.sku)?;
    if !is_code(&record.currency, 3) {
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

/// The record as the topic carries it (for snapshots): the inverse of [`decode`].
pub fn encode(p: &Price) -> Value {
    let mut value =
        json!({"sku": p.sku, "version": p.version, "currency": p.currency, "list": p.list_minor});
    if let Some(sale) = p.sale_minor {
        value["sale"] = json!(sale);
    }
    value
}

#[cfg(test)]
mod tests {
    use crate::events::decode;
    use crate::views::{Change, ViewKind};

    #[test]
    fn decodes_a_price() {
        let price = br#"{"sku":"a","version":1,"currency":"USD","list":129500,"sale":89900}"#;
        let Change::Price(p) = decode(ViewKind::Prices, Some(b"a"), Some(price)).unwrap() else {
            panic!()
        };
        assert_eq!((p.list_minor, p.sale_minor), (129500, Some(89900)));
    }
}
