//! The one decode-and-apply path every record takes, from Kafka, a baseline or the demo.

use std::sync::Arc;

use super::decode::decode;
use super::stats::IngestStats;
use crate::views::{ApplyOutcome, Catalog, ViewKind};

/// Where a record came from, for logs.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
}

/// Decodes records, applies them to the catalog and counts the outcome.
#[derive(Debug, Clone)]
pub struct Applier {
    catalog: Arc<Catalog>,
    stats: Arc<IngestStats>,
}

impl Applier {
    pub fn new(catalog: Arc<Catalog>, stats: Arc<IngestStats>) -> Self {
        Self { catalog, stats }
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub fn stats(&self) -> &Arc<IngestStats> {
        &self.stats
    }

    /// Applies one record; a malformed one is logged, counted and skipped (`None`).
    pub fn apply_record(
        &self,
        kind: ViewKind,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        origin: Origin<'_>,
    ) -> Option<ApplyOutcome> {
        match decode(kind, key, payload) {
            Ok(change) => {
                let outcome = self.catalog.apply(change);
                self.stats.record(kind, outcome);
                Some(outcome)
            }
            Err(error) => {
                self.stats.record_malformed(kind);
                tracing::warn!(
                    topic = origin.topic,
                    partition = origin.partition,
                    offset = origin.offset,
                    view = kind.name(),
                    %error,
                    "skipped malformed message"
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::StockAndPrices;

    #[test]
    fn malformed_is_counted_and_leaves_views_alone() {
        let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
        let origin = Origin {
            topic: "t",
            partition: 0,
            offset: 7,
        };
        let good = br#"{"sku":"a","version":2,"available":5}"#;
        let stale = br#"{"sku":"a","version":1,"available":9}"#;
        assert_eq!(
            applier.apply_record(ViewKind::Inventory, Some(b"a"), Some(good), origin),
            Some(ApplyOutcome::Applied)
        );
        assert_eq!(
            applier.apply_record(ViewKind::Inventory, Some(b"a"), Some(b"{oops"), origin),
            None
        );
        assert_eq!(
            applier.apply_record(ViewKind::Inventory, Some(b"a"), Some(stale), origin),
            Some(ApplyOutcome::Stale)
        );
        assert_eq!(applier.catalog().available("a"), 5);
        let counts = applier.stats().counts(ViewKind::Inventory);
        assert_eq!((counts.applied, counts.malformed, counts.stale), (1, 1, 1));
        assert_eq!(applier.stats().counts(ViewKind::Prices).malformed, 0);
    }
}
