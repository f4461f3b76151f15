//! Tests of the gateway's answer memo: reuse only while current, listings, quotes, shared
//! recomputation, lazy counts.

use super::*;
use crate::config::Settings;
use crate::views::testing::{price, product};
use crate::views::Change;
use std::sync::atomic::AtomicU64;
#[allow(unused_imports)]
use std::sync::atomic::Ordering;

const PDP: &str = "{ product(id: \"p\") { id variants { sku price { amount } } } }";

fn gateway() -> (Gateway, Arc<Catalog>) {
    let catalog = Arc::new(Catalog::new());
    catalog.apply(Change::Product(product("p", 1, &["a"])));
    catalog.apply(Change::Price(price("a", 1, 1000, None)));
    let settings = Settings::defaults();
    let gateway = crate::graphql::build_gateway(Arc::clone(&catalog), &settings);
    (gateway, catalog)
}

fn count(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

#[tokio::test]
async fn memoized_answers_are_reused_only_while_current() {
    let (gateway, catalog) = gateway();
    let first = gateway.execute_json(Request::new(PDP)).await;
    let second = gateway.execute_json(Request::new(PDP)).await;
    assert_eq!(first, second);
    assert!(std::str::from_utf8(&first).unwrap().contains("\"10.00\""));
    let stats = gateway.memo_stats();
    assert_eq!((count(&stats.misses), count(&stats.hits)), (1, 1));

    catalog.apply(Change::Price(price("a", 2, 2500, None)));
    let third = gateway.execute_json(Request::new(PDP)).await;
    assert!(
        std::str::from_utf8(&third).unwrap().contains("\"25.00\""),
        "never stale"
    );
    assert_eq!(count(&stats.outdated), 1);
}

#[tokio::test]
async fn errors_are_not_memoized() {
    let (gateway, _) = gateway();
    let query = "{ products(first: 500) { totalCount } }";
    gateway.execute_json(Request::new(query)).await;
    gateway.execute_json(Request::new(query)).await;
    let stats = gateway.memo_stats();
    assert_eq!(count(&stats.hits), 0);
    assert_eq!(count(&stats.misses), 2);
}

/// A listing is reused until a product in the scope it walked changes (never stale), and
/// changes elsewhere in the catalog leave it alone.
#[tokio::test]
async fn listings_are_memoized_while_their_scope_is_unchanged() {
    let (gateway, catalog) = gateway();
    let mut shoe = product("s", 1, &["x"]);
    shoe.categories = vec!["men/shoes".into()];
    catalog.apply(Change::Product(shoe));
    let query = "{ products(first: 5, sortKey: PRICE, filter: {category: \"women\"}) \
                 { totalCount edges { node { id priceRange { minVariantPrice { amount } } } } } }";
    let run = || async { gateway.execute_json(Request::new(query)).await };
    let first = run().await;
    assert_eq!(run().await, first);
    let stats = gateway.memo_stats();
    assert_eq!((count(&stats.misses), count(&stats.hits)), (1, 1));

    catalog.apply(Change::Price(price("x", 1, 700, None)));
    assert_eq!(run().await, first, "a product in another category moved");
    assert_eq!((count(&stats.hits), count(&stats.outdated)), (2, 0));

    catalog.apply(Change::Product(product("q", 1, &["b"])));
    catalog.apply(Change::Price(price("b", 1, 500, None)));
    let fourth = run().await;
    let text = std::str::from_utf8(&fourth).unwrap();
    assert!(
        text.contains("\"totalCount\":2") && text.contains("\"5.00\""),
        "{text}"
    );
    assert_eq!(count(&stats.outdated), 1);
}

/// A listing page outlives changes to products sorting past its last one (kept by its filter
/// before and after): the memo answers them, and the answer is what a fresh one would be.
#[tokio::test]
async fn a_listing_outlives_changes_past_its_page() {
    let (gateway, catalog) = gateway();
    for (i, sku) in ["b", "c", "d"].iter().enumerate() {
        catalog.apply(Change::Product(product(&format!("q{i}"), 1, &[sku])));
        catalog.apply(Change::Price(price(sku, 1, 2000 + i as i64 * 100, None)));
    }
    let query = "{ products(first: 2, sortKey: PRICE) \
                 { totalCount edges { node { id priceRange { minVariantPrice { amount } } } } } }";
    let run = || async { gateway.execute_json(Request::new(query)).await };
    let first = run().await;
    let stats = gateway.memo_stats();
    catalog.apply(Change::Price(price("d", 2, 9000, None)));
    assert_eq!(run().await, first, "q2 moved, still past the page");
    assert_eq!((count(&stats.hits), count(&stats.outdated)), (1, 0));

    catalog.apply(Change::Price(price("d", 3, 500, None)));
    let text = String::from_utf8(run().await.to_vec()).unwrap();
    assert!(
        text.contains("\"q2\"") && text.contains("\"5.00\""),
        "{text}"
    );
    assert_eq!(count(&stats.outdated), 1);
}

/// An answer handing out price quotes is reused for at most half the quotes' lifetime.
#[tokio::test]
async fn answers_with_quotes_are_reused_for_half_the_quote_lifetime() {
    let catalog = Arc::new(Catalog::new());
    catalog.apply(Change::Product(product("p", 1, &["a"])));
    catalog.apply(Change::Price(price("a", 1, 1000, None)));
    let settings = Settings::defaults()
        .with_overrides("[checkout]\nquote_secret = \"s\"\nquote_ttl_secs = 2")
        .unwrap();
    let gateway = crate::graphql::build_gateway(Arc::clone(&catalog), &settings);
    let quoted = "{ product(id: \"p\") { variants { price { amount } quote } } }";
    let first = gateway.execute_json(Request::new(quoted)).await;
    assert_eq!(gateway.execute_json(Request::new(quoted)).await, first);
    let stats = gateway.memo_stats();
    assert_eq!((count(&stats.misses), count(&stats.hits)), (1, 1));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    gateway.execute_json(Request::new(quoted)).await;
    assert_eq!(count(&stats.outdated), 1, "past half the quote's lifetime");
    // Without quotes there is no time bound.
    let plain = "{ product(id: \"p\") { variants { price { amount } } } }";
    gateway.execute_json(Request::new(plain)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    gateway.execute_json(Request::new(plain)).await;
    assert_eq!(count(&stats.hits), 2);
}

/// Requests for an outdated answer that arrive while it is recomputed share the
/// recomputation; every one of them gets the answer of the changed views, and nothing is
/// left in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_for_an_outdated_answer_share_its_recomputation() {
    let (gateway, catalog) = gateway();
    let listing = "{ products(first: 5, sortKey: PRICE) { edges { node { id priceRange { minVariantPrice { amount } } } } } }";
    gateway.execute_json(Request::new(listing)).await;
    catalog.apply(Change::Price(price("a", 2, 4200, None)));
    let asks = (0..16).map(|_| {
        let gateway = gateway.clone();
        tokio::spawn(async move { gateway.execute_json(Request::new(listing)).await })
    });
    for answer in futures::future::join_all(asks).await {
        let answer = answer.unwrap();
        assert!(std::str::from_utf8(&answer).unwrap().contains("\"42.00\""));
    }
    let stats = gateway.memo_stats();
    let (outdated, hits) = (count(&stats.outdated), count(&stats.hits));
    assert_eq!(
        outdated + hits,
        16,
        "each found it outdated, or the recomputed one"
    );
    assert!(
        outdated >= 1 && count(&stats.shared) < outdated,
        "one computed it"
    );
    assert!(
        gateway.in_flight.lock().is_empty(),
        "every recomputation removed itself"
    );
}

/// `totalCount` is counted only when asked for, however it is asked for.
#[tokio::test]
async fn the_total_count_is_counted_when_asked_through_fragments_too() {
    let (gateway, catalog) = gateway();
    catalog.apply(Change::Product(product("q", 1, &["b"])));
    for query in [
        "{ products(first: 1) { totalCount } }",
        "{ products(first: 1) { ...C } } fragment C on ProductConnection { totalCount }",
        "{ products(first: 1) { ... on ProductConnection { n: totalCount } } }",
    ] {
        let answer = gateway.execute_json(Request::new(query)).await;
        let text = std::str::from_utf8(&answer).unwrap();
        assert!(text.contains(":2}"), "{query}: {text}");
    }
}

#[tokio::test]
async fn variables_are_part_of_the_key() {
    let (gateway, catalog) = gateway();
    catalog.apply(Change::Product(product("q", 1, &["b"])));
    let query = "query($id: ID!) { product(id: $id) { id } }";
    let vars = |id: &str| async_graphql::Variables::from_json(serde_json::json!({ "id": id }));
    let p = gateway
        .execute_json(Request::new(query).variables(vars("p")))
        .await;
    let q = gateway
        .execute_json(Request::new(query).variables(vars("q")))
        .await;
    assert_ne!(p, q);
    assert!(std::str::from_utf8(&q).unwrap().contains("\"q\""));
}

/// The memo holds at most `memo_bytes` of answers, however many distinct answers are asked.
#[tokio::test]
async fn the_memo_is_bounded_by_bytes() {
    let catalog = Arc::new(Catalog::new());
    for i in 0..200 {
        let sku = format!("s{i}");
        catalog.apply(Change::Product(product(
            &format!("p{i}"),
            1,
            &[sku.as_str()],
        )));
        catalog.apply(Change::Price(price(&sku, 1, 1000 + i, None)));
    }
    let bound = 16 * 1024;
    let settings = Settings::defaults()
        .with_overrides(&format!(
            "[graphql]\nmemo_bytes = {bound}\nmemo_entries = 20000"
        ))
        .unwrap();
    let gateway = crate::graphql::build_gateway(Arc::clone(&catalog), &settings);
    for i in 0..200 {
        let query = format!(
            "{{ product(id: \"p{i}\") {{ id title variants {{ sku price {{ amount }} }} }} }}"
        );
        gateway.execute_json(Request::new(query)).await;
    }
    let memo = gateway.memo.as_ref().unwrap();
    memo.run_pending_tasks();
    assert!(
        memo.weighted_size() <= bound,
        "{} bytes",
        memo.weighted_size()
    );
    assert!(memo.entry_count() > 10, "{} kept", memo.entry_count());
    assert!(memo.entry_count() < 200, "some evicted");
}
