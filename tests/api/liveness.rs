//! WebSocket liveness and shutdown: the server pings, a quiet client that answers stays
//! subscribed, a client that stops answering is closed, and shutdown ends every subscription.

use std::time::{Duration, Instant};

use tokio_tungstenite::tungstenite::Message;

use crate::common::live::{Protocol, WsClient};
use crate::helpers::spawn_app;
use vitrine::config::Settings;
use vitrine::demo::Publisher;
use vitrine::events::TopicMap;

use crate::subscriptions::{price, wait_for_active, PRICE_SUB};

/// Pings every 100 ms; a client silent for 300 ms past that is closed.
const FAST_PINGS: &str = "[subscriptions]\nws_ping_interval_ms = 100\nws_pong_timeout_ms = 300\n";

#[tokio::test]
async fn a_quiet_client_that_answers_pings_stays_subscribed() {
    let app = spawn_app(FAST_PINGS).await;
    app.client.wait_ready().await;
    for (round, protocol) in [Protocol::TransportWs, Protocol::Legacy]
        .into_iter()
        .enumerate()
    {
        let mut ws = WsClient::connect(&app.client.base, protocol).await;
        ws.subscribe("1", PRICE_SUB).await;
        wait_for_active(&app, 1).await;
        // The client sends nothing of its own for 20 ping intervals; reading answers the pings.
        let quiet_until = Instant::now() + Duration::from_secs(2);
        let (mut pings, mut keepalives) = (0, 0);
        while Instant::now() < quiet_until {
            match ws.next_frame(Duration::from_secs(1)).await {
                Some(Message::Ping(_)) => pings += 1,
                Some(Message::Text(text))
                    if text.contains("\"ping\"") || text.contains("\"ka\"") =>
                {
                    keepalives += 1
                }
                other => panic!("unexpected frame while quiet: {other:?}"),
            }
        }
        assert!(
            pings >= 5 && keepalives >= 5,
            "{pings} pings, {keepalives} keep-alives"
        );
        // Published from another thread: the client keeps reading (and answering pings).
        let record = price("p000003-0", 100 + round as u64, 1_234 + round as i64);
        let brokers = app.brokers.clone();
        let publishing = tokio::task::spawn_blocking(move || {
            let publisher =
                Publisher::connect(&brokers, TopicMap::new(&Settings::defaults().topics));
            let publisher = publisher.unwrap();
            publisher.send(&record).unwrap();
            publisher.flush(Duration::from_secs(10)).unwrap()
        });
        let event = ws.next_payload().await;
        assert_eq!(publishing.await.unwrap(), 0, "delivered");
        let amount = format!("12.{}", 34 + round);
        let shown = &event["data"]["priceChanged"]["price"]["amount"];
        assert_eq!(shown, amount.as_str(), "{event}");
        ws.close().await;
        wait_for_active(&app, 0).await;
    }
    app.stop().await;
}

/// `vitrine_websocket_closes_total{reason}` as `/metrics` shows it now (process-wide).
async fn closes(app: &crate::helpers::TestApp, reason: &str) -> u64 {
    let text = app.client.get("/metrics").await.text().await.unwrap();
    let series = format!("vitrine_websocket_closes_total{{reason=\"{reason}\"}}");
    text.lines()
        .find(|l| l.starts_with(&series))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics"))
}

#[tokio::test]
async fn a_client_that_stops_answering_is_closed_and_frees_its_slot() {
    let app = spawn_app(FAST_PINGS).await;
    app.client.wait_ready().await;
    let before = closes(&app, "pong_timeout").await;
    let mut ws = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    ws.subscribe("1", PRICE_SUB).await;
    wait_for_active(&app, 1).await;
    // Not reading: no pong goes back. The server closes after ping interval + pong timeout.
    wait_for_active(&app, 0).await;
    // What was sent before the close is still buffered; the connection then ends (with close
    // code 3008 when the frame gets through before the socket does).
    while let Some(frame) = ws.next_frame(Duration::from_secs(5)).await {
        if let Message::Close(Some(frame)) = frame {
            assert_eq!(u16::from(frame.code), 3008);
        }
    }
    assert!(closes(&app, "pong_timeout").await > before, "counted");
    app.stop().await;
}

#[tokio::test]
async fn shutdown_ends_websocket_and_sse_subscriptions() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let mut ws = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    ws.subscribe("1", PRICE_SUB).await;
    let base = app.client.base.clone();
    let sse = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("accept", "text/event-stream")
        .json(&serde_json::json!({"query": PRICE_SUB}))
        .send()
        .await
        .unwrap();
    wait_for_active(&app, 2).await;
    let started = Instant::now();
    app.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let mut close_code = None;
    while let Some(frame) = ws.next_frame(Duration::from_secs(5)).await {
        if let Message::Close(frame) = frame {
            close_code = frame.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(close_code, Some(1001), "WebSocket closed as going away");
    let body = tokio::time::timeout(Duration::from_secs(5), sse.text())
        .await
        .expect("the SSE stream ends")
        .unwrap_or_default();
    assert!(
        body.contains("event: complete") || body.contains("event:complete"),
        "{body}"
    );
}

/// The metrics exporter folds samples into histograms on its own schedule: no scrape needed.
#[tokio::test]
async fn metrics_upkeep_runs_without_scrapes() {
    let app = spawn_app("[server]\nmetrics_upkeep_ms = 20\n").await;
    app.client.wait_ready().await;
    let upkeeps = |text: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with("vitrine_metrics_upkeep_total"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let first = upkeeps(&app.client.get("/metrics").await.text().await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = upkeeps(&app.client.get("/metrics").await.text().await.unwrap());
    assert!(later >= first + 5, "upkeep ran {first} then {later} times");
    app.stop().await;
}
