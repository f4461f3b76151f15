//! Start-up from a snapshot: the newest usable one of our own, else the configured source,
//! else nothing (a full replay). Decides where consumption of each partition starts.

use std::path::Path;
use std::time::Duration;

use super::format::{Header, SnapshotError};
use super::reader::{load, HttpTimeouts, Source};
use super::writer::list_snapshots;
use crate::config::SnapshotSettings;
use crate::ingest::{Applier, StartAt, Watermarks};
use crate::status::{Progress, SnapshotLoaded};

/// A snapshot's offsets must lie within today's logs: past a partition's high watermark the
/// snapshot would skip everything in it; before its log start the deltas after the snapshot
/// are gone. Either way the snapshot is unusable.
pub fn check_offsets(header: &Header, watermarks: &Watermarks) -> Result<(), SnapshotError> {
    for o in &header.offsets {
        let Some(&(low, high)) = watermarks.get(&(o.topic.clone(), o.partition)) else {
            return Err(SnapshotError::UnknownPartition {
                topic: o.topic.clone(),
                partition: o.partition,
            });
        };
        if o.next > high || o.next < low {
            return Err(SnapshotError::OffsetOutOfRange {
                topic: o.topic.clone(),
                partition: o.partition,
                next: o.next,
                low,
                high,
            });
        }
    }
    Ok(())
}

/// The snapshots to try, in order.
pub fn candidates(settings: &SnapshotSettings) -> Vec<Source> {
    let mut out: Vec<Source> = if settings.dir.is_empty() {
        vec![]
    } else {
        list_snapshots(Path::new(&settings.dir))
            .into_iter()
            .map(Source::File)
            .collect()
    };
    if !settings.source.is_empty() {
        out.push(Source::parse(&settings.source));
    }
    out
}

/// Loads the first usable snapshot into the views and says where to resume.
pub fn bootstrap(
    settings: &SnapshotSettings,
    applier: &Applier,
    progress: &Progress,
    watermarks: &Watermarks,
) -> StartAt {
    let sources = candidates(settings);
    if sources.is_empty() {
        return StartAt::Beginning;
    }
    progress.begin_bootstrap();
    let mut start = StartAt::Beginning;
    for source in &sources {
        progress.bootstrap_loaded(0);
        let timeouts = HttpTimeouts {
            connect: Duration::from_millis(settings.http_connect_timeout_ms.max(1)),
            read: Duration::from_millis(settings.http_read_timeout_ms.max(1)),
        };
        let check = |header: &Header| check_offsets(header, watermarks);
        match load(source, applier, progress, &check, timeouts) {
            Ok(report) => {
                if let Some(formats) = applier.formats() {
                    formats.registry().seed(&report.header.schemas);
                }
                tracing::info!(
                    source = %source,
                    records = report.records,
                    elapsed_ms = report.elapsed.as_millis() as u64,
                    partitions = report.header.offsets.len(),
                    as_of_ms = report.header.as_of_ms,
                    schemas = report.header.schemas.len(),
                    "loaded snapshot"
                );
                progress.set_snapshot(SnapshotLoaded {
                    source: source.to_string(),
                    records: report.records,
                    created_at_ms: report.header.created_at_ms,
                    load_ms: report.elapsed.as_millis() as u64,
                });
                start = if !report.header.offsets.is_empty() {
                    StartAt::Offsets(
                        report
                            .header
                            .offsets
                            .into_iter()
                            .map(|o| ((o.topic, o.partition), o.next))
                            .collect(),
                    )
                } else if let Some(as_of) = report.header.as_of_ms {
                    StartAt::Time(as_of)
                } else {
                    StartAt::Beginning
                };
                break;
            }
            // Nothing of it was applied: records become visible only once all are verified.
            Err(error) => {
                progress.snapshot_rejected();
                tracing::warn!(source = %source, %error, "snapshot unusable; trying the next")
            }
        }
    }
    if progress.snapshot().is_none() {
        tracing::warn!(
            tried = sources.len(),
            "no usable snapshot: replaying the topics from the beginning"
        );
    }
    progress.end_bootstrap();
    start
}
