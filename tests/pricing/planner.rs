//! Differential test of the compiled plans: random valid documents, generated from
//! `schema.graphql` (random selections, aliases, repeated fields, fragments, `__typename`,
//! `@skip`/`@include`, arguments as literals or variables, some values that do not fit) over
//! random catalogs, answered by async-graphql (`planner = "off"`) and by plans; the answers
//! must be identical byte for byte. `PLANNER_DOCS=n` runs more.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{json, Value};
use vitrine::config::Settings;
use vitrine::graphql::gateway::Gateway;
use vitrine::views::{Catalog, ViewKind};

use crate::support::{gb, jp, Shop, SECRET};

/// Object types of the query side: field name, its type, and its arguments' types.
type Objects = HashMap<String, Vec<(String, Type, Vec<(String, Type)>)>>;

fn objects() -> Objects {
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    let schema = async_graphql::parser::parse_schema(&sdl).expect("schema parses");
    let mut objects = Objects::new();
    for definition in schema.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let TypeKind::Object(object) = ty.node.kind else {
            continue;
        };
        let fields = object.fields.into_iter().map(|f| {
            let args = f
                .node
                .arguments
                .iter()
                .map(|a| (a.node.name.node.to_string(), a.node.ty.node.clone()))
                .collect();
            (f.node.name.node.to_string(), f.node.ty.node, args)
        });
        objects.insert(ty.node.name.node.to_string(), fields.collect());
    }
    objects
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

struct Gen<'a> {
    rng: Pcg64,
    objects: &'a Objects,
    vars: Vec<(String, String, Value)>,
    fragments: Vec<String>,
    skus: Vec<String>,
    cursors: Vec<String>,
}

