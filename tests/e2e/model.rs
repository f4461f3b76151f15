//! A seeded model test in the style of Materialize's Zippy: random interleavings of updates,
//! stale and duplicate versions, tombstones and re-creations, variant set changes and poison
//! messages, with the gateway killed (-9) and restarted from its snapshots and the broker paused
//! and resumed between phases; after each phase every product page and two listings of the real
//! binary on tansu are compared with an independent model. Two banners: `main` sells every
//! product; `outlet` sells the women's ones from its own price list and its own stock pool, so
//! the model checks each banner's pages and listings against that banner's records alone.
//!
//! `MODEL_SEED=<n> MODEL_STEPS=<n> cargo test --test e2e model -- --nocapture` runs it with
//! any seed for longer; CI runs 2,000 steps with a fixed seed.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{json, Value};
use vitrine::demo::{ensure_topics, Publisher};
use vitrine::events::{Record, TopicMap};
use vitrine::snapshot::list_snapshots;
use vitrine::views::ViewKind;

use crate::broker::Broker;
use crate::common::{fresh_topics, scenario, wait_until, Client};
use crate::process::Vitrine;
use crate::snapshots::temp_dir;

const PRODUCTS: usize = 24;
const SKUS_PER_PRODUCT: usize = 4;
const PHASES: usize = 10;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The latest version per key; a tombstone removes the key (and any version may follow it).
struct View<T> {
    held: BTreeMap<String, (u64, T)>,
    /// The last version each key had, deleted or not (to re-create at the same version).
    last: BTreeMap<String, u64>,
}

impl<T> Default for View<T> {
    fn default() -> Self {
        Self {
            held: BTreeMap::new(),
            last: BTreeMap::new(),
        }
    }
}

impl<T> View<T> {
    fn apply(&mut self, key: &str, version: u64, value: Option<T>) {
        match value {
            None => {
                self.held.remove(key);
            }
            Some(v) => {
                if self.held.get(key).is_none_or(|(held, _)| version > *held) {
                    self.held.insert(key.to_string(), (version, v));
                }
            }
        }
        let last = self.last.entry(key.to_string()).or_insert(0);
        *last = (*last).max(version);
    }

    fn get(&self, key: &str) -> Option<&T> {
        self.held.get(key).map(|(_, v)| v)
    }
}

#[derive(Clone)]
struct ModelProduct {
    title: String,
    category: &'static str,
    skus: Vec<String>,
}

/// The outlet's topics (its price list and its stock pool).
struct OutletTopics {
    prices: String,
    inventory: String,
}

/// A banner's records in the model: its price list and its stock pool; `women_only` is its
/// assortment (the outlet sells `women/model` alone).
struct Banner<'a> {
    prices: &'a View<i64>,
    stock: &'a View<i32>,
    women_only: bool,
}

#[derive(Default)]
struct Model {
    products: View<ModelProduct>,
    prices: View<i64>,
    stock: View<i32>,
    outlet_prices: View<i64>,
    outlet_stock: View<i32>,
    /// Messages produced per view (poison included): the offsets the gateway must reach.
    produced: BTreeMap<&'static str, i64>,
}

