//! Live changes: ingest publishes every applied change (old and new record) to a [`ChangeHub`];
//! each subscription turns them into events for its filters and market, through a bounded,
//! coalescing buffer, so a slow subscriber never slows ingest or anyone else.

pub mod buffer;
pub mod pipeline;
pub mod routes;
pub mod shared;
pub mod translate;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;

pub use shared::{Published, SharedTranslations};

use crate::views::{Catalog, Change, IntlContext, Inventory, Price, Product, ViewKind};

/// One applied change: the record before and after (`None`: absent / deleted).
#[derive(Debug, Clone)]
pub enum ViewChange {
    Product {
        id: String,
        old: Option<Arc<Product>>,
        new: Option<Arc<Product>>,
    },
    Price {
        sku: String,
        old: Option<Arc<Price>>,
        new: Option<Arc<Price>>,
    },
    Inventory {
        sku: String,
        old: Option<Arc<Inventory>>,
        new: Option<Arc<Inventory>>,
    },
    Intl {
        country: String,
        old: Option<Arc<IntlContext>>,
        new: Option<Arc<IntlContext>>,
    },
}

/// The view and key a change is about.
pub fn change_key(change: &Change) -> (ViewKind, &str) {
    match change {
        Change::Product(p) => (ViewKind::Products, &p.id),
        Change::Price(p) => (ViewKind::Prices, &p.sku),
        Change::Inventory(i) => (ViewKind::Inventory, &i.sku),
        Change::Intl(i) => (ViewKind::Intl, &i.country),
        Change::Reservation(r) => (ViewKind::Reservations, r.sku()),
        Change::Delete(kind, key) => (*kind, key),
    }
}

/// What the catalog holds for `(kind, key)` right now.
#[derive(Debug, Clone)]
pub enum Held {
    Product(Option<Arc<Product>>),
    Price(Option<Arc<Price>>),
    Inventory(Option<Arc<Inventory>>),
    Intl(Option<Arc<IntlContext>>),
}

impl Held {
    pub fn read(catalog: &Catalog, kind: ViewKind, key: &str) -> Self {
        use crate::views::StockAndPrices;
        match kind {
            ViewKind::Products => Held::Product(catalog.product(key)),
            ViewKind::Prices => Held::Price(catalog.price(key)),
            // Subscribers see stock net of holds: a hold or its end is an inventory change.
            ViewKind::Inventory | ViewKind::Reservations => {
                Held::Inventory(catalog.effective_inventory(key))
            }
            ViewKind::Intl => Held::Intl(catalog.intl(key)),
        }
    }

    /// The change from `self` (before) to `after`.
    pub fn into_change(self, key: &str, after: Held) -> Option<ViewChange> {
        let key = key.to_string();
        Some(match (self, after) {
            (Held::Product(old), Held::Product(new)) => ViewChange::Product { id: key, old, new },
            (Held::Price(old), Held::Price(new)) => ViewChange::Price { sku: key, old, new },
            (Held::Inventory(old), Held::Inventory(new)) => {
                ViewChange::Inventory { sku: key, old, new }
            }
            (Held::Intl(old), Held::Intl(new)) => ViewChange::Intl {
                country: key,
                old,
                new,
            },
            _ => return None,
        })
    }
}

/// Fans applied changes out to subscriptions. Sending never waits: a subscription that falls
/// more than `capacity` changes behind is told to resync.
#[derive(Debug)]
pub struct ChangeHub {
    sender: broadcast::Sender<Arc<Published>>,
    /// Numbers the published changes (see [`Published`]).
    published: AtomicU64,
    active: AtomicUsize,
    max_total: usize,
    /// Translations computed once for every subscription with no filter.
    pub shared: SharedTranslations,
    /// Filtered subscriptions, reached by the keys they name (see `routes`).
    pub routes: routes::Routes,
    /// Queue length of each routed subscription (the broadcast's capacity).
    capacity: usize,
}

/// Holds one subscription's place in the total; dropping it frees the place.
#[derive(Debug)]
pub struct SubscriptionSlot {
    hub: Arc<ChangeHub>,
    /// A routed subscription's place in the routing table.
    route: Option<u64>,
}

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        if let Some(id) = self.route {
            self.hub.routes.remove(id);
        }
        self.hub.active.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ChangeHub {
    pub fn new(capacity: usize, max_total: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        Self {
            sender,
            published: AtomicU64::new(0),
            active: AtomicUsize::new(0),
            max_total,
            shared: SharedTranslations::default(),
            routes: routes::Routes::default(),
            capacity: capacity.max(16),
        }
    }

    /// Anyone listening? Ingest skips the before/after reads when nobody is.
    pub fn has_subscribers(&self) -> bool {
        self.sender.receiver_count() > 0 || !self.routes.is_empty()
    }

    /// Publishes a change of the one storefront of a process without banners.
    pub fn publish(&self, change: ViewChange) {
        self.publish_in(&Arc::from(""), change, None);
    }

    /// Publishes a change of `banner`'s views (heard by that banner's subscriptions only): to
    /// the subscriptions with no filter, and to the filtered ones naming its SKU, `owner` (the
    /// product listing that SKU) or its product.
    pub fn publish_in(&self, banner: &Arc<str>, change: ViewChange, owner: Option<&str>) {
        let seq = self.published.fetch_add(1, Ordering::Relaxed);
        let banner = Arc::clone(banner);
        let published = Arc::new(Published {
            seq,
            banner,
            change,
        });
        if !self.routes.is_empty() {
            let keys = routes::Keys::of(&published.change, owner);
            self.routes.deliver(&published, keys);
        }
        if self.sender.receiver_count() > 0 {
            let _ = self.sender.send(published);
        }
    }

    /// Subscriptions open now.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Takes a place for a new subscription, if the total allows one more.
    pub fn open(
        self: &Arc<Self>,
    ) -> Option<(SubscriptionSlot, broadcast::Receiver<Arc<Published>>)> {
        let taken = self
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_total).then_some(n + 1)
            })
            .is_ok();
        taken.then(|| {
            (
                SubscriptionSlot {
                    hub: Arc::clone(self),
                    route: None,
                },
                self.sender.subscribe(),
            )
        })
    }

    /// Takes a place for a subscription filtered by `keys` (SKUs and product ids): it hears
    /// only the changes naming them, on a queue of its own.
    pub fn open_routed(
        self: &Arc<Self>,
        keys: Vec<String>,
    ) -> Option<(SubscriptionSlot, routes::Routed)> {
        let (mut slot, broadcast) = self.open()?;
        drop(broadcast);
        let routed = self.routes.add(keys, self.capacity);
        slot.route = Some(routed.id);
        Some((slot, routed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_subscriptions_are_bounded_and_freed_on_drop() {
        let hub = Arc::new(ChangeHub::new(16, 2));
        let a = hub.open().unwrap();
        let b = hub.open().unwrap();
        assert!(hub.open().is_none());
        assert_eq!(hub.active(), 2);
        assert!(hub.has_subscribers());
        drop(a);
        assert_eq!(hub.active(), 1);
        assert!(hub.open().is_some());
        drop(b);
    }
}
