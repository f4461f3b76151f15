//! Loading a snapshot: from a file or an http(s) URL (downloaded first, with timeouts), verified
//! whole through zstd, then each record applied through the same decode-and-apply path as the
//! topics.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use super::format::{
    view_kind, EndLine, Header, SnapshotError, FORMAT, FORMAT_VERSION, JSON_LINES_VERSION,
    SECTIONS_VERSION,
};
use super::frames;
use crate::ingest::{Applier, Origin};
use crate::status::Progress;
use crate::views::ViewKind;

/// Where to read a snapshot from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    /// An http(s) URL, e.g. an S3 presigned URL.
    Url(String),
}

impl Source {
    pub fn parse(text: &str) -> Self {
        if text.starts_with("http://") || text.starts_with("https://") {
            Source::Url(text.to_string())
        } else {
            Source::File(PathBuf::from(text))
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            // Presigned URLs carry credentials in the query: keep it out of logs.
            Source::Url(url) => write!(f, "{}", url.split('?').next().unwrap_or(url)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadReport {
    pub header: Header,
    pub records: u64,
    pub elapsed: Duration,
}

/// Bounds on fetching an http(s) snapshot source: a stalled server fails the load (and
/// start-up falls back) instead of hanging it.
#[derive(Debug, Clone, Copy)]
pub struct HttpTimeouts {
    pub connect: Duration,
    /// Longest wait for the response headers, and for each read of the body.
    pub read: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
        }
    }
}

/// Copies an http(s) snapshot into a local file, so it can be verified before any record is
/// applied and then read again to apply it.
fn download(url: &str, timeouts: HttpTimeouts) -> Result<TempFile, SnapshotError> {
    // The blocking client applies `timeout` to sending the request and to each body read.
    let client = reqwest::blocking::Client::builder()
        .timeout(timeouts.read)
        .connect_timeout(timeouts.connect)
        .build()?;
    let mut response = client.get(url).send()?.error_for_status()?;
    let file = TempFile::new()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file.0)?);
    std::io::copy(&mut response, &mut out)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(file)
}

/// A downloaded snapshot, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new() -> std::io::Result<Self> {
        let name = format!(
            "vitrine-download-{}-{}.snap.zst",
            std::process::id(),
            crate::clock::since_epoch().as_nanos()
        );
        Ok(Self(std::env::temp_dir().join(name)))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Longest line (one record) a snapshot may hold: a hostile or corrupt snapshot with no line
/// breaks cannot make the reader buffer without bound.
const MAX_LINE_BYTES: u64 = 16 << 20;

/// Reads one line into `line` (cleared by the caller), refusing lines over `MAX_LINE_BYTES`.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> Result<usize, SnapshotError> {
    let read = reader.take(MAX_LINE_BYTES + 1).read_until(b'\n', line)?;
    if read as u64 > MAX_LINE_BYTES {
        return Err(SnapshotError::BadLine {
            line: 0,
            reason: format!("a line is longer than {MAX_LINE_BYTES} bytes"),
        });
    }
    Ok(read)
}

/// A check of a snapshot's header before anything else is read (e.g. its offsets against the
/// topics' watermarks).
pub type HeaderCheck<'a> = &'a dyn Fn(&Header) -> Result<(), SnapshotError>;

/// Loads a snapshot into the views via `applier`, reporting records loaded to `progress`.
/// Nothing is applied until the whole snapshot has been verified (header, `check`, every
/// line's shape, the record count and zstd's checksum): a corrupt snapshot leaves the views
/// untouched. Blocking: run it on a thread of its own.
pub fn load(
    source: &Source,
    applier: &Applier,
    progress: &Progress,
    check: HeaderCheck<'_>,
    timeouts: HttpTimeouts,
) -> Result<LoadReport, SnapshotError> {
    let downloaded;
    let path = match source {
        Source::File(path) => path,
        Source::Url(url) => {
            downloaded = download(url, timeouts)?;
            &downloaded.0
        }
    };
    verify_then_apply(|| std::fs::File::open(path), check, applier, progress)
}

