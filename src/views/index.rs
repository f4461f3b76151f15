//! Listing indexes, kept current in the same apply step as the views: per scope (the whole
//! catalog, each category prefix, each brand) the products ordered by every sort key, counts,
//! and a word index for text queries. A listing page is found by walking one scope in its
//! order from the cursor, so it costs the page, not the catalog (see `index_walk`).
//!
//! Prices are ordered per HS code: a market's shown price depends on the base price and the
//! product's HS code only (duty), and never decreases as the base price grows, so within one HS
//! code the base order is the shown order in every market. A country listing merges the HS
//! codes' orders through that market's price function; nothing is rebuilt when FX, duty or tax
//! change.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use super::index_facets::FacetBits;
use super::index_moves::{Move, Moves, Side};
pub use super::index_scope::Scope;
use super::listing::category_prefixes;
use super::summary::Stocked;
use super::text::product_words;
use super::{Product, ProductSummary};

pub(super) type Id = Arc<str>;
type Hash = foldhash::fast::RandomState;

/// One product as the indexes see it: the record, its derived keys, and the two summary
/// values listings filter on. Those two change in place (under the index's write lock) when
/// only prices or stock moved, so the ordered maps are touched only where a key changed.
#[derive(Debug)]
pub struct Indexed {
    pub product: Arc<Product>,
    pub id: Id,
    /// Its number in the facet bitmaps (see `index_facets`).
    pub ordinal: u32,
    pub title_key: Arc<str>,
    /// Folded words of title and brand, sorted (see `text`).
    pub words: Box<[String]>,
    /// Shared by the products with the same categories and brand.
    scopes: Arc<[ScopeKey]>,
    hs_class: HsClass,
    /// Lowest selling price of the priced variants (`NO_PRICE`: none).
    min_price: AtomicI64,
    in_stock: AtomicBool,
    stocked: AtomicU64,
}

const NO_PRICE: i64 = i64::MIN;

impl Indexed {
    /// A product in the indexes, with its scopes already worked out (shared between products).
    pub fn with_scopes(
        product: Arc<Product>,
        summary: ProductSummary,
        scopes: Arc<[ScopeKey]>,
        ordinal: u32,
    ) -> Self {
        Self::make(product, summary, scopes, true, ordinal)
    }

    /// What a scan needs of a product: no scopes, and words only for a text query.
    pub fn for_scan(product: Arc<Product>, summary: ProductSummary, words: bool) -> Self {
        Self::make(product, summary, Arc::new([]), words, 0)
    }

    fn make(
        product: Arc<Product>,
        summary: ProductSummary,
        scopes: Arc<[ScopeKey]>,
        words: bool,
        ordinal: u32,
    ) -> Self {
        let entry = Self {
            id: Arc::from(product.id.as_str()),
            ordinal,
            title_key: Arc::from(product.title_key.as_str()),
            words: match words {
                true => product_words(&product).into_boxed_slice(),
                false => Box::default(),
            },
            scopes,
            hs_class: product.hs_code.as_deref().map(Arc::from),
            min_price: AtomicI64::new(NO_PRICE),
            in_stock: AtomicBool::new(false),
            stocked: AtomicU64::new(0),
            product,
        };
        entry.set_summary(summary);
        entry
    }

    /// `publishedAt` in ms; products without one sort as the oldest.
    pub fn created(&self) -> i64 {
        self.product.published_at_ms.unwrap_or(i64::MIN)
    }

    /// The lowest selling price of its priced variants (base minor units), if any.
    pub fn min_price(&self) -> Option<i64> {
        Some(self.min_price.load(Ordering::Relaxed)).filter(|p| *p != NO_PRICE)
    }

    /// Some priced variant is in stock.
    pub fn in_stock(&self) -> bool {
        self.in_stock.load(Ordering::Relaxed)
    }

    /// Which priced variants are in stock.
    pub fn stocked(&self) -> Stocked {
        Stocked(self.stocked.load(Ordering::Relaxed))
    }

