//! Stock reservations decided once, in the log: hold requests, the decisions recorded for them,
//! and the holds on SKUs those decisions make.
//!
//! A `hold` request is only a request: the one replica that owns its reservations partition
//! (through a consumer group) writes a `decision` record for it, carrying what it read from
//! outside the partition: the SKU's on-hand count and the time it decided at. Every replica,
//! the decider included, then applies the decision by the rule below, which reads nothing but
//! the decision and the earlier records of the same partition. So every replica that has
//! applied the same offsets holds the same units, whatever its inventory view says meanwhile,
//! and a replica replaying from scratch or from any snapshot comes to the same state
//! (`tests::replicas_applying_the_same_records_agree_whatever_their_stock`).

use std::collections::BTreeMap;
use std::sync::Arc;

/// A shopper's request to hold `quantity` units of `sku` (one line of reservation `id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRequest {
    pub id: String,
    pub sku: String,
    pub quantity: i32,
    pub ttl_ms: i64,
    /// Who asked (for per-client limits at the desk).
    pub client: String,
    /// Lines (one request each) the reservation has.
    pub lines: u32,
}

/// The decider's record of one request: the request itself and the inputs it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub request: HoldRequest,
    /// `available` of the SKU's latest inventory record as the decider had applied it.
    pub on_hand: i32,
    /// The decider's clock when it decided (never earlier than its previous decision in the
    /// partition): the hold runs from here for `ttl_ms`.
    pub at_ms: i64,
    /// Lines whose hold ended before this are forgotten first (the decider's remember window).
    pub forget_before_ms: i64,
    /// Most lines one SKU may hold at once (the decider's setting): past it, the line holds 0.
    pub max_active: u32,
    /// Where the decision sits in the log (set from the message, not the payload).
    pub partition: i32,
    pub offset: i64,
}

/// What a reservation record asks of the views (topic `vitrine.reservations`, key = SKU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationEvent {
    /// A request: the views wait for its decision.
    Request(HoldRequest),
    /// Decided by the partition's owner.
    Decision(Decision),
    /// Release reservation `id`'s hold on `sku` (written only once the decision is applied).
    Release { id: String, sku: String },
    /// The decider's clock for a partition with nothing to decide: lines of that partition
    /// over before `forget_before_ms` are forgotten.
    Tick {
        partition: i32,
        forget_before_ms: i64,
    },
    /// A decided line, as Vitrine's own snapshots carry it.
    Decided(HeldLine),
}

impl ReservationEvent {
    /// The SKU the record is about (empty for a tick).
    pub fn sku(&self) -> &str {
        match self {
            ReservationEvent::Request(r) => &r.sku,
            ReservationEvent::Decision(d) => &d.request.sku,
            ReservationEvent::Release { sku, .. } => sku,
            ReservationEvent::Tick { .. } => "",
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
    /// Log time (Unix ms) the hold ends; a line that holds nothing ended when decided.
    pub expires_at_ms: i64,
    pub client: String,
    /// Lines of its reservation.
    pub lines: u32,
    /// Released, or accounted for by an inventory record: no longer holds stock.
    pub ended: Option<HoldEnd>,
    /// The decision's place in the log: holds on one SKU rank by it.
    pub partition: i32,
    pub offset: i64,
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
    pub client: String,
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

    /// The earliest end of the holds that held anything (log time).
    pub fn expires_at_ms(&self) -> Option<i64> {
        self.lines
            .values()
            .filter(|l| l.held > 0)
            .map(|l| l.expires_at_ms)
            .min()
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

/// The lines holding units of one SKU, in decision order. Only lines that hold stock are here
/// (rejected and ended lines live on in their reservation until forgotten), so deciding a hold
/// costs the SKU's active lines, never its history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuHolds {
    pub active: Vec<HeldLine>,
}

impl SkuHolds {
    /// Units held at `now_ms`.
    pub fn held_at(&self, now_ms: i64) -> i32 {
        self.active
            .iter()
            .map(|l| l.holding_at(now_ms))
            .fold(0i32, i32::saturating_add)
    }

    /// Applies a decision: the line holds what is left of the recorded on-hand after the lines
    /// still holding at the decision's time (or nothing past `max_active` lines). Lines over
    /// by then leave the active set.
    pub fn decide(&self, decision: &Decision) -> (SkuHolds, HeldLine) {
        let at = decision.at_ms;
        let active: Vec<HeldLine> = self
            .active
            .iter()
            .filter(|l| l.holding_at(at) > 0)
            .cloned()
            .collect();
        let free = decision
            .on_hand
            .saturating_sub(active.iter().map(|l| l.held).fold(0, i32::saturating_add))
            .max(0);
        let request = &decision.request;
        let held = if active.len() >= decision.max_active as usize {
            0
        } else {
            request.quantity.min(free).max(0)
        };
        let line = HeldLine {
            reservation: request.id.clone(),
            sku: request.sku.clone(),
            requested: request.quantity,
            held,
            expires_at_ms: if held > 0 {
                at.saturating_add(request.ttl_ms)
            } else {
                at
            },
            client: request.client.clone(),
            lines: request.lines,
            ended: None,
            partition: decision.partition,
            offset: decision.offset,
        };
        let mut next = SkuHolds { active };
        if held > 0 {
            next.active.push(line.clone());
        }
        (next, line)
    }

    /// The holds without `reservation`'s line; `None` if it holds nothing here.
    pub fn without(&self, reservation: &str) -> Option<SkuHolds> {
        let at = self
            .active
            .iter()
            .position(|l| l.reservation == reservation)?;
        let mut next = self.clone();
        next.active.remove(at);
        Some(next)
    }

    /// What `reservation` may take of `on_hand` at `now_ms`, with every other hold respected:
    /// stock that shrank below the holds goes to the earliest decisions first, so all carts
    /// together are never promised more than is on hand
    /// (`tests::shrunken_stock_goes_to_the_earliest_holds`).
    pub fn available_to(&self, reservation: &str, on_hand: i32, now_ms: i64) -> i32 {
        let mut left = on_hand.max(0);
        let mut own = 0;
        for line in &self.active {
            let granted = line.holding_at(now_ms).min(left);
            left -= granted;
            if line.reservation == reservation {
                own += granted;
            }
        }
        own + left
    }
}

/// Shared, immutable snapshots of a SKU's holds (replaced whole on every change, so a reader
/// pins one state).
pub type SharedHolds = Arc<SkuHolds>;

#[cfg(test)]
#[path = "holds_tests.rs"]
mod tests;
