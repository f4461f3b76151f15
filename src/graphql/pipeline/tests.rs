//! The pipeline's own guarantees: the deadline starts at admission and reaches every kind of
//! execution; the caller reaches the operations that need it; refusals come from their stage.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Request, Response};
use futures::StreamExt;

use super::*;
use crate::config::Settings;
use crate::graphql::subscription::ClientId;
use crate::views::Catalog;

fn gateway(overrides: &str) -> Gateway {
    let settings = Settings::defaults().with_overrides(overrides).unwrap();
    crate::graphql::build_gateway(Arc::new(Catalog::new()), &settings)
}

/// The request as admitted for execution (not a memoized answer).
fn request_of(admitted: Admitted) -> Request {
    match admitted.into_parts() {
        Ok((request, ..)) => request,
        Err(_) => panic!("admitted with a memoized answer"),
    }
}

fn codes(response: &Response) -> Vec<String> {
    let json = serde_json::to_value(response).unwrap();
    json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_string))
        .collect()
}

/// Admitted, then held past its budget: whatever door runs it, the request is out of time
/// (a query answered once, a subscription refused at its setup).
#[tokio::test]
async fn the_deadline_set_at_admission_bounds_every_execution() {
    let gateway = gateway("[graphql]\nrequest_timeout_ms = 5\nplanner = \"off\"");
    let query = "{ products(first: 1) { totalCount } }";
    let subscription = "subscription { priceChanged(skus: [\"a-1\"]) { sku } }";
    for (door, text) in [
        (Door::WebSocket, query),
        (Door::EventStream { over_get: false }, query),
        (Door::WebSocket, subscription),
        (Door::EventStream { over_get: true }, subscription),
    ] {
        let admitted = gateway.admit(door, &Caller::default(), Request::new(text));
        let admitted = admitted.unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let first = gateway.stream(admitted, None).next().await.unwrap();
        assert_eq!(codes(&first), ["REQUEST_TIMEOUT"], "{door:?} {text}");
    }
    // Within its budget the same requests run.
    let admitted = gateway.admit(Door::WebSocket, &Caller::default(), Request::new(query));
    let answered = gateway
        .stream(admitted.unwrap(), None)
        .next()
        .await
        .unwrap();
    assert!(answered.errors.is_empty(), "{:?}", answered.errors);
}

/// The caller's client reaches mutations and subscriptions (per-client limits), and its
/// staleness bound every operation; a bound the request states itself is kept.
#[test]
fn the_caller_reaches_the_operations_that_need_it() {
    let gateway = gateway("");
    let caller = Caller {
        client: Some(ClientId("10.0.0.7".into())),
        max_staleness_ms: Some(250),
        ..Caller::default()
    };
    let mutation = "mutation { releaseReservation(id: \"r_x\", token: \"t\") { id } }";
    let admitted = gateway.admit(Door::BatchEntry, &caller, Request::new(mutation));
    let request = request_of(admitted.unwrap());
    assert_eq!(request.extensions.0[MAX_STALENESS], 250.into());
    assert_eq!(
        request
            .data
            .get(&std::any::TypeId::of::<ClientId>())
            .and_then(|c| c.downcast_ref()),
        Some(&ClientId("10.0.0.7".into()))
    );
    let mut own = Request::new("{ viewStatus { ready } }");
    own.extensions.0.insert(MAX_STALENESS.into(), 10.into());
    let request = request_of(gateway.admit(Door::Get, &caller, own).unwrap());
    assert_eq!(request.extensions.0[MAX_STALENESS], 10.into());
}

/// Each stage refuses with its own kind, so HTTP doors can answer with the right status.
#[test]
fn refusals_name_their_stage() {
    let gateway = gateway("[graphql]\nmax_aliases = 1");
    let admit = |door, text: &str| gateway.admit(door, &Caller::default(), Request::new(text));
    assert!(matches!(admit(Door::Get, " "), Err(Refusal::NoDocument(_))));
    let mut unknown = Request::new("");
    unknown.extensions.0.insert(
        "persistedQuery".into(),
        async_graphql::Value::from_json(serde_json::json!({"version": 1, "sha256Hash": "00"}))
            .unwrap(),
    );
    let refused = gateway.admit(Door::Get, &Caller::default(), unknown);
    assert!(matches!(refused, Err(Refusal::Persisted(_))), "{refused:?}");
    let mutation = "mutation { releaseReservation(id: \"r_x\", token: \"t\") { id } }";
    assert!(matches!(
        admit(Door::Get, mutation),
        Err(Refusal::Policy(_))
    ));
    assert!(matches!(
        admit(Door::Post { json: true }, "{"),
        Err(Refusal::Invalid(_))
    ));
    let two = "{ a: viewStatus { ready } b: viewStatus { ready } }";
    let refused = admit(Door::WebSocket, two).map(|_| ()).unwrap_err();
    assert_eq!(
        refused.to_server_error().extensions.unwrap().get("code"),
        Some(&"MAX_ALIASES_LIMIT".into())
    );
}

/// A request whose current answer the memo holds is admitted without parsing (an HTTP door),
/// answered from the memo, and parsed again once a record it read changes.
#[tokio::test]
async fn a_memoized_answer_is_admitted_without_parsing_until_it_is_outdated() {
    let catalog = Arc::new(Catalog::new());
    let sku = "p1-a";
    let change = |version, amount| {
        crate::views::Change::Price(crate::views::testing::price(sku, version, amount, None))
    };
    catalog.apply(crate::views::Change::Product(
        crate::views::testing::product("p1", 1, &[sku]),
    ));
    catalog.apply(change(1, 500));
    let settings = Settings::defaults();
    let gateway = crate::graphql::build_gateway(Arc::clone(&catalog), &settings);
    let query = "{ product(id: \"p1\") { variants { price { amount } } } }";
    let admit = || gateway.admit(Door::Get, &Caller::default(), Request::new(query));
    assert!(
        admit().unwrap().memoized().is_none(),
        "nothing memoized yet"
    );
    let first = gateway.answer(admit().unwrap()).await;
    let memoized = admit().unwrap();
    assert!(memoized.memoized().is_some());
    assert_eq!(gateway.answer(memoized).await.body, first.body);
    // Not on a door that does not use the memo.
    let socket = gateway.admit(Door::WebSocket, &Caller::default(), Request::new(query));
    assert!(socket.unwrap().memoized().is_none());
    catalog.apply(change(2, 600));
    let outdated = admit().unwrap();
    assert!(outdated.memoized().is_none());
    let answer = gateway.answer(outdated).await;
    assert!(String::from_utf8_lossy(&answer.body).contains("6.00"));
}
