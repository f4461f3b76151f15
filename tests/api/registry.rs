//! The schema registry client against a registry over HTTP (the tests' small registry, see
//! `common::registry`): what it remembers, what it waits for, and what it never does (ask
//! again for an id the registry said it does not know, fetch one id twice at once, hold more
//! than its capacity, skip a record because the registry is down).

use std::sync::Arc;
use std::time::Duration;

use vitrine::config::SchemaRegistrySettings;
use vitrine::events::formats::{contract_schema, Format, SchemaRef};
use vitrine::registry::{Registry, Unresolved};
use vitrine::views::ViewKind;

use crate::common::registry::FakeRegistry;
use crate::common::wait_until;

fn settings(url: &str) -> SchemaRegistrySettings {
    SchemaRegistrySettings {
        url: url.to_string(),
        retry_initial_ms: 10,
        retry_max_ms: 50,
        request_timeout_ms: 2_000,
        ..SchemaRegistrySettings::default()
    }
}

fn avro_prices() -> String {
    contract_schema(ViewKind::Prices, Format::Avro)
        .unwrap()
        .schema
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_id_is_remembered_and_not_asked_again() {
    let fake = FakeRegistry::start().await;
    let registry = Arc::new(Registry::new(&settings(&fake.url)).unwrap());
    for _ in 0..3 {
        let r = Arc::clone(&registry);
        let result = blocking(move || r.resolve(SchemaRef::Id(99))).await;
        assert!(matches!(result, Err(Unresolved::Unknown(_))), "{result:?}");
    }
    assert_eq!(fake.requests("/schemas/ids/99"), 1);
    assert_eq!(registry.report().not_found, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_for_one_id_fetch_it_once() {
    let fake = FakeRegistry::start().await;
    let id = fake.register("prices-value", &avro_prices(), "AVRO");
    fake.delay(300);
    let registry = Arc::new(Registry::new(&settings(&fake.url)).unwrap());
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let r = Arc::clone(&registry);
            tokio::task::spawn_blocking(move || r.resolve(SchemaRef::Id(id.into())).is_ok())
        })
        .collect();
    for t in tries {
        assert!(t.await.unwrap());
    }
    assert_eq!(fake.requests(&format!("/schemas/ids/{id}")), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_registry_is_waited_for_and_said_so() {
    let fake = FakeRegistry::start().await;
    let id = fake.register("prices-value", &avro_prices(), "AVRO");
    fake.fail(true);
    let registry = Arc::new(Registry::new(&settings(&fake.url)).unwrap());
    let r = Arc::clone(&registry);
    let waiting = tokio::task::spawn_blocking(move || r.resolve(SchemaRef::Id(id.into())).is_ok());
    let r = Arc::clone(&registry);
    let report = wait_until("the wait to show", Duration::from_secs(10), || {
        let report = r.report();
        async move { (report.failures >= 3).then_some(report) }
    })
    .await;
    let why = report.waiting.expect("status says what is waited for");
    assert_eq!(why.schema, id.to_string());
    assert!(why.error.contains("503"), "{}", why.error);
    assert!(
        !waiting.is_finished(),
        "nothing is skipped while the registry fails"
    );
    fake.fail(false);
    assert!(waiting.await.unwrap(), "resumes when the registry answers");
    assert_eq!(registry.report().waiting, None);
    assert_eq!(registry.report().not_found, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stopping_ends_a_wait_on_an_unreachable_registry() {
    // A port nothing listens on: every try is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let registry = Arc::new(Registry::new(&settings(&url)).unwrap());
    let r = Arc::clone(&registry);
    let waiting = tokio::task::spawn_blocking(move || r.resolve(SchemaRef::Id(1)));
    let r = Arc::clone(&registry);
    wait_until("a refused try", Duration::from_secs(10), || {
        let failures = r.report().failures;
        async move { (failures >= 2).then_some(()) }
    })
    .await;
    registry.halt();
    assert_eq!(waiting.await.unwrap().err(), Some(Unresolved::Halted));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schemas_carried_over_decode_with_the_registry_gone_and_the_cache_is_bounded() {
    let fake = FakeRegistry::start().await;
    let mut ids = vec![];
    for kind in [
        ViewKind::Products,
        ViewKind::Prices,
        ViewKind::Inventory,
        ViewKind::Intl,
    ] {
        for format in [Format::Avro, Format::Protobuf] {
            let text = contract_schema(kind, format).unwrap();
            let kind_name = if format == Format::Avro {
                "AVRO"
            } else {
                "PROTOBUF"
            };
            ids.push(fake.register(&format!("{kind:?}-{kind_name}"), &text.schema, kind_name));
        }
    }
    let first = Arc::new(Registry::new(&settings(&fake.url)).unwrap());
    let r = Arc::clone(&first);
    let all = ids.clone();
    blocking(move || {
        all.iter()
            .all(|id| r.resolve(SchemaRef::Id((*id).into())).is_ok())
    })
    .await;
    let carried = first.export();
    assert_eq!(carried.len(), ids.len());

    // The next process starts with the registry unreachable, from what the snapshot carried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let second = Arc::new(Registry::new(&settings(&url)).unwrap());
    second.seed(&carried);
    let r = Arc::clone(&second);
    let all = ids.clone();
    assert!(
        blocking(move || all
            .iter()
            .all(|id| r.resolve(SchemaRef::Id((*id).into())).is_ok()))
        .await
    );
    assert_eq!(second.report().failures, 0);

    let bounded = Arc::new(
        Registry::new(&SchemaRegistrySettings {
            cache_capacity: 3,
            ..settings(&fake.url)
        })
        .unwrap(),
    );
    let r = Arc::clone(&bounded);
    blocking(move || {
        ids.iter()
            .all(|id| r.resolve(SchemaRef::Id((*id).into())).is_ok())
    })
    .await;
    let held = bounded.report().cached_schemas;
    assert!(held <= 3, "holds {held} schemas past a capacity of 3");
}

/// The demo with its topics in Avro: the trickle is written as a serializer would (the
/// contract's schemas registered under `{topic}-value`) and read back through the registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_trickles_avro_through_the_registry() {
    let fake = FakeRegistry::start().await;
    let overrides = format!(
        "[demo]\nlive_interval_ms = 5\nlive_changes_per_tick = 4\n[formats]\ndefault = \"avro\"\n\
         [schema_registry]\nurl = \"{}\"\n",
        fake.url
    );
    let app = crate::helpers::spawn_app(&overrides).await;
    let status = "{ viewStatus { schemaRegistry { cachedSchemas fetched }
        views { view applied malformed } } }";
    let client = app.client.clone();
    let seen = wait_until("Avro changes applied", Duration::from_secs(30), || {
        let c = client.clone();
        async move {
            let r = c.query(status, serde_json::json!({})).await;
            let s = r["data"]["viewStatus"].clone();
            let fetched = s["schemaRegistry"]["fetched"].as_str() != Some("0");
            let prices = s["views"]
                .as_array()?
                .iter()
                .find(|v| v["view"] == "prices")?
                .clone();
            (fetched && prices["malformed"] == "0").then_some(s)
        }
    })
    .await;
    assert!(
        fake.requests("/subjects/") >= 4,
        "the demo registered its schemas: {seen}"
    );
    app.stop().await;
}

/// Basic auth and a bearer token reach the registry as configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn credentials_reach_the_registry() {
    use vitrine::config::Secret;
    let fake = FakeRegistry::start().await;
    let basic = SchemaRegistrySettings {
        username: "key".into(),
        password: Secret::new("secret"),
        ..settings(&fake.url)
    };
    let r = Arc::new(Registry::new(&basic).unwrap());
    let _ = blocking(move || r.resolve(SchemaRef::Id(5))).await;
    // base64("key:secret")
    assert_eq!(
        fake.authorization().as_deref(),
        Some("Basic a2V5OnNlY3JldA==")
    );
    let bearer = SchemaRegistrySettings {
        bearer_token: Secret::new("tok"),
        ..settings(&fake.url)
    };
    let r = Arc::new(Registry::new(&bearer).unwrap());
    let _ = blocking(move || r.resolve(SchemaRef::Id(6))).await;
    assert_eq!(fake.authorization().as_deref(), Some("Bearer tok"));
}
