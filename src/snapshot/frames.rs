//! Snapshot format version 2: a zstd stream of independent frames, so chunks are compressed,
//! verified and decoded on every core at once. Frame 0 holds the JSON header line, the last
//! frame the JSON end line (with the record and chunk counts), and each frame between them one
//! chunk: a little-endian `u32` record count, then that many binary records (`events::binary`).
//! Every frame carries zstd's content checksum; `zstd -dc` still prints the two JSON lines.

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::format::{End, EndLine, Header, SnapshotError};
use crate::events::binary::{self, BinaryError, Decoded};

/// Records per chunk: enough to amortize a frame, small enough to spread over the cores.
pub const CHUNK_RECORDS: usize = 16_384;
/// Largest chunk a reader decompresses (a corrupt or hostile size field cannot make it
/// allocate more).
const MAX_CHUNK_BYTES: u64 = 64 << 20;
/// Largest header or end line.
const MAX_LINE_BYTES: u64 = 16 << 20;
/// zstd level of the chunks: level 1 compresses these records almost as well as 3, faster.
const LEVEL: i32 = 1;

fn frame(content: &[u8], capacity: usize) -> std::io::Result<Vec<u8>> {
    let mut encoder = zstd::Encoder::new(Vec::with_capacity(capacity), LEVEL)?;
    encoder.include_checksum(true)?;
    encoder.set_pledged_src_size(Some(content.len() as u64))?;
    encoder.include_contentsize(true)?;
    encoder.write_all(content)?;
    encoder.finish()
}

/// A JSON line in a frame of its own (the header and the end).
pub fn line_frame(value: &impl serde::Serialize) -> Result<Vec<u8>, SnapshotError> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::from)?;
    line.push(b'\n');
    Ok(frame(&line, 256)?)
}

/// The end frame for `chunks` chunks holding `views`' records.
pub fn end_frame(
    views: std::collections::BTreeMap<String, u64>,
    chunks: u64,
) -> Result<Vec<u8>, SnapshotError> {
    line_frame(&EndLine {
        end: End {
            records: views.values().sum(),
            chunks: Some(chunks),
            views,
        },
    })
}

/// Encodes one chunk of records with `append` (one call per record) into a compressed frame.
pub fn chunk_frame<T>(
    records: &[T],
    append: impl Fn(&T, &mut Vec<u8>) -> Result<(), BinaryError>,
) -> Result<Vec<u8>, SnapshotError> {
    let mut raw = Vec::with_capacity(64 * records.len() + 4);
    raw.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for record in records {
        append(record, &mut raw).map_err(|e| SnapshotError::BadLine {
            line: 0,
            reason: e.to_string(),
        })?;
    }
    Ok(frame(&raw, raw.len() / 3)?)
}

/// Splits a version 2 snapshot into its frames; a frame cut short is a truncated snapshot.
pub fn split(mut bytes: &[u8]) -> Result<Vec<&[u8]>, SnapshotError> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let size = zstd::zstd_safe::find_frame_compressed_size(bytes)
            .map_err(|_| SnapshotError::Truncated { records: 0 })?;
        let (frame, rest) = bytes.split_at(size);
        frames.push(frame);
        bytes = rest;
    }
    Ok(frames)
}

/// Decompresses one frame (checksum verified), refusing one that says it holds over `max`.
fn open(frame: &[u8], max: u64) -> Result<Vec<u8>, SnapshotError> {
    let bad = |reason: String| SnapshotError::BadLine { line: 0, reason };
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= max => size as usize,
        Ok(Some(size)) => return Err(bad(format!("a frame of {size} bytes, over {max}"))),
        _ => return Err(bad("a frame with no content size".into())),
    };
    let content = zstd::bulk::decompress(frame, size)?;
    if content.len() != size {
        return Err(bad("a frame shorter than it says".into()));
    }
    Ok(content)
}

/// The JSON line a header or end frame holds.
pub fn read_line<T: serde::de::DeserializeOwned>(frame: &[u8]) -> Result<T, SnapshotError> {
    let line = open(frame, MAX_LINE_BYTES)?;
    serde_json::from_slice(&line).map_err(|e| SnapshotError::BadHeader(e.to_string()))
}

/// What to do with each chunk.
pub enum Pass<'a, F> {
    /// Decompress it (zstd verifies its checksum) and check that its records are well formed
    /// (nothing built).
    Verify,
    /// Decode every record and hand it to the function.
    Decode(&'a F),
}

impl<F> Clone for Pass<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F> Copy for Pass<'_, F> {}

/// Reads one chunk; returns the records it holds.
fn read_chunk<F: Fn(Decoded) + Sync>(
    frame: &[u8],
    pass: Pass<'_, F>,
) -> Result<u64, SnapshotError> {
    let raw = open(frame, MAX_CHUNK_BYTES)?;
    let bad = |reason: String| SnapshotError::BadLine { line: 0, reason };
    let (count, mut rest) = raw
        .split_first_chunk::<4>()
        .ok_or_else(|| bad("a chunk with no record count".into()))?;
    let count = u32::from_le_bytes(*count) as u64;
    for _ in 0..count {
        rest = match pass {
            Pass::Verify => binary::check_first(rest),
            Pass::Decode(each) => binary::decode_first(rest).map(|(decoded, after)| {
                each(decoded);
                after
            }),
        }
        .map_err(|e| bad(e.to_string()))?;
    }
    if !rest.is_empty() {
        return Err(bad("bytes after a chunk's last record".into()));
    }
    Ok(count)
}

/// Reads every chunk on `threads` threads (records handed over from any of them); returns the
/// records read, or the first error.
pub fn read_chunks<F: Fn(Decoded) + Sync>(
    chunks: &[&[u8]],
    threads: usize,
    pass: Pass<'_, F>,
) -> Result<u64, SnapshotError> {
    let next = AtomicUsize::new(0);
    let records = AtomicU64::new(0);
    let work = || -> Result<(), SnapshotError> {
        loop {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = chunks.get(n) else {
                return Ok(());
            };
            let read = read_chunk(chunk, pass).inspect_err(|_| {
                // Stop the others early: nothing more is worth reading.
                next.store(chunks.len(), Ordering::Relaxed);
            })?;
            records.fetch_add(read, Ordering::Relaxed);
        }
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.max(1)).map(|_| scope.spawn(work)).collect();
        let mut result = work();
        for helper in helpers {
            let joined = helper.join().unwrap_or_else(|_| {
                Err(SnapshotError::BadLine {
                    line: 0,
                    reason: "a decoding thread failed".into(),
                })
            });
            result = result.and(joined);
        }
        result
    })?;
    Ok(records.load(Ordering::Relaxed))
}

/// Checks a version 2 snapshot's frames: header (returned), end line, and counts.
pub fn layout(bytes: &[u8]) -> Result<(Header, End, Vec<&[u8]>), SnapshotError> {
    let frames = split(bytes)?;
    let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
        return Err(SnapshotError::BadHeader("empty".into()));
    };
    let header: Header = read_line(first)?;
    if frames.len() < 2 {
        return Err(SnapshotError::Truncated { records: 0 });
    }
    let end: EndLine = read_line(last).map_err(|_| SnapshotError::Truncated { records: 0 })?;
    let chunks = frames[1..frames.len() - 1].to_vec();
    if end.end.chunks != Some(chunks.len() as u64) {
        return Err(SnapshotError::Truncated { records: 0 });
    }
    Ok((header, end.end, chunks))
}
