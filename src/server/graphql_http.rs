//! GraphQL over HTTP, per the GraphQL-over-HTTP spec: POST (JSON bodies only, which also keeps
//! cross-site pages from sending queries without a CORS preflight) and GET (queries only) at
//! `/graphql`, answered as `application/graphql-response+json` with the spec's status codes
//! when the client accepts it, else as `application/json`; GraphiQL for browsers; bounded
//! bodies and batches.

use async_graphql::http::parse_query_string;
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
use crate::graphql::pipeline::{Door, Refusal};

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

/// A body refused before it reaches the pipeline (media type, size, shape): the status and
/// the error to answer with.
type Rejected = (StatusCode, ApiError);

fn rejected_response((status, error): Rejected) -> Response {
    error_response(status, error)
}

/// A request the pipeline refused, answered with the status its stage calls for.
fn refused(state: &AppState, media: Media, refusal: Refusal) -> Response {
    let error = match refusal {
        Refusal::Invalid(_) => return media.answer(state.gateway.refused(refusal)),
        Refusal::NoDocument(e) | Refusal::Persisted(e) | Refusal::Policy(e) => e,
    };
    let status = match error {
        // Apollo clients expect it with 200, before they send the text.
        ApiError::PersistedQueryNotFound => StatusCode::OK,
        ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        ApiError::MutationNeedsJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = error_response(status, error);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let allow = HeaderValue::from_static("POST");
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// A GraphQL-shaped error body for failures before execution.
fn error_response(status: StatusCode, error: ApiError) -> Response {
    let body = serde_json::json!({"errors": [error.to_server_error()]});
    (status, axum::Json(body)).into_response()
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
        Ok(request) => request,
        Err(e) => {
            return error_response(StatusCode::BAD_REQUEST, ApiError::BadRequest(e.to_string()))
        }
    };
    // `new EventSource(url)` from any page is a GET with `Accept: text/event-stream` and no
    // preflight: the pipeline's policy keeps mutations off it as off any GET.
    let door = match super::live::wants_event_stream(headers) {
        true => Door::EventStream { over_get: true },
        false => Door::Get,
    };
    let media = Media::of(headers);
    match admit(&state, &parts, door, request, media) {
        Ok(admitted) => {
            let answer = state.gateway.answer(admitted).await;
            super::http_cache::cached(headers, answer, |a| media.answer(a))
        }
        Err(response) => *response,
    }
}

/// One request through the pipeline as it came through `door`: refused with the status its
/// stage calls for, streamed as server-sent events when the door streams, else admitted for a
/// JSON answer.
fn admit(
    state: &AppState,
    parts: &axum::http::request::Parts,
    door: Door,
    request: async_graphql::Request,
    media: Media,
) -> Result<crate::graphql::pipeline::Admitted, Box<Response>> {
    let caller = super::caller::caller(state, parts);
    match state.gateway.admit(door, &caller, request) {
        Err(refusal) => Err(Box::new(refused(state, media, refusal))),
        Ok(admitted) if door.streams() => Err(Box::new(super::live::event_stream(state, admitted))),
        Ok(admitted) => Ok(admitted),
    }
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
fn post_body(headers: &HeaderMap) -> Result<PostBody, Rejected> {
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
fn parse_post(kind: PostBody, bytes: &[u8], max_batch: usize) -> Result<BatchRequest, Rejected> {
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
        Err(refused) => return rejected_response(refused),
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
        Ok(BatchRequest::Single(request)) => request,
        Ok(batch) => {
            let caller = super::caller::caller(&state, &parts).identified();
            let answered = state.gateway.execute_batch(batch, &caller).await;
            return GraphQLResponse::from(answered).into_response();
        }
        Err(refused) => return rejected_response(refused),
    };
    let door = match super::live::wants_event_stream(headers) {
        true => Door::EventStream { over_get: false },
        false => Door::Post {
            json: kind == PostBody::Json,
        },
    };
    let media = Media::of(headers);
    match admit(&state, &parts, door, request, media) {
        Ok(admitted) => media.answer(state.gateway.answer(admitted).await),
        Err(response) => *response,
    }
}
