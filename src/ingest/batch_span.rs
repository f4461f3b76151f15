//! `ingest.batch` spans while spans are exported: one per run of up to 1,000 applied records
//! or one second, with the count, so a trace shows ingest work beside the requests.

use std::time::{Duration, Instant};

const MAX_RECORDS: u64 = 1_000;
const MAX_SPAN: Duration = Duration::from_secs(1);

/// The open batch span, if any.
#[derive(Default)]
pub struct BatchSpans {
    open: Option<(tracing::Span, Instant, u64)>,
}

impl BatchSpans {
    /// One record was applied.
    pub fn applied(&mut self) {
        if !crate::telemetry::exporting() {
            return;
        }
        let (_, started, records) = self.open.get_or_insert_with(|| {
            let span = tracing::info_span!("ingest.batch", records = tracing::field::Empty);
            (span, Instant::now(), 0)
        });
        *records += 1;
        if *records >= MAX_RECORDS || started.elapsed() >= MAX_SPAN {
            self.close();
        }
    }

    /// Nothing arrived for a while: the batch ends.
    pub fn close(&mut self) {
        if let Some((span, _, records)) = self.open.take() {
            span.record("records", records);
        }
    }
}
