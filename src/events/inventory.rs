//! `vitrine.inventory`: units available of a SKU, keyed by SKU.

use serde::Deserialize;
use serde_json::{json, Value};

use super::decode::{check_key, DecodeError};
use crate::views::Inventory;

#[derive(Deserialize)]
pub(super) struct InventoryRecord {
    sku: String,
    version: u64,
    available: i32,
    /// Reservation ids this count already accounts for.
    #[serde(default)]
    reservations: Vec<String>,
}

pub(super) fn decode(key: &str, record: InventoryRecord) -> Result<Inventory, DecodeError> {
    check_key(key, "sku", &record.sku)?;
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
