//! Facets from the listing index's bitmaps (see `facets` for what each count means): the
//! listing's fixed scope is a scope bitmap (narrowed by the word index for a text query), each
//! condition a bitmap, and counts are intersection sizes. Products are looked at one by one only
//! for what bitmaps cannot hold: shown prices (they depend on the market) and, with two options
//! selected, whether one variant carries both values.

use std::collections::BTreeMap;
use std::ops::Bound::{Included, Unbounded};

use roaring::RoaringBitmap;

use super::facets::{assemble, option_values, tally, FacetShape, Facets, Tally};
use super::index::{brand_key, ListingIndex, ScopeKey};
use super::listing::ListingRequest;
use super::listing_filter::OptionName;
use super::text::TextQuery;
use super::Product;

/// The facets of a listing, and the scope whose generation they depend on.
pub fn facets(
    index: &ListingIndex,
    request: &ListingRequest,
    show: impl Fn(i64, &Product) -> Option<i64>,
    shape: FacetShape,
) -> (Facets, ScopeKey) {
    let filter = &request.filter;
    let given = super::index::given_scopes(filter);
    let bits_of = |key: &ScopeKey| index.scopes.get(key).map(|s| &s.bits);
    let narrowest = given
        .iter()
        .min_by_key(|k| bits_of(k).map_or(0, RoaringBitmap::len))
        .cloned()
        .unwrap_or(ScopeKey::All);
    let mut fixed = bits_of(&narrowest).cloned().unwrap_or_default();
    for key in &given {
        match bits_of(key) {
            Some(bits) => fixed &= bits,
            None => fixed.clear(),
        }
    }
    if let Some(text) = filter.query.as_deref().map(TextQuery::parse) {
        for word in &text.words {
            fixed &= &with_prefix(index, word);
        }
    }
    let sets = Sets::new(index, request, &fixed, &show);
    let stock = filter.options_need_stock();
    // Brands: every other condition.
    let mut brands = Tally::new();
    // Every selected option at once (exact with two options: each product checked for one
    // variant with both), shared by the brand, availability, price and category counts.
    let all_options = sets.options(index, request, None);
    let for_brands = &fixed & &all_options & &sets.stock & &sets.price;
    for (key, scope) in &index.scopes {
        let ScopeKey::Brand(brand) = key else {
            continue;
        };
        let count = scope.bits.intersection_len(&for_brands) as usize;
        if let Some((_, first)) = scope.by_id.first_key_value() {
            tally(&mut brands, brand, &first.product.brand, count);
        }
    }
    // Each option: its own selection relaxed; with another option selected, a product counts
    // for a value only if one variant has both.
    let mut options: BTreeMap<OptionName, Tally> = BTreeMap::new();
    for name in OptionName::ALL {
        let others = filter.options.iter().any(|o| o.name != name);
        let set = &fixed & &sets.brand & &sets.stock & &sets.price;
        let set = set & sets.options(index, request, Some(name));
        let counts = options.entry(name).or_default();
        for ((option, key), id) in &index.facets.options {
            let bits = &index.facets.values[*id as usize];
            if *option != name {
                continue;
            }
            let holders = if stock { &bits.stocked } else { &bits.any };
            let count = match others {
                false => holders.intersection_len(&set) as usize,
                true => (holders & &set)
                    .iter()
                    .filter_map(|ordinal| index.facets.entry(ordinal))
                    .filter(|e| {
                        option_values(filter, &e.product, e.stocked(), name)
                            .iter()
                            .any(|(k, _)| k.as_str() == &**key)
                    })
                    .count(),
            };
            tally(counts, key, &bits.label, count);
        }
    }
    let for_stock = &fixed & &sets.brand & &all_options & &sets.price;
    let yes = for_stock.intersection_len(&index.facets.in_stock) as usize;
    let no = for_stock.len() as usize - yes;
    let for_prices = &fixed & &sets.brand & &all_options & &sets.stock;
    let price = super::facets_price::range(&index.facets, &for_prices, shape.buckets, &show);
    let everything = for_prices & &sets.price;
    let mut categories = Tally::new();
    let under = filter.category.as_deref().map(|c| c.trim_end_matches('/'));
    for (key, scope) in &index.scopes {
        let ScopeKey::Category(path) = key else {
            continue;
        };
        let child = super::facets::child_category(path, under);
        if child == Some(&**path) {
            let count = scope.bits.intersection_len(&everything) as usize;
            tally(&mut categories, path, path, count);
        }
    }
    let lists = (brands, categories);
    let facets = assemble(filter, shape, lists, options, (yes, no), price);
    (facets, narrowest)
}

