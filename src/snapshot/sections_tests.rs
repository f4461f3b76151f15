//! Snapshots of several storefronts: every shared part comes back into the part it came from.

use std::sync::Arc;

use crate::config::Settings;
use crate::events::TopicMap;
use crate::ingest::{Applier, Origin};
use crate::snapshot::{list_snapshots, load, HttpTimeouts, Source};
use crate::status::{IngestStats, Progress};
use crate::views::storefronts::Storefronts;
use crate::views::{Catalog, StockAndPrices, ViewKind};

/// `main` (everything) and `outlet` (women's knitwear, its own prices) on one pool, `flash`
/// with a pool of its own.
fn banners() -> (Arc<Storefronts>, Arc<TopicMap>) {
    let settings = Settings::defaults()
        .with_overrides(
            "[[banners]]\nname = \"main\"\n[[banners]]\nname = \"outlet\"\n\
             prices_topic = \"p.outlet\"\n[banners.assortment]\n\
             include_categories = [\"women/knitwear\"]\n[[banners]]\nname = \"flash\"\n\
             inventory_topic = \"i.flash\"\n",
        )
        .unwrap();
    let banners = settings.resolved_banners().unwrap();
    let specs: Vec<_> = banners.iter().map(|b| b.spec()).collect();
    let topics = TopicMap::for_banners(&banners, &settings.topics);
    (Arc::new(Storefronts::build(&specs)), Arc::new(topics))
}

fn applier(fronts: &Arc<Storefronts>, topics: &Arc<TopicMap>) -> Applier {
    let stats = Arc::new(IngestStats::default());
    Applier::over(Arc::clone(fronts), Some(Arc::clone(topics)), stats)
}

fn feed(applier: &Applier, topic: &str, kind: ViewKind, key: &str, value: &str) {
    let origin = Origin {
        topic,
        partition: 0,
        offset: 0,
        timestamp_ms: None,
    };
    let applied = applier.apply_record(kind, Some(key.as_bytes()), Some(value.as_bytes()), origin);
    assert!(applied.is_some(), "{value}");
}

fn dump(catalog: &Catalog) -> Vec<String> {
    let mut seen: Vec<String> = catalog
        .all_products()
        .iter()
        .map(|p| format!("{p:?}"))
        .collect();
    seen.extend(
        catalog
            .all_records()
            .iter()
            .map(|p| format!("record {}", p.id)),
    );
    for sku in ["k-1", "s-1"] {
        seen.push(format!(
            "{sku} {:?} {}",
            catalog.price(sku),
            catalog.available(sku)
        ));
        let summary = catalog
            .product_of_sku(sku)
            .and_then(|p| catalog.product_entry(&p.id));
        seen.push(format!("{:?}", summary.map(|e| e.summary)));
    }
    seen.sort();
    seen
}

#[test]
fn every_storefront_comes_back_from_its_snapshot() {
    let (fronts, topics) = banners();
    let original = applier(&fronts, &topics);
    let product = |id: &str, category: &str, sku: &str| {
        format!(
            r#"{{"id":"{id}","version":1,"title":"T {id}","brand":"B","categories":["{category}"],"variants":[{{"sku":"{sku}"}}]}}"#
        )
    };
    let price = |sku: &str, list: i64| {
        format!(r#"{{"sku":"{sku}","version":1,"currency":"USD","list":{list}}}"#)
    };
    let stock = |sku: &str, n: i32| format!(r#"{{"sku":"{sku}","version":1,"available":{n}}}"#);
    feed(
        &original,
        "vitrine.products",
        ViewKind::Products,
        "k",
        &product("k", "women/knitwear", "k-1"),
    );
    feed(
        &original,
        "vitrine.products",
        ViewKind::Products,
        "s",
        &product("s", "men/shirts", "s-1"),
    );
    for sku in ["k-1", "s-1"] {
        feed(
            &original,
            "vitrine.prices",
            ViewKind::Prices,
            sku,
            &price(sku, 10_000),
        );
        feed(
            &original,
            "p.outlet",
            ViewKind::Prices,
            sku,
            &price(sku, 6_000),
        );
        feed(
            &original,
            "vitrine.inventory",
            ViewKind::Inventory,
            sku,
            &stock(sku, 5),
        );
        feed(
            &original,
            "i.flash",
            ViewKind::Inventory,
            sku,
            &stock(sku, 2),
        );
    }
    let hold = crate::events::reservation::decided_hold("r", "k-1", 3, 5, crate::clock::unix_ms());
    feed(
        &original,
        "vitrine.reservations",
        ViewKind::Reservations,
        "k-1",
        &hold.to_string(),
    );
    assert_eq!(fronts.get("outlet").unwrap().catalog.available("k-1"), 2);

    let dir = std::env::temp_dir().join(format!("vitrine-sections-{}", std::process::id()));
    let (path, written) =
        crate::snapshot::write_storefronts(&dir, &fronts, &topics, vec![], 1).unwrap();
    assert_eq!(
        written,
        2 + 4 + 4 + 1,
        "each part once: products, two lists, two pools, a hold"
    );

    let (copies, _) = banners();
    let restored = applier(&copies, &topics);
    let report = load(
        &Source::File(path),
        &restored,
        &Progress::new(),
        &|_| Ok(()),
        HttpTimeouts::default(),
    )
    .unwrap();
    assert_eq!(report.header.format_version, 3);
    copies.end_bulk();
    for (before, after) in fronts.iter().zip(copies.iter()) {
        assert_eq!(
            dump(&before.catalog),
            dump(&after.catalog),
            "{}",
            before.name
        );
    }
    let outlet = &copies.get("outlet").unwrap().catalog;
    assert_eq!(outlet.price("k-1").unwrap().list_minor, 6_000);
    assert!(outlet.product("s").is_none(), "outside its assortment");
    assert_eq!(copies.get("flash").unwrap().catalog.available("k-1"), 2);
    assert_eq!(copies.get("main").unwrap().catalog.available("k-1"), 2);
    for old in list_snapshots(&dir) {
        let _ = std::fs::remove_file(old);
    }
}
