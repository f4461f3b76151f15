//! The decision rule, attacked: replicas whose stock views differ, duplicated decisions, stock
//! that shrinks below the holds, and a flood of spam that must leave nothing behind.

use super::*;
use crate::views::holds::ReservationEvent as E;
use crate::views::testing::stock;
use crate::views::{Catalog, Change, StockAndPrices};

fn request(id: &str, sku: &str, quantity: i32, ttl_ms: i64) -> HoldRequest {
    HoldRequest {
        id: id.into(),
        sku: sku.into(),
        quantity,
        ttl_ms,
        client: format!("client-of-{id}"),
        lines: 1,
    }
}

fn decision(request: HoldRequest, on_hand: i32, at_ms: i64, offset: i64) -> Decision {
    Decision {
        request,
        on_hand,
        at_ms,
        forget_before_ms: at_ms - 10_000,
        max_active: 1_000,
        partition: 0,
        offset,
    }
}

fn apply(c: &Catalog, d: Decision) {
    c.apply(Change::Reservation(E::Decision(d)));
}

#[test]
fn holds_up_to_the_recorded_stock_at_the_decision_time() {
    let h = SkuHolds::default();
    let (h, a) = h.decide(&decision(request("a", "s", 3, 1_000), 5, 0, 1));
    assert_eq!(a.held, 3);
    let (h, b) = h.decide(&decision(request("b", "s", 3, 1_000), 5, 10, 2));
    assert_eq!(b.held, 2, "partial: only 2 left");
    let (h, c) = h.decide(&decision(request("c", "s", 1, 1_000), 5, 20, 3));
    assert_eq!(
        (c.held, c.expires_at_ms),
        (0, 20),
        "rejected: over when decided"
    );
    assert_eq!(
        h.active.len(),
        2,
        "a rejected line holds nothing and is not active"
    );
    // `a` expires at 1000: a decision after it finds its units free again.
    let (h, d) = h.decide(&decision(request("d", "s", 5, 1_000), 5, 1_000, 4));
    assert_eq!(d.held, 3, "b still holds 2 until 1010");
    assert_eq!(h.active.len(), 2, "a left the active set");
    assert_eq!((h.held_at(1_005), h.held_at(1_010)), (5, 3));
    let h = h.without("d").unwrap();
    assert_eq!(h.held_at(1_005), 2);
    assert!(h.without("d").is_none());
}

#[test]
fn past_max_active_lines_a_line_holds_nothing() {
    let mut h = SkuHolds::default();
    for i in 0..3 {
        let mut d = decision(request(&format!("r{i}"), "s", 1, 1_000), 100, i, i);
        d.max_active = 2;
        let (next, line) = h.decide(&d);
        assert_eq!(line.held, i32::from(i < 2), "line {i}");
        h = next;
    }
}

/// Two replicas whose inventory views disagree (one has seen a stock drop, the other not)
/// apply the same decision records and hold the same units; a third applying them in one go
/// from nothing agrees too.
#[test]
fn replicas_applying_the_same_records_agree_whatever_their_stock() {
    let records: Vec<Decision> = (0..40)
        .map(|i| {
            let on_hand = if i < 20 { 10 } else { 3 }; // what the decider had read
            decision(
                request(&format!("r{i}"), "s", 1 + i as i32 % 3, 60_000),
                on_hand,
                i,
                i,
            )
        })
        .collect();
    let replicas = [Catalog::new(), Catalog::new(), Catalog::new()];
    for (n, c) in replicas.iter().enumerate() {
        for (i, d) in records.iter().enumerate() {
            // Each replica's own stock view moves on its own schedule.
            c.apply(Change::Inventory(stock(
                "s",
                i as u64 + 1,
                (i * n) as i32 % 7,
            )));
            apply(c, d.clone());
        }
    }
    let answers: Vec<_> = replicas
        .iter()
        .map(|c| (c.all_lines(), c.holds("s")))
        .collect();
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    let held: i32 = answers[0].0.iter().map(|l| l.held).sum();
    assert!(
        held <= 10,
        "never more than the largest recorded on-hand: {held}"
    );
}

#[test]
fn the_first_decision_of_a_line_wins() {
    let c = Catalog::new();
    apply(&c, decision(request("r", "s", 2, 60_000), 5, 1, 1));
    // A second decider during a hand-over decides the same request again, with other stock.
    apply(&c, decision(request("r", "s", 2, 60_000), 0, 2, 2));
    let r = c.reservation("r").unwrap();
    assert_eq!(r.lines["s"].held, 2);
    assert_eq!(c.holds("s").unwrap().active.len(), 1);
}