/// Each facet condition as a bitmap over the fixed scope (`fixed` itself when not selected).
struct Sets {
    fixed: RoaringBitmap,
    brand: RoaringBitmap,
    stock: RoaringBitmap,
    price: RoaringBitmap,
}

impl Sets {
    fn new(
        index: &ListingIndex,
        request: &ListingRequest,
        fixed: &RoaringBitmap,
        show: &impl Fn(i64, &Product) -> Option<i64>,
    ) -> Self {
        let filter = &request.filter;
        let brand = match filter.brands.is_empty() {
            true => fixed.clone(),
            false => {
                let mut any = RoaringBitmap::new();
                for brand in &filter.brands {
                    if let Some(scope) = index.scopes.get(&ScopeKey::Brand(brand_key(brand))) {
                        any |= &scope.bits;
                    }
                }
                any
            }
        };
        let stock = match filter.in_stock {
            None => fixed.clone(),
            Some(true) => fixed & &index.facets.in_stock,
            Some(false) => fixed - &index.facets.in_stock,
        };
        let price = match filter.needs_price() {
            false => fixed.clone(),
            true => {
                let bounds = (filter.min_price_minor, filter.max_price_minor);
                super::facets_price::within(&index.facets, fixed, bounds, show)
            }
        };
        Self {
            fixed: fixed.clone(),
            brand,
            stock,
            price,
        }
    }

    /// The products the selected options keep, `skip`'s own selection aside (exact: with two
    /// options, each product is checked for one variant carrying both).
    fn options(
        &self,
        index: &ListingIndex,
        request: &ListingRequest,
        skip: Option<OptionName>,
    ) -> RoaringBitmap {
        let filter = &request.filter;
        let stock = filter.options_need_stock();
        let selected: Vec<_> = filter
            .options
            .iter()
            .filter(|o| Some(o.name) != skip)
            .collect();
        let mut kept: Option<RoaringBitmap> = None;
        for option in &selected {
            let mut any = RoaringBitmap::new();
            for value in &option.values {
                let key = (option.name, value.to_ascii_lowercase().into_boxed_str());
                if let Some(id) = index.facets.options.get(&key) {
                    let bits = &index.facets.values[*id as usize];
                    any |= if stock { &bits.stocked } else { &bits.any };
                }
            }
            kept = Some(match kept {
                Some(k) => k & any,
                None => any,
            });
        }
        let Some(kept) = kept else {
            return self.fixed.clone();
        };
        if selected.len() < 2 {
            return kept;
        }
        kept.iter()
            .filter(|ordinal| {
                index
                    .facets
                    .entry(*ordinal)
                    .is_some_and(|e| filter.options_match_except(&e.product, e.stocked(), skip))
            })
            .collect()
    }
}

/// The products having a word that begins with `q`.
fn with_prefix(index: &ListingIndex, q: &str) -> RoaringBitmap {
    index
        .words
        .range::<str, _>((Included(q), Unbounded))
        .take_while(|(word, _)| word.starts_with(q))
        .flat_map(|(_, ids)| ids.iter())
        .filter_map(|id| index.entries.get(id).map(|e| e.ordinal))
        .collect()
}
