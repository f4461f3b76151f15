//! Writing snapshots of the views: to a temporary file, then renamed into place, so a reader
//! never sees half a snapshot; older ones beyond `keep` are removed. Vitrine's own are format
//! version 2, encoded and compressed on every core; baselines are version 1 JSON lines.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::format::{
    view_name, End, EndLine, Header, PartitionOffset, SnapshotError, FORMAT, FORMAT_VERSION,
    JSON_LINES_VERSION,
};
use super::frames;
use crate::clock::unix_ms;
use crate::events::binary::{self, BinaryError};
use crate::events::{intl, reservation};
use crate::views::{Catalog, ViewKind};

const PREFIX: &str = "vitrine-";
const SUFFIX: &str = ".snap.zst";

/// Snapshots in `dir`, newest first.
pub fn list_snapshots(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    found.sort();
    found.reverse();
    found
}

fn write_line(out: &mut impl Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// One record of a snapshot: the view, the key and the record as on the topic.
pub type SnapshotRecord = (ViewKind, String, Value);

fn header(offsets: Vec<PartitionOffset>, as_of_ms: Option<i64>, version: u32) -> Header {
    let now = unix_ms();
    let created_at = OffsetDateTime::from_unix_timestamp_nanos(now as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    Header {
        format: FORMAT.into(),
        format_version: version,
        created_at,
        created_at_ms: now,
        offsets,
        as_of_ms,
    }
}

/// Writes through a temporary file renamed into place once `write` succeeded and it is synced.
fn write_atomically<T>(
    target: &Path,
    write: impl FnOnce(&mut BufWriter<std::fs::File>) -> Result<T, SnapshotError>,
) -> Result<T, SnapshotError> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("snapshot");
    let temp = target.with_file_name(format!(".{name}.tmp"));
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&temp)?);
    let written = write(&mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&temp, target)?;
    Ok(written)
}

/// Writes `records` under `header` to `target` as version 1 JSON lines.
fn write_file(
    target: &Path,
    header: &Header,
    records: impl IntoIterator<Item = SnapshotRecord>,
) -> Result<u64, SnapshotError> {
    write_atomically(target, |out| write_lines(out, header, records))
}

fn write_lines(
    out: &mut BufWriter<std::fs::File>,
    header: &Header,
    records: impl IntoIterator<Item = SnapshotRecord>,
) -> Result<u64, SnapshotError> {
    let mut encoder = zstd::Encoder::new(out, 3)?;
    encoder.include_checksum(true)?;
    write_line(&mut encoder, header)?;
    let mut count = 0u64;
    for (kind, key, value) in records {
        write_line(&mut encoder, &(view_name(kind), key, value))?;
        count += 1;
    }
    write_line(
        &mut encoder,
        &EndLine {
            end: End {
                records: count,
                chunks: None,
                views: Default::default(),
            },
        },
    )?;
    encoder.finish()?;
    Ok(count)
}

/// Writes a baseline snapshot (no offsets, only the time it reflects), as a batch job
/// upstream would: consumption then resumes from the offsets Kafka gives for `as_of_ms`.
pub fn write_baseline(
    target: &Path,
    as_of_ms: i64,
    records: impl IntoIterator<Item = SnapshotRecord>,
) -> Result<u64, SnapshotError> {
    let header = header(vec![], Some(as_of_ms), JSON_LINES_VERSION);
    write_file(target, &header, records)
}

/// Writes a snapshot of `catalog` covering `offsets` into `dir`, keeping the newest `keep`.
///
/// `offsets` must be read before this is called: the catalog may then hold changes past them,
/// which a replay from `offsets` re-applies harmlessly under the version rule.
pub fn write_snapshot(
    dir: &Path,
    catalog: &Catalog,
    offsets: Vec<PartitionOffset>,
    keep: usize,
) -> Result<(PathBuf, u64), SnapshotError> {
    std::fs::create_dir_all(dir)?;
    let header = header(offsets, None, FORMAT_VERSION);
    let target = dir.join(format!("{PREFIX}{:013}{SUFFIX}", header.created_at_ms));
    // Copy the pointers first: no shard lock is held while encoding or writing.
    let views = Views {
        products: catalog.all_records(),
        prices: catalog.all_prices(),
        inventory: catalog.all_inventory(),
        others: json_records(catalog),
    };
    let count = write_atomically(&target, |out| views.write(out, &header))?;
    for old in list_snapshots(dir).into_iter().skip(keep.max(1)) {
        let _ = std::fs::remove_file(old);
    }
    Ok((target, count))
}

