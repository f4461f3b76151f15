//! `vitrine.inventory`: units available of a SKU, keyed by SKU.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::decode::{check_key, DecodeError};
use crate::views::Inventory;

/// The record as the topic carries it (`S`: see `product::ProductRecord`).
#[derive(Serialize, Deserialize)]
pub(super) struct InventoryRecord<S = String> {
    sku: S,
    version: u64,
    available: i32,
    /// Reservation ids this count already accounts for.
    #[serde(default)]
    reservations: Vec<S>,
}

/// The record of held stock, borrowing its text (the inverse of [`decode`]).
pub(super) fn record_of(i: &Inventory) -> InventoryRecord<&str> {
    InventoryRecord {
        sku: &i.sku,
        version: i.version,
        available: i.available,
        reservations: i.reservations.iter().map(String::as_str).collect(),
    }
}

pub(super) fn decode(key: &str, record: InventoryRecord) -> Result<Inventory, DecodeError> {
    check_key(key, "sku", &record.sku)?;
    checked(record)
}

/// The record's own checks, for a record with no separate key (binary snapshots).
pub(super) fn checked(record: InventoryRecord) -> Result<Inventory, DecodeError> {
    Ok(Inventory {
        sku: record.sku,
        version: record.version,
        available: record.available,
        reservations: record.reservations,
    })
}

/// The record as the topic carries it (for snapshots): the inverse of [`decode`].
pub fn encode(i: &Inventory) -> Value {
    let mut value = json!({"sku": i.sku, "version": i.version, "available": i.available});
    if !i.reservations.is_empty() {
        value["reservations"] = json!(i.reservations);
    }
    value
}

#[cfg(test)]
mod tests {
    use crate::events::decode;
    use crate::views::{Change, Inventory, ViewKind};

    #[test]
    fn decodes_stock() {
        let stock = br#"{"sku":"a","version":7,"available":3}"#;
        assert!(matches!(
            decode(ViewKind::Inventory, Some(b"a"), Some(stock)),
            Ok(Change::Inventory(Inventory { available: 3, .. }))
        ));
    }
}