fn sku(product: usize, variant: usize) -> String {
    format!("m{product:03}-{variant}")
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

impl Model {
    fn banner(&self, outlet: bool) -> Banner<'_> {
        match outlet {
            false => Banner {
                prices: &self.prices,
                stock: &self.stock,
                women_only: false,
            },
            true => Banner {
                prices: &self.outlet_prices,
                stock: &self.outlet_stock,
                women_only: true,
            },
        }
    }

    /// One random step: a record for the gateway (and the outlet's topic when it is one of
    /// the outlet's prices or stock), applied to the model too.
    fn step(&mut self, rng: &mut Pcg64, outlet: &OutletTopics) -> (Option<String>, Record) {
        let mut topic = None;
        let product = rng.random_range(0..PRODUCTS);
        let roll: f64 = rng.random();
        let (kind, key, payload) = if roll < 0.03 {
            let kind =
                [ViewKind::Products, ViewKind::Prices, ViewKind::Inventory][rng.random_range(0..3)];
            // Poison: skipped and counted, nothing changes.
            (kind, sku(product, 0), Some(b"{poison".to_vec()))
        } else if roll < 0.25 {
            let id = format!("m{product:03}");
            if rng.random_bool(0.15) {
                self.products.apply(&id, 0, None);
                (ViewKind::Products, id, None)
            } else {
                let version = Self::next_version(&self.products.last, &id, rng);
                let skus: Vec<String> = (0..SKUS_PER_PRODUCT)
                    .filter(|_| rng.random_bool(0.7))
                    .map(|v| sku(product, v))
                    .collect();
                let title = format!("Model {product} v{version}");
                let category = ["women/model", "men/model"][rng.random_range(0..2)];
                let record = json!({"id": id, "version": version, "title": title,
                    "brand": "Zippy", "categories": [category], "hsCode": "6110.12",
                    "publishedAt": "2026-03-01T09:00:00Z",
                    "variants": skus.iter().map(|s| json!({"sku": s, "size": "M"})).collect::<Vec<_>>()});
                self.products.apply(
                    &id,
                    version,
                    Some(ModelProduct {
                        title,
                        category,
                        skus,
                    }),
                );
                (
                    ViewKind::Products,
                    id,
                    Some(record.to_string().into_bytes()),
                )
            }
        } else {
            let key = sku(product, rng.random_range(0..SKUS_PER_PRODUCT));
            let prices = rng.random_bool(0.5);
            let tombstone = rng.random_bool(0.07);
            let kind = if prices {
                ViewKind::Prices
            } else {
                ViewKind::Inventory
            };
            // A third of the price and stock records go to the outlet's list and pool.
            let of_outlet = rng.random_bool(0.33);
            if of_outlet {
                topic = Some(match prices {
                    true => outlet.prices.clone(),
                    false => outlet.inventory.clone(),
                });
            }
            let (price_view, stock_view) = match of_outlet {
                false => (&mut self.prices, &mut self.stock),
                true => (&mut self.outlet_prices, &mut self.outlet_stock),
            };
            if tombstone {
                if prices {
                    price_view.apply(&key, 0, None);
                } else {
                    stock_view.apply(&key, 0, None);
                }
                (kind, key, None)
            } else if prices {
                let version = Self::next_version(&price_view.last, &key, rng);
                let list = rng.random_range(1_000..100_000i64);
                price_view.apply(&key, version, Some(list));
                let record =
                    json!({"sku": key, "version": version, "currency": "USD", "list": list});
                (kind, key, Some(record.to_string().into_bytes()))
            } else {
                let version = Self::next_version(&stock_view.last, &key, rng);
                let available = rng.random_range(0..4);
                stock_view.apply(&key, version, Some(available));
                let record = json!({"sku": key, "version": version, "available": available});
                (kind, key, Some(record.to_string().into_bytes()))
            }
        };
        *self.produced.entry(kind.name()).or_insert(0) += 1;
        (topic, Record { kind, key, payload })
    }

    /// Mostly newer than the last version; sometimes the same (a duplicate, or a re-creation
    /// after a tombstone) or older (out of order).
    fn next_version(last: &BTreeMap<String, u64>, key: &str, rng: &mut Pcg64) -> u64 {
        let last = last.get(key).copied().unwrap_or(0);
        match rng.random_range(0..10) {
            0 => last.saturating_sub(rng.random_range(1..3)),
            1 => last,
            _ => last + rng.random_range(1..3),
        }
    }

    fn product_page(&self, product: usize, outlet: bool) -> Value {
        let banner = self.banner(outlet);
        let id = format!("m{product:03}");
        let Some(p) = self.products.get(&id) else {
            return Value::Null;
        };
        if banner.women_only && p.category != "women/model" {
            return Value::Null;
        }
        let variants: Vec<Value> = p
            .skus
            .iter()
            .map(|s| {
                let price = banner.prices.get(s).copied();
                let stock = banner.stock.get(s).copied().unwrap_or(0);
                json!({"sku": s, "price": price.map(|m| json!({"amount": money(m)})),
                       "quantityAvailable": stock,
                       "availableForSale": price.is_some() && stock > 0})
            })
            .collect();
        let priced: Vec<i64> = p
            .skus
            .iter()
            .filter_map(|s| banner.prices.get(s).copied())
            .collect();
        let range = match (priced.iter().min(), priced.iter().max()) {
            (Some(lo), Some(hi)) => json!({"minVariantPrice": {"amount": money(*lo)},
                                           "maxVariantPrice": {"amount": money(*hi)}}),
            _ => Value::Null,
        };
        let available = variants.iter().any(|v| v["availableForSale"] == true);
        json!({"id": id, "title": p.title, "availableForSale": available,
               "priceRange": range, "variants": variants})
    }

    /// Ids of the products a banner sells.
    fn sold(&self, outlet: bool) -> Vec<String> {
        let banner = self.banner(outlet);
        let held = self.products.held.iter();
        let sold = held.filter(|(_, (_, p))| !banner.women_only || p.category == "women/model");
        sold.map(|(id, _)| id.clone()).collect()
    }

    /// Ids of the products whose lowest price is at most `bound`, by (price, id).
    fn cheap_listing(&self, bound: i64, outlet: bool) -> Vec<String> {
        let banner = self.banner(outlet);
        let mut found: Vec<(i64, String)> = self
            .products
            .held
            .iter()
            .filter(|(_, (_, p))| !banner.women_only || p.category == "women/model")
            .filter_map(|(id, (_, p))| {
                let min = p.skus.iter().filter_map(|s| banner.prices.get(s)).min()?;
                (*min <= bound).then(|| (*min, id.clone()))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, id)| id).collect()
    }
}

