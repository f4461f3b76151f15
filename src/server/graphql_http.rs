//! GraphQL over HTTP: POST and GET at `/graphql`, GraphiQL for browsers, bounded bodies.

use async_graphql::http::{parse_query_string, GraphiQLSource};
use async_graphql::BatchRequest;
use async_graphql_axum::GraphQLResponse;
use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::graphql::errors::ApiError;
use crate::graphql::gateway::MAX_STALENESS;

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// A GraphQL-shaped error body for failures before execution.
fn error_response(status: StatusCode, error: ApiError) -> Response {
    let body = serde_json::json!({"errors": [error.to_server_error()]});
    (status, axum::Json(body)).into_response()
}

fn json_response(body: bytes::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub async fn graphiql(State(state): State<AppState>) -> Response {
    if !state.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .title("Vitrine")
            .finish(),
    )
    .into_response()
}

/// Header bounding how stale the views may be for this request (else `STALE_VIEW`).
pub const MAX_STALENESS_HEADER: &str = "x-max-staleness-ms";

/// Copies the staleness header into the request's extensions, where the gateway looks.
fn with_staleness_bound(
    mut request: async_graphql::Request,
    headers: &HeaderMap,
) -> async_graphql::Request {
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

fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}

/// GET: a WebSocket upgrade (subscriptions), GraphiQL for browsers, else a query in the URL
/// (`?query=...&variables=...`), answered as JSON or, if asked, as server-sent events.
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
    if query.is_empty() && wants_html(headers) {
        return graphiql(State(state)).await;
    }
    if query.len() > state.max_body_bytes {
        return error_response(
            StatusCode::URI_TOO_LONG,
            ApiError::PayloadTooLarge {
                max: state.max_body_bytes,
            },
        );
    }
    match parse_query_string(&query).map(|r| with_staleness_bound(r, headers)) {
        Ok(request) if wants_event_stream(headers) => super::live::event_stream(&state, request),
        Ok(request) => json_response(state.gateway.execute_json(request).await),
        Err(e) => error_response(StatusCode::BAD_REQUEST, ApiError::BadRequest(e.to_string())),
    }
}

/// POST: a JSON request or batch, at most `max_body_bytes` long; with `Accept:
/// text/event-stream`, one request answered as server-sent events (subscriptions).
pub async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let max = state.max_body_bytes;
    let bytes = match to_bytes(body, max).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::PayloadTooLarge { max },
            )
        }
    };
    let batch = serde_json::from_slice::<BatchRequest>(&bytes).map(|batch| match batch {
        BatchRequest::Single(r) => BatchRequest::Single(with_staleness_bound(r, &headers)),
        batch => batch,
    });
    match batch {
        Ok(BatchRequest::Single(request)) if wants_event_stream(&headers) => {
            super::live::event_stream(&state, request)
        }
        Ok(BatchRequest::Single(request)) => {
            json_response(state.gateway.execute_json(request).await)
        }
        Ok(batch) => {
            GraphQLResponse::from(state.gateway.execute_batch(batch).await).into_response()
        }
        Err(e) => error_response(StatusCode::BAD_REQUEST, ApiError::BadRequest(e.to_string())),
    }
}
