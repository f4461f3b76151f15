//! A serialized answer and what kind it is, so HTTP can choose its status code (GraphQL over
//! HTTP: a request error, one that stopped before execution, is 400 and carries no `data`).

use async_graphql::{Response, Value};
use bytes::Bytes;

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It executed: `data` is there (field errors, if any, are beside it).
    Executed,
    /// It never executed: the document did not parse or validate, a variable did not fit, or a
    /// limit refused it. No `data` entry.
    RequestError,
    /// Refused because the views lag more than the request allows (`STALE_VIEW`).
    StaleView,
    /// Cut off at its time budget (`REQUEST_TIMEOUT`).
    Timeout,
}

/// A JSON body and its outcome.
#[derive(Debug, Clone)]
pub struct JsonAnswer {
    pub body: Bytes,
    pub outcome: Outcome,
    /// Set when the answer may be cached over HTTP (see [`Cacheable`]).
    pub cache: Option<Cacheable>,
    /// The views' largest lag when the answer was made (the `Vitrine-Max-Lag-Ms` header).
    pub max_lag_ms: Option<i64>,
}

/// What HTTP caching needs to know of an error-free answer of a cacheable operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cacheable {
    /// Seconds a shared cache may keep it (already shortened by the views' lag).
    pub max_age_secs: u64,
    /// `body[..data_len]` is the answer without its freshness extension (what the `ETag`
    /// covers: freshness moves while the data stays the same; the banner's context, written
    /// before it, is covered, so two banners' answers never share a tag).
    pub data_len: usize,
    /// The banner was (or could have been) chosen by the `Host` header: caches vary on it.
    pub vary_host: bool,
}

/// Classifies a response: no data and only errors without a path means nothing executed.
pub fn outcome_of(response: &Response) -> Outcome {
    let unexecuted = matches!(response.data, Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if !unexecuted {
        return Outcome::Executed;
    }
    let has_code = |wanted: &str| {
        response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|code| *code == Value::from(wanted))
        })
    };
    if has_code("STALE_VIEW") {
        Outcome::StaleView
    } else if has_code("REQUEST_TIMEOUT") {
        Outcome::Timeout
    } else {
        Outcome::RequestError
    }
}

#[derive(serde::Serialize)]
struct ErrorsOnly<'a> {
    errors: &'a [async_graphql::ServerError],
}

/// Serializes a response; one that never executed has no `data` entry.
pub fn to_answer(response: &Response) -> JsonAnswer {
    let outcome = outcome_of(response);
    let body = if outcome == Outcome::Executed {
        serde_json::to_vec(response)
    } else {
        serde_json::to_vec(&ErrorsOnly {
            errors: &response.errors,
        })
    };
    JsonAnswer {
        body: Bytes::from(body.expect("a GraphQL response serializes")),
        outcome,
        cache: None,
        max_lag_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{Pos, ServerError};

    #[test]
    fn unexecuted_requests_are_request_errors_without_data() {
        let parse = Response::from_errors(vec![ServerError::new("bad", Some(Pos::default()))]);
        let answer = to_answer(&parse);
        assert_eq!(answer.outcome, Outcome::RequestError);
        let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        assert!(json.get("data").is_none() && json["errors"][0]["message"] == "bad");

        let mut field_error =
            Response::new(Value::from_json(serde_json::json!({"a": null})).unwrap());
        let mut error = ServerError::new("boom", None);
        error.path = vec![async_graphql::PathSegment::Field("a".into())];
        field_error.errors.push(error);
        assert_eq!(to_answer(&field_error).outcome, Outcome::Executed);

        let stale = crate::graphql::errors::ApiError::StaleView {
            lag_ms: 5,
            bound_ms: 1,
        };
        let refused = Response::from_errors(vec![stale.to_server_error()]);
        assert_eq!(outcome_of(&refused), Outcome::StaleView);
    }
}
