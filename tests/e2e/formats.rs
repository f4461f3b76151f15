//! Avro and Protobuf topics on the real broker, written by Confluent's own serializers (the
//! `confluent-kafka` Python package's `AvroSerializer` and `ProtobufSerializer`, the latter
//! with the schema id in the `__value_schema_id` header), with the tests' small registry
//! (`common::registry`): the same catalog published as JSON, Avro and Protobuf gives identical
//! product pages, listings and checkouts. Then the registry's faults: an id it does not know
//! (malformed, the partition moves on), a compatibly evolved schema met while the registry is
//! down (the partition waits, status says why, nothing is skipped, it resumes), and a restart
//! with the registry down from a snapshot that carries the schemas.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use prost::Message;
use serde_json::{json, Value};
use vitrine::config::TopicSettings;
use vitrine::demo::{ensure_topics, CatalogGenerator, Publisher};
use vitrine::events::formats::{confluent_prefix, SchemaKind, SchemaText, WriterSchema};
use vitrine::events::{Record, TopicMap};
use vitrine::views::ViewKind;

use crate::broker::Broker;
use crate::common::registry::FakeRegistry;
use crate::common::{fresh_topics, wait_until, Client};
use crate::process::Vitrine;
use crate::snapshots::temp_dir;

const PRODUCTS: usize = 60;
const PAGE: &str =
    "query($id: ID!) { product(id: $id, country: \"GB\") { id title brand description
    images categories hsCode variants { sku size color price { amount currencyCode }
    compareAtPrice { amount } quantityAvailable availableForSale } } }";
const LISTING: &str = "{ products(first: 24, sortKey: PRICE, reverse: true) { totalCount
    edges { cursor node { id title priceRange { minVariantPrice { amount } } } } } }";
const CHECKOUT: &str = "query($lines: [CheckoutLineInput!]!) { checkout(country: \"GB\", lines: $lines) {
    currencyCode lines { sku unitPrice { amount } } subtotal { amount } shipping { amount } total { amount } } }";
const PRICE_PAGE: &str =
    "query($id: ID!) { product(id: $id) { variants { sku price { amount } } } }";
const REGISTRY: &str =
    "{ viewStatus { schemaRegistry { cachedSchemas notFound waitingFor waitingError }
    views { view malformed lagMessages } } }";

fn python() -> String {
    if let Ok(p) = std::env::var("E2E_PYTHON") {
        return p;
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/.venv/bin/python");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

fn kind_name(kind: ViewKind) -> &'static str {
    match kind {
        ViewKind::Products => "products",
        ViewKind::Prices => "prices",
        ViewKind::Inventory => "inventory",
        _ => "intl",
    }
}

/// The contract's .proto files compiled into a descriptor set (what the Python side builds its
/// message classes from).
fn descriptor_set() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas/protobuf");
    let files = [
        "products.proto",
        "prices.proto",
        "inventory.proto",
        "intl.proto",
    ];
    let set = protox::compile(files, [&root]).expect("the contract's .proto files compile");
    let path = temp_dir("e2e-descriptors").join("contract.pb");
    std::fs::write(&path, set.encode_to_vec()).unwrap();
    path
}

