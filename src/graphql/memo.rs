//! The answer memo's entries and counters: a serialized answer is reused only while every
//! record it read is still the very one it read (see `views::reads`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::Request;
use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt, Shared};

use super::answer::{JsonAnswer, Outcome};
use super::gateway::Gateway;
use super::pipeline::Admitted;
use super::request_metrics::record_request;
use crate::views::reads::ReadLog;

/// A serialized answer, the record versions it was computed from, and its operation label.
pub(super) struct Memo {
    pub(super) body: Bytes,
    pub(super) reads: ReadLog,
    pub(super) operation: &'static str,
    /// The storefront it was computed in (its reads are checked against that one's views).
    pub(super) front: usize,
    /// The catalog's change count when `reads` was last found current (see
    /// `ReadLog::still_current_since`).
    pub(super) verified_at: AtomicU64,
}

/// Bytes a memoized read takes, estimated (key, version, map slot).
const BYTES_PER_READ: u64 = 96;

impl Memo {
    /// The memory an entry holds, estimated: its answer and what it read.
    pub(super) fn approx_bytes(&self) -> u64 {
        let reads = (self.reads.len() as u64).saturating_mul(BYTES_PER_READ);
        (self.body.len() as u64)
            .saturating_add(reads)
            .saturating_add(128)
    }
}

/// Counters of the answer memo.
#[derive(Debug, Default)]
pub struct MemoStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    /// Found, but some record it read has changed since: recomputed.
    pub outdated: AtomicU64,
    /// Outdated, and answered by a recomputation another request had already started.
    pub shared: AtomicU64,
}