const PDP: &str = "query($id: ID!) { product(id: $id) { id title availableForSale
    priceRange { minVariantPrice { amount } maxVariantPrice { amount } }
    variants { sku price { amount } quantityAvailable availableForSale } } }";

/// Waits until the gateway has applied every message produced so far.
async fn caught_up(client: &Client, model: &Model, context: &str) {
    let client = client.clone();
    let produced = model.produced.clone();
    wait_until(context, Duration::from_secs(60), || {
        let c = client.clone();
        let produced = produced.clone();
        async move {
            let h = c.health().await;
            let done = produced
                .iter()
                .all(|(view, n)| h["views"][*view]["appliedOffset"].as_i64() == Some(*n));
            done.then_some(())
        }
    })
    .await;
}

async fn compare(client: &Client, model: &Model, context: &str) {
    for outlet in [false, true] {
        compare_banner(
            client,
            model,
            outlet,
            &format!("{context}, outlet {outlet}"),
        )
        .await;
    }
}

/// A query to `main` (`/graphql`) or the outlet (`/b/outlet/graphql`).
async fn ask(client: &Client, outlet: bool, query: &str, variables: Value) -> Value {
    let path = if outlet {
        "/b/outlet/graphql"
    } else {
        "/graphql"
    };
    let body = json!({"query": query, "variables": variables});
    let sent = client
        .http
        .post(format!("{}{path}", client.base))
        .json(&body);
    sent.send().await.unwrap().json().await.unwrap()
}

fn listed(r: &Value, context: &str) -> Vec<String> {
    let edges = r["data"]["products"]["edges"].as_array();
    let edges = edges.unwrap_or_else(|| panic!("{context}: {r}"));
    edges
        .iter()
        .filter_map(|e| e["node"]["id"].as_str().map(String::from))
        .collect()
}

