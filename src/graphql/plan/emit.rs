//! Executing a plan: each field read from the views by the same functions the resolvers use,
//! its JSON written straight into the response buffer.

use std::io::Write;
use std::sync::Arc;

use async_graphql::ID;

use super::compile::Node;
use super::inputs::{Fallback, Res, Vars};
use crate::graphql::in_context::ContextCountry;
use crate::graphql::limits::Deadline;
use crate::graphql::listing::{ProductConnection, ProductFilter, ProductSortKeys};
use crate::graphql::market::{CountryCode, MarketContext};
use crate::graphql::product::{price_range, variants_of, MoneyV2, ProductVariant};
use crate::graphql::query::{list_products, Page};
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

pub type Out = Vec<u8>;

pub fn string(out: &mut Out, s: &str) {
    // Most strings need no escaping: copied as they are. Else serde_json's escaping, the same
    // async-graphql's responses get (it escapes only `"`, `\\` and control characters).
    if !needs_escaping(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Whether any byte is a control character, `"` or `\\`: eight bytes at a time (SWAR).
fn needs_escaping(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of `x` is zero: the classic test (exact for "any", which is all that is asked).
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_ne_bytes(chunk.try_into().unwrap_or_default());
        // Bytes below 0x20 (ASCII only: bytes >= 0x80 are UTF-8 and left alone).
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
        if below_space || has_zero(x ^ (ONES * b'"' as u64)) || has_zero(x ^ (ONES * b'\\' as u64))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

pub fn opt_string(out: &mut Out, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

pub fn int(out: &mut Out, n: i64) {
    let _ = write!(out, "{n}");
}

pub fn boolean(out: &mut Out, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

pub fn null(out: &mut Out) {
    out.extend_from_slice(b"null");
}

/// An object: each node's key, then its value written by `value` (`__typename` here).
pub fn object<F>(out: &mut Out, nodes: &[Node], typename: &str, mut value: F) -> Res<()>
where
    F: FnMut(&mut Out, &Node) -> Res<()>,
{
    // async-graphql answers an object none of whose fields is selected (all skipped) as null.
    if nodes.is_empty() {
        null(out);
        return Ok(());
    }
    out.push(b'{');
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&node.key);
        if node.name == "__typename" {
            string(out, typename);
        } else {
            value(out, node)?;
        }
    }
    out.push(b'}');
    Ok(())
}

pub fn list<T, F>(out: &mut Out, items: &[T], mut item: F) -> Res<()>
where
    F: FnMut(&mut Out, &T) -> Res<()>,
{
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x)?;
    }
    out.push(b']');
    Ok(())
}

pub fn strings(out: &mut Out, items: &[String]) -> Res<()> {
    list(out, items, |out, s| {
        string(out, s);
        Ok(())
    })
}

pub fn money(out: &mut Out, nodes: &[Node], m: &MoneyV2) -> Res<()> {
    object(out, nodes, "MoneyV2", |out, node| {
        match node.name {
            "amount" => string(out, &m.amount.0),
            "currencyCode" => string(out, &m.currency_code),
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

pub fn opt_money(out: &mut Out, nodes: &[Node], m: Option<&MoneyV2>) -> Res<()> {
    match m {
        Some(m) => money(out, nodes, m),
        None => {
            null(out);
            Ok(())
        }
    }
}

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
            let connection = list_products(env.settings, env.reader, &market, page, count)
                .map_err(|_| Fallback)?;
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
                let variants = variants_of(env.reader, p, market);
                list(out, &variants, |out, v| {
                    variant(out, env, &node.children, v)
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

fn variant(out: &mut Out, env: &Env, nodes: &[Node], v: &ProductVariant) -> Res<()> {
    object(out, nodes, "ProductVariant", |out, node| {
        match node.name {
            "id" => string(out, &v.id),
            "sku" => string(out, &v.sku),
            "title" => string(out, &v.title),
            "size" => opt_string(out, v.size.as_deref()),
            "color" => opt_string(out, v.color.as_deref()),
            "price" => opt_money(out, &node.children, v.price.as_ref())?,
            "compareAtPrice" => opt_money(out, &node.children, v.compare_at_price.as_ref())?,
            "quantityAvailable" => int(out, v.quantity_available.into()),
            "availableForSale" => boolean(out, v.available_for_sale),
            "quote" => {
                let quote = v.quote_for(env.reader, &env.settings.checkout.quotes);
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
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut cases: Vec<String> = [
            "plain",
            "",
            "quote \" here",
            "back\\slash",
            "tab\t",
            "\u{1}\u{1f}\u{7f}",
            "Crème brûlée 日本 ~\u{7f}\u{80}",
        ]
        .map(String::from)
        .to_vec();
        // Each byte to escape (and some not to) at every place of a word-sized chunk and of the
        // tail after it.
        let text = "A description with nothing to escape";
        for c in [
            '"', '\\', '\u{0}', '\u{1f}', ' ', '!', '#', '[', ']', '\u{ff}',
        ] {
            for at in 0..20 {
                let mut s: String = text.chars().take(20).collect();
                s.insert(at, c);
                cases.push(s);
            }
        }
        for s in &cases {
            let mut out = Vec::new();
            super::string(&mut out, s);
            let expected = serde_json::to_string(s).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{s:?}");
        }
    }
}