/// An answer and the operation's label when it executed without errors.
type Answered = (JsonAnswer, Option<&'static str>);

/// Recomputations of outdated answers under way, by memo key: when a hot answer is outdated
/// by a change, the requests that arrive while it is recomputed wait for that one computation
/// instead of each starting their own (a stampede on one listing would otherwise compute it
/// once per request in flight).
#[derive(Default)]
pub(super) struct InFlight(Mutex<HashMap<String, Flight>>);

/// One recomputation, awaited by every request that shares it.
type Flight = Shared<BoxFuture<'static, Answered>>;

impl InFlight {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Flight>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Gateway {
    /// The JSON answer without extensions, memoized when possible, and the operation's label
    /// when it executed without errors.
    pub(super) async fn answer_json(&self, mut admitted: Admitted) -> Answered {
        if self.memo.is_none() {
            let context = self.context_json(&admitted);
            let ran = self.run_json(admitted).await;
            let answer = with_context(ran.answer, context.as_deref());
            return (answer, ran.clean.then_some(ran.operation));
        }
        if let Some(memo) = admitted.memoized() {
            return memo_answer(Arc::clone(memo));
        }
        let stats = &self.memo_stats;
        // Admission probed the memo already (HTTP doors); anything else probes it now.
        let Probe { key, found } = match admitted.take_probe() {
            Some(probe) => probe,
            None => self.probe(self.front, admitted.request()),
        };
        let Some(found) = found else {
            stats.misses.fetch_add(1, Ordering::Relaxed);
            return self.compute(key, admitted).await;
        };
        if let Found::Current(found) = found {
            return memo_answer(found);
        }
        stats.outdated.fetch_add(1, Ordering::Relaxed);
        // It was memoized, so it is a query: requests asking for it meanwhile share one
        // recomputation (the computation removes itself when done, whoever drives it).
        let flight = {
            let mut in_flight = self.in_flight.lock();
            match in_flight.get(&key) {
                Some(flight) => {
                    stats.shared.fetch_add(1, Ordering::Relaxed);
                    flight.clone()
                }
                None => {
                    let (gateway, own_key) = (self.clone(), key.clone());
                    let flight = async move {
                        let answered = gateway.compute(own_key.clone(), admitted).await;
                        gateway.in_flight.lock().remove(&own_key);
                        answered
                    }
                    .boxed()
                    .shared();
                    in_flight.insert(key, flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    /// Looks a request up in the answer memo: its key, and the entry if there is one, current
    /// (every record it read unchanged: counted as a hit) or outdated.
    /// `front` is the storefront the door selected (part of the key; the operation's own
    /// `@inContext(banner:)` is in its text).
    pub(super) fn probe(&self, front: usize, request: &Request) -> Probe {
        let key = memo_key(front, request);
        let found = self
            .memo
            .as_ref()
            .and_then(|memo| memo.get(&key))
            .map(|found| {
                let views = self.banners.fronts.at(found.front).map(|f| &f.catalog);
                let current = found
                    .reads
                    .still_current_since(views.unwrap_or(&self.catalog), &found.verified_at);
                match current {
                    true => {
                        self.memo_stats.hits.fetch_add(1, Ordering::Relaxed);
                        Found::Current(found)
                    }
                    false => Found::Outdated,
                }
            });
        Probe { key, found }
    }

    /// Computes an answer and memoizes it when it can be checked later.
    async fn compute(&self, key: String, admitted: Admitted) -> Answered {
        let context = self.context_json(&admitted);
        let super::planned::Ran {
            answer,
            clean,
            reads,
            operation,
        } = self.run_json(admitted).await;
        // The context is written into the memoized body: the key holds the banner.
        let answer = with_context(answer, context.as_deref());
        let clean = clean.then_some(operation);
        if let Some(memo) = &self.memo {
            if clean.is_some() && reads.is_checkable() && !reads.is_empty() {
                let entry = Memo {
                    body: answer.body.clone(),
                    reads,
                    operation,
                    front: self.front,
                    verified_at: AtomicU64::new(u64::MAX),
                };
                memo.insert(key, Arc::new(entry));
            }
        }
        (answer, clean)
    }
}

/// A request looked up in the memo.
pub(super) struct Probe {
    key: String,
    found: Option<Found>,
}

impl Probe {
    /// The memoized answer, when it is current.
    pub(super) fn current(&self) -> Option<&Arc<Memo>> {
        match &self.found {
            Some(Found::Current(memo)) => Some(memo),
            _ => None,
        }
    }
}

pub(super) enum Found {
    Current(Arc<Memo>),
    Outdated,
}

/// `answer` with the request's context in its extensions (`None`: one banner, nothing added).
fn with_context(mut answer: JsonAnswer, context: Option<&[u8]>) -> JsonAnswer {
    if let Some(context) = context {
        answer.body = super::freshness::with_extension(&answer.body, "context", context);
    }
    answer
}

impl Gateway {
    /// The context an answer echoes (`extensions.context`: banner and country) when the
    /// gateway serves more than one banner.
    pub(super) fn context_json(&self, admitted: &Admitted) -> Option<Vec<u8>> {
        self.banners.many().then(|| {
            let country = admitted.country.as_deref();
            let mut value = serde_json::json!({
                "banner": self.banners.name(admitted.front),
                "country": country.unwrap_or(&self.settings.base_country),
            });
            if let Some(language) = &admitted.language {
                value["language"] = language.as_str().into();
            }
            serde_json::to_vec(&value).unwrap_or_default()
        })
    }
}

/// A current memoized answer (a query that ran clean before, with the same variables).
pub(super) fn memo_answer(found: Arc<Memo>) -> Answered {
    record_request(found.operation, std::time::Instant::now(), true);
    let answer = JsonAnswer {
        body: found.body.clone(),
        outcome: Outcome::Executed,
        cache: None,
        max_lag_ms: None,
    };
    (answer, Some(found.operation))
}

/// What makes two requests the same: operation name, variables and query text.
pub(super) fn memo_key(front: usize, request: &Request) -> String {
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    format!(
        "{front}\n{}\n{}\n{}",
        request.operation_name.as_deref().unwrap_or(""),
        variables,
        request.query
    )
}
