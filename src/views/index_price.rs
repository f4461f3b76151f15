//! Price-ordered walks in any market: each HS code's products in base price order, seen
//! through the market's (non-decreasing) price function, merged by (shown price, id).

use std::collections::VecDeque;
use std::ops::Bound::{Excluded, Included, Unbounded};
use std::sync::Arc;

use super::index::{Id, Indexed, Ordered, Scope};
use super::index_walk::From;
use super::listing::SortValue;
use super::Product;

type Entries<'a> = Box<dyn Iterator<Item = (&'a (i64, Id), &'a Arc<Indexed>)> + 'a>;

/// One HS code's products in shown-price order (ties by id), within the bounds and the cursor.
struct ClassWalk<'a> {
    entries: std::iter::Peekable<Entries<'a>>,
    /// The next products, all at one shown price, in order.
    run: VecDeque<(i64, &'a Arc<Indexed>)>,
    ended: bool,
}

/// The settings every class walk shares.
struct Walking<'a, F> {
    show: &'a F,
    lo: Option<i64>,
    hi: Option<i64>,
    reverse: bool,
    /// Shown price, id and whether the cursor's own product is included.
    from: Option<(i64, &'a str, bool)>,
}

impl<F: Fn(i64, &Product) -> Option<i64>> Walking<'_, F> {
    fn shown(&self, base: i64, entry: &Indexed) -> Option<i64> {
        (self.show)(base, &entry.product)
    }

    /// Past the cursor in the walk's direction.
    fn after_cursor(&self, shown: i64, id: &str) -> bool {
        let Some((at, cursor_id, inclusive)) = self.from else {
            return true;
        };
        let order = shown.cmp(&at).then_with(|| id.cmp(cursor_id));
        let order = if self.reverse { order.reverse() } else { order };
        order.is_gt() || (inclusive && order.is_eq())
    }
}

/// The lowest `b` in `lo..=hi` for which `pred` holds (`pred` false then true).
fn first_true(mut lo: i64, mut hi: i64, pred: impl Fn(i64) -> bool) -> Option<i64> {
    if lo > hi || !pred(hi) {
        return None;
    }
    while lo < hi {
        let mid = (lo as i128 + (hi as i128 - lo as i128) / 2) as i64;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(lo)
}

impl<'a> ClassWalk<'a> {
    fn new<F: Fn(i64, &Product) -> Option<i64>>(
        prices: &'a Ordered<(i64, Id)>,
        w: &Walking<'a, F>,
    ) -> Self {
        let (Some(((first, _), sample)), Some(((last, _), _))) =
            (prices.first_key_value(), prices.last_key_value())
        else {
            return Self::over(Box::new(std::iter::empty()));
        };
        let shown = |b: i64| w.shown(b, sample);
        let at = w.from.map(|(at, _, _)| at);
        let empty: Id = Arc::from("");
        let entries: Entries<'a> = if !w.reverse {
            // From the lowest base price shown at or above the cursor and the lower bound.
            match at.into_iter().chain(w.lo).max() {
                None => Box::new(prices.iter()),
                Some(t) => match first_true(*first, *last, |b| shown(b).is_none_or(|s| s >= t)) {
                    None => Box::new(std::iter::empty()),
                    Some(b) => Box::new(prices.range((Included((b, empty)), Unbounded))),
                },
            }
        } else {
            // Down from the highest base price shown at or below the cursor and the upper bound.
            match at.into_iter().chain(w.hi).min() {
                None => Box::new(prices.iter().rev()),
                Some(t) => match first_true(*first, *last, |b| shown(b).is_none_or(|s| s > t)) {
                    Some(b) => Box::new(prices.range((Unbounded, Excluded((b, empty)))).rev()),
                    None => Box::new(prices.iter().rev()),
                },
            }
        };
        Self::over(entries)
    }

    fn over(entries: Entries<'a>) -> Self {
        Self {
            entries: entries.peekable(),
            run: VecDeque::new(),
            ended: false,
        }
    }

    /// The next product, reading the next run of equal shown prices when needed.
    fn head<F: Fn(i64, &Product) -> Option<i64>>(
        &mut self,
        w: &Walking<'a, F>,
    ) -> Option<(i64, &'a Arc<Indexed>)> {
        while self.run.is_empty() && !self.ended {
            self.read_run(w);
        }
        self.run.front().copied()
    }

    fn read_run<F: Fn(i64, &Product) -> Option<i64>>(&mut self, w: &Walking<'a, F>) {
        let Some(((base, _), entry)) = self.entries.next() else {
            self.ended = true;
            return;
        };
        let Some(shown) = w.shown(*base, entry) else {
            // Not showable (an overflow): the rest upwards is not either.
            self.ended = !w.reverse;
            return;
        };
        let (beyond, short) = match w.reverse {
            false => (
                w.hi.is_some_and(|hi| shown > hi),
                w.lo.is_some_and(|lo| shown < lo),
            ),
            true => (
                w.lo.is_some_and(|lo| shown < lo),
                w.hi.is_some_and(|hi| shown > hi),
            ),
        };
        if beyond {
            self.ended = true;
            return;
        }
        if short {
            return;
        }
        let mut run = vec![entry];
        while let Some(((next_base, _), next)) = self.entries.peek() {
            if w.shown(*next_base, next) != Some(shown) {
                break;
            }
            run.push(next);
            self.entries.next();
        }
        run.sort_unstable_by(|a, b| {
            let order = a.id.cmp(&b.id);
            if w.reverse {
                order.reverse()
            } else {
                order
            }
        });
        self.run.extend(
            run.into_iter()
                .filter(|e| w.after_cursor(shown, &e.id))
                .map(|e| (shown, e)),
        );
    }
}

