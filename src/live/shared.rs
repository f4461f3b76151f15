//! Translations shared between subscriptions: the events one change gives in one market to a
//! subscription with no filter are computed once, by the first subscription that needs them,
//! and reused by every other (an FX move of a country no longer walks the catalog once per
//! subscriber). Filtered subscriptions translate on their own: they look at few variants.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::buffer::CoalescingBuffer;
use super::translate::{price_events, stock_events, Filter, MarketRef, PriceEvent, StockEvent};
use super::ViewChange;
use crate::views::Catalog;

/// A change as the hub hands it out: numbered, so translations of it can be shared.
#[derive(Debug)]
pub struct Published {
    pub seq: u64,
    /// The banner (storefront name) whose views changed; subscriptions hear their own only.
    pub banner: Arc<str>,
    pub change: ViewChange,
}

/// Translations of the most recent changes: a subscription that falls further behind
/// translates on its own (same events, more work), so memory stays bounded.
const REMEMBERED: usize = 64;

struct Slot<K, E> {
    seq: u64,
    key: K,
    events: Arc<OnceLock<Arc<[E]>>>,
}

/// The shared translations of one kind of event, keyed by change and `K`.
struct Recent<K, E> {
    slots: Mutex<VecDeque<Slot<K, E>>>,
    /// Translations computed so far.
    computed: AtomicU64,
}

impl<K, E> Default for Recent<K, E> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(VecDeque::with_capacity(REMEMBERED)),
            computed: AtomicU64::new(0),
        }
    }
}

impl<K: PartialEq + Clone, E> Recent<K, E> {
    /// The events of change `seq` under `key`: computed by the first caller, while the others
    /// asking for the same wait for it rather than compute it again.
    fn get(&self, seq: u64, key: &K, compute: impl FnOnce() -> Vec<E>) -> Arc<[E]> {
        let cell = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            match slots.iter().find(|s| s.seq == seq && s.key == *key) {
                Some(slot) => Arc::clone(&slot.events),
                None => {
                    if slots.len() >= REMEMBERED {
                        slots.pop_front();
                    }
                    let events = Arc::new(OnceLock::new());
                    slots.push_back(Slot {
                        seq,
                        key: key.clone(),
                        events: Arc::clone(&events),
                    });
                    events
                }
            }
        };
        Arc::clone(cell.get_or_init(|| {
            self.computed.fetch_add(1, Ordering::Relaxed);
            compute().into()
        }))
    }
}

/// The hub's shared translations.
#[derive(Default)]
pub struct SharedTranslations {
    prices: Recent<MarketRef, PriceEvent>,
    stock: Recent<i32, StockEvent>,
}

impl std::fmt::Debug for SharedTranslations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedTranslations")
    }
}

/// Events with distinct keys taken from the front of a translation: one more than a buffer
/// holds tells it as surely as all of them that it must ask for a resync.
fn up_to<E>(limit: usize, translate: impl FnOnce(&mut dyn FnMut(E) -> bool)) -> Vec<E> {
    let mut events = Vec::new();
    translate(&mut |e| {
        events.push(e);
        events.len() < limit
    });
    events
}

/// Pushes shared events into a buffer until it gives up (resync).
fn push_all<E: Clone + super::buffer::Coalesce>(
    events: &[E],
    key: impl Fn(&E) -> &str,
    buffer: &mut CoalescingBuffer<String, E>,
) {
    for e in events {
        if !buffer.push(key(e).to_string(), e.clone()) {
            return;
        }
    }
}

impl SharedTranslations {
    /// Shared translations computed so far (price and stock).
    pub fn computed(&self) -> u64 {
        self.prices.computed.load(Ordering::Relaxed) + self.stock.computed.load(Ordering::Relaxed)
    }

    /// Translates `published` into price events for a subscription's buffer.
    pub fn push_prices(
        &self,
        published: &Published,
        catalog: &Catalog,
        filter: &Filter,
        market: &MarketRef,
        buffer: &mut CoalescingBuffer<String, PriceEvent>,
    ) {
        let change = &published.change;
        if !filter.is_all() {
            price_events(change, catalog, filter, market, |e| {
                buffer.push(e.sku.clone(), e)
            });
            return;
        }
        let limit = buffer.max_keys() + 1;
        let events = self.prices.get(published.seq, market, || {
            up_to(limit, |emit| {
                price_events(change, catalog, filter, market, emit)
            })
        });
        push_all(&events, |e| &e.sku, buffer);
    }

    /// Translates `published` into stock events for a subscription's buffer.
    pub fn push_stock(
        &self,
        published: &Published,
        catalog: &Catalog,
        filter: &Filter,
        low_stock_below: i32,
        buffer: &mut CoalescingBuffer<String, StockEvent>,
    ) {
        let change = &published.change;
        if !filter.is_all() {
            stock_events(change, catalog, filter, low_stock_below, |e| {
                buffer.push(e.sku.clone(), e)
            });
            return;
        }
        let limit = buffer.max_keys() + 1;
        let events = self.stock.get(published.seq, &low_stock_below, || {
            up_to(limit, |emit| {
                stock_events(change, catalog, filter, low_stock_below, emit)
            })
        });
        push_all(&events, |e| &e.sku, buffer);
    }
}

#[cfg(test)]
#[path = "shared_tests.rs"]
mod tests;
