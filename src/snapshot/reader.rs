//! Loading a snapshot: streamed from a file or an http(s) URL through zstd, each record
//! applied through the same decode-and-apply path as the topics.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use super::format::{view_kind, EndLine, Header, SnapshotError, FORMAT, FORMAT_VERSION};
use crate::ingest::{Applier, Origin};
use crate::status::Progress;

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

fn open(source: &Source) -> Result<Box<dyn Read + Send>, SnapshotError> {
    Ok(match source {
        Source::File(path) => Box::new(std::fs::File::open(path)?),
        Source::Url(url) => {
            let client = reqwest::blocking::Client::builder()
                .timeout(None)
                .connect_timeout(Duration::from_secs(10))
                .build()?;
            Box::new(client.get(url).send()?.error_for_status()?)
        }
    })
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

/// Loads a snapshot into the views via `applier`, reporting records loaded to `progress`.
/// Blocking: run it on a thread of its own.
pub fn load(
    source: &Source,
    applier: &Applier,
    progress: &Progress,
) -> Result<LoadReport, SnapshotError> {
    load_from(open(source)?, applier, progress)
}

/// [`load`] from any stream of snapshot bytes (zstd-compressed).
pub fn load_from(
    compressed: impl Read,
    applier: &Applier,
    progress: &Progress,
) -> Result<LoadReport, SnapshotError> {
    let started = Instant::now();
    let mut reader = BufReader::with_capacity(1 << 20, zstd::Decoder::new(compressed)?);
    let mut line = Vec::with_capacity(4096);
    if read_line(&mut reader, &mut line)? == 0 {
        return Err(SnapshotError::BadHeader("empty".into()));
    }
    let header: Header =
        serde_json::from_slice(&line).map_err(|e| SnapshotError::BadHeader(e.to_string()))?;
    if header.format != FORMAT || header.format_version != FORMAT_VERSION {
        return Err(SnapshotError::BadHeader(format!(
            "{} version {}",
            header.format, header.format_version
        )));
    }
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
                let origin = Origin {
                    topic: "snapshot",
                    partition: 0,
                    offset: line_no as i64,
                };
                applier.apply_record(
                    kind,
                    Some(key.as_bytes()),
                    Some(value.get().as_bytes()),
                    origin,
                );
                records += 1;
                if records.is_multiple_of(65_536) {
                    progress.bootstrap_loaded(records);
                }
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
                progress.bootstrap_loaded(records);
                return Ok(LoadReport {
                    header,
                    records,
                    elapsed: started.elapsed(),
                });
            }
            _ => return Err(bad("not a record".into())),
        }
    }
}
