//! Writing snapshots of the views: to a temporary file, then renamed into place, so a reader
//! never sees half a snapshot; older ones beyond `keep` are removed.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::format::{
    view_name, End, EndLine, Header, PartitionOffset, SnapshotError, FORMAT, FORMAT_VERSION,
};
use crate::clock::unix_ms;
use crate::events::{intl, inventory, price, product, reservation};
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

fn header(offsets: Vec<PartitionOffset>, as_of_ms: Option<i64>) -> Header {
    let now = unix_ms();
    let created_at = OffsetDateTime::from_unix_timestamp_nanos(now as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        created_at,
        created_at_ms: now,
        offsets,
        as_of_ms,
    }
}

/// Writes `records` under `header` to `target`, through a temporary file and a rename.
fn write_file(
    target: &Path,
    header: &Header,
    records: impl IntoIterator<Item = SnapshotRecord>,
) -> Result<u64, SnapshotError> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("snapshot");
    let temp = target.with_file_name(format!(".{name}.tmp"));
    let file = std::fs::File::create(&temp)?;
    let mut encoder = zstd::Encoder::new(BufWriter::with_capacity(1 << 20, file), 3)?;
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
            end: End { records: count },
        },
    )?;
    let file = encoder.finish()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&temp, target)?;
    Ok(count)
}

/// Writes a baseline snapshot (no offsets, only the time it reflects), as a batch job
/// upstream would: consumption then resumes from the offsets Kafka gives for `as_of_ms`.
pub fn write_baseline(
    target: &Path,
    as_of_ms: i64,
    records: impl IntoIterator<Item = SnapshotRecord>,
) -> Result<u64, SnapshotError> {
    write_file(target, &header(vec![], Some(as_of_ms)), records)
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
    let header = header(offsets, None);
    let target = dir.join(format!("{PREFIX}{:013}{SUFFIX}", header.created_at_ms));
    // Copy the pointers first: no shard lock is held while writing to disk.
    let products = catalog.all_products();
    let prices = catalog.all_prices();
    let inventory = catalog.all_inventory();
    let intl = catalog.all_intl();
    let holds = catalog.all_holds();
    let records = products
        .iter()
        .map(|p| (ViewKind::Products, p.id.clone(), product::encode(p)))
        .chain(
            prices
                .iter()
                .map(|p| (ViewKind::Prices, p.sku.clone(), price::encode(p))),
        )
        .chain(
            inventory
                .iter()
                .map(|i| (ViewKind::Inventory, i.sku.clone(), inventory::encode(i))),
        )
        .chain(
            intl.iter()
                .map(|i| (ViewKind::Intl, i.country.clone(), intl::encode(i))),
        )
        .chain(holds.iter().flat_map(|h| {
            h.lines.iter().map(|line| {
                let record = reservation::decided(line);
                (ViewKind::Reservations, line.sku.clone(), record)
            })
        }));
    let count = write_file(&target, &header, records)?;
    for old in list_snapshots(dir).into_iter().skip(keep.max(1)) {
        let _ = std::fs::remove_file(old);
    }
    Ok((target, count))
}
