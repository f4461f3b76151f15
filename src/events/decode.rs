//! The shared decoding rules (UTF-8 key, JSON value, null value = tombstone, key equals the
//! record's id) and the dispatch from a topic's view to its record type.

use serde::Deserialize;

use super::{intl, inventory, price, product, reservation};
use crate::views::{Change, ViewKind};

/// Why a message was skipped. Nothing in the views changes for such a message.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("message has no key")]
    MissingKey,
    #[error("key is not UTF-8")]
    KeyNotUtf8,
    #[error("value is not a valid record: {0}")]
    Json(String),
    #[error("key `{key}` does not match the record's `{field}` `{value}`")]
    KeyMismatch {
        key: String,
        field: &'static str,
        value: String,
    },
    #[error("field `{field}`: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A binary value's frame (schema id, message indexes) could not be read.
    #[error("value frame: {0}")]
    Frame(#[from] super::formats::FrameError),
    /// A binary value does not decode with its writer's schema.
    #[error("value does not decode with its schema: {0}")]
    Binary(String),
    /// The registry does not know the value's schema, or it cannot be used.
    #[error("schema {schema}: {reason}")]
    Schema { schema: String, reason: String },
}

pub(super) fn invalid(field: &'static str, reason: impl Into<String>) -> DecodeError {
    DecodeError::Invalid {
        field,
        reason: reason.into(),
    }
}

pub(super) fn check_key(key: &str, field: &'static str, value: &str) -> Result<(), DecodeError> {
    if key == value {
        Ok(())
    } else {
        Err(DecodeError::KeyMismatch {
            key: key.to_string(),
            field,
            value: value.to_string(),
        })
    }
}

/// An ISO code of `len` upper-case ASCII letters (`GB`, `USD`).
pub(super) fn is_code(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_uppercase())
}

fn parse<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(payload).map_err(|e| DecodeError::Json(e.to_string()))
}

/// Decodes one message of the topic feeding `kind`; a `None` payload is a tombstone.
pub fn decode(
    kind: ViewKind,
    key: Option<&[u8]>,
    payload: Option<&[u8]>,
) -> Result<Change, DecodeError> {
    let key = key.ok_or(DecodeError::MissingKey)?;
    let key = std::str::from_utf8(key).map_err(|_| DecodeError::KeyNotUtf8)?;
    if key.is_empty() {
        return Err(DecodeError::MissingKey);
    }
    let Some(payload) = payload else {
        return Ok(Change::Delete(kind, key.to_string()));
    };
    match kind {
        ViewKind::Products => product::decode(key, parse(payload)?)
            .map(|p| product::with_correction(p, payload))
            .map(Change::Product),
        ViewKind::Prices => price::decode(key, parse(payload)?).map(Change::Price),
        ViewKind::Inventory => inventory::decode(key, parse(payload)?).map(Change::Inventory),
        ViewKind::Intl => intl::decode(key, parse(payload)?).map(Change::Intl),
        ViewKind::Reservations => {
            reservation::decode(key, parse(payload)?).map(Change::Reservation)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tombstones_and_keys() {
        assert_eq!(
            decode(ViewKind::Prices, Some(b"a"), None),
            Ok(Change::Delete(ViewKind::Prices, "a".into()))
        );
        assert_eq!(
            decode(ViewKind::Prices, None, None),
            Err(DecodeError::MissingKey)
        );
        assert_eq!(
            decode(ViewKind::Prices, Some(b""), None),
            Err(DecodeError::MissingKey)
        );
        assert_eq!(
            decode(ViewKind::Prices, Some(b"\xff"), None),
            Err(DecodeError::KeyNotUtf8)
        );
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        type Case<'a> = (ViewKind, Option<&'a [u8]>, &'a [u8]);
        let cases: [Case; 11] = [
            (ViewKind::Prices, Some(b"a"), b"{not json"),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"a","version":1,"currency":"USD"}"#),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"a","version":"1","currency":"USD","list":1}"#),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"b","version":1,"currency":"USD","list":1}"#),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"a","version":1,"currency":"usd","list":1}"#),
            (ViewKind::Prices, Some(b"a"), br#"{"sku":"a","version":-1,"currency":"USD","list":1}"#),
            (ViewKind::Prices, None, br#"{"sku":"a","version":1,"currency":"USD","list":1}"#),
            (ViewKind::Inventory, Some(b"a"), br#"{"sku":"a","version":1,"available":1e99}"#),
            (ViewKind::Inventory, Some(b"\xff"), br#"{"sku":"a","version":1,"available":1}"#),
            (ViewKind::Products, Some(b"p1"), br#"[1,2]"#),
            (
                ViewKind::Products,
                Some(b"p1"),
                br#"{"id":"p1","version":1,"title":"T","brand":"B","publishedAt":"yesterday","variants":[]}"#,
            ),
        ];
        for (kind, key, payload) in cases {
            let result = decode(kind, key, Some(payload));
            assert!(
                result.is_err(),
                "{:?} should be rejected",
                String::from_utf8_lossy(payload)
            );
        }
    }
}
