//! What a planned request brings: its variables (checked strictly against their declared
//! types, so that whatever passes here also passes async-graphql's validation), argument
//! values, `@skip`/`@include` conditions and async-graphql's complexity figure.

use async_graphql::parser::types::{
    BaseType, Directive, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
    Type,
};
use async_graphql::parser::Positioned;
use async_graphql::{InputType, Name, Variables};
use async_graphql_value::{ConstValue, Value};

/// The request can't be served by a plan (async-graphql decides what it means).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;

pub type Res<T> = Result<T, Fallback>;

/// Input object fields: name, type, required.
const FILTER: &[(&str, &str, bool)] = &[
    ("category", "String", false),
    ("brand", "String", false),
    ("inStock", "Boolean", false),
    ("minPrice", "Decimal", false),
    ("maxPrice", "Decimal", false),
    ("query", "String", false),
    ("brands", "[String!]", false),
    ("options", "[OptionFilter!]", false),
];
const OPTION: &[(&str, &str, bool)] = &[("name", "String", true), ("values", "[String!]", true)];
const LINE: &[(&str, &str, bool)] = &[
    ("sku", "ID", true),
    ("quantity", "Int", true),
    ("quote", "String", false),
];
const SORT_KEYS: &[&str] = &["TITLE", "PRICE", "CREATED_AT", "ID"];

/// The request's variables with the operation's defaults filled in.
pub struct Vars<'a> {
    given: &'a Variables,
    operation: &'a OperationDefinition,
}

impl<'a> Vars<'a> {
    /// Checks every declared variable strictly: a value of exactly its type (or none, when the
    /// type is nullable or has a default). Anything looser falls back.
    pub fn check(given: &'a Variables, operation: &'a OperationDefinition) -> Res<Self> {
        for definition in &operation.variable_definitions {
            let definition = &definition.node;
            match given.get(&definition.name.node) {
                Some(value) => valid(&definition.var_type.node, value)?,
                None if definition.default_value.is_some() || definition.var_type.node.nullable => {
                }
                None => return Err(Fallback),
            }
        }
        Ok(Self { given, operation })
    }

    pub fn get(&self, name: &str) -> Option<ConstValue> {
        if let Some(value) = self.given.get(&Name::new(name)) {
            return Some(value.clone());
        }
        self.operation
            .variable_definitions
            .iter()
            .find(|d| d.node.name.node.as_str() == name)
            .and_then(|d| d.node.default_value.as_ref())
            .map(|v| v.node.clone())
    }

    /// A value with its variables substituted; a variable with no value is absent.
    pub fn resolve(&self, value: &Value) -> Option<ConstValue> {
        value
            .clone()
            .into_const_with(|name| self.get(&name).ok_or(()))
            .ok()
    }

    /// Argument `name` of `field` parsed as async-graphql would parse it.
    pub fn arg<T: InputType>(&self, field: &Field, name: &str) -> Res<T> {
        let value = field
            .arguments
            .iter()
            .find(|(n, _)| n.node.as_str() == name)
            .map(|(_, v)| match &v.node {
                Value::Variable(var) => self.get(var).ok_or(Fallback),
                other => self.resolve(other).ok_or(Fallback),
            })
            .transpose()?;
        T::parse(value).map_err(|_| Fallback)
    }

    /// Whether `@skip`/`@include` keep a selection, as async-graphql decides it: from the
    /// given variables only (not defaults), anything but `true` counting as false.
    pub fn keeps(&self, directives: &[Positioned<Directive>]) -> bool {
        for directive in directives {
            let include = match directive.node.name.node.as_str() {
                "skip" => false,
                "include" => true,
                _ => continue,
            };
            if let Some(condition) = directive.node.get_argument("if") {
                if include != self.condition(&condition.node) {
                    return false;
                }
            }
        }
        true
    }

