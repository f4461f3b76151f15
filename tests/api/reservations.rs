//! Reservations on the embedded demo (its mock cluster carries the reservations topic, and this
//! replica is the only member of the deciders' group): holds decided by the log and read back,
//! availability net of holds, idempotent retries, ownership, release, expiry, limits, and the
//! cross-site rules for mutations.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{error_code, wait_until, Client};
use crate::helpers::spawn_app;

const RESERVE: &str = "mutation($lines: [ReserveLineInput!]!, $key: String!, $ttl: Int) {
    reserve(lines: $lines, idempotencyKey: $key, ttlSeconds: $ttl) {
      id token status expiresAt lines { sku requested held } } }";
const RELEASE: &str = "mutation($id: ID!, $token: String!) {
    releaseReservation(id: $id, token: $token) { id status lines { sku held } } }";
const STOCK: &str =
    "query($id: ID!) { product(id: $id) { availableForSale variants { sku quantityAvailable } } }";

/// A SKU of the demo catalog with some stock, and how much.
async fn stocked_sku(client: &Client) -> (String, String, i64) {
    for i in 0..60 {
        let id = format!("p{i:06}");
        let r = client.query(STOCK, json!({"id": id})).await;
        for v in r["data"]["product"]["variants"].as_array().unwrap() {
            let n = v["quantityAvailable"].as_i64().unwrap();
            if n >= 2 {
                return (id, v["sku"].as_str().unwrap().to_string(), n);
            }
        }
    }
    panic!("no stocked SKU in the demo catalog");
}

