//! Encoding view records back into the event contract's JSON (for snapshots): the inverse of
//! [`super::decode`], so a snapshot's records go through the same decoder as the topics.

use serde_json::{json, Map, Value};

use crate::views::{IntlContext, Inventory, Price, Product};

pub fn product(p: &Product) -> Value {
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
    value
}

pub fn price(p: &Price) -> Value {
    let mut value =
        json!({"sku": p.sku, "version": p.version, "currency": p.currency, "list": p.list_minor});
    if let Some(sale) = p.sale_minor {
        value["sale"] = json!(sale);
    }
    value
}

pub fn inventory(i: &Inventory) -> Value {
    json!({"sku": i.sku, "version": i.version, "available": i.available})
}

pub fn intl(i: &IntlContext) -> Value {
    let mut duty: Map<String, Value> = i
        .duty_rates
        .iter()
        .map(|(prefix, bp)| (prefix.clone(), json!(bp)))
        .collect();
    if let Some(fallback) = i.duty_fallback_bp {
        duty.insert("*".into(), json!(fallback));
    }
    let mut shipping = json!({"flat": i.shipping.flat_minor});
    if let Some(free_over) = i.shipping.free_over_minor {
        shipping["freeOver"] = json!(free_over);
    }
    let mut value = json!({
        "country": i.country, "version": i.version, "currency": i.currency,
        "minorUnits": i.minor_units, "fxRate": i.fx_rate_text, "dutyRates": duty,
        "taxRate": i.tax_bp, "shipping": shipping,
    });
    if let Some(r) = i.rounding {
        value["rounding"] = json!({"increment": r.increment, "minus": r.minus});
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::decode::decode;
    use crate::ingest::generator::CatalogGenerator;
    use crate::views::Change;

    /// Every generated record survives decode -> encode -> decode unchanged.
    #[test]
    fn encode_is_the_inverse_of_decode() {
        let mut records = vec![];
        CatalogGenerator::new(5, 30).baseline(|r| records.push(r));
        for r in records {
            let first = decode(r.kind, Some(r.key.as_bytes()), r.payload.as_deref()).unwrap();
            let encoded = match &first {
                Change::Product(p) => product(p),
                Change::Price(p) => price(p),
                Change::Inventory(i) => inventory(i),
                Change::Intl(i) => intl(i),
                Change::Delete(..) => unreachable!("the baseline has no tombstones"),
            };
            let bytes = serde_json::to_vec(&encoded).unwrap();
            let second = decode(r.kind, Some(r.key.as_bytes()), Some(&bytes)).unwrap();
            assert_eq!(first, second, "{:?} {}", r.kind, r.key);
        }
    }
}
