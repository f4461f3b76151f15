//! Two banners over the demo catalog (`main`: every product; `outlet`: women's knitwear and
//! men's shirts at its own lower prices; one stock pool): the context each request is answered
//! in (`@inContext(banner:)`, `/b/{banner}/graphql`, `Host`), echoed and part of every cache
//! key; assortments, price lists and one shared stock number.

use serde_json::{json, Value};

use crate::common::{error_code, Client};
use crate::helpers::spawn_app;

const PAGE: &str = "query($id: ID!) { product(id: $id) { id categories
    variants { sku price { amount } quantityAvailable } } }";
const LISTING: &str = "{ products(first: 100) { totalCount edges { node { id categories } } } }";

async fn post_at(client: &Client, path: &str, query: &str, variables: Value) -> (u16, Value) {
    let response = client
        .http
        .post(format!("{}{path}", client.base))
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn outlet_sells(categories: &Value) -> bool {
    categories.as_array().unwrap().iter().any(|c| {
        let c = c.as_str().unwrap();
        c.starts_with("women/knitwear") || c.starts_with("men/shirts")
    })
}

fn amount(v: &Value) -> f64 {
    v["price"]["amount"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn each_banner_sells_its_assortment_at_its_prices_from_one_pool() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let client = &app.client;
    let main = client.query(LISTING, json!({})).await;
    let (_, outlet) = post_at(client, "/b/outlet/graphql", LISTING, json!({})).await;
    let main_total = main["data"]["products"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{main}"));
    let outlet_total = outlet["data"]["products"]["totalCount"].as_i64().unwrap();
    assert_eq!(main_total, 60);
    assert!(
        outlet_total > 5 && outlet_total < 40,
        "about a third: {outlet_total}"
    );
    for edge in outlet["data"]["products"]["edges"].as_array().unwrap() {
        assert!(outlet_sells(&edge["node"]["categories"]), "{edge}");
    }
    assert_eq!(outlet["extensions"]["context"]["banner"], "outlet");
    let edges = main["data"]["products"]["edges"].as_array().unwrap();
    let nodes: Vec<&Value> = edges.iter().map(|e| &e["node"]).collect();
    let sold = nodes
        .iter()
        .find(|n| outlet_sells(&n["categories"]))
        .unwrap();
    let not_sold = nodes
        .iter()
        .find(|n| !outlet_sells(&n["categories"]))
        .unwrap();

    // One SKU at two prices: the outlet's lower, by the banner the operation names.
    let id = sold["id"].as_str().unwrap();
    let in_main = client.query(PAGE, json!({"id": id})).await;
    let named = "query($id: ID!) @inContext(banner: \"outlet\") { product(id: $id) {
        variants { sku price { amount } quantityAvailable } } }";
    let in_outlet = client.query(named, json!({"id": id})).await;
    let main_variant = &in_main["data"]["product"]["variants"][0];
    let outlet_variant = &in_outlet["data"]["product"]["variants"][0];
    assert_eq!(main_variant["sku"], outlet_variant["sku"]);
    let ratio = amount(outlet_variant) / amount(main_variant);
    assert!(
        (0.45..=0.71).contains(&ratio),
        "{ratio}: {in_main} {in_outlet}"
    );
    assert_eq!(in_outlet["extensions"]["context"]["banner"], "outlet");
    let spoken = "query @inContext(banner: \"outlet\", country: GB, language: FR) { product(id: \"p000001\") { id } }";
    let context = &client.query(spoken, json!({})).await["extensions"]["context"];
    assert_eq!(
        *context,
        json!({"banner": "outlet", "country": "GB", "language": "FR"})
    );

    // A product outside the outlet's assortment is not there, on the page or by path.
    let other = not_sold["id"].as_str().unwrap();
    let (_, outside) = post_at(client, "/b/outlet/graphql", PAGE, json!({"id": other})).await;
    assert_eq!(outside["data"]["product"], Value::Null, "{outside}");
    assert!(client.query(PAGE, json!({"id": other})).await["data"]["product"].is_object());

    // A banner that does not exist is refused, never answered as another.
    let (status, unknown) = post_at(client, "/b/nope/graphql", PAGE, json!({"id": id})).await;
    assert_eq!((status, error_code(&unknown)), (400, "UNKNOWN_BANNER"));
    let named_unknown = "{ product(id: \"p000001\") { id } }"
        .replace("{ product", "query @inContext(banner: \"nope\") { product");
    assert_eq!(
        error_code(&client.query(&named_unknown, json!({})).await),
        "UNKNOWN_BANNER"
    );

    // One stock pool: a hold through the outlet is gone from main's stock at once.
    let mut stocked = None;
    for node in nodes.iter().filter(|n| outlet_sells(&n["categories"])) {
        let page = client.query(PAGE, json!({"id": node["id"]})).await;
        let variants = page["data"]["product"]["variants"]
            .as_array()
            .unwrap()
            .clone();
        if let Some(v) = variants
            .iter()
            .find(|v| v["quantityAvailable"].as_i64() > Some(0))
        {
            stocked = Some((
                node["id"].clone(),
                v["sku"].clone(),
                v["quantityAvailable"].as_i64(),
            ));
            break;
        }
    }
    let (id, sku, before) = stocked.expect("a stocked SKU the outlet sells");
    let reserve = "mutation($lines: [ReserveLineInput!]!, $key: String!) {
        reserve(lines: $lines, idempotencyKey: $key) { status lines { held } } }";
    let lines = json!([{"sku": sku, "quantity": 1}]);
    let (_, held) = post_at(
        client,
        "/b/outlet/graphql",
        reserve,
        json!({"lines": lines, "key": "k1"}),
    )
    .await;
    assert_eq!(held["data"]["reserve"]["lines"][0]["held"], 1, "{held}");
    let left = |page: Value| {
        let variants = page["data"]["product"]["variants"]
            .as_array()
            .unwrap()
            .clone();
        variants.iter().find(|v| v["sku"] == sku).unwrap()["quantityAvailable"].as_i64()
    };
    let in_main = client.query(PAGE, json!({"id": id})).await;
    assert_eq!(
        left(in_main),
        before.map(|n| n - 1),
        "main sees the outlet's hold"
    );
    let (_, in_outlet) = post_at(client, "/b/outlet/graphql", PAGE, json!({"id": id})).await;
    assert_eq!(left(in_outlet), before.map(|n| n - 1));
    app.stop().await;
}

