//! The catalog's listing indexes: changed with each product summary, and rebuilt after a bulk
//! load on a thread of their own, so start-up is ready as soon as the views are (listings
//! scan the catalog until the rebuild is in, then the changes made meanwhile are replayed).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;

use super::facets::{self, FacetShape, Facets};
use super::facets_index;
use super::index::{ListingIndex, ScopeKey};
use super::index_walk::{self, Listed};
use super::listing::{scan_products, ListingRequest};
use super::read_log::ListingDep;
use super::{Catalog, Product, ProductSummary};

/// Changes replayed on a rebuilt index per write lock.
const REPLAY_CHUNK: usize = 4096;

/// A change made while a rebuild ran, replayed on it in order.
#[derive(Debug)]
enum Pending {
    Upsert(Arc<Product>, ProductSummary),
    Remove(String),
}

#[derive(Debug, Default)]
pub(super) struct CatalogIndex {
    index: Arc<RwLock<ListingIndex>>,
    /// `Some` while a rebuild runs: the changes to replay on it.
    pending: Arc<Mutex<Option<Vec<Pending>>>>,
    build: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn apply(index: &mut ListingIndex, change: Pending) {
    match change {
        Pending::Upsert(product, summary) => index.upsert(&product, summary),
        Pending::Remove(id) => index.remove(&id),
    }
}

impl CatalogIndex {
    /// Applies a change now, or queues it while a rebuild runs. Rebuilds start only on the
    /// writer's thread, so one cannot begin between the check and the change.
    fn change(&self, change: Pending) {
        if let Some(queue) = lock(&self.pending).as_mut() {
            queue.push(change);
            return;
        }
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        apply(&mut index, change);
    }

    pub fn upsert(&self, product: &Arc<Product>, summary: ProductSummary) {
        self.change(Pending::Upsert(Arc::clone(product), summary));
    }

    pub fn remove(&self, id: &str) {
        self.change(Pending::Remove(id.to_string()));
    }

    /// Rebuilds from `products` on its own thread (inline if no thread can be started).
    pub fn rebuild(&self, products: Vec<(Arc<Product>, ProductSummary)>) {
        self.finish();
        *lock(&self.pending) = Some(Vec::new());
        let index = Arc::clone(&self.index);
        let pending = Arc::clone(&self.pending);
        let work = move || {
            let built = super::index_build::build(products);
            let old = index
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .replace(built);
            drop(old);
            // Replay what changed meanwhile in bounded chunks, so readers (who scan until the
            // queue is gone) and the writer (who queues) never wait long for the lock.
            loop {
                let chunk: Vec<Pending> = {
                    let mut queue = lock(&pending);
                    let Some(waiting) = queue.as_mut() else {
                        return;
                    };
                    if waiting.is_empty() {
                        *queue = None; // caught up: changes go straight in from now on
                        return;
                    }
                    let take = waiting.len().min(REPLAY_CHUNK);
                    waiting.drain(..take).collect()
                };
                let mut index = index.write().unwrap_or_else(PoisonError::into_inner);
                for change in chunk {
                    apply(&mut index, change);
                }
            }
        };
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let spawned = std::thread::Builder::new()
            .name("listing-index".into())
            .spawn(move || {
                if let Ok(work) = rx.recv() {
                    work();
                }
            });
        match spawned {
            Ok(handle) => {
                let _ = tx.send(Box::new(work));
                *lock(&self.build) = Some(handle);
            }
            Err(_) => work(),
        }
    }

    /// Waits for a rebuild in progress, if any.
    pub fn finish(&self) {
        let handle = lock(&self.build).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    /// The indexes, unless a rebuild is still running (then `None`: scan instead).
    pub fn ready(&self) -> Option<RwLockReadGuard<'_, ListingIndex>> {
        if lock(&self.pending).is_some() {
            return None;
        }
        Some(self.index.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The indexes as they are (for generations: a rebuild gives every scope a new one).
    pub fn read(&self) -> RwLockReadGuard<'_, ListingIndex> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Catalog {
    /// Waits until the listing indexes rebuilt after a bulk load are in (tests, benches).
    pub fn finish_listing_index(&self) {
        self.index.finish();
    }

    /// A listing page from the indexes (see `index_walk`); `count` asks for its total count.
    /// While they are being rebuilt after a bulk load, the page is found by a scan.
    pub fn list(
        &self,
        request: &ListingRequest,
        show: impl Fn(i64, &Product) -> Option<i64>,
        count: bool,
    ) -> Listed {
        match self.index.ready() {
            Some(index) => index_walk::list(&index, request, show, count),
            None => Listed {
                page: scan_products(self, request, show),
                scope: ScopeKey::All,
                generation: 0,
                scanned: true,
            },
        }
    }

    /// A listing's facets from the indexes' bitmaps (see `facets`), with the scope and its
    /// generation they depend on; by looking at every product while the indexes are rebuilt
    /// (then `scanned`).
    pub fn facets(
        &self,
        request: &ListingRequest,
        show: impl Fn(i64, &Product) -> Option<i64>,
        shape: FacetShape,
    ) -> (Facets, Option<(ScopeKey, u64)>) {
        match self.index.ready() {
            Some(index) => {
                let (facets, scope) = facets_index::facets(&index, request, show, shape);
                let generation = index.generation(&scope);
                (facets, Some((scope, generation)))
            }
            None => (facets::reference(self, request, show, shape), None),
        }
    }

    /// Products in the listing scope a filter's category and brand name (the smaller of the
    /// two; 0 for one nobody is in); the whole catalog while the indexes are rebuilt.
    pub fn scope_len(&self, category: Option<&str>, brand: Option<&str>) -> usize {
        let Some(index) = self.index.ready() else {
            return self.len(super::ViewKind::Products);
        };
        let filter = super::listing::ListingFilter {
            category: category.map(str::to_string),
            brand: brand.map(str::to_string),
            ..Default::default()
        };
        super::index::given_scopes(&filter)
            .iter()
            .map(|key| index.scopes.get(key).map_or(0, |s| s.len()))
            .min()
            .unwrap_or(0)
    }

    /// Bytes held by the facet bitmaps: the scopes' and those of `index_facets`.
    pub fn facet_bytes(&self) -> usize {
        let index = self.index.read();
        let scopes: usize = index
            .scopes
            .values()
            .map(|s| s.bits.serialized_size())
            .sum();
        scopes + index.facets.approx_bytes()
    }

    /// What an answer read of a listing scope still holds: the scope is at the generation it
    /// saw, or every change since is remembered and leaves its page as it was (then the
    /// dependency moves on to the current generation, so the next check starts from there).
    pub fn listing_holds(&self, dep: &ListingDep) -> bool {
        let index = self.index.read();
        let now = index.generation(&dep.scope);
        let seen = dep.seen.load(Ordering::Acquire);
        if now == seen {
            return true;
        }
        let (Some(window), Some(scope)) = (&dep.window, index.scopes.get(&dep.scope)) else {
            return false;
        };
        let untouched = scope
            .moves
            .since(seen)
            .is_some_and(|mut moves| moves.all(|change| window.untouched_by(change)));
        if untouched {
            dep.seen.fetch_max(now, Ordering::AcqRel);
        }
        untouched
    }
}
