//! The last stage of the pipeline: executing an admitted request, as JSON for the HTTP doors
//! (answer memo, HTTP caching hints), as a `Response` for batches and WebSocket operations, or as
//! a stream (subscriptions); and a refused request's answer.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{Response, ServerError};
use futures::stream::BoxStream;
use futures::StreamExt;

use super::{Admitted, Refusal};
use crate::graphql::answer::{outcome_of, to_answer, Cacheable, JsonAnswer, Outcome};
use crate::graphql::freshness::{
    compact, freshness_value, stale_response, wants_breakdown, with_extension,
};
use crate::graphql::gateway::Gateway;
use crate::graphql::plan::PlannerMode;
use crate::views::reads::RecordingReader;

impl Gateway {
    /// Executes an admitted request (a batch entry, a WebSocket or SSE query or mutation) and
    /// returns its response with the freshness extension.
    pub async fn execute(&self, admitted: Admitted) -> Response {
        if admitted.front != self.front {
            return Box::pin(self.on_front(admitted.front).execute(admitted)).await;
        }
        self.count_banner_request();
        let context = self.context_json(&admitted);
        let request = admitted.request();
        let (max_lag, breakdown) = freshness_value(&self.status);
        let full = wants_breakdown(request);
        let mut response = match stale_response(request, max_lag) {
            Some(stale) => stale,
            None if self.planner == PlannerMode::Off => match admitted.into_parts() {
                Ok((request, parsed, deadline, started)) => {
                    self.run_parsed(request, parsed, deadline, started).await.0
                }
                Err(memo) => memoized_response(&memo.body),
            },
            // The planner answers in JSON: read back for the callers that want a `Response`
            // (WebSocket queries, batches, tests).
            None => {
                let ran = self.run_json(admitted).await;
                memoized_response(&ran.answer.body)
            }
        };
        let stale = outcome_of(&response) == Outcome::StaleView;
        let freshness = if full || stale {
            breakdown
        } else {
            compact(max_lag)
        };
        response.extensions.insert("freshness".into(), freshness);
        if let Some(context) = context.and_then(|c| serde_json::from_slice(&c).ok()) {
            response.extensions.insert("context".into(), context);
        }
        response
    }

    /// Executes an admitted request (a single POST or GET) as JSON, reusing a memoized body
    /// when every record it was computed from still has the same version; with its outcome, for
    /// HTTP status codes.
    pub async fn answer(&self, admitted: Admitted) -> JsonAnswer {
        if admitted.front != self.front {
            return Box::pin(self.on_front(admitted.front).answer(admitted)).await;
        }
        self.count_banner_request();
        let (max_lag, freshness) = self.freshness.json(&self.status);
        let full = wants_breakdown(admitted.request());
        let (answer, operation) = match stale_response(admitted.request(), max_lag) {
            Some(stale) => (to_answer(&stale), None),
            None => self.answer_json(admitted).await,
        };
        // Product pages and listings without errors may be cached for `cache_max_age_secs`,
        // less the views' lag: never past the answer's own freshness. Quotes in them stay
        // valid far longer (`checkout.quote_ttl_secs` is minutes).
        let lag_secs = (max_lag.max(0) as u64).div_ceil(1000);
        let cache = match operation {
            Some("product" | "products") if self.cache_max_age_secs > lag_secs => Some(Cacheable {
                max_age_secs: self.cache_max_age_secs - lag_secs,
                data_len: answer.body.len().saturating_sub(1),
                vary_host: self.banners.by_host(),
            }),
            _ => None,
        };
        // The breakdown (~370 bytes) only when asked for, or to say why an answer is refused;
        // every answer carries the largest lag (`Vitrine-Max-Lag-Ms`).
        let body = if full || answer.outcome == Outcome::StaleView {
            with_extension(&answer.body, "freshness", &freshness)
        } else {
            answer.body
        };
        JsonAnswer {
            body,
            outcome: answer.outcome,
            cache,
            max_lag_ms: Some(max_lag),
        }
    }
}

impl Gateway {
    /// A request the pipeline refused, as a JSON answer (a request error, with the lag).
    pub fn refused(&self, refusal: Refusal) -> JsonAnswer {
        let (max_lag, _) = self.freshness.json(&self.status);
        JsonAnswer {
            max_lag_ms: Some(max_lag),
            ..to_answer(&refusal.into_response())
        }
    }

    /// Executes an admitted request as a stream of responses: a subscription's events, or the
    /// one response of a query or mutation (then exactly as [`Gateway::execute`]: planned,
    /// within its deadline).
    pub fn stream(
        &self,
        admitted: Admitted,
        session_data: Option<Arc<async_graphql::Data>>,
    ) -> BoxStream<'static, Response> {
        let gateway = match admitted.front == self.front {
            true => self.clone(),
            false => self.on_front(admitted.front),
        };
        if admitted.operation() != OperationType::Subscription {
            return futures::stream::once(async move { gateway.execute(admitted).await }).boxed();
        }
        // A subscription lives long: its reads are not logged (nothing would check them). Its
        // setup checks the deadline; its events are not the request's work.
        let reader = Arc::new(RecordingReader::unlogged(Arc::clone(&gateway.catalog)));
        let (request, parsed, deadline, _) = match admitted.into_parts() {
            Ok(parts) => parts,
            Err(memo) => {
                let response = memoized_response(&memo.body);
                return futures::stream::once(async move { response }).boxed();
            }
        };
        let request = match self.with_document(request, &parsed) {
            Ok(request) => request.data(reader).data(deadline),
            Err(error) => {
                return futures::stream::once(async move { Response::from_errors(vec![error]) })
                    .boxed()
            }
        };
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |response| gateway.with_codes(response))
            .boxed()
    }
}

impl Gateway {
    /// Requests per banner (`vitrine_banner_requests_total`), when there are several.
    fn count_banner_request(&self) {
        if self.banners.many() {
            let banner = self.banners.name(self.front).to_string();
            metrics::counter!("vitrine_banner_requests_total", "banner" => banner).increment(1);
        }
    }
}

/// A JSON answer read back as a `Response` (for doors that answer with one).
fn memoized_response(body: &[u8]) -> Response {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| Response::from_errors(vec![ServerError::new(e.to_string(), None)]))
}
