//! The query root: `product` for the product page, `products` for listings, `checkout` for carts.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Object, Result, ID};

use super::checkout::{checkout, Checkout, CheckoutLineInput};
use super::errors::ApiError;
use super::limits::Deadline;
use super::listing::{decode_cursor, ProductConnection, ProductFilter, ProductSortKeys};
use super::market::{CountryCode, MarketContext};
use super::product::{reader, Product};
use super::ApiSettings;
use crate::pricing::landed::Market;
use crate::pricing::money::minor_units;
use crate::views::index_moves::Show;
use crate::views::listing::{recheck_page, ListingRequest, SortKey};
use crate::views::reads::RecordingReader;

/// Page size assumed for complexity when `first` is not given.
const COMPLEXITY_PAGE: i32 = 20;

pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// One product by id, for the product page; null if there is no such product. Prices are
    /// shown in `country` (default: the base country), duty and tax included.
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        country: Option<CountryCode>,
    ) -> Result<Option<Product>> {
        Deadline::check(ctx)?;
        let market = MarketContext::resolve(ctx, country)?;
        Ok(reader(ctx)
            .product(&id)
            .map(|product| Product { product, market }))
    }

    /// A page of products, filtered and sorted, for listings. Pass `pageInfo.endCursor`
    /// as `after` to get the next page. Prices, price filters (in the country's currency) and
    /// the PRICE sort use the prices shown in `country`.
    #[graphql(
        complexity = "(first.unwrap_or(COMPLEXITY_PAGE).clamp(0, 10_000) as usize).saturating_mul(child_complexity).saturating_add(1)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ProductFilter>,
        sort_key: Option<ProductSortKeys>,
        reverse: Option<bool>,
        country: Option<CountryCode>,
    ) -> Result<ProductConnection> {
        Deadline::check(ctx)?;
        let market = MarketContext::resolve(ctx, country)?;
        let page = Page {
            first,
            after,
            filter,
            sort_key,
            reverse,
        };
        let count = ctx.look_ahead().field("totalCount").exists();
        let facets = ctx.look_ahead().field("facets").exists();
        let settings = ctx.data_unchecked::<ApiSettings>();
        let listed = list_products(settings, reader(ctx), &market, page, count);
        let mut connection = listed.map_err(|e| e.extend())?;
        if facets {
            connection.facets = connection_facets(settings, reader(ctx), &market, &connection);
        }
        Ok(connection)
    }

    /// How fresh the views are: offsets applied vs high watermarks, lag, snapshot, bootstrap;
    /// the views of `banner` (default: the request's banner; `UNKNOWN_BANNER` for a name no
    /// banner has).
    async fn view_status(
        &self,
        ctx: &Context<'_>,
        banner: Option<String>,
    ) -> async_graphql::Result<super::status::Status> {
        reader(ctx).unmemoizable();
        super::status::view_status(ctx, banner.as_deref())
    }

    /// Prices a cart in `country` from the views, as the listing and product page do, and
    /// reports per line any difference from the quote the shopper saw and any shortage. With
    /// a reservation (and its token), its holds count as the cart's own, as far as the stock on
    /// hand covers them.
    async fn checkout(
        &self,
        ctx: &Context<'_>,
        country: CountryCode,
        lines: Vec<CheckoutLineInput>,
        reservation_id: Option<ID>,
        #[graphql(desc = "The token `reserve` returned with `reservationId`: only the \
                          reservation's owner may check out against it.")]
        reservation_token: Option<String>,
    ) -> Result<Checkout> {
        Deadline::check(ctx)?;
        let market = MarketContext::resolve(ctx, Some(country))?;
        checkout(
            reader(ctx),
            ctx.data_unchecked::<ApiSettings>(),
            &market,
            lines,
            reservation_id
                .as_ref()
                .map(|id| (id.as_str(), reservation_token.as_deref().unwrap_or(""))),
        )
    }
}

/// The arguments of `products` besides the country.
pub struct Page {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub filter: Option<ProductFilter>,
    pub sort_key: Option<ProductSortKeys>,
    pub reverse: Option<bool>,
}

/// One page of a listing in `market`, with `totalCount` computed when `count` (the same for
/// the resolver and the planner).
pub fn list_products(
    settings: &ApiSettings,
    reader: &RecordingReader,
    market: &Arc<MarketContext>,
    page: Page,
    count: bool,
) -> Result<ProductConnection, ApiError> {
    let max = settings.max_page_size;
    let first = match page.first {
        None => settings.default_page_size,
        Some(n) if n >= 0 && (n as usize) <= max => n as usize,
        Some(n) => return Err(ApiError::FirstOutOfRange { got: n.into(), max }),
    };
    let units = match &market.market {
        Market::Base => minor_units(&settings.base_currency),
        Market::Intl(intl) => intl.minor_units,
    };
    let sort: SortKey = page.sort_key.unwrap_or(ProductSortKeys::Id).into();
    let after = page.after.map(|c| decode_cursor(sort, &c)).transpose()?;
    let filter = page.filter.unwrap_or_default();
    let filter = filter.to_view_filter(units, settings.facet_options_in_stock)?;
    let request = ListingRequest {
        filter,
        sort,
        reverse: page.reverse.unwrap_or(false),
        after,
        first,
    };
    let base_currency = settings.base_currency.as_str();
    let show = |base, product: &_| market.shown_minor(base, base_currency, product);
    let keep = || -> Show {
        let (market, base_currency) = (Arc::clone(market), base_currency.to_string());
        Arc::new(move |base, product: &_| market.shown_minor(base, &base_currency, product))
    };
    let listed = reader.list(&request, show, count, keep);
    // The nodes show prices and stock from the reader's pinned reads: check them there.
    let listed = recheck_page(listed, &request, reader, show);
    let mut connection = ProductConnection::from_page(sort, listed, market);
    connection.request = Some(request);
    Ok(connection)
}

/// The facets of the listing `connection` answers (its request kept for them).
pub(crate) fn connection_facets(
    settings: &ApiSettings,
    reader: &RecordingReader,
    market: &Arc<MarketContext>,
    connection: &ProductConnection,
) -> Vec<super::facets::Facet> {
    let Some(request) = &connection.request else {
        return Vec::new();
    };
    let base_currency = settings.base_currency.as_str();
    let show = |base, product: &_| market.shown_minor(base, base_currency, product);
    let found = reader.facets(request, show, settings.facets);
    let (currency, units) = match &market.market {
        Market::Base => (base_currency, minor_units(base_currency)),
        Market::Intl(intl) => (intl.currency.as_str(), intl.minor_units),
    };
    super::facets::from_view(found, currency, units)
}
