//! Shopify's `@inContext(country: GB)` on an operation: the country for every priced field that
//! names none. Taken off the parsed document before validation (async-graphql has no
//! operation-level custom directives) and handed to resolvers as request data.

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition,
    Selection, SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::{Name, ServerError, Variables};
// The parser's values (which may name variables); async-graphql re-exports only the constant ones.
use async_graphql_value::{ConstValue, Value};

use super::document::selected_operation;
use super::errors::with_code;

/// The country an operation's `@inContext` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextCountry(pub String);

const DIRECTIVE: &str = "inContext";

fn bad(message: String) -> ServerError {
    with_code(ServerError::new(message, None), "BAD_USER_INPUT")
}

/// The directive's arguments, as a declaration would have them: `directive @inContext(country:
/// CountryCode, language: LanguageCode, banner: String) on QUERY | MUTATION | SUBSCRIPTION`.
const ARGUMENTS: [&str; 3] = ["country", "language", "banner"];

fn invalid(message: String, at: async_graphql::Pos) -> ServerError {
    with_code(
        ServerError::new(message, Some(at)),
        "GRAPHQL_VALIDATION_FAILED",
    )
}

/// Validates the hand-read directive as the schema validates everything else: an unknown or
/// repeated argument, a value of the wrong kind, or the directive twice on one operation is a
/// validation error, never a silent answer in the base country
/// (`tests::unknown_arguments_wrong_kinds_and_repeats_are_validation_errors`).
fn validate(operation: &OperationDefinition) -> Result<(), ServerError> {
    let mut found = operation
        .directives
        .iter()
        .filter(|d| d.node.name.node.as_str() == DIRECTIVE);
    let Some(directive) = found.next() else {
        return Ok(());
    };
    if let Some(again) = found.next() {
        return Err(invalid(
            format!("The directive \"@{DIRECTIVE}\" can only be used once at this location."),
            again.pos,
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &directive.node.arguments {
        let name_text = name.node.as_str();
        if !ARGUMENTS.contains(&name_text) {
            return Err(invalid(
                format!("Unknown argument \"{name_text}\" on directive \"@{DIRECTIVE}\"."),
                name.pos,
            ));
        }
        if seen.contains(&name_text) {
            return Err(invalid(
                format!("There can be only one argument named \"{name_text}\"."),
                name.pos,
            ));
        }
        seen.push(name_text);
        if !matches!(
            value.node,
            Value::Enum(_) | Value::String(_) | Value::Variable(_)
        ) {
            return Err(invalid(
                format!(
                    "Invalid value for argument \"{name_text}\" of \"@{DIRECTIVE}\": \
                     expected a code such as GB or EN."
                ),
                value.pos,
            ));
        }
    }
    Ok(())
}

fn value_uses(value: &Value, var: &str) -> bool {
    match value {
        Value::Variable(name) => name.as_str() == var,
        Value::List(items) => items.iter().any(|v| value_uses(v, var)),
        Value::Object(fields) => fields.values().any(|v| value_uses(v, var)),
        _ => false,
    }
}

fn directives_use(directives: &[Positioned<Directive>], var: &str) -> bool {
    directives.iter().any(|d| {
        d.node
            .arguments
            .iter()
            .any(|(_, v)| value_uses(&v.node, var))
    })
}

/// Whether `var` is referenced in a selection set.
fn selection_uses(set: &SelectionSet, var: &str) -> bool {
    set.items.iter().any(|item| match &item.node {
        Selection::Field(f) => {
            f.node
                .arguments
                .iter()
                .any(|(_, v)| value_uses(&v.node, var))
                || directives_use(&f.node.directives, var)
                || selection_uses(&f.node.selection_set.node, var)
        }
        Selection::FragmentSpread(s) => directives_use(&s.node.directives, var),
        Selection::InlineFragment(i) => {
            directives_use(&i.node.directives, var)
                || selection_uses(&i.node.selection_set.node, var)
        }
    })
}

/// Whether `var` is still referenced by the operation or any fragment (conservatively).
fn still_used(
    operation: &OperationDefinition,
    fragments: &[&FragmentDefinition],
    var: &str,
) -> bool {
    directives_use(&operation.directives, var)
        || selection_uses(&operation.selection_set.node, var)
        || fragments.iter().any(|f| {
            directives_use(&f.directives, var) || selection_uses(&f.selection_set.node, var)
        })
}

fn take_from(
    operation: &mut OperationDefinition,
    variables: &Variables,
    fragments: &[&FragmentDefinition],
) -> Result<Option<ContextCountry>, ServerError> {
    validate(operation)?;
    let Some(index) = operation
        .directives
        .iter()
        .position(|d| d.node.name.node.as_str() == DIRECTIVE)
    else {
        return Ok(None);
    };
    let directive = operation.directives.remove(index).node;
    // A variable only the directive used is now unused: drop its definition too, or validation
    // would refuse the operation.
    for (_, value) in &directive.arguments {
        if let Value::Variable(var) = &value.node {
            if !still_used(operation, fragments, var) {
                operation
                    .variable_definitions
                    .retain(|d| d.node.name.node.as_str() != var.as_str());
            }
        }
    }
    country_in(&directive, variables)
}

/// The country an operation's `@inContext` names, without changing the operation (the
/// planner reads it from the cached document).
pub fn context_country(
    operation: &OperationDefinition,
    variables: &Variables,
) -> Result<Option<ContextCountry>, ServerError> {
    validate(operation)?;
    match operation
        .directives
        .iter()
        .find(|d| d.node.name.node.as_str() == DIRECTIVE)
    {
        Some(directive) => country_in(&directive.node, variables),
        None => Ok(None),
    }
}

/// The banner an operation's `@inContext(banner:)` names (a string or an enum-like name, or a
/// variable holding one).
pub fn context_banner(
    operation: &OperationDefinition,
    variables: &Variables,
) -> Result<Option<String>, ServerError> {
    context_name(operation, variables, "banner")
}

/// The language an operation's `@inContext(language:)` names (echoed with the context).
pub fn context_language(
    operation: &OperationDefinition,
    variables: &Variables,
) -> Result<Option<String>, ServerError> {
    context_name(operation, variables, "language")
}

fn context_name(
    operation: &OperationDefinition,
    variables: &Variables,
    argument: &str,
) -> Result<Option<String>, ServerError> {
    validate(operation)?;
    let Some(directive) = operation
        .directives
        .iter()
        .find(|d| d.node.name.node.as_str() == DIRECTIVE)
    else {
        return Ok(None);
    };
    let Some((_, value)) = directive
        .node
        .arguments
        .iter()
        .find(|(name, _)| name.node.as_str() == argument)
    else {
        return Ok(None);
    };
    text_of(&value.node, variables)
        .map(Some)
        .ok_or_else(|| bad(format!("@inContext({argument}:) needs a name or a code")))
}

/// An argument's text: an enum-like name or a string, given or held by a variable.
fn text_of(value: &Value, variables: &Variables) -> Option<String> {
    match value {
        Value::Enum(name) => Some(name.to_string()),
        Value::String(text) => Some(text.clone()),
        Value::Variable(var) => match variables.get(&Name::new(var.as_str())) {
            Some(ConstValue::Enum(name)) => Some(name.to_string()),
            Some(ConstValue::String(text)) => Some(text.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn country_in(
    directive: &Directive,
    variables: &Variables,
) -> Result<Option<ContextCountry>, ServerError> {
    let mut country = None;
    for (name, value) in &directive.arguments {
        if name.node.as_str() != "country" {
            continue; // `language`: accepted, not used here.
        }
        let code = text_of(&value.node, variables)
            .ok_or_else(|| bad("@inContext(country:) needs a country code".into()))?;
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(bad(format!(
                "@inContext(country: {code}) is not an ISO 3166-1 alpha-2 code"
            )));
        }
        country = Some(ContextCountry(code));
    }
    Ok(country)
}

/// Removes `@inContext` from every operation of the document (validation would refuse it) and
/// returns the country named by the operation that `operation_name` selects.
pub fn take_in_context(
    document: &mut ExecutableDocument,
    variables: &Variables,
    operation_name: Option<&str>,
) -> Result<Option<ContextCountry>, ServerError> {
    let selected = selected_operation(document, operation_name).map(|op| op as *const _);
    let fragments: Vec<&FragmentDefinition> =
        document.fragments.values().map(|f| &f.node).collect();
    let operations: Vec<&mut Positioned<OperationDefinition>> = match &mut document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values_mut().collect(),
    };
    let mut found = None;
    for operation in operations {
        let is_selected = selected == Some(&operation.node as *const _);
        let country = take_from(&mut operation.node, variables, &fragments);
        if is_selected {
            found = country?;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn take(
        query: &str,
        variables: serde_json::Value,
    ) -> Result<Option<ContextCountry>, ServerError> {
        let mut doc = parse_query(query).unwrap();
        let found = take_in_context(&mut doc, &Variables::from_json(variables), None);
        if found.is_ok() {
            let left = doc
                .operations
                .iter()
                .any(|(_, op)| !op.node.directives.is_empty());
            assert!(!left, "the directive is removed");
        }
        found
    }

    #[test]
    fn reads_enum_string_and_variable_forms() {
        let gb = Some(ContextCountry("GB".into()));
        assert_eq!(
            take("query @inContext(country: GB) { a }", serde_json::json!({})).unwrap(),
            gb
        );
        assert_eq!(
            take(
                "query @inContext(country: \"GB\", language: EN) { a }",
                serde_json::json!({})
            )
            .unwrap(),
            gb
        );
        assert_eq!(
            take(
                "query Q($c: CountryCode) @inContext(country: $c) { a }",
                serde_json::json!({"c": "GB"})
            )
            .unwrap(),
            gb
        );
        assert_eq!(take("{ a }", serde_json::json!({})).unwrap(), None);
        assert!(take("query @inContext(country: gb) { a }", serde_json::json!({})).is_err());
        assert!(take("query @inContext(country: 3) { a }", serde_json::json!({})).is_err());
    }

    #[test]
    fn unknown_arguments_wrong_kinds_and_repeats_are_validation_errors() {
        let code = |query: &str| {
            let error = take(query, serde_json::json!({})).unwrap_err();
            error.extensions.unwrap().get("code").cloned()
        };
        let failed = Some(ConstValue::String("GRAPHQL_VALIDATION_FAILED".into()));
        for query in [
            "query @inContext(contry: GB) { a }",
            "query @inContext(country: GB, nosuch: 1) { a }",
            "query @inContext(banner: \"x\", nosuch: 1) { a }",
            "query @inContext(country: GB, country: JP) { a }",
            "query @inContext(country: [GB]) { a }",
            "query @inContext(country: {code: GB}) { a }",
            "query @inContext(country: GB) @inContext(country: JP) { a }",
        ] {
            assert_eq!(code(query), failed, "{query}");
        }
    }

    #[test]
    fn a_variable_only_the_directive_used_is_dropped_another_kept() {
        let vars = Variables::from_json(serde_json::json!({"c": "GB"}));
        let defined = |query: &str| {
            let mut doc = parse_query(query).unwrap();
            take_in_context(&mut doc, &vars, None).unwrap();
            let (_, op) = doc.operations.iter().next().unwrap();
            op.node.variable_definitions.len()
        };
        assert_eq!(
            defined("query($c: CountryCode) @inContext(country: $c) { a }"),
            0
        );
        assert_eq!(
            defined("query($c: CountryCode) @inContext(country: $c) { a(country: $c) }"),
            1
        );
        assert_eq!(defined("query($c: CountryCode) @inContext(country: $c) { ...F } fragment F on Q { a(c: $c) }"), 1);
    }

    /// The country comes from the operation `operationName` selects, whatever the others say.
    #[test]
    fn the_selected_operation_decides() {
        let query = "query A @inContext(country: GB) { a } query B @inContext(country: JP) { a } query C { a }";
        let vars = Variables::from_json(serde_json::json!({}));
        for (name, want) in [("A", Some("GB")), ("B", Some("JP")), ("C", None)] {
            let mut doc = parse_query(query).unwrap();
            let found = take_in_context(&mut doc, &vars, Some(name)).unwrap();
            assert_eq!(found, want.map(|c| ContextCountry(c.into())), "{name}");
            let left = doc
                .operations
                .iter()
                .any(|(_, op)| !op.node.directives.is_empty());
            assert!(!left, "removed from every operation");
        }
    }
}
