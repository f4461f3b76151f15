//! Snapshots: a view's state as a zstd-compressed stream of event records with a header naming
//! the Kafka offsets (or only the time) it covers. Start-up from the newest usable one
//! ([`bootstrap`]), read from a file or an http(s) URL, streamed; written by Vitrine itself,
//! atomically, keeping the last few, on a [`schedule`]. See `docs/snapshots.md`.

pub mod bootstrap;
pub mod format;
mod frames;
pub mod reader;
pub mod schedule;
mod sections;
pub mod writer;

pub use bootstrap::bootstrap;
pub use format::{Header, PartitionOffset, SnapshotError};
pub use reader::{load, load_from, HttpTimeouts, LoadReport, Source};
pub use schedule::SnapshotSchedule;
pub use writer::{
    list_snapshots, write_baseline, write_snapshot, write_storefronts, SnapshotRecord,
};

#[cfg(test)]
mod safety_tests;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::demo::load_baseline;
    use crate::ingest::Applier;
    use crate::status::{IngestStats, Progress};
    use crate::views::Catalog;

    fn applier() -> Applier {
        Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()))
    }

    fn load_file(path: std::path::PathBuf, applier: &Applier) -> Result<LoadReport, SnapshotError> {
        load(
            &Source::File(path),
            applier,
            &Progress::new(),
            &|_| Ok(()),
            HttpTimeouts::default(),
        )
    }

    fn same_views(a: &Catalog, b: &Catalog) {
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let dump = |c: &Catalog| {
            (
                sorted(c.all_products().iter().map(|p| format!("{p:?}")).collect()),
                sorted(c.all_prices().iter().map(|p| format!("{p:?}")).collect()),
                sorted(c.all_inventory().iter().map(|p| format!("{p:?}")).collect()),
                sorted(c.all_intl().iter().map(|p| format!("{p:?}")).collect()),
            )
        };
        assert!(dump(a) == dump(b), "views differ");
    }

    #[test]
    fn a_snapshot_round_trips_the_views_and_its_offsets() {
        let dir = std::env::temp_dir().join(format!("vitrine-snap-{}", std::process::id()));
        let original = applier();
        load_baseline(&original, 9, 40);
        let offsets = vec![PartitionOffset {
            topic: "vitrine.prices".into(),
            partition: 2,
            next: 77,
        }];
        let (path, written) = write_snapshot(&dir, original.catalog(), offsets.clone(), 2).unwrap();
        let copy = applier();
        let report = load_file(path.clone(), &copy).unwrap();
        assert_eq!(report.records, written);
        assert_eq!(report.header.offsets, offsets);
        same_views(original.catalog(), copy.catalog());

        // Truncated or corrupted: refused with a reason, never a panic.
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.join("cut.snap.zst");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        assert!(load_file(cut, &applier()).is_err());
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x55;
        let bad = dir.join("bad.snap.zst");
        std::fs::write(&bad, &flipped).unwrap();
        assert!(load_file(bad, &applier()).is_err());
        assert!(load_file(dir.join("absent"), &applier()).is_err());

        // Retention keeps the newest `keep`.
        std::thread::sleep(std::time::Duration::from_millis(5));
        write_snapshot(&dir, original.catalog(), vec![], 2).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let (newest, _) = write_snapshot(&dir, original.catalog(), vec![], 2).unwrap();
        let kept = list_snapshots(&dir);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0], newest);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Many chunks, decoded on every core, give the same views; a chunk left out, or a
    /// version this build does not know, is refused before anything is applied.
    #[test]
    fn a_snapshot_of_many_chunks_round_trips_and_a_missing_chunk_is_refused() {
        let dir = std::env::temp_dir().join(format!("vitrine-chunks-{}", std::process::id()));
        let original = applier();
        load_baseline(&original, 3, 4_000);
        let (path, written) = write_snapshot(&dir, original.catalog(), vec![], 1).unwrap();
        assert!(
            written > 2 * frames::CHUNK_RECORDS as u64,
            "{written} records"
        );
        let copy = applier();
        assert_eq!(load_file(path.clone(), &copy).unwrap().records, written);
        same_views(original.catalog(), copy.catalog());

        let bytes = std::fs::read(&path).unwrap();
        let parts = frames::split(&bytes).unwrap();
        assert!(parts.len() > 4, "header, chunks, end");
        let without: Vec<u8> = parts
            .iter()
            .enumerate()
            .filter(|(n, _)| *n != 2)
            .flat_map(|(_, f)| f.iter().copied())
            .collect();
        let untouched = applier();
        let result = load_from(&without, &untouched, &Progress::new());
        assert!(
            matches!(result, Err(SnapshotError::Truncated { .. })),
            "{result:?}"
        );
        assert!(untouched.catalog().is_empty());

        let mut header: Header = frames::read_line(parts[0]).unwrap();
        header.format_version = 4;
        let mut future = frames::line_frame(&header).unwrap();
        future.extend(parts[1..].iter().flat_map(|f| f.iter().copied()));
        let result = load_from(&future, &applier(), &Progress::new());
        assert!(
            matches!(&result, Err(SnapshotError::BadHeader(why)) if why.contains("version 4")),
            "{result:?}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// An end line whose per-view counts are absurd (they only size the maps before the load)
    /// cannot take the process down: the sizes are capped by the records the snapshot holds,
    /// and the snapshot loads as any other.
    #[test]
    fn absurd_view_counts_in_the_end_line_are_capped_by_the_records() {
        use super::format::{End, EndLine};
        let dir = std::env::temp_dir().join(format!("vitrine-counts-{}", std::process::id()));
        let original = applier();
        load_baseline(&original, 2, 100);
        let (path, written) = write_snapshot(&dir, original.catalog(), vec![], 1).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let parts = frames::split(&bytes).unwrap();
        let end: EndLine = frames::read_line(parts[parts.len() - 1]).unwrap();
        let mut views = end.end.views.clone();
        views.insert("products".into(), 10_000_000_000_000);
        views.insert("prices".into(), u64::MAX / 2);
        let hostile = frames::line_frame(&EndLine {
            end: End { views, ..end.end },
        })
        .unwrap();
        let mut forged: Vec<u8> = parts[..parts.len() - 1].concat();
        forged.extend(hostile);
        let copy = applier();
        let loaded = load_from(&forged, &copy, &Progress::new()).unwrap();
        assert_eq!(loaded.records, written);
        same_views(original.catalog(), copy.catalog());
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A chunk whose checksum holds but whose second record is not one (a writer's bug, or a
    /// layout change without a new version) is refused before its first record is applied.
    #[test]
    fn a_malformed_binary_record_is_refused_before_anything_is_applied() {
        let mut raw = 2u32.to_le_bytes().to_vec();
        let stock = crate::views::testing::stock("a", 1, 3);
        crate::events::binary::append_inventory(&stock, &mut raw).unwrap();
        raw.extend_from_slice(&[7, 7, 7]);
        let header =
            r#"{"format":"vitrine.snapshot","formatVersion":2,"createdAt":"x","createdAtMs":1}"#;
        let header: Header = serde_json::from_str(header).unwrap();
        let chunk = zstd::bulk::compress(&raw, 1).unwrap();
        let mut views = std::collections::BTreeMap::new();
        views.insert("inventory".to_string(), 2);
        let snapshot = [
            frames::line_frame(&header).unwrap(),
            chunk,
            frames::end_frame(views, 1).unwrap(),
        ]
        .concat();
        let untouched = applier();
        let result = load_from(&snapshot, &untouched, &Progress::new());
        assert!(
            matches!(&result, Err(SnapshotError::BadLine { reason, .. }) if reason.contains("binary")),
            "{result:?}"
        );
        assert!(untouched.catalog().is_empty());
    }

    /// A snapshot whose line never ends is refused once the line passes the bound, instead of
    /// being buffered whole.
    #[test]
    fn an_endless_line_is_refused() {
        let header =
            r#"{"format":"vitrine.snapshot","formatVersion":1,"createdAt":"x","createdAtMs":1}"#;
        let mut text = format!("{header}\n").into_bytes();
        text.extend(std::iter::repeat_n(b'[', (16 << 20) + 10));
        let compressed = zstd::encode_all(text.as_slice(), 1).unwrap();
        let result = load_from(compressed.as_slice(), &applier(), &Progress::new());
        assert!(
            matches!(&result, Err(SnapshotError::BadLine { reason, .. }) if reason.contains("longer than")),
            "{result:?}"
        );
    }
}
