//! Several storefronts (banners) in one process over shared parts: each change is written once
//! into the part it belongs to (a products topic's records, a price list, a stock pool, the
//! country contexts) and then refreshes every storefront holding that part, so a unit held
//! through one banner is gone from every banner on the same pool in the same step.

use std::collections::HashMap;
use std::sync::Arc;

pub use super::assortment::Assortment;
use super::catalog::{change_key_hash, ApplyOutcome, Catalog, Parts};
use super::catalog_write::Part;
use super::Change;

/// One storefront: its name and its views.
#[derive(Debug, Clone)]
pub struct Storefront {
    pub name: Arc<str>,
    pub catalog: Arc<Catalog>,
}

/// What a storefront is built from. Parts are named (by their topics): storefronts naming the
/// same products, prices or pool share that part; the country contexts are shared by all.
#[derive(Debug, Clone)]
pub struct StorefrontSpec {
    pub name: String,
    pub assortment: Assortment,
    pub products: String,
    pub prices: String,
    pub pool: String,
}

/// The storefronts of one process, the default first.
#[derive(Debug, Clone)]
pub struct Storefronts {
    fronts: Vec<Storefront>,
}

/// The name of the one storefront of a process configured with no banners.
pub const SOLE: &str = "main";

impl Default for Storefronts {
    /// One storefront with parts of its own.
    fn default() -> Self {
        Self::single(Arc::default())
    }
}

impl Storefronts {
    /// One storefront selling every product (a process configured with no banners).
    pub fn single(catalog: Arc<Catalog>) -> Self {
        Self {
            fronts: vec![Storefront {
                name: SOLE.into(),
                catalog,
            }],
        }
    }

    /// Storefronts over shared parts, built from `specs` (the default first). Names are the
    /// caller's to keep unique. One storefront alone keeps its catalog unnamed (quotes and
    /// published changes then carry no banner, as in a process without banners).
    pub fn build(specs: &[StorefrontSpec]) -> Self {
        let named = specs.len() > 1;
        let intl = Arc::default();
        let mut records: HashMap<&str, Arc<_>> = HashMap::new();
        let mut prices: HashMap<&str, Arc<_>> = HashMap::new();
        let mut pools: HashMap<&str, Arc<_>> = HashMap::new();
        let fronts = specs
            .iter()
            .map(|spec| {
                let parts = Parts {
                    records: Arc::clone(records.entry(&spec.products).or_default()),
                    price_list: Arc::clone(prices.entry(&spec.prices).or_default()),
                    pool: Arc::clone(pools.entry(&spec.pool).or_default()),
                    intl_map: Arc::clone(&intl),
                };
                Storefront {
                    name: spec.name.as_str().into(),
                    catalog: Arc::new(
                        Catalog::over(parts, spec.assortment.clone()).named(if named {
                            &spec.name
                        } else {
                            ""
                        }),
                    ),
                }
            })
            .collect();
        Self { fronts }
    }

    /// The storefront requests naming none get.
    pub fn default_front(&self) -> &Storefront {
        &self.fronts[0]
    }

    pub fn at(&self, position: usize) -> Option<&Storefront> {
        self.fronts.get(position)
    }

    pub fn get(&self, name: &str) -> Option<&Storefront> {
        self.fronts.iter().find(|f| &*f.name == name)
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.fronts.iter().position(|f| &*f.name == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Storefront> {
        self.fronts.iter()
    }

    pub fn len(&self) -> usize {
        self.fronts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fronts.is_empty()
    }

    /// Applies `change` to the part it belongs to in storefront `via` (the one whose topic it
    /// came from), once, then refreshes every storefront holding that part.
    pub fn apply(&self, via: usize, change: Change) -> ApplyOutcome {
        let Some(writer) = self.fronts.get(via).map(|f| &f.catalog) else {
            return ApplyOutcome::Stale;
        };
        let key = change_key_hash(&change);
        let part = Part::of(&change);
        let written = writer.write(change);
        for front in self.sharing(writer, part) {
            front.refresh(&written);
            // Even a stale change is recorded: cheap, and nothing it did can be missed.
            front.changes.record(Some(key));
        }
        written.outcome
    }

    /// The storefronts holding `writer`'s `part` (`writer` included).
    pub fn sharing<'a>(
        &'a self,
        writer: &'a Catalog,
        part: Part,
    ) -> impl Iterator<Item = &'a Arc<Catalog>> + 'a {
        self.fronts
            .iter()
            .map(|f| &f.catalog)
            .filter(move |c| c.shares(writer, part))
    }

    /// Moves every pool's read clock to `now_ms` once and refreshes, in every storefront on
    /// it, the SKUs whose holds ended; returns how many SKUs ended.
    pub fn advance_clock(&self, now_ms: i64) -> usize {
        let mut ended_total = 0;
        for (at, front) in self.fronts.iter().enumerate() {
            let first_on_pool = !self.fronts[..at]
                .iter()
                .any(|f| f.catalog.shares(&front.catalog, Part::Pool));
            if !first_on_pool {
                continue;
            }
            let ended = front.catalog.end_expired(now_ms);
            for sharing in self.sharing(&front.catalog, Part::Pool) {
                sharing.refresh_ended(&ended);
            }
            ended_total += ended.len();
        }
        ended_total
    }

    /// Bulk loading (see [`Catalog::begin_bulk`]) in every storefront.
    pub fn begin_bulk(&self) {
        self.fronts.iter().for_each(|f| f.catalog.begin_bulk());
    }

    pub fn end_bulk(&self) {
        self.fronts.iter().for_each(|f| f.catalog.end_bulk());
    }
}

#[cfg(test)]
#[path = "storefronts_tests.rs"]
mod tests;
