//! Compiled execution plans: a validated query compiled once into a plan specialised to
//! Vitrine's types, executed by synchronous reads of the views that write JSON straight into
//! the response buffer (no per-field futures, no `Value` tree, no registry lookups).
//!
//! A plan only ever serves a document async-graphql has already validated (the parse cache
//! keeps nothing else), and only when the request fits it exactly: variables of exactly their
//! declared types, complexity within the limit, no error anywhere. Anything else, or any
//! field that would answer an error, goes to async-graphql, which stays the reference (see
//! `tests/pricing/planner.rs`, the differential test).

mod compile;
mod emit;
mod emit_more;
mod inputs;
mod json;
mod types;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
    Selection, SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::{Name, Variables};
use async_graphql_value::Value;

pub use crate::config::PlannerMode;
pub use compile::Node;
pub use inputs::Fallback;

use super::in_context::context_country;
use super::limits::Deadline;
use super::ApiSettings;
use crate::status::IngestStatus;
use crate::views::reads::RecordingReader;

/// A compiled operation: the root's selected fields.
type Plan = Arc<Vec<Node>>;

/// Plans kept per document: one per combination of `@skip`/`@include` conditions.
const PLANS_PER_DOCUMENT: usize = 8;

/// A parsed document as the parse cache keeps it, with the plans compiled from it.
pub struct Prepared {
    pub document: ExecutableDocument,
    /// Variables `@skip`/`@include` read (a plan is compiled per combination of their values);
    /// `None` when the document cannot be planned at all.
    conditions: Option<Vec<Name>>,
    plans: RwLock<Vec<(u64, Option<Plan>)>>,
    /// Length of the last answer, to size the next one's buffer.
    last_len: AtomicUsize,
}

/// What a planned request reads besides its document and variables.
pub struct Context<'a> {
    pub settings: &'a ApiSettings,
    pub reader: &'a RecordingReader,
    pub status: &'a IngestStatus,
    pub deadline: Deadline,
    pub max_complexity: usize,
}

impl Prepared {
    pub fn new(document: ExecutableDocument) -> Self {
        let conditions = single_query(&document).and_then(|op| {
            let mut names = Vec::new();
            condition_vars(&document, &op.selection_set.node, &mut names, 0).ok()?;
            (names.len() <= 64).then_some(names)
        });
        Self {
            document,
            conditions,
            plans: RwLock::default(),
            last_len: AtomicUsize::new(512),
        }
    }

    /// Whether the document's root selects `field` anywhere (fragments included).
    pub fn selects(&self, field: &str) -> bool {
        self.document.operations.iter().any(|(_, op)| {
            let mut names = Vec::new();
            root_fields(&self.document, &op.node.selection_set.node, &mut names, 0);
            names.iter().any(|n| n == field)
        })
    }

    /// The answer's JSON (`{"data":...}`) by the plan, or `Fallback`.
    pub fn execute(
        &self,
        operation_name: Option<&str>,
        variables: &Variables,
        cx: &Context,
    ) -> Result<Vec<u8>, Fallback> {
        let conditions = self.conditions.as_ref().ok_or(Fallback)?;
        let operation = single_query(&self.document).ok_or(Fallback)?;
        let named = match &self.document.operations {
            DocumentOperations::Single(_) => operation_name.is_none(),
            DocumentOperations::Multiple(ops) => {
                operation_name.is_none_or(|name| ops.keys().any(|k| k.as_str() == name))
            }
        };
        if !named {
            return Err(Fallback);
        }
        let vars = inputs::Vars::check(variables, operation)?;
        let context = context_country(operation, variables).map_err(|_| Fallback)?;
        if inputs::complexity(&self.document, operation, &vars)? > cx.max_complexity {
            return Err(Fallback);
        }
        let mut mask = 0u64;
        for (i, name) in conditions.iter().enumerate() {
            if vars.condition(&Value::Variable(name.clone())) {
                mask |= 1 << i;
            }
        }
        let plan = self.plan(mask, operation, &vars)?;
        let env = emit::Env {
            settings: cx.settings,
            reader: cx.reader,
            status: cx.status,
            deadline: cx.deadline,
            vars: &vars,
            context: context.as_ref(),
        };
        let mut out = Vec::with_capacity(self.last_len.load(Ordering::Relaxed) + 64);
        out.extend_from_slice(b"{\"data\":");
        emit::root(&mut out, &env, &plan)?;
        out.push(b'}');
        self.last_len.store(out.len(), Ordering::Relaxed);
        Ok(out)
    }

    /// The plan for one combination of conditions, compiled on first use.
    fn plan(
        &self,
        mask: u64,
        operation: &OperationDefinition,
        vars: &inputs::Vars,
    ) -> Result<Plan, Fallback> {
        let read = self.plans.read().unwrap_or_else(|e| e.into_inner());
        if let Some((_, plan)) = read.iter().find(|(m, _)| *m == mask) {
            return plan.clone().ok_or(Fallback);
        }
        drop(read);
        let root = &operation.selection_set.node;
        let plan = compile::compile(&self.document, "QueryRoot", root, vars, 0)
            .ok()
            .map(Arc::new);
        let mut plans = self.plans.write().unwrap_or_else(|e| e.into_inner());
        if plans.len() < PLANS_PER_DOCUMENT {
            plans.push((mask, plan.clone()));
        }
        plan.ok_or(Fallback)
    }
}

/// The document's only operation, when it is a query.
fn single_query(document: &ExecutableDocument) -> Option<&OperationDefinition> {
    let mut operations = document.operations.iter();
    let (_, operation) = operations.next()?;
    (operations.next().is_none() && operation.node.ty == OperationType::Query)
        .then_some(&operation.node)
}

/// Collects the variables `@skip`/`@include` conditions read; `Err` past a sane depth.
fn condition_vars(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    into: &mut Vec<Name>,
    depth: usize,
) -> Result<(), Fallback> {
    if depth > 64 {
        return Err(Fallback);
    }
    let mut note = |directives: &[Positioned<Directive>]| {
        for d in directives {
            for (_, value) in &d.node.arguments {
                if let Value::Variable(name) = &value.node {
                    if !into.contains(name) {
                        into.push(name.clone());
                    }
                }
            }
        }
    };
    let mut nested = Vec::new();
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                note(&f.node.directives);
                nested.push(&f.node.selection_set.node);
            }
            Selection::FragmentSpread(s) => {
                note(&s.node.directives);
                let fragment = doc
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .ok_or(Fallback)?;
                nested.push(&fragment.node.selection_set.node);
            }
            Selection::InlineFragment(i) => {
                note(&i.node.directives);
                nested.push(&i.node.selection_set.node);
            }
        }
    }
    for set in nested {
        condition_vars(doc, set, into, depth + 1)?;
    }
    Ok(())
}

/// The names of the fields a root selection set selects, through fragments.
fn root_fields(doc: &ExecutableDocument, set: &SelectionSet, into: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => into.push(f.node.name.node.to_string()),
            Selection::FragmentSpread(s) => {
                if let Some(fragment) = doc.fragments.get(&s.node.fragment_name.node) {
                    root_fields(doc, &fragment.node.selection_set.node, into, depth + 1);
                }
            }
            Selection::InlineFragment(i) => {
                root_fields(doc, &i.node.selection_set.node, into, depth + 1)
            }
        }
    }
}
