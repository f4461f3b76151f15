//! Any snapshot content (compressed here, so the reader sees a valid zstd frame holding
//! arbitrary lines): loading it never panics and either succeeds or says why it failed.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vitrine::ingest::Applier;
use vitrine::snapshot::load_from;
use vitrine::status::{IngestStats, Progress};
use vitrine::views::Catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(compressed) = zstd::encode_all(data, 1) else {
        return;
    };
    let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
    let _ = load_from(compressed.as_slice(), &applier, &Progress::new());
    // Raw bytes straight into the decoder too (corrupt or truncated frames).
    let _ = load_from(data, &applier, &Progress::new());
});
