//! Changes routed to the subscriptions that name them: a subscription filtered by SKUs or
//! product ids registers those keys, and a change reaches only the subscriptions naming its SKU
//! or its product (a country's pricing change, which moves every variant, reaches them all),
//! through a bounded queue of its own: a change of one SKU no longer wakes every subscription
//! task. Subscriptions with no filter listen to the hub's broadcast as before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::mpsc;

use super::{Published, ViewChange};

/// Which subscriptions a change concerns.
#[derive(Debug)]
pub enum Keys<'a> {
    /// Every routed subscription (a country's change).
    All,
    /// Those naming one of these SKUs or product ids.
    Some(Vec<&'a str>),
}

impl<'a> Keys<'a> {
    /// The keys of `change`: its SKU and `owner` (the product listing it), a product's id and
    /// every SKU it lists or listed, or all for a country.
    pub fn of(change: &'a ViewChange, owner: Option<&'a str>) -> Self {
        match change {
            ViewChange::Price { sku, .. } | ViewChange::Inventory { sku, .. } => {
                Keys::Some(std::iter::once(sku.as_str()).chain(owner).collect())
            }
            ViewChange::Product { id, old, new } => {
                let listed = old.iter().chain(new.iter()).flat_map(|p| &p.variants);
                let skus = listed.map(|v| v.sku.as_str());
                Keys::Some(std::iter::once(id.as_str()).chain(skus).collect())
            }
            ViewChange::Intl { .. } => Keys::All,
        }
    }
}

struct Target {
    sender: mpsc::Sender<Arc<Published>>,
    lost: Arc<AtomicBool>,
    keys: Vec<String>,
}

#[derive(Default)]
struct Table {
    by_key: HashMap<String, Vec<u64>>,
    targets: HashMap<u64, Target>,
}

/// The routing table of the filtered subscriptions.
#[derive(Default)]
pub struct Routes {
    table: RwLock<Table>,
    /// Subscriptions registered (read on every applied change: no lock).
    count: std::sync::atomic::AtomicUsize,
    next: AtomicU64,
    /// Changes handed to routed subscriptions (one per subscription reached).
    delivered: AtomicU64,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes")
            .field("delivered", &self.delivered.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A routed subscription's end: its queue and whether changes were dropped (it must resync).
pub struct Routed {
    pub changes: mpsc::Receiver<Arc<Published>>,
    pub lost: Arc<AtomicBool>,
    pub(super) id: u64,
}

impl Routes {
    /// Registers a subscription naming `keys`, with a queue of `capacity` changes.
    pub fn add(&self, keys: Vec<String>, capacity: usize) -> Routed {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (sender, changes) = mpsc::channel(capacity.max(1));
        let lost = Arc::new(AtomicBool::new(false));
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        for key in &keys {
            table.by_key.entry(key.clone()).or_default().push(id);
        }
        let target = Target {
            sender,
            lost: Arc::clone(&lost),
            keys,
        };
        table.targets.insert(id, target);
        self.count.fetch_add(1, Ordering::AcqRel);
        Routed { changes, lost, id }
    }

    pub fn remove(&self, id: u64) {
        let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
        let Some(target) = table.targets.remove(&id) else {
            return;
        };
        self.count.fetch_sub(1, Ordering::AcqRel);
        for key in target.keys {
            if let Some(ids) = table.by_key.get_mut(&key) {
                ids.retain(|i| *i != id);
                if ids.is_empty() {
                    table.by_key.remove(&key);
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// Changes handed to routed subscriptions so far.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Hands `published` to every subscription `keys` reaches, once each; a full queue marks
    /// its subscription as having lost changes (it resyncs), never waits.
    pub fn deliver(&self, published: &Arc<Published>, keys: Keys<'_>) {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        if table.targets.is_empty() {
            return;
        }
        let mut reached: Vec<u64> = match keys {
            Keys::All => table.targets.keys().copied().collect(),
            Keys::Some(keys) => keys
                .iter()
                .filter_map(|k| table.by_key.get(*k))
                .flatten()
                .copied()
                .collect(),
        };
        reached.sort_unstable();
        reached.dedup();
        for id in reached {
            let Some(target) = table.targets.get(&id) else {
                continue;
            };
            match target.sender.try_send(Arc::clone(published)) {
                Ok(()) => {
                    self.delivered.fetch_add(1, Ordering::Relaxed);
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    target.lost.store(true, Ordering::Release);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::price;

    fn priced(sku: &str) -> Arc<Published> {
        Arc::new(Published {
            seq: 0,
            banner: "".into(),
            change: ViewChange::Price {
                sku: sku.into(),
                old: None,
                new: Some(Arc::new(price(sku, 1, 100, None))),
            },
        })
    }

    #[test]
    fn a_change_reaches_the_subscriptions_naming_its_sku_or_product_only() {
        let routes = Routes::default();
        let mut by_sku = routes.add(vec!["a".into()], 8);
        let mut by_product = routes.add(vec!["p".into(), "a".into()], 8);
        let mut other = routes.add(vec!["b".into()], 8);
        let change = priced("a");
        routes.deliver(&change, Keys::of(&change.change, Some("p")));
        assert!(by_sku.changes.try_recv().is_ok());
        assert!(
            by_product.changes.try_recv().is_ok(),
            "once, though named twice"
        );
        assert!(by_product.changes.try_recv().is_err());
        assert!(other.changes.try_recv().is_err(), "never woken");
        assert_eq!(routes.delivered(), 2);
        routes.remove(by_sku.id);
        routes.deliver(&change, Keys::All);
        assert!(by_sku.changes.try_recv().is_err(), "removed");
        assert!(
            other.changes.try_recv().is_ok(),
            "a country's change reaches all"
        );
    }

    #[test]
    fn a_full_queue_marks_its_subscription_lost_and_never_waits() {
        let routes = Routes::default();
        let slow = routes.add(vec!["a".into()], 2);
        let change = priced("a");
        for _ in 0..5 {
            routes.deliver(&change, Keys::of(&change.change, None));
        }
        assert!(slow.lost.load(Ordering::Acquire));
        assert_eq!(routes.delivered(), 2, "bounded by its queue");
        routes.remove(slow.id);
        assert!(routes.is_empty());
    }
}
