//! One subscription's pipeline: a task drains the hub into the subscriber's coalescing buffer
//! (so coalescing goes on while the client is slow), and the stream hands out what is pending.
//! Dropping the stream stops the task and frees the subscription's slots.

use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};
use tokio::sync::{broadcast, Notify};
use tokio::task::AbortHandle;

use super::buffer::{Coalesce, CoalescingBuffer, Next};
use super::routes::Routed;
use super::{Published, SubscriptionSlot};

/// Where a subscription's changes come from: the hub's broadcast (no filter), or its own queue
/// of the changes naming its keys (see `routes`).
pub enum Source {
    Broadcast(broadcast::Receiver<Arc<Published>>),
    Routed(Routed),
}

/// What a source hands out next.
enum Received {
    Change(Arc<Published>),
    /// Changes were dropped for this subscriber: it resyncs.
    Lost,
    Closed,
}

impl Source {
    async fn next(&mut self) -> Received {
        match self {
            Source::Broadcast(changes) => match changes.recv().await {
                Ok(change) => Received::Change(change),
                Err(broadcast::error::RecvError::Lagged(_)) => Received::Lost,
                Err(broadcast::error::RecvError::Closed) => Received::Closed,
            },
            Source::Routed(routed) => {
                let Some(change) = routed.changes.recv().await else {
                    return Received::Closed;
                };
                // A full queue dropped the newest changes: what is still queued is older than
                // them, so it goes too (an event from it would show a superseded price).
                if routed.lost.swap(false, std::sync::atomic::Ordering::AcqRel) {
                    while routed.changes.try_recv().is_ok() {}
                    return Received::Lost;
                }
                Received::Change(change)
            }
        }
    }
}

impl From<broadcast::Receiver<Arc<Published>>> for Source {
    fn from(changes: broadcast::Receiver<Arc<Published>>) -> Self {
        Source::Broadcast(changes)
    }
}

struct Shared<E> {
    buffer: Mutex<CoalescingBuffer<String, E>>,
    notify: Notify,
}

/// Stops the pump task when the subscriber's stream is dropped; holds its slots until then.
struct PipelineGuard {
    pump: AbortHandle,
    _slots: Vec<Box<dyn Send + Sync>>,
}

