//! The catalog's side of reservations: applying hold requests, releases and decided holds (see
//! `holds` for the rule), inventory records that account for reservations, and availability
//! net of the holds active at the catalog's clock.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::catalog::{ApplyOutcome, Catalog, Key};
use super::holds::{HoldEnd, Reservation, ReservationEvent, SharedHolds};
use super::{Inventory, StockAndPrices};

fn lock(m: &std::sync::Mutex<()>) -> std::sync::MutexGuard<'_, ()> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Catalog {
    /// Applies one reservation event in log order.
    pub(super) fn apply_reservation(&self, event: ReservationEvent) -> ApplyOutcome {
        let _writing = lock(&self.hold_writes);
        match &event {
            ReservationEvent::Hold { id, sku, lines, .. } => {
                // A retry of a decided line is recognised by the SKU's own holds (one partition,
                // so every replica agrees), and holds nothing.
                let on_hand = self.inventory(sku).map_or(0, |i| i.available);
                let current = self.holds(sku).unwrap_or_default();
                let Some((next, line)) = current.decide(on_hand, &event) else {
                    return ApplyOutcome::Stale;
                };
                self.put_holds(sku, next);
                self.record_line(id, *lines, line);
                ApplyOutcome::Applied
            }
            ReservationEvent::Release { id, sku } => self.end_hold(sku, id, HoldEnd::Released),
            ReservationEvent::Decided(line) => {
                let mut next = (*self.holds(&line.sku).unwrap_or_default()).clone();
                next.lines.retain(|l| l.reservation != line.reservation);
                next.lines.push(line.clone());
                self.put_holds(&line.sku, next);
                self.record_line(&line.reservation.clone(), line.lines, line.clone());
                ApplyOutcome::Applied
            }
        }
    }

    fn put_holds(&self, sku: &str, holds: super::holds::SkuHolds) {
        if self.holds.insert(Key::from(sku), Arc::new(holds)).is_none() {
            self.held_skus.fetch_add(1, Ordering::Release);
        }
    }

    /// True until any SKU has had a hold: reads of availability can skip the holds then.
    pub fn never_held(&self) -> bool {
        self.held_skus.load(Ordering::Acquire) == 0
    }

    fn record_line(&self, id: &str, lines: u32, line: super::holds::HeldLine) {
        let mut reservation = self
            .reservation(id)
            .map(|r| (*r).clone())
            .unwrap_or_else(|| {
                self.by_client
                    .entry(Key::from(line.client.as_str()))
                    .or_default()
                    .push(id.to_string());
                Reservation {
                    id: id.to_string(),
                    lines_expected: lines.max(1),
                    lines: Default::default(),
                }
            });
        reservation.lines.insert(line.sku.clone(), line);
        self.reservations
            .insert(Key::from(id), Arc::new(reservation));
    }

    fn end_hold(&self, sku: &str, id: &str, how: HoldEnd) -> ApplyOutcome {
        let Some(next) = self.holds(sku).and_then(|h| h.end(id, how)) else {
            return ApplyOutcome::Stale;
        };
        self.put_holds(sku, next);
        if let Some(r) = self.reservation(id) {
            let mut r = (*r).clone();
            if let Some(line) = r.lines.get_mut(sku) {
                line.ended = Some(how);
            }
            self.reservations.insert(Key::from(id), Arc::new(r));
        }
        ApplyOutcome::Applied
    }

    /// An inventory record counted these reservations' units out already: their holds end.
    pub(super) fn account_for(&self, sku: &str, reservations: &[String]) {
        if reservations.is_empty() {
            return;
        }
        let _writing = lock(&self.hold_writes);
        for id in reservations {
            self.end_hold(sku, id, HoldEnd::Accounted);
        }
    }

    /// The holds on `sku` (every decided line, ended or not).
    pub fn holds(&self, sku: &str) -> Option<SharedHolds> {
        self.holds.get(sku).map(|h| Arc::clone(h.value()))
    }

    pub fn reservation(&self, id: &str) -> Option<Arc<Reservation>> {
        self.reservations.get(id).map(|r| Arc::clone(r.value()))
    }

    /// Every reservation the API still knows (per-client limits).
    pub fn all_reservations(&self) -> Vec<Arc<Reservation>> {
        self.reservations
            .iter()
            .map(|r| Arc::clone(r.value()))
            .collect()
    }

    /// Reservations of `client` still pending or holding stock now (ended ones are pruned from
    /// the client's list as a side effect).
    pub fn active_reservations_of(&self, client: &str) -> usize {
        use super::holds::ReservationStatus::{Held, Partial, Pending};
        let now = self.clock_ms();
        let Some(mut ids) = self.by_client.get_mut(client) else {
            return 0;
        };
        ids.retain(|id| {
            self.reservation(id)
                .is_some_and(|r| matches!(r.status(now), Held | Partial | Pending))
        });
        ids.len()
    }

    /// Every SKU's holds, as decided by the log (snapshots write these).
    pub fn all_holds(&self) -> Vec<SharedHolds> {
        self.holds.iter().map(|h| Arc::clone(h.value())).collect()
    }

    /// The time reads of availability use (Unix ms).
    pub fn clock_ms(&self) -> i64 {
        self.clock_ms.load(Ordering::Relaxed)
    }

    /// Moves the read clock to `now_ms`; the summaries of SKUs whose holds ended in between are
    /// recomputed (listings' `inStock` follows expiries). Decisions never read this clock.
    pub fn advance_clock(&self, now_ms: i64) {
        let before = self.clock_ms.swap(now_ms, Ordering::Relaxed);
        let expired: Vec<String> = self
            .holds
            .iter()
            .filter(|h| {
                h.lines
                    .iter()
                    .any(|l| l.expires_at_ms > before && l.expires_at_ms <= now_ms)
            })
            .map(|h| h.key().to_string())
            .collect();
        for sku in expired {
            self.refresh_owner_of(&sku, ApplyOutcome::Applied);
            self.changed(Some(&sku));
        }
        // Reservations over for a day are forgotten by the API (decisions never read this map).
        let forget = now_ms.saturating_sub(super::holds::REMEMBER_MS);
        let known = self.reservations.len();
        self.reservations
            .retain(|_, r| r.expires_at_ms().is_none_or(|t| t > forget));
        if self.reservations.len() < known {
            self.by_client.retain(|_, ids| {
                ids.retain(|id| self.reservations.contains_key(id.as_str()));
                !ids.is_empty()
            });
        }
    }

    /// Units of `sku` held now.
    pub fn held_now(&self, sku: &str) -> i32 {
        if self.never_held() {
            return 0;
        }
        self.holds
            .get(sku)
            .map_or(0, |h| h.held_at(self.clock_ms()))
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
