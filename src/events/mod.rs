//! The event contract of `docs/events.md`: one file per topic (its record, how it decodes into a
//! view change and encodes back), the wire [`Record`], the [`TopicMap`] and the shared decoding
//! rules. Knows neither Kafka nor the views' internals beyond the types it produces.

pub mod binary;
mod decode;
pub mod formats;
pub mod intl;
pub mod inventory;
pub mod price;
pub mod product;
mod record;
pub mod reservation;
mod topics;

pub use decode::{decode, DecodeError};

/// The correction in force after a record of `version` (prices, products and countries alike):
/// this one if it says `"correction": true`, else the earlier one it carries (`correctedAt`).
fn correction_in_force(version: u64, correction: bool, corrected_at: Option<u64>) -> Option<u64> {
    if correction {
        Some(version)
    } else {
        corrected_at
    }
}

/// Writes a correction in force into a record's JSON (the inverse of [`correction_in_force`]).
fn write_correction(value: &mut serde_json::Value, version: u64, corrected_at: Option<u64>) {
    match corrected_at {
        Some(v) if v == version => value["correction"] = serde_json::json!(true),
        Some(v) => value["correctedAt"] = serde_json::json!(v),
        None => {}
    }
}
pub use record::Record;
pub use topics::TopicMap;
