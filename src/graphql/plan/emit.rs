//! Executing a plan: each field read from the views by the same functions the resolvers use,
//! its JSON written straight into the response buffer.

use std::sync::Arc;

use async_graphql::ID;

use super::compile::Node;
use super::inputs::{Fallback, Res, Vars};
use crate::graphql::in_context::ContextCountry;
use crate::graphql::limits::Deadline;
use crate::graphql::listing::{ProductConnection, ProductFilter, ProductSortKeys};
use crate::graphql::market::{CountryCode, MarketContext};
use crate::graphql::product::{price_range, variant_title, ProductVariant};
use crate::graphql::query::{connection_facets, list_products, Page};
use crate::graphql::ApiSettings;
use crate::status::IngestStatus;
use crate::views::reads::RecordingReader;
use crate::views::{self, StockAndPrices};

/// What a plan runs against.
pub struct Env<'a> {
    pub settings: &'a ApiSettings,
    pub reader: &'a RecordingReader,
    pub status: &'a IngestStatus,
    pub deadline: Deadline,
    pub vars: &'a Vars<'a>,
    pub context: Option<&'a ContextCountry>,
}

use super::json::*;

/// The query root's fields.
pub fn root(out: &mut Out, env: &Env, nodes: &[Node]) -> Res<()> {
    object(out, nodes, "QueryRoot", |out, node| match node.name {
        "product" => {
            let id: ID = env.vars.arg(&node.field, "id")?;
            let country: Option<CountryCode> = env.vars.arg(&node.field, "country")?;
            let market = market(env, country)?;
            match env.reader.product(&id) {
                Some(p) => product(out, env, &node.children, &p, &market),
                None => {
                    null(out);
                    Ok(())
                }
            }
        }
        "products" => {
            let vars = env.vars;
            let page = Page {
                first: vars.arg::<Option<i32>>(&node.field, "first")?,
                after: vars.arg::<Option<String>>(&node.field, "after")?,
                filter: vars.arg::<Option<ProductFilter>>(&node.field, "filter")?,
                sort_key: vars.arg::<Option<ProductSortKeys>>(&node.field, "sortKey")?,
                reverse: vars.arg::<Option<bool>>(&node.field, "reverse")?,
            };
            let country: Option<CountryCode> = vars.arg(&node.field, "country")?;
            let market = market(env, country)?;
            let count = node.children.iter().any(|c| c.name == "totalCount");
            let mut connection = list_products(env.settings, env.reader, &market, page, count)
                .map_err(|_| Fallback)?;
            if node.children.iter().any(|c| c.name == "facets") {
                connection.facets =
                    connection_facets(env.settings, env.reader, &market, &connection);
            }
            self::connection(out, env, &node.children, &connection)
        }
        "checkout" => super::emit_more::checkout(out, env, node),
        "viewStatus" => super::emit_more::view_status(out, env, node),
        _ => Err(Fallback),
    })
}

/// `Deadline::check`: past the request's budget, async-graphql answers (with its error).
fn in_time(env: &Env) -> Res<()> {
    if std::time::Instant::now() >= env.deadline.at {
        return Err(Fallback);
    }
    Ok(())
}

/// The market of `country`, once the request is within its time budget (`Deadline::check`).
pub fn market(env: &Env, country: Option<CountryCode>) -> Res<Arc<MarketContext>> {
    in_time(env)?;
    MarketContext::for_country(env.settings, env.reader, country, env.context).map_err(|_| Fallback)
}

