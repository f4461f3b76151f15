//! The catalog's side of reservations: applying decisions, releases, ticks and decided lines
//! (see `holds` for the rule), inventory records that account for reservations, forgetting
//! lines on the log's schedule, and availability net of the holds active at the read clock.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use super::catalog::{ApplyOutcome, Catalog, Key};
use super::holds::SkuHolds;
use super::holds::{Decision, HeldLine, HoldEnd, Reservation, ReservationEvent, SharedHolds};
use super::{Inventory, StockAndPrices};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A remembered line: when its hold ended (or ends), its reservation and its SKU.
type Remembered = (i64, Key, Key);

/// When remembered lines are forgotten and when active holds run out: ordered queues, so the
/// work of each is proportional to what ends, never to everything held.
#[derive(Debug, Default)]
pub(super) struct HoldSchedule {
    /// Per partition: (expires at, reservation, SKU) of every remembered line, forgotten in
    /// order as the partition's decider moves `forget_before` past them.
    remembered: Mutex<HashMap<i32, BTreeSet<Remembered>>>,
    /// (expires at, SKU) of lines holding stock: the read clock refreshes exactly these.
    expiries: Mutex<BTreeSet<(i64, Key)>>,
}

/// How many holds and lines the views keep (bounds, tests and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HoldCounts {
    /// SKUs with at least one line holding stock.
    pub held_skus: usize,
    /// Lines holding stock (or expired and not yet cleared).
    pub active_lines: usize,
    /// Reservations remembered (any outcome), and their lines.
    pub reservations: usize,
    pub remembered_lines: usize,
    /// Entries of the read clock's expiry queue.
    pub expiry_entries: usize,
}

impl Catalog {
    /// Applies one reservation event in log order.
    pub(super) fn apply_reservation(&self, event: ReservationEvent) -> ApplyOutcome {
        let _writing = lock(&self.pool.hold_writes);
        match event {
            // Requests wait for the decider's record; nothing to apply.
            ReservationEvent::Request(_) => ApplyOutcome::Stale,
            ReservationEvent::Decision(decision) => self.apply_decision(&decision),
            ReservationEvent::Release { id, sku } => self.end_hold(&sku, &id, HoldEnd::Released),
            ReservationEvent::Tick {
                partition,
                forget_before_ms,
            } => match self.forget(partition, forget_before_ms) {
                0 => ApplyOutcome::Stale,
                _ => ApplyOutcome::Applied,
            },
            ReservationEvent::Decided(line) => self.restore_line(line),
        }
    }

    fn apply_decision(&self, decision: &Decision) -> ApplyOutcome {
        let request = &decision.request;
        self.forget(decision.partition, decision.forget_before_ms);
        // A second decision for a line already decided (a retried request, or two deciders
        // during a hand-over) changes nothing: the first in the log wins on every replica.
        if self
            .reservation(&request.id)
            .is_some_and(|r| r.lines.contains_key(&request.sku))
        {
            return ApplyOutcome::Stale;
        }
        let current = self.holds(&request.sku).unwrap_or_default();
        let (next, line) = current.decide(decision);
        self.put_holds(&request.sku, next);
        self.remember(line, request.lines);
        ApplyOutcome::Applied
    }

    /// A line from a snapshot: remembered, and holding stock again if it did.
    fn restore_line(&self, line: HeldLine) -> ApplyOutcome {
        if self
            .reservation(&line.reservation)
            .is_some_and(|r| r.lines.contains_key(&line.sku))
        {
            return ApplyOutcome::Stale;
        }
        if line.held > 0 && line.ended.is_none() {
            let mut next = (*self.holds(&line.sku).unwrap_or_default()).clone();
            let at = next.active.partition_point(|l| l.offset < line.offset);
            next.active.insert(at, line.clone());
            self.put_holds(&line.sku, next);
        }
        let lines = line.lines;
        self.remember(line, lines);
        ApplyOutcome::Applied
    }

    fn put_holds(&self, sku: &str, holds: SkuHolds) {
        if holds.active.is_empty() {
            self.pool.holds.remove(sku);
        } else if self
            .pool
            .holds
            .insert(Key::from(sku), Arc::new(holds))
            .is_none()
        {
            self.pool.held_skus.fetch_add(1, Ordering::Release);
        }
    }

