//! The one decode-and-apply path every record takes, from Kafka, a baseline or the demo.

use std::sync::Arc;

use super::formats::{Halted, TopicFormats};
use crate::events::{decode, DecodeError, TopicMap};
use crate::live::{change_key, ChangeHub, Held};
use crate::status::IngestStats;
use crate::views::catalog_write::Part;
use crate::views::holds::ReservationEvent;
use crate::views::storefronts::Storefronts;
use crate::views::{ApplyOutcome, Catalog, Change, ViewKind};

/// Where a record came from, for logs.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    /// The message's Kafka timestamp (freshness).
    pub timestamp_ms: Option<i64>,
}

/// Decodes records, applies them to the storefronts, counts the outcome and tells subscribers.
#[derive(Debug, Clone)]
pub struct Applier {
    fronts: Arc<Storefronts>,
    /// Which storefront a topic's records enter by (`None`: one storefront).
    routes: Option<Arc<TopicMap>>,
    stats: Arc<IngestStats>,
    hub: Option<Arc<ChangeHub>>,
    /// The currency every price must be in (`pricing.base_currency`); `None` accepts any.
    base_currency: Option<Arc<str>>,
    /// Topics whose values are Avro or Protobuf (`None`: all JSON).
    formats: Option<Arc<TopicFormats>>,
}

impl Applier {
    /// One storefront.
    pub fn new(catalog: Arc<Catalog>, stats: Arc<IngestStats>) -> Self {
        Self::over(Arc::new(Storefronts::single(catalog)), None, stats)
    }

    /// Several storefronts; each record enters by the storefront `routes` gives its topic.
    pub fn over(
        fronts: Arc<Storefronts>,
        routes: Option<Arc<TopicMap>>,
        stats: Arc<IngestStats>,
    ) -> Self {
        Self {
            fronts,
            routes,
            stats,
            hub: None,
            base_currency: None,
            formats: None,
        }
    }

    /// Decodes the binary topics of `formats` with their writer schemas.
    pub fn with_formats(mut self, formats: Option<TopicFormats>) -> Self {
        self.formats = formats.map(Arc::new);
        self
    }

    pub fn formats(&self) -> Option<&Arc<TopicFormats>> {
        self.formats.as_ref()
    }

    /// Refuses (as malformed) prices in any other currency than `currency`: they would be shown
    /// in that currency and charged as the base one.
    pub fn with_base_currency(mut self, currency: &str) -> Self {
        self.base_currency = Some(currency.into());
        self
    }

    /// Also publishes every applied change (before and after) to `hub`.
    pub fn with_hub(mut self, hub: Arc<ChangeHub>) -> Self {
        self.hub = Some(hub);
        self
    }

    /// Applies a decoded change through storefront `via`; with subscribers listening,
    /// publishes what it changed in each storefront holding the part it was written to.
    fn apply_change(&self, via: usize, change: Change) -> ApplyOutcome {
        let Some(hub) = self.hub.as_ref().filter(|h| h.has_subscribers()) else {
            return self.fronts.apply(via, change);
        };
        let Some(writer) = self.fronts.at(via).map(|f| Arc::clone(&f.catalog)) else {
            return ApplyOutcome::Stale;
        };
        let (kind, key) = change_key(&change);
        let key = key.to_string();
        let part = Part::of(&change);
        let before: Vec<(Arc<Catalog>, Held)> = self
            .fronts
            .sharing(&writer, part)
            .map(|c| (Arc::clone(c), Held::read(c, kind, &key)))
            .collect();
        let outcome = self.fronts.apply(via, change);
        if outcome != ApplyOutcome::Stale {
            for (catalog, before) in before {
                let after = Held::read(&catalog, kind, &key);
                if let Some(change) = before.into_change(&key, after) {
                    // Filtered subscriptions are reached by SKU and by the product listing it.
                    let owner = match kind {
                        ViewKind::Products | ViewKind::Intl => None,
                        _ => catalog.product_of_sku(&key),
                    };
                    let owner = owner.as_ref().map(|p| p.id.as_str());
                    hub.publish_in(&catalog.name, change, owner);
                }
            }
        }
        outcome
    }

