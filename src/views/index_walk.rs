//! Listing pages from the indexes: choose the narrowest scope (or a text query's words, when
//! fewer products have them), walk it in the listing's order from the cursor, and stop after
//! the page. Counts come from the scope's maintained counts when the filter is only the scope.

use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::sync::Arc;

use super::index::{Id, Indexed, ListingIndex, Ordered, Scope, ScopeKey};
use super::index_price::{in_price_bounds, PriceWalk};
use super::listing::{select_page, ListingItem, ListingPage, ListingRequest, Matcher};
use super::listing::{Position, SortKey, SortValue};
use super::Product;

/// A page and the scope whose generation it depends on: any change that could alter the
/// page changes a product in that scope (every product the filter keeps is in it).
#[derive(Debug, Clone)]
pub struct Listed {
    pub page: ListingPage,
    pub scope: ScopeKey,
    pub generation: u64,
    /// Found by scanning the catalog (the indexes were being rebuilt): depends on everything.
    pub scanned: bool,
}

/// Where a walk starts: after (or at) a cursor position, in the walk's direction.
#[derive(Debug, Clone, Copy)]
pub(super) struct From<'p> {
    pub position: &'p Position,
    pub inclusive: bool,
}

type Walk<'a> = Box<dyn Iterator<Item = &'a Arc<Indexed>> + 'a>;

/// The entries of `map` in order (or reverse), from a key.
fn walk<K: Ord>(map: &Ordered<K>, from: Option<(K, bool)>, reverse: bool) -> Walk<'_> {
    let bound = |k, inclusive| if inclusive { Included(k) } else { Excluded(k) };
    let range = |lo: Bound<K>, hi: Bound<K>| map.range((lo, hi)).map(|(_, v)| v);
    match (from, reverse) {
        (None, false) => Box::new(map.values()),
        (None, true) => Box::new(map.values().rev()),
        (Some((k, inc)), false) => Box::new(range(bound(k, inc), Unbounded)),
        (Some((k, inc)), true) => Box::new(range(Unbounded, bound(k, inc)).rev()),
    }
}

fn number_of(position: &Position) -> i64 {
    match position.value {
        SortValue::Int(n) => n,
        SortValue::Text(_) => 0,
    }
}

/// The scope's products in a non-price order, from `from`.
fn ordered<'a>(scope: &'a Scope, sort: SortKey, reverse: bool, from: Option<From>) -> Walk<'a> {
    let id = |f: &From| -> Id { Arc::from(f.position.id.as_str()) };
    match sort {
        SortKey::Title => {
            let key = from.map(|f| {
                let text = match &f.position.value {
                    SortValue::Text(t) => t.as_str(),
                    SortValue::Int(_) => "",
                };
                ((Arc::from(text), id(&f)), f.inclusive)
            });
            walk(&scope.by_title, key, reverse)
        }
        SortKey::CreatedAt => {
            let key = from.map(|f| ((number_of(f.position), id(&f)), f.inclusive));
            walk(&scope.by_created, key, reverse)
        }
        // Every product's ID-order value is 0: a cursor with another value lies before or
        // after all of them.
        SortKey::Id => match from.map(|f| (number_of(f.position).cmp(&0), f)) {
            None => walk(&scope.by_id, None, reverse),
            Some((std::cmp::Ordering::Equal, f)) => {
                walk(&scope.by_id, Some((id(&f), f.inclusive)), reverse)
            }
            Some((side, _)) if (side == std::cmp::Ordering::Less) != reverse => {
                walk(&scope.by_id, None, reverse)
            }
            Some(_) => Box::new(std::iter::empty()),
        },
        SortKey::Price => unreachable!("price walks merge HS codes"),
    }
}

/// Every product the scope holds that the filter keeps, from `from`, in the listing's order
/// (or against it), with its sort number.
fn kept<'a, F: Fn(i64, &Product) -> Option<i64>>(
    scope: &'a Scope,
    matcher: &'a Matcher<'_, F>,
    against: bool,
    from: Option<From<'a>>,
) -> Box<dyn Iterator<Item = (&'a Arc<Indexed>, i64)> + 'a> {
    let request = matcher.request;
    let reverse = request.reverse != against;
    let candidates: Walk<'a> = if request.sort == SortKey::Price {
        let bounds = (
            request.filter.min_price_minor,
            request.filter.max_price_minor,
        );
        Box::new(PriceWalk::new(scope, &matcher.show, bounds, reverse, from))
    } else {
        ordered(scope, request.sort, reverse, from)
    };
    Box::new(candidates.filter_map(|e| matcher.number(e).map(|n| (e, n))))
}