    /// A condition's value: a literal, or a given variable, `true` only when it is `true`.
    pub fn condition(&self, value: &Value) -> bool {
        let value = match value {
            Value::Variable(name) => self.given.get(name).cloned(),
            other => other.clone().into_const(),
        };
        matches!(value, Some(ConstValue::Boolean(true)))
    }
}

/// Whether `value` is exactly of type `ty` (a strict subset of what GraphQL accepts).
fn valid(ty: &Type, value: &ConstValue) -> Res<()> {
    if matches!(value, ConstValue::Null) {
        return if ty.nullable { Ok(()) } else { Err(Fallback) };
    }
    let ok = match (&ty.base, value) {
        (BaseType::List(item), ConstValue::List(items)) => {
            return items.iter().try_for_each(|v| valid(item, v));
        }
        (BaseType::Named(name), value) => match (name.as_str(), value) {
            ("String" | "ID" | "Decimal" | "DateTime" | "CountryCode", ConstValue::String(_)) => {
                true
            }
            ("Int", ConstValue::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            ("Boolean", ConstValue::Boolean(_)) => true,
            ("ProductSortKeys", ConstValue::String(s)) => SORT_KEYS.contains(&s.as_str()),
            ("ProductSortKeys", ConstValue::Enum(s)) => SORT_KEYS.contains(&s.as_str()),
            ("ProductFilter", ConstValue::Object(fields)) => return object(FILTER, fields),
            ("CheckoutLineInput", ConstValue::Object(fields)) => return object(LINE, fields),
            ("OptionFilter", ConstValue::Object(fields)) => return object(OPTION, fields),
            _ => false,
        },
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Fallback)
    }
}

fn object(
    shape: &[(&str, &str, bool)],
    fields: &async_graphql::indexmap::IndexMap<Name, ConstValue>,
) -> Res<()> {
    for (name, value) in fields {
        let (_, ty, required) = shape
            .iter()
            .find(|(n, _, _)| *n == name.as_str())
            .ok_or(Fallback)?;
        let mut ty = Type::new(ty).ok_or(Fallback)?;
        ty.nullable = !required;
        valid(&ty, value)?;
    }
    let missing = shape
        .iter()
        .any(|(n, _, required)| *required && !fields.contains_key(*n));
    if missing {
        Err(Fallback)
    } else {
        Ok(())
    }
}

/// Page size async-graphql's complexity assumes for `products` without `first`.
const COMPLEXITY_PAGE: i64 = 20;

/// The complexity async-graphql computes for the operation (fragments inlined, `@skip` and
/// `@include` not applied, `__typename` free, `products` = page * children + 1).
pub fn complexity(doc: &ExecutableDocument, op: &OperationDefinition, vars: &Vars) -> Res<usize> {
    set_complexity(doc, &op.selection_set.node, vars, 0)
}

fn set_complexity(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    vars: &Vars,
    depth: usize,
) -> Res<usize> {
    if depth > 64 {
        return Err(Fallback);
    }
    let mut total = 0usize;
    for item in &set.items {
        total = total.saturating_add(match &item.node {
            Selection::Field(f) if f.node.name.node == "__typename" => 0,
            Selection::Field(f) => {
                let children = set_complexity(doc, &f.node.selection_set.node, vars, depth + 1)?;
                if f.node.name.node == "products" && depth == 0 {
                    let first: Option<i32> = vars.arg(&f.node, "first")?;
                    let page = first.map_or(COMPLEXITY_PAGE, i64::from).clamp(0, 10_000) as usize;
                    page.saturating_mul(children).saturating_add(1)
                } else {
                    children.saturating_add(1)
                }
            }
            Selection::FragmentSpread(spread) => {
                let fragment = doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .ok_or(Fallback)?;
                set_complexity(doc, &fragment.node.selection_set.node, vars, depth)?
            }
            Selection::InlineFragment(inline) => {
                set_complexity(doc, &inline.node.selection_set.node, vars, depth)?
            }
        });
    }
    Ok(total)
}