    /// True until any SKU has had a hold: reads of availability can skip the holds then.
    pub fn never_held(&self) -> bool {
        self.pool.held_skus.load(Ordering::Acquire) == 0
    }

    /// Records a decided line in its reservation and the schedules.
    fn remember(&self, line: HeldLine, lines: u32) {
        let id = Key::from(line.reservation.as_str());
        let sku = Key::from(line.sku.as_str());
        lock(&self.pool.hold_schedule.remembered)
            .entry(line.partition)
            .or_default()
            .insert((line.expires_at_ms, id.clone(), sku.clone()));
        if line.holding_at(i64::MIN) > 0 {
            lock(&self.pool.hold_schedule.expiries).insert((line.expires_at_ms, sku));
        }
        let mut reservation = match self.reservation(&id) {
            Some(known) => (*known).clone(),
            None => {
                self.pool
                    .by_client
                    .entry(Key::from(line.client.as_str()))
                    .or_default()
                    .push(line.reservation.clone());
                Reservation {
                    id: line.reservation.clone(),
                    lines_expected: lines.max(1),
                    client: line.client.clone(),
                    lines: Default::default(),
                }
            }
        };
        reservation.lines.insert(line.sku.clone(), line);
        self.pool.reservations.insert(id, Arc::new(reservation));
    }

    /// Forgets the lines of `partition` that expired before `before_ms` (the partition's own
    /// log time, so every replica forgets the same lines at the same offset); returns how many.
    fn forget(&self, partition: i32, before_ms: i64) -> usize {
        let over: Vec<Remembered> = {
            let mut remembered = lock(&self.pool.hold_schedule.remembered);
            let Some(queue) = remembered.get_mut(&partition) else {
                return 0;
            };
            let mut over = Vec::new();
            while queue.first().is_some_and(|(at, _, _)| *at < before_ms) {
                over.extend(queue.pop_first());
            }
            over
        };
        for (_, id, sku) in &over {
            self.forget_line(id, sku);
        }
        over.len()
    }

    fn forget_line(&self, id: &str, sku: &str) {
        if let Some(next) = self.holds(sku).and_then(|h| h.without(id)) {
            self.put_holds(sku, next);
        }
        let Some(known) = self.reservation(id) else {
            return;
        };
        let mut reservation = (*known).clone();
        reservation.lines.remove(sku);
        if !reservation.lines.is_empty() {
            self.pool
                .reservations
                .insert(Key::from(id), Arc::new(reservation));
            return;
        }
        self.pool.reservations.remove(id);
        if let Some(mut ids) = self.pool.by_client.get_mut(reservation.client.as_str()) {
            ids.retain(|r| r != id);
        }
        self.pool
            .by_client
            .remove_if(reservation.client.as_str(), |_, ids| ids.is_empty());
    }

    /// Ends `id`'s line on `sku`: out of the SKU's active holds if still there, and marked
    /// ended in its reservation even when its hold already ran out (a release after expiry is
    /// still a release, and the desk waits to see it).
    fn end_hold(&self, sku: &str, id: &str, how: HoldEnd) -> ApplyOutcome {
        let was_active = match self.holds(sku).and_then(|h| h.without(id)) {
            Some(next) => {
                self.put_holds(sku, next);
                true
            }
            None => false,
        };
        let marked = self.reservation(id).is_some_and(|r| {
            let mut r = (*r).clone();
            let Some(line) = r.lines.get_mut(sku).filter(|l| l.ended.is_none()) else {
                return false;
            };
            line.ended = Some(how);
            self.pool.reservations.insert(Key::from(id), Arc::new(r));
            true
        });
        if was_active || marked {
            ApplyOutcome::Applied
        } else {
            ApplyOutcome::Stale
        }
    }

    /// An inventory record counted these reservations' units out already: their holds end.
    pub(super) fn account_for(&self, sku: &str, reservations: &[String]) {
        if reservations.is_empty() {
            return;
        }
        let _writing = lock(&self.pool.hold_writes);
        for id in reservations {
            self.end_hold(sku, id, HoldEnd::Accounted);
        }
    }

    /// The lines holding stock of `sku`, in decision order.
    pub fn holds(&self, sku: &str) -> Option<SharedHolds> {
        self.pool.holds.get(sku).map(|h| Arc::clone(h.value()))
    }

    pub fn reservation(&self, id: &str) -> Option<Arc<Reservation>> {
        self.pool
            .reservations
            .get(id)
            .map(|r| Arc::clone(r.value()))
    }

