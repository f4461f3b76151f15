//! Executing the plan's `checkout` and `viewStatus`: the values the resolvers compute, written
//! as JSON for the selected fields.

use async_graphql::ID;

use super::compile::Node;
use super::emit::Env;
use super::inputs::{Fallback, Res};
use super::json::{boolean, int, list, money, null, object, opt_money, string, Out};
use crate::graphql::checkout::{
    checkout as price_cart, CheckoutLine, CheckoutLineInput, RepriceReason,
};
use crate::graphql::facets::{Facet, FacetType, PriceRangeFacet};
use crate::graphql::market::CountryCode;
use crate::graphql::status::{RegistryStatus, SnapshotStatus, Status, ViewStatus};

pub fn checkout(out: &mut Out, env: &Env, node: &Node) -> Res<()> {
    let vars = env.vars;
    let country: CountryCode = vars.arg(&node.field, "country")?;
    let lines: Vec<CheckoutLineInput> = vars.arg(&node.field, "lines")?;
    let reservation: Option<ID> = vars.arg(&node.field, "reservationId")?;
    let token: Option<String> = vars.arg(&node.field, "reservationToken")?;
    let market = super::emit::market(env, Some(country))?;
    let cart = price_cart(
        env.reader,
        env.settings,
        &market,
        lines,
        reservation
            .as_ref()
            .map(|id| (id.as_str(), token.as_deref().unwrap_or(""))),
    )
    .map_err(|_| Fallback)?;
    object(out, &node.children, "Checkout", |out, n| {
        match n.name {
            "currencyCode" => string(out, &cart.currency_code),
            "lines" => list(out, &cart.lines, |out, line| {
                checkout_line(out, &n.children, line)
            })?,
            "subtotal" => money(out, &n.children, &cart.subtotal)?,
            "duties" => money(out, &n.children, &cart.duties)?,
            "taxes" => money(out, &n.children, &cart.taxes)?,
            "shipping" => money(out, &n.children, &cart.shipping)?,
            "total" => money(out, &n.children, &cart.total)?,
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

fn checkout_line(out: &mut Out, nodes: &[Node], line: &CheckoutLine) -> Res<()> {
    object(out, nodes, "CheckoutLine", |out, n| {
        match n.name {
            "sku" => string(out, &line.sku),
            "quantity" => int(out, line.quantity.into()),
            "quotedQuantity" => int(out, line.quoted_quantity.into()),
            "unitPrice" => opt_money(out, &n.children, line.unit_price.as_ref())?,
            "lineTotal" => opt_money(out, &n.children, line.line_total.as_ref())?,
            "duty" => opt_money(out, &n.children, line.duty.as_ref())?,
            "tax" => opt_money(out, &n.children, line.tax.as_ref())?,
            "repriced" => match &line.repriced {
                Some(r) => object(out, &n.children, "Repriced", |out, m| {
                    match m.name {
                        "from" => money(out, &m.children, &r.from)?,
                        "to" => money(out, &m.children, &r.to)?,
                        "reason" => string(out, reason_name(r.reason)),
                        _ => return Err(Fallback),
                    }
                    Ok(())
                })?,
                None => null(out),
            },
            "unavailable" => match &line.unavailable {
                Some(u) => object(out, &n.children, "Unavailable", |out, m| match m.name {
                    "available" => {
                        int(out, u.available.into());
                        Ok(())
                    }
                    _ => Err(Fallback),
                })?,
                None => null(out),
            },
            "held" => match line.held {
                Some(h) => int(out, h.into()),
                None => null(out),
            },
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

/// The enum value as GraphQL spells it.
fn reason_name(reason: RepriceReason) -> &'static str {
    match reason {
        RepriceReason::PriceChanged => "PRICE_CHANGED",
        RepriceReason::QuoteExpired => "QUOTE_EXPIRED",
        RepriceReason::PriceCorrected => "PRICE_CORRECTED",
    }
}

pub fn view_status(out: &mut Out, env: &Env, node: &Node) -> Res<()> {
    env.reader.unmemoizable();
    // A banner named by argument: async-graphql answers (and refuses an unknown one).
    if !node.field.arguments.is_empty() {
        return Err(Fallback);
    }
    let Status(report) = Status(env.status.report_in(env.reader.catalog()));
    object(out, &node.children, "Status", |out, n| {
        match n.name {
            "ready" => boolean(out, report.ready),
            "brokerReachable" => boolean(out, report.broker_reachable),
            "sinceContactMs" => string(out, &report.since_contact_ms.to_string()),
            "bootstrapping" => boolean(out, report.bootstrapping),
            "bootstrapRecords" => string(out, &report.bootstrap_records.to_string()),
            "readyAfterMs" => string(out, &report.ready_after_ms.to_string()),
            "banner" => string(out, &report.banner),
            "snapshot" => match report.snapshot.clone() {
                Some(s) => snapshot(out, &n.children, &s.into())?,
                None => null(out),
            },
            "views" => {
                let views: Vec<ViewStatus> = report.views.iter().cloned().map(Into::into).collect();
                list(out, &views, |out, v| view(out, &n.children, v))?
            }
            "schemaRegistry" => match report.schema_registry.clone() {
                Some(r) => registry(out, &n.children, &r.into())?,
                None => null(out),
            },
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

fn snapshot(out: &mut Out, nodes: &[Node], s: &SnapshotStatus) -> Res<()> {
    object(out, nodes, "SnapshotStatus", |out, n| {
        match n.name {
            "source" => string(out, &s.source),
            "records" => string(out, &s.records),
            "createdAtMs" => string(out, &s.created_at_ms),
            "loadMs" => string(out, &s.load_ms),
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

fn registry(out: &mut Out, nodes: &[Node], r: &RegistryStatus) -> Res<()> {
    let optional = |out: &mut Out, text: &Option<String>| match text {
        Some(text) => string(out, text),
        None => null(out),
    };
    object(out, nodes, "RegistryStatus", |out, n| {
        match n.name {
            "cachedSchemas" => string(out, &r.cached_schemas),
            "fetched" => string(out, &r.fetched),
            "failures" => string(out, &r.failures),
            "notFound" => string(out, &r.not_found),
            "waitingFor" => optional(out, &r.waiting_for),
            "waitingSinceMs" => optional(out, &r.waiting_since_ms),
            "waitingError" => optional(out, &r.waiting_error),
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

fn view(out: &mut Out, nodes: &[Node], v: &ViewStatus) -> Res<()> {
    object(out, nodes, "ViewStatus", |out, n| {
        match n.name {
            "view" => string(out, &v.view),
            "records" => int(out, v.records),
            "appliedOffset" => string(out, &v.applied_offset),
            "highWatermark" => string(out, &v.high_watermark),
            "lagMessages" => string(out, &v.lag_messages),
            "lagMs" => string(out, &v.lag_ms),
            "applied" => string(out, &v.applied),
            "stale" => string(out, &v.stale),
            "deleted" => string(out, &v.deleted),
            "malformed" => string(out, &v.malformed),
            _ => return Err(Fallback),
        }
        Ok(())
    })
}

/// A listing's facets (computed with the listing by `connection_facets`).
pub fn facets(out: &mut Out, nodes: &[Node], facets: &[Facet]) -> Res<()> {
    list(out, facets, |out, facet| {
        object(out, nodes, "Facet", |out, node| {
            match node.name {
                "id" => string(out, &facet.id),
                "label" => string(out, &facet.label),
                "type" => string(out, facet_type(facet.kind)),
                "values" => list(out, &facet.values, |out, value| {
                    object(out, &node.children, "FacetValue", |out, n| {
                        match n.name {
                            "label" => string(out, &value.label),
                            "count" => int(out, value.count.into()),
                            "selected" => boolean(out, value.selected),
                            "input" => {
                                let json =
                                    serde_json::to_vec(&value.input.0).map_err(|_| Fallback)?;
                                out.extend_from_slice(&json);
                            }
                            _ => return Err(Fallback),
                        }
                        Ok(())
                    })
                })?,
                "range" => match &facet.range {
                    None => null(out),
                    Some(range) => price_range(out, &node.children, range)?,
                },
                _ => return Err(Fallback),
            }
            Ok(())
        })
    })
}

fn facet_type(kind: FacetType) -> &'static str {
    match kind {
        FacetType::List => "LIST",
        FacetType::Boolean => "BOOLEAN",
        FacetType::PriceRange => "PRICE_RANGE",
    }
}

fn price_range(out: &mut Out, nodes: &[Node], range: &PriceRangeFacet) -> Res<()> {
    object(out, nodes, "PriceRangeFacet", |out, node| {
        match node.name {
            "min" => money(out, &node.children, &range.min)?,
            "max" => money(out, &node.children, &range.max)?,
            "buckets" => list(out, &range.buckets, |out, bucket| {
                object(out, &node.children, "PriceBucket", |out, n| {
                    match n.name {
                        "from" => string(out, &bucket.from.0),
                        "to" => string(out, &bucket.to.0),
                        "count" => int(out, bucket.count.into()),
                        _ => return Err(Fallback),
                    }
                    Ok(())
                })
            })?,
            _ => return Err(Fallback),
        }
        Ok(())
    })
}
