//! The shutdown signal every long-lived connection and task listens to: one watch channel,
//! triggered once, so WebSocket and SSE subscriptions end themselves instead of holding
//! graceful shutdown open.

use tokio::sync::watch;

/// Fires the signal.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// Waits for the signal; cheap to clone, one per listener.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new, untriggered signal.
pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(rx))
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    /// A listener of this signal.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Shutdown {
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once the signal fires (at once if it already has, or if the trigger is gone).
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|fired| *fired).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_listener_sees_the_trigger() {
        let (trigger, first) = shutdown_channel();
        let second = trigger.subscribe();
        assert!(!first.is_triggered());
        let waiting = tokio::spawn(first.clone().wait());
        trigger.trigger();
        waiting.await.unwrap();
        assert!(first.is_triggered() && second.is_triggered());
        second.wait().await;
    }
}
