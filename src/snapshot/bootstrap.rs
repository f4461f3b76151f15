//! Start-up from a snapshot: the newest usable one of our own, else the configured source,
//! else nothing (a full replay). Decides where consumption of each partition starts.

use std::path::Path;

use super::reader::{load, Source};
use super::writer::list_snapshots;
use crate::config::SnapshotSettings;
use crate::ingest::{Applier, StartAt};
use crate::status::{Progress, SnapshotLoaded};

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
pub fn bootstrap(settings: &SnapshotSettings, applier: &Applier, progress: &Progress) -> StartAt {
    let sources = candidates(settings);
    if sources.is_empty() {
        return StartAt::Beginning;
    }
    progress.begin_bootstrap();
    let mut start = StartAt::Beginning;
    for source in &sources {
        progress.bootstrap_loaded(0);
        match load(source, applier, progress) {
            Ok(report) => {
                tracing::info!(
                    source = %source,
                    records = report.records,
                    elapsed_ms = report.elapsed.as_millis() as u64,
                    partitions = report.header.offsets.len(),
                    as_of_ms = report.header.as_of_ms,
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
            // A partly loaded snapshot is harmless: replaying from an older point re-applies
            // everything after it under the version rule, which converges to the same views.
            Err(error) => {
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
