//! The recent history of which keys changed: a change counter and a ring of the changed keys'
//! hashes, so a memoized answer is re-checked against the few changes since it was last found
//! current rather than against every record it read.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Changes remembered: an answer last checked more changes ago is checked record by record.
const RING: usize = 4096;

/// The hash recorded for a change that may touch any key (a bulk load ending).
const ANY_KEY: u64 = 0;

/// The hash of a key as the change log records it (the same in every view: a price and a
/// stock change of one SKU look alike, which only makes checks more careful).
pub fn key_hash(key: &str) -> u64 {
    match foldhash::fast::FixedState::with_seed(0x5eed).hash_one(key) {
        ANY_KEY => 1,
        h => h,
    }
}

#[derive(Debug)]
pub struct ChangeLog {
    /// Changes recorded so far; change `n`'s key hash is in `ring[n % RING]`.
    count: AtomicU64,
    ring: Box<[AtomicU64]>,
    /// Writers (ingest, the holds clock, bulk loads) take turns; readers never lock.
    writer: Mutex<()>,
}

impl Default for ChangeLog {
    fn default() -> Self {
        Self {
            count: AtomicU64::new(0),
            ring: (0..RING).map(|_| AtomicU64::new(ANY_KEY)).collect(),
            writer: Mutex::new(()),
        }
    }
}

impl ChangeLog {
    /// Records that the key with this hash (see [`key_hash`]) changed (`None`: any key may
    /// have), after the change is in place.
    pub fn record(&self, key: Option<u64>) {
        let _turn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let n = self.count.load(Ordering::Relaxed);
        let hash = key.unwrap_or(ANY_KEY);
        self.ring[(n % RING as u64) as usize].store(hash, Ordering::Release);
        self.count.store(n + 1, Ordering::Release);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    /// Whether a key for which `watched` holds changed in changes `from..to`: `None` when
    /// they are no longer all remembered (or one may have touched any key).
    pub fn touched(&self, from: u64, to: u64, watched: impl Fn(u64) -> bool) -> Option<bool> {
        if to < from || to - from > RING as u64 / 2 {
            return None;
        }
        let mut touched = false;
        for n in from..to {
            match self.ring[(n % RING as u64) as usize].load(Ordering::Acquire) {
                ANY_KEY => return None,
                hash => touched |= watched(hash),
            }
        }
        // Writers may have lapped the ring while it was read: then trust none of it.
        (self.count() - from <= RING as u64).then_some(touched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_changes_are_found_and_old_ones_are_not_trusted() {
        let log = ChangeLog::default();
        log.record(Some(key_hash("a")));
        log.record(Some(key_hash("b")));
        let a = key_hash("a");
        assert_eq!(log.touched(0, 2, |h| h == a), Some(true));
        assert_eq!(log.touched(1, 2, |h| h == a), Some(false));
        assert_eq!(log.touched(2, 2, |h| h == a), Some(false));
        log.record(None);
        assert_eq!(log.touched(1, 3, |_| false), None, "a change to any key");
        for i in 0..RING {
            log.record(Some(key_hash(&i.to_string())));
        }
        assert_eq!(log.touched(3, log.count(), |_| false), None, "too long ago");
        let now = log.count();
        assert_eq!(log.touched(now - 10, now, |h| h == a), Some(false));
    }
}
