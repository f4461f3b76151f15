//! Listings over the product view: filter, sort and keyset pagination, as pure functions.

use std::cmp::Ordering;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::index::Indexed;
pub use super::listing_filter::{ListingFilter, OptionFilter, OptionName};
use super::text::TextQuery;
use super::{Catalog, Product, StockAndPrices};

/// Orders a listing can take; ties are always broken by product id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    Title,
    /// Lowest selling price among the product's priced variants.
    Price,
    /// `publishedAt`; products without one sort as the oldest.
    CreatedAt,
    Id,
}

/// The sort value of a product, as held in a cursor.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

/// A place in a sorted listing: what a cursor points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    pub value: SortValue,
    pub id: String,
}

/// One page request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingRequest {
    pub filter: ListingFilter,
    pub sort: SortKey,
    pub reverse: bool,
    /// Start strictly after this position (from a cursor made with the same sort key).
    pub after: Option<Position>,
    pub first: usize,
}

/// A product on a page, with its place for the cursor.
#[derive(Debug, Clone)]
pub struct ListingItem {
    pub product: Arc<Product>,
    pub position: Position,
}

#[derive(Debug, Clone, Default)]
pub struct ListingPage {
    pub items: Vec<ListingItem>,
    /// Products matching the filter, on all pages.
    pub total_count: usize,
    pub has_next_page: bool,
    /// Some matching product precedes this page.
    pub has_previous_page: bool,
}

/// True when `path` is `prefix` or lies below it.
pub fn category_matches(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    path == prefix
        || (path.len() > prefix.len()
            && path.starts_with(prefix)
            && path.as_bytes()[prefix.len()] == b'/')
}

/// The category prefixes `path` lies in: each part up to a `/`, and the path itself
/// (`a/b/c` is in `a`, `a/b` and `a/b/c`). `category_matches(path, p)` holds exactly when
/// `p` without trailing `/` is one of them.
pub fn category_prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .map(move |(i, _)| &path[..i])
        .chain(std::iter::once(path))
}

/// The one definition of which products a listing keeps and where they sort, shared by the
/// indexed walk and the reference scan.
pub(super) struct Matcher<'r, F> {
    pub request: &'r ListingRequest,
    /// The query's words; `None` when it has none (no text condition).
    pub text: Option<TextQuery>,
    pub show: F,
    /// Conditions every candidate meets already (they come from that category's or brand's
    /// scope): not checked again per product.
    pub in_category_scope: bool,
    pub in_brand_scope: bool,
}

impl<'r, F: Fn(i64, &Product) -> Option<i64>> Matcher<'r, F> {
    pub fn new(request: &'r ListingRequest, show: F) -> Self {
        let text = request
            .filter
            .query
            .as_deref()
            .map(TextQuery::parse)
            .filter(|q| !q.words.is_empty());
        Self {
            request,
            text,
            show,
            in_category_scope: false,
            in_brand_scope: false,
        }
    }

    /// A matcher for candidates taken from `scope` (its own condition is not checked again).
    pub fn within(mut self, scope: &super::index::ScopeKey) -> Self {
        use super::index::ScopeKey;
        self.in_category_scope = matches!(scope, ScopeKey::Category(_));
        self.in_brand_scope = matches!(scope, ScopeKey::Brand(_));
        self
    }

    pub fn needs_price(&self) -> bool {
        self.request.filter.needs_price() || self.request.sort == SortKey::Price
    }

    /// Some condition reads the product record (category or brand outside the walked scope,
    /// brand or option selections).
    fn checks_record(&self) -> bool {
        let filter = &self.request.filter;
        (filter.category.is_some() && !self.in_category_scope)
            || (filter.brand.is_some() && !self.in_brand_scope)
            || !filter.brands.is_empty()
            || !filter.options.is_empty()
    }

