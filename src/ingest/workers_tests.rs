//! Per-key order under parallel apply.

use std::sync::Arc;

use super::*;
use crate::status::{IngestStats, Progress};
use crate::views::{Catalog, StockAndPrices};

fn stock(sku: &str, version: u64, available: i32) -> Vec<u8> {
    format!(r#"{{"sku":"{sku}","version":{version},"available":{available}}}"#).into_bytes()
}

/// One hot SKU whose versions arrive on one partition, interleaved with load on eleven others:
/// handed out over four workers, every version of it must be applied in log order (none found
/// stale), and each partition's position must end after its last record.
#[test]
fn each_partition_is_applied_in_order_under_parallel_apply() {
    let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
    let progress = Progress::new();
    let partitions: Vec<_> = (0..12)
        .map(|p| progress.register("vitrine.inventory", p, ViewKind::Inventory, 0, 0))
        .collect();
    let mut workers = Workers::start(4, &applier).unwrap();
    let mut offsets = vec![0i64; partitions.len()];
    let mut hand = |workers: &mut Workers, p: usize, sku: &str, version: u64| {
        let value = stock(sku, version, version as i32);
        workers.hand(Handed {
            kind: ViewKind::Inventory,
            partition: &partitions[p],
            offset: offsets[p],
            timestamp_ms: Some(1),
            key: Some(sku.as_bytes()),
            value: Some(&value),
            header: None,
        });
        offsets[p] += 1;
    };
    const VERSIONS: u64 = 5_000;
    for version in 1..=VERSIONS {
        hand(&mut workers, 0, "hot", version);
        for p in 1..partitions.len() {
            // Every other partition's keys change too, each in its own order.
            hand(
                &mut workers,
                p,
                &format!("sku-{p}-{}", version % 7),
                version,
            );
        }
        if version % 1_000 == 0 {
            workers.flush(); // batches of every size, not only full ones
        }
    }
    workers.sync();
    let counts = applier.stats().counts(ViewKind::Inventory);
    assert_eq!(counts.stale, 0, "a version was applied after a later one");
    assert_eq!(counts.applied, VERSIONS * partitions.len() as u64);
    assert_eq!(applier.catalog().available("hot"), VERSIONS as i32);
    assert_eq!(applier.catalog().available("sku-5-3"), 4_994);
    for (p, handle) in partitions.iter().enumerate() {
        assert_eq!(handle.next_offset(), offsets[p], "partition {p}");
    }
    workers.stop();
}

/// A position reached past the last record (transaction markers) is recorded after that
/// record, not before it.
#[test]
fn a_reached_position_follows_the_records_before_it() {
    let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
    let progress = Progress::new();
    let partition = progress.register("vitrine.inventory", 0, ViewKind::Inventory, 0, 0);
    let mut workers = Workers::start(2, &applier).unwrap();
    let value = stock("a", 1, 3);
    workers.hand(Handed {
        kind: ViewKind::Inventory,
        partition: &partition,
        offset: 0,
        timestamp_ms: None,
        key: Some(b"a"),
        value: Some(&value),
        header: None,
    });
    workers.reached(&partition, 5);
    workers.sync();
    assert_eq!(partition.next_offset(), 5);
    assert_eq!(applier.catalog().available("a"), 3);
    workers.stop();
}