impl Gen<'_> {
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())].clone()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    /// A value for a root argument, sometimes one that does not fit.
    fn value(&mut self, arg: &str) -> Option<Value> {
        let bad = self.chance(0.01);
        Some(match arg {
            "id" if bad => json!(7),
            "id" => json!(self.pick(&["p0", "p1", "p2", "p3", "p5", "p9", "nope"])),
            "country" if bad => json!("gb"),
            "country" if self.chance(0.03) => json!("FR"),
            "country" => json!(self.pick(&["US", "GB", "JP"])),
            "first" if bad => json!(self.pick(&[json!(-1), json!(500), json!("3")])),
            "first" => json!(self.rng.random_range(0..12)),
            "after" => match self.cursors.is_empty() || self.chance(0.05) {
                true => json!(self.pick(&["garbage", "eyJrIjoiSUQiLCJwIjp7fX0"])),
                false => json!(self.pick(&self.cursors.clone())),
            },
            "reverse" => json!(self.chance(0.5)),
            "sortKey" => json!(self.pick(&["TITLE", "PRICE", "CREATED_AT", "ID"])),
            "filter" => {
                let mut f = serde_json::Map::new();
                let options: [(&str, Value); 6] = [
                    (
                        "category",
                        json!(self.pick(&["women", "women/knitwear", "men/shirts", "kids"])),
                    ),
                    (
                        "brand",
                        json!(self.pick(&["Acme", "acme", "Borealis", "Zed"])),
                    ),
                    ("inStock", json!(self.chance(0.5))),
                    (
                        "minPrice",
                        json!(self.pick(&["10.00", "55", "0.5", "0.001"])),
                    ),
                    ("maxPrice", json!(self.pick(&["80.00", "150", "1000.00"]))),
                    (
                        "query",
                        json!(self.pick(&["wool", "Crème", "blue sh", "zz"])),
                    ),
                ];
                for (k, v) in options {
                    if self.chance(0.3) {
                        f.insert(k.into(), v);
                    }
                }
                if bad {
                    f.insert("colour".into(), json!("red"));
                }
                Value::Object(f)
            }
            "lines" => {
                let n = self.rng.random_range(if bad { 0 } else { 1 }..4);
                let lines: Vec<Value> = (0..n)
                    .map(|_| {
                        let mut l = json!({"sku": self.pick(&self.skus.clone()), "quantity": self.rng.random_range(1..4)});
                        if self.chance(0.03) {
                            l["quote"] = json!("not-a-quote");
                        }
                        l
                    })
                    .collect();
                json!(lines)
            }
            "reservationId" if self.chance(0.7) => return None,
            "reservationId" => json!("r_none"),
            _ => return None,
        })
    }

    /// The arguments of a root field, each a literal or a variable.
    fn args(&mut self, field: &str, args: &[(String, Type)]) -> String {
        let mut out = Vec::new();
        for (name, ty) in args {
            let required = !ty.nullable;
            if !required && self.chance(0.4) {
                continue;
            }
            if field == "products" && name == "after" && self.chance(0.6) {
                continue;
            }
            let Some(value) = self.value(name) else {
                continue;
            };
            if self.chance(0.5) {
                let var = format!("v{}", self.vars.len());
                out.push(format!("{name}: ${var}"));
                self.vars.push((var, ty.to_string(), value));
            } else {
                out.push(format!("{name}: {}", literal(&value, name == "sortKey")));
            }
        }
        if out.is_empty() {
            String::new()
        } else {
            format!("({})", out.join(", "))
        }
    }

    fn directive(&mut self) -> String {
        if !self.chance(0.1) {
            return String::new();
        }
        let which = self.pick(&["skip", "include"]);
        if self.chance(0.5) {
            let var = format!("v{}", self.vars.len());
            let value = json!(self.chance(0.5));
            self.vars.push((var.clone(), "Boolean!".into(), value));
            format!(" @{which}(if: ${var})")
        } else {
            format!(" @{which}(if: {})", self.chance(0.5))
        }
    }

    fn selection(&mut self, ty: &str, depth: usize) -> String {
        let fields = self.objects[ty].clone();
        let mut parts = Vec::new();
        let count = self.rng.random_range(1..=fields.len().min(6));
        for _ in 0..count {
            let (name, fty, args) = self.pick(&fields);
            let child = named(&fty).to_string();
            let is_object = self.objects.contains_key(&child);
            if is_object && depth > 4 {
                continue;
            }
            let alias = if self.chance(0.15) {
                format!("a{}_{name}: ", self.rng.random_range(0..3))
            } else {
                String::new()
            };
            // Repeated root fields keep one set of arguments per alias: validation asks it.
            let args = if args.is_empty() {
                String::new()
            } else {
                self.args(&name, &args)
            };
            let alias = if args.is_empty() {
                alias
            } else {
                format!("r{}: ", parts.len())
            };
            let dir = self.directive();
            let sub = if is_object {
                format!(" {{ {} }}", self.selection(&child, depth + 1))
            } else {
                String::new()
            };
            parts.push(format!("{alias}{name}{args}{dir}{sub}"));
            if self.chance(0.1) {
                parts.push("__typename".into());
            }
        }
        if depth > 0 && self.chance(0.1) {
            let inner = self.selection(ty, depth + 1);
            parts.push(format!("... on {ty} {{ {inner} }}"));
        }
        if depth > 0 && self.chance(0.1) {
            let name = format!("F{}", self.fragments.len());
            let inner = self.selection(ty, depth + 1);
            self.fragments
                .push(format!("fragment {name} on {ty} {{ {inner} }}"));
            parts.push(format!("...{name}"));
        }
        if parts.is_empty() {
            parts.push("__typename".into());
        }
        parts.join(" ")
    }

    fn document(&mut self) -> (String, Value) {
        self.vars.clear();
        self.fragments.clear();
        let root = self.selection("QueryRoot", 0);
        let defs: Vec<String> = self
            .vars
            .iter()
            .map(|(n, t, _)| format!("${n}: {t}"))
            .collect();
        let header = if defs.is_empty() {
            "query".to_string()
        } else {
            format!("query Q({})", defs.join(", "))
        };
        let context = if self.chance(0.1) {
            " @inContext(country: GB)"
        } else {
            ""
        };
        let doc = format!(
            "{header}{context} {{ {root} }} {}",
            self.fragments.join(" ")
        );
        let vars: serde_json::Map<String, Value> = self
            .vars
            .iter()
            .map(|(n, _, v)| (n.clone(), v.clone()))
            .collect();
        (doc, Value::Object(vars))
    }
}