/// A page from the indexes; `count` asks for `total_count` (else it is 0).
pub fn list(
    index: &ListingIndex,
    request: &ListingRequest,
    show: impl Fn(i64, &Product) -> Option<i64>,
    count: bool,
) -> Listed {
    let filter = &request.filter;
    let given = super::index::given_scopes(filter);
    let narrowest = given
        .iter()
        .min_by_key(|k| index.scopes.get(*k).map_or(0, Scope::len))
        .cloned()
        .unwrap_or(ScopeKey::All);
    let generation = index.generation(&narrowest);
    let listed = |page| Listed {
        page,
        scope: narrowest.clone(),
        generation,
        scanned: false,
    };
    let Some(scope) = index.scopes.get(&narrowest) else {
        return listed(ListingPage::default()); // no product is in it
    };
    let matcher = Matcher::new(request, show);
    if let Some(ids) = fewer_by_words(index, &matcher, scope.len()) {
        let entries: Vec<&Arc<Indexed>> =
            ids.iter().filter_map(|id| index.entries.get(id)).collect();
        return listed(select_page(entries.into_iter(), &matcher));
    }
    // Every candidate from here on comes from the scope: its own condition holds.
    let matcher = matcher.within(&narrowest);
    let from = request.after.as_ref().map(|position| From {
        position,
        inclusive: false,
    });
    let mut items = Vec::with_capacity(request.first.min(64) + 1);
    let mut has_next_page = false;
    for (entry, number) in kept(scope, &matcher, false, from) {
        if items.len() == request.first {
            has_next_page = true;
            break;
        }
        items.push(ListingItem {
            position: matcher.position(entry, number),
            product: Arc::clone(&entry.product),
        });
    }
    // Some kept product at or before the cursor (walking back from it).
    let has_previous_page = request.after.as_ref().is_some_and(|position| {
        let back = From {
            position,
            inclusive: true,
        };
        kept(scope, &matcher, true, Some(back)).next().is_some()
    });
    let total_count = match count {
        false => 0,
        true => counted(scope, &matcher, given.len()).unwrap_or_else(|| {
            // A count needs no order: every product of the scope the filter keeps, without the
            // price walk's merge of its classes (`kept` would give the same number). Priced
            // products alone can be kept when the price sorts or filters.
            let kept = |e: &&Arc<Indexed>| matcher.number(e).is_some();
            match matcher.needs_price() {
                true => {
                    let bounds = (filter.min_price_minor, filter.max_price_minor);
                    in_price_bounds(scope, &matcher.show, bounds)
                        .filter(kept)
                        .count()
                }
                false => scope.by_id.values().filter(kept).count(),
            }
        }),
    };
    listed(ListingPage {
        items,
        total_count,
        has_next_page,
        has_previous_page,
    })
}

/// The filter's count from the scope's maintained counts, when the scope is all it asks.
fn counted<F: Fn(i64, &Product) -> Option<i64>>(
    scope: &Scope,
    matcher: &Matcher<'_, F>,
    scopes_given: usize,
) -> Option<usize> {
    let request = matcher.request;
    let facets = !request.filter.brands.is_empty() || !request.filter.options.is_empty();
    if scopes_given > 1 || matcher.text.is_some() || request.filter.needs_price() || facets {
        return None;
    }
    let price_sort = request.sort == SortKey::Price;
    // A price the market cannot show (an overflow, at the top of an HS code's order) leaves
    // the product out of a price listing: then count them one by one.
    if price_sort
        && !scope.by_price.values().all(|prices| {
            prices.last_key_value().is_none_or(|(_, e)| {
                e.min_price()
                    .and_then(|b| (matcher.show)(b, &e.product))
                    .is_some()
            })
        })
    {
        return None;
    }
    Some(match (request.filter.in_stock, price_sort) {
        (None, false) => scope.len(),
        (Some(true), false) => scope.in_stock,
        (Some(false), false) => scope.len() - scope.in_stock,
        (None, true) => scope.priced,
        (Some(true), true) => scope.in_stock,
        (Some(false), true) => scope.priced - scope.in_stock,
    })
}

/// The products having a word that begins with one query word, when they are fewer than
/// `than` (the scope's size): then they are the cheaper place to look.
fn fewer_by_words<F>(
    index: &ListingIndex,
    matcher: &Matcher<'_, F>,
    than: usize,
) -> Option<Vec<Id>> {
    let text = matcher.text.as_ref()?;
    let mut best: Option<(&str, usize)> = None;
    for q in &text.words {
        let limit = best.map_or(than, |(_, n)| n.min(than));
        let mut total = 0;
        for (_, ids) in with_prefix(index, q) {
            total += ids.len();
            if total >= limit {
                break;
            }
        }
        if total < limit {
            best = Some((q, total));
        }
    }
    let (q, _) = best?;
    let mut ids: Vec<Id> = with_prefix(index, q)
        .flat_map(|(_, ids)| ids.iter().cloned())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}

/// The words that begin with `q`, with their products.
fn with_prefix<'a>(
    index: &'a ListingIndex,
    q: &'a str,
) -> impl Iterator<Item = (&'a Box<str>, &'a std::collections::BTreeSet<Id>)> + 'a {
    index
        .words
        .range::<str, _>((Included(q), Unbounded))
        .take_while(move |(word, _)| word.starts_with(q))
}