/// The few records kept as JSON in a version 2 snapshot: countries and decided holds.
fn json_records(catalog: &Catalog) -> Vec<SnapshotRecord> {
    let intl = catalog.all_intl();
    let countries = intl
        .iter()
        .map(|i| (ViewKind::Intl, i.country.clone(), intl::encode(i)));
    let lines = catalog.all_lines().into_iter().map(|line| {
        let record = reservation::decided(&line);
        (ViewKind::Reservations, line.sku, record)
    });
    countries.chain(lines).collect()
}

/// What a version 2 snapshot holds, as pointer copies.
struct Views {
    products: Vec<std::sync::Arc<crate::views::Product>>,
    prices: Vec<std::sync::Arc<crate::views::Price>>,
    inventory: Vec<std::sync::Arc<crate::views::Inventory>>,
    others: Vec<SnapshotRecord>,
}

/// One chunk's records, with how each is encoded.
type ChunkJob<'a> = Box<dyn Fn() -> Result<Vec<u8>, SnapshotError> + Send + Sync + 'a>;

fn job<'a, T: Sync>(
    records: &'a [T],
    append: fn(&T, &mut Vec<u8>) -> Result<(), BinaryError>,
) -> impl Iterator<Item = ChunkJob<'a>> {
    records
        .chunks(frames::CHUNK_RECORDS)
        .map(move |chunk| Box::new(move || frames::chunk_frame(chunk, append)) as ChunkJob<'a>)
}

impl Views {
    /// Header frame, the chunks (compressed a wave at a time on every core, written in order,
    /// so at most two chunks per core are held), end frame.
    fn write(&self, out: &mut impl Write, header: &Header) -> Result<u64, SnapshotError> {
        let jobs: Vec<ChunkJob<'_>> = job(&self.products, |p, out| binary::append_product(p, out))
            .chain(job(&self.prices, |p, out| binary::append_price(p, out)))
            .chain(job(&self.inventory, |i, out| {
                binary::append_inventory(i, out)
            }))
            .chain(job(&self.others, |(kind, key, value), out| {
                binary::append_json(*kind, key, value, out)
            }))
            .collect();
        out.write_all(&frames::line_frame(header)?)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for wave in jobs.chunks(threads * 2) {
            let compressed: Vec<Result<Vec<u8>, SnapshotError>> = std::thread::scope(|scope| {
                let running: Vec<_> = wave.iter().map(|job| scope.spawn(job)).collect();
                running
                    .into_iter()
                    .map(|r| r.join().unwrap_or_else(|_| Err(encoding_failed())))
                    .collect()
            });
            for frame in compressed {
                out.write_all(&frame?)?;
            }
        }
        let mut views = std::collections::BTreeMap::new();
        views.insert(
            view_name(ViewKind::Products).into(),
            self.products.len() as u64,
        );
        views.insert(view_name(ViewKind::Prices).into(), self.prices.len() as u64);
        views.insert(
            view_name(ViewKind::Inventory).into(),
            self.inventory.len() as u64,
        );
        for (kind, _, _) in &self.others {
            *views.entry(view_name(*kind).into()).or_insert(0) += 1;
        }
        let records = views.values().sum();
        out.write_all(&frames::end_frame(views, jobs.len() as u64)?)?;
        Ok(records)
    }
}

fn encoding_failed() -> SnapshotError {
    SnapshotError::BadLine {
        line: 0,
        reason: "an encoding thread failed".into(),
    }
}
