//! The query root: `product` for the product page, `products` for listings.

use async_graphql::{Context, ErrorExtensions, Object, Result, ID};

use super::errors::ApiError;
use super::listing::{decode_cursor, ProductConnection, ProductFilter, ProductSortKeys};
use super::product::{reader, Product};
use super::ApiSettings;
use crate::views::listing::{list_products, ListingRequest, SortKey};

/// Page size assumed for complexity when `first` is not given.
const COMPLEXITY_PAGE: i32 = 20;

pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// One product by id, for the product page; null if there is no such product.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Option<Product> {
        reader(ctx).product(&id).map(Product)
    }

    /// A page of products, filtered and sorted, for listings. Pass `pageInfo.endCursor`
    /// as `after` to get the next page.
    #[graphql(
        complexity = "(first.unwrap_or(COMPLEXITY_PAGE).clamp(0, 10_000) as usize).saturating_mul(child_complexity).saturating_add(1)"
    )]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ProductFilter>,
        sort_key: Option<ProductSortKeys>,
        reverse: Option<bool>,
    ) -> Result<ProductConnection> {
        let settings = ctx.data_unchecked::<ApiSettings>();
        let max = settings.max_page_size;
        let first = match first {
            None => settings.default_page_size,
            Some(n) if n >= 0 && (n as usize) <= max => n as usize,
            Some(n) => return Err(ApiError::FirstOutOfRange { got: n.into(), max }.extend()),
        };
        let sort: SortKey = sort_key.unwrap_or(ProductSortKeys::Id).into();
        let after = after
            .map(|c| decode_cursor(sort, &c))
            .transpose()
            .map_err(|e| e.extend())?;
        let filter = filter
            .unwrap_or_default()
            .to_view_filter(&settings.base_currency)
            .map_err(|e| e.extend())?;
        let request = ListingRequest {
            filter,
            sort,
            reverse: reverse.unwrap_or(false),
            after,
            first,
        };
        let page = list_products(reader(ctx).scan(), &request);
        Ok(ProductConnection::from_page(sort, page))
    }
}
