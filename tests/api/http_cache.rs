//! HTTP caching of GET queries (Cache-Control, ETag, If-None-Match, Vary) and negotiated
//! response compression, with real conditional requests against the running app.

use std::time::Duration;

use reqwest::header;

use crate::common::wait_until;
use crate::helpers::spawn_app;
use crate::subscriptions::publish;

const PDP: &str = "{ product(id: \"p000003\") { id variants { sku price { amount } } } }";

fn get_url(base: &str, query: &str) -> String {
    let mut url = reqwest::Url::parse(&format!("{base}/graphql")).unwrap();
    url.query_pairs_mut().append_pair("query", query);
    url.to_string()
}

#[tokio::test]
async fn get_answers_carry_validators_and_revalidate_with_304() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let http = &app.client.http;
    let url = get_url(&app.client.base, PDP);
    let first = http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let h = first.headers().clone();
    let tag = h[header::ETAG].to_str().unwrap().to_string();
    assert!(tag.starts_with('"') && tag.len() == 34, "{tag}");
    assert_eq!(h[header::CACHE_CONTROL], "public, max-age=5");
    assert!(h[header::VARY]
        .to_str()
        .unwrap()
        .contains("accept-encoding"));
    let body = first.text().await.unwrap();
    assert!(body.contains("\"p000003\""), "{body}");

    // The client has it: 304, no body, the same validators.
    let again = http
        .get(&url)
        .header(header::IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()[header::ETAG].to_str().unwrap(), tag);
    assert!(again.bytes().await.unwrap().is_empty());

    // The price changes: the old tag no longer matches.
    let price =
        serde_json::json!({"sku": "p000003-0", "version": 900, "currency": "USD", "list": 123456});
    let record = vitrine::events::Record {
        kind: vitrine::views::ViewKind::Prices,
        key: "p000003-0".into(),
        payload: Some(price.to_string().into_bytes()),
    };
    publish(&app, &[record]).await;
    let (http2, url2, old) = (http.clone(), url.clone(), tag.clone());
    let changed = wait_until("a new tag", Duration::from_secs(20), || {
        let (http, url, old) = (http2.clone(), url2.clone(), old.clone());
        async move {
            let r = http
                .get(&url)
                .header(header::IF_NONE_MATCH, &old)
                .send()
                .await
                .unwrap();
            (r.status() == 200).then_some(r)
        }
    })
    .await;
    assert_ne!(changed.headers()[header::ETAG].to_str().unwrap(), tag);
    assert!(changed.text().await.unwrap().contains("1234.56"));

    // Never cached: POST, checkout, viewStatus, answers with errors.
    let post = http
        .post(format!("{}/graphql", app.client.base))
        .json(&serde_json::json!({"query": PDP}))
        .send()
        .await
        .unwrap();
    assert!(post.headers().get(header::ETAG).is_none());
    for query in [
        "{ viewStatus { ready } }",
        "{ checkout(country: \"US\", lines: [{sku: \"p000003-0\", quantity: 1}]) { total { amount } } }",
        "{ product(id: \"p000003\") { nope } }",
        "{ product(id: \"p000003\", country: \"ZZ\") { id } }",
    ] {
        let r = http.get(get_url(&app.client.base, query)).send().await.unwrap();
        assert!(r.headers().get(header::ETAG).is_none(), "{query}");
        assert!(r.headers().get(header::CACHE_CONTROL).is_none(), "{query}");
    }
    app.stop().await;
}

#[tokio::test]
async fn large_answers_are_compressed_as_negotiated_small_ones_are_not() {
    let app = spawn_app("").await;
    app.client.wait_ready().await;
    let http = &app.client.http;
    let listing =
        "{ products(first: 60) { edges { node { id title variants { sku price { amount } } } } } }";
    for encoding in ["gzip", "br"] {
        let r = http
            .post(format!("{}/graphql", app.client.base))
            .header(header::ACCEPT_ENCODING, encoding)
            .json(&serde_json::json!({"query": listing}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()[header::CONTENT_ENCODING], encoding);
        let compressed = r.bytes().await.unwrap().len();
        let plain = http
            .post(format!("{}/graphql", app.client.base))
            .json(&serde_json::json!({"query": listing}))
            .send()
            .await
            .unwrap();
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        let plain = plain.bytes().await.unwrap().len();
        assert!(
            compressed * 3 < plain,
            "{encoding}: {compressed} vs {plain}"
        );
    }
    let small = http
        .post(format!("{}/graphql", app.client.base))
        .header(header::ACCEPT_ENCODING, "gzip")
        .json(&serde_json::json!({"query": PDP}))
        .send()
        .await
        .unwrap();
    assert!(
        small.headers().get(header::CONTENT_ENCODING).is_none(),
        "under the threshold"
    );
    app.stop().await;
}
