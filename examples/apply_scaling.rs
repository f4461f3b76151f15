//! Decode-and-apply throughput with no broker: the generated catalog's records (a full
//! replay's worth) held in memory, handed to the ingest workers by partition (12 per topic,
//! keys spread by hash as a producer's partitioner would), with 1, 2, ... workers, and beside
//! them the old single-threaded path (every record applied on the calling thread). Each run
//! loads a fresh catalog in bulk and ends with the summaries, as start-up does.
//! Usage: `cargo run --release --example apply_scaling [products=200000] [max_workers=cores]`.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Instant;

use vitrine::demo::CatalogGenerator;
use vitrine::events::Record;
use vitrine::ingest::workers::{Handed, Workers};
use vitrine::ingest::{Applier, Origin};
use vitrine::status::{IngestStats, Progress};
use vitrine::views::{Catalog, ViewKind};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PARTITIONS: i32 = 12;

fn applier() -> Applier {
    Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()))
}

fn report(label: &str, records: usize, started: Instant, applier: &Applier) {
    let secs = started.elapsed().as_secs_f64();
    let variants = applier.catalog().len(ViewKind::Prices);
    println!(
        "APPLY {label} records={records} variants={variants} seconds={secs:.2} rate={:.0}",
        records as f64 / secs
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let products: usize = args.next().map_or(200_000, |a| a.parse().unwrap());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_workers: usize = args.next().map_or(cores, |a| a.parse().unwrap());
    let mut records: Vec<Record> = Vec::new();
    CatalogGenerator::new(1, products).baseline(|r| records.push(r));
    let hasher = foldhash::fast::FixedState::with_seed(1);
    let partition_of = |key: &str| (hasher.hash_one(key) % PARTITIONS as u64) as i32;

    let inline = applier();
    let started = Instant::now();
    inline.catalog().begin_bulk();
    for (offset, r) in records.iter().enumerate() {
        let origin = Origin {
            topic: "inline",
            partition: partition_of(&r.key),
            offset: offset as i64,
            timestamp_ms: None,
        };
        inline.apply_record(r.kind, Some(r.key.as_bytes()), r.payload.as_deref(), origin);
    }
    inline.catalog().end_bulk();
    report("inline", records.len(), started, &inline);
    drop(inline);

    for n in 1..=max_workers {
        let applier = applier();
        let progress = Progress::new();
        let handles: Vec<_> = ViewKind::ALL
            .iter()
            .flat_map(|kind| (0..PARTITIONS).map(|p| (*kind, p)))
            .map(|(kind, p)| progress.register(kind.name(), p, kind, 0, 0))
            .collect();
        let started = Instant::now();
        applier.catalog().begin_bulk();
        let mut workers = Workers::start(n, &applier).unwrap();
        let mut offsets = vec![0i64; handles.len()];
        for r in &records {
            let kind_index = ViewKind::ALL.iter().position(|k| *k == r.kind).unwrap();
            let slot = kind_index * PARTITIONS as usize + partition_of(&r.key) as usize;
            workers.hand(Handed {
                kind: r.kind,
                partition: &handles[slot],
                offset: offsets[slot],
                timestamp_ms: None,
                key: Some(r.key.as_bytes()),
                value: r.payload.as_deref(),
                header: None,
            });
            offsets[slot] += 1;
        }
        workers.sync();
        applier.catalog().end_bulk();
        report(&format!("workers={n}"), records.len(), started, &applier);
        workers.stop();
    }
}
