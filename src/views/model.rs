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
    /// `title` lower-cased once at decode time: the `TITLE` sort key.
    pub title_key: String,
    /// Version of the latest product record that corrected an error (`"correction": true`,
    /// carried forward by later records): quotes priced from an earlier version are void.
    pub corrected_at: Option<u64>,
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
    /// Version of the latest price record that corrected an error (`"correction": true`):
    /// quotes signed for earlier versions are not honoured. Carried forward by later records.
    pub corrected_at: Option<u64>,
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
    /// Units on hand (holds are subtracted when reading availability).
    pub available: i32,
    /// Reservations this count already accounts for (the warehouse took those orders): their
    /// holds on this SKU end when the record is applied.
    pub reservations: Vec<String>,
}

/// An exact, positive decimal such as an FX rate: `mantissa / 10^scale` ("0.7893" is 7893 / 10^4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactRate {
    pub mantissa: i128,
    pub scale: u32,
}

/// Rounding of shown prices to a "charm" ending: up to the next `k * increment - minus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharmRounding {
    pub increment: i64,
    pub minus: i64,
}

/// Shipping charged per order in a country, in local minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shipping {
    pub flat_minor: i64,
    /// Orders whose subtotal reaches this ship free.
    pub free_over_minor: Option<i64>,
}

/// The international pricing partner's context for one country (topic `vitrine.intl`, key = country).
#[derive(Debug, Clone, PartialEq)]
pub struct IntlContext {
    /// ISO 3166-1 alpha-2 code, e.g. `GB`.
    pub country: String,
    pub version: u64,
    /// ISO 4217 code of the local currency and its minor units.
    pub currency: String,
    pub minor_units: u32,
    /// Units of local currency per unit of the base currency.
    pub fx_rate: ExactRate,
    /// The rate as sent, for display.
    pub fx_rate_text: String,
    /// Duty in basis points by HS-code digit prefix, longest first.
    pub duty_rates: Vec<(String, u32)>,
    /// Duty for HS codes no prefix matches (`"*"`), if any.
    pub duty_fallback_bp: Option<u32>,
    /// Sales tax / VAT in basis points, charged on the converted price plus duty.
    pub tax_bp: u32,
    pub rounding: Option<CharmRounding>,
    pub shipping: Shipping,
    /// Version of the latest record of this country that corrected an error (an FX, duty or
    /// tax typo): quotes priced from an earlier version are void.
    pub corrected_at: Option<u64>,
}

/// A change to one view, as carried by one Kafka message.
// Short-lived and moved once into an `Arc`: boxing the product would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Product(Product),
    Price(Price),
    Inventory(Inventory),
    Intl(IntlContext),
    /// A hold request, a release, or a decided hold (from a snapshot).
    Reservation(super::holds::ReservationEvent),
    /// A tombstone: the key is deleted from the named view.
    Delete(ViewKind, String),
}

/// Which view a topic feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewKind {
    Products,
    Prices,
    Inventory,
    Intl,
    /// Stock holds, decided by the reservation log.
    Reservations,
}

impl ViewKind {
    pub const ALL: [ViewKind; 5] = [
        ViewKind::Products,
        ViewKind::Prices,
        ViewKind::Inventory,
        ViewKind::Intl,
        ViewKind::Reservations,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Products => "products",
            ViewKind::Prices => "prices",
            ViewKind::Inventory => "inventory",
            ViewKind::Intl => "intl",
            ViewKind::Reservations => "reservations",
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
            corrected_at: None,
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