fn product(
    out: &mut Out,
    env: &Env,
    nodes: &[Node],
    p: &Arc<views::Product>,
    market: &Arc<MarketContext>,
) -> Res<()> {
    object(out, nodes, "Product", |out, node| {
        match node.name {
            "id" => string(out, &p.id),
            "title" => string(out, &p.title),
            "brand" => string(out, &p.brand),
            "description" => string(out, &p.description),
            "categories" => strings(out, &p.categories)?,
            "images" => strings(out, &p.images)?,
            "hsCode" => opt_string(out, p.hs_code.as_deref()),
            "publishedAt" => opt_string(out, p.published_at.as_deref()),
            "variants" => {
                let reads = env.reader.variant_reads(p);
                let rows = p.variants.iter().zip(&reads.variants);
                list_of(out, rows, |out, (v, (price, available))| {
                    let row = VariantRow {
                        variant: v,
                        price,
                        available: *available,
                    };
                    variant(out, env, &node.children, p, market, row)
                })?
            }
            "availableForSale" => boolean(
                out,
                env.reader.variant_reads(p).summary().available_for_sale,
            ),
            "priceRange" => match price_range(env.reader, p, market) {
                Some(range) => object(out, &node.children, "ProductPriceRange", |out, n| match n
                    .name
                {
                    "minVariantPrice" => money(out, &n.children, &range.min_variant_price),
                    "maxVariantPrice" => money(out, &n.children, &range.max_variant_price),
                    _ => Err(Fallback),
                })?,
                None => null(out),
            },
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

/// One variant as read with its product's other variants.
struct VariantRow<'a> {
    variant: &'a views::Variant,
    price: &'a Option<Arc<views::Price>>,
    available: i32,
}

/// A variant's fields, as `ProductVariant` resolves them, written without building one (only
/// `quote` needs it).
fn variant(
    out: &mut Out,
    env: &Env,
    nodes: &[Node],
    product: &Arc<views::Product>,
    market: &Arc<MarketContext>,
    row: VariantRow,
) -> Res<()> {
    let VariantRow {
        variant: v,
        price,
        available,
    } = row;
    let selling = price
        .as_ref()
        .and_then(|p| market.market.selling(p, product));
    object(out, nodes, "ProductVariant", |out, node| {
        match node.name {
            "id" | "sku" => string(out, &v.sku),
            "title" => string(out, &variant_title(v)),
            "size" => opt_string(out, v.size.as_deref()),
            "color" => opt_string(out, v.color.as_deref()),
            "price" => opt_shown(out, &node.children, selling.as_ref())?,
            "compareAtPrice" => {
                let list = price
                    .as_ref()
                    .and_then(|p| market.market.compare_at(p, product));
                opt_shown(out, &node.children, list.as_ref())?
            }
            "quantityAvailable" => int(out, available.into()),
            "availableForSale" => boolean(out, selling.is_some() && available > 0),
            "quote" => {
                let full = ProductVariant::read(v, price, available, product, market);
                let quote = full.quote_for(env.reader, &env.settings.checkout.quotes);
                opt_string(out, quote.as_deref())
            }
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

fn connection(out: &mut Out, env: &Env, nodes: &[Node], c: &ProductConnection) -> Res<()> {
    object(out, nodes, "ProductConnection", |out, node| {
        match node.name {
            "edges" => list(out, &c.edges, |out, edge| {
                object(out, &node.children, "ProductEdge", |out, n| {
                    match n.name {
                        "cursor" => string(out, &edge.cursor),
                        "node" => {
                            let p = &edge.node;
                            return product(out, env, &n.children, &p.product, &p.market);
                        }
                        _ => return Err(Fallback),
                    }
                    Ok(())
                })
            })?,
            "pageInfo" => {
                let info = &c.page_info;
                object(out, &node.children, "PageInfo", |out, n| {
                    match n.name {
                        "hasNextPage" => boolean(out, info.has_next_page),
                        "hasPreviousPage" => boolean(out, info.has_previous_page),
                        "startCursor" => opt_string(out, info.start_cursor.as_deref()),
                        "endCursor" => opt_string(out, info.end_cursor.as_deref()),
                        _ => return Err(Fallback),
                    }
                    Ok(())
                })?
            }
            "totalCount" => int(out, c.total_count.into()),
            "facets" => super::emit_more::facets(out, &node.children, &c.facets)?,
            _ => return Err(Fallback),
        }
        Ok(())
    })
}
