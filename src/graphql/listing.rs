//! The `products` listing: filter input, sort keys, relay connection and opaque cursors.

use async_graphql::{Enum, InputObject, SimpleObject};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::errors::ApiError;
use std::sync::Arc;

use super::market::MarketContext;
use super::product::{Decimal, Product};
use crate::pricing::money::parse_minor;
use crate::views::listing::{ListingFilter, ListingPage, Position, SortKey};

/// Orders of a product listing; ties are broken by product id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProductSortKeys {
    Title,
    /// Lowest variant price; products without a price are left out.
    Price,
    /// `publishedAt`.
    CreatedAt,
    Id,
}

impl From<ProductSortKeys> for SortKey {
    fn from(key: ProductSortKeys) -> Self {
        match key {
            ProductSortKeys::Title => SortKey::Title,
            ProductSortKeys::Price => SortKey::Price,
            ProductSortKeys::CreatedAt => SortKey::CreatedAt,
            ProductSortKeys::Id => SortKey::Id,
        }
    }
}

/// Narrows a listing. All given conditions must hold.
#[derive(Debug, Clone, Default, InputObject)]
pub struct ProductFilter {
    /// Category path prefix, matched at `/` boundaries (`women/knitwear` matches
    /// `women/knitwear/sweaters`, not `women/knitwear-sale`).
    pub category: Option<String>,
    /// Brand, case-insensitive exact match.
    pub brand: Option<String>,
    /// Only products available for sale (true) or not (false).
    pub in_stock: Option<bool>,
    /// Lowest variant price at least this (products without a price are left out).
    pub min_price: Option<Decimal>,
    /// Lowest variant price at most this (products without a price are left out).
    pub max_price: Option<Decimal>,
    /// Words that must each begin a word of the title or brand, in any case and accent
    /// (`crème brû` finds "Crème Brûlée Knit").
    pub query: Option<String>,
}

impl ProductFilter {
    /// Converts to the view filter, with price bounds in minor units of `units` decimals.
    pub fn to_view_filter(&self, units: u32) -> Result<ListingFilter, ApiError> {
        let amount = |field: &'static str, value: &Option<Decimal>| {
            value
                .as_ref()
                .map(|d| parse_minor(&d.0, units))
                .transpose()
                .map_err(|e| ApiError::InvalidAmount {
                    field,
                    reason: e.to_string(),
                })
        };
        Ok(ListingFilter {
            category: self.category.clone(),
            brand: self.brand.clone(),
            in_stock: self.in_stock,
            min_price_minor: amount("minPrice", &self.min_price)?,
            max_price_minor: amount("maxPrice", &self.max_price)?,
            query: self.query.as_ref().map(|q| q.to_lowercase()),
        })
    }
}

/// What an opaque cursor holds: the sort order it was made for and the position.
#[derive(Serialize, Deserialize)]
struct CursorBody {
    k: SortKey,
    p: Position,
}

pub fn encode_cursor(sort: SortKey, position: &Position) -> String {
    let body = serde_json::to_vec(&CursorBody {
        k: sort,
        p: position.clone(),
    })
    .expect("cursor serializes");
    URL_SAFE_NO_PAD.encode(body)
}

pub fn decode_cursor(sort: SortKey, cursor: &str) -> Result<Position, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| ApiError::InvalidCursor("not a cursor from this API"))?;
    let body: CursorBody = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::InvalidCursor("not a cursor from this API"))?;
    if body.k != sort {
        return Err(ApiError::InvalidCursor("cursor belongs to another sortKey"));
    }
    Ok(body.p)
}

#[derive(SimpleObject)]
pub struct ProductEdge {
    pub cursor: String,
    pub node: Product,
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct ProductConnection {
    pub edges: Vec<ProductEdge>,
    pub page_info: PageInfo,
    /// Products matching the filter, on all pages.
    pub total_count: i32,
}

impl ProductConnection {
    pub fn from_page(sort: SortKey, page: ListingPage, market: &Arc<MarketContext>) -> Self {
        let edges: Vec<ProductEdge> = page
            .items
            .into_iter()
            .map(|item| ProductEdge {
                cursor: encode_cursor(sort, &item.position),
                node: Product {
                    product: item.product,
                    market: Arc::clone(market),
                },
            })
            .collect();
        Self {
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                has_previous_page: page.has_previous_page,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            total_count: i32::try_from(page.total_count).unwrap_or(i32::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::listing::SortValue;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let p = Position {
            value: SortValue::Text("cashmere".into()),
            id: "p1".into(),
        };
        let c = encode_cursor(SortKey::Title, &p);
        assert_eq!(decode_cursor(SortKey::Title, &c), Ok(p));
        assert!(matches!(
            decode_cursor(SortKey::Price, &c),
            Err(ApiError::InvalidCursor(_))
        ));
        for junk in ["", "!!!", "eyJ4IjoxfQ"] {
            assert!(decode_cursor(SortKey::Title, junk).is_err());
        }
    }
}
