//! One message as a topic carries it: the view it feeds, the key and the JSON value.

use crate::views::ViewKind;

/// One message: the view's topic, the key and the JSON value (`None` for a tombstone).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: ViewKind,
    pub key: String,
    pub payload: Option<Vec<u8>>,
}