async fn available(client: &Client, product: &str, sku: &str) -> i64 {
    let r = client.query(STOCK, json!({"id": product})).await;
    r["data"]["product"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sku"] == sku)
        .unwrap()["quantityAvailable"]
        .as_i64()
        .unwrap()
}

fn reservation(r: &Value) -> &Value {
    let got = &r["data"]["reserve"];
    assert!(got.is_object(), "{r}");
    got
}

#[tokio::test]
async fn holds_are_decided_by_the_log_and_read_back() {
    let app = spawn_app("[reservations]\nmax_quantity = 1000\n").await;
    app.client.wait_ready().await;
    let (product, sku, on_hand) = stocked_sku(&app.client).await;

    // Ask for one more than there is: PARTIAL, holding all of it.
    let lines = json!([{"sku": sku, "quantity": on_hand + 1}]);
    let first = app
        .client
        .query(RESERVE, json!({"lines": lines, "key": "cart-1"}))
        .await;
    let r = reservation(&first);
    assert_eq!(r["status"], "PARTIAL", "{first}");
    assert_eq!(r["lines"][0]["held"], on_hand);
    assert!(r["expiresAt"].is_string());
    assert_eq!(available(&app.client, &product, &sku).await, 0);
    let page = app.client.query(STOCK, json!({"id": product})).await;
    assert!(page["data"]["product"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["sku"] == sku.as_str() && v["quantityAvailable"] == 0));

    // The same key: the same reservation, nothing held twice.
    let again = app
        .client
        .query(RESERVE, json!({"lines": lines, "key": "cart-1"}))
        .await;
    assert_eq!(reservation(&again), r, "idempotent");

    // Nothing left: another cart is rejected.
    let other = app
        .client
        .query(
            RESERVE,
            json!({"lines": [{"sku": sku, "quantity": 1}], "key": "cart-2"}),
        )
        .await;
    assert_eq!(reservation(&other)["status"], "REJECTED", "{other}");

    // Checkout of the held cart: not short of its own held units; without the reservation, it
    // is (they are held for someone).
    let cart = "query($sku: ID!, $n: Int!, $r: ID, $t: String) { checkout(country: \"US\", lines: [{sku: $sku, quantity: $n}], reservationId: $r, reservationToken: $t) { lines { held unavailable { available } } } }";
    let held_cart = app
        .client
        .query(
            cart,
            json!({"sku": sku, "n": on_hand, "r": r["id"], "t": r["token"]}),
        )
        .await;
    let line = &held_cart["data"]["checkout"]["lines"][0];
    assert_eq!(line["held"], on_hand, "{held_cart}");
    assert_eq!(line["unavailable"], Value::Null, "{held_cart}");
    let anyone = app
        .client
        .query(cart, json!({"sku": sku, "n": on_hand, "r": null}))
        .await;
    let line = &anyone["data"]["checkout"]["lines"][0];
    assert_eq!(line["unavailable"]["available"], 0, "{anyone}");
    assert_eq!(line["held"], Value::Null);

    // Release frees the stock at once.
    let released = app
        .client
        .query(RELEASE, json!({"id": r["id"], "token": r["token"]}))
        .await;
    assert_eq!(
        released["data"]["releaseReservation"]["status"], "RELEASED",
        "{released}"
    );
    assert_eq!(available(&app.client, &product, &sku).await, on_hand);
    let released_cart = app
        .client
        .query(
            cart,
            json!({"sku": sku, "n": 1, "r": r["id"], "t": r["token"]}),
        )
        .await;
    assert_eq!(
        released_cart["data"]["checkout"]["lines"][0]["held"], 0,
        "no longer held: {released_cart}"
    );

    // A short hold runs out by itself.
    let short = app
        .client
        .query(
            RESERVE,
            json!({"lines": [{"sku": sku, "quantity": 1}], "key": "cart-3", "ttl": 1}),
        )
        .await;
    assert_eq!(reservation(&short)["status"], "HELD", "{short}");
    assert_eq!(available(&app.client, &product, &sku).await, on_hand - 1);
    let client = app.client.clone();
    let (p, s) = (product.clone(), sku.clone());
    wait_until("the hold to expire", Duration::from_secs(10), || {
        let (c, p, s) = (client.clone(), p.clone(), s.clone());
        async move { (available(&c, &p, &s).await == on_hand).then_some(()) }
    })
    .await;
    let health = app.client.health().await;
    assert_eq!(
        health["views"]["reservations"]["ingest"]["malformed"], 0,
        "{health}"
    );
    app.stop().await;
}

#[tokio::test]
async fn reservation_limits_and_errors() {
    let app =
        spawn_app("[reservations]\nmax_lines = 2\nmax_quantity = 3\nmax_per_client = 1\n").await;
    app.client.wait_ready().await;
    let (_, sku, _) = stocked_sku(&app.client).await;
    let three = json!([{"sku": "a", "quantity": 1}, {"sku": "b", "quantity": 1}, {"sku": "c", "quantity": 1}]);
    let r = app
        .client
        .query(RESERVE, json!({"lines": three, "key": "k1"}))
        .await;
    assert_eq!(error_code(&r), "RESERVATION_TOO_LARGE", "{r}");
    // Lines of one SKU are merged before the cap.
    let split = json!([{"sku": sku, "quantity": 2}, {"sku": sku, "quantity": 2}]);
    let r = app
        .client
        .query(RESERVE, json!({"lines": split, "key": "k2"}))
        .await;
    assert_eq!(error_code(&r), "RESERVATION_TOO_LARGE", "{r}");
    let r = app
        .client
        .query(
            RESERVE,
            json!({"lines": [{"sku": sku, "quantity": 1}], "key": ""}),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    let r = app
        .client
        .query(
            RESERVE,
            json!({"lines": [{"sku": sku, "quantity": 1}], "key": "k3", "ttl": 999999}),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    let ok = app
        .client
        .query(
            RESERVE,
            json!({"lines": [{"sku": sku, "quantity": 1}], "key": "k4"}),
        )
        .await;
    assert_eq!(reservation(&ok)["status"], "HELD", "{ok}");
    let r = app
        .client
        .query(
            RESERVE,
            json!({"lines": [{"sku": sku, "quantity": 1}], "key": "k5"}),
        )
        .await;
    assert_eq!(error_code(&r), "TOO_MANY_HOLDS", "{r}");
    let r = app
        .client
        .query(RELEASE, json!({"id": "r_nope", "token": "0"}))
        .await;
    assert_eq!(error_code(&r), "RESERVATION_NOT_OWNED", "{r}");
    let r = app
        .client
        .query(
            RESERVE,
            json!({"lines": [{"sku": "no-such-sku", "quantity": 1}], "key": "k6"}),
        )
        .await;
    assert_eq!(error_code(&r), "UNKNOWN_SKU", "{r}");

    // Never over GET, never from a simple (form) request.
    let url = format!(
        "{}/graphql?query={}",
        app.client.base,
        "mutation%20%7B%20releaseReservation(id%3A%20%22x%22%2C%20token%3A%20%22t%22)%20%7B%20id%20%7D%20%7D"
    );
    let get = app.client.http.get(&url).send().await.unwrap();
    assert_eq!(get.status(), 405);
    // Nor as the event stream `new EventSource(url)` asks for from any page (no preflight).
    let stream = app
        .client
        .http
        .get(&url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 405);
    let form = app
        .client
        .http
        .post(format!("{}/graphql", app.client.base))
        .header("content-type", "text/plain")
        .body(r#"{"query":"mutation { releaseReservation(id: \"x\", token: \"t\") { id } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    app.stop().await;
}

#[tokio::test]
async fn reservations_can_be_switched_off() {
    let app = spawn_app("[topics]\nreservations = \"\"\n").await;
    app.client.wait_ready().await;
    let r = app
        .client
        .query(
            RESERVE,
            json!({"lines": [{"sku": "a", "quantity": 1}], "key": "k"}),
        )
        .await;
    assert_eq!(error_code(&r), "RESERVATIONS_DISABLED", "{r}");
    app.stop().await;
}

/// `inventoryChanged` reports stock net of holds: a hold is an inventory change.
#[tokio::test]
async fn subscribers_see_holds_as_stock_changes() {
    use crate::common::live::{Protocol, WsClient};
    use crate::subscriptions::{publish, stock, wait_for_active};
    let app = spawn_app("[subscriptions]\nlow_stock_below = 2\n").await;
    app.client.wait_ready().await;
    publish(&app, &[stock("p000007-0", 500, 3)]).await;
    let client = app.client.clone();
    wait_until("the stock", Duration::from_secs(10), || {
        let c = client.clone();
        async move { (available(&c, "p000007", "p000007-0").await == 3).then_some(()) }
    })
    .await;
    let mut ws = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    ws.subscribe(
        "s",
        "subscription { inventoryChanged(skus: [\"p000007-0\"]) { sku quantityAvailable status } }",
    )
    .await;
    wait_for_active(&app, 1).await;
    let lines = json!([{"sku": "p000007-0", "quantity": 3}]);
    let r = app
        .client
        .query(RESERVE, json!({"lines": lines, "key": "sub-1"}))
        .await;
    assert_eq!(reservation(&r)["status"], "HELD", "{r}");
    let event = ws.next_payload().await;
    let e = &event["data"]["inventoryChanged"];
    assert_eq!(e["quantityAvailable"], 0, "{event}");
    assert_eq!(e["status"], "OUT_OF_STOCK", "{event}");
    ws.close().await;
    app.stop().await;
}

/// Posts `query` as client `who` (the configured client header).
async fn as_client(client: &Client, who: &str, query: &str, variables: Value) -> Value {
    client
        .http
        .post(format!("{}/graphql", client.base))
        .header("x-shopper", who)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The same idempotency key from two clients is two reservations; only the owner's token
/// releases or checks out against one.
#[tokio::test]
async fn reservations_belong_to_the_shopper_who_made_them() {
    let app = spawn_app("[subscriptions]\nclient_header = \"x-shopper\"\n").await;
    app.client.wait_ready().await;
    let (_, sku, _) = stocked_sku(&app.client).await;
    let vars = json!({"lines": [{"sku": sku, "quantity": 1}], "key": "cart-1"});
    let alice = as_client(&app.client, "alice", RESERVE, vars.clone()).await;
    let mallory = as_client(&app.client, "mallory", RESERVE, vars.clone()).await;
    let (a, m) = (reservation(&alice), reservation(&mallory));
    assert_ne!(
        a["id"], m["id"],
        "same key, another client: another reservation"
    );
    assert_eq!(a["status"], "HELD", "{alice}");
    assert_eq!(
        reservation(&as_client(&app.client, "alice", RESERVE, vars).await)["id"],
        a["id"],
        "the owner's retry finds hers"
    );

    // Mallory knows Alice's id: with her own token, or none, she can neither release it nor
    // check out against it.
    let steal = json!({"id": a["id"], "token": m["token"]});
    let r = as_client(&app.client, "mallory", RELEASE, steal).await;
    assert_eq!(error_code(&r), "RESERVATION_NOT_OWNED", "{r}");
    let cart = "query($sku: ID!, $r: ID, $t: String) { checkout(country: \"US\", lines: [{sku: $sku, quantity: 1}], reservationId: $r, reservationToken: $t) { lines { held } } }";
    for token in [m["token"].clone(), Value::Null] {
        let r = as_client(
            &app.client,
            "mallory",
            cart,
            json!({"sku": sku, "r": a["id"], "t": token}),
        )
        .await;
        assert_eq!(error_code(&r), "RESERVATION_NOT_OWNED", "{r}");
    }
    // Alice's token works from any client address (a phone changing networks).
    let r = as_client(
        &app.client,
        "alice-on-4g",
        cart,
        json!({"sku": sku, "r": a["id"], "t": a["token"]}),
    )
    .await;
    assert_eq!(r["data"]["checkout"]["lines"][0]["held"], 1, "{r}");
    let r = as_client(
        &app.client,
        "alice",
        RELEASE,
        json!({"id": a["id"], "token": a["token"]}),
    )
    .await;
    assert_eq!(r["data"]["releaseReservation"]["status"], "RELEASED", "{r}");
    app.stop().await;
}

/// A reserve whose request runs out of time while its lines are being asked for still asks for
/// every line: no reservation is left holding some lines and waiting for the others. Seen
/// without a retry (a retry would ask again): every SKU's stock drops by the unit held.
#[tokio::test]
async fn a_reserve_is_never_cut_between_its_lines() {
    let app =
        spawn_app("[graphql]\nrequest_timeout_ms = 3\n[reservations]\nmax_per_client = 1000\n")
            .await;
    app.client.wait_ready().await;
    // Twenty SKUs with stock, and how much each has (read before the 3 ms budget matters).
    let mut stocked: Vec<(String, String, i64)> = vec![];
    for i in 0..60 {
        let id = format!("p{i:06}");
        let mut r = app.client.query(STOCK, json!({"id": id})).await;
        while !r["data"]["product"].is_object() {
            r = app.client.query(STOCK, json!({"id": id})).await; // cut by the budget
        }
        for v in r["data"]["product"]["variants"].as_array().unwrap() {
            let n = v["quantityAvailable"].as_i64().unwrap();
            if n >= 1 && stocked.len() < 20 {
                stocked.push((id.clone(), v["sku"].as_str().unwrap().to_string(), n));
            }
        }
    }
    assert_eq!(stocked.len(), 20);
    let lines: Vec<Value> = stocked
        .iter()
        .map(|(_, sku, _)| json!({"sku": sku, "quantity": 1}))
        .collect();
    let first = app
        .client
        .query(RESERVE, json!({"lines": lines, "key": "big-cart"}))
        .await;
    let client = app.client.clone();
    wait_until("every line held", Duration::from_secs(10), || {
        let (c, stocked) = (client.clone(), stocked.clone());
        async move {
            // (A read cut by the 3 ms budget is simply read again.)
            for (product, sku, n) in &stocked {
                let r = c.query(STOCK, json!({"id": product})).await;
                let now = r["data"]["product"]["variants"]
                    .as_array()?
                    .iter()
                    .find(|v| v["sku"] == sku.as_str())?["quantityAvailable"]
                    .as_i64();
                if now != Some(n - 1) {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;
    assert!(first.is_object());
    app.stop().await;
}

/// Two carts hold 2 units each of 4; the warehouse count drops to 2: the earlier hold keeps its
/// 2 at checkout and the later one is short, so together they are never promised more than is
/// on hand.
#[tokio::test]
async fn held_carts_are_never_promised_more_than_is_on_hand() {
    use crate::subscriptions::{publish, stock};
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let (product, sku, _) = stocked_sku(&app.client).await;
    publish(&app, &[stock(&sku, 1_000, 4)]).await;
    let client = app.client.clone();
    let (p, s) = (product.clone(), sku.clone());
    wait_until("4 on hand", Duration::from_secs(10), || {
        let (c, p, s) = (client.clone(), p.clone(), s.clone());
        async move { (available(&c, &p, &s).await == 4).then_some(()) }
    })
    .await;
    let mut holds = vec![];
    for key in ["first", "second"] {
        let lines = json!([{"sku": sku, "quantity": 2}]);
        let r = app
            .client
            .query(RESERVE, json!({"lines": lines, "key": key}))
            .await;
        assert_eq!(reservation(&r)["status"], "HELD", "{r}");
        holds.push(reservation(&r).clone());
    }
    publish(&app, &[stock(&sku, 1_001, 2)]).await;
    let client = app.client.clone();
    let cart = "query($sku: ID!, $r: ID, $t: String) { checkout(country: \"US\", lines: [{sku: $sku, quantity: 2}], reservationId: $r, reservationToken: $t) { lines { held unavailable { available } } } }";
    let checkout = |r: Value| {
        let (c, sku) = (client.clone(), sku.clone());
        async move {
            let vars = json!({"sku": sku, "r": r["id"], "t": r["token"]});
            c.query(cart, vars).await["data"]["checkout"]["lines"][0].clone()
        }
    };
    let first = wait_until("the drop to 2 on hand", Duration::from_secs(10), || {
        let (c, p, s) = (app.client.clone(), product.clone(), sku.clone());
        let first = checkout(holds[0].clone());
        async move { (available(&c, &p, &s).await == 0).then_some(first.await) }
    })
    .await;
    assert_eq!(
        first["unavailable"],
        Value::Null,
        "the earlier hold keeps its 2: {first}"
    );
    let second = checkout(holds[1].clone()).await;
    assert_eq!(
        second["unavailable"]["available"], 0,
        "nothing left for the later hold: {second}"
    );
    app.stop().await;
}

/// A reservation inside a batch is its caller's like any other: the same id as a single
/// request from that client, and the same per-client limit.
#[tokio::test]
async fn a_batched_reserve_keeps_its_caller() {
    let app = spawn_app(
        "[subscriptions]\nclient_header = \"x-shopper\"\n[reservations]\nmax_per_client = 1\n",
    )
    .await;
    app.client.wait_ready().await;
    let (_, sku, _) = stocked_sku(&app.client).await;
    let vars = json!({"lines": [{"sku": sku, "quantity": 1}], "key": "cart-1"});
    let single = as_client(&app.client, "alice", RESERVE, vars.clone()).await;
    let id = reservation(&single)["id"].clone();
    let batch = |key: &str| {
        let vars = json!({"lines": [{"sku": sku, "quantity": 1}], "key": key});
        app.client
            .http
            .post(format!("{}/graphql", app.client.base))
            .header("x-shopper", "alice")
            .json(&json!([{"query": RESERVE, "variables": vars}]))
            .send()
    };
    let again: Value = batch("cart-1").await.unwrap().json().await.unwrap();
    assert_eq!(
        again[0]["data"]["reserve"]["id"], id,
        "alice's own: {again}"
    );
    let more: Value = batch("cart-2").await.unwrap().json().await.unwrap();
    assert_eq!(
        more[0]["errors"][0]["extensions"]["code"], "TOO_MANY_HOLDS",
        "counted under alice: {more}"
    );
    app.stop().await;
}