/// Produces `records` to `topics` with Confluent's serializers in `format`.
fn produce_with_confluent(
    broker: &str,
    registry: &str,
    format: &str,
    topics: &TopicSettings,
    records: &[Record],
) {
    let map = TopicMap::new(topics);
    let mut cmd = Command::new(python());
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/confluent_produce.py"
    ))
    .args([
        "--brokers",
        broker,
        "--registry",
        registry,
        "--format",
        format,
    ])
    .args(["--schemas", concat!(env!("CARGO_MANIFEST_DIR"), "/schemas")]);
    if format == "protobuf" {
        cmd.arg("--descriptors")
            .arg(descriptor_set())
            .arg("--header-ids");
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("python runs");
    {
        let mut stdin = child.stdin.take().unwrap();
        for r in records {
            let value: Value = match &r.payload {
                Some(bytes) => serde_json::from_slice(bytes).unwrap(),
                None => Value::Null,
            };
            let line = json!({"topic": map.topic_of(r.kind).unwrap(), "kind": kind_name(r.kind),
                "key": r.key, "value": value});
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "Confluent's serializers produced the records ({format})"
    );
}

fn catalog() -> Vec<Record> {
    let mut records = vec![];
    CatalogGenerator::new(7, PRODUCTS).baseline(|r| records.push(r));
    let mut live = CatalogGenerator::new(7, PRODUCTS);
    live.baseline(|_| {});
    records.extend((0..300).filter_map(|_| live.next_change()));
    // A tombstone: the last product leaves.
    records.push(Record {
        kind: ViewKind::Products,
        key: CatalogGenerator::product_id(PRODUCTS - 1),
        payload: None,
    });
    records
}

fn start(
    broker: &str,
    topics: &TopicSettings,
    registry: &str,
    format: &str,
    snapshots: Option<&str>,
) -> Vitrine {
    let mut env = vec![
        ("VITRINE_SCHEMA_REGISTRY__URL", registry),
        ("VITRINE_FORMATS__DEFAULT", format),
        ("VITRINE_SCHEMA_REGISTRY__RETRY_MAX_MS", "200"),
    ];
    if let Some(dir) = snapshots {
        env.push(("VITRINE_SNAPSHOT__DIR", dir));
    }
    Vitrine::start_with(broker, topics, &env)
}

async fn answers(client: &Client) -> Vec<Value> {
    let mut out = vec![];
    for i in [0, 1, 7, 30, PRODUCTS - 2, PRODUCTS - 1] {
        out.push(
            client
                .query(PAGE, json!({"id": CatalogGenerator::product_id(i)}))
                .await["data"]
                .clone(),
        );
    }
    out.push(client.query(LISTING, json!({})).await["data"].clone());
    let lines = json!({"lines": [{"sku": format!("{}-0", CatalogGenerator::product_id(1)), "quantity": 2},
        {"sku": format!("{}-1", CatalogGenerator::product_id(7)), "quantity": 1}]});
    out.push(client.query(CHECKOUT, lines).await["data"].clone());
    out
}

async fn registry_status(client: &Client) -> Value {
    client.query(REGISTRY, json!({})).await["data"]["viewStatus"].clone()
}

fn lag(status: &Value, view: &str) -> String {
    let views = status["views"].as_array().unwrap();
    views.iter().find(|v| v["view"] == view).unwrap()["lagMessages"]
        .as_str()
        .unwrap()
        .to_string()
}

fn malformed(status: &Value, view: &str) -> String {
    let views = status["views"].as_array().unwrap();
    views.iter().find(|v| v["view"] == view).unwrap()["malformed"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A price record framed by hand with schema `id` (what the serializer writes).
fn price_framed(
    schema: &WriterSchema,
    id: u32,
    sku: &str,
    version: u64,
    list: i64,
    extra: Value,
) -> Record {
    let mut record = json!({"sku": sku, "version": version, "currency": "USD", "list": list});
    record
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let mut payload = confluent_prefix(id, None);
    payload.extend(schema.from_json(&record).unwrap());
    Record {
        kind: ViewKind::Prices,
        key: sku.into(),
        payload: Some(payload),
    }
}

async fn price_of(client: &Client, product: &str, sku: &str) -> Value {
    let page = client.query(PRICE_PAGE, json!({"id": product})).await;
    let variants = page["data"]["product"]["variants"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    variants
        .iter()
        .find(|v| v["sku"] == sku)
        .map(|v| v["price"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn avro_and_protobuf_from_confluent_serializers_serve_what_json_does() {
    let broker = Broker::start();
    let registry = FakeRegistry::start().await;
    let records = catalog();
    let (json_topics, avro_topics, proto_topics) = (
        fresh_topics("e2e-fmt-json"),
        fresh_topics("e2e-fmt-avro"),
        fresh_topics("e2e-fmt-proto"),
    );
    for topics in [&json_topics, &avro_topics, &proto_topics] {
        ensure_topics(&broker.address, &TopicMap::new(topics), 2)
            .await
            .unwrap();
    }
    let publisher = Publisher::connect(&broker.address, TopicMap::new(&json_topics)).unwrap();
    for r in &records {
        publisher.send(r).unwrap();
    }
    assert_eq!(publisher.flush(Duration::from_secs(30)).unwrap(), 0);
    produce_with_confluent(
        &broker.address,
        &registry.url,
        "avro",
        &avro_topics,
        &records,
    );
    produce_with_confluent(
        &broker.address,
        &registry.url,
        "protobuf",
        &proto_topics,
        &records,
    );

    let json_side = Vitrine::start(&broker.address, &json_topics);
    let snapshots = temp_dir("e2e-fmt-snapshots");
    let dir = snapshots.display().to_string();
    let avro = start(
        &broker.address,
        &avro_topics,
        &registry.url,
        "avro",
        Some(&dir),
    );
    let proto = start(
        &broker.address,
        &proto_topics,
        &registry.url,
        "protobuf",
        None,
    );
    for v in [&json_side, &avro, &proto] {
        v.client.wait_ready().await;
    }
    let expected = answers(&json_side.client).await;
    assert!(
        expected[0]["product"]["variants"][0]["price"]["amount"].is_string(),
        "{}",
        expected[0]
    );
    assert!(
        expected[5]["product"].is_null(),
        "the tombstone deleted the last product"
    );
    assert_eq!(
        answers(&avro.client).await,
        expected,
        "Avro (id in the value's prefix)"
    );
    assert_eq!(
        answers(&proto.client).await,
        expected,
        "Protobuf (GUID in the header)"
    );
    for v in [&avro, &proto] {
        let status = registry_status(&v.client).await;
        assert_eq!(status["schemaRegistry"]["cachedSchemas"], "4", "{status}");
        for view in ["products", "prices", "inventory", "intl"] {
            assert_eq!(malformed(&status, view), "0", "{view}: {status}");
        }
    }

    // An id the registry does not know: malformed, and the partition moves on to the next.
    let (p1, sku) = (
        CatalogGenerator::product_id(1),
        format!("{}-0", CatalogGenerator::product_id(1)),
    );
    let avro_map = TopicMap::new(&avro_topics);
    let raw = Publisher::connect(&broker.address, avro_map.clone()).unwrap();
    let evolved_text = SchemaText {
        schema_type: SchemaKind::Avro,
        schema: EVOLVED_PRICE.to_string(),
        references: vec![],
    };
    let evolved = WriterSchema::parse(&evolved_text).unwrap();
    raw.send(&price_framed(&evolved, 9_999, &sku, 1_000, 1, json!({})))
        .unwrap();
    let known = registry.register(
        &format!("{}-value", avro_topics.prices),
        &vitrine::events::formats::contract_schema(
            ViewKind::Prices,
            vitrine::events::formats::Format::Avro,
        )
        .unwrap()
        .schema,
        "AVRO",
    );
    let current = WriterSchema::parse(
        &vitrine::events::formats::contract_schema(
            ViewKind::Prices,
            vitrine::events::formats::Format::Avro,
        )
        .unwrap(),
    )
    .unwrap();
    raw.send(&price_framed(
        &current,
        known,
        &sku,
        1_001,
        12_345,
        json!({}),
    ))
    .unwrap();
    raw.flush(Duration::from_secs(10)).unwrap();
    let client = avro.client.clone();
    wait_until(
        "the record after the unknown id",
        Duration::from_secs(30),
        || {
            let (c, p, s) = (client.clone(), p1.clone(), sku.clone());
            async move { (price_of(&c, &p, &s).await == json!({"amount": "123.45"})).then_some(()) }
        },
    )
    .await;
    let status = registry_status(&avro.client).await;
    assert_eq!(malformed(&status, "prices"), "1", "{status}");
    assert_eq!(status["schemaRegistry"]["notFound"], "1", "{status}");

    // A compatibly evolved schema (a new optional field, an optional one removed), met while the
    // registry is down: the partition waits and says why; nothing is skipped; it resumes.
    let evolved_id = registry.register(
        &format!("{}-value", avro_topics.prices),
        EVOLVED_PRICE,
        "AVRO",
    );
    registry.fail(true);
    let expected = evolved_id.to_string();
    raw.send(&price_framed(
        &evolved,
        evolved_id,
        &sku,
        1_002,
        22_222,
        json!({"sale": 11_111, "promotion": "flash"}),
    ))
    .unwrap();
    raw.flush(Duration::from_secs(10)).unwrap();
    let client = avro.client.clone();
    let waiting = wait_until(
        "the partition to wait for the registry",
        Duration::from_secs(30),
        || {
            let (c, expected) = (client.clone(), expected.clone());
            async move {
                let s = registry_status(&c).await;
                let waits = s["schemaRegistry"]["waitingFor"].as_str() == Some(&*expected);
                // The lag shows once the broker's high watermark is next read.
                (waits && lag(&s, "prices") != "0").then_some(s)
            }
        },
    )
    .await;
    assert!(
        waiting["schemaRegistry"]["waitingError"]
            .as_str()
            .unwrap()
            .contains("503"),
        "{waiting}"
    );
    assert_eq!(
        price_of(&avro.client, &p1, &sku).await,
        json!({"amount": "123.45"}),
        "not applied yet"
    );
    registry.fail(false);
    let client = avro.client.clone();
    wait_until(
        "the evolved record once the registry answers",
        Duration::from_secs(30),
        || {
            let (c, p, s) = (client.clone(), p1.clone(), sku.clone());
            async move { (price_of(&c, &p, &s).await == json!({"amount": "111.11"})).then_some(()) }
        },
    )
    .await;
    let status = registry_status(&avro.client).await;
    assert_eq!(
        malformed(&status, "prices"),
        "1",
        "nothing more skipped: {status}"
    );
    assert!(status["schemaRegistry"]["waitingFor"].is_null(), "{status}");

    // Restart with the registry down: the snapshot carries the schemas; records after it decode.
    avro.stop_gracefully();
    registry.fail(true);
    raw.send(&price_framed(
        &evolved,
        evolved_id,
        &sku,
        1_003,
        33_333,
        json!({}),
    ))
    .unwrap();
    raw.flush(Duration::from_secs(10)).unwrap();
    let restarted = start(
        &broker.address,
        &avro_topics,
        &registry.url,
        "avro",
        Some(&dir),
    );
    restarted.client.wait_ready().await;
    assert_eq!(
        price_of(&restarted.client, &p1, &sku).await,
        json!({"amount": "333.33"})
    );
    let status = registry_status(&restarted.client).await;
    assert!(status["schemaRegistry"]["waitingFor"].is_null(), "{status}");
    assert_eq!(status["schemaRegistry"]["notFound"], "0", "{status}");
    let snapshot = restarted
        .client
        .query("{ viewStatus { snapshot { records } } }", json!({}))
        .await;
    assert!(
        snapshot["data"]["viewStatus"]["snapshot"]["records"].is_string(),
        "started from the snapshot: {snapshot}"
    );
}

/// The contract's price schema evolved compatibly: `correction` removed, `promotion` added,
/// both optional.
const EVOLVED_PRICE: &str = r#"{"type": "record", "name": "Price", "namespace": "vitrine.prices",
  "fields": [
    {"name": "sku", "type": "string"},
    {"name": "version", "type": "long"},
    {"name": "currency", "type": "string"},
    {"name": "list", "type": "long"},
    {"name": "sale", "type": ["null", "long"], "default": null},
    {"name": "promotion", "type": ["null", "string"], "default": null}
  ]}"#;
