//! Tests of the gateway: markets, freshness and staleness (the memo: `gateway_memo_tests`).

mod market_memo {
    use super::super::*;
    use crate::config::Settings;
    use crate::events::decode;
    use crate::views::testing::{price, product};
    use crate::views::{Change, ViewKind};
    use bytes::Bytes;
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
    use crate::graphql::freshness::FRESHNESS;
    use crate::status::Progress;
    use crate::views::ViewKind;
    use bytes::Bytes;
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
        let unbounded = gateway
            .respond_json(Request::new("{ product(id: \"x\") { id } }"))
            .await;
        assert!(unbounded.max_lag_ms.unwrap() >= 5_000);
        let body = json(unbounded.body);
        assert!(body["errors"].is_null());
        assert!(
            body.get("extensions").is_none(),
            "compact unless asked: {body}"
        );
        let mut asked = Request::new("{ product(id: \"x\") { id } }");
        asked
            .extensions
            .0
            .insert(FRESHNESS.into(), async_graphql::Value::from(true));
        let full = json(gateway.execute_json(asked).await);
        let lag = &full["extensions"]["freshness"];
        assert!(lag["maxLagMs"].as_i64().unwrap() >= 5_000, "{full}");
        assert_eq!(lag["views"]["prices"]["lagMessages"], 5, "{full}");
        // Through `execute` (WebSocket, batches): the compact extension.
        let executed = gateway
            .respond(Request::new("{ product(id: \"x\") { id } }"))
            .await;
        let extension = serde_json::to_value(&executed.extensions).unwrap();
        assert!(extension["freshness"]["maxLagMs"].as_i64().unwrap() >= 5_000);
        assert!(extension["freshness"].get("views").is_none(), "{extension}");
    }
}

mod limits {
    use super::super::*;
    use crate::config::Settings;
    use crate::demo::load_baseline;
    use crate::ingest::Applier;
    use crate::status::IngestStats;
    use bytes::Bytes;
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
