//! GraphiQL served by Vitrine itself: a strict CSP, embedded assets with long cache lifetimes,
//! and, in Debian's Chromium driven by playwright-core, a query, the docs explorer and a live
//! subscription with no console error and no request to another origin.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::spawn_app;
use crate::subscriptions::{price, publish, wait_for_active};

#[tokio::test]
async fn the_page_has_a_strict_csp_and_its_assets_are_served_here() {
    let app = spawn_app("").await;
    let page = app.client.get("/").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("http"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    let assets: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/graphiql/"))
        .collect();
    assert_eq!(assets.len(), 7, "{html}");
    assert!(!html.contains("https://"), "no third-party script or style");
    for asset in assets {
        let response = app.client.get(asset).await;
        assert_eq!(response.status(), 200, "{asset}");
        let cache = response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cache.contains("immutable"), "{asset}: {cache}");
        assert!(!response.bytes().await.unwrap().is_empty());
    }
    assert_eq!(
        app.client
            .get("/graphiql/0.0.1/graphiql.min.js")
            .await
            .status(),
        404
    );
    app.stop().await;
    let off = spawn_app("[server]\ngraphiql = false\n").await;
    assert_eq!(off.client.get("/").await.status(), 404);
    off.stop().await;
}

#[tokio::test]
async fn graphiql_runs_a_query_and_a_live_subscription_in_chromium() {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        Path::new("/usr/bin/chromium").exists() && interop.join("node_modules/playwright-core").exists(),
        "needs Debian's chromium and `npm ci --prefix tests/interop` (scripts/test.sh installs both)"
    );
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let mut node = tokio::process::Command::new("node")
        .arg(interop.join("graphiql.mjs"))
        .arg(&app.client.base)
        .args(std::env::var("GRAPHIQL_SCREENSHOT").ok())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    for step in ["query", "docs"] {
        let said = next(&mut lines).await;
        assert_eq!(said["step"], step, "{said}");
    }
    assert_eq!(next(&mut lines).await["step"], "subscribed");
    wait_for_active(&app, 1).await;
    publish(&app, &[price("p000003-0", 500, 1_234)]).await;
    let said = next(&mut lines).await;
    assert_eq!(
        (&said["step"], &said["ok"]),
        (&"event".into(), &true.into()),
        "{said}"
    );
    let said = next(&mut lines).await;
    assert_eq!(said["done"], true, "{said}");
    assert!(node.wait().await.unwrap().success());
    app.stop().await;
}

/// The browser script's next step, as JSON (it prints one line per step).
async fn next(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> serde_json::Value {
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("a step within 60 s")
        .unwrap()
        .unwrap_or_default();
    serde_json::from_str(&line).unwrap_or_else(|_| panic!("not a step: {line:?}"))
}
