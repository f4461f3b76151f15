//! GraphQL over HTTP, per the GraphQL-over-HTTP spec: POST (JSON bodies only, which also keeps
//! cross-site pages from sending queries without a CORS preflight) and GET (queries only) at
//! `/graphql`, answered as `application/graphql-response+json` with the spec's status codes
//! when the client accepts it, else as `application/json`; GraphiQL for browsers; bounded
//! bodies and batches.

use async_graphql::http::parse_query_string;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Request};
use async_graphql_axum::GraphQLResponse;
use axum::body::to_bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::graphql::answer::{JsonAnswer, Outcome};
use crate::graphql::errors::ApiError;
use crate::graphql::freshness::MAX_LAG_HEADER;
use crate::graphql::gateway::MAX_STALENESS;

/// The spec's media type for GraphQL responses.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
/// Header bounding how stale the views may be for this request (else `STALE_VIEW`).
pub const MAX_STALENESS_HEADER: &str = "x-max-staleness-ms";

fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|accept| accept.contains(media))
}

/// How the answer is written: the spec's media type, or legacy `application/json` (always 200
/// for a well-formed request, as older clients expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn of(headers: &HeaderMap) -> Self {
        if accepts(headers, GRAPHQL_RESPONSE) {
            Media::GraphqlResponse
        } else {
            Media::Json
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json",
        })
    }

    fn status(self, outcome: Outcome) -> StatusCode {
        match (self, outcome) {
            (Media::Json, _) | (_, Outcome::Executed) => StatusCode::OK,
            (Media::GraphqlResponse, Outcome::RequestError) => StatusCode::BAD_REQUEST,
            (Media::GraphqlResponse, Outcome::StaleView) => StatusCode::SERVICE_UNAVAILABLE,
            (Media::GraphqlResponse, Outcome::Timeout) => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    fn answer(self, answer: JsonAnswer) -> Response {
        let status = self.status(answer.outcome);
        let mut response = (
            status,
            [(header::CONTENT_TYPE, self.content_type())],
            answer.body,
        )
            .into_response();
        if let Some(lag) = answer.max_lag_ms {
            response
                .headers_mut()
                .insert(MAX_LAG_HEADER, header::HeaderValue::from(lag.max(0)));
        }
        response
    }
}

/// A request refused before it reaches the gateway: the status and the error to answer with.
type Refusal = (StatusCode, ApiError);

fn refusal_response((status, error): Refusal) -> Response {
    error_response(status, error)
}

/// A persisted query that cannot run: `PERSISTED_QUERY_NOT_FOUND` is 200, as Apollo clients
/// expect before they send the text; the others are client errors.
fn persisted_refusal(error: ApiError) -> Response {
    let status = match error {
        ApiError::PersistedQueryNotFound => StatusCode::OK,
        _ => StatusCode::BAD_REQUEST,
    };
    error_response(status, error)
}

/// A GraphQL-shaped error body for failures before execution.
fn error_response(status: StatusCode, error: ApiError) -> Response {
    let body = serde_json::json!({"errors": [error.to_server_error()]});
    (status, axum::Json(body)).into_response()
}

/// Copies the staleness header into the request's extensions, where the gateway looks.
fn with_staleness_bound(mut request: Request, headers: &HeaderMap) -> Request {
    let bound = headers
        .get(MAX_STALENESS_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    if let Some(bound) = bound {
        request
            .extensions
            .0
            .entry(MAX_STALENESS.to_string())
            .or_insert(async_graphql::Value::from(bound));
    }
    request
}

/// A request must carry a document (persisted-query extensions aside).
fn check_has_query(request: &Request) -> Result<(), Refusal> {
    let persisted = request.extensions.0.contains_key("persistedQuery");
    if request.query.trim().is_empty() && !persisted {
        return Err((
            StatusCode::BAD_REQUEST,
            ApiError::BadRequest("no `query` given".into()),
        ));
    }
    Ok(())
}

/// GET: a WebSocket upgrade (subscriptions), GraphiQL for browsers, else a query in the URL
/// (`?query=...&variables=...`), answered as JSON or, if asked, as server-sent events.
/// Mutations never run over GET (a link or an image could trigger them).
pub async fn graphql_get(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    if parts.headers.contains_key(header::UPGRADE) {
        return super::live::websocket(state, &mut parts).await;
    }
    let headers = &parts.headers;
    let query = parts.uri.query().unwrap_or_default().to_string();
    if query.is_empty() && accepts(headers, "text/html") {
        return super::graphiql::graphiql_page(State(state)).await;
    }
    if query.len() > state.max_body_bytes {
        let max = state.max_body_bytes;
        return error_response(StatusCode::URI_TOO_LONG, ApiError::PayloadTooLarge { max });
    }
    let request = match parse_query_string(&query) {
        Ok(request) => with_staleness_bound(request, headers),
        Err(e) => {
            return error_response(StatusCode::BAD_REQUEST, ApiError::BadRequest(e.to_string()))
        }
    };
    if let Err(refused) = check_has_query(&request) {
        return refusal_response(refused);
    }
    let request = match state.gateway.resolve_persisted(request) {
        Ok(request) => request,
        Err(error) => return persisted_refusal(error),
    };
    let operation = state.gateway.operation_type(&request);
    // Before any answer, streamed or not: `new EventSource(url)` from any page is a GET with
    // `Accept: text/event-stream` and no preflight, so a mutation must never run over it.
    if operation == Some(OperationType::Mutation) {
        return refuse_over_get("mutation");
    }
    if super::live::wants_event_stream(headers) {
        let client = super::live::client_id(&state, &parts);
        return super::live::event_stream(&state, request, client);
    }
    match operation {
        Some(OperationType::Subscription) => refuse_over_get("subscription"),
        _ => {
            let media = Media::of(headers);
            let answer = state.gateway.answer(request).await;
            super::http_cache::cached(headers, answer, |a| media.answer(a))
        }
    }
}

fn refuse_over_get(kind: &'static str) -> Response {
    let mut response = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        ApiError::MethodNotAllowed(kind),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// What a POST body holds, by its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PostBody {
    /// `application/json`: a request or a batch.
    Json,
    /// `application/graphql`: the document alone.
    Document,
}

/// Only JSON and GraphQL bodies: the content types a browser sends cross-site without a
/// preflight (`text/plain`, forms) never reach the gateway.
fn post_body(headers: &HeaderMap) -> Result<PostBody, Refusal> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = given
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/json" => Ok(PostBody::Json),
        "application/graphql" => Ok(PostBody::Document),
        _ => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::UnsupportedMediaType(if given.is_empty() {
                "none".into()
            } else {
                format!("`{given}`")
            }),
        )),
    }
}

