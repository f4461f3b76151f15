//! Operation limits, checked before validation and execution (after Apollo Router's
//! `limits`): tokens and nesting before parsing, then aliases, root fields and directives, and
//! a cost in which every field costs what it really does. A listing costs its page, plus the
//! products it may walk when its filter is not served by the indexes' order; `first: 0` is not
//! free.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, Field, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::{Name, Variables};
use async_graphql_value::{ConstValue, Value};

use super::document::selected_operation;
use super::tokens::scan;

/// Products one cost unit of scanning covers: a field costs about as much as scanning ten
/// catalog entries (measured: a 10,000-product listing scan ~ 1,000 product-page fields).
pub const SCANNED_PRODUCTS_PER_UNIT: usize = 10;

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

/// How many products a listing's scope holds (its category and brand, or the whole catalog):
/// the walks and facets that look at each product of the scope cost one unit per ten of them.
pub trait ScopeSizes {
    fn scope(&self, category: Option<&str>, brand: Option<&str>) -> usize;
}

/// A catalog of this many products, every scope priced as the whole catalog.
impl ScopeSizes for usize {
    fn scope(&self, _: Option<&str>, _: Option<&str>) -> usize {
        *self
    }
}

/// The catalog's listing scopes as they stand.
pub struct ScopesOf<'c>(pub &'c crate::views::Catalog);

impl ScopeSizes for ScopesOf<'_> {
    fn scope(&self, category: Option<&str>, brand: Option<&str>) -> usize {
        self.0.scope_len(category, brand)
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

/// Fragments deeper than this are not followed (validation refuses cycles anyway).
const MAX_FRAGMENT_DEPTH: usize = 32;

struct Cost<'a> {
    limits: &'a Limits,
    variables: &'a Variables,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// Cost of each fragment's selection, computed once however often it is spread.
    memo: HashMap<Name, usize>,
    sizes: &'a dyn ScopeSizes,
}