/// [`load`] from snapshot bytes in memory (zstd-compressed), with no header check.
pub fn load_from(
    compressed: &[u8],
    applier: &Applier,
    progress: &Progress,
) -> Result<LoadReport, SnapshotError> {
    verify_then_apply(|| Ok(compressed), &|_| Ok(()), applier, progress)
}

/// Reads the snapshot `open` gives twice: once to verify all of it, then to apply it.
fn verify_then_apply<R: Read>(
    open: impl Fn() -> std::io::Result<R>,
    check: HeaderCheck<'_>,
    applier: &Applier,
    progress: &Progress,
) -> Result<LoadReport, SnapshotError> {
    let started = Instant::now();
    let version = read_header(open()?)?.format_version;
    let (header, records) = if [FORMAT_VERSION, SECTIONS_VERSION].contains(&version) {
        let mut bytes = Vec::new();
        open()?.read_to_end(&mut bytes)?;
        load_chunks(&bytes, check, applier, progress)?
    } else {
        scan(open()?, check, |_| Ok(()))?;
        scan(open()?, &|_| Ok(()), |record| {
            apply(applier, progress, record);
            Ok(())
        })?
    };
    progress.bootstrap_loaded(records);
    Ok(LoadReport {
        header,
        records,
        elapsed: started.elapsed(),
    })
}

/// Reads the header line, refused unless it names the format and one of `versions`.
fn header_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    versions: &[u32],
) -> Result<Header, SnapshotError> {
    if read_line(reader, line)? == 0 {
        return Err(SnapshotError::BadHeader("empty".into()));
    }
    let header: Header =
        serde_json::from_slice(line).map_err(|e| SnapshotError::BadHeader(e.to_string()))?;
    if header.format != FORMAT || !versions.contains(&header.format_version) {
        return Err(SnapshotError::BadHeader(format!(
            "{} version {}",
            header.format, header.format_version
        )));
    }
    Ok(header)
}

/// The header of a snapshot in any version this build reads.
fn read_header(compressed: impl Read) -> Result<Header, SnapshotError> {
    let mut reader = BufReader::with_capacity(1 << 16, zstd::Decoder::new(compressed)?);
    let versions = [JSON_LINES_VERSION, FORMAT_VERSION, SECTIONS_VERSION];
    header_line(&mut reader, &mut Vec::with_capacity(4096), &versions)
}

/// Version 2: every chunk decompressed (which verifies its checksum) and its records checked on
/// every core, then decompressed again, decoded and applied (records of one key appear once, so
/// chunks apply in any order).
fn load_chunks(
    bytes: &[u8],
    check: HeaderCheck<'_>,
    applier: &Applier,
    progress: &Progress,
) -> Result<(Header, u64), SnapshotError> {
    let (header, end, chunks) = frames::layout(bytes)?;
    check(&header)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let read = frames::read_chunks(&chunks, threads, frames::Pass::<fn(_)>::Verify)?;
    if read != end.records {
        return Err(SnapshotError::CountMismatch {
            expected: end.records,
            read,
        });
    }
    // The per-view counts only size the maps; a count past the records the snapshot holds is
    // a lie (a corrupt or hostile end line) and must not size anything
    // (`tests::absurd_view_counts_in_the_end_line_are_capped_by_the_records`).
    for (view, records) in &end.views {
        if let Some(kind) = view_kind(view) {
            let keys = usize::try_from((*records).min(read)).unwrap_or(usize::MAX);
            applier.catalog().reserve(kind, keys);
        }
    }
    let applied = std::sync::atomic::AtomicU64::new(0);
    for (topic, chunks) in sections(&header, &chunks)? {
        // Each section's records enter by the storefront holding its topic's part.
        let origin = Origin {
            topic,
            partition: 0,
            offset: 0,
            timestamp_ms: None,
        };
        let apply = |(kind, change)| {
            applier.apply_decoded(kind, change, origin);
            let n = applied.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n.is_multiple_of(65_536) {
                progress.bootstrap_loaded(n);
            }
        };
        frames::read_chunks(chunks, threads, frames::Pass::Decode(&apply))?;
    }
    Ok((header, read))
}

