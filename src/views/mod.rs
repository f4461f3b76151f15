//! The materialized views: the latest version of every product, price and inventory record.
//!
//! Pure state, no I/O: the ingest layer feeds [`Catalog::apply`], the GraphQL layer reads.
//! Values are `Arc`s in `DashMap`s, so a reader clones a pointer and never waits on a writer.
//! Each product also carries its [`ProductSummary`] (price range, availability), kept current
//! as prices and stock change, so listings read one entry per product.

pub mod assortment;
pub mod catalog;
mod catalog_bulk;
mod catalog_holds;
mod catalog_index;
pub mod catalog_write;
pub mod changes;
pub mod claims;
pub mod facets;
mod facets_index;
mod facets_price;
pub mod holds;
pub mod index;
mod index_build;
pub mod index_facets;
pub mod index_moves;
mod index_price;
mod index_scope;
pub mod index_walk;
pub mod listing;
pub mod listing_filter;
pub mod model;
mod read_log;
pub mod reads;
mod shared_parts;
pub mod storefronts;
mod stripes;
pub mod summary;
pub mod text;

pub use catalog::{ApplyOutcome, Catalog, ProductEntry};
pub use model::{Change, IntlContext, Inventory, Price, Product, Variant, ViewKind};
pub use summary::{summarize, ProductSummary, StockAndPrices, VariantReads};

#[cfg(test)]
pub(crate) mod testing {
    //! Small builders for tests across the crate.
    use super::*;

    pub fn product(id: &str, version: u64, skus: &[&str]) -> Product {
        Product {
            id: id.into(),
            version,
            title: format!("Title {id}"),
            brand: "Brand".into(),
            description: String::new(),
            categories: vec!["women/knitwear/sweaters".into()],
            images: vec![],
            hs_code: Some("6110.12".into()),
            published_at: None,
            published_at_ms: None,
            variants: skus
                .iter()
                .map(|s| Variant {
                    sku: s.to_string(),
                    size: Some("M".into()),
                    color: None,
                })
                .collect(),
            title_key: format!("title {id}"),
            corrected_at: None,
        }
    }

    pub fn price(sku: &str, version: u64, list: i64, sale: Option<i64>) -> Price {
        Price {
            sku: sku.into(),
            version,
            currency: "USD".into(),
            list_minor: list,
            sale_minor: sale,
            corrected_at: None,
        }
    }

    /// The decider's record of a one-line hold of `quantity` units of `sku` against `on_hand`.
    pub fn decision(
        id: &str,
        sku: &str,
        quantity: i32,
        on_hand: i32,
        at_ms: i64,
        ttl_ms: i64,
    ) -> Change {
        use holds::{Decision, HoldRequest, ReservationEvent};
        Change::Reservation(ReservationEvent::Decision(Decision {
            request: HoldRequest {
                id: id.into(),
                sku: sku.into(),
                quantity,
                ttl_ms,
                client: "c".into(),
                lines: 1,
            },
            on_hand,
            at_ms,
            forget_before_ms: at_ms - 60_000,
            max_active: 1000,
            partition: 0,
            offset: at_ms,
        }))
    }

    pub fn stock(sku: &str, version: u64, available: i32) -> Inventory {
        Inventory {
            sku: sku.into(),
            version,
            available,
            reservations: vec![],
        }
    }
}
