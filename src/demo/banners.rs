//! The demo's banners: `main` (the default: every product, the generated prices) and `outlet`
//! (women's knitwear and men's shirts, about a third of the catalog, at its own prices 30-50%
//! below main's), both selling from one stock pool; and the outlet price list derived from
//! main's, record by record, for every banner with a price list of its own.

use serde_json::Value;

use crate::config::{AssortmentSettings, BannerSettings};
use crate::events::Record;
use crate::views::ViewKind;

/// The outlet's price list topic in the demo.
pub const OUTLET_PRICES: &str = "vitrine.prices.outlet";

/// `main` and `outlet` (see the module's text).
pub fn demo_banners() -> Vec<BannerSettings> {
    vec![
        BannerSettings {
            name: "main".into(),
            default: true,
            ..BannerSettings::default()
        },
        BannerSettings {
            name: "outlet".into(),
            prices_topic: OUTLET_PRICES.into(),
            assortment: AssortmentSettings {
                include_categories: vec!["women/knitwear".into(), "men/shirts".into()],
                ..AssortmentSettings::default()
            },
            ..BannerSettings::default()
        },
    ]
}

/// The outlet's price for a price record of main's: 50-70% of it (by SKU, the same on every
/// run), rounded down to whole units, at the same version; tombstones stay tombstones.
pub fn outlet_price(record: &Record) -> Option<Record> {
    if record.kind != ViewKind::Prices {
        return None;
    }
    let percent = 50 + (crate::views::changes::key_hash(&record.key) % 21) as i64;
    let lower = |minor: i64| minor * percent / 100 / 100 * 100;
    let payload = match &record.payload {
        None => None,
        Some(bytes) => {
            let mut value: Value = serde_json::from_slice(bytes).ok()?;
            for field in ["list", "sale"] {
                if let Some(minor) = value.get(field).and_then(Value::as_i64) {
                    value[field] = Value::from(lower(minor));
                }
            }
            Some(serde_json::to_vec(&value).ok()?)
        }
    };
    Some(Record {
        kind: ViewKind::Prices,
        key: record.key.clone(),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlet_prices_are_half_to_seventy_percent_of_mains() {
        let main = Record {
            kind: ViewKind::Prices,
            key: "p000001-0".into(),
            payload: Some(
                br#"{"sku":"p000001-0","version":3,"currency":"USD","list":100000,"sale":80000}"#
                    .to_vec(),
            ),
        };
        let outlet = outlet_price(&main).unwrap();
        let value: Value = serde_json::from_slice(outlet.payload.as_deref().unwrap()).unwrap();
        let list = value["list"].as_i64().unwrap();
        assert!((50_000..=70_000).contains(&list), "{list}");
        assert!(value["sale"].as_i64().unwrap() < 80_000);
        assert_eq!(value["version"], 3);
        let tombstone = Record {
            payload: None,
            ..main.clone()
        };
        assert!(outlet_price(&tombstone).unwrap().payload.is_none());
        let stock = Record {
            kind: ViewKind::Inventory,
            ..main
        };
        assert!(outlet_price(&stock).is_none());
    }
}
