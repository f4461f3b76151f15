//! Listing facets: what a listing can still be narrowed to, with exact product counts. A
//! facet's counts apply every selected filter but its own (disjunctive: selecting one brand
//! leaves the other brands' counts visible); selected values are always returned, even at 0.
//!
//! The conditions, over the products the listing's fixed scope keeps (category, `brand`,
//! text): `brands` (Cb), variant options (Co: one variant has a selected value of every
//! selected option, in stock when `options_need_stock`), `in_stock` (Cs) and the shown price
//! range (Cp). Brand counts apply Co, Cs, Cp; an option's values count products with a
//! variant having the value that the other selected options accept (Cb, Cs, Cp applied);
//! availability applies Cb, Co, Cp; the price range and histogram Cb, Co, Cs; categories one
//! level below the listing's apply everything. `facets_index` computes them from bitmaps; the
//! reference here looks at every product, and tests hold the two equal.

use std::collections::{BTreeMap, HashMap};

use super::listing::{category_matches, ListingRequest};
use super::listing_filter::{ListingFilter, OptionName};
use super::summary::{ProductSummary, Stocked};
use super::text::{product_words, TextQuery};
use super::{Catalog, Product};

/// How many values and buckets an answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FacetShape {
    /// Values per list facet beyond the selected ones (most products first).
    pub max_values: usize,
    /// Price histogram buckets at most.
    pub buckets: usize,
}

/// One value of a list facet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    /// What the next query's filter takes to select it.
    pub value: String,
    pub label: String,
    pub count: usize,
    pub selected: bool,
}

/// Products whose shown price lies in `[from, to)` (the last bucket holds the maximum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub from: i64,
    pub to: i64,
    pub count: usize,
}

/// The lowest and highest shown price in the price facet's set, and its histogram (minor units
/// of the market's currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRange {
    pub min: i64,
    pub max: i64,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub brand: Vec<FacetValue>,
    /// One level below the listing's category (the top level without one).
    pub category: Vec<FacetValue>,
    pub options: Vec<(OptionName, Vec<FacetValue>)>,
    /// `true` and `false`.
    pub available: Vec<FacetValue>,
    /// `None` when no product in the set has a shown price.
    pub price: Option<PriceRange>,
}

/// Tallies of one list facet: lower-cased key -> (label, count).
pub(super) type Tally = HashMap<Box<str>, (String, usize)>;

pub(super) fn tally(counts: &mut Tally, key: &str, label: &str, by: usize) {
    counts
        .entry(key.to_ascii_lowercase().into_boxed_str())
        .or_insert_with(|| (label.to_string(), 0))
        .1 += by;
}

/// A list facet's answer: counted values (count > 0) most products first (then by label),
/// `max_values` of them, plus every selected value wherever it ranks (0 if not counted).
pub(super) fn finish(counts: Tally, selected: &[String], max_values: usize) -> Vec<FacetValue> {
    let is_selected = |key: &str| selected.iter().any(|s| s.eq_ignore_ascii_case(key));
    let mut values: Vec<FacetValue> = counts
        .into_iter()
        .filter(|(_, (_, count))| *count > 0)
        .map(|(key, (label, count))| FacetValue {
            selected: is_selected(&key),
            value: label.clone(),
            label,
            count,
        })
        .collect();
    values.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| {
                a.label
                    .to_ascii_lowercase()
                    .cmp(&b.label.to_ascii_lowercase())
            })
            .then_with(|| a.label.cmp(&b.label))
    });
    let mut kept: Vec<FacetValue> = Vec::with_capacity(max_values.min(values.len()));
    for (rank, value) in values.into_iter().enumerate() {
        if rank < max_values || value.selected {
            kept.push(value);
        }
    }
    for wanted in selected {
        if !kept.iter().any(|v| v.value.eq_ignore_ascii_case(wanted)) {
            kept.push(FacetValue {
                value: wanted.clone(),
                label: wanted.clone(),
                count: 0,
                selected: true,
            });
        }
    }
    kept
}

