//! Compiling a validated operation into a plan: fields collected as GraphQL's CollectFields
//! does (fragments inlined, `@skip`/`@include` applied for one set of conditions, fields of
//! the same response key merged), each named by the planner's static table.

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};

use super::inputs::{Fallback, Res, Vars};
use super::types;

/// One selected field: its response key (as JSON, with the colon), the field, and what is
/// selected under it.
#[derive(Debug)]
pub struct Node {
    pub key: Box<[u8]>,
    pub name: &'static str,
    /// The field returns an object (or a list of them): with no children it answers null.
    pub object: bool,
    /// The first occurrence of the field in the document (arguments are read from it).
    pub field: Field,
    pub children: Vec<Node>,
}

/// Selections deeper than this go to async-graphql (its own depth limit is lower).
const MAX_DEPTH: usize = 32;

/// Compiles the selection `set` on object type `parent`; `Err` when anything in it is not
/// planned (introspection, a type or field the table lacks).
///
/// Fields of one response key are merged as async-graphql's executor merges their values:
/// each occurrence is resolved on its own and the first value kept, later objects merged into
/// it key by key. An occurrence whose selection is all skipped is null, so a first such
/// occurrence makes the key null whatever the others select. Nulls from the data itself are
/// the same for every occurrence (same field, same arguments), so this is decided here.
pub fn compile(
    doc: &ExecutableDocument,
    parent: &'static str,
    set: &SelectionSet,
    vars: &Vars,
    depth: usize,
) -> Res<Vec<Node>> {
    if depth > MAX_DEPTH {
        return Err(Fallback);
    }
    let mut fields = Vec::new();
    collect(doc, set, vars, &mut fields, 0)?;
    let mut nodes: Vec<Node> = Vec::new();
    for field in fields {
        let node = compile_field(doc, parent, field, vars, depth)?;
        insert(&mut nodes, node);
    }
    Ok(nodes)
}

fn compile_field(
    doc: &ExecutableDocument,
    parent: &'static str,
    field: &Field,
    vars: &Vars,
    depth: usize,
) -> Res<Node> {
    let key = field.response_key().node.as_str();
    let mut json_key = serde_json::to_vec(key).map_err(|_| Fallback)?;
    json_key.push(b':');
    let (name, returns) = match field.name.node.as_str() {
        "__typename" => ("__typename", None),
        name => types::field(parent, name).ok_or(Fallback)?,
    };
    let children = match returns {
        Some(child) => compile(doc, child, &field.selection_set.node, vars, depth + 1)?,
        None => Vec::new(),
    };
    Ok(Node {
        key: json_key.into(),
        name,
        object: returns.is_some(),
        field: field.clone(),
        children,
    })
}

/// Adds `node` under its response key: a later occurrence merges into the first.
fn insert(nodes: &mut Vec<Node>, node: Node) {
    match nodes.iter_mut().find(|n| n.key == node.key) {
        None => nodes.push(node),
        // A leaf keeps its first value; an object all skipped (null) stays null; a later null
        // occurrence adds nothing.
        Some(first) if !first.object || first.children.is_empty() => {}
        Some(first) => {
            for child in node.children {
                insert(&mut first.children, child);
            }
        }
    }
}

/// GraphQL's CollectFields without the grouping: fields in document order, skipping what `@skip` or
/// `@include` leave out. Type conditions always hold: every planned type is an object type
/// and validation only lets a fragment apply to its own type.
fn collect<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    vars: &Vars,
    into: &mut Vec<&'a Field>,
    spreads: usize,
) -> Res<()> {
    if spreads > MAX_DEPTH {
        return Err(Fallback);
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                if !vars.keeps(&field.node.directives) {
                    continue;
                }
                into.push(&field.node);
            }
            Selection::FragmentSpread(spread) => {
                if !vars.keeps(&spread.node.directives) {
                    continue;
                }
                let fragment = doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .ok_or(Fallback)?;
                collect(
                    doc,
                    &fragment.node.selection_set.node,
                    vars,
                    into,
                    spreads + 1,
                )?;
            }
            Selection::InlineFragment(inline) => {
                if !vars.keeps(&inline.node.directives) {
                    continue;
                }
                collect(
                    doc,
                    &inline.node.selection_set.node,
                    vars,
                    into,
                    spreads + 1,
                )?;
            }
        }
    }
    Ok(())
}
