//! Listing facets in the schema: `products { facets { id label type values range } }`, each
//! value with the filter input that selects it (see `views::facets` for the counts).

use async_graphql::{Enum, Json, SimpleObject};
use serde_json::json;

use super::product::{Decimal, MoneyV2};
use crate::pricing::money::format_minor;
use crate::views::facets::{FacetValue as ViewValue, Facets};
use crate::views::listing_filter::OptionName;

/// How a facet narrows a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum FacetType {
    /// Pick any of the values (OR within the facet, AND with the others).
    List,
    /// In stock or not.
    Boolean,
    /// A range of the shown price (`minPrice` / `maxPrice`).
    PriceRange,
}

/// One way to narrow a listing, with what it would narrow to.
#[derive(Debug, Clone, SimpleObject)]
pub struct Facet {
    /// `brand`, `category`, `option.size`, `option.color`, `available` or `price`.
    pub id: String,
    pub label: String,
    #[graphql(name = "type")]
    pub kind: FacetType,
    /// The values present in the listing's scope, most products first; selected ones always.
    pub values: Vec<FacetValue>,
    /// The price facet's range and histogram (null for the other facets, or with no price).
    pub range: Option<PriceRangeFacet>,
}

/// A value of a facet and the products it would keep.
#[derive(Debug, Clone, SimpleObject)]
pub struct FacetValue {
    pub label: String,
    /// Products (not variants) the listing would hold with this value selected, every other
    /// selected filter applied.
    pub count: i32,
    pub selected: bool,
    /// The `ProductFilter` fields that select this value: merge them into the next query's
    /// filter (lists add to the facet's other selected values).
    pub input: Json<serde_json::Value>,
}

/// The shown prices of the products the other filters keep.
#[derive(Debug, Clone, SimpleObject)]
pub struct PriceRangeFacet {
    pub min: MoneyV2,
    pub max: MoneyV2,
    /// Product counts by shown lowest price, in round-width buckets.
    pub buckets: Vec<PriceBucket>,
}

/// Products whose shown lowest price is at least `from` and below `to` (the last bucket holds
/// the maximum).
#[derive(Debug, Clone, SimpleObject)]
pub struct PriceBucket {
    pub from: Decimal,
    pub to: Decimal,
    pub count: i32,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn values(list: Vec<ViewValue>, input: impl Fn(&str) -> serde_json::Value) -> Vec<FacetValue> {
    list.into_iter()
        .map(|v| FacetValue {
            input: Json(input(&v.value)),
            label: v.label,
            count: count(v.count),
            selected: v.selected,
        })
        .collect()
}

/// The schema's facets from the views', prices in `currency` of `units` decimals.
pub fn from_view(facets: Facets, currency: &str, units: u32) -> Vec<Facet> {
    let list = |id: &str, label: &str, values| Facet {
        id: id.into(),
        label: label.into(),
        kind: FacetType::List,
        values,
        range: None,
    };
    let mut out = vec![
        list(
            "brand",
            "Brand",
            values(facets.brand, |v| json!({"brands": [v]})),
        ),
        list(
            "category",
            "Category",
            values(facets.category, |v| json!({"category": v})),
        ),
    ];
    for (name, found) in facets.options {
        let label = match name {
            OptionName::Size => "Size",
            OptionName::Color => "Color",
        };
        let id = format!("option.{}", name.as_str());
        let input = |v: &str| json!({"options": [{"name": name.as_str(), "values": [v]}]});
        out.push(list(&id, label, values(found, input)));
    }
    out.push(Facet {
        id: "available".into(),
        label: "Availability".into(),
        kind: FacetType::Boolean,
        values: values(facets.available, |v| json!({"inStock": v == "true"})),
        range: None,
    });
    let range = facets.price.map(|range| PriceRangeFacet {
        min: MoneyV2::in_units(range.min, currency, units),
        max: MoneyV2::in_units(range.max, currency, units),
        buckets: range
            .buckets
            .iter()
            .map(|b| PriceBucket {
                from: Decimal(format_minor(b.from, units)),
                to: Decimal(format_minor(b.to, units)),
                count: count(b.count),
            })
            .collect(),
    });
    out.push(Facet {
        id: "price".into(),
        label: "Price".into(),
        kind: FacetType::PriceRange,
        values: Vec::new(),
        range,
    });
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_graphql::Request;

    use crate::config::Settings;
    use crate::views::testing::{price, product, stock};
    use crate::views::{Catalog, Change};

    const QUERY: &str = "{ products(first: 1) { facets { id values { label count } } } }";

    fn available(body: &[u8]) -> Vec<(String, i64)> {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap();
        let facets = json["data"]["products"]["facets"].as_array().cloned();
        let facets = facets.unwrap_or_else(|| panic!("{json}"));
        let facet = facets.iter().find(|f| f["id"] == "available").unwrap();
        facet["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["label"].as_str().unwrap().into(),
                    v["count"].as_i64().unwrap(),
                )
            })
            .collect()
    }

    /// Facets and the facet filters are planned, with the same answer as async-graphql's
    /// (`verify` compares them byte for byte).
    #[tokio::test]
    async fn facets_and_their_filters_are_planned() {
        let catalog = Arc::new(Catalog::new());
        catalog.apply(Change::Product(product("p1", 1, &["p1-a"])));
        catalog.apply(Change::Price(price("p1-a", 1, 1000, None)));
        let settings = Settings::defaults()
            .with_overrides("[graphql]\nplanner = \"verify\"\nmemo_entries = 0")
            .unwrap();
        let gateway = crate::graphql::build_gateway(catalog, &settings);
        let query =
            "{ products(first: 1, filter: {brands: [\"Brand\"], options: [{name: \"size\", \
                     values: [\"M\"]}]}) { totalCount facets { id label type \
                     values { label count selected input } range { min { amount currencyCode } \
                     max { amount } buckets { from to count } } } } }";
        for _ in 0..3 {
            let body = gateway.execute_json(Request::new(query)).await;
            let text = String::from_utf8_lossy(&body);
            assert!(
                text.contains("\"totalCount\":1") && !text.contains("errors"),
                "{text}"
            );
        }
        let planned = gateway
            .plan_stats()
            .planned
            .load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(
            planned, 2,
            "the first run validates, the next two are planned"
        );
    }

    /// A stock change moves the counts of the next answer, memo or not.
    #[tokio::test]
    async fn live_changes_move_the_next_answers_counts() {
        let catalog = Arc::new(Catalog::new());
        for id in ["p1", "p2"] {
            catalog.apply(Change::Product(product(id, 1, &[&format!("{id}-a")])));
            catalog.apply(Change::Price(price(&format!("{id}-a"), 1, 1000, None)));
            catalog.apply(Change::Inventory(stock(&format!("{id}-a"), 1, 3)));
        }
        let gateway = crate::graphql::build_gateway(Arc::clone(&catalog), &Settings::defaults());
        for _ in 0..2 {
            let body = gateway.execute_json(Request::new(QUERY)).await;
            assert_eq!(available(&body), [("In stock".to_string(), 2)]);
        }
        catalog.apply(Change::Inventory(stock("p2-a", 2, 0)));
        let body = gateway.execute_json(Request::new(QUERY)).await;
        let expected = [("In stock".to_string(), 1), ("Out of stock".to_string(), 1)];
        assert_eq!(available(&body), expected);
        let memo = gateway.memo_stats();
        assert!(memo.hits.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    }
}
