//! Tests of pinned reads and the read log.

use super::*;
use crate::views::testing::{price, product, stock};
use crate::views::{summarize, Change};

fn catalog() -> Arc<Catalog> {
    let c = Catalog::new();
    c.apply(Change::Product(product("p", 1, &["a"])));
    c.apply(Change::Price(price("a", 1, 100, None)));
    Arc::new(c)
}

#[test]
fn a_log_is_current_until_any_read_record_changes() {
    let c = catalog();
    let reader = RecordingReader::new(Arc::clone(&c));
    reader.product("p");
    reader.price("a");
    reader.inventory("a"); // absent
    reader.price("a"); // read twice, logged once
    let log = reader.log();
    assert_eq!(log.len(), 3);
    assert!(log.still_current(&c));
    c.apply(Change::Price(price("a", 1, 999, None))); // stale: no change
    assert!(log.still_current(&c));
    c.apply(Change::Inventory(stock("a", 1, 5))); // the absent record appears
    assert!(!log.still_current(&c));
}

#[test]
fn deletions_and_unrelated_changes() {
    let c = catalog();
    let reader = RecordingReader::new(Arc::clone(&c));
    reader.product("p");
    let log = reader.log();
    c.apply(Change::Price(price("zzz", 1, 1, None)));
    assert!(log.still_current(&c), "unrelated keys do not matter");
    c.apply(Change::Delete(ViewKind::Products, "p".into()));
    assert!(!log.still_current(&c));
}

#[test]
fn a_record_deleted_and_recreated_with_the_same_version_is_a_change() {
    let c = catalog();
    let reader = RecordingReader::new(Arc::clone(&c));
    reader.product("p");
    reader.price("a");
    let log = reader.log();
    c.apply(Change::Delete(ViewKind::Products, "p".into()));
    let mut again = product("p", 1, &["a"]);
    again.title = "Another title".into();
    c.apply(Change::Product(again));
    assert!(!log.still_current(&c), "the product was re-created");

    let reader = RecordingReader::new(Arc::clone(&c));
    reader.price("a");
    let log = reader.log();
    c.apply(Change::Delete(ViewKind::Prices, "a".into()));
    c.apply(Change::Price(price("a", 1, 50, None)));
    assert!(!log.still_current(&c), "the price was re-created");
}

/// One request sees one state per record: a price changed by ingest between two reads of
/// it in the same answer (variants, then priceRange) reads the same both times.
#[test]
fn a_request_reads_each_record_once() {
    let c = catalog();
    let reader = RecordingReader::new(Arc::clone(&c));
    let product = reader.product("p").unwrap();
    let first = summarize(&reader, &product);
    c.apply(Change::Price(price("a", 2, 999, None)));
    c.apply(Change::Inventory(stock("a", 1, 4)));
    assert_eq!(reader.price("a").unwrap().list_minor, 100);
    assert_eq!(summarize(&reader, &product), first);
    assert!(!reader.log().still_current(&c), "the memo sees the change");
    // A subscription's reader pins nothing.
    let live = RecordingReader::unlogged(Arc::clone(&c));
    assert_eq!(live.price("a").unwrap().list_minor, 999);
    c.apply(Change::Price(price("a", 3, 5, None)));
    assert_eq!(live.price("a").unwrap().list_minor, 5);
}

/// A product's variants are read once per request and shared by every field; their summary
/// follows the same rule as `summarize`, and a subscription's reader reads them afresh.
#[test]
fn variant_reads_are_shared_within_a_request() {
    let c = catalog();
    c.apply(Change::Inventory(stock("a", 1, 3)));
    let reader = RecordingReader::new(Arc::clone(&c));
    let product = reader.product("p").unwrap();
    let first = reader.variant_reads(&product);
    assert_eq!(first.summary(), summarize(&*c, &product));
    assert_eq!(first.variants[0].1, 3);
    c.apply(Change::Price(price("a", 2, 999, None)));
    let again = reader.variant_reads(&product);
    assert!(
        Arc::ptr_eq(&first, &again),
        "one read per product and request"
    );
    assert_eq!(again.summary().min_price_minor, Some(100));
    let log = reader.log();
    assert_eq!(log.len(), 3, "product, price and stock are in the log");
    assert!(!log.still_current(&c));
    let live = RecordingReader::unlogged(Arc::clone(&c));
    assert_eq!(
        live.variant_reads(&product).summary().min_price_minor,
        Some(999)
    );
    c.apply(Change::Price(price("a", 3, 5, None)));
    assert_eq!(
        live.variant_reads(&product).summary().min_price_minor,
        Some(5)
    );
}

/// Before any hold exists, availability reads skip the holds; the first hold anywhere
/// outdates what was read that way.
#[test]
fn the_first_hold_outdates_answers_that_read_stock() {
    let c = catalog();
    c.apply(Change::Inventory(stock("a", 1, 5)));
    let reader = RecordingReader::new(Arc::clone(&c));
    assert_eq!(reader.available("a"), 5);
    let log = reader.log();
    assert!(log.still_current(&c));
    c.apply(crate::views::testing::decision("r", "a", 2, 5, 1, 60_000));
    assert!(!log.still_current(&c));
    assert_eq!(reader.available("a"), 5, "the request keeps its first view");
    assert_eq!(RecordingReader::new(Arc::clone(&c)).available("a"), 3);
}

#[test]
fn scans_are_never_checkable() {
    let c = catalog();
    let reader = RecordingReader::new(Arc::clone(&c));
    reader.product("p");
    let _ = reader.scan();
    reader.price("a");
    let log = reader.log();
    assert!(!log.is_checkable());
    assert!(!log.still_current(&c));
}

/// Once found current, a log is trusted without record checks until the next change; the
/// clock still ends it when a hold it read ends.
#[test]
fn a_verified_log_is_rechecked_only_after_changes() {
    use std::sync::atomic::AtomicU64;
    let c = catalog();
    c.apply(Change::Inventory(stock("a", 1, 5)));
    c.apply(crate::views::testing::decision("r", "a", 2, 5, 1, 1_000));
    let reader = RecordingReader::new(Arc::clone(&c));
    reader.price("a");
    assert_eq!(reader.available("a"), 3);
    let log = reader.log();
    let verified = AtomicU64::new(u64::MAX);
    assert!(log.still_current_since(&c, &verified));
    assert_eq!(
        verified.load(std::sync::atomic::Ordering::Relaxed),
        c.changes()
    );
    assert!(log.still_current_since(&c, &verified), "no change since");
    c.apply(Change::Price(price("zzz", 1, 1, None)));
    assert!(
        log.still_current_since(&c, &verified),
        "rechecked: unrelated"
    );
    c.apply(Change::Price(price("a", 2, 5, None)));
    assert!(
        !log.still_current_since(&c, &verified),
        "a read record changed"
    );

    let reader = RecordingReader::new(Arc::clone(&c));
    assert_eq!(reader.available("a"), 5 - 2);
    let log = reader.log();
    let verified = AtomicU64::new(u64::MAX);
    assert!(log.still_current_since(&c, &verified));
    c.advance_clock(5_000); // the hold ends
    assert!(!log.still_current_since(&c, &verified));
}
