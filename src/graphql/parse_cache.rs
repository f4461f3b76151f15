//! Parsing through a cache, with the operation limits in front: text limits before the parser
//! sees a document, document limits after. Only documents that went on to pass validation are
//! kept, bounded by bytes as well as by count, so hostile documents never crowd out real ones.

use std::sync::Arc;

use async_graphql::parser::parse_query;
use async_graphql::{ServerError, Variables};

use super::errors::{with_code, ApiError};
use super::limits::{Limits, ScopeSizes};
use super::plan::Prepared;

/// Estimated bytes a parsed document and its plans hold per byte of its text (names,
/// positions, maps).
const PARSED_BYTES_PER_TEXT_BYTE: u64 = 12;

/// A parsed document (shared, never copied on a hit), and whether it was validated before.
pub struct Parsed {
    pub prepared: Arc<Prepared>,
    /// False for a document not yet cached: hand it to [`ParseCache::remember`] once the
    /// request has passed validation. True: it passed validation once (plans may serve it).
    pub validated: bool,
}

#[derive(Clone)]
pub struct ParseCache {
    cache: moka::sync::Cache<String, Arc<Prepared>>,
    limits: Limits,
}

impl ParseCache {
    /// At most `max_bytes` of parsed documents and at most `max_entries` of them.
    pub fn new(max_bytes: u64, max_entries: u64, limits: Limits) -> Self {
        let floor = max_bytes / max_entries.max(1);
        let cache = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(move |query: &String, _| {
                let estimate = (query.len() as u64).saturating_mul(PARSED_BYTES_PER_TEXT_BYTE);
                u32::try_from(estimate.max(floor)).unwrap_or(u32::MAX)
            })
            .build();
        Self { cache, limits }
    }

    /// The document for `query` (checked against every limit), from the cache or parsed now.
    pub fn parse(
        &self,
        query: &str,
        operation_name: Option<&str>,
        variables: &Variables,
        sizes: &dyn ScopeSizes,
    ) -> Result<Parsed, ServerError> {
        let parsed = self.document(query)?;
        self.check(&parsed, operation_name, variables, sizes, None)?;
        Ok(parsed)
    }

    /// The document for `query`, from the cache or parsed now within the text limits; the
    /// document limits are [`ParseCache::check`]'s.
    pub fn document(&self, query: &str) -> Result<Parsed, ServerError> {
        if let Some(prepared) = self.cache.get(query) {
            return Ok(Parsed {
                prepared,
                validated: true,
            });
        }
        self.limits
            .check_text(query)
            .map_err(|e| ApiError::from(e).to_server_error())?;
        let document = parse_query(query)
            .map_err(|e| with_code(ServerError::from(e), "GRAPHQL_PARSE_FAILED"))?;
        Ok(Parsed {
            prepared: Arc::new(Prepared::new(document)),
            validated: false,
        })
    }

    /// The document limits (nesting, aliases, cost with the variables and their defaults).
    pub fn check(
        &self,
        parsed: &Parsed,
        operation_name: Option<&str>,
        variables: &Variables,
        sizes: &dyn ScopeSizes,
        max_cost: Option<usize>,
    ) -> Result<(), ServerError> {
        let mut limits = self.limits;
        if let Some(max_cost) = max_cost {
            limits.max_cost = max_cost;
        }
        limits
            .check_document(&parsed.prepared.document, operation_name, variables, sizes)
            .map_err(|e| ApiError::from(e).to_server_error())
    }

    /// Keeps a document that passed validation.
    pub fn remember(&self, query: String, prepared: Arc<Prepared>) {
        self.cache.insert(query, prepared);
    }

    /// Documents held (after pending evictions), and their estimated bytes.
    pub fn usage(&self) -> (u64, u64) {
        self.cache.run_pending_tasks();
        (self.cache.entry_count(), self.cache.weighted_size())
    }
}
