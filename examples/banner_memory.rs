//! Memory and snapshot start-up of two banners against one, on a large generated catalog:
//! `main` alone, then `main` and `outlet` (the demo's: a third of the products, its own price
//! list, the same products and stock pool). For each: bytes held once the bulk load ends
//! (views, summaries, listing indexes and facet bitmaps), the snapshot's records and bytes, and
//! the time to load that snapshot into empty views and end the bulk load (ready from snapshot,
//! without the broker). Run side by side, rounds interleaved; prints medians.
//! Usage: `cargo run --release --example banner_memory [products=200000] [rounds=3]`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use vitrine::config::Settings;
use vitrine::demo::banners::demo_banners;
use vitrine::demo::load_baseline;
use vitrine::events::TopicMap;
use vitrine::ingest::Applier;
use vitrine::snapshot::{list_snapshots, load, write_snapshot, write_storefronts};
use vitrine::snapshot::{HttpTimeouts, Source};
use vitrine::status::{IngestStats, Progress};
use vitrine::views::storefronts::Storefronts;

#[path = "support/counting.rs"]
mod counting;
use counting::LIVE;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// One banner (`[topics]`) or the demo's two.
fn applier(two: bool) -> Applier {
    let mut settings = Settings::defaults();
    if two {
        settings.banners = demo_banners();
    }
    let banners = settings.resolved_banners().expect("banners");
    let specs: Vec<_> = banners.iter().map(|b| b.spec()).collect();
    let topics = TopicMap::for_banners(&banners, &settings.topics);
    let fronts = Arc::new(Storefronts::build(&specs));
    Applier::over(
        fronts,
        Some(Arc::new(topics)),
        Arc::new(IngestStats::default()),
    )
}

struct Figures {
    held_mib: f64,
    snapshot_records: u64,
    snapshot_mib: f64,
    ready_ms: f64,
}

fn measure(two: bool, products: usize, round: usize) -> Figures {
    let before = LIVE.load(Ordering::Relaxed);
    let original = applier(two);
    load_baseline(&original, 42, products);
    original
        .storefronts()
        .iter()
        .for_each(|f| f.catalog.finish_listing_index());
    let held = LIVE.load(Ordering::Relaxed) - before;
    let dir = std::env::temp_dir().join(format!(
        "banner-memory-{}-{two}-{round}",
        std::process::id()
    ));
    let fronts = original.storefronts();
    let (path, records) = match two {
        true => {
            let topics = original.routes().expect("routes");
            write_storefronts(&dir, fronts, topics, vec![], 1)
        }
        false => write_snapshot(&dir, &fronts.default_front().catalog, vec![], 1),
    }
    .expect("snapshot written");
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    drop(original);
    let restored = applier(two);
    let started = Instant::now();
    restored.storefronts().begin_bulk();
    load(
        &Source::File(path),
        &restored,
        &Progress::new(),
        &|_| Ok(()),
        HttpTimeouts::default(),
    )
    .expect("snapshot loads");
    restored.storefronts().end_bulk();
    restored
        .storefronts()
        .iter()
        .for_each(|f| f.catalog.finish_listing_index());
    let ready_ms = started.elapsed().as_secs_f64() * 1000.0;
    for old in list_snapshots(&dir) {
        let _ = std::fs::remove_file(old);
    }
    let _ = std::fs::remove_dir(&dir);
    Figures {
        held_mib: mib(held),
        snapshot_records: records,
        snapshot_mib: bytes as f64 / (1024.0 * 1024.0),
        ready_ms,
    }
}

/// A row of the table: its name and the figure it shows.
type Row = (&'static str, fn(&Figures) -> f64);

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let products: usize = args
        .next()
        .map_or(200_000, |a| a.parse().expect("products"));
    let rounds: usize = args.next().map_or(3, |a| a.parse().expect("rounds"));
    let mut runs: [Vec<Figures>; 2] = [vec![], vec![]];
    for round in 0..rounds {
        for two in [false, true] {
            runs[two as usize].push(measure(two, products, round));
        }
    }
    let med =
        |two: bool, f: fn(&Figures) -> f64| median(runs[two as usize].iter().map(f).collect());
    println!("| products={products}, medians of {rounds} | one banner | two banners | two/one |");
    println!("|---|---:|---:|---:|");
    let rows: [Row; 4] = [
        ("held after the bulk load (MiB)", |f| f.held_mib),
        ("snapshot records", |f| f.snapshot_records as f64),
        ("snapshot size (MiB)", |f| f.snapshot_mib),
        ("ready from snapshot (ms)", |f| f.ready_ms),
    ];
    for (name, f) in rows {
        let (one, two) = (med(false, f), med(true, f));
        println!("| {name} | {one:.1} | {two:.1} | {:.2} |", two / one);
    }
}