impl Cost<'_> {
    /// Fields at the root, through fragments (each fragment counted once: repeated spreads
    /// of one fragment merge into the same fields).
    fn root_fields(&self, set: &SelectionSet, seen: &mut Vec<Name>) -> usize {
        let mut n = 0usize;
        for item in &set.items {
            n = n.saturating_add(match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(i) => self.root_fields(&i.node.selection_set.node, seen),
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    match self.fragments.get(name) {
                        Some(f) if !seen.contains(name) && seen.len() < MAX_FRAGMENT_DEPTH => {
                            seen.push(name.clone());
                            self.root_fields(&f.node.selection_set.node, seen)
                        }
                        _ => 0,
                    }
                }
            });
        }
        n
    }

    fn of_set(&mut self, set: &SelectionSet, depth: usize) -> usize {
        if depth > MAX_FRAGMENT_DEPTH {
            return 0;
        }
        let mut total = 0usize;
        for item in &set.items {
            let cost = match &item.node {
                Selection::Field(f) => self.of_field(&f.node, depth),
                Selection::InlineFragment(i) => self.of_set(&i.node.selection_set.node, depth + 1),
                Selection::FragmentSpread(s) => self.of_spread(&s.node.fragment_name.node, depth),
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn of_spread(&mut self, name: &Name, depth: usize) -> usize {
        if let Some(cost) = self.memo.get(name) {
            return *cost;
        }
        let Some(fragment) = self.fragments.get(name) else {
            return 0;
        };
        // Zero while computing, so a cycle (refused by validation later) ends here.
        self.memo.insert(name.clone(), 0);
        let cost = self.of_set(&fragment.node.selection_set.node, depth + 1);
        self.memo.insert(name.clone(), cost);
        cost
    }

    fn of_field(&mut self, field: &Field, depth: usize) -> usize {
        let children = self.of_set(&field.selection_set.node, depth + 1);
        match field.name.node.as_str() {
            // A page of items from the indexes, after a walk of the catalog when the filter
            // may need one (see `walks`).
            "products" => {
                let page = self
                    .int_argument(field, "first")
                    .map_or(self.limits.default_page_size, |n| {
                        n.clamp(0, self.limits.max_page_size as i64) as usize
                    });
                let scan_units = self.scan_units(field);
                let walk = if self.walks(field) { scan_units } else { 1 };
                // Facets are computed once per listing, not per item: over the scope's
                // bitmaps, looking at each product of the scope for the price facet.
                let facets = self.facets_cost(field, depth);
                let items = children.saturating_sub(facets).max(1);
                let facets = match facets {
                    0 => 0,
                    n => n.saturating_add(scan_units),
                };
                walk.saturating_add(page.max(1).saturating_mul(items))
                    .saturating_add(facets)
            }
            // One priced line per cart line.
            "checkout" => {
                let lines = self.list_argument_len(field, "lines").unwrap_or(1);
                1usize.saturating_add(lines.max(1).saturating_mul(children.max(1)))
            }
            _ => 1usize.saturating_add(children),
        }
    }

    /// Units of looking at every product of the listing's scope (its category and brand as
    /// given, literally or by variable).
    fn scan_units(&self, field: &Field) -> usize {
        let given = |name: &str| -> Option<String> {
            let value = match self.argument(field, "filter")? {
                ArgumentValue::Const(ConstValue::Object(f)) => f.get(name)?.clone(),
                ArgumentValue::Literal(Value::Object(f)) => match f.get(name)? {
                    Value::Variable(var) => self.variables.get(var)?.clone(),
                    other => other.clone().into_const()?,
                },
                _ => return None,
            };
            match value {
                ConstValue::String(s) => Some(s),
                _ => None,
            }
        };
        let (category, brand) = (given("category"), given("brand"));
        self.sizes
            .scope(category.as_deref(), brand.as_deref())
            .div_ceil(SCANNED_PRODUCTS_PER_UNIT)
    }

    /// The cost of the `facets` fields selected directly under a listing (0: none).
    fn facets_cost(&mut self, listing: &Field, depth: usize) -> usize {
        let mut total = 0usize;
        for item in &listing.selection_set.node.items {
            if let Selection::Field(f) = &item.node {
                if f.node.name.node == "facets" {
                    total = total.saturating_add(self.of_field(&f.node, depth + 1));
                }
            }
        }
        total
    }

    fn argument<'f>(&'f self, field: &'f Field, name: &str) -> Option<ArgumentValue<'f>> {
        let (_, value) = field
            .arguments
            .iter()
            .find(|(n, _)| n.node.as_str() == name)?;
        Some(match &value.node {
            Value::Variable(var) => ArgumentValue::Const(self.variables.get(var)?),
            other => ArgumentValue::Literal(other),
        })
    }

    /// A listing may look at every product of its scope (up to the whole catalog) when its
    /// filter has a condition the indexes do not order by: text, price bounds, stock, or both
    /// a category and a brand. A category or a brand alone is walked only as far as the page.
    fn walks(&self, field: &Field) -> bool {
        let given = |name: &str| match self.argument(field, "filter") {
            Some(ArgumentValue::Const(ConstValue::Object(f))) => {
                f.get(name).is_some_and(|v| *v != ConstValue::Null)
            }
            Some(ArgumentValue::Literal(Value::Object(f))) => {
                f.get(name).is_some_and(|v| *v != Value::Null)
            }
            _ => false,
        };
        [
            "query", "minPrice", "maxPrice", "inStock", "brands", "options",
        ]
        .iter()
        .any(|name| given(name))
            || (given("category") && given("brand"))
    }

    fn int_argument(&self, field: &Field, name: &str) -> Option<i64> {
        match self.argument(field, name)? {
            ArgumentValue::Const(ConstValue::Number(n)) => n.as_i64(),
            ArgumentValue::Literal(Value::Number(n)) => n.as_i64(),
            _ => None,
        }
    }

    fn list_argument_len(&self, field: &Field, name: &str) -> Option<usize> {
        match self.argument(field, name)? {
            ArgumentValue::Const(ConstValue::List(items)) => Some(items.len()),
            ArgumentValue::Literal(Value::List(items)) => Some(items.len()),
            _ => None,
        }
    }
}

enum ArgumentValue<'a> {
    Const(&'a ConstValue),
    Literal(&'a Value),
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
