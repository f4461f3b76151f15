//! Stock reservations decided by the log: holds on SKUs, and the reservations they belong to.
//!
//! Every replica applies the reservation topic in order and decides each hold request the same
//! way, from the log alone: a line is held up to what is available at that point of the log,
//! on-hand stock (the inventory view) minus the holds still active at the request's *log*
//! timestamp (never the local clock). Holds end when they expire (their log time plus their
//! TTL), when released, or when an inventory record names their reservation (the warehouse has
//! taken the order and its on-hand count already accounts for it).

use std::collections::BTreeMap;
use std::sync::Arc;

/// What a reservation event asks for (topic `vitrine.reservations`, key = SKU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationEvent {
    /// Hold `quantity` units of `sku` for reservation `id`, for `ttl_ms` from the event's log
    /// time. `lines` is how many lines (one event each) the reservation has.
    Hold {
        id: String,
        sku: String,
        quantity: i32,
        ttl_ms: i64,
        client: String,
        lines: u32,
        at_ms: i64,
    },
    /// Release reservation `id`'s hold on `sku`.
    Release { id: String, sku: String },
    /// A decided line, as Vitrine's own snapshots carry it.
    Decided(HeldLine),
}

impl ReservationEvent {
    pub fn sku(&self) -> &str {
        match self {
            ReservationEvent::Hold { sku, .. } | ReservationEvent::Release { sku, .. } => sku,
            ReservationEvent::Decided(line) => &line.sku,
        }
    }
}

/// One decided line of a reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLine {
    pub reservation: String,
    pub sku: String,
    pub requested: i32,
    /// Units the log granted (0 to `requested`).
    pub held: i32,
    /// Log time (Unix ms) the hold ends.
    pub expires_at_ms: i64,
    pub client: String,
    /// Lines of its reservation.
    pub lines: u32,
    /// Released, or accounted for by an inventory record: no longer holds stock.
    pub ended: Option<HoldEnd>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldEnd {
    Released,
    /// An inventory record named the reservation: the stock left on-hand with the order.
    Accounted,
}

impl HeldLine {
    /// Units this line holds at `now_ms`.
    pub fn holding_at(&self, now_ms: i64) -> i32 {
        if self.ended.is_some() || self.expires_at_ms <= now_ms {
            0
        } else {
            self.held
        }
    }
}

/// A reservation as decided so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub id: String,
    /// Lines the reservation has; it is decided once all are.
    pub lines_expected: u32,
    /// Decided lines, by SKU.
    pub lines: BTreeMap<String, HeldLine>,
}

/// What a reservation amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationStatus {
    /// Not every line decided yet.
    Pending,
    Held,
    Partial,
    Rejected,
    Released,
    Expired,
}

impl Reservation {
    pub fn is_decided(&self) -> bool {
        self.lines.len() as u32 >= self.lines_expected
    }

    /// The earliest end of its holds (log time).
    pub fn expires_at_ms(&self) -> Option<i64> {
        self.lines.values().map(|l| l.expires_at_ms).min()
    }

    pub fn status(&self, now_ms: i64) -> ReservationStatus {
        if !self.is_decided() {
            return ReservationStatus::Pending;
        }
        let held = self.lines.values().filter(|l| l.held > 0).count();
        if held == 0 {
            return ReservationStatus::Rejected;
        }
        if self
            .lines
            .values()
            .any(|l| l.ended == Some(HoldEnd::Released))
        {
            return ReservationStatus::Released;
        }
        if self.expires_at_ms().is_some_and(|t| t <= now_ms)
            && self.lines.values().all(|l| l.ended.is_none())
        {
            return ReservationStatus::Expired;
        }
        if self.lines.values().all(|l| l.held == l.requested) {
            ReservationStatus::Held
        } else {
            ReservationStatus::Partial
        }
    }
}

/// The holds on one SKU (decided lines of every reservation touching it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuHolds {
    pub lines: Vec<HeldLine>,
}

impl SkuHolds {
    /// Units held at `now_ms`.
    pub fn held_at(&self, now_ms: i64) -> i32 {
        self.lines
            .iter()
            .map(|l| l.holding_at(now_ms))
            .fold(0i32, i32::saturating_add)
    }

