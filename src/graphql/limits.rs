//! Operation limits, checked before validation and execution (after Apollo Router's
//! `limits`): tokens and nesting before parsing, then aliases, root fields and directives, and
//! a cost in which every field costs what it really does. A listing costs its page, plus the
//! products it may walk when its filter is not served by the indexes' order; `first: 0` is not
//! free.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::parser::Positioned;
use async_graphql::Variables;

use super::cost::Cost;
pub use super::cost::{ScopeSizes, ScopesOf, SCANNED_PRODUCTS_PER_UNIT};
use super::document::selected_operation;
use super::tokens::scan;

/// When a request's time budget runs out; resolvers check it before doing their work, so the
/// fields not yet resolved at that point are never computed.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: std::time::Instant,
    pub budget: std::time::Duration,
}

impl Deadline {
    pub fn after(budget: std::time::Duration) -> Self {
        Self {
            at: std::time::Instant::now() + budget,
            budget,
        }
    }

    /// `REQUEST_TIMEOUT` once the request's budget is spent.
    pub fn check(ctx: &async_graphql::Context<'_>) -> async_graphql::Result<()> {
        use async_graphql::ErrorExtensions;
        match ctx.data_opt::<Deadline>() {
            Some(d) if std::time::Instant::now() >= d.at => {
                let ms = d.budget.as_millis() as u64;
                Err(super::errors::ApiError::RequestTimeout { ms }.extend())
            }
            _ => Ok(()),
        }
    }
}

/// Which limit a request went past; each has a stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Tokens,
    Nesting,
    Aliases,
    RootFields,
    Directives,
    Cost,
}

impl Limit {
    pub fn code(self) -> &'static str {
        match self {
            Limit::Tokens => "MAX_TOKENS_LIMIT",
            Limit::Nesting => "MAX_NESTING_LIMIT",
            Limit::Aliases => "MAX_ALIASES_LIMIT",
            Limit::RootFields => "MAX_ROOT_FIELDS_LIMIT",
            Limit::Directives => "MAX_DIRECTIVES_LIMIT",
            Limit::Cost => "MAX_COST_LIMIT",
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            Limit::Tokens => "tokens",
            Limit::Nesting => "nested brackets",
            Limit::Aliases => "aliases",
            Limit::RootFields => "root fields",
            Limit::Directives => "directives",
            Limit::Cost => "cost",
        }
    }
}

/// A request past one of the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operation has more {} than the limit of {max} (at least {got})", .limit.what())]
pub struct LimitExceeded {
    pub limit: Limit,
    pub max: usize,
    pub got: usize,
}

/// The configured limits, and what the cost model needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_tokens: usize,
    pub max_nesting: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_directives: usize,
    pub max_cost: usize,
    /// Page size of a listing that names no `first`.
    pub default_page_size: usize,
    /// Largest page a listing returns (a larger `first` is refused anyway).
    pub max_page_size: usize,
}

fn check(limit: Limit, got: usize, max: usize) -> Result<(), LimitExceeded> {
    if got > max {
        Err(LimitExceeded { limit, max, got })
    } else {
        Ok(())
    }
}

impl Limits {
    /// Before parsing: tokens and bracket nesting of the text.
    pub fn check_text(&self, query: &str) -> Result<(), LimitExceeded> {
        let found = scan(query, self.max_tokens, self.max_nesting);
        check(Limit::Tokens, found.tokens, self.max_tokens)?;
        check(Limit::Nesting, found.max_nesting, self.max_nesting)
    }

    /// After parsing: aliases and directives anywhere in the document, root fields and cost of
    /// the selected operation, listings priced by the size of their scopes.
    pub fn check_document(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
        sizes: &dyn ScopeSizes,
    ) -> Result<(), LimitExceeded> {
        let mut counts = Counts::default();
        for (_, operation) in document.operations.iter() {
            counts.directives += operation.node.directives.len();
            counts.add_set(&operation.node.selection_set.node);
        }
        for fragment in document.fragments.values() {
            counts.directives += fragment.node.directives.len();
            counts.add_set(&fragment.node.selection_set.node);
        }
        check(Limit::Aliases, counts.aliases, self.max_aliases)?;
        check(Limit::Directives, counts.directives, self.max_directives)?;
        let Some(operation) = selected_operation(document, operation_name) else {
            return Ok(()); // execution says which operation is missing
        };
        // Costed with the values execution will use: a variable not sent takes its default.
        let with_defaults = with_defaults(operation, variables);
        let mut cost = Cost {
            limits: self,
            variables: with_defaults.as_ref().unwrap_or(variables),
            fragments: &document.fragments,
            memo: HashMap::new(),
            sizes,
        };
        let root = &operation.selection_set.node;
        check(
            Limit::RootFields,
            cost.root_fields(root, &mut vec![]),
            self.max_root_fields,
        )?;
        check(Limit::Cost, cost.of_set(root, 0), self.max_cost)
    }
}

/// `variables` with the operation's defaults for those not sent; `None` when nothing is added
/// (the usual case costs no copy). A variable sent as `null` stays `null`, as in execution.
fn with_defaults(
    operation: &async_graphql::parser::types::OperationDefinition,
    variables: &Variables,
) -> Option<Variables> {
    let missing = |d: &&Positioned<async_graphql::parser::types::VariableDefinition>| {
        d.node.default_value.is_some() && !variables.contains_key(&d.node.name.node)
    };
    if !operation.variable_definitions.iter().any(|d| missing(&d)) {
        return None;
    }
    let mut all = variables.clone();
    for definition in operation.variable_definitions.iter().filter(missing) {
        if let Some(default) = &definition.node.default_value {
            all.insert(definition.node.name.node.clone(), default.node.clone());
        }
    }
    Some(all)
}

/// Aliases and directives, counted once where they are written.
#[derive(Default)]
struct Counts {
    aliases: usize,
    directives: usize,
}

impl Counts {
    fn add_set(&mut self, set: &SelectionSet) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    self.aliases += usize::from(f.node.alias.is_some());
                    self.directives += f.node.directives.len();
                    self.add_set(&f.node.selection_set.node);
                }
                Selection::FragmentSpread(s) => self.directives += s.node.directives.len(),
                Selection::InlineFragment(i) => {
                    self.directives += i.node.directives.len();
                    self.add_set(&i.node.selection_set.node);
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
