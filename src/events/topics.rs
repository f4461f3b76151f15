//! Which topic feeds which view: the names from the settings, in both directions, and, with
//! several banners, which storefront a topic's records enter by (the first holding its part).

use crate::config::{Banner, TopicSettings};
use crate::views::ViewKind;

/// Which topic feeds which view.
#[derive(Debug, Clone)]
pub struct TopicMap {
    pub topics: Vec<(String, ViewKind)>,
    /// Per topic (same order): the storefront its records enter by.
    via: Vec<usize>,
}

impl TopicMap {
    /// The topics of one storefront on `[topics]`.
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
        let via = vec![0; topics.len()];
        Self { topics, via }
    }

    /// Every topic of `banners` (resolved, the default first) once, each entering by the first
    /// banner that names it; the default banner's topics come first, in view order.
    pub fn for_banners(banners: &[Banner], settings: &TopicSettings) -> Self {
        let mut map = Self {
            topics: vec![],
            via: vec![],
        };
        let mut add = |topic: &str, kind, via| {
            if !topic.is_empty() && map.kind_of(topic).is_none() {
                map.topics.push((topic.to_string(), kind));
                map.via.push(via);
            }
        };
        for (via, banner) in banners.iter().enumerate() {
            add(&banner.products_topic, ViewKind::Products, via);
            add(&banner.prices_topic, ViewKind::Prices, via);
            add(&banner.inventory_topic, ViewKind::Inventory, via);
            if via == 0 {
                add(&settings.intl, ViewKind::Intl, 0);
            }
            add(&banner.reservations_topic, ViewKind::Reservations, via);
        }
        map
    }

    pub fn kind_of(&self, topic: &str) -> Option<ViewKind> {
        self.topics
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, k)| *k)
    }

    /// The storefront records of `topic` enter by (the default one for a topic not mapped,
    /// such as a snapshot written before banners).
    pub fn via(&self, topic: &str) -> usize {
        self.topics
            .iter()
            .position(|(t, _)| t == topic)
            .and_then(|at| self.via.get(at).copied())
            .unwrap_or(0)
    }

    /// The default storefront's topic feeding `kind`; `None` for reservations when they are
    /// off.
    pub fn topic_of(&self, kind: ViewKind) -> Option<&str> {
        self.topic_for(kind, 0)
    }

    /// The topic feeding `kind` in the storefront records enter by as `via`.
    pub fn topic_for(&self, kind: ViewKind, via: usize) -> Option<&str> {
        self.topics
            .iter()
            .zip(&self.via)
            .find(|((_, k), v)| *k == kind && **v == via)
            .or_else(|| {
                self.topics
                    .iter()
                    .zip(&self.via)
                    .find(|((_, k), _)| *k == kind)
            })
            .map(|((t, _), _)| t.as_str())
    }

    /// The price lists other than the default storefront's.
    pub fn other_price_lists(&self) -> Vec<String> {
        let default = self.topic_of(ViewKind::Prices);
        self.topics
            .iter()
            .filter(|(t, k)| *k == ViewKind::Prices && Some(t.as_str()) != default)
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// The topic names, in view order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|(t, _)| t.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn banners_share_topics_and_enter_by_the_first_naming_them() {
        let settings = Settings::defaults()
            .with_overrides(
                "[[banners]]\nname = \"main\"\n[[banners]]\nname = \"outlet\"\n\
                 prices_topic = \"p.outlet\"\n[[banners]]\nname = \"flash\"\n\
                 inventory_topic = \"i.flash\"\n",
            )
            .unwrap();
        let banners = settings.resolved_banners().unwrap();
        let map = TopicMap::for_banners(&banners, &settings.topics);
        let single = TopicMap::new(&settings.topics);
        assert_eq!(map.topics[..single.topics.len()], single.topics[..]);
        assert_eq!(map.topics.len(), single.topics.len() + 2);
        assert_eq!(map.via("vitrine.prices"), 0);
        assert_eq!(map.via("p.outlet"), 1);
        assert_eq!(map.via("i.flash"), 2);
        assert_eq!(map.kind_of("i.flash"), Some(ViewKind::Inventory));
        assert_eq!(map.via("snapshot"), 0);
        assert_eq!(map.topic_for(ViewKind::Prices, 1), Some("p.outlet"));
        assert_eq!(
            map.topic_for(ViewKind::Products, 1),
            Some("vitrine.products")
        );
        assert_eq!(map.topic_of(ViewKind::Prices), Some("vitrine.prices"));
    }
}
