//! The records the views hold: products, prices and inventory, as decoded from the event contract.

/// A product and its variants (topic `vitrine.products`, key = `id`).
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: String,
    pub version: u64,
    pub title: String,
    pub brand: String,
    pub description: String,
    /// Category paths such as `women/knitwear/sweaters`.
    pub categories: Vec<String>,
    pub images: Vec<String>,
    /// Harmonized System code, e.g. `6110.12` (duty is looked up by its digits).
    pub hs_code: Option<String>,
    /// Publication time as sent (RFC 3339), and as Unix milliseconds for sorting.
    pub published_at: Option<String>,
    pub published_at_ms: Option<i64>,
    pub variants: Vec<Variant>,
    /// `title` and `brand` lower-cased once at decode time, so text search does not allocate.
    pub search_text: String,
    /// `title` lower-cased once at decode time: the `TITLE` sort key.
    pub title_key: String,
}

/// One purchasable size/color of a product.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub sku: String,
    pub size: Option<String>,
    pub color: Option<String>,
}

/// The price of a SKU in the base currency (topic `vitrine.prices`, key = `sku`).
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    pub sku: String,
    pub version: u64,
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// List price in minor units.
    pub list_minor: i64,
    /// Sale price in minor units, if any.
    pub sale_minor: Option<i64>,
}

impl Price {
    /// The price the shopper pays: `sale` when present and lower than `list`, else `list`.
    pub fn selling_minor(&self) -> i64 {
        match self.sale_minor {
            Some(sale) if sale < self.list_minor => sale,
            _ => self.list_minor,
        }
    }

    /// The compare-at (struck-through) price: `list`, when a lower sale price applies.
    pub fn compare_at_minor(&self) -> Option<i64> {
        (self.selling_minor() < self.list_minor).then_some(self.list_minor)
    }
}

/// Stock of a SKU (topic `vitrine.inventory`, key = `sku`).
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    pub sku: String,
    pub version: u64,
    pub available: i32,
}

/// A change to one view, as carried by one Kafka message.
// Short-lived and moved once into an `Arc`: boxing the product would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Product(Product),
    Price(Price),
    Inventory(Inventory),
    /// A tombstone: the key is deleted from the named view.
    Delete(ViewKind, String),
}

/// Which view a topic feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewKind {
    Products,
    Prices,
    Inventory,
}

impl ViewKind {
    pub const ALL: [ViewKind; 3] = [ViewKind::Products, ViewKind::Prices, ViewKind::Inventory];

    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Products => "products",
            ViewKind::Prices => "prices",
            ViewKind::Inventory => "inventory",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(list: i64, sale: Option<i64>) -> Price {
        Price {
            sku: "s".into(),
            version: 1,
            currency: "USD".into(),
            list_minor: list,
            sale_minor: sale,
        }
    }

    #[test]
    fn selling_price_rule() {
        assert_eq!(price(1000, None).selling_minor(), 1000);
        assert_eq!(price(1000, None).compare_at_minor(), None);
        assert_eq!(price(1000, Some(800)).selling_minor(), 800);
        assert_eq!(price(1000, Some(800)).compare_at_minor(), Some(1000));
        // A "sale" above list is no sale.
        assert_eq!(price(1000, Some(1200)).selling_minor(), 1000);
        assert_eq!(price(1000, Some(1000)).compare_at_minor(), None);
    }
}