/// The availability facet from the products in stock and out of it.
pub(super) fn availability(filter: &ListingFilter, yes: usize, no: usize) -> Vec<FacetValue> {
    [(true, yes), (false, no)]
        .into_iter()
        .filter(|(value, count)| *count > 0 || filter.in_stock == Some(*value))
        .map(|(value, count)| FacetValue {
            value: value.to_string(),
            label: if value { "In stock" } else { "Out of stock" }.into(),
            count,
            selected: filter.in_stock == Some(value),
        })
        .collect()
}

/// Where a histogram's buckets lie: the first bucket's start, the width and the number of
/// buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    pub start: i128,
    pub width: i128,
    pub n: usize,
}

impl Layout {
    /// At most `buckets` buckets of a round width (1, 2, 2.5 or 5 times a power of ten) from a
    /// multiple of it at or below `min`, covering `max`.
    pub fn new(min: i64, max: i64, buckets: usize) -> Self {
        let (lo, hi, wanted) = (i128::from(min), i128::from(max), buckets.max(1) as i128);
        let width = (0..38u32)
            .flat_map(|p| {
                let unit = 10i128.pow(p);
                [unit, unit * 2, unit * 5 / 2, unit * 5]
            })
            .find(|w| hi.div_euclid(*w) - lo.div_euclid(*w) < wanted)
            .unwrap_or(1 << 100);
        Self {
            start: lo.div_euclid(width) * width,
            width,
            n: (hi.div_euclid(width) - lo.div_euclid(width) + 1) as usize,
        }
    }

    /// Where bucket `i` begins (`i == n`: where the last ends).
    pub fn boundary(&self, i: usize) -> i128 {
        self.start + self.width * i as i128
    }

    /// The range with these bucket counts.
    pub fn range(&self, min: i64, max: i64, counts: Vec<usize>) -> PriceRange {
        let clamp = |v: i128| v.clamp(i64::MIN.into(), i64::MAX.into()) as i64;
        let buckets = counts
            .into_iter()
            .enumerate()
            .map(|(i, count)| Bucket {
                from: clamp(self.boundary(i)),
                to: clamp(self.boundary(i + 1)),
                count,
            })
            .collect();
        PriceRange { min, max, buckets }
    }
}

/// The histogram of `prices` (shown minor units), laid out by [`Layout::new`].
pub(super) fn price_range(prices: &[i64], buckets: usize) -> Option<PriceRange> {
    let (&min, &max) = (prices.iter().min()?, prices.iter().max()?);
    let layout = Layout::new(min, max, buckets);
    let mut counts = vec![0; layout.n];
    for &price in prices {
        let at = ((i128::from(price) - layout.start) / layout.width) as usize;
        counts[at.min(layout.n - 1)] += 1;
    }
    Some(layout.range(min, max, counts))
}

/// The category one level below `under` (the first segment without one) that `path` lies in.
pub(super) fn child_category<'p>(path: &'p str, under: Option<&str>) -> Option<&'p str> {
    let rest_from = match under.map(|u| u.trim_end_matches('/')) {
        None | Some("") => 0,
        Some(under) if category_matches(path, under) && path.len() > under.len() => under.len() + 1,
        Some(_) => return None,
    };
    let end = path[rest_from..]
        .find('/')
        .map_or(path.len(), |i| rest_from + i);
    Some(&path[..end])
}