fn literal(value: &Value, is_enum: bool) -> String {
    match value {
        Value::String(s) if is_enum => s.clone(),
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", literal(v, false)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|v| literal(v, false))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A random catalog: products across categories and brands, variants with and without prices,
/// sales and stock, and two foreign markets.
fn catalog(shop: &Shop, rng: &mut Pcg64) -> Vec<String> {
    let words = [
        "Wool", "Crème", "Blue", "Shirt", "Knit", "Zip", "Linen", "Brûlée",
    ];
    let categories = [
        "women/knitwear/sweaters",
        "women/dresses",
        "men/shirts",
        "kids/tops",
    ];
    let mut skus = Vec::new();
    for i in 0..rng.random_range(4..14) {
        let id = format!("p{i}");
        let variants: Vec<Value> = (0..rng.random_range(1..4))
            .map(|v| {
                let sku = format!("{id}-{v}");
                skus.push(sku.clone());
                {
                    let size = ["S", "M", "L"][v % 3];
                    let color = if v % 2 == 0 {
                        json!("navy")
                    } else {
                        Value::Null
                    };
                    json!({"sku": sku, "size": size, "color": color})
                }
            })
            .collect();
        let title = format!(
            "{} {} {i}",
            words[rng.random_range(0..words.len())],
            words[rng.random_range(0..words.len())]
        );
        let brand = ["Acme", "Borealis", "Zed"][i % 3];
        let mut product = json!({"id": id, "version": 1, "title": title, "brand": brand,
            "description": "d", "categories": [categories[rng.random_range(0..categories.len())]],
            "images": ["https://img/1.jpg"], "variants": variants});
        if rng.random_bool(0.8) {
            product["hsCode"] = json!(["6110.12", "6203.42", "9999"][i % 3]);
        }
        if rng.random_bool(0.8) {
            product["publishedAt"] = json!(format!("2026-0{}-01T09:00:00Z", 1 + i % 9));
        }
        shop.put(ViewKind::Products, &id, product);
    }
    for sku in &skus {
        if rng.random_bool(0.85) {
            let list = rng.random_range(1000..20000);
            let sale = rng
                .random_bool(0.3)
                .then(|| list - rng.random_range(1..900));
            shop.price(sku, 1, list, sale);
        }
        shop.stock(sku, 1, rng.random_range(0..4));
    }
    shop.put(ViewKind::Intl, "GB", gb(1, "0.79"));
    shop.put(ViewKind::Intl, "JP", jp(1));
    skus
}

fn gateway(catalog: &Arc<Catalog>, planner: &str) -> Gateway {
    let settings = Settings::defaults()
        .with_overrides(&format!(
            "[checkout]\nquote_secret = \"{SECRET}\"\n[graphql]\nmemo_entries = 0\nplanner = \"{planner}\"\nintrospection = true"
        ))
        .unwrap();
    vitrine::graphql::build_gateway(Arc::clone(catalog), &settings)
}

async fn answer(gateway: &Gateway, doc: &str, vars: &Value) -> Vec<u8> {
    let request = async_graphql::Request::new(doc)
        .variables(async_graphql::Variables::from_json(vars.clone()));
    gateway.respond_json(request).await.body.to_vec()
}

#[tokio::test]
async fn plans_answer_exactly_as_async_graphql() {
    let docs: usize = std::env::var("PLANNER_DOCS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    let objects = objects();
    let (mut compared, mut errors) = (0, 0);
    let mut planned_total = 0;
    for seed in 0..(docs / 250).max(1) as u64 {
        let shop = Shop::new("honor");
        let mut rng = Pcg64::seed_from_u64(seed);
        let skus = catalog(&shop, &mut rng);
        let (reference, planner) = (gateway(&shop.catalog, "off"), gateway(&shop.catalog, "on"));
        let mut generator = Gen {
            rng,
            objects: &objects,
            vars: Vec::new(),
            fragments: Vec::new(),
            skus,
            cursors: Vec::new(),
        };
        for _ in 0..250 {
            let (doc, vars) = generator.document();
            for attempt in 0.. {
                let second = vitrine::clock::unix_secs();
                let want = answer(&reference, &doc, &vars).await;
                let first = answer(&planner, &doc, &vars).await; // validates and caches
                let planned = answer(&planner, &doc, &vars).await; // planned, if it can be
                if vitrine::clock::unix_secs() != second && attempt < 3 {
                    continue; // a quote's expiry moved on between the answers
                }
                let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                assert_eq!(
                    text(&first),
                    text(&want),
                    "first answer of {doc}\nvariables {vars}"
                );
                assert_eq!(
                    text(&planned),
                    text(&want),
                    "planned answer of {doc}\nvariables {vars}"
                );
                break;
            }
            let body: Value =
                serde_json::from_slice(&answer(&reference, &doc, &vars).await).unwrap();
            errors += usize::from(body.get("errors").is_some());
            collect_cursors(&body, &mut generator.cursors);
            compared += 1;
        }
        planned_total += planner.plan_stats().planned.load(Ordering::Relaxed);
    }
    // The comparison means something only if most documents were in fact planned.
    let planned = planned_total as usize;
    println!("{compared} documents, {planned} planned answers, {errors} with errors");
    let clean = compared - errors;
    assert!(
        planned * 10 > clean * 9,
        "only {planned} of {clean} error-free answers planned"
    );
    assert!(
        errors * 20 > compared && errors * 2 < compared,
        "{errors} of {compared} with errors"
    );
}

fn collect_cursors(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("cursor" | "endCursor" | "startCursor", Value::String(c))
                        if into.len() < 64 =>
                    {
                        into.push(c.clone())
                    }
                    _ => collect_cursors(v, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_cursors(v, into)),
        _ => {}
    }
}
