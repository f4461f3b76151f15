//! The price facet and the price filter over bitmaps, without pricing each product: a market's
//! shown price depends on the base price and the HS code only and never decreases as the base
//! price grows (see `index`), so per HS class a shown-price boundary is one base-price
//! threshold, found by binary search, and each product is placed by comparing its base price
//! (read from a dense per-ordinal array) with its class's thresholds.

use roaring::RoaringBitmap;

use super::facets::{Layout, PriceRange};
use super::index_facets::{FacetBits, NO_PRICE};
use super::Product;

/// Per HS class: the lowest and highest base price in a set, and the highest base price the
/// market can show (above it, `show` gives none: an overflow).
#[derive(Debug, Clone, Copy)]
struct Span {
    min: i64,
    max: i64,
    top: i64,
}

/// The smallest `x` in `lo..=hi` for which `holds` (false, then true, as `x` grows), else
/// `hi + 1`.
fn first(lo: i64, hi: i64, holds: impl Fn(i64) -> bool) -> i128 {
    let (mut lo, mut hi) = (i128::from(lo), i128::from(hi) + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if holds(mid as i64) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// The priced products of `set`, read once: (ordinal, class, base price), in ordinal order.
type Priced = Vec<(u32, u32, i64)>;

/// The priced products of `set`, and each class's base price span among them.
fn spans(
    bits: &FacetBits,
    set: &RoaringBitmap,
    show: &impl Fn(i64, &Product) -> Option<i64>,
) -> (Priced, Vec<Option<Span>>) {
    let mut priced: Priced = Vec::with_capacity(set.len() as usize);
    let mut spans: Vec<Option<(i64, i64)>> = vec![None; bits.classes.len()];
    for ordinal in set {
        let base = bits.base[ordinal as usize];
        if base == NO_PRICE {
            continue;
        }
        let class = bits.class[ordinal as usize];
        priced.push((ordinal, class, base));
        let span = &mut spans[class as usize];
        *span = Some(match *span {
            None => (base, base),
            Some((lo, hi)) => (lo.min(base), hi.max(base)),
        });
    }
    let spans = spans
        .into_iter()
        .zip(&bits.classes)
        .map(|(span, (_, product))| {
            let (min, max) = span?;
            let top = first(min, max, |b| show(b, product).is_none()) - 1;
            (top >= i128::from(min)).then_some(Span {
                min,
                max,
                top: top as i64,
            })
        })
        .collect();
    (priced, spans)
}

/// The priced products of `set` whose shown price lies in `lo..=hi`.
pub fn within(
    bits: &FacetBits,
    set: &RoaringBitmap,
    (lo, hi): (Option<i64>, Option<i64>),
    show: &impl Fn(i64, &Product) -> Option<i64>,
) -> RoaringBitmap {
    let (priced, spans) = spans(bits, set, show);
    // Per class, the base prices kept: from the first showing at least `lo` to the last
    // showing at most `hi`.
    let bounds: Vec<Option<(i128, i128)>> = spans
        .iter()
        .zip(&bits.classes)
        .map(|(span, (_, product))| {
            let span = (*span)?;
            let shown = |b: i64| show(b, product).unwrap_or(i64::MAX);
            let from = lo.map_or(i128::from(span.min), |lo| {
                first(span.min, span.top, |b| shown(b) >= lo)
            });
            let to = hi.map_or(i128::from(span.top), |hi| {
                first(span.min, span.top, |b| shown(b) > hi) - 1
            });
            Some((from, to))
        })
        .collect();
    let kept = priced.into_iter().filter(|(_, class, base)| {
        bounds[*class as usize].is_some_and(|(from, to)| (from..=to).contains(&i128::from(*base)))
    });
    RoaringBitmap::from_sorted_iter(kept.map(|(ordinal, _, _)| ordinal))
        .expect("ordinals come in order")
}

/// The shown price range of `set` and its histogram (as `facets::price_range` would make it
/// from every product's shown price).
pub fn range(
    bits: &FacetBits,
    set: &RoaringBitmap,
    buckets: usize,
    show: &impl Fn(i64, &Product) -> Option<i64>,
) -> Option<PriceRange> {
    let (priced, spans) = spans(bits, set, show);
    let shown = |class: usize, base: i64| show(base, &bits.classes[class].1);
    let mut ends: Option<(i64, i64)> = None;
    for (class, span) in spans.iter().enumerate() {
        let Some(span) = span else { continue };
        let (lo, hi) = (
            shown(class, span.min)?,
            shown(class, span.max.min(span.top))?,
        );
        ends = Some(ends.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    }
    let (min, max) = ends?;
    let layout = Layout::new(min, max, buckets);
    // Per class, the first base price of each bucket after the first.
    let thresholds: Vec<Vec<i128>> = spans
        .iter()
        .enumerate()
        .map(|(class, span)| match span {
            None => Vec::new(),
            Some(span) => (1..layout.n)
                .map(|i| {
                    let boundary = layout.boundary(i);
                    first(span.min, span.top, |b| {
                        shown(class, b).is_some_and(|s| i128::from(s) >= boundary)
                    })
                })
                .collect(),
        })
        .collect();
    // Thresholds as i64 for a branch-free count (a threshold past i64::MAX, which no base
    // price reaches, saturates: only a base of exactly i64::MAX then takes the exact path).
    let narrow: Vec<Vec<i64>> = thresholds
        .iter()
        .map(|ts| {
            ts.iter()
                .map(|t| (*t).min(i64::MAX.into()) as i64)
                .collect()
        })
        .collect();
    let tops: Vec<i64> = spans
        .iter()
        .map(|s| s.map_or(NO_PRICE, |s| s.top))
        .collect();
    // Four interleaved tallies: consecutive products mostly land in the same bucket, and one
    // counter would make every increment wait for the previous one.
    let mut lanes = vec![[0usize; 4]; layout.n];
    for (i, (_, class, base)) in priced.into_iter().enumerate() {
        let class = class as usize;
        // Of a class the market cannot show (top NO_PRICE), or above its top.
        if base > tops[class] || tops[class] == NO_PRICE {
            continue;
        }
        let at = match base {
            i64::MAX => thresholds[class].partition_point(|t| *t <= i128::from(base)),
            _ => narrow[class].iter().map(|t| usize::from(*t <= base)).sum(),
        };
        lanes[at][i & 3] += 1;
    }
    let counts = lanes.iter().map(|l| l.iter().sum()).collect();
    Some(layout.range(min, max, counts))
}
