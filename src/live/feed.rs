//! One subscription's pipeline: a task drains the hub into the subscriber's coalescing buffer
//! (so coalescing goes on while the client is slow), and the stream hands out what is pending.
//! Dropping the stream stops the task and frees the subscription's slots.

use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};
use tokio::sync::{broadcast, Notify};
use tokio::task::AbortHandle;

use super::buffer::{Coalesce, CoalescingBuffer, Next};
use super::{SubscriptionSlot, ViewChange};

struct Shared<E> {
    buffer: Mutex<CoalescingBuffer<String, E>>,
    notify: Notify,
}

/// Stops the pump task when the subscriber's stream is dropped; holds its slots until then.
struct FeedGuard {
    pump: AbortHandle,
    _slots: Vec<Box<dyn Send + Sync>>,
}

impl Drop for FeedGuard {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// Starts a subscription: `translate` turns each hub change into buffered events (keyed by
/// SKU), `render` turns what the subscriber reads next into its GraphQL item.
pub fn subscribe<E, T>(
    mut changes: broadcast::Receiver<Arc<ViewChange>>,
    slot: SubscriptionSlot,
    extra_slot: Option<Box<dyn Send + Sync>>,
    max_keys: usize,
    mut translate: impl FnMut(&ViewChange, &mut CoalescingBuffer<String, E>) + Send + 'static,
    mut render: impl FnMut(Next<E>) -> T + Send + 'static,
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
    let pump = tokio::spawn(async move {
        loop {
            let change = changes.recv().await;
            {
                let mut buffer = pumped.buffer.lock().unwrap_or_else(|e| e.into_inner());
                match change {
                    Ok(change) => translate(&change, &mut buffer),
                    Err(broadcast::error::RecvError::Lagged(_)) => buffer.lost(),
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
            pumped.notify.notify_one();
        }
    });
    let mut slots: Vec<Box<dyn Send + Sync>> = vec![Box::new(slot)];
    slots.extend(extra_slot);
    let guard = FeedGuard {
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
    .map(move |next| render(next))
}
