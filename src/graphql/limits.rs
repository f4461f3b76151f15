//! Checks that run before any resolver: parse and validation errors get codes, depth and
//! complexity are bounded, and parsed documents are cached by query text.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};

use super::errors::{with_code, ApiError};

/// The extension factory installed on the schema.
pub struct OperationLimits {
    shared: Arc<Shared>,
}

struct Shared {
    max_depth: usize,
    max_complexity: usize,
    parsed: moka::sync::Cache<String, Arc<ExecutableDocument>>,
}

impl OperationLimits {
    pub fn new(max_depth: usize, max_complexity: usize, parse_cache_entries: u64) -> Self {
        Self {
            shared: Arc::new(Shared {
                max_depth,
                max_complexity,
                parsed: moka::sync::Cache::new(parse_cache_entries),
            }),
        }
    }
}

impl ExtensionFactory for OperationLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            shared: Arc::clone(&self.shared),
        })
    }
}

struct LimitsExtension {
    shared: Arc<Shared>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.shared.parsed.get(query) {
            return Ok(ExecutableDocument::clone(&document));
        }
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))?;
        self.shared
            .parsed
            .insert(query.to_string(), Arc::new(document.clone()));
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, "GRAPHQL_VALIDATION_FAILED"))
                .collect::<Vec<_>>()
        })?;
        if result.depth > self.shared.max_depth {
            let error = ApiError::MaxDepth {
                depth: result.depth,
                max: self.shared.max_depth,
            };
            return Err(vec![error.to_server_error()]);
        }
        if result.complexity > self.shared.max_complexity {
            let error = ApiError::MaxComplexity {
                complexity: result.complexity,
                max: self.shared.max_complexity,
            };
            return Err(vec![error.to_server_error()]);
        }
        Ok(result)
    }
}