/// The facets by looking at every product: the reference `facets_index` is tested against.
pub fn reference(
    catalog: &Catalog,
    request: &ListingRequest,
    show: impl Fn(i64, &Product) -> Option<i64>,
    shape: FacetShape,
) -> Facets {
    let filter = &request.filter;
    let text = filter.query.as_deref().map(TextQuery::parse);
    let mut products: Vec<(std::sync::Arc<Product>, ProductSummary)> = Vec::new();
    catalog.for_each_product(|e| products.push((e.product.clone(), e.summary)));
    let mut brands = Tally::new();
    let mut options: BTreeMap<OptionName, Tally> = BTreeMap::new();
    let (mut yes, mut no) = (0, 0);
    let mut prices = Vec::new();
    let mut categories = Tally::new();
    for (product, summary) in &products {
        let fixed = filter
            .category
            .as_deref()
            .is_none_or(|c| product.categories.iter().any(|p| category_matches(p, c)))
            && filter
                .brand
                .as_deref()
                .is_none_or(|b| product.brand.eq_ignore_ascii_case(b))
            && text
                .as_ref()
                .is_none_or(|t| t.words.is_empty() || t.matches(&product_words(product)));
        if !fixed {
            continue;
        }
        let shown = summary.min_price_minor.and_then(|b| show(b, product));
        let cb = filter.brand_selected(&product.brand);
        let co = filter.options_match(product, summary.stocked);
        let cs = filter
            .in_stock
            .is_none_or(|s| summary.available_for_sale == s);
        let cp = filter.price_selected(shown);
        if co && cs && cp {
            tally(&mut brands, &product.brand, &product.brand, 1);
        }
        if cb && cs && cp {
            for name in OptionName::ALL {
                for (key, label) in option_values(filter, product, summary.stocked, name) {
                    tally(options.entry(name).or_default(), &key, &label, 1);
                }
            }
        }
        if cb && co && cp {
            match summary.available_for_sale {
                true => yes += 1,
                false => no += 1,
            }
        }
        if let (true, true, true, Some(shown)) = (cb, co, cs, shown) {
            prices.push(shown);
        }
        if cb && co && cs && cp {
            let mut children: Vec<&str> = product
                .categories
                .iter()
                .filter_map(|p| child_category(p, filter.category.as_deref()))
                .collect();
            children.sort_unstable();
            children.dedup();
            for child in children {
                tally(&mut categories, child, child, 1);
            }
        }
    }
    let price = price_range(&prices, shape.buckets);
    assemble(
        filter,
        shape,
        (brands, categories),
        options,
        (yes, no),
        price,
    )
}

/// The values of option `name` a product counts for: those of its variants (in stock when
/// asked) that every other selected option accepts, each once.
pub(super) fn option_values(
    filter: &ListingFilter,
    product: &Product,
    stocked: Stocked,
    name: OptionName,
) -> Vec<(String, String)> {
    let stock = filter.options_need_stock();
    let mut out: Vec<(String, String)> = Vec::new();
    for (at, variant) in product.variants.iter().enumerate() {
        let Some(value) = name.of(variant) else {
            continue;
        };
        let others = filter
            .options
            .iter()
            .filter(|o| o.name != name)
            .all(|o| o.accepts(variant));
        let key = value.to_ascii_lowercase();
        if others && (!stock || stocked.has(at)) && !out.iter().any(|(k, _)| *k == key) {
            out.push((key, value.to_string()));
        }
    }
    out
}

/// The answer from the tallies.
pub(super) fn assemble(
    filter: &ListingFilter,
    shape: FacetShape,
    (brands, categories): (Tally, Tally),
    mut options: BTreeMap<OptionName, Tally>,
    (yes, no): (usize, usize),
    price: Option<PriceRange>,
) -> Facets {
    let options = OptionName::ALL
        .into_iter()
        .map(|name| {
            let selected: Vec<String> = filter
                .options
                .iter()
                .filter(|o| o.name == name)
                .flat_map(|o| o.values.iter().cloned())
                .collect();
            let counts = options.remove(&name).unwrap_or_default();
            (name, finish(counts, &selected, shape.max_values))
        })
        .collect();
    Facets {
        brand: finish(brands, &filter.brands, shape.max_values),
        category: finish(categories, &[], shape.max_values),
        options,
        available: availability(filter, yes, no),
        price,
    }
}

#[cfg(test)]
#[path = "facets_tests.rs"]
mod tests;
