//! GraphiQL served by Vitrine itself: the production bundles of GraphiQL, React and graphql-ws
//! (vendored in `assets/graphiql/` by `scripts/vendor-graphiql.sh`, licences beside them) are
//! embedded in the binary and served from `/graphiql/VERSION/...` with year-long immutable
//! caching; the page carries a Content-Security-Policy that allows no other origin.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Part of every asset path, so a new vendored version is never served from an old cache.
const VERSION: &str = "3.8.3";

/// (file name, content type, bytes) of every embedded asset.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "graphql-ws.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphql-ws.min.js"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql-page/init.js"),
    ),
    (
        "page.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql-page/page.css"),
    ),
];

/// Scripts and styles from this origin only; connections (queries, WebSocket subscriptions)
/// to this origin only; no frames, no plugins, no base-URI games. GraphiQL's editor sets
/// element styles at run time, hence `'unsafe-inline'` for styles (never for scripts).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn page() -> String {
    let asset = |name: &str| format!("/graphiql/{VERSION}/{name}");
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vitrine GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css}">
<link rel="stylesheet" href="{page_css}">
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="{react}"></script>
<script src="{react_dom}"></script>
<script src="{graphiql}"></script>
<script src="{ws}"></script>
<script src="{init}"></script>
</body>
</html>
"#,
        css = asset("graphiql.min.css"),
        page_css = asset("page.css"),
        react = asset("react.production.min.js"),
        react_dom = asset("react-dom.production.min.js"),
        graphiql = asset("graphiql.min.js"),
        ws = asset("graphql-ws.min.js"),
        init = asset("init.js"),
    )
}

/// The GraphiQL page (404 when `server.graphiql` is off).
pub async fn graphiql_page(State(state): State<AppState>) -> Response {
    if !state.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        page(),
    )
        .into_response()
}

/// One embedded asset, cached for a year (its path changes with its version).
pub async fn graphiql_asset(
    State(state): State<AppState>,
    Path((version, name)): Path<(String, String)>,
) -> Response {
    let found = ASSETS.iter().find(|(file, _, _)| *file == name);
    match found {
        Some((_, content_type, bytes)) if state.graphiql && version == VERSION => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
