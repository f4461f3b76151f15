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
use std::sync::Arc;

use super::listing::category_prefixes;
use super::text::product_words;
use super::{Product, ProductSummary};

pub(super) type Id = Arc<str>;
type Hash = foldhash::fast::RandomState;

/// One product as the indexes see it: the record, its summary and its derived keys.
#[derive(Debug)]
pub struct Indexed {
    pub product: Arc<Product>,
    pub summary: ProductSummary,
    pub id: Id,
    pub title_key: Arc<str>,
    /// Folded words of title and brand, sorted (see `text`).
    pub words: Box<[String]>,
}

impl Indexed {
    pub fn new(product: Arc<Product>, summary: ProductSummary) -> Self {
        Self {
            id: Arc::from(product.id.as_str()),
            title_key: Arc::from(product.title_key.as_str()),
            words: product_words(&product).into_boxed_slice(),
            product,
            summary,
        }
    }

    /// `publishedAt` in ms; products without one sort as the oldest.
    pub fn created(&self) -> i64 {
        self.product.published_at_ms.unwrap_or(i64::MIN)
    }

    fn hs_class(&self) -> HsClass {
        self.product.hs_code.as_deref().map(Arc::from)
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

pub fn brand_key(brand: &str) -> Box<str> {
    brand.to_ascii_lowercase().into_boxed_str()
}

/// Products sharing an HS code share every market's price function.
pub type HsClass = Option<Arc<str>>;
pub type Ordered<K> = BTreeMap<K, Arc<Indexed>>;

/// One scope's products in every order, and its counts.
#[derive(Debug, Default)]
pub struct Scope {
    pub by_id: Ordered<Id>,
    pub by_title: Ordered<(Arc<str>, Id)>,
    pub by_created: Ordered<(i64, Id)>,
    /// Priced products by lowest base selling price, per HS code.
    pub by_price: HashMap<HsClass, Ordered<(i64, Id)>, Hash>,
    pub in_stock: usize,
    pub priced: usize,
    pub priced_in_stock: usize,
    /// Changes whenever a product enters, leaves or changes within the scope.
    pub generation: u64,
}

impl Scope {
    fn add(&mut self, entry: &Arc<Indexed>) {
        let id = &entry.id;
        self.by_id.insert(Arc::clone(id), Arc::clone(entry));
        self.by_title.insert(
            (Arc::clone(&entry.title_key), Arc::clone(id)),
            Arc::clone(entry),
        );
        self.by_created
            .insert((entry.created(), Arc::clone(id)), Arc::clone(entry));
        let in_stock = entry.summary.available_for_sale;
        self.in_stock += usize::from(in_stock);
        if let Some(min) = entry.summary.min_price_minor {
            self.by_price
                .entry(entry.hs_class())
                .or_default()
                .insert((min, Arc::clone(id)), Arc::clone(entry));
            self.priced += 1;
            self.priced_in_stock += usize::from(in_stock);
        }
    }

    fn take(&mut self, entry: &Indexed) {
        let id = &entry.id;
        self.by_id.remove(id);
        self.by_title
            .remove(&(Arc::clone(&entry.title_key), Arc::clone(id)));
        self.by_created.remove(&(entry.created(), Arc::clone(id)));
        let in_stock = entry.summary.available_for_sale;
        self.in_stock -= usize::from(in_stock);
        if let Some(min) = entry.summary.min_price_minor {
            let class = entry.hs_class();
            if let Some(prices) = self.by_price.get_mut(&class) {
                prices.remove(&(min, Arc::clone(id)));
                if prices.is_empty() {
                    self.by_price.remove(&class);
                }
            }
            self.priced -= 1;
            self.priced_in_stock -= usize::from(in_stock);
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// All listing indexes. One writer (ingest) at a time, behind the catalog's lock.
#[derive(Debug, Default)]
pub struct ListingIndex {
    pub entries: HashMap<Id, Arc<Indexed>, Hash>,
    pub scopes: HashMap<ScopeKey, Scope, Hash>,
    /// Folded word -> products whose title or brand has it.
    pub words: BTreeMap<Box<str>, BTreeSet<Id>>,
    /// Source of scope generations: every change takes the next value, so a scope that is
    /// emptied, dropped and re-created never repeats a generation.
    clock: u64,
}

impl ListingIndex {
    /// Puts a product with its summary in every index, replacing what was there. A product
    /// whose record and summary are unchanged is left alone (no generation moves).
    pub fn upsert(&mut self, product: &Arc<Product>, summary: ProductSummary) {
        if let Some(held) = self.entries.get(product.id.as_str()) {
            if Arc::ptr_eq(&held.product, product) && held.summary == summary {
                return;
            }
        }
        self.remove(&product.id);
        let entry = Arc::new(Indexed::new(Arc::clone(product), summary));
        self.clock += 1;
        for key in scopes_of(product) {
            let scope = self.scopes.entry(key).or_default();
            scope.add(&entry);
            scope.generation = self.clock;
        }
        for word in entry.words.iter() {
            self.words
                .entry(word.as_str().into())
                .or_default()
                .insert(Arc::clone(&entry.id));
        }
        self.entries.insert(Arc::clone(&entry.id), entry);
    }

    /// Takes a product out of every index.
    pub fn remove(&mut self, id: &str) {
        let Some(entry) = self.entries.remove(id) else {
            return;
        };
        self.clock += 1;
        for key in scopes_of(&entry.product) {
            if let Some(scope) = self.scopes.get_mut(&key) {
                scope.take(&entry);
                scope.generation = self.clock;
                if scope.is_empty() {
                    self.scopes.remove(&key);
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
    }

    /// Replaces everything with `products` (after bulk loading), building each ordered map in
    /// one sorted pass rather than insert by insert.
    pub fn rebuild(&mut self, products: impl Iterator<Item = (Arc<Product>, ProductSummary)>) {
        let entries: Vec<Arc<Indexed>> = products
            .map(|(product, summary)| Arc::new(Indexed::new(product, summary)))
            .collect();
        let clock = self.clock + 1;
        *self = Self {
            clock,
            ..Self::default()
        };
        let mut members: HashMap<ScopeKey, Vec<Arc<Indexed>>, Hash> = HashMap::default();
        let mut words: HashMap<&str, Vec<Id>, Hash> = HashMap::default();
        for entry in &entries {
            for key in scopes_of(&entry.product) {
                members.entry(key).or_default().push(Arc::clone(entry));
            }
            for word in entry.words.iter() {
                words
                    .entry(word.as_str())
                    .or_default()
                    .push(Arc::clone(&entry.id));
            }
        }
        self.words = words
            .into_iter()
            .map(|(word, ids)| (Box::from(word), ids.into_iter().collect()))
            .collect();
        for (key, members) in members {
            self.scopes.insert(key, Scope::build(&members, clock));
        }
        self.entries = entries
            .into_iter()
            .map(|e| (Arc::clone(&e.id), e))
            .collect();
    }

    /// The generation of a scope (0 when it does not exist).
    pub fn generation(&self, key: &ScopeKey) -> u64 {
        self.scopes.get(key).map_or(0, |s| s.generation)
    }
}

impl Scope {
    fn build(members: &[Arc<Indexed>], generation: u64) -> Self {
        let pair = |e: &Arc<Indexed>| Arc::clone(e);
        type PriceKeyed = Vec<((i64, Id), Arc<Indexed>)>;
        let mut by_price: HashMap<HsClass, PriceKeyed, Hash> = HashMap::default();
        let mut scope = Scope {
            by_id: members
                .iter()
                .map(|e| (Arc::clone(&e.id), pair(e)))
                .collect(),
            by_title: members
                .iter()
                .map(|e| ((Arc::clone(&e.title_key), Arc::clone(&e.id)), pair(e)))
                .collect(),
            by_created: members
                .iter()
                .map(|e| ((e.created(), Arc::clone(&e.id)), pair(e)))
                .collect(),
            generation,
            ..Scope::default()
        };
        for e in members {
            let in_stock = e.summary.available_for_sale;
            scope.in_stock += usize::from(in_stock);
            if let Some(min) = e.summary.min_price_minor {
                by_price
                    .entry(e.hs_class())
                    .or_default()
                    .push(((min, Arc::clone(&e.id)), pair(e)));
                scope.priced += 1;
                scope.priced_in_stock += usize::from(in_stock);
            }
        }
        scope.by_price = by_price
            .into_iter()
            .map(|(class, items)| (class, items.into_iter().collect()))
            .collect();
        scope
    }
}
