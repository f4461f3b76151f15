//! `vitrine.reservations`: hold requests, the decisions the partition's decider records for
//! them, releases and the decider's ticks, keyed by SKU (so every record about one SKU is
//! totally ordered), and the decided lines Vitrine's own snapshots carry.

use serde::Deserialize;
use serde_json::{json, Value};

use super::decode::{check_key, invalid, DecodeError};
use crate::views::holds::{Decision, HeldLine, HoldEnd, HoldRequest, ReservationEvent};

/// The longest hold a request may ask for (a week), whatever the settings say.
const MAX_TTL_MS: i64 = 7 * 24 * 3_600_000;
/// Longest reservation id and client name a record may carry.
const MAX_ID_CHARS: usize = 128;
const MAX_CLIENT_CHARS: usize = 256;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RequestFields {
    reservation: String,
    sku: String,
    quantity: i32,
    ttl_ms: i64,
    #[serde(default)]
    client: String,
    lines: u32,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub(super) enum ReservationRecord {
    Hold(RequestFields),
    #[serde(rename_all = "camelCase")]
    Decision {
        #[serde(flatten)]
        request: RequestFields,
        on_hand: i32,
        at_ms: i64,
        forget_before_ms: i64,
        max_active: u32,
    },
    #[serde(rename_all = "camelCase")]
    Release {
        reservation: String,
        sku: String,
    },
    #[serde(rename_all = "camelCase")]
    Tick {
        forget_before_ms: i64,
    },
    #[serde(rename_all = "camelCase")]
    Decided {
        reservation: String,
        sku: String,
        requested: i32,
        held: i32,
        expires_at_ms: i64,
        #[serde(default)]
        client: String,
        lines: u32,
        #[serde(default)]
        ended: Option<String>,
        partition: i32,
        offset: i64,
    },
}

fn check_id(id: &str) -> Result<(), DecodeError> {
    if id.is_empty() || id.len() > MAX_ID_CHARS {
        return Err(invalid("reservation", "1 to 128 characters"));
    }
    Ok(())
}

fn check_client(client: &str) -> Result<(), DecodeError> {
    if client.len() > MAX_CLIENT_CHARS {
        return Err(invalid("client", "at most 256 characters"));
    }
    Ok(())
}

fn request(key: &str, f: RequestFields) -> Result<HoldRequest, DecodeError> {
    check_key(key, "sku", &f.sku)?;
    check_id(&f.reservation)?;
    check_client(&f.client)?;
    if f.quantity < 1 {
        return Err(invalid("quantity", "must be at least 1"));
    }
    if !(1..=MAX_TTL_MS).contains(&f.ttl_ms) {
        return Err(invalid("ttlMs", "must be between 1 ms and a week"));
    }
    if f.lines == 0 {
        return Err(invalid("lines", "must be at least 1"));
    }
    Ok(HoldRequest {
        id: f.reservation,
        sku: f.sku,
        quantity: f.quantity,
        ttl_ms: f.ttl_ms,
        client: f.client,
        lines: f.lines,
    })
}

/// Decodes a record; a decision's and a tick's place in the log are set by the caller.
pub(super) fn decode(
    key: &str,
    record: ReservationRecord,
) -> Result<ReservationEvent, DecodeError> {
    match record {
        ReservationRecord::Hold(fields) => Ok(ReservationEvent::Request(request(key, fields)?)),
        ReservationRecord::Decision {
            request: fields,
            on_hand,
            at_ms,
            forget_before_ms,
            max_active,
        } => {
            let request = request(key, fields)?;
            if at_ms <= 0 {
                return Err(invalid("atMs", "must be a Unix time in ms"));
            }
            if forget_before_ms > at_ms {
                return Err(invalid("forgetBeforeMs", "must not be after atMs"));
            }
            if max_active == 0 {
                return Err(invalid("maxActive", "must be at least 1"));
            }
            Ok(ReservationEvent::Decision(Decision {
                request,
                on_hand,
                at_ms,
                forget_before_ms,
                max_active,
                partition: 0,
                offset: 0,
            }))
        }
        ReservationRecord::Release { reservation, sku } => {
            check_key(key, "sku", &sku)?;
            check_id(&reservation)?;
            Ok(ReservationEvent::Release {
                id: reservation,
                sku,
            })
        }
        ReservationRecord::Tick { forget_before_ms } => Ok(ReservationEvent::Tick {
            partition: 0,
            forget_before_ms,
        }),
        ReservationRecord::Decided {
            reservation,
            sku,
            requested,
            held,
            expires_at_ms,
            client,
            lines,
            ended,
            partition,
            offset,
        } => {
            check_key(key, "sku", &sku)?;
            check_id(&reservation)?;
            check_client(&client)?;
            if requested < 1 {
                return Err(invalid("requested", "must be at least 1"));
            }
            if !(0..=requested).contains(&held) {
                return Err(invalid("held", "must be between 0 and requested"));
            }
            if lines == 0 {
                return Err(invalid("lines", "must be at least 1"));
            }
            if partition < 0 || offset < 0 {
                return Err(invalid("partition", "partition and offset must be >= 0"));
            }
            let ended = match ended.as_deref() {
                None => None,
                Some("released") => Some(HoldEnd::Released),
                Some("accounted") => Some(HoldEnd::Accounted),
                Some(_) => return Err(invalid("ended", "released or accounted")),
            };
            Ok(ReservationEvent::Decided(HeldLine {
                reservation,
                sku,
                requested,
                held,
                expires_at_ms,
                client,
                lines,
                ended,
                partition,
                offset,
            }))
        }
    }
}

/// A hold request as `reserve` produces it.
pub fn hold(request: &HoldRequest) -> Value {
    json!({"type": "hold", "reservation": request.id, "sku": request.sku,
           "quantity": request.quantity, "ttlMs": request.ttl_ms, "client": request.client,
           "lines": request.lines})
}

/// The decider's record for `request`.
pub fn decision(
    request: &HoldRequest,
    on_hand: i32,
    at_ms: i64,
    forget_before_ms: i64,
    max_active: u32,
) -> Value {
    let mut record = hold(request);
    record["type"] = json!("decision");
    record["onHand"] = json!(on_hand);
    record["atMs"] = json!(at_ms);
    record["forgetBeforeMs"] = json!(forget_before_ms);
    record["maxActive"] = json!(max_active);
    record
}

/// A one-line hold decided against `on_hand` at `at_ms` (an hour's TTL), as a decider would
/// record it: for tools and tests that feed decisions straight to the views.
pub fn decided_hold(id: &str, sku: &str, quantity: i32, on_hand: i32, at_ms: i64) -> Value {
    let request = HoldRequest {
        id: id.into(),
        sku: sku.into(),
        quantity,
        ttl_ms: 3_600_000,
        client: "c".into(),
        lines: 1,
    };
    decision(&request, on_hand, at_ms, 0, 1_000)
}

pub fn release(reservation: &str, sku: &str) -> Value {
    json!({"type": "release", "reservation": reservation, "sku": sku})
}

/// The key ticks are written under (they go to an explicit partition; any key would do).
pub const TICK_KEY: &str = "~tick";

pub fn tick(forget_before_ms: i64) -> Value {
    json!({"type": "tick", "forgetBeforeMs": forget_before_ms})
}

/// A decided line, as snapshots carry it.
pub fn decided(line: &HeldLine) -> Value {
    let ended = line.ended.map(|e| match e {
        HoldEnd::Released => "released",
        HoldEnd::Accounted => "accounted",
    });
    json!({"type": "decided", "reservation": line.reservation, "sku": line.sku,
           "requested": line.requested, "held": line.held, "expiresAtMs": line.expires_at_ms,
           "client": line.client, "lines": line.lines, "ended": ended,
           "partition": line.partition, "offset": line.offset})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::decode;
    use crate::views::{Change, ViewKind};

    fn req(id: &str, sku: &str, quantity: i32, ttl_ms: i64) -> HoldRequest {
        HoldRequest {
            id: id.into(),
            sku: sku.into(),
            quantity,
            ttl_ms,
            client: "1.2.3.4".into(),
            lines: 1,
        }
    }

    fn decoded(record: &Value) -> Result<Change, DecodeError> {
        let text = record.to_string();
        decode(ViewKind::Reservations, Some(b"s"), Some(text.as_bytes()))
    }

    #[test]
    fn decodes_requests_decisions_releases_and_ticks() {
        let Ok(Change::Reservation(ReservationEvent::Request(r))) =
            decoded(&hold(&req("r1", "s", 2, 60_000)))
        else {
            panic!("hold")
        };
        assert_eq!(r, req("r1", "s", 2, 60_000));
        let Ok(Change::Reservation(ReservationEvent::Decision(d))) =
            decoded(&decision(&r, 7, 1_000, 500, 10))
        else {
            panic!("decision")
        };
        assert_eq!(
            (d.request, d.on_hand, d.at_ms, d.forget_before_ms),
            (r, 7, 1_000, 500)
        );
        assert!(decoded(&release("r1", "s")).is_ok());
        assert!(decoded(&tick(5)).is_ok());
    }

    #[test]
    fn refuses_nonsense_in_every_kind() {
        let r = req("r1", "s", 1, 10);
        let line = HeldLine {
            reservation: "r1".into(),
            sku: "s".into(),
            requested: 2,
            held: 2,
            expires_at_ms: 10,
            client: "c".into(),
            lines: 1,
            ended: None,
            partition: 0,
            offset: 3,
        };
        assert!(decoded(&decided(&line)).is_ok());
        let with = |mut v: Value, field: &str, value: Value| {
            v[field] = value;
            v
        };
        for bad in [
            hold(&req("r1", "other", 2, 60_000)),
            hold(&req("r1", "s", 0, 60_000)),
            hold(&req("r1", "s", 1, 0)),
            hold(&req("", "s", 1, 10)),
            with(hold(&r), "client", json!("x".repeat(300))),
            with(hold(&r), "extra", json!(1)),
            decision(&r, 1, 0, 0, 1),
            decision(&r, 1, 100, 200, 1),
            decision(&r, 1, 100, 0, 0),
            release("", "s"),
            with(decided(&line), "held", json!(-1000)),
            with(decided(&line), "held", json!(3)),
            with(decided(&line), "requested", json!(0)),
            with(decided(&line), "lines", json!(0)),
            with(decided(&line), "partition", json!(-1)),
            with(decided(&line), "ended", json!("stolen")),
            json!({"type": "steal", "sku": "s"}),
        ] {
            assert!(decoded(&bad).is_err(), "{bad}");
        }
    }
}
