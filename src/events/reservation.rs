//! `vitrine.reservations`: hold requests and releases, keyed by SKU (so every event about one
//! SKU is totally ordered), and the decided holds Vitrine's own snapshots carry.

use serde::Deserialize;
use serde_json::{json, Value};

use super::decode::{check_key, invalid, DecodeError};
use crate::views::holds::{HeldLine, HoldEnd, ReservationEvent};

/// The longest hold a request may ask for (a week), whatever the settings say.
const MAX_TTL_MS: i64 = 7 * 24 * 3_600_000;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub(super) enum ReservationRecord {
    #[serde(rename_all = "camelCase")]
    Hold {
        reservation: String,
        sku: String,
        quantity: i32,
        ttl_ms: i64,
        #[serde(default)]
        client: String,
        lines: u32,
    },
    #[serde(rename_all = "camelCase")]
    Release { reservation: String, sku: String },
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
    },
}

/// Decodes an event; a hold's log time is set by the caller (the message's timestamp).
pub(super) fn decode(
    key: &str,
    record: ReservationRecord,
) -> Result<ReservationEvent, DecodeError> {
    let id_ok = |id: &str| !id.is_empty() && id.len() <= 128;
    match record {
        ReservationRecord::Hold {
            reservation,
            sku,
            quantity,
            ttl_ms,
            client,
            lines,
        } => {
            check_key(key, "sku", &sku)?;
            if !id_ok(&reservation) {
                return Err(invalid("reservation", "1 to 128 characters"));
            }
            if quantity < 1 {
                return Err(invalid("quantity", "must be at least 1"));
            }
            if !(1..=MAX_TTL_MS).contains(&ttl_ms) {
                return Err(invalid("ttlMs", "must be between 1 ms and a week"));
            }
            if lines == 0 {
                return Err(invalid("lines", "must be at least 1"));
            }
            Ok(ReservationEvent::Hold {
                id: reservation,
                sku,
                quantity,
                ttl_ms,
                client,
                lines,
                at_ms: 0,
            })
        }
        ReservationRecord::Release { reservation, sku } => {
            check_key(key, "sku", &sku)?;
            Ok(ReservationEvent::Release {
                id: reservation,
                sku,
            })
        }
        ReservationRecord::Decided {
            reservation,
            sku,
            requested,
            held,
            expires_at_ms,
            client,
            lines,
            ended,
        } => {
            check_key(key, "sku", &sku)?;
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
            }))
        }
    }
}

/// A hold request as `reserve` produces it.
pub fn hold(
    reservation: &str,
    sku: &str,
    quantity: i32,
    ttl_ms: i64,
    client: &str,
    lines: u32,
) -> Value {
    json!({"type": "hold", "reservation": reservation, "sku": sku, "quantity": quantity,
           "ttlMs": ttl_ms, "client": client, "lines": lines})
}

pub fn release(reservation: &str, sku: &str) -> Value {
    json!({"type": "release", "reservation": reservation, "sku": sku})
}

/// A decided line, as snapshots carry it.
pub fn decided(line: &HeldLine) -> Value {
    let ended = line.ended.map(|e| match e {
        HoldEnd::Released => "released",
        HoldEnd::Accounted => "accounted",
    });
    json!({"type": "decided", "reservation": line.reservation, "sku": line.sku,
           "requested": line.requested, "held": line.held, "expiresAtMs": line.expires_at_ms,
           "client": line.client, "lines": line.lines, "ended": ended})
}

#[cfg(test)]
mod tests {
    use crate::events::decode;
    use crate::views::holds::ReservationEvent;
    use crate::views::{Change, ViewKind};

    #[test]
    fn decodes_holds_releases_and_refuses_nonsense() {
        let hold = super::hold("r1", "s", 2, 60_000, "1.2.3.4", 1).to_string();
        let Ok(Change::Reservation(ReservationEvent::Hold { quantity: 2, .. })) =
            decode(ViewKind::Reservations, Some(b"s"), Some(hold.as_bytes()))
        else {
            panic!("{hold}")
        };
        let release = super::release("r1", "s").to_string();
        assert!(decode(ViewKind::Reservations, Some(b"s"), Some(release.as_bytes())).is_ok());
        for bad in [
            super::hold("r1", "other", 2, 60_000, "c", 1).to_string(),
            super::hold("r1", "s", 0, 60_000, "c", 1).to_string(),
            super::hold("r1", "s", 1, 0, "c", 1).to_string(),
            super::hold("", "s", 1, 10, "c", 1).to_string(),
            r#"{"type":"steal","sku":"s"}"#.to_string(),
        ] {
            assert!(
                decode(ViewKind::Reservations, Some(b"s"), Some(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }
}
