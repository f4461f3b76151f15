//! The cost model: what an operation may cost before it runs, by the fields it selects, the
//! pages it asks for and the scopes its listings walk, with the values execution will use.

use std::collections::HashMap;

use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::parser::Positioned;
use async_graphql::{Name, Variables};
use async_graphql_value::{ConstValue, Value};

use super::limits::Limits;

/// Products one cost unit of scanning covers: a field costs about as much as scanning ten
/// catalog entries (measured: a 10,000-product listing scan ~ 1,000 product-page fields).
pub const SCANNED_PRODUCTS_PER_UNIT: usize = 10;

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

/// Fragments deeper than this are not followed (validation refuses cycles anyway).
const MAX_FRAGMENT_DEPTH: usize = 32;

pub(super) struct Cost<'a> {
    pub(super) limits: &'a Limits,
    pub(super) variables: &'a Variables,
    pub(super) fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// Cost of each fragment's selection, computed once however often it is spread.
    pub(super) memo: HashMap<Name, usize>,
    pub(super) sizes: &'a dyn ScopeSizes,
}

impl Cost<'_> {
    /// Fields at the root, through fragments (each fragment counted once: repeated spreads
    /// of one fragment merge into the same fields).
    pub(super) fn root_fields(&self, set: &SelectionSet, seen: &mut Vec<Name>) -> usize {
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

    pub(super) fn of_set(&mut self, set: &SelectionSet, depth: usize) -> usize {
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
