//! Snapshot safety: nothing of a snapshot is applied unless all of it verifies, offsets outside
//! today's logs are refused, and a stalled HTTP source fails instead of hanging start-up.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use super::bootstrap::check_offsets;
use super::*;
use crate::ingest::{Applier, Watermarks};
use crate::status::{IngestStats, Progress};
use crate::views::{Catalog, ViewKind};

fn applier() -> Applier {
    Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()))
}

const HEADER: &str =
    r#"{"format":"vitrine.snapshot","formatVersion":1,"createdAt":"x","createdAtMs":1}"#;

fn text(end_count: u64) -> String {
    format!(
        "{HEADER}\n{}\n{}\n{{\"end\":{{\"records\":{end_count}}}}}\n",
        r#"["prices","s1",{"sku":"s1","version":1,"currency":"USD","list":1000}]"#,
        r#"["inventory","s1",{"sku":"s1","version":1,"available":3}]"#,
    )
}

fn compressed(text: &str) -> Vec<u8> {
    let mut encoder = zstd::Encoder::new(Vec::new(), 1).unwrap();
    encoder.include_checksum(true).unwrap();
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_good_snapshot_loads() {
    let a = applier();
    let report = load_from(&compressed(&text(2)), &a, &Progress::new()).unwrap();
    assert_eq!(report.records, 2);
    assert_eq!(a.catalog().len(ViewKind::Prices), 1);
}

#[test]
fn records_that_parse_are_not_applied_when_the_count_is_wrong() {
    let a = applier();
    let result = load_from(&compressed(&text(3)), &a, &Progress::new());
    assert!(
        matches!(result, Err(SnapshotError::CountMismatch { .. })),
        "{result:?}"
    );
    assert_eq!(a.catalog().len(ViewKind::Prices), 0, "nothing applied");
    assert_eq!(a.catalog().len(ViewKind::Inventory), 0, "nothing applied");
}

#[test]
fn records_that_parse_are_not_applied_when_the_checksum_is_wrong() {
    let mut bytes = compressed(&text(2));
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff; // the frame's content checksum
    let a = applier();
    assert!(load_from(&bytes, &a, &Progress::new()).is_err());
    assert_eq!(a.catalog().len(ViewKind::Prices), 0, "nothing applied");
}

fn header(offsets: &[(&str, i32, i64)]) -> Header {
    let mut h: Header = serde_json::from_str(HEADER).unwrap();
    h.offsets = offsets
        .iter()
        .map(|(t, p, next)| PartitionOffset {
            topic: t.to_string(),
            partition: *p,
            next: *next,
        })
        .collect();
    h
}

#[test]
fn offsets_outside_the_logs_are_refused() {
    let watermarks: Watermarks = [(("prices".to_string(), 0), (10, 50))]
        .into_iter()
        .collect();
    assert!(check_offsets(&header(&[("prices", 0, 10)]), &watermarks).is_ok());
    assert!(check_offsets(&header(&[("prices", 0, 50)]), &watermarks).is_ok());
    let above = check_offsets(&header(&[("prices", 0, 51)]), &watermarks);
    assert!(
        matches!(
            above,
            Err(SnapshotError::OffsetOutOfRange {
                next: 51,
                high: 50,
                ..
            })
        ),
        "{above:?}"
    );
    let below = check_offsets(&header(&[("prices", 0, 9)]), &watermarks);
    assert!(
        matches!(
            below,
            Err(SnapshotError::OffsetOutOfRange {
                next: 9,
                low: 10,
                ..
            })
        ),
        "{below:?}"
    );
    let unknown = check_offsets(&header(&[("prices", 7, 0)]), &watermarks);
    assert!(
        matches!(unknown, Err(SnapshotError::UnknownPartition { .. })),
        "{unknown:?}"
    );
}

#[test]
fn the_header_check_runs_before_anything_is_applied() {
    let dir = std::env::temp_dir().join(format!("vitrine-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.snap.zst");
    std::fs::write(&path, compressed(&text(2))).unwrap();
    let a = applier();
    let refuse = |_: &Header| Err(SnapshotError::BadHeader("refused".into()));
    let result = load(
        &Source::File(path),
        &a,
        &Progress::new(),
        &refuse,
        HttpTimeouts::default(),
    );
    assert!(result.is_err());
    assert_eq!(a.catalog().len(ViewKind::Prices), 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// A server that sends the headers and a few bytes, then stalls.
fn stalling_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut socket, _)) = listener.accept() {
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request);
            let _ =
                socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n(\xb5/\xfd");
            std::thread::sleep(Duration::from_secs(30));
        }
    });
    format!("http://{address}/baseline.snap.zst")
}

