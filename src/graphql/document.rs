//! Reading a parsed document before execution: which operation a request selects.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};

/// The operation `operation_name` selects, by async-graphql's rules: the named one, or the
/// only one when no name is given. `None` when none is selected (execution then says why).
pub fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), None) => Some(&op.node),
        // An anonymous operation has no name to match (async-graphql refuses it too).
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::OperationType;

    #[test]
    fn selects_by_name_or_the_only_one() {
        let doc = parse_query("query A { a } mutation B { b }").unwrap();
        let ty = |name| selected_operation(&doc, name).map(|op| op.ty);
        assert_eq!(ty(Some("A")), Some(OperationType::Query));
        assert_eq!(ty(Some("B")), Some(OperationType::Mutation));
        assert_eq!(ty(Some("C")), None);
        assert_eq!(ty(None), None);
        let single = parse_query("{ a }").unwrap();
        assert_eq!(
            selected_operation(&single, None).map(|op| op.ty),
            Some(OperationType::Query)
        );
        assert!(selected_operation(&single, Some("A")).is_none());
        let named = parse_query("query A { a }").unwrap();
        assert!(selected_operation(&named, None).is_some());
    }
}
