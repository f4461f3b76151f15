//! Tests of the gateway: memo, markets, freshness and staleness.

mod memo {
    use super::super::*;
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
}

mod market_memo {
    use super::super::*;
    use crate::config::Settings;
    use crate::events::decode;
    use crate::views::testing::{price, product};
    use crate::views::{Change, ViewKind};
    #[allow(unused_imports)]
    use std::sync::atomic::Ordering;

    fn gb(version: u64, fx: &str) -> Change {
        let record = format!(
            r#"{{"country":"GB","version":{version},"currency":"GBP","minorUnits":2,"fxRate":"{fx}",
               "taxRate":0,"shipping":{{"flat":0}}}}"#
        );
        decode(ViewKind::Intl, Some(b"GB"), Some(record.as_bytes())).unwrap()
    }

    #[tokio::test]
    async fn a_country_answer_is_outdated_by_an_fx_move() {
        let catalog = Arc::new(Catalog::new());
        catalog.apply(Change::Product(product("p", 1, &["a"])));
        catalog.apply(Change::Price(price("a", 1, 1000, None)));
        catalog.apply(gb(1, "0.5"));
        let gateway = crate::graphql::build_gateway(Arc::clone(&catalog), &Settings::defaults());
        let query = "{ product(id: \"p\", country: \"GB\") { variants { price { amount } } } }";
        let body = |b: Bytes| String::from_utf8(b.to_vec()).unwrap();
        assert!(body(gateway.execute_json(Request::new(query)).await).contains("\"5.00\""));
        assert!(body(gateway.execute_json(Request::new(query)).await).contains("\"5.00\""));
        catalog.apply(gb(2, "0.6"));
        assert!(body(gateway.execute_json(Request::new(query)).await).contains("\"6.00\""));
        let stats = gateway.memo_stats();
        assert_eq!(stats.hits.load(Ordering::Relaxed), 1);
        assert_eq!(stats.outdated.load(Ordering::Relaxed), 1);
    }
}

mod freshness {
    use super::super::*;
    use crate::config::Settings;
    use crate::status::Progress;
    use crate::views::ViewKind;
    #[allow(unused_imports)]
    use std::sync::atomic::Ordering;

    fn lagging_gateway(lag_ms: i64) -> Gateway {
        let progress = Arc::new(Progress::new());
        let p = progress.register("t", 0, ViewKind::Prices, 5, 10);
        // The record before offset 5 was applied `lag_ms` ago; 5 more wait behind it.
        p.record_applied(4, Some(crate::clock::unix_ms() - lag_ms));
        let status = IngestStatus {
            progress,
            ..IngestStatus::default()
        };
        crate::graphql::build_gateway_with(Arc::new(status), &Settings::defaults())
    }

    fn bounded(bound: i64) -> Request {
        let mut request = Request::new("{ product(id: \"x\") { id } }");
        request
            .extensions
            .0
            .insert(MAX_STALENESS.into(), async_graphql::Value::from(bound));
        request
    }

    #[tokio::test]
    async fn a_staleness_bound_is_enforced_without_waiting() {
        let gateway = lagging_gateway(5_000);
        let json = |b: Bytes| serde_json::from_slice::<serde_json::Value>(&b).unwrap();
        let stale = json(gateway.execute_json(bounded(1_000)).await);
        assert_eq!(
            stale["errors"][0]["extensions"]["code"], "STALE_VIEW",
            "{stale}"
        );
        let lag = stale["extensions"]["freshness"]["views"]["prices"]["lagMs"]
            .as_i64()
            .unwrap();
        assert!(lag >= 5_000, "{stale}");
        assert_eq!(
            stale["extensions"]["freshness"]["views"]["prices"]["lagMessages"],
            5
        );
        let relaxed = json(gateway.execute_json(bounded(60_000)).await);
        assert!(relaxed["errors"].is_null(), "{relaxed}");
        assert_eq!(relaxed["data"]["product"], serde_json::Value::Null);
        let unbounded = json(
            gateway
                .execute_json(Request::new("{ product(id: \"x\") { id } }"))
                .await,
        );
        assert!(unbounded["errors"].is_null());
        assert!(
            unbounded["extensions"]["freshness"]["maxLagMs"]
                .as_i64()
                .unwrap()
                >= 5_000
        );
    }
}

mod limits {
    use super::super::*;
    use crate::config::Settings;
    use crate::demo::load_baseline;
    use crate::ingest::Applier;
    use crate::status::IngestStats;
    #[allow(unused_imports)]
    use std::sync::atomic::Ordering;

    fn gateway_over(products: usize, overrides: &str) -> Gateway {
        let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
        load_baseline(&applier, 7, products);
        let settings = Settings::defaults().with_overrides(overrides).unwrap();
        crate::graphql::build_gateway(Arc::clone(applier.catalog()), &settings)
    }