#[tokio::test]
async fn the_host_selects_the_banner_and_caches_vary_on_it() {
    let app = spawn_app(
        "[[banners]]\nname = \"main\"\nhosts = [\"shop.test\"]\n[[banners]]\nname = \"outlet\"\n\
         hosts = [\"outlet.test\"]\nprices_topic = \"vitrine.prices.outlet\"\nmarkets = [\"US\"]\n",
    )
    .await;
    app.client.wait_ready().await;
    let url = format!(
        "{}/graphql?query=%7B%20product(id%3A%20%22p000001%22)%20%7B%20id%20variants%20%7B%20price%20%7B%20amount%20%7D%20%7D%20%7D%20%7D",
        app.client.base
    );
    let get = |host: &'static str| {
        let request = app.client.http.get(&url).header("host", host);
        async move { request.send().await.unwrap() }
    };
    let (shop, outlet) = (get("shop.test").await, get("Outlet.test:8080").await);
    let tag = |r: &reqwest::Response| r.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(
        tag(&shop),
        tag(&outlet),
        "the same URL on two hosts gets two tags"
    );
    assert!(shop.headers()["vary"].to_str().unwrap().contains("host"));
    let shop: Value = shop.json().await.unwrap();
    let outlet: Value = outlet.json().await.unwrap();
    assert_eq!(shop["extensions"]["context"]["banner"], "main");
    assert_eq!(outlet["extensions"]["context"]["banner"], "outlet");
    assert_ne!(
        shop["data"]["product"]["variants"][0]["price"],
        outlet["data"]["product"]["variants"][0]["price"]
    );
    // The outlet sells to the US only.
    let (_, gb) = post_at(
        &app.client,
        "/b/outlet/graphql",
        "query @inContext(country: GB) { product(id: \"p000001\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&gb), "UNSUPPORTED_COUNTRY");
    app.stop().await;
}