    /// Every remembered line (snapshots write these), in log order per partition.
    pub fn all_lines(&self) -> Vec<HeldLine> {
        let mut lines: Vec<HeldLine> = self
            .pool
            .reservations
            .iter()
            .flat_map(|r| r.value().lines.values().cloned().collect::<Vec<_>>())
            .collect();
        lines.sort_by_key(|l| (l.partition, l.offset, l.sku.clone()));
        lines
    }

    /// Reservations of `client` the views remember, whatever their outcome (pending lines
    /// aside): what the per-client limit counts.
    pub fn reservations_of(&self, client: &str) -> usize {
        self.pool.by_client.get(client).map_or(0, |ids| ids.len())
    }

    /// Reservations the views remember (any outcome).
    pub fn remembered_reservations(&self) -> usize {
        self.pool.reservations.len()
    }

    /// What the views keep for reservations.
    pub fn hold_counts(&self) -> HoldCounts {
        HoldCounts {
            held_skus: self.pool.holds.len(),
            active_lines: self.pool.holds.iter().map(|h| h.active.len()).sum(),
            reservations: self.pool.reservations.len(),
            remembered_lines: self.pool.reservations.iter().map(|r| r.lines.len()).sum(),
            expiry_entries: lock(&self.pool.hold_schedule.expiries).len(),
        }
    }

    /// The time reads of availability use (Unix ms).
    pub fn clock_ms(&self) -> i64 {
        self.pool.clock_ms.load(Ordering::Relaxed)
    }

    /// Moves the read clock to `now_ms`; the summaries of SKUs whose holds ended in between are
    /// recomputed (listings' `inStock` follows expiries). The work is the holds that ended,
    /// taken off an ordered queue. Decisions never read this clock; returns how many SKUs.
    /// (Storefronts sharing a pool move its clock once: see `Storefronts::advance_clock`.)
    pub fn advance_clock(&self, now_ms: i64) -> usize {
        let ended = self.end_expired(now_ms);
        self.refresh_ended(&ended);
        ended.len()
    }

    /// Moves the pool's read clock to `now_ms` and takes the SKUs whose holds ended in
    /// between off its expiry queue.
    pub(super) fn end_expired(&self, now_ms: i64) -> Vec<Key> {
        self.pool.clock_ms.fetch_max(now_ms, Ordering::Relaxed);
        let mut expiries = lock(&self.pool.hold_schedule.expiries);
        let mut ended = Vec::new();
        while expiries.first().is_some_and(|(at, _)| *at <= now_ms) {
            ended.extend(expiries.pop_first().map(|(_, sku)| sku));
        }
        ended
    }

    /// Refreshes the summaries of SKUs whose holds ended.
    pub(super) fn refresh_ended(&self, ended: &[Key]) {
        for sku in ended {
            self.refresh_owner_of(sku, super::catalog::Moved::Stock);
            self.changed(Some(sku));
        }
    }

    /// Units of `sku` held now.
    pub fn held_now(&self, sku: &str) -> i32 {
        if self.never_held() {
            return 0;
        }
        self.pool
            .holds
            .get(sku)
            .map_or(0, |h| h.held_at(self.clock_ms()))
    }

    /// Units of `sku` a cart holding `reservation` may buy now: its own holds as far as the
    /// stock on hand covers them after earlier holds, plus what nobody holds.
    pub fn available_to(&self, reservation: &str, sku: &str) -> i32 {
        let on_hand = self.inventory(sku).map_or(0, |i| i.available);
        match self.holds(sku) {
            Some(holds) => holds.available_to(reservation, on_hand, self.clock_ms()),
            None => on_hand.max(0),
        }
    }

    /// The inventory record of `sku` with its holds taken off (what subscriptions report).
    pub fn effective_inventory(&self, sku: &str) -> Option<Arc<Inventory>> {
        let on_hand = self.inventory(sku);
        let held = self.held_now(sku);
        if held == 0 {
            return on_hand;
        }
        let base = on_hand.as_deref().cloned().unwrap_or(Inventory {
            sku: sku.to_string(),
            version: 0,
            available: 0,
            reservations: vec![],
        });
        Some(Arc::new(Inventory {
            available: base
                .available
                .saturating_sub(held)
                .max(base.available.min(0)),
            ..base
        }))
    }
}