async fn compare_banner(client: &Client, model: &Model, outlet: bool, context: &str) {
    for product in 0..PRODUCTS {
        let id = format!("m{product:03}");
        let r = ask(client, outlet, PDP, json!({"id": id})).await;
        let expected = model.product_page(product, outlet);
        assert_eq!(
            r["data"]["product"], expected,
            "{context}: product {id}: {r}"
        );
    }
    let all = ask(
        client,
        outlet,
        "{ products(first: 100, sortKey: ID) { totalCount edges { node { id } } } }",
        json!({}),
    )
    .await;
    let expected = model.sold(outlet);
    assert_eq!(listed(&all, context), expected, "{context}: listing by id");
    let total = &all["data"]["products"]["totalCount"];
    assert_eq!(total, expected.len(), "{context}");
    let cheap = ask(
        client,
        outlet,
        "{ products(first: 100, sortKey: PRICE, filter: {maxPrice: \"400.00\"}) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    let expected = model.cheap_listing(40_000, outlet);
    assert_eq!(
        listed(&cheap, context),
        expected,
        "{context}: listing by price"
    );
}

/// Publishes each record to its own topic (the outlet's) or its view's.
async fn publish(publisher: &Publisher, records: &[(Option<String>, Record)]) {
    for (topic, record) in records {
        match topic {
            Some(topic) => publisher.send_to(topic, record).unwrap(),
            None => publisher.send(record).unwrap(),
        }
    }
    scenario::publish(publisher, &[]).await;
}

#[tokio::test]
async fn the_gateway_agrees_with_a_model_through_restarts_and_broker_pauses() {
    let seed = env_number("MODEL_SEED", 20261130);
    let steps = env_number("MODEL_STEPS", 2_000) as usize;
    eprintln!("model test: MODEL_SEED={seed} MODEL_STEPS={steps}");
    let mut rng = Pcg64::seed_from_u64(seed);
    let broker = Broker::start();
    let topics = fresh_topics("e2e-model");
    let outlet = OutletTopics {
        prices: format!("{}.outlet", topics.prices),
        inventory: format!("{}.outlet", topics.inventory),
    };
    let snapshots = temp_dir("model");
    let config = snapshots.join("banners.toml");
    let banners = format!(
        "[[banners]]\nname = \"main\"\n[[banners]]\nname = \"outlet\"\nprices_topic = \"{}\"\n\
         inventory_topic = \"{}\"\n[banners.assortment]\ninclude_categories = [\"women\"]\n",
        outlet.prices, outlet.inventory
    );
    std::fs::write(&config, banners).unwrap();
    let mut map = TopicMap::new(&topics);
    map.topics.push((outlet.prices.clone(), ViewKind::Prices));
    map.topics
        .push((outlet.inventory.clone(), ViewKind::Inventory));
    ensure_topics(&broker.address, &map, 3).await.unwrap();
    let publisher = Publisher::connect(&broker.address, map).unwrap();
    let dir = snapshots.to_str().unwrap().to_string();
    let env = [
        ("VITRINE_SNAPSHOT__DIR", dir.as_str()),
        ("VITRINE_SNAPSHOT__INTERVAL_SECS", "1"),
        ("VITRINE_KAFKA__CONTACT_TIMEOUT_MS", "1000"),
        ("VITRINE_GRAPHQL__MAX_COST", "100000"),
    ];
    let mut vitrine = Vitrine::start_configured(&broker.address, &topics, &env, Some(&config));
    vitrine.client.wait_ready().await;
    let mut model = Model::default();
    let per_phase = steps.div_ceil(PHASES).max(1);
    for phase in 0..PHASES {
        let context = format!("seed {seed}, phase {phase}");
        let records: Vec<(Option<String>, Record)> = (0..per_phase)
            .map(|_| model.step(&mut rng, &outlet))
            .collect();
        match phase % 4 {
            // The gateway dies mid-stream (no clean shutdown) and restarts from its snapshot.
            1 => {
                let (head, tail) = records.split_at(records.len() / 2);
                publish(&publisher, head).await;
                let written = snapshots.clone();
                wait_until("a periodic snapshot", Duration::from_secs(20), || {
                    let dir = written.clone();
                    async move { (!list_snapshots(&dir).is_empty()).then_some(()) }
                })
                .await;
                drop(vitrine);
                publish(&publisher, tail).await;
                vitrine = Vitrine::start_configured(&broker.address, &topics, &env, Some(&config));
                vitrine.client.wait_ready().await;
                let h = vitrine.client.health().await;
                assert!(
                    h["snapshot"].is_object(),
                    "{context}: restarted from a snapshot: {h}"
                );
            }
            // The broker freezes: the gateway says so and keeps serving; then it thaws.
            3 => {
                publish(&publisher, &records).await;
                caught_up(&vitrine.client, &model, &context).await;
                broker.pause();
                let client = vitrine.client.clone();
                wait_until("the pause noticed", Duration::from_secs(20), || {
                    let c = client.clone();
                    async move {
                        let h = c.health().await;
                        (h["broker"]["reachable"] == false).then_some(())
                    }
                })
                .await;
                compare(
                    &vitrine.client,
                    &model,
                    &format!("{context}, broker paused"),
                )
                .await;
                broker.resume();
            }
            _ => publish(&publisher, &records).await,
        }
        caught_up(&vitrine.client, &model, &context).await;
        compare(&vitrine.client, &model, &context).await;
    }
    let h = vitrine.client.health().await;
    assert_eq!(h["broker"]["reachable"], true, "{h}");
    let _ = std::fs::remove_dir_all(snapshots);
}