/// Each banner's subscribers hear their own banner's changes: a price on main's list reaches
/// main's subscriber only, one on the outlet's list the outlet's only; stock from the shared
/// pool reaches both.
#[tokio::test]
async fn subscriptions_hear_their_own_banner() {
    use crate::common::live::{Protocol, WsClient};
    use crate::subscriptions::{price, publisher, stock, wait_for_active};
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let (_, outlet) = post_at(&app.client, "/b/outlet/graphql", LISTING, json!({})).await;
    let id = outlet["data"]["products"]["edges"][0]["node"]["id"].clone();
    let page = app.client.query(PAGE, json!({"id": id})).await;
    let sku = page["data"]["product"]["variants"][0]["sku"]
        .as_str()
        .unwrap()
        .to_string();
    let watch = |banner: &str, field: &str| {
        let fields = match field {
            "priceChanged" => "sku price { amount }",
            _ => "sku quantityAvailable",
        };
        format!("subscription @inContext(banner: \"{banner}\") {{ {field}(skus: [\"{sku}\"]) {{ {fields} }} }}")
    };
    let mut main_ws = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    main_ws.subscribe("p", &watch("main", "priceChanged")).await;
    main_ws
        .subscribe("s", &watch("main", "inventoryChanged"))
        .await;
    let mut outlet_ws = WsClient::connect(&app.client.base, Protocol::TransportWs).await;
    outlet_ws
        .subscribe("p", &watch("outlet", "priceChanged"))
        .await;
    outlet_ws
        .subscribe("s", &watch("outlet", "inventoryChanged"))
        .await;
    wait_for_active(&app, 4).await;

    let publisher = publisher(&app);
    publisher.send(&price(&sku, 1_000, 40_000)).unwrap();
    publisher
        .send_to("vitrine.prices.outlet", &price(&sku, 1_000, 15_000))
        .unwrap();
    publisher.send(&stock(&sku, 1_000, 7)).unwrap();
    assert_eq!(
        publisher.flush(std::time::Duration::from_secs(10)).unwrap(),
        0
    );
    let heard = |payloads: [Value; 2]| {
        let mut seen: Vec<String> = payloads
            .iter()
            .map(|p| {
                let data = &p["data"];
                match (data.get("priceChanged"), data.get("inventoryChanged")) {
                    (Some(e), _) => format!("price {}", e["price"]["amount"]),
                    (_, Some(e)) => format!("stock {}", e["quantityAvailable"]),
                    _ => panic!("{p}"),
                }
            })
            .collect();
        seen.sort();
        seen
    };
    let main_heard = heard([main_ws.next_payload().await, main_ws.next_payload().await]);
    let outlet_heard = heard([
        outlet_ws.next_payload().await,
        outlet_ws.next_payload().await,
    ]);
    assert_eq!(main_heard, ["price \"400.00\"", "stock 7"]);
    assert_eq!(outlet_heard, ["price \"150.00\"", "stock 7"]);
    // Nothing else is on its way to either (the other banner's price above all).
    let quiet = std::time::Duration::from_millis(300);
    let main_next = tokio::time::timeout(quiet, main_ws.next_payload()).await;
    assert!(main_next.is_err(), "{main_next:?}");
    let outlet_next = tokio::time::timeout(quiet, outlet_ws.next_payload()).await;
    assert!(outlet_next.is_err(), "{outlet_next:?}");
    app.stop().await;
}

/// Status, health and limits per banner.
#[tokio::test]
async fn status_health_and_limits_are_per_banner() {
    let app = spawn_app(
        "[[banners]]\nname = \"main\"\n[[banners]]\nname = \"outlet\"\nmax_cost = 30\n\
         prices_topic = \"vitrine.prices.outlet\"\n[banners.assortment]\n\
         include_categories = [\"women/knitwear\", \"men/shirts\"]\n",
    )
    .await;
    app.client.wait_ready().await;
    let client = &app.client;
    let status = "{ viewStatus { banner views { view records } } }";
    let records = |r: &Value| {
        let views = r["data"]["viewStatus"]["views"].as_array().unwrap().clone();
        views.iter().find(|v| v["view"] == "products").unwrap()["records"]
            .as_i64()
            .unwrap()
    };
    let main = client.query(status, json!({})).await;
    let (_, outlet) = post_at(client, "/b/outlet/graphql", status, json!({})).await;
    assert_eq!(main["data"]["viewStatus"]["banner"], "main");
    assert_eq!(outlet["data"]["viewStatus"]["banner"], "outlet");
    assert_eq!(records(&main), 60);
    assert!(records(&outlet) < 40, "{outlet}");
    let named = client
        .query(
            "{ viewStatus(banner: \"outlet\") { banner views { view records } } }",
            json!({}),
        )
        .await;
    assert_eq!(records(&named), records(&outlet));
    let unknown = client
        .query("{ viewStatus(banner: \"nope\") { banner } }", json!({}))
        .await;
    assert_eq!(error_code(&unknown), "UNKNOWN_BANNER");

    let health = client.health().await;
    let outlet_products = &health["banners"]["outlet"]["views"]["products"]["records"];
    assert_eq!(outlet_products.as_i64(), Some(records(&outlet)), "{health}");
    assert_eq!(health["banners"]["main"]["ready"], true);

    // The outlet's own cost limit: a listing of 50 is too dear there, not on main.
    let dear = "{ products(first: 50) { edges { node { id variants { sku } } } } }";
    assert!(client.query(dear, json!({})).await["errors"].is_null());
    let (_, refused) = post_at(client, "/b/outlet/graphql", dear, json!({})).await;
    assert_eq!(error_code(&refused), "MAX_COST_LIMIT", "{refused}");
    app.stop().await;
}
