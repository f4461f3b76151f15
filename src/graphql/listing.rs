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
use crate::views::listing_filter::{OptionFilter as ViewOptionFilter, OptionName};

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
    /// Any of these brands, case-insensitive (the `brand` facet's selection).
    pub brands: Option<Vec<String>>,
    /// Variants with these option values (the `option.*` facets' selections): one variant must
    /// have one of the values of every option given (in stock with `inStock: true`).
    pub options: Option<Vec<OptionFilter>>,
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

/// One variant option's selected values (any of them).
#[derive(Debug, Clone, InputObject)]
pub struct OptionFilter {
    /// `size` or `color`.
    pub name: String,
    pub values: Vec<String>,
}

/// Brands, or values of one option, a filter may select at most.
pub const MAX_FILTER_VALUES: usize = 100;

impl OptionFilter {
    fn to_view(&self) -> Result<ViewOptionFilter, ApiError> {
        let name = OptionName::parse(&self.name).ok_or_else(|| {
            ApiError::InvalidFilter(format!("unknown option `{}` (size, color)", self.name))
        })?;
        too_many("options.values", self.values.len())?;
        Ok(ViewOptionFilter {
            name,
            values: self.values.clone(),
        })
    }
}

fn too_many(field: &str, got: usize) -> Result<(), ApiError> {
    match got > MAX_FILTER_VALUES {
        true => Err(ApiError::InvalidFilter(format!(
            "`{field}` holds at most {MAX_FILTER_VALUES} values, got {got}"
        ))),
        false => Ok(()),
    }
}

impl ProductFilter {
    /// Converts to the view filter, with price bounds in minor units of `units` decimals;
    /// `options_in_stock` is `graphql.facet_options_in_stock`.
    pub fn to_view_filter(
        &self,
        units: u32,
        options_in_stock: bool,
    ) -> Result<ListingFilter, ApiError> {
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
        let brands = self.brands.clone().unwrap_or_default();
        too_many("brands", brands.len())?;
        let given = self.options.as_deref().unwrap_or_default();
        too_many("options", given.len())?;
        let mut options: Vec<ViewOptionFilter> = Vec::new();
        for option in given {
            let option = option.to_view()?;
            // The same option twice: either value (one selection).
            match options.iter_mut().find(|o| o.name == option.name) {
                Some(held) => held.values.extend(option.values),
                None => options.push(option),
            }
        }
        Ok(ListingFilter {
            category: self.category.clone(),
            brand: self.brand.clone(),
            brands,
            options,
            options_in_stock,
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
    /// What the listing can still be narrowed to, with exact product counts (each facet's
    /// counts apply every other selected filter). Computed only when asked for.
    pub facets: Vec<super::facets::Facet>,
    /// The listing asked, for its facets.
    #[graphql(skip)]
    pub request: Option<crate::views::listing::ListingRequest>,
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
            facets: Vec::new(),
            request: None,
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
