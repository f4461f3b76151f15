//! The event contract of `docs/events.md`: one file per topic (its record, how it decodes into a
//! view change and encodes back), the wire [`Record`], the [`TopicMap`] and the shared decoding
//! rules. Knows neither Kafka nor the views' internals beyond the types it produces.

pub mod binary;
mod decode;
pub mod intl;
pub mod inventory;
pub mod price;
pub mod product;
mod record;
pub mod reservation;
mod topics;

pub use decode::{decode, DecodeError};
pub use record::Record;
pub use topics::TopicMap;