    /// Decides a hold request at log time `at_ms` against `on_hand` units: holds up to what
    /// is left after the holds active then. Lines that have ended by `at_ms` are dropped.
    pub fn decide(&self, on_hand: i32, request: &ReservationEvent) -> Option<(SkuHolds, HeldLine)> {
        let ReservationEvent::Hold {
            id,
            sku,
            quantity,
            ttl_ms,
            client,
            at_ms,
            lines,
        } = request
        else {
            return None;
        };
        if self.lines.iter().any(|l| l.reservation == *id) {
            return None; // a retry of a line already decided
        }
        // Lines long over (by log time) are forgotten; everything else is kept.
        let mut next = SkuHolds {
            lines: self
                .lines
                .iter()
                .filter(|l| l.expires_at_ms > at_ms.saturating_sub(REMEMBER_MS))
                .cloned()
                .collect(),
        };
        let free = on_hand.saturating_sub(next.held_at(*at_ms)).max(0);
        let line = HeldLine {
            reservation: id.clone(),
            sku: sku.clone(),
            requested: *quantity,
            held: (*quantity).min(free).max(0),
            expires_at_ms: at_ms.saturating_add(*ttl_ms),
            client: client.clone(),
            lines: *lines,
            ended: None,
        };
        next.lines.push(line.clone());
        Some((next, line))
    }

    /// The holds with `reservation`'s line ended as `how`; `None` if it holds nothing here.
    pub fn end(&self, reservation: &str, how: HoldEnd) -> Option<SkuHolds> {
        let mut next = self.clone();
        let line = next
            .lines
            .iter_mut()
            .find(|l| l.reservation == reservation && l.ended.is_none())?;
        line.ended = Some(how);
        Some(next)
    }
}

/// How long (log time) a line is remembered after its hold ended, so that a retry of the same
/// reservation on the same SKU is recognised (and holds nothing) on every replica.
pub const REMEMBER_MS: i64 = 24 * 3_600_000;

/// Shared, immutable snapshots of a SKU's holds (replaced whole on every change, so a reader
/// pins one state).
pub type SharedHolds = Arc<SkuHolds>;

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(id: &str, quantity: i32, at_ms: i64) -> ReservationEvent {
        ReservationEvent::Hold {
            id: id.into(),
            sku: "s".into(),
            quantity,
            ttl_ms: 1_000,
            client: "c".into(),
            lines: 1,
            at_ms,
        }
    }

    #[test]
    fn holds_up_to_what_is_left_at_log_time() {
        let h = SkuHolds::default();
        let (h, a) = h.decide(5, &hold("a", 3, 0)).unwrap();
        assert_eq!(a.held, 3);
        let (h, b) = h.decide(5, &hold("b", 3, 10)).unwrap();
        assert_eq!(b.held, 2, "partial: only 2 left");
        let (h, c) = h.decide(5, &hold("c", 1, 20)).unwrap();
        assert_eq!(c.held, 0, "rejected");
        assert!(
            h.decide(5, &hold("a", 3, 30)).is_none(),
            "a retry holds nothing more"
        );
        // `a` expires at 1000 (log time): a request after it finds its units free again.
        let (h, d) = h.decide(5, &hold("d", 5, 1_000)).unwrap();
        assert_eq!(d.held, 3, "b still holds 2 until 1010");
        assert_eq!(h.held_at(1_005), 5);
        assert_eq!(h.held_at(1_010), 3);
        // Release frees at once.
        let h = h.end("d", HoldEnd::Released).unwrap();
        assert_eq!(h.held_at(1_005), 2);
        assert!(h.end("d", HoldEnd::Released).is_none());
    }

    #[test]
    fn status_of_a_reservation() {
        let line = |sku: &str, requested, held| HeldLine {
            reservation: "r".into(),
            sku: sku.into(),
            requested,
            held,
            expires_at_ms: 100,
            client: "c".into(),
            lines: 2,
            ended: None,
        };
        let mut r = Reservation {
            id: "r".into(),
            lines_expected: 2,
            lines: BTreeMap::new(),
        };
        r.lines.insert("a".into(), line("a", 2, 2));
        assert_eq!(r.status(0), ReservationStatus::Pending);
        r.lines.insert("b".into(), line("b", 2, 1));
        assert_eq!(r.status(0), ReservationStatus::Partial);
        assert_eq!(r.status(100), ReservationStatus::Expired);
        r.lines.get_mut("b").unwrap().held = 2;
        assert_eq!(r.status(0), ReservationStatus::Held);
        r.lines.get_mut("a").unwrap().ended = Some(HoldEnd::Released);
        assert_eq!(r.status(0), ReservationStatus::Released);
        for l in r.lines.values_mut() {
            l.held = 0;
        }
        assert_eq!(r.status(0), ReservationStatus::Rejected);
    }
}
