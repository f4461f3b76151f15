//! What a snapshot of Vitrine's own holds, section by section: each shared part once (the
//! product records of each products topic, each price list, each stock pool with its holds,
//! the country contexts), tagged with the topic that feeds it when several storefronts share
//! the process, so a restart puts every record back into the part it came from.

use std::sync::Arc;

use super::writer::SnapshotRecord;
use crate::events::{intl, reservation, TopicMap};
use crate::views::storefronts::Storefronts;
use crate::views::{Catalog, Inventory, Price, Product, ViewKind};

/// One part's records, as pointer copies (no lock held while encoding).
pub enum Records {
    Products(Vec<Arc<Product>>),
    Prices(Vec<Arc<Price>>),
    Inventory(Vec<Arc<Inventory>>),
    /// The few records kept as JSON: countries and decided holds.
    Json(Vec<SnapshotRecord>),
}

impl Records {
    pub fn len(&self) -> usize {
        match self {
            Records::Products(r) => r.len(),
            Records::Prices(r) => r.len(),
            Records::Inventory(r) => r.len(),
            Records::Json(r) => r.len(),
        }
    }
}

/// One section: the topic feeding its part (empty: the one storefront of a process without
/// banners) and the records.
pub struct Section {
    pub topic: String,
    pub records: Records,
}

/// One storefront's parts, untagged (a version 2 snapshot).
pub fn of_catalog(catalog: &Catalog) -> Vec<Section> {
    let untagged = |records| Section {
        topic: String::new(),
        records,
    };
    let mut json = intl_records(catalog);
    json.extend(hold_records(catalog));
    vec![
        untagged(Records::Products(catalog.all_records())),
        untagged(Records::Prices(catalog.all_prices())),
        untagged(Records::Inventory(catalog.all_inventory())),
        untagged(Records::Json(json)),
    ]
}

/// Every topic's part once, read from the storefront its records enter by.
pub fn of_storefronts(fronts: &Storefronts, topics: &TopicMap) -> Vec<Section> {
    let fronts: Vec<_> = fronts.iter().collect();
    topics
        .topics
        .iter()
        .filter_map(|(topic, kind)| {
            let catalog = &fronts.get(topics.via(topic))?.catalog;
            let records = match kind {
                ViewKind::Products => Records::Products(catalog.all_records()),
                ViewKind::Prices => Records::Prices(catalog.all_prices()),
                ViewKind::Inventory => Records::Inventory(catalog.all_inventory()),
                ViewKind::Intl => Records::Json(intl_records(catalog)),
                ViewKind::Reservations => Records::Json(hold_records(catalog)),
            };
            Some(Section {
                topic: topic.clone(),
                records,
            })
        })
        .collect()
}

fn intl_records(catalog: &Catalog) -> Vec<SnapshotRecord> {
    let intl = catalog.all_intl();
    intl.iter()
        .map(|i| (ViewKind::Intl, i.country.clone(), intl::encode(i)))
        .collect()
}

fn hold_records(catalog: &Catalog) -> Vec<SnapshotRecord> {
    let lines = catalog.all_lines().into_iter();
    lines
        .map(|line| {
            let record = reservation::decided(&line);
            (ViewKind::Reservations, line.sku, record)
        })
        .collect()
}

#[cfg(test)]
#[path = "sections_tests.rs"]
mod tests;
