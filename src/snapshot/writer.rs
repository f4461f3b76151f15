//! Writing snapshots of the views: to a temporary file, then renamed into place, so a reader
//! never sees half a snapshot; older ones beyond `keep` are removed.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::format::{
    view_name, End, EndLine, Header, PartitionOffset, SnapshotError, FORMAT, FORMAT_VERSION,
};
use crate::ingest::encode;
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
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let created_at = OffsetDateTime::from_unix_timestamp_nanos(now as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let name = format!("{PREFIX}{now:013}{SUFFIX}");
    let target = dir.join(&name);
    let temp = dir.join(format!(".{name}.tmp"));
    let file = std::fs::File::create(&temp)?;
    let mut encoder = zstd::Encoder::new(BufWriter::with_capacity(1 << 20, file), 3)?;
    encoder.include_checksum(true)?;
    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        created_at,
        created_at_ms: now,
        offsets,
        as_of_ms: None,
    };
    write_line(&mut encoder, &header)?;
    let mut records = 0u64;
    for kind in ViewKind::ALL {
        // Copy the pointers first: no shard lock is held while writing to disk.
        let values: Vec<(String, Value)> = match kind {
            ViewKind::Products => collect(catalog.all_products(), |p| {
                (p.id.clone(), encode::product(&p))
            }),
            ViewKind::Prices => {
                collect(catalog.all_prices(), |p| (p.sku.clone(), encode::price(&p)))
            }
            ViewKind::Inventory => collect(catalog.all_inventory(), |i| {
                (i.sku.clone(), encode::inventory(&i))
            }),
            ViewKind::Intl => collect(catalog.all_intl(), |i| {
                (i.country.clone(), encode::intl(&i))
            }),
        };
        for (key, value) in values {
            write_line(&mut encoder, &(view_name(kind), key, value))?;
            records += 1;
        }
    }
    write_line(
        &mut encoder,
        &EndLine {
            end: End { records },
        },
    )?;
    let file = encoder.finish()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&temp, &target)?;
    for old in list_snapshots(dir).into_iter().skip(keep.max(1)) {
        let _ = std::fs::remove_file(old);
    }
    Ok((target, records))
}

fn collect<T>(
    items: Vec<Arc<T>>,
    encode: impl Fn(Arc<T>) -> (String, Value),
) -> Vec<(String, Value)> {
    items.into_iter().map(encode).collect()
}
