//! A catalog the test controls and a gateway over it.

use std::sync::Arc;

use serde_json::{json, Value};
use vitrine::config::Settings;
use vitrine::events::decode;
use vitrine::graphql::gateway::Gateway;
use vitrine::views::{Catalog, ViewKind};

pub const SECRET: &str = "test-quote-secret";

pub struct Shop {
    pub catalog: Arc<Catalog>,
    pub gateway: Gateway,
}

impl Shop {
    pub fn new(policy: &str) -> Self {
        let settings = Settings::defaults()
            .with_overrides(&format!(
                "[checkout]\nquote_secret = \"{SECRET}\"\nreprice_policy = \"{policy}\"\n[graphql]\nmemo_entries = 0"
            ))
            .unwrap();
        let catalog = Arc::new(Catalog::new());
        let gateway = vitrine::graphql::build_gateway(Arc::clone(&catalog), &settings);
        Self { catalog, gateway }
    }

    /// Applies a record exactly as ingest would (decode, then the version rule).
    pub fn put(&self, kind: ViewKind, key: &str, value: Value) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let change = decode(kind, Some(key.as_bytes()), Some(&bytes)).expect("valid record");
        self.catalog.apply(change);
    }

    pub fn product(&self, id: &str, version: u64, hs_code: &str, skus: &[&str]) {
        let variants: Vec<Value> = skus.iter().map(|s| json!({"sku": s})).collect();
        self.put(
            ViewKind::Products,
            id,
            json!({"id": id, "version": version, "title": format!("T {id}"), "brand": "B",
                   "hsCode": hs_code, "variants": variants}),
        );
    }

    pub fn price(&self, sku: &str, version: u64, list: i64, sale: Option<i64>) {
        let mut v = json!({"sku": sku, "version": version, "currency": "USD", "list": list});
        if let Some(sale) = sale {
            v["sale"] = json!(sale);
        }
        self.put(ViewKind::Prices, sku, v);
    }

    pub fn stock(&self, sku: &str, version: u64, available: i32) {
        self.put(
            ViewKind::Inventory,
            sku,
            json!({"sku": sku, "version": version, "available": available}),
        );
    }

    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        let response = self.gateway.respond(request).await;
        serde_json::to_value(&response).unwrap()
    }
}

/// The documented GB record (see docs/events.md), at `version` with `fx`.
pub fn gb(version: u64, fx: &str) -> Value {
    json!({"country": "GB", "version": version, "currency": "GBP", "minorUnits": 2, "fxRate": fx,
           "dutyRates": {"61": 1200, "6110": 1600, "*": 500}, "taxRate": 2000,
           "rounding": {"increment": 100, "minus": 1}, "shipping": {"flat": 1500, "freeOver": 25000}})
}

pub fn jp(version: u64) -> Value {
    json!({"country": "JP", "version": version, "currency": "JPY", "minorUnits": 0, "fxRate": "157.2",
           "dutyRates": {"61": 900, "*": 500}, "taxRate": 1000, "shipping": {"flat": 2000}})
}

pub const CHECKOUT: &str = "query($country: CountryCode!, $lines: [CheckoutLineInput!]!) {
  checkout(country: $country, lines: $lines) {
    currencyCode
    lines { sku quantity unitPrice { amount currencyCode } lineTotal { amount } duty { amount } tax { amount }
            repriced { from { amount } to { amount } reason } unavailable { available } }
    subtotal { amount } duties { amount } taxes { amount } shipping { amount } total { amount } } }";

pub const PDP: &str =
    "query($id: ID!, $country: CountryCode) { product(id: $id, country: $country) {
  variants { sku price { amount currencyCode } compareAtPrice { amount } quote } } }";
