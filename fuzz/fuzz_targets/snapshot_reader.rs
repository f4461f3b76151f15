//! Any snapshot content (compressed here, so the reader sees a valid zstd frame holding
//! arbitrary lines), and any bytes as the one chunk of a version 2 snapshot (binary records):
//! loading it never panics and either succeeds or says why it failed.
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
    // The bytes as a version 2 chunk, its record count (first four bytes) agreeing with the end.
    let count = data
        .get(..4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let header = b"{\"format\":\"vitrine.snapshot\",\"formatVersion\":2,\"createdAt\":\"x\",\"createdAtMs\":1}\n";
    let end = format!("{{\"end\":{{\"records\":{count},\"chunks\":1}}}}\n");
    let frames = [&header[..], data, end.as_bytes()].map(|part| zstd::bulk::compress(part, 1));
    if let [Ok(header), Ok(chunk), Ok(end)] = frames {
        let _ = load_from(&[header, chunk, end].concat(), &applier, &Progress::new());
    }
});