    /// The default storefront's views.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.fronts.default_front().catalog
    }

    /// Which storefront each topic's records enter by (`None`: one storefront).
    pub fn routes(&self) -> Option<&TopicMap> {
        self.routes.as_deref()
    }

    pub fn storefronts(&self) -> &Arc<Storefronts> {
        &self.fronts
    }

    pub fn stats(&self) -> &Arc<IngestStats> {
        &self.stats
    }

    /// Rules that need the deployment's settings or the message, after decoding.
    fn check(&self, mut change: Change, origin: Origin<'_>) -> Result<Change, DecodeError> {
        match &mut change {
            // A decision's and a tick's place in the log is the message's, whatever it says.
            Change::Reservation(ReservationEvent::Decision(decision)) => {
                decision.partition = origin.partition;
                decision.offset = origin.offset;
                return Ok(change);
            }
            Change::Reservation(ReservationEvent::Tick { partition, .. }) => {
                *partition = origin.partition;
                return Ok(change);
            }
            _ => {}
        }
        if let (Change::Price(price), Some(base)) = (&change, &self.base_currency) {
            if price.currency != **base {
                return Err(DecodeError::Invalid {
                    field: "currency",
                    reason: format!("must be the base currency {base}, not {}", price.currency),
                });
            }
        }
        Ok(change)
    }

    /// Applies one record; a malformed one is logged, counted and skipped (`None`).
    pub fn apply_record(
        &self,
        kind: ViewKind,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        origin: Origin<'_>,
    ) -> Option<ApplyOutcome> {
        self.apply_decoded(kind, decode(kind, key, payload), origin)
    }

    /// Applies one message as Kafka gave it: a binary topic's value (its schema id in the value
    /// or in `header`) decoded with its writer's schema first. `Err(Halted)`: the process is
    /// stopping while the record waited for the registry; it is not applied.
    pub fn apply_message(
        &self,
        kind: ViewKind,
        key: Option<&[u8]>,
        header: Option<&[u8]>,
        payload: Option<&[u8]>,
        origin: Origin<'_>,
    ) -> Result<Option<ApplyOutcome>, Halted> {
        let binary = self
            .formats
            .as_ref()
            .and_then(|f| f.decode(kind, origin.topic, key, header, payload));
        match binary {
            None => Ok(self.apply_record(kind, key, payload, origin)),
            Some(decoded) => Ok(self.apply_decoded(kind, decoded?, origin)),
        }
    }

    /// Applies one record already decoded (from a binary snapshot), under the same checks and
    /// counts as [`Applier::apply_record`].
    pub fn apply_decoded(
        &self,
        kind: ViewKind,
        decoded: Result<Change, DecodeError>,
        origin: Origin<'_>,
    ) -> Option<ApplyOutcome> {
        match decoded.and_then(|change| self.check(change, origin)) {
            Ok(change) => {
                let via = self.routes.as_ref().map_or(0, |r| r.via(origin.topic));
                let outcome = self.apply_change(via, change);
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
            timestamp_ms: None,
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

    /// A hold runs from the time its decider recorded, whatever the message's own timestamp
    /// (a producer's wall clock) says: every replica measures its expiry on the same clock.
    #[test]
    fn a_hold_expires_by_the_deciders_recorded_time_not_the_messages() {
        use crate::events::reservation::decided_hold;
        let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()));
        let decision = decided_hold("r", "a", 1, 5, 1_000_000).to_string();
        let skewed = Origin {
            topic: "t",
            partition: 2,
            offset: 9,
            timestamp_ms: Some(9_999_999_999),
        };
        applier.apply_record(
            ViewKind::Reservations,
            Some(b"a"),
            Some(decision.as_bytes()),
            skewed,
        );
        let line = applier.catalog().reservation("r").unwrap().lines["a"].clone();
        assert_eq!(line.expires_at_ms, 1_000_000 + 3_600_000);
        assert_eq!(
            (line.partition, line.offset),
            (2, 9),
            "its place in the log"
        );
    }

    #[test]
    fn a_price_in_another_currency_than_the_base_is_malformed() {
        let applier = Applier::new(Arc::new(Catalog::new()), Arc::new(IngestStats::default()))
            .with_base_currency("USD");
        let origin = Origin {
            topic: "t",
            partition: 0,
            offset: 1,
            timestamp_ms: None,
        };
        let usd = br#"{"sku":"a","version":1,"currency":"USD","list":1000}"#;
        let eur = br#"{"sku":"a","version":2,"currency":"EUR","list":900}"#;
        applier.apply_record(ViewKind::Prices, Some(b"a"), Some(usd), origin);
        assert_eq!(
            applier.apply_record(ViewKind::Prices, Some(b"a"), Some(eur), origin),
            None
        );
        let held = applier.catalog().price("a").unwrap();
        assert_eq!((held.currency.as_str(), held.list_minor), ("USD", 1000));
        assert_eq!(applier.stats().counts(ViewKind::Prices).malformed, 1);
    }
}
