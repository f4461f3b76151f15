//! Which topic feeds which view: the names from the settings, in both directions.

use crate::config::TopicSettings;
use crate::views::ViewKind;

/// Which topic feeds which view.
#[derive(Debug, Clone)]
pub struct TopicMap {
    pub topics: Vec<(String, ViewKind)>,
}

impl TopicMap {
    pub fn new(settings: &TopicSettings) -> Self {
        let mut topics = vec![
            (settings.products.clone(), ViewKind::Products),
            (settings.prices.clone(), ViewKind::Prices),
            (settings.inventory.clone(), ViewKind::Inventory),
            (settings.intl.clone(), ViewKind::Intl),
        ];
        if !settings.reservations.is_empty() {
            topics.push((settings.reservations.clone(), ViewKind::Reservations));
        }
        Self { topics }
    }

    pub fn kind_of(&self, topic: &str) -> Option<ViewKind> {
        self.topics
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, k)| *k)
    }

    /// The topic feeding `kind`; `None` for reservations when they are off.
    pub fn topic_of(&self, kind: ViewKind) -> Option<&str> {
        self.topics
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(t, _)| t.as_str())
    }

    /// The topic names, in view order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|(t, _)| t.as_str())
    }
}
