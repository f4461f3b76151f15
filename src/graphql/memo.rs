//! The answer memo's entries and counters: a serialized answer is reused only while every
//! record it read is still the very one it read (see `views::reads`).

use std::sync::atomic::AtomicU64;

use async_graphql::Request;
use bytes::Bytes;

use crate::views::reads::ReadLog;

/// A serialized answer, the record versions it was computed from, and its operation label.
pub(super) struct Memo {
    pub(super) body: Bytes,
    pub(super) reads: ReadLog,
    pub(super) operation: &'static str,
    /// The catalog's change count when `reads` was last found current (see
    /// `ReadLog::still_current_since`).
    pub(super) verified_at: AtomicU64,
}

/// Counters of the answer memo.
#[derive(Debug, Default)]
pub struct MemoStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    /// Found, but some record it read has changed since: recomputed.
    pub outdated: AtomicU64,
}

/// What makes two requests the same: operation name, variables and query text.
pub(super) fn memo_key(request: &Request) -> String {
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    format!(
        "{}\n{}\n{}",
        request.operation_name.as_deref().unwrap_or(""),
        variables,
        request.query
    )
}