/// A topic and the chunks holding its part.
type Run<'h, 'c> = (&'h str, &'c [&'c [u8]]);

/// The chunks by the topic whose part they hold (untagged: one run, applied to the default
/// storefront); sections that do not cover the chunks exactly are refused.
fn sections<'h, 'c>(
    header: &'h Header,
    mut chunks: &'c [&'c [u8]],
) -> Result<Vec<Run<'h, 'c>>, SnapshotError> {
    if header.sections.is_empty() {
        return Ok(vec![("snapshot", chunks)]);
    }
    let mut runs = Vec::with_capacity(header.sections.len());
    for section in &header.sections {
        let count = usize::try_from(section.chunks).unwrap_or(usize::MAX);
        if count > chunks.len() {
            break;
        }
        let (run, rest) = chunks.split_at(count);
        runs.push((section.topic.as_str(), run));
        chunks = rest;
    }
    if runs.len() != header.sections.len() || !chunks.is_empty() {
        return Err(SnapshotError::BadHeader(
            "its sections do not cover its chunks".into(),
        ));
    }
    Ok(runs)
}

/// One record line of a snapshot.
struct Line<'a> {
    kind: ViewKind,
    key: &'a str,
    value: &'a RawValue,
    number: u64,
    count: u64,
}

fn apply(applier: &Applier, progress: &Progress, record: Line<'_>) {
    let origin = Origin {
        topic: "snapshot",
        partition: 0,
        offset: record.number as i64,
        timestamp_ms: None,
    };
    applier.apply_record(
        record.kind,
        Some(record.key.as_bytes()),
        Some(record.value.get().as_bytes()),
        origin,
    );
    if record.count.is_multiple_of(65_536) {
        progress.bootstrap_loaded(record.count);
    }
}

/// Reads a whole snapshot stream, calling `each` per record line; succeeds only if the header,
/// `check`, every line, the end line's count and the zstd checksum are all right.
fn scan(
    compressed: impl Read,
    check: HeaderCheck<'_>,
    mut each: impl FnMut(Line<'_>) -> Result<(), SnapshotError>,
) -> Result<(Header, u64), SnapshotError> {
    let mut reader = BufReader::with_capacity(1 << 20, zstd::Decoder::new(compressed)?);
    let mut line = Vec::with_capacity(4096);
    let header = header_line(&mut reader, &mut line, &[JSON_LINES_VERSION])?;
    check(&header)?;
    let mut records = 0u64;
    let mut line_no = 1u64;
    loop {
        line.clear();
        if read_line(&mut reader, &mut line)? == 0 {
            return Err(SnapshotError::Truncated { records });
        }
        line_no += 1;
        let bad = |reason: String| SnapshotError::BadLine {
            line: line_no,
            reason,
        };
        match line.first() {
            Some(b'[') => {
                let (view, key, value): (&str, &str, &RawValue) =
                    serde_json::from_slice(&line).map_err(|e| bad(e.to_string()))?;
                let kind = view_kind(view).ok_or_else(|| bad(format!("unknown view `{view}`")))?;
                records += 1;
                each(Line {
                    kind,
                    key,
                    value,
                    number: line_no,
                    count: records,
                })?;
            }
            Some(b'{') => {
                let end: EndLine = serde_json::from_slice(&line).map_err(|e| bad(e.to_string()))?;
                if end.end.records != records {
                    return Err(SnapshotError::CountMismatch {
                        expected: end.end.records,
                        read: records,
                    });
                }
                // Reading to the end makes zstd verify the frame checksum.
                std::io::copy(&mut reader, &mut std::io::sink())?;
                return Ok((header, records));
            }
            _ => return Err(bad("not a record".into())),
        }
    }
}
