//! The pipeline's context step: the banner (storefront) and country a request is answered
//! in. The banner is `@inContext(banner:)`, else the door's path (`/b/{banner}/graphql`), else
//! the banner claiming the `Host`, else the default one; a banner named that does not exist is
//! `UNKNOWN_BANNER`, never a fallback, and a country outside the banner's markets is
//! `UNSUPPORTED_COUNTRY`.

use std::collections::HashMap;
use std::sync::Arc;

use super::door::BannerHint;
use crate::config::Banner;
use crate::graphql::errors::ApiError;
use crate::views::storefronts::Storefronts;

/// The banners a gateway answers for, and how requests select them.
#[derive(Debug, Clone, Default)]
pub struct Banners {
    pub(crate) fronts: Arc<Storefronts>,
    /// Host (lower case, no port) -> storefront.
    hosts: HashMap<String, usize>,
    /// Per storefront: the countries it sells to (empty: every one).
    markets: Vec<Vec<String>>,
    /// Per storefront: its own `graphql.max_cost`, if it has one.
    max_costs: Vec<Option<usize>>,
}

impl Banners {
    /// `fronts` as configured by `banners` (resolved, in the same order).
    pub fn new(fronts: Arc<Storefronts>, banners: &[Banner]) -> Self {
        let mut hosts = HashMap::new();
        let mut markets = vec![vec![]; fronts.len()];
        let mut max_costs = vec![None; fronts.len()];
        for banner in banners {
            if let Some(at) = fronts.position(&banner.name) {
                for host in &banner.hosts {
                    hosts.insert(host.clone(), at);
                }
                markets[at] = banner.markets.clone();
                max_costs[at] = banner.max_cost;
            }
        }
        Self {
            fronts,
            hosts,
            markets,
            max_costs,
        }
    }

    /// One storefront, no hosts, every market.
    pub fn single(fronts: Arc<Storefronts>) -> Self {
        Self::new(fronts, &[])
    }

    /// More than one banner: answers say which one they are in.
    pub fn many(&self) -> bool {
        self.fronts.len() > 1
    }

    /// True when some banner is selected by `Host` (answers then vary on it).
    pub fn by_host(&self) -> bool {
        !self.hosts.is_empty()
    }

    /// The storefront a banner's name selects.
    pub fn named(&self, name: &str) -> Result<usize, ApiError> {
        self.fronts
            .position(name)
            .ok_or_else(|| ApiError::UnknownBanner(name.chars().take(64).collect()))
    }

    /// The storefront the door selects (before the operation's own `@inContext`).
    pub fn at_door(&self, hint: &BannerHint) -> Result<usize, ApiError> {
        if let Some(name) = &hint.named {
            return self.named(name);
        }
        let by_host = hint.host.as_ref().and_then(|h| self.hosts.get(h));
        Ok(by_host.copied().unwrap_or(0))
    }

    /// Refuses a country the banner does not sell to.
    pub fn check_country(&self, front: usize, country: Option<&str>) -> Result<(), ApiError> {
        let (Some(country), Some(markets)) = (country, self.markets.get(front)) else {
            return Ok(());
        };
        if markets.is_empty() || markets.iter().any(|m| m == country) {
            return Ok(());
        }
        Err(ApiError::CountryNotInMarkets {
            banner: self.name(front).to_string(),
            country: country.to_string(),
        })
    }

    /// The banner's own cost limit (`None`: `graphql.max_cost`).
    pub fn max_cost(&self, front: usize) -> Option<usize> {
        self.max_costs.get(front).copied().flatten()
    }

    pub fn name(&self, front: usize) -> &str {
        self.fronts.iter().nth(front).map_or("", |f| &f.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn banners() -> Banners {
        let settings = Settings::defaults()
            .with_overrides(
                "[[banners]]\nname = \"main\"\nhosts = [\"shop.example\"]\n[[banners]]\n\
                 name = \"outlet\"\nhosts = [\"outlet.example\"]\nmarkets = [\"US\", \"GB\"]\n",
            )
            .unwrap();
        let resolved = settings.resolved_banners().unwrap();
        let specs: Vec<_> = resolved.iter().map(|b| b.spec()).collect();
        Banners::new(Arc::new(Storefronts::build(&specs)), &resolved)
    }

    fn hint(named: Option<&str>, host: Option<&str>) -> BannerHint {
        BannerHint {
            named: named.map(str::to_string),
            host: host.map(str::to_string),
        }
    }

    #[test]
    fn the_path_names_then_the_host_selects_then_the_default() {
        let b = banners();
        assert_eq!(
            b.at_door(&hint(Some("outlet"), Some("shop.example"))),
            Ok(1)
        );
        assert_eq!(b.at_door(&hint(None, Some("outlet.example"))), Ok(1));
        assert_eq!(b.at_door(&hint(None, Some("elsewhere"))), Ok(0));
        assert_eq!(b.at_door(&hint(None, None)), Ok(0));
        assert_eq!(
            b.at_door(&hint(Some("nope"), None)).unwrap_err().code(),
            "UNKNOWN_BANNER"
        );
        assert!(b.many() && b.by_host());
    }

    #[test]
    fn a_country_outside_the_markets_is_refused() {
        let b = banners();
        assert_eq!(b.check_country(1, Some("GB")), Ok(()));
        assert_eq!(b.check_country(1, None), Ok(()));
        assert_eq!(
            b.check_country(0, Some("JP")),
            Ok(()),
            "main sells everywhere"
        );
        let refused = b.check_country(1, Some("JP")).unwrap_err();
        assert_eq!(refused.code(), "UNSUPPORTED_COUNTRY");
    }
}