/// The scope's priced products whose shown price may lie within `(lo, hi)`, in no order (a
/// count needs none): each HS class's base prices seeked to the lower bound and read up to the
/// first shown above the upper one (or not showable), with no merge across classes.
pub(super) fn in_price_bounds<'a, F: Fn(i64, &Product) -> Option<i64>>(
    scope: &'a Scope,
    show: &'a F,
    (lo, hi): (Option<i64>, Option<i64>),
) -> impl Iterator<Item = &'a Arc<Indexed>> + 'a {
    scope.by_price.values().flat_map(move |prices| {
        let bounds = prices.first_key_value().zip(prices.last_key_value());
        let start = match (bounds, lo) {
            (None, _) => None,
            (Some(_), None) => Some(i64::MIN),
            (Some((((first, _), sample), ((last, _), _))), Some(lo)) => {
                let shown = |b: i64| show(b, &sample.product);
                first_true(*first, *last, |b| shown(b).is_none_or(|s| s >= lo))
            }
        };
        let empty: Id = Arc::from("");
        let entries = start.map(|b| prices.range((Included((b, empty)), Unbounded)));
        entries
            .into_iter()
            .flatten()
            .take_while(move |((base, _), entry)| {
                show(*base, &entry.product).is_some_and(|s| hi.is_none_or(|hi| s <= hi))
            })
            .map(|(_, entry)| entry)
    })
}

/// A scope's priced products in shown-price order (or reverse) in one market.
pub(super) struct PriceWalk<'a, F> {
    walking: Walking<'a, F>,
    classes: Vec<ClassWalk<'a>>,
}

impl<'a, F: Fn(i64, &Product) -> Option<i64>> PriceWalk<'a, F> {
    pub fn new(
        scope: &'a Scope,
        show: &'a F,
        (lo, hi): (Option<i64>, Option<i64>),
        reverse: bool,
        from: Option<From<'a>>,
    ) -> Self {
        let from = from.map(|f| {
            let at = match f.position.value {
                SortValue::Int(n) => n,
                SortValue::Text(_) => 0,
            };
            (at, f.position.id.as_str(), f.inclusive)
        });
        let walking = Walking {
            show,
            lo,
            hi,
            reverse,
            from,
        };
        let classes = scope
            .by_price
            .values()
            .map(|prices| ClassWalk::new(prices, &walking))
            .collect();
        Self { walking, classes }
    }
}

impl<'a, F: Fn(i64, &Product) -> Option<i64>> Iterator for PriceWalk<'a, F> {
    type Item = &'a Arc<Indexed>;

    fn next(&mut self) -> Option<Self::Item> {
        let w = &self.walking;
        let mut best: Option<(usize, i64, &'a Arc<Indexed>)> = None;
        for (i, class) in self.classes.iter_mut().enumerate() {
            let Some((shown, entry)) = class.head(w) else {
                continue;
            };
            let better = best.is_none_or(|(_, s, e)| {
                let order = shown.cmp(&s).then_with(|| entry.id.cmp(&e.id));
                if w.reverse {
                    order.is_gt()
                } else {
                    order.is_lt()
                }
            });
            if better {
                best = Some((i, shown, entry));
            }
        }
        let (i, _, entry) = best?;
        self.classes[i].run.pop_front();
        Some(entry)
    }
}