    fn codes(body: &Bytes) -> Vec<String> {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap();
        json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn only_validated_documents_are_cached_and_bytes_bound_the_cache() {
        let gateway = gateway_over(5, "[graphql]\nparse_cache_bytes = 20000\n");
        for i in 0..50 {
            let invalid = format!("{{ nope{i} }}");
            assert_eq!(
                codes(&gateway.execute_json(Request::new(invalid)).await),
                ["GRAPHQL_VALIDATION_FAILED"]
            );
        }
        assert_eq!(
            gateway.parse_cache().usage().0,
            0,
            "invalid documents are not kept"
        );
        // Valid documents of ~1 KB (~8 KB parsed, estimated): at most two fit in 20 KB.
        for i in 0..20 {
            let padding = "# pad\n".repeat(150);
            let valid = format!("{{ a{i}: product(id: \"p000001\") {{ id }} }}\n{padding}");
            assert!(codes(&gateway.execute_json(Request::new(valid)).await).is_empty());
        }
        let (entries, bytes) = gateway.parse_cache().usage();
        assert!(
            (1..=2).contains(&entries) && bytes <= 20_000,
            "{entries} entries, {bytes} bytes"
        );
    }

    #[tokio::test]
    async fn limits_refuse_before_any_resolver_runs() {
        let gateway = gateway_over(200, "[graphql]\nmax_cost = 100\n");
        // Each alias would fail in its resolver (first: 1000): only the limit error shows.
        let flood: String = (0..1_100)
            .map(|i| {
                format!("a{i}: products(first: 1000, filter: {{query: \"x\"}}) {{ totalCount }} ")
            })
            .collect();
        let body = gateway
            .execute_json(Request::new(format!("{{ {flood} }}")))
            .await;
        assert_eq!(codes(&body), ["MAX_TOKENS_LIMIT"], "counted before parsing");
        let forty: String = (0..40)
            .map(|i| format!("a{i}: products(first: 1000) {{ totalCount }} "))
            .collect();
        let body = gateway
            .execute_json(Request::new(format!("{{ {forty} }}")))
            .await;
        assert_eq!(codes(&body), ["MAX_ALIASES_LIMIT"]);
        // One listing of a 200-product catalog costs 20 units of scan plus its page.
        let listing = "{ products(first: 0) { totalCount } }";
        assert!(codes(&gateway.execute_json(Request::new(listing)).await).is_empty());
        let wide = "{ products(first: 100) { edges { node { id title } } } x: products(first: 1000) { totalCount } }";
        assert_eq!(
            codes(&gateway.execute_json(Request::new(wide)).await),
            ["MAX_COST_LIMIT"]
        );
        let deep = "{a".repeat(30_000);
        assert_eq!(
            codes(&gateway.execute_json(Request::new(deep)).await),
            ["MAX_NESTING_LIMIT"]
        );
        let long = format!("{{ {} }}", "__typename ".repeat(20_000));
        assert_eq!(
            codes(&gateway.execute_json(Request::new(long)).await),
            ["MAX_TOKENS_LIMIT"]
        );
        let roots = |n: usize| {
            let fields: String = (0..n).map(|i| format!("f{i}: __typename ")).collect();
            Request::new(format!("{{ {fields} }}"))
        };
        assert!(codes(&gateway.execute_json(roots(20)).await).is_empty());
        assert_eq!(
            codes(&gateway.execute_json(roots(21)).await),
            ["MAX_ROOT_FIELDS_LIMIT"]
        );
        let directives = format!(
            "{{ {} }}",
            (0..51)
                .map(|i| format!("__typename @skip(if: false) # {i}\n"))
                .collect::<String>()
        );
        assert_eq!(
            codes(&gateway.execute_json(Request::new(directives)).await),
            ["MAX_DIRECTIVES_LIMIT"]
        );
    }

    #[tokio::test]
    async fn past_its_time_budget_a_request_stops_resolving() {
        let gateway = gateway_over(
            3_000,
            "[graphql]\nrequest_timeout_ms = 1\nmax_cost = 1000000\nmax_aliases = 100\nmax_root_fields = 100\n",
        );
        let listings: String = (0..30)
            .map(|i| {
                format!("a{i}: products(first: 1, filter: {{query: \"zz{i}\"}}) {{ totalCount }} ")
            })
            .collect();
        let body = gateway
            .execute_json(Request::new(format!("{{ {listings} }}")))
            .await;
        let codes = codes(&body);
        let timed_out = codes.iter().filter(|c| *c == "REQUEST_TIMEOUT").count();
        assert!(timed_out > 0, "{codes:?}");
        assert!(codes.iter().all(|c| c == "REQUEST_TIMEOUT"), "{codes:?}");
    }
}