    fn set_summary(&self, summary: ProductSummary) {
        self.stocked.store(summary.stocked.0, Ordering::Relaxed);
        let min = summary.min_price_minor.unwrap_or(NO_PRICE);
        self.min_price.store(min, Ordering::Relaxed);
        self.in_stock
            .store(summary.available_for_sale, Ordering::Relaxed);
    }

    /// The scopes it belongs to.
    pub fn scopes(&self) -> &Arc<[ScopeKey]> {
        &self.scopes
    }

    pub fn hs_class(&self) -> &HsClass {
        &self.hs_class
    }

    fn same_summary(&self, summary: &ProductSummary) -> bool {
        self.min_price() == summary.min_price_minor
            && self.in_stock() == summary.available_for_sale
            && self.stocked() == summary.stocked
    }
}

/// A set of products a listing can be narrowed to without looking at each one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeKey {
    All,
    /// A category path prefix at a `/` boundary (no trailing `/`).
    Category(Box<str>),
    /// A brand, ASCII lower-cased (brands match case-insensitively).
    Brand(Box<str>),
}

/// The scopes a product belongs to.
pub fn scopes_of(product: &Product) -> Vec<ScopeKey> {
    let mut keys = vec![ScopeKey::All, ScopeKey::Brand(brand_key(&product.brand))];
    for path in &product.categories {
        keys.extend(category_prefixes(path).map(|p| ScopeKey::Category(p.into())));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The scopes a listing's filter names (its category and brand), or the whole catalog.
pub fn given_scopes(filter: &super::listing::ListingFilter) -> Vec<ScopeKey> {
    let mut given = Vec::new();
    if let Some(category) = &filter.category {
        given.push(ScopeKey::Category(category.trim_end_matches('/').into()));
    }
    if let Some(brand) = &filter.brand {
        given.push(ScopeKey::Brand(brand_key(brand)));
    }
    if given.is_empty() {
        given.push(ScopeKey::All);
    }
    given
}

pub fn brand_key(brand: &str) -> Box<str> {
    brand.to_ascii_lowercase().into_boxed_str()
}

/// Products sharing an HS code share every market's price function.
pub type HsClass = Option<Arc<str>>;
pub type Ordered<K> = BTreeMap<K, Arc<Indexed>>;

/// All listing indexes. One writer (ingest) at a time, behind the catalog's lock.
#[derive(Debug, Default)]
pub struct ListingIndex {
    pub entries: HashMap<Id, Arc<Indexed>, Hash>,
    pub scopes: HashMap<ScopeKey, Scope, Hash>,
    /// Folded word -> products whose title or brand has it.
    pub words: BTreeMap<Box<str>, BTreeSet<Id>>,
    /// Products by ordinal, in stock, and per option value (see `index_facets`).
    pub facets: FacetBits,
    /// Source of scope generations: every change takes the next value, so a scope that is
    /// emptied, dropped and re-created never repeats a generation.
    clock: u64,
}

impl ListingIndex {
    /// Puts a product with its summary in every index, replacing what was there. When only
    /// the summary changed, just the price order and the counts move; when nothing changed,
    /// nothing does (no generation moves).
    pub fn upsert(&mut self, product: &Arc<Product>, summary: ProductSummary) {
        let held = self.entries.get(product.id.as_str()).cloned();
        if let Some(held) = &held {
            if Arc::ptr_eq(&held.product, product) {
                self.resummarize(held, summary);
                return;
            }
        }
        // Products sharing categories and brand share their scope list.
        let scopes = match &held {
            Some(held)
                if held.product.categories == product.categories
                    && held.product.brand == product.brand =>
            {
                Arc::clone(held.scopes())
            }
            _ => scopes_of(product).into(),
        };
        let before = held.as_deref().map(Side::of);
        let old = self.take_out(&product.id);
        let ordinal = self.facets.take_ordinal();
        let entry = Arc::new(Indexed::with_scopes(
            Arc::clone(product),
            summary,
            scopes,
            ordinal,
        ));
        self.facets.insert(&entry);
        let change = self.next_move(before, Some(Side::of(&entry)));
        if let Some(old) = old {
            self.touch(&old.scopes, &change);
        }
        for key in entry.scopes.iter() {
            let clock = change.clock;
            let scope = self.scopes.entry(key.clone()).or_insert_with(|| Scope {
                moves: Moves::starting(clock),
                ..Scope::default()
            });
            scope.add(&entry);
        }
        self.touch(&entry.scopes, &change);
        for word in entry.words.iter() {
            self.words
                .entry(word.as_str().into())
                .or_default()
                .insert(Arc::clone(&entry.id));
        }
        self.entries.insert(Arc::clone(&entry.id), entry);
    }

    fn resummarize(&mut self, entry: &Arc<Indexed>, summary: ProductSummary) {
        if entry.same_summary(&summary) {
            return;
        }
        let before = Side::of(entry);
        for key in entry.scopes.iter() {
            if let Some(scope) = self.scopes.get_mut(key) {
                scope.take_price(entry);
            }
        }
        entry.set_summary(summary);
        self.facets.restock(entry);
        for key in entry.scopes.iter() {
            if let Some(scope) = self.scopes.get_mut(key) {
                scope.add_price(entry);
            }
        }
        let change = self.next_move(Some(before), Some(Side::of(entry)));
        self.touch(&entry.scopes, &change);
    }

    /// Takes a product out of every index.
    pub fn remove(&mut self, id: &str) {
        if let Some(entry) = self.take_out(id) {
            let change = self.next_move(Some(Side::of(&entry)), None);
            self.touch(&entry.scopes, &change);
        }
    }

    /// The next change, at the next clock value.
    fn next_move(&mut self, before: Option<Side>, after: Option<Side>) -> Arc<Move> {
        self.clock += 1;
        Arc::new(Move {
            clock: self.clock,
            before,
            after,
        })
    }

    /// The scopes (still there) see the change: a new generation, and the move remembered.
    fn touch(&mut self, keys: &[ScopeKey], change: &Arc<Move>) {
        for key in keys {
            if let Some(scope) = self.scopes.get_mut(key) {
                if scope.generation != change.clock {
                    scope.generation = change.clock;
                    scope.moves.push(change);
                }
            }
        }
    }

    /// Takes a product out of every index, dropping the scopes it leaves empty (the caller
    /// moves the generations).
    fn take_out(&mut self, id: &str) -> Option<Arc<Indexed>> {
        let entry = self.entries.remove(id)?;
        self.facets.remove(&entry);
        for key in entry.scopes.iter() {
            if let Some(scope) = self.scopes.get_mut(key) {
                scope.take(&entry);
                if scope.is_empty() {
                    self.scopes.remove(key);
                }
            }
        }
        for word in entry.words.iter() {
            if let Some(ids) = self.words.get_mut(word.as_str()) {
                ids.remove(id);
                if ids.is_empty() {
                    self.words.remove(word.as_str());
                }
            }
        }
        Some(entry)
    }

    pub(super) fn from_parts(
        entries: HashMap<Id, Arc<Indexed>, Hash>,
        scopes: HashMap<ScopeKey, Scope, Hash>,
        words: BTreeMap<Box<str>, BTreeSet<Id>>,
        facets: FacetBits,
    ) -> Self {
        Self {
            entries,
            scopes,
            words,
            facets,
            clock: 0,
        }
    }

    /// Takes over a freshly built index (see `index_build`): every scope gets a generation
    /// newer than any handed out before.
    /// Returns the old one, to be dropped outside the lock (freeing it takes a while).
    pub fn replace(&mut self, mut built: ListingIndex) -> ListingIndex {
        let clock = self.clock + 1;
        for scope in built.scopes.values_mut() {
            scope.generation = clock;
            scope.moves = Moves::starting(clock);
        }
        built.clock = clock;
        std::mem::replace(self, built)
    }

    /// The generation of a scope (0 when it does not exist).
    pub fn generation(&self, key: &ScopeKey) -> u64 {
        self.scopes.get(key).map_or(0, |s| s.generation)
    }
}