/// Reads the body as a request or batch, refusing batches past `max_batch_size`.
fn parse_post(kind: PostBody, bytes: &[u8], max_batch: usize) -> Result<BatchRequest, Refusal> {
    let bad = |e: String| (StatusCode::BAD_REQUEST, ApiError::BadRequest(e));
    let batch = match kind {
        PostBody::Document => {
            let text = std::str::from_utf8(bytes).map_err(|e| bad(e.to_string()))?;
            BatchRequest::Single(Request::new(text))
        }
        // A single request (an object) is read as one directly: async-graphql's untagged
        // `BatchRequest` first buffers the whole body into an intermediate tree to try each form.
        PostBody::Json => match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => BatchRequest::Single(
                serde_json::from_slice::<Request>(bytes).map_err(|e| bad(e.to_string()))?,
            ),
            _ => serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?,
        },
    };
    if let BatchRequest::Batch(requests) = &batch {
        let refused = if max_batch == 0 {
            Some(ApiError::BatchingNotEnabled)
        } else {
            (requests.len() > max_batch).then_some(ApiError::BatchTooLarge {
                got: requests.len(),
                max: max_batch,
            })
        };
        if let Some(error) = refused {
            return Err((StatusCode::BAD_REQUEST, error));
        }
    }
    Ok(batch)
}

/// POST: a JSON request or batch, at most `max_body_bytes` long; with `Accept:
/// text/event-stream`, one request answered as server-sent events (subscriptions).
pub async fn graphql_post(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let kind = match post_body(headers) {
        Ok(kind) => kind,
        Err(refused) => return refusal_response(refused),
    };
    let max = state.max_body_bytes;
    let bytes = match tokio::time::timeout(state.body_read_timeout, to_bytes(body, max)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::PayloadTooLarge { max },
            )
        }
        Err(_) => {
            let ms = state.body_read_timeout.as_millis() as u64;
            return error_response(StatusCode::REQUEST_TIMEOUT, ApiError::RequestTimeout { ms });
        }
    };
    let request = match parse_post(kind, &bytes, state.max_batch_size) {
        Ok(BatchRequest::Single(request)) => with_staleness_bound(request, headers),
        Ok(BatchRequest::Batch(requests)) => {
            // Each entry carries what a single request would: the caller (per-client limits)
            // and the staleness bound; the gateway resolves its document like any other.
            let client = super::live::client_id(&state, &parts);
            let requests = requests
                .into_iter()
                .map(|request| {
                    let request = with_staleness_bound(request, headers);
                    match &client {
                        Some(client) => request.data(client.clone()),
                        None => request,
                    }
                })
                .collect();
            let batch = BatchRequest::Batch(requests);
            return GraphQLResponse::from(state.gateway.execute_batch(batch).await).into_response();
        }
        Err(refused) => return refusal_response(refused),
    };
    if let Err(refused) = check_has_query(&request) {
        return refusal_response(refused);
    }
    let request = match state.gateway.resolve_persisted(request) {
        Ok(request) => request,
        Err(error) => return persisted_refusal(error),
    };
    if super::live::wants_event_stream(headers) {
        let client = super::live::client_id(&state, &parts);
        return super::live::event_stream(&state, request, client);
    }
    // Who asks, for per-client limits on holds: only mutations need it (a document with a
    // mutation has the keyword; anything else skips the allocation).
    let client = request
        .query
        .contains("mutation")
        .then(|| super::live::client_id(&state, &parts))
        .flatten();
    let request = match client {
        Some(client) => request.data(client),
        None => request,
    };
    Media::of(headers).answer(state.gateway.answer(request).await)
}
