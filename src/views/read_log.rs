//! What one computation read, record by record: the log that proves a memoized answer current
//! (every record still the very one read) before it is reused.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::changes::key_hash;
use super::index::ScopeKey;
use super::index_moves::Window;
use super::{Catalog, StockAndPrices, ViewKind};

/// One record as read: the stored value itself (kept alive, so its identity cannot be reused).
/// Identity, not version, is compared: a record deleted and re-created with the same version
/// is a different record.
#[derive(Debug, Clone)]
pub struct Seen(Arc<dyn Any + Send + Sync>);

impl Seen {
    pub(super) fn of<T: Any + Send + Sync>(record: &Arc<T>) -> Self {
        Seen(Arc::clone(record) as Arc<dyn Any + Send + Sync>)
    }

    pub(super) fn is<T: Any + Send + Sync>(&self, now: &Arc<T>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(now))
    }

    pub(super) fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        Arc::clone(&self.0).downcast::<T>().ok()
    }
}

/// Two logs are equal when they read the same keys and saw the same records.
impl PartialEq for Seen {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Seen {}

/// What was read under one key, per view (`None`: not read; `Some(None)`: read, absent). One
/// entry per key whatever the views, so a SKU's price, stock and holds share one allocation and
/// a repeated read allocates nothing.
pub(super) type Slots = [Option<Option<Seen>>; ViewKind::ALL.len()];

/// A listing scope an answer walked: the generation it saw (moved on when the changes since
/// are found not to touch the answer) and, for a page, what decides that (see `index_moves`;
/// without it, any change in the scope outdates the answer).
#[derive(Debug)]
pub struct ListingDep {
    pub(super) scope: ScopeKey,
    pub(super) seen: AtomicU64,
    pub(super) window: Option<Arc<Window>>,
}

impl ListingDep {
    pub(super) fn new(scope: ScopeKey, seen: u64, window: Option<Window>) -> Self {
        ListingDep {
            scope,
            seen: AtomicU64::new(seen),
            window: window.map(Arc::new),
        }
    }
}

impl Clone for ListingDep {
    fn clone(&self) -> Self {
        ListingDep {
            scope: self.scope.clone(),
            seen: AtomicU64::new(self.seen.load(Ordering::Acquire)),
            window: self.window.clone(),
        }
    }
}

/// Two dependencies are equal when they name one scope at one generation.
impl PartialEq for ListingDep {
    fn eq(&self, other: &Self) -> bool {
        self.scope == other.scope
            && self.seen.load(Ordering::Acquire) == other.seen.load(Ordering::Acquire)
    }
}

impl Eq for ListingDep {}

/// The records one computation read, as it saw them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadLog {
    pub(super) reads: HashMap<Box<str>, Slots, foldhash::fast::RandomState>,
    /// It depends on more than it can check (a scan, the wall clock): never memoized.
    pub(super) scanned: bool,
    /// Listing scopes it walked, at the generation it saw (see `index`).
    pub(super) listings: Vec<ListingDep>,
    /// The keys read, hashed as the catalog's change log records them, sorted.
    pub(super) hashes: Vec<u64>,
    /// A hold it read ends then (catalog clock): the answer is outdated from that time on.
    pub(super) valid_until_ms: Option<i64>,
    /// It hands out something that ages (a price quote): reuse it only until then (Unix ms).
    pub(super) reusable_until_unix_ms: Option<i64>,
    /// It read availability while no SKU had ever been held (holds not read): the first hold
    /// anywhere outdates it.
    pub(super) before_any_hold: bool,
}

impl ReadLog {
    /// An empty log with room for `keys` keys without growing (a product page reads a dozen).
    pub(super) fn with_capacity(keys: usize) -> Self {
        Self {
            reads: HashMap::with_capacity_and_hasher(keys, Default::default()),
            ..Self::default()
        }
    }

    /// The log of a finished computation: nothing but the flag for scans, else with its keys'
    /// hashes (sorted) for the change log's quick check.
    pub(super) fn finished(mut self) -> ReadLog {
        if self.scanned {
            return ReadLog {
                scanned: true,
                ..ReadLog::default()
            };
        }
        self.hashes = self.reads.keys().map(|k| key_hash(k)).collect();
        self.hashes.sort_unstable();
        self.hashes.dedup();
        self
    }

    /// Worth memoizing: bounded reads that can be re-checked cheaply.
    pub fn is_checkable(&self) -> bool {
        !self.scanned
    }

    /// Records read (a key read in two views counts twice).
    pub fn len(&self) -> usize {
        self.reads
            .values()
            .map(|slots| slots.iter().filter(|s| s.is_some()).count())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.reads.is_empty() && self.listings.is_empty()
    }

    /// [`ReadLog::still_current`], checking records only when a key it read changed since the
    /// log was last found current (`verified` holds the catalog's change count then; `u64::MAX`
    /// before the first check), or when those changes are no longer remembered.
    pub fn still_current_since(&self, catalog: &Catalog, verified: &AtomicU64) -> bool {
        let now = catalog.changes();
        let since = verified.load(Ordering::Acquire);
        let read = |hash| self.hashes.binary_search(&hash).is_ok();
        let untouched =
            since != u64::MAX && catalog.change_log().touched(since, now, read) == Some(false);
        let current = match untouched {
            true => self.conditions_hold(catalog),
            false => self.still_current(catalog),
        };
        if current {
            verified.store(now, Ordering::Release);
        }
        current
    }

    /// What is checked besides the records: no scan, no hold since (if it read stock before any
    /// hold), none of the holds it read ended, the listing scopes it walked unchanged.
    fn conditions_hold(&self, catalog: &Catalog) -> bool {
        !self.scanned
            && self
                .reusable_until_unix_ms
                .is_none_or(|t| crate::clock::unix_ms() < t)
            && (!self.before_any_hold || catalog.never_held())
            && self
                .valid_until_ms
                .is_none_or(|until| catalog.clock_ms() < until)
            && self.listings.iter().all(|dep| catalog.listing_holds(dep))
    }

    /// True when every record read is still the very record that was read (or still absent).
    pub fn still_current(&self, catalog: &Catalog) -> bool {
        fn same<T: Any + Send + Sync>(seen: &Option<Seen>, now: Option<Arc<T>>) -> bool {
            match (seen, now) {
                (None, None) => true,
                (Some(seen), Some(now)) => seen.is(&now),
                _ => false,
            }
        }
        self.conditions_hold(catalog)
            && self.reads.iter().all(|(key, slots)| {
                ViewKind::ALL.iter().zip(slots).all(|(kind, slot)| {
                    let Some(seen) = slot else {
                        return true;
                    };
                    match kind {
                        ViewKind::Products => same(seen, catalog.product(key)),
                        ViewKind::Prices => same(seen, catalog.price(key)),
                        ViewKind::Inventory => same(seen, catalog.inventory(key)),
                        ViewKind::Intl => same(seen, catalog.intl(key)),
                        ViewKind::Reservations => same(seen, catalog.holds(key)),
                    }
                })
            })
    }
}