/// A release after the hold ran out (it left the active set at a later decision) still ends the
/// line: the reservation says RELEASED, which the desk waits to read.
#[test]
fn a_release_after_expiry_still_ends_the_line() {
    let c = Catalog::new();
    apply(&c, decision(request("r", "s", 1, 100), 5, 1, 1));
    apply(&c, decision(request("later", "s", 1, 100), 5, 1_000, 2)); // r expired by then
    assert!(c
        .holds("s")
        .unwrap()
        .active
        .iter()
        .all(|l| l.reservation != "r"));
    c.apply(Change::Reservation(E::Release {
        id: "r".into(),
        sku: "s".into(),
    }));
    let r = c.reservation("r").unwrap();
    assert_eq!(r.lines["s"].ended, Some(HoldEnd::Released));
    assert_eq!(r.status(2_000), ReservationStatus::Released);
}

/// Two carts hold 5 each of 10; stock drops to 4: together they may buy 4, the earlier first.
#[test]
fn shrunken_stock_goes_to_the_earliest_holds() {
    let c = Catalog::new();
    c.apply(Change::Inventory(stock("s", 1, 10)));
    apply(&c, decision(request("a", "s", 5, 60_000), 10, 1, 1));
    apply(&c, decision(request("b", "s", 5, 60_000), 10, 2, 2));
    c.apply(Change::Inventory(stock("s", 2, 4)));
    let (a, b) = (c.available_to("a", "s"), c.available_to("b", "s"));
    assert_eq!((a, b), (4, 0));
    assert!(a + b <= 4);
    assert_eq!(c.available("s"), 0, "nothing for a shopper without a hold");
    c.apply(Change::Inventory(stock("s", 3, 12)));
    assert_eq!(
        c.available_to("b", "s"),
        5 + 2,
        "its own 5 and the 2 nobody holds"
    );
}

#[test]
fn lines_are_forgotten_by_the_partitions_clock_and_retries_recognised_until_then() {
    let c = Catalog::new();
    apply(&c, decision(request("r", "s", 1, 1_000), 0, 100, 1)); // rejected, over at 100
    assert!(c.reservation("r").is_some());
    // A tick of another partition forgets nothing of partition 0.
    c.apply(Change::Reservation(E::Tick {
        partition: 1,
        forget_before_ms: 1_000_000,
    }));
    assert!(c.reservation("r").is_some());
    c.apply(Change::Reservation(E::Tick {
        partition: 0,
        forget_before_ms: 100,
    }));
    assert!(c.reservation("r").is_some(), "over at 100, not before");
    c.apply(Change::Reservation(E::Tick {
        partition: 0,
        forget_before_ms: 101,
    }));
    assert!(c.reservation("r").is_none());
    assert_eq!(c.reservations_of("client-of-r"), 0);
    assert_eq!(c.hold_counts(), Default::default());
}

/// 200,000 spam reservations (random SKUs, random keys, held and rejected) fill the views;
/// once their holds run out and the decider's clock moves on, everything is forgotten: lines,
/// reservations, clients, queues and the snapshot's lines; the clock's work was the expiries.
#[test]
fn spam_leaves_nothing_behind_after_ttl_and_forgetting() {
    use rand::{Rng, SeedableRng};
    let c = Catalog::new();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
    let skus: Vec<String> = (0..5_000).map(|i| format!("p{i:06}-0")).collect();
    for (i, sku) in skus.iter().enumerate() {
        c.apply(Change::Inventory(stock(sku, 1, (i % 4) as i32)));
    }
    let baseline = c.hold_counts();
    let mut expiries = 0;
    for n in 0..200_000i64 {
        let sku = &skus[rng.random_range(0..skus.len())];
        let key = format!("spam-{}", rng.random::<u64>());
        let mut d = decision(request(&key, sku, 1 + n as i32 % 3, 5_000), 3, n / 10, n);
        d.partition = (n % 4) as i32;
        d.max_active = 8;
        apply(&c, d);
        if n % 1_000 == 0 {
            expiries += c.advance_clock(n / 10);
        }
    }
    let full = c.hold_counts();
    assert!(full.reservations > 100_000, "{full:?}");
    let active_bound = skus.len() * 8;
    assert!(full.active_lines <= active_bound, "{full:?}");
    let lines_snapshot = c.all_lines().len();
    assert_eq!(lines_snapshot, full.remembered_lines);
    // TTL passes, then each partition's decider ticks past the remember window.
    expiries += c.advance_clock(40_000);
    assert!(expiries <= 200_000, "the clock's work is the expiries");
    for partition in 0..4 {
        c.apply(Change::Reservation(E::Tick {
            partition,
            forget_before_ms: 30_000,
        }));
    }
    assert_eq!(c.hold_counts(), baseline, "back to where it started");
    assert!(c.all_lines().is_empty());
    assert_eq!(c.advance_clock(50_000), 0, "no expiry left to look at");
}
