//! A subscriber's bounded buffer: the latest pending event per key (older ones for the same key
//! are merged away), and a resync flag once more keys are pending than it may hold.

use std::hash::Hash;

use indexmap::IndexMap;

/// Something that can absorb a newer event for the same key.
pub trait Coalesce {
    /// Merges `newer` into `self` (e.g. keep the oldest "previous", take the newest "current").
    fn absorb(&mut self, newer: Self);
}

/// What a subscriber reads next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next<E> {
    Event(E),
    /// Events were dropped: the client should refetch what it shows.
    Resync,
}

#[derive(Debug)]
pub struct CoalescingBuffer<K, E> {
    pending: IndexMap<K, E>,
    max_keys: usize,
    resync: bool,
}

impl<K: Hash + Eq, E: Coalesce> CoalescingBuffer<K, E> {
    pub fn new(max_keys: usize) -> Self {
        Self {
            pending: IndexMap::new(),
            max_keys: max_keys.max(1),
            resync: false,
        }
    }

    /// Adds an event; returns false once the buffer had to give up and ask for a resync.
    pub fn push(&mut self, key: K, event: E) -> bool {
        if self.resync {
            return false;
        }
        if let Some(pending) = self.pending.get_mut(&key) {
            pending.absorb(event);
            return true;
        }
        if self.pending.len() >= self.max_keys {
            self.lost();
            return false;
        }
        self.pending.insert(key, event);
        true
    }

    /// Events were lost upstream (or would be): drop what is pending and ask for a resync.
    pub fn lost(&mut self) {
        self.pending.clear();
        self.resync = true;
    }

    /// The oldest pending item; a resync comes before any event pushed after it.
    pub fn pop(&mut self) -> Option<Next<E>> {
        if self.resync {
            self.resync = false;
            return Some(Next::Resync);
        }
        self.pending
            .shift_remove_index(0)
            .map(|(_, e)| Next::Event(e))
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Most keys pending before it gives up and asks for a resync.
    pub fn max_keys(&self) -> usize {
        self.max_keys
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && !self.resync
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Move {
        from: i64,
        to: i64,
    }

    impl Coalesce for Move {
        fn absorb(&mut self, newer: Self) {
            self.to = newer.to;
        }
    }

    #[test]
    fn same_key_events_are_coalesced_in_arrival_order() {
        let mut b = CoalescingBuffer::new(4);
        b.push("a", Move { from: 1, to: 2 });
        b.push("b", Move { from: 5, to: 6 });
        b.push("a", Move { from: 2, to: 3 });
        b.push("a", Move { from: 3, to: 4 });
        assert_eq!(b.len(), 2);
        assert_eq!(b.pop(), Some(Next::Event(Move { from: 1, to: 4 })));
        assert_eq!(b.pop(), Some(Next::Event(Move { from: 5, to: 6 })));
        assert_eq!(b.pop(), None);
        assert!(b.is_empty());
    }

    #[test]
    fn overflow_becomes_one_resync_then_events_flow_again() {
        let mut b = CoalescingBuffer::new(2);
        assert!(b.push(1, Move { from: 0, to: 1 }));
        assert!(b.push(2, Move { from: 0, to: 1 }));
        assert!(!b.push(3, Move { from: 0, to: 1 }));
        assert!(
            !b.push(4, Move { from: 0, to: 1 }),
            "nothing is kept until the resync is read"
        );
        assert_eq!(b.pop(), Some(Next::Resync));
        assert_eq!(b.pop(), None);
        assert!(b.push(5, Move { from: 0, to: 9 }));
        assert_eq!(b.pop(), Some(Next::Event(Move { from: 0, to: 9 })));
    }
}