impl Drop for PipelineGuard {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// Starts a subscription: `translate` turns each hub change into buffered events (keyed by
/// SKU), `render` turns what the subscriber reads next into its GraphQL item.
pub fn subscribe<E, T>(
    changes: impl Into<Source>,
    slot: SubscriptionSlot,
    extra_slot: Option<Box<dyn Send + Sync>>,
    max_keys: usize,
    mut translate: impl FnMut(&Published, &mut CoalescingBuffer<String, E>) + Send + 'static,
    render: impl FnMut(Next<E>) -> T + Send + 'static,
) -> impl Stream<Item = T> + Send + 'static
where
    E: Coalesce + Send + 'static,
    T: Send + 'static,
{
    let shared = Arc::new(Shared {
        buffer: Mutex::new(CoalescingBuffer::new(max_keys)),
        notify: Notify::new(),
    });
    let pumped = Arc::clone(&shared);
    let mut changes = changes.into();
    let pump = tokio::spawn(async move {
        loop {
            let change = changes.next().await;
            let pending = {
                let mut buffer = pumped.buffer.lock().unwrap_or_else(|e| e.into_inner());
                match change {
                    Received::Change(change) => translate(&change, &mut buffer),
                    Received::Lost => buffer.lost(),
                    Received::Closed => return,
                }
                !buffer.is_empty()
            };
            // Most changes are of no interest to most subscribers: only wake the stream when
            // there is something for it.
            if pending {
                pumped.notify.notify_one();
            }
        }
    });
    let mut slots: Vec<Box<dyn Send + Sync>> = vec![Box::new(slot)];
    slots.extend(extra_slot);
    let guard = PipelineGuard {
        pump: pump.abort_handle(),
        _slots: slots,
    };
    futures::stream::unfold((shared, guard), move |(shared, guard)| {
        let next = async move {
            loop {
                let popped = shared
                    .buffer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop();
                if let Some(next) = popped {
                    return (next, (shared, guard));
                }
                shared.notify.notified().await;
            }
        };
        async move { Some(next.await) }
    })
    .map(render)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::FutureExt;

    use super::*;
    use crate::live::translate::{price_events, Filter, MarketRef, PriceEvent};
    use crate::live::ChangeHub;
    use crate::live::ViewChange;
    use crate::views::testing::{price, product};
    use crate::views::{Catalog, Change};

    fn catalog(skus: &[&str]) -> Arc<Catalog> {
        let c = Catalog::new();
        c.apply(Change::Product(product("p", 1, skus)));
        Arc::new(c)
    }

    fn move_price(sku: &str, version: u64, from: i64, to: i64) -> ViewChange {
        ViewChange::Price {
            sku: sku.into(),
            old: Some(Arc::new(price(sku, version - 1, from, None))),
            new: Some(Arc::new(price(sku, version, to, None))),
        }
    }

    /// A price subscription over everything, as `(previous, price)` amounts, or `None` for a resync.
    fn prices(
        hub: &Arc<ChangeHub>,
        catalog: Arc<Catalog>,
        max_keys: usize,
    ) -> impl Stream<Item = Option<(i64, i64)>> + Unpin {
        let (slot, changes) = hub.open().unwrap();
        Box::pin(subscribe(
            changes,
            slot,
            None,
            max_keys,
            move |change, buffer| {
                price_events(
                    &change.change,
                    &catalog,
                    &Filter::default(),
                    &MarketRef::Base,
                    |e: PriceEvent| buffer.push(e.sku.clone(), e),
                )
            },
            |next| match next {
                Next::Event(e) => Some((
                    e.previous.unwrap().amount_minor,
                    e.price.unwrap().amount_minor,
                )),
                Next::Resync => None,
            },
        ))
    }

    /// A price subscription filtered to `sku`, routed (it hears changes naming `sku` only).
    fn routed_prices(
        hub: &Arc<ChangeHub>,
        catalog: Arc<Catalog>,
        sku: &str,
    ) -> impl Stream<Item = Option<(i64, i64)>> + Unpin {
        let (slot, routed) = hub.open_routed(vec![sku.to_string()]).unwrap();
        let filter = Filter {
            skus: [sku.to_string()].into(),
            ..Filter::default()
        };
        Box::pin(subscribe(
            Source::Routed(routed),
            slot,
            None,
            8,
            move |change, buffer| {
                price_events(
                    &change.change,
                    &catalog,
                    &filter,
                    &MarketRef::Base,
                    |e: PriceEvent| buffer.push(e.sku.clone(), e),
                )
            },
            |next| match next {
                Next::Event(e) => Some((
                    e.previous.unwrap().amount_minor,
                    e.price.unwrap().amount_minor,
                )),
                Next::Resync => None,
            },
        ))
    }

    /// Changes of other SKUs never reach a filtered subscription (its task is not woken); its
    /// own do, and a queue it cannot keep up with ends in a resync, as on the broadcast.
    #[tokio::test(flavor = "current_thread")]
    async fn a_filtered_subscription_hears_only_the_changes_naming_it() {
        let hub = Arc::new(ChangeHub::new(16, 10));
        let mut stream = routed_prices(&hub, catalog(&["a", "b"]), "a");
        let banner: Arc<str> = "".into();
        for v in 2..200 {
            hub.publish_in(&banner, move_price("b", v, 1, v as i64), Some("p"));
        }
        settle().await;
        assert_eq!(
            hub.routes.delivered(),
            0,
            "199 changes of `b`: never handed over"
        );
        assert!(stream.next().now_or_never().is_none());
        hub.publish_in(&banner, move_price("a", 2, 1, 2), Some("p"));
        assert_eq!(stream.next().await, Some(Some((1, 2))));
        assert_eq!(hub.routes.delivered(), 1);
        // The pump cannot run while this loop holds the only thread: its queue overflows.
        for v in 3..100 {
            hub.publish_in(&banner, move_price("a", v, 1, v as i64), None);
        }
        settle().await;
        assert_eq!(stream.next().await, Some(None), "told to resync");
        assert!(
            stream.next().now_or_never().is_none(),
            "nothing superseded follows"
        );
        hub.publish_in(&banner, move_price("a", 100, 99, 100), None);
        assert_eq!(stream.next().await, Some(Some((99, 100))));
        drop(stream);
        settle().await;
        assert!(
            hub.routes.is_empty(),
            "dropping the stream leaves the routes"
        );
        assert_eq!(hub.active(), 0);
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_slow_subscriber_gets_the_latest_price_per_variant() {
        let hub = Arc::new(ChangeHub::new(1024, 10));
        let mut stream = prices(&hub, catalog(&["a", "b"]), 8);
        for v in 2..12 {
            hub.publish(move_price("a", v, v as i64 * 100, (v as i64 + 1) * 100));
        }
        hub.publish(move_price("b", 2, 5, 6));
        settle().await;
        assert_eq!(
            stream.next().await,
            Some(Some((200, 1200))),
            "ten moves of `a`, one event"
        );
        assert_eq!(stream.next().await, Some(Some((5, 6))));
        assert!(
            stream.next().now_or_never().is_none(),
            "nothing else pending"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn too_many_pending_variants_become_one_resync() {
        let skus = ["a", "b", "c", "d", "e", "f"];
        let hub = Arc::new(ChangeHub::new(1024, 10));
        let mut stream = prices(&hub, catalog(&skus), 4);
        for sku in skus {
            hub.publish(move_price(sku, 2, 1, 2));
        }
        settle().await;
        assert_eq!(stream.next().await, Some(None), "resync");
        assert!(stream.next().now_or_never().is_none());
        hub.publish(move_price("a", 3, 2, 3));
        assert_eq!(
            stream.next().await,
            Some(Some((2, 3))),
            "events flow again after a resync"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn ingest_never_waits_and_a_lagging_subscriber_resyncs() {
        let hub = Arc::new(ChangeHub::new(16, 10));
        let mut stream = prices(&hub, catalog(&["a"]), 8);
        // The pump cannot run while this loop holds the only thread: the hub overruns it.
        for v in 2..1_000 {
            hub.publish(move_price("a", v, 1, v as i64));
        }
        settle().await;
        assert_eq!(
            stream.next().await,
            Some(None),
            "told to resync, not silently gapped"
        );
        hub.publish(move_price("a", 1_000, 999, 1_000));
        assert_eq!(stream.next().await, Some(Some((999, 1_000))));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn dropping_the_stream_stops_the_pump_and_frees_the_slot() {
        let hub = Arc::new(ChangeHub::new(16, 10));
        let stream = prices(&hub, catalog(&["a"]), 8);
        assert_eq!(hub.active(), 1);
        assert!(hub.has_subscribers());
        drop(stream);
        settle().await;
        assert_eq!(hub.active(), 0);
        assert!(
            !hub.has_subscribers(),
            "the pump task ended and dropped its receiver"
        );
    }
}
