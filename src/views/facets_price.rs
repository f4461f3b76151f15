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

/// The base price span of each class among the priced products of `set`.
fn spans(
    bits: &FacetBits,
    set: &RoaringBitmap,
    show: &impl Fn(i64, &Product) -> Option<i64>,
) -> Vec<Option<Span>> {
    let mut spans: Vec<Option<(i64, i64)>> = vec![None; bits.classes.len()];
    for ordinal in set {
        let base = bits.base[ordinal as usize];
        if base == NO_PRICE {
            continue;
        }
        let span = &mut spans[bits.class[ordinal as usize] as usize];
        *span = Some(match *span {
            None => (base, base),
            Some((lo, hi)) => (lo.min(base), hi.max(base)),
        });
    }
    spans
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
        .collect()
}

/// The priced products of `set` whose shown price lies in `lo..=hi`.
pub fn within(
    bits: &FacetBits,
    set: &RoaringBitmap,
    (lo, hi): (Option<i64>, Option<i64>),
    show: &impl Fn(i64, &Product) -> Option<i64>,
) -> RoaringBitmap {
    let spans = spans(bits, set, show);
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
    set.iter()
        .filter(|ordinal| {
            let base = bits.base[*ordinal as usize];
            let bound = bounds[bits.class[*ordinal as usize] as usize];
            base != NO_PRICE
                && bound.is_some_and(|(from, to)| (from..=to).contains(&i128::from(base)))
        })
        .collect()
}

/// The shown price range of `set` and its histogram (as `facets::price_range` would make it
/// from every product's shown price).
pub fn range(
    bits: &FacetBits,
    set: &RoaringBitmap,
    buckets: usize,
    show: &impl Fn(i64, &Product) -> Option<i64>,
) -> Option<PriceRange> {
    let spans = spans(bits, set, show);
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
    let mut counts = vec![0usize; layout.n];
    for ordinal in set {
        let base = bits.base[ordinal as usize];
        let class = bits.class[ordinal as usize] as usize;
        let Some(span) = spans[class] else { continue };
        if base == NO_PRICE || base > span.top {
            continue;
        }
        let at = thresholds[class].partition_point(|t| *t <= i128::from(base));
        counts[at] += 1;
    }
    Some(layout.range(min, max, counts))
}
