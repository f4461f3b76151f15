//! The latest changes to each listing scope, change by change, so a memoized listing page can
//! outlive changes that cannot alter it: a product kept (or left out) by the page's filter as
//! before, sorting past the page's last product before and after. A scope generation alone
//! would outdate the page on any change to any product in the scope.

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::sync::Arc;

use super::index::Indexed;
use super::listing::{ListingPage, ListingRequest, Matcher, Position};
use super::summary::ProductSummary;
use super::Product;

/// Changes a scope remembers; a page that saw the scope before the oldest of them is
/// recomputed on its next use.
pub const MOVES_KEPT: usize = 64;

/// A market's price function, as a listing shows prices (base minor units in, shown out).
pub type Show = Arc<dyn Fn(i64, &Product) -> Option<i64> + Send + Sync>;

/// A product as the listings saw it at one moment (`max_price_minor` is not kept).
#[derive(Debug, Clone)]
pub struct Side {
    pub product: Arc<Product>,
    pub summary: ProductSummary,
}

impl Side {
    pub(super) fn of(entry: &Indexed) -> Self {
        Side {
            product: Arc::clone(&entry.product),
            summary: ProductSummary {
                min_price_minor: entry.min_price(),
                max_price_minor: None,
                available_for_sale: entry.in_stock(),
                stocked: entry.stocked(),
            },
        }
    }
}

/// One change to a product: as it was and as it is (`None`: not in the indexes), at the
/// index's clock (the generation it gave the scopes it touched).
#[derive(Debug)]
pub struct Move {
    pub clock: u64,
    pub before: Option<Side>,
    pub after: Option<Side>,
}

/// A scope's latest moves: every move later than `complete_since` is here.
#[derive(Debug, Default)]
pub struct Moves {
    kept: VecDeque<Arc<Move>>,
    complete_since: u64,
}

impl Moves {
    /// Nothing before `clock` is known (a scope created or rebuilt then).
    pub fn starting(clock: u64) -> Self {
        Moves {
            kept: VecDeque::new(),
            complete_since: clock,
        }
    }

    pub fn push(&mut self, change: &Arc<Move>) {
        if self.kept.len() == MOVES_KEPT {
            if let Some(oldest) = self.kept.pop_front() {
                self.complete_since = oldest.clock;
            }
        }
        self.kept.push_back(Arc::clone(change));
    }

    /// The moves after generation `seen`, when all of them are still known.
    pub fn since(&self, seen: u64) -> Option<impl Iterator<Item = &Move>> {
        if seen < self.complete_since {
            return None;
        }
        let from = self.kept.partition_point(|m| m.clock <= seen);
        Some(self.kept.range(from..).map(|m| &**m))
    }
}

/// What a listing page needs to tell whether a move could alter it.
pub struct Window {
    request: ListingRequest,
    show: Show,
    /// The page's last product when the page is full: a product sorting past it (kept before
    /// and after) cannot enter the page. `None`: any product kept is on it.
    last: Option<Position>,
}

impl std::fmt::Debug for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Window")
            .field("request", &self.request)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Window {
    pub fn new(request: &ListingRequest, page: &ListingPage, show: &Show) -> Self {
        let full = page.items.len() >= request.first && request.first > 0;
        Window {
            request: request.clone(),
            show: Arc::clone(show),
            last: page
                .items
                .last()
                .filter(|_| full)
                .map(|item| item.position.clone()),
        }
    }

    /// The move leaves the page, its count and its neighbours' existence (`hasNextPage`,
    /// `hasPreviousPage`) as they were: the product is kept by the filter before and after
    /// (or neither), and when kept sorts past the page's last product both times. A product
    /// before the page (behind a cursor) counts as touching it.
    pub fn untouched_by(&self, change: &Move) -> bool {
        let matcher = Matcher::new(&self.request, |base, p: &Product| (self.show)(base, p));
        let words = self.request.filter.query.is_some();
        let place = |side: &Option<Side>| {
            let side = side.as_ref()?;
            let ghost = Indexed::for_scan(Arc::clone(&side.product), side.summary, words);
            let number = matcher.number(&ghost)?;
            Some(matcher.position(&ghost, number))
        };
        let (before, after) = (place(&change.before), place(&change.after));
        if before.is_some() != after.is_some() {
            return false; // the count and a neighbour page may change
        }
        let Some(last) = &self.last else {
            return before.is_none();
        };
        [before, after]
            .iter()
            .flatten()
            .all(|place| self.order(place, last) == Ordering::Greater)
    }

    /// Where `a` stands against `b` in the listing's walk (ties by id, all reversed).
    fn order(&self, a: &Position, b: &Position) -> Ordering {
        let order = a.value.cmp(&b.value).then_with(|| a.id.cmp(&b.id));
        match self.request.reverse {
            true => order.reverse(),
            false => order,
        }
    }
}

#[cfg(test)]
#[path = "index_moves_tests.rs"]
mod tests;
