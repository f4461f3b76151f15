//! GraphQL settings (`[graphql]`): operation limits, page sizes, caches, persisted queries.

use serde::{Deserialize, Serialize};

/// Limits and caches of the GraphQL layer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GraphqlSettings {
    /// Answer schema introspection queries (switch off in production if the schema is private).
    pub introspection: bool,
    /// Deepest selection nesting accepted (`MAX_DEPTH_LIMIT` above it).
    pub max_depth: usize,
    /// Highest query complexity accepted (`MAX_COMPLEXITY_LIMIT` above it); a list counts its
    /// children once per requested item.
    pub max_complexity: usize,
    /// Largest `first` accepted on connections (`FIRST_OUT_OF_RANGE` above it).
    pub max_page_size: usize,
    /// Page size when `first` is not given.
    pub default_page_size: usize,
    /// Values a list facet (brand, category, size, colour) returns at most, beyond the selected
    /// ones (most products first).
    pub facet_values: usize,
    /// Buckets of the price facet's histogram at most.
    pub facet_buckets: usize,
    /// Variant options (filters and facets) count only variants in stock, even without
    /// `inStock: true`.
    pub facet_options_in_stock: bool,
    /// Parsed query documents kept, so repeated queries skip the parser.
    pub parse_cache_entries: u64,
    /// Operations one batched POST (a JSON array) may hold; 0 refuses batches.
    pub max_batch_size: usize,
    /// Bytes of parsed documents the parse cache may hold (validated documents only).
    pub parse_cache_bytes: u64,
    /// Tokens a document may have (`MAX_TOKENS_LIMIT`), counted before parsing.
    pub max_tokens: usize,
    /// Deepest nesting of `{`, `(` and `[` (`MAX_NESTING_LIMIT`), checked before parsing.
    pub max_nesting: usize,
    /// Aliases in a document (`MAX_ALIASES_LIMIT`).
    pub max_aliases: usize,
    /// Fields at the root of the operation (`MAX_ROOT_FIELDS_LIMIT`).
    pub max_root_fields: usize,
    /// Directives in a document (`MAX_DIRECTIVES_LIMIT`).
    pub max_directives: usize,
    /// Highest cost of an operation (`MAX_COST_LIMIT`): a field costs 1, a list its items, a
    /// listing one unit per ten products scanned plus its page.
    pub max_cost: usize,
    /// Longest a request may execute (`REQUEST_TIMEOUT`); the remaining work is not done.
    pub request_timeout_ms: u64,
    /// Answers kept for reuse (0: off). A kept answer is reused only after checking that every
    /// record it was computed from still has the same version, so it is never stale.
    pub memo_entries: u64,
    /// Bytes the kept answers may take (answers and what they read, estimated); 0: off.
    pub memo_bytes: u64,
    /// Longest time an answer is kept, even when its records do not change; 0: no bound.
    pub memo_ttl_ms: u64,
    /// Bytes of documents registered through automatic persisted queries (APQ); 0: APQ off.
    pub apq_cache_bytes: u64,
    /// A manifest of trusted documents (Apollo's persisted query manifest, or GraphQL Codegen's
    /// `persisted-documents.json`); empty: none.
    pub trusted_documents: String,
    /// Refuse every document not in the manifest (`PERSISTED_QUERY_REQUIRED`).
    pub trusted_documents_only: bool,
    /// Seconds CDNs and browsers may keep a product page or listing answered over GET
    /// (`Cache-Control: public, max-age`, less the views' lag); 0: never cached.
    pub cache_max_age_secs: u64,
    /// Compiled execution plans for queries (`on`), async-graphql only (`off`), or plans checked
    /// against async-graphql on every request (`verify`, for tests).
    pub planner: PlannerMode,
}

/// Whether planned execution is used (`graphql.planner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlannerMode {
    /// Every request through async-graphql.
    Off,
    /// Plans where they apply (the default).
    On,
    /// Plans, and every planned answer computed by async-graphql too and compared (tests).
    Verify,
}