    /// The conditions on the product record hold. Out of line, so that the common path never
    /// loads the record's fields speculatively.
    #[inline(never)]
    fn record_kept(&self, entry: &Indexed) -> bool {
        let filter = &self.request.filter;
        let product = &entry.product;
        if let Some(category) = filter.category.as_ref().filter(|_| !self.in_category_scope) {
            if !product
                .categories
                .iter()
                .any(|c| category_matches(c, category))
            {
                return false;
            }
        }
        if let Some(brand) = filter.brand.as_ref().filter(|_| !self.in_brand_scope) {
            if !product.brand.eq_ignore_ascii_case(brand) {
                return false;
            }
        }
        filter.brand_selected(&product.brand) && filter.options_match(product, entry.stocked())
    }

    /// The sort number of a product the listing keeps (price or publication time; 0 for the
    /// other orders), or `None` when the filter leaves it out. The product record itself is
    /// read only for a condition on it: a count over thousands of products otherwise touches
    /// nothing but their index entries (each record read is a cache miss).
    pub fn number(&self, entry: &Indexed) -> Option<i64> {
        let filter = &self.request.filter;
        let product = &entry.product;
        if self.checks_record() && !self.record_kept(entry) {
            return None;
        }
        if let Some(text) = &self.text {
            if !text.matches(&entry.words) {
                return None;
            }
        }
        let min_price = match entry.min_price() {
            Some(base) if self.needs_price() => (self.show)(base, product),
            _ => None,
        };
        if !filter.matches_summary(entry.in_stock(), min_price) {
            return None;
        }
        match self.request.sort {
            SortKey::Price => min_price,
            SortKey::CreatedAt => Some(entry.created()),
            SortKey::Title | SortKey::Id => Some(0),
        }
    }

    /// The place of a kept product, as a cursor holds it.
    pub fn position(&self, entry: &Indexed, number: i64) -> Position {
        let value = match self.request.sort {
            SortKey::Title => SortValue::Text(entry.product.title_key.clone()),
            _ => SortValue::Int(number),
        };
        Position {
            value,
            id: entry.product.id.clone(),
        }
    }
}

/// A matching product and its numeric sort key (price or publication time; 0 otherwise).
struct Candidate {
    product: Arc<Product>,
    number: i64,
}

impl Candidate {
    fn cmp_key(
        &self,
        sort: SortKey,
        other_number: i64,
        other_text: &str,
        other_id: &str,
    ) -> Ordering {
        let by_value = match sort {
            SortKey::Title => self.product.title_key.as_str().cmp(other_text),
            SortKey::Price | SortKey::CreatedAt | SortKey::Id => self.number.cmp(&other_number),
        };
        by_value.then_with(|| self.product.id.as_str().cmp(other_id))
    }

    fn cmp(&self, other: &Candidate, sort: SortKey) -> Ordering {
        self.cmp_key(
            sort,
            other.number,
            &other.product.title_key,
            &other.product.id,
        )
    }

    /// Where this candidate stands relative to a cursor position.
    fn cmp_position(&self, sort: SortKey, position: &Position) -> Ordering {
        match &position.value {
            SortValue::Int(n) => self.cmp_key(sort, *n, "", &position.id),
            SortValue::Text(t) => self.cmp_key(sort, 0, t, &position.id),
        }
    }

    fn position(&self, sort: SortKey) -> Position {
        let value = match sort {
            SortKey::Title => SortValue::Text(self.product.title_key.clone()),
            _ => SortValue::Int(self.number),
        };
        Position {
            value,
            id: self.product.id.clone(),
        }
    }
}

