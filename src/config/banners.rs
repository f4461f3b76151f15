//! Banner settings (`[[banners]]`): several storefronts from one process, each with its
//! assortment, price list, stock pool, markets and hostnames (see `docs/design/banners.md`).

use serde::{Deserialize, Serialize};

use super::{ConfigError, TopicSettings};
use crate::views::assortment::Assortment;
use crate::views::storefronts::{StorefrontSpec, SOLE};

/// One storefront. Topics left empty are `[topics]`'s: banners naming the same products,
/// prices or inventory topic share that part (one stock pool per inventory topic).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BannerSettings {
    /// `[a-z0-9-]{1,32}`, unique: `@inContext(banner:)`, `/b/{name}/graphql`, labels.
    pub name: String,
    /// Requests naming no banner get the default one (at most one; none set: the first).
    pub default: bool,
    /// `Host` header values (without port, case-insensitive) answered as this banner.
    pub hosts: Vec<String>,
    pub products_topic: String,
    pub prices_topic: String,
    /// Its stock pool: banners with the same inventory topic share stock and holds.
    pub inventory_topic: String,
    /// The pool's holds; empty: `[topics].reservations` when the pool is `[topics]`'s, else
    /// no reservations for this banner.
    pub reservations_topic: String,
    /// Countries it sells to (ISO codes); empty: every country with a pricing context.
    pub markets: Vec<String>,
    /// Its own `graphql.max_cost` (a flash-sale site may allow less); 0: the global one.
    pub max_cost: usize,
    pub assortment: AssortmentSettings,
}

/// Which products of its products topic a banner sells (empty include lists: every product;
/// an exclusion wins; a category selects itself and everything below it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AssortmentSettings {
    pub include_categories: Vec<String>,
    pub exclude_categories: Vec<String>,
    pub include_ids: Vec<String>,
    pub exclude_ids: Vec<String>,
}

/// A banner with every topic resolved (empty ones filled from `[topics]`), the default first.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub name: String,
    pub hosts: Vec<String>,
    pub products_topic: String,
    pub prices_topic: String,
    pub inventory_topic: String,
    /// Empty: no reservations in this banner's pool.
    pub reservations_topic: String,
    pub markets: Vec<String>,
    pub max_cost: Option<usize>,
    pub assortment: Assortment,
}

impl Banner {
    pub fn spec(&self) -> StorefrontSpec {
        StorefrontSpec {
            name: self.name.clone(),
            assortment: self.assortment.clone(),
            products: self.products_topic.clone(),
            prices: self.prices_topic.clone(),
            pool: self.inventory_topic.clone(),
        }
    }
}

fn rejected(reason: String) -> ConfigError {
    ConfigError::Rejected {
        field: "banners",
        reason,
    }
}

/// Resolves and checks the banners: none configured is one banner, `main`, on `[topics]`.
pub fn resolve(
    banners: &[BannerSettings],
    topics: &TopicSettings,
) -> Result<Vec<Banner>, ConfigError> {
    if banners.is_empty() {
        return Ok(vec![Banner {
            name: SOLE.into(),
            hosts: vec![],
            products_topic: topics.products.clone(),
            prices_topic: topics.prices.clone(),
            inventory_topic: topics.inventory.clone(),
            reservations_topic: topics.reservations.clone(),
            markets: vec![],
            max_cost: None,
            assortment: Assortment::everything(),
        }]);
    }
    let or = |own: &str, shared: &str| match own.trim() {
        "" => shared.to_string(),
        own => own.to_string(),
    };
    let mut resolved: Vec<Banner> = Vec::with_capacity(banners.len());
    for b in banners {
        let valid = (1..=32).contains(&b.name.len())
            && b.name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
        if !valid {
            return Err(rejected(format!(
                "banner name `{}` must match [a-z0-9-]{{1,32}}",
                b.name
            )));
        }
        if resolved.iter().any(|r| r.name == b.name) {
            return Err(rejected(format!("banner `{}` is named twice", b.name)));
        }
        let inventory_topic = or(&b.inventory_topic, &topics.inventory);
        let shared_pool = inventory_topic == topics.inventory;
        let reservations_topic = match b.reservations_topic.trim() {
            "" if shared_pool => topics.reservations.clone(),
            own => own.to_string(),
        };
        let hosts: Vec<String> = b
            .hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        for host in &hosts {
            if let Some(other) = resolved.iter().find(|r| r.hosts.contains(host)) {
                return Err(rejected(format!(
                    "host `{host}` is given to `{}` and `{}`",
                    other.name, b.name
                )));
            }
        }
        let a = &b.assortment;
        resolved.push(Banner {
            name: b.name.clone(),
            hosts,
            products_topic: or(&b.products_topic, &topics.products),
            prices_topic: or(&b.prices_topic, &topics.prices),
            inventory_topic,
            reservations_topic,
            markets: b
                .markets
                .iter()
                .map(|m| m.trim().to_ascii_uppercase())
                .collect(),
            max_cost: (b.max_cost > 0).then_some(b.max_cost),
            assortment: Assortment {
                include_categories: a.include_categories.clone(),
                exclude_categories: a.exclude_categories.clone(),
                include_ids: a.include_ids.iter().cloned().collect(),
                exclude_ids: a.exclude_ids.iter().cloned().collect(),
            },
        });
    }
    match banners.iter().filter(|b| b.default).count() {
        0 => {}
        1 => {
            let at = banners.iter().position(|b| b.default).unwrap_or(0);
            let default = resolved.remove(at);
            resolved.insert(0, default);
        }
        _ => return Err(rejected("more than one banner is the default".into())),
    }
    check_topics(&resolved, topics)?;
    Ok(resolved)
}

/// A topic feeds one kind of view: a banner's prices topic cannot be another's inventory
/// topic, and two pools cannot share a reservations topic (holds are decided per pool).
fn check_topics(banners: &[Banner], topics: &TopicSettings) -> Result<(), ConfigError> {
    let mut kinds: Vec<(&str, &str)> = vec![(topics.intl.as_str(), "intl")];
    for b in banners {
        for (topic, kind) in [
            (&b.products_topic, "products"),
            (&b.prices_topic, "prices"),
            (&b.inventory_topic, "inventory"),
            (&b.reservations_topic, "reservations"),
        ] {
            if topic.is_empty() {
                continue;
            }
            match kinds.iter().find(|(t, _)| t == topic) {
                Some((_, k)) if *k != kind => {
                    return Err(rejected(format!(
                        "topic `{topic}` feeds both {k} and {kind}"
                    )));
                }
                Some(_) => {}
                None => kinds.push((topic, kind)),
            }
        }
    }
    for (i, a) in banners.iter().enumerate() {
        for b in &banners[i + 1..] {
            let same_holds =
                !a.reservations_topic.is_empty() && a.reservations_topic == b.reservations_topic;
            if same_holds && a.inventory_topic != b.inventory_topic {
                return Err(rejected(format!(
                    "`{}` and `{}` have their own stock pools but one reservations topic",
                    a.name, b.name
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "banners_tests.rs"]
mod tests;
