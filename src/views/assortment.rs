//! A storefront's assortment: which products of its products topic it sells (include and
//! exclude lists by product id or category), decided from the product record alone, so every
//! replica selects the same products.

use std::collections::HashSet;

use super::listing::category_matches;
use super::Product;

/// Which products a storefront sells. The default sells every product.
///
/// A product is selected when it is included (no include list at all, its id in
/// `include_ids`, or one of its categories at or below one of `include_categories`) and not
/// excluded (its id in `exclude_ids`, or one of its categories at or below one of
/// `exclude_categories`): an exclusion wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assortment {
    pub include_categories: Vec<String>,
    pub exclude_categories: Vec<String>,
    pub include_ids: HashSet<String>,
    pub exclude_ids: HashSet<String>,
}

impl Assortment {
    /// Every product.
    pub fn everything() -> Self {
        Self::default()
    }

    /// True when the storefront sells every product of its topic.
    pub fn is_everything(&self) -> bool {
        *self == Self::default()
    }

    pub fn selects(&self, product: &Product) -> bool {
        let in_any = |prefixes: &[String]| {
            product
                .categories
                .iter()
                .any(|c| prefixes.iter().any(|p| category_matches(c, p)))
        };
        let included = (self.include_categories.is_empty() && self.include_ids.is_empty())
            || self.include_ids.contains(&product.id)
            || in_any(&self.include_categories);
        included && !self.exclude_ids.contains(&product.id) && !in_any(&self.exclude_categories)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::product;

    fn in_category(id: &str, category: &str) -> Product {
        Product {
            categories: vec![category.to_string()],
            ..product(id, 1, &["s"])
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn everything_selects_every_product() {
        let all = Assortment::everything();
        assert!(all.is_everything());
        assert!(all.selects(&in_category("p", "home")));
    }

    #[test]
    fn includes_by_category_below_and_by_id() {
        let some = Assortment {
            include_categories: strings(&["women/knitwear"]),
            include_ids: ["p9".to_string()].into(),
            ..Assortment::default()
        };
        assert!(some.selects(&in_category("p1", "women/knitwear/sweaters")));
        assert!(some.selects(&in_category("p1", "women/knitwear")));
        assert!(!some.selects(&in_category("p1", "women/knitwearables")));
        assert!(!some.selects(&in_category("p1", "men/shirts")));
        assert!(some.selects(&in_category("p9", "men/shirts")), "by id");
    }

    #[test]
    fn an_exclusion_wins_over_an_inclusion() {
        let some = Assortment {
            include_categories: strings(&["women"]),
            exclude_categories: strings(&["women/bags"]),
            exclude_ids: ["p2".to_string()].into(),
            ..Assortment::default()
        };
        assert!(some.selects(&in_category("p1", "women/shoes")));
        assert!(!some.selects(&in_category("p1", "women/bags/totes")));
        assert!(!some.selects(&in_category("p2", "women/shoes")));
        let all_but = Assortment {
            exclude_categories: strings(&["home"]),
            ..Assortment::default()
        };
        assert!(all_but.selects(&in_category("p1", "men")));
        assert!(!all_but.selects(&in_category("p1", "home/lamps")));
    }
}
