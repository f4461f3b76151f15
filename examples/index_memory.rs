//! Memory and time of the listing indexes on a large generated catalog: bytes held by the
//! views after a bulk load, bytes the indexes add when the load ends (summaries are computed
//! in place), the time that takes, and the rate of live changes applied afterwards (each one
//! keeping summaries and indexes current).
//! Usage: `cargo run --release --example index_memory [products=200000] [changes=500000]`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use vitrine::demo::CatalogGenerator;
use vitrine::ingest::{Applier, Origin};
use vitrine::status::IngestStats;
use vitrine::views::{Catalog, ViewKind};

#[path = "support/counting.rs"]
mod counting;
use counting::LIVE;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let products: usize = args
        .next()
        .map_or(200_000, |a| a.parse().expect("products"));
    let changes: usize = args.next().map_or(500_000, |a| a.parse().expect("changes"));
    let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
    let mut generator = CatalogGenerator::new(42, products);
    let mut offset = 0;
    let mut apply = |record: vitrine::events::Record| {
        let origin = Origin {
            topic: "bench",
            partition: 0,
            offset,
            timestamp_ms: None,
        };
        offset += 1;
        applier.apply_record(
            record.kind,
            Some(record.key.as_bytes()),
            record.payload.as_deref(),
            origin,
        );
    };
    let start = LIVE.load(Ordering::Relaxed);
    applier.catalog().begin_bulk();
    generator.baseline(&mut apply);
    let views = LIVE.load(Ordering::Relaxed) - start;
    let started = Instant::now();
    applier.catalog().end_bulk();
    let ready = started.elapsed();
    applier.catalog().finish_listing_index();
    let built = started.elapsed();
    let indexes = LIVE.load(Ordering::Relaxed) - start - views;
    let variants = applier.catalog().len(ViewKind::Prices);
    println!(
        "products={products} variants={variants} views_mib={:.0} indexes_mib={:.0} indexes_share={:.0}% end_bulk_ms={} indexes_in_ms={}",
        mib(views),
        mib(indexes),
        100.0 * indexes as f64 / views as f64,
        ready.as_millis(),
        built.as_millis()
    );
    let facets = applier.catalog().facet_bytes();
    println!(
        "facet_bitmaps_mib={:.1} facet_bytes_per_variant={:.1}",
        mib(facets),
        facets as f64 / variants as f64
    );
    let records: Vec<_> = (0..changes)
        .filter_map(|_| generator.next_change())
        .collect();
    let started = Instant::now();
    for record in records {
        apply(record);
    }
    let elapsed = started.elapsed();
    println!(
        "live changes applied={changes} rate_per_s={:.0} per_change_us={:.2}",
        changes as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / changes as f64
    );
}
