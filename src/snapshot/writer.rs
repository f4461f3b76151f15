//! Writing snapshots of the views: to a temporary file, then renamed into place, so a reader
//! never sees half a snapshot; older ones beyond `keep` are removed. Vitrine's own are format
//! version 2, encoded and compressed on every core; baselines are version 1 JSON lines.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::format::{
    self, view_name, End, EndLine, Header, PartitionOffset, SnapshotError, FORMAT, FORMAT_VERSION,
    JSON_LINES_VERSION, SECTIONS_VERSION,
};
use super::frames;
use super::sections::{self, Records, Section};
use crate::clock::unix_ms;
use crate::events::binary::{self, BinaryError};
use crate::events::TopicMap;
use crate::views::storefronts::Storefronts;
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
        sections: vec![],
        schemas: vec![],
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

/// Writes a snapshot of `catalog` (one storefront) covering `offsets` into `dir`, keeping the
/// newest `keep`.
///
/// `offsets` must be read before this is called: the catalog may then hold changes past them,
/// which a replay from `offsets` re-applies harmlessly under the version rule.
pub fn write_snapshot(
    dir: &Path,
    catalog: &Catalog,
    offsets: Vec<PartitionOffset>,
    keep: usize,
) -> Result<(PathBuf, u64), SnapshotError> {
    write_sections(dir, sections::of_catalog(catalog), offsets, keep, vec![])
}

/// Writes a snapshot of several storefronts (each shared part once, tagged with its topic).
pub fn write_storefronts(
    dir: &Path,
    fronts: &Storefronts,
    topics: &TopicMap,
    offsets: Vec<PartitionOffset>,
    keep: usize,
) -> Result<(PathBuf, u64), SnapshotError> {
    write_sections(
        dir,
        sections::of_storefronts(fronts, topics),
        offsets,
        keep,
        vec![],
    )
}

/// Writes a snapshot of every storefront (one: as [`write_snapshot`]; several: as
/// [`write_storefronts`]) with the writer schemas the binary topics were decoded with.
pub fn write_views(
    dir: &Path,
    fronts: &Storefronts,
    topics: &TopicMap,
    offsets: Vec<PartitionOffset>,
    keep: usize,
    schemas: Vec<crate::registry::CachedSchema>,
) -> Result<(PathBuf, u64), SnapshotError> {
    let sections = match fronts.len() {
        1 => sections::of_catalog(&fronts.default_front().catalog),
        _ => sections::of_storefronts(fronts, topics),
    };
    write_sections(dir, sections, offsets, keep, schemas)
}

/// Writes `sections` (tagged ones as version 3, which builds reading only version 2 refuse).
fn write_sections(
    dir: &Path,
    sections: Vec<Section>,
    offsets: Vec<PartitionOffset>,
    keep: usize,
    schemas: Vec<crate::registry::CachedSchema>,
) -> Result<(PathBuf, u64), SnapshotError> {
    std::fs::create_dir_all(dir)?;
    let tagged = sections.iter().any(|s| !s.topic.is_empty());
    let version = if tagged {
        SECTIONS_VERSION
    } else {
        FORMAT_VERSION
    };
    let mut header = header(offsets, None, version);
    header.schemas = schemas;
    let target = dir.join(format!("{PREFIX}{:013}{SUFFIX}", header.created_at_ms));
    let count = write_atomically(&target, |out| write_chunks(out, &mut header, &sections))?;
    for old in list_snapshots(dir).into_iter().skip(keep.max(1)) {
        let _ = std::fs::remove_file(old);
    }
    Ok((target, count))
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

fn jobs(records: &Records) -> Vec<ChunkJob<'_>> {
    match records {
        Records::Products(r) => job(r, |p, out| binary::append_product(p, out)).collect(),
        Records::Prices(r) => job(r, |p, out| binary::append_price(p, out)).collect(),
        Records::Inventory(r) => job(r, |i, out| binary::append_inventory(i, out)).collect(),
        Records::Json(r) => job(r, |(kind, key, value), out| {
            binary::append_json(*kind, key, value, out)
        })
        .collect(),
    }
}

/// Header frame (with the sections' chunk counts when tagged), the chunks (compressed a wave
/// at a time on every core, written in order, so at most two chunks per core are held), end
/// frame.
fn write_chunks(
    out: &mut impl Write,
    header: &mut Header,
    sections: &[Section],
) -> Result<u64, SnapshotError> {
    let per_section: Vec<Vec<ChunkJob<'_>>> = sections.iter().map(|s| jobs(&s.records)).collect();
    if header.format_version == SECTIONS_VERSION {
        header.sections = sections
            .iter()
            .zip(&per_section)
            .map(|(s, jobs)| format::Section {
                topic: s.topic.clone(),
                chunks: jobs.len() as u64,
            })
            .collect();
    }
    let jobs: Vec<ChunkJob<'_>> = per_section.into_iter().flatten().collect();
    out.write_all(&frames::line_frame(&*header)?)?;
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
    for section in sections {
        let kind = match &section.records {
            Records::Products(_) => Some(ViewKind::Products),
            Records::Prices(_) => Some(ViewKind::Prices),
            Records::Inventory(_) => Some(ViewKind::Inventory),
            Records::Json(_) => None,
        };
        match (kind, &section.records) {
            (Some(kind), records) => {
                *views.entry(view_name(kind).into()).or_insert(0) += records.len() as u64;
            }
            (None, Records::Json(records)) => {
                for (kind, _, _) in records {
                    *views.entry(view_name(*kind).into()).or_insert(0) += 1;
                }
            }
            (None, _) => {}
        }
    }
    let records = views.values().sum();
    out.write_all(&frames::end_frame(views, jobs.len() as u64)?)?;
    Ok(records)
}

fn encoding_failed() -> SnapshotError {
    SnapshotError::BadLine {
        line: 0,
        reason: "an encoding thread failed".into(),
    }
}
