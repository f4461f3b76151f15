//! Any Kafka message, on any view's topic: decoding and applying it never panics, and a
//! message that fails to decode leaves the views as they were.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vitrine::ingest::{Applier, Origin};
use vitrine::status::IngestStats;
use vitrine::views::{Catalog, ViewKind};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let kind = ViewKind::ALL[usize::from(selector) % ViewKind::ALL.len()];
    // key \0 payload; no \0 at all: a tombstone for that key.
    let (key, payload) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
    let origin = Origin {
        topic: "fuzz",
        partition: 0,
        offset: 0,
        timestamp_ms: None,
    };
    let applied = applier.apply_record(kind, Some(key), payload, origin);
    if applied.is_none() {
        assert_eq!(
            applier.catalog().len(kind),
            0,
            "a malformed message changed the views"
        );
    }
    // Applying it twice is idempotent (the version rule).
    applier.apply_record(kind, Some(key), payload, origin);
});
