//! Which products a listing keeps: the filter, including the facets' selections (brands and
//! variant options), and the rules every path (indexed walk, scan, recheck, facets) shares.

use super::summary::Stocked;
use super::Product;

/// Which products a listing keeps. `None` and empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingFilter {
    /// A category path prefix, matched at `/` boundaries.
    pub category: Option<String>,
    /// Exact brand, case-insensitive.
    pub brand: Option<String>,
    /// Any of these brands, case-insensitive (the brand facet's selection).
    pub brands: Vec<String>,
    /// A variant having, for each named option, one of its values (OR within an option, AND
    /// across options, on the same variant); in stock when [`ListingFilter::options_need_stock`].
    pub options: Vec<OptionFilter>,
    /// Variant options count only in-stock variants even without `in_stock: true` (the
    /// `graphql.facet_options_in_stock` setting).
    pub options_in_stock: bool,
    /// Only products available (or, with `false`, unavailable) for sale.
    pub in_stock: Option<bool>,
    /// Bounds on the product's lowest variant price, in base minor units, inclusive.
    pub min_price_minor: Option<i64>,
    pub max_price_minor: Option<i64>,
    /// Words that must each begin a word of the title or brand, in any case and accent
    /// (see `text`).
    pub query: Option<String>,
}

/// The variant options listings filter and facet on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OptionName {
    Size,
    Color,
}

impl OptionName {
    pub const ALL: [OptionName; 2] = [OptionName::Size, OptionName::Color];

    pub fn as_str(self) -> &'static str {
        match self {
            OptionName::Size => "size",
            OptionName::Color => "color",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(name))
    }

    /// The variant's value of this option.
    pub fn of(self, variant: &super::Variant) -> Option<&str> {
        match self {
            OptionName::Size => variant.size.as_deref(),
            OptionName::Color => variant.color.as_deref(),
        }
    }
}

/// One option's selected values (any of them, case-insensitive).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionFilter {
    pub name: OptionName,
    pub values: Vec<String>,
}

impl OptionFilter {
    pub fn accepts(&self, variant: &super::Variant) -> bool {
        self.name
            .of(variant)
            .is_some_and(|v| self.values.iter().any(|s| s.eq_ignore_ascii_case(v)))
    }
}

impl ListingFilter {
    pub(super) fn needs_price(&self) -> bool {
        self.min_price_minor.is_some() || self.max_price_minor.is_some()
    }

    /// Option values count only variants in stock.
    pub fn options_need_stock(&self) -> bool {
        self.options_in_stock || self.in_stock == Some(true)
    }

    /// The brand facet's selection keeps this brand (always, with nothing selected).
    pub fn brand_selected(&self, brand: &str) -> bool {
        self.brands.is_empty() || self.brands.iter().any(|b| b.eq_ignore_ascii_case(brand))
    }

    /// Some variant has one of the selected values of every selected option (and is in stock
    /// when that is asked), `skip` aside: the rule of the option filter and of the option
    /// facets, which relax their own option.
    pub fn options_match_except(
        &self,
        product: &Product,
        stocked: Stocked,
        skip: Option<OptionName>,
    ) -> bool {
        let selected = || self.options.iter().filter(|o| Some(o.name) != skip);
        if selected().next().is_none() {
            return true;
        }
        let stock = self.options_need_stock();
        product.variants.iter().enumerate().any(|(at, variant)| {
            (!stock || stocked.has(at)) && selected().all(|o| o.accepts(variant))
        })
    }

    pub fn options_match(&self, product: &Product, stocked: Stocked) -> bool {
        self.options_match_except(product, stocked, None)
    }

    /// The price range keeps a product whose lowest price shows as `shown` (always, without
    /// bounds; never, with bounds and no shown price).
    pub fn price_selected(&self, shown: Option<i64>) -> bool {
        match shown {
            _ if !self.needs_price() => true,
            Some(p) => {
                self.min_price_minor.is_none_or(|lo| p >= lo)
                    && self.max_price_minor.is_none_or(|hi| p <= hi)
            }
            None => false,
        }
    }

    /// `min_price` is the product's lowest variant price as shown in the listing's market.
    pub(super) fn matches_summary(&self, available: bool, min_price: Option<i64>) -> bool {
        if let Some(in_stock) = self.in_stock {
            if available != in_stock {
                return false;
            }
        }
        self.price_selected(min_price)
    }
}
