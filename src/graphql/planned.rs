//! Running a request by its compiled plan (see `plan`), falling back to async-graphql; and
//! `graphql.planner = "verify"`, where every planned answer is computed by async-graphql too
//! and the two compared byte for byte, so the whole test suite checks the planner.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_graphql::{Request, Response};
use bytes::Bytes;

use super::answer::{to_answer, JsonAnswer, Outcome};
use super::errors::ApiError;
use super::gateway::Gateway;
use super::parse_cache::Parsed;
use super::pipeline::Admitted;
use super::plan::{self, PlannerMode};
use super::request_metrics::{operation_label, record_request};
use crate::views::reads::{ReadLog, RecordingReader};

/// Requests answered by plans and requests that went to async-graphql although their
/// document was validated (a value or answer the plan does not cover).
#[derive(Debug, Default)]
pub struct PlanStats {
    pub planned: AtomicU64,
    pub fallback: AtomicU64,
}

/// One executed request: its answer, whether it is free of errors, what it read, and the
/// operation's label.
pub(super) struct Ran {
    pub(super) answer: JsonAnswer,
    pub(super) clean: bool,
    pub(super) reads: ReadLog,
    pub(super) operation: &'static str,
}

impl From<(Response, ReadLog, &'static str)> for Ran {
    fn from((response, reads, operation): (Response, ReadLog, &'static str)) -> Self {
        Self {
            answer: to_answer(&response),
            clean: response.errors.is_empty(),
            reads,
            operation,
        }
    }
}

impl Gateway {
    /// Executes one request by its plan when it has one (see `plan`), else through
    /// async-graphql: the JSON answer, whether it is free of errors, what it read and the
    /// operation's label.
    pub(super) async fn run_json(&self, admitted: Admitted) -> Ran {
        let (request, parsed, deadline, started) = match admitted.into_parts() {
            Ok(parts) => parts,
            Err(memo) => {
                let (answer, operation) = super::memo::memo_answer(memo);
                return Ran {
                    answer,
                    clean: true,
                    reads: ReadLog::default(),
                    operation: operation.unwrap_or("memo"),
                };
            }
        };
        if parsed.validated && self.planner != PlannerMode::Off {
            let reader = RecordingReader::new(Arc::clone(&self.catalog));
            let cx = plan::Context {
                settings: &self.settings,
                reader: &reader,
                status: &self.status,
                deadline,
                max_complexity: self.max_complexity,
            };
            let operation_name = request.operation_name.as_deref();
            let planned = parsed
                .prepared
                .execute(operation_name, &request.variables, &cx);
            super::request_metrics::record_planned(planned.is_ok());
            let counter = if planned.is_ok() {
                &self.plan_stats.planned
            } else {
                &self.plan_stats.fallback
            };
            counter.fetch_add(1, Ordering::Relaxed);
            if let Ok(body) = planned {
                let operation = operation_label(&parsed.prepared.document);
                record_request(operation, started, true);
                let ran = Ran {
                    answer: JsonAnswer {
                        body: Bytes::from(body),
                        outcome: Outcome::Executed,
                        cache: None,
                        max_lag_ms: None,
                    },
                    clean: true,
                    reads: reader.take_log(),
                    operation,
                };
                if self.planner == PlannerMode::Verify {
                    return self.verified(ran, request, &parsed).await;
                }
                return ran;
            }
        }
        Ran::from(self.run_parsed(request, parsed, deadline, started).await)
    }

    /// `ran` if async-graphql answers the same, else a `PLAN_MISMATCH` error (logged with both
    /// answers). Not compared when the views or the clock's second moved in between (quotes
    /// carry their expiry), nor for `viewStatus`, whose figures move by the millisecond.
    pub(super) async fn verified(&self, ran: Ran, request: Request, parsed: &Parsed) -> Ran {
        if parsed.prepared.selects("viewStatus") {
            return ran;
        }
        let changes = self.catalog.changes();
        let second = crate::clock::unix_secs();
        let mut again = Request::new(request.query.clone()).variables(request.variables.clone());
        if let Some(name) = &request.operation_name {
            again = again.operation_name(name.clone());
        }
        let (response, _, _) = self.run(again).await;
        let reference = to_answer(&response);
        let undisturbed = self.catalog.changes() == changes && crate::clock::unix_secs() == second;
        // A reference cut off by its own time budget proves nothing either way.
        let finished = reference.outcome != Outcome::Timeout;
        if reference.body == ran.answer.body || !undisturbed || !finished {
            return ran;
        }
        metrics::counter!("vitrine_graphql_plan_mismatches_total").increment(1);
        tracing::error!(
            query = %request.query,
            planned = %String::from_utf8_lossy(&ran.answer.body),
            reference = %String::from_utf8_lossy(&reference.body),
            "a planned answer differs from async-graphql's"
        );
        let error =
            async_graphql::Response::from_errors(vec![ApiError::PlanMismatch.to_server_error()]);
        Ran {
            answer: JsonAnswer {
                outcome: Outcome::Executed,
                ..to_answer(&error)
            },
            clean: false,
            ..ran
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Settings;
    use crate::views::Catalog;

    /// Verify mode serves the planned answer when async-graphql agrees, and `PLAN_MISMATCH`
    /// when it does not (here, a planned answer forged to differ).
    #[tokio::test]
    async fn verify_mode_refuses_an_answer_async_graphql_disagrees_with() {
        let settings = Settings::defaults()
            .with_overrides("[graphql]\nplanner = \"verify\"\nmemo_entries = 0")
            .unwrap();
        let gateway = crate::graphql::build_gateway(Arc::new(Catalog::new()), &settings);
        let query = "{ product(id: \"x\") { id } }";
        for _ in 0..2 {
            let body = gateway.execute_json(Request::new(query)).await;
            assert_eq!(&body[..], br#"{"data":{"product":null}}"#);
        }
        let stats = gateway.plan_stats();
        let fallback = stats.fallback.load(Ordering::Relaxed);
        assert_eq!(
            stats.planned.load(Ordering::Relaxed),
            1,
            "fallback {fallback}"
        );
        let parsed = gateway.parse(&Request::new(query)).unwrap();
        let forged = |body: &'static [u8]| Ran {
            answer: JsonAnswer {
                body: Bytes::from_static(body),
                outcome: Outcome::Executed,
                cache: None,
                max_lag_ms: None,
            },
            clean: true,
            reads: ReadLog::default(),
            operation: "product",
        };
        let same = forged(br#"{"data":{"product":null}}"#);
        let kept = gateway.verified(same, Request::new(query), &parsed).await;
        assert!(kept.clean);
        let wrong = forged(br#"{"data":{"product":{"id":"x"}}}"#);
        let refused = gateway.verified(wrong, Request::new(query), &parsed).await;
        assert!(!refused.clean);
        let body: serde_json::Value = serde_json::from_slice(&refused.answer.body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "PLAN_MISMATCH");
    }

    /// A request whose complexity (here through a variable `first`) passes the limit is not
    /// planned: async-graphql refuses it, as it would without plans.
    #[tokio::test]
    async fn a_request_over_the_complexity_limit_is_left_to_async_graphql() {
        let settings = Settings::defaults()
            .with_overrides("[graphql]\nmemo_entries = 0\nmax_complexity = 50")
            .unwrap();
        let gateway = crate::graphql::build_gateway(Arc::new(Catalog::new()), &settings);
        let query = "query($n: Int) { products(first: $n) { edges { node { id title } } } }";
        let ask = |n: i32| {
            let vars = async_graphql::Variables::from_json(serde_json::json!({ "n": n }));
            gateway.execute_json(Request::new(query).variables(vars))
        };
        // 5 x (edges 1 + node 1 + 2 fields) + 1 = 21: within the limit, planned once cached.
        for _ in 0..2 {
            assert_eq!(&ask(5).await[..], br#"{"data":{"products":{"edges":[]}}}"#);
        }
        let stats = gateway.plan_stats();
        assert_eq!(stats.planned.load(Ordering::Relaxed), 1);
        // 20 x 4 + 1 = 81 > 50.
        let refused: serde_json::Value = serde_json::from_slice(&ask(20).await).unwrap();
        assert_eq!(
            refused["errors"][0]["extensions"]["code"],
            "MAX_COMPLEXITY_LIMIT"
        );
        assert_eq!(stats.planned.load(Ordering::Relaxed), 1);
        assert_eq!(stats.fallback.load(Ordering::Relaxed), 1);
    }
}