/// Filters, sorts and cuts one page from `entries` in any order: every entry is looked at, and
/// only the page itself is sorted (a partial selection), so it costs O(entries + first * log
/// first). The reference scan uses it over the whole catalog; the indexed path over the few
/// products a text query's words point at.
pub(super) fn select_page<'e, F: Fn(i64, &Product) -> Option<i64>>(
    entries: impl Iterator<Item = &'e Arc<Indexed>>,
    matcher: &Matcher<'_, F>,
) -> ListingPage {
    let request = matcher.request;
    let sort = request.sort;
    // Order in the listing's direction.
    let directed = |o: Ordering| if request.reverse { o.reverse() } else { o };
    let mut total_count = 0;
    let mut before_cursor = 0;
    let mut after: Vec<Candidate> = Vec::new();
    for entry in entries {
        let Some(number) = matcher.number(entry) else {
            continue;
        };
        total_count += 1;
        let candidate = Candidate {
            product: Arc::clone(&entry.product),
            number,
        };
        if let Some(cursor) = &request.after {
            if directed(candidate.cmp_position(sort, cursor)) != Ordering::Greater {
                before_cursor += 1;
                continue;
            }
        }
        after.push(candidate);
    }
    let has_next_page = after.len() > request.first;
    if has_next_page {
        if request.first == 0 {
            after.clear();
        } else {
            after.select_nth_unstable_by(request.first - 1, |a, b| directed(a.cmp(b, sort)));
            after.truncate(request.first);
        }
    }
    after.sort_unstable_by(|a, b| directed(a.cmp(b, sort)));
    ListingPage {
        items: after
            .into_iter()
            .map(|c| ListingItem {
                position: c.position(sort),
                product: c.product,
            })
            .collect(),
        total_count,
        has_next_page,
        has_previous_page: before_cursor > 0,
    }
}

/// Filters, sorts and cuts one page of the product view from its indexes (see `index_walk`).
///
/// `show_price` maps a product's lowest base price to the price shown in the listing's market
/// (the identity in the base market). It must depend on the product only through its HS code,
/// and must not decrease when the base price grows, so the lowest shown price is the shown
/// lowest base price and each HS code's base order is its shown order.
pub fn list_products(
    catalog: &Catalog,
    request: &ListingRequest,
    show_price: impl Fn(i64, &Product) -> Option<i64>,
) -> ListingPage {
    catalog.list(request, show_price, true).page
}

/// The same page by looking at every product (the reference the indexes are tested against).
pub fn scan_products(
    catalog: &Catalog,
    request: &ListingRequest,
    show_price: impl Fn(i64, &Product) -> Option<i64>,
) -> ListingPage {
    let matcher = Matcher::new(request, show_price);
    let words = matcher.text.is_some();
    let mut entries = Vec::new();
    catalog.for_each_product(|e| {
        let entry = Indexed::for_scan(Arc::clone(&e.product), e.summary, words);
        entries.push(Arc::new(entry));
    });
    select_page(entries.iter(), &matcher)
}

/// Re-checks a page against what the answer will show. Each product's filter and sort values
/// are recomputed from `reads` (the request's pinned reads, from which the page's nodes then
/// show prices and availability), so a price that moved between the scan and the answer
/// cannot put a product on the page that its own shown prices contradict (`maxPrice: "500"`
/// showing 520). Products that no longer match are dropped, so a page may come out shorter
/// while prices move; the rest are ordered by the values read.
pub fn recheck_page(
    mut page: ListingPage,
    request: &ListingRequest,
    reads: &impl StockAndPrices,
    show_price: impl Fn(i64, &Product) -> Option<i64>,
) -> ListingPage {
    let filter = &request.filter;
    let sort = request.sort;
    let needs_price = filter.needs_price() || sort == SortKey::Price;
    if !needs_price && filter.in_stock.is_none() && !filter.options_need_stock() {
        return page; // nothing on the page depends on prices or stock
    }
    let directed = |o: Ordering| if request.reverse { o.reverse() } else { o };
    let mut kept = Vec::with_capacity(page.items.len());
    for item in page.items {
        let summary = reads.variant_reads(&item.product).summary();
        let min_price = match summary.min_price_minor {
            Some(base) if needs_price => show_price(base, &item.product),
            _ => None,
        };
        let options = filter.options_match(&item.product, summary.stocked);
        if !options || !filter.matches_summary(summary.available_for_sale, min_price) {
            continue;
        }
        let number = match (sort, &item.position.value) {
            (SortKey::Price, _) => match min_price {
                Some(n) => n,
                None => continue,
            },
            (_, SortValue::Int(n)) => *n,
            (_, SortValue::Text(_)) => 0,
        };
        kept.push(Candidate {
            product: item.product,
            number,
        });
    }
    kept.sort_unstable_by(|a, b| directed(a.cmp(b, sort)));
    page.items = kept
        .into_iter()
        .map(|c| ListingItem {
            position: c.position(sort),
            product: c.product,
        })
        .collect();
    page
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