#[test]
fn a_stalled_download_fails_instead_of_hanging() {
    let url = stalling_server();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let timeouts = HttpTimeouts {
            connect: Duration::from_millis(500),
            read: Duration::from_millis(300),
        };
        let a = applier();
        let result = load(
            &Source::Url(url),
            &a,
            &Progress::new(),
            &|_| Ok(()),
            timeouts,
        );
        let _ = done.send(result.map(|r| r.records));
    });
    // A bound on a hang, not a measurement: the read timeout is 0.3 s.
    let result = finished
        .recv_timeout(Duration::from_secs(20))
        .expect("the load gave up on the stalled server");
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn holds_survive_a_snapshot() {
    use crate::events::reservation::{decision, release};
    use crate::views::holds::HoldRequest;
    let dir = std::env::temp_dir().join(format!("vitrine-holds-{}", std::process::id()));
    let a = applier();
    let origin = |offset| crate::ingest::Origin {
        topic: "t",
        partition: 0,
        offset,
        timestamp_ms: Some(1_000),
    };
    let put = |kind, key: &str, value: serde_json::Value, offset| {
        let bytes = value.to_string().into_bytes();
        a.apply_record(kind, Some(key.as_bytes()), Some(&bytes), origin(offset));
    };
    let request = |id: &str| HoldRequest {
        id: id.into(),
        sku: "s".into(),
        quantity: 3,
        ttl_ms: 60_000,
        client: "c".into(),
        lines: 1,
    };
    put(
        ViewKind::Inventory,
        "s",
        serde_json::json!({"sku": "s", "version": 1, "available": 5}),
        0,
    );
    let decided = |id, offset: i64| decision(&request(id), 5, 1_000 + offset, 0, 100);
    put(ViewKind::Reservations, "s", decided("r1", 1), 1);
    put(ViewKind::Reservations, "s", decided("r2", 2), 2);
    put(ViewKind::Reservations, "s", decided("r3", 3), 3);
    put(ViewKind::Reservations, "s", release("r1", "s"), 4);
    let (path, _) = write_snapshot(&dir, a.catalog(), vec![], 1).unwrap();
    let b = applier();
    load(
        &Source::File(path),
        &b,
        &Progress::new(),
        &|_| Ok(()),
        HttpTimeouts::default(),
    )
    .unwrap();
    assert_eq!(a.catalog().holds("s"), b.catalog().holds("s"));
    assert_eq!(a.catalog().all_lines(), b.catalog().all_lines());
    for id in ["r1", "r2", "r3"] {
        assert_eq!(
            a.catalog().reservation(id),
            b.catalog().reservation(id),
            "{id}"
        );
    }
    use crate::views::StockAndPrices;
    assert_eq!(
        b.catalog().available("s"),
        3,
        "r2 holds 2 of 5, r3 nothing (decided while r1 held 3), r1 released"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Spam reservations fill the snapshot with remembered lines; once their holds are over and
/// each partition's clock moved past the remember window, a snapshot is back to its size
/// before the spam (the holds' part of `views::holds` spam test, measured in bytes).
#[test]
fn a_snapshot_shrinks_back_after_spam_is_forgotten() {
    use crate::views::holds::ReservationEvent;
    use crate::views::testing::{decision, stock};
    use crate::views::Change;
    let dir = std::env::temp_dir().join(format!("vitrine-spam-{}", std::process::id()));
    let a = applier();
    let catalog = a.catalog();
    for i in 0..1_000 {
        catalog.apply(Change::Inventory(stock(&format!("s{i}"), 1, 2)));
    }
    let size = |catalog| {
        let (path, _) = write_snapshot(&dir, catalog, vec![], 1).unwrap();
        std::fs::metadata(path).unwrap().len()
    };
    let before = size(catalog);
    for n in 0..20_000i64 {
        let sku = format!("s{}", n * 7919 % 1_000);
        catalog.apply(decision(&format!("spam-{n}"), &sku, 1, 2, n, 1_000));
    }
    let full = size(catalog);
    catalog.apply(Change::Reservation(ReservationEvent::Tick {
        partition: 0,
        forget_before_ms: 60_000,
    }));
    let after = size(catalog);
    assert!(full > before * 5, "{before} -> {full}");
    // (The header's creation time is in the bytes: a few bytes either way.)
    assert!(
        after.abs_diff(before) < 64,
        "every remembered line forgotten: {before} -> {full} -> {after}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
