//! Landed prices: what a shopper in a country pays, converted with duty and tax included and
//! rounded the way the market expects. The one function every surface (listing, product page,
//! checkout) prices through, exactly, in integers.

use std::sync::Arc;

use crate::views::model::{ExactRate, IntlContext};
use crate::views::{Price, Product};

use super::money::minor_units;

/// Where the shopper is: the base market (base currency, no duty or tax) or a partner country.
#[derive(Debug, Clone)]
pub enum Market {
    Base,
    Intl(Arc<IntlContext>),
}

/// A price as shown in a market, with the duty and tax it includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPrice {
    pub amount_minor: i64,
    pub duty_minor: i64,
    pub tax_minor: i64,
    pub currency: String,
    pub minor_units: u32,
}

/// `round_half_up(numerator / denominator)` for non-negative numerators.
fn div_round_half_up(numerator: i128, denominator: i128) -> Option<i128> {
    let doubled = numerator.checked_mul(2)?.checked_add(denominator)?;
    Some(doubled / denominator.checked_mul(2)?)
}

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

/// `round_half_up(base_minor * rate * 10^(to_units - from_units))`.
pub fn convert(base_minor: i64, rate: ExactRate, from_units: u32, to_units: u32) -> Option<i64> {
    if base_minor < 0 {
        return None;
    }
    let up = to_units.saturating_sub(from_units);
    let down = from_units.saturating_sub(to_units);
    let numerator = (base_minor as i128)
        .checked_mul(rate.mantissa)?
        .checked_mul(pow10(up)?)?;
    let denominator = pow10(rate.scale.checked_add(down)?)?;
    i64::try_from(div_round_half_up(numerator, denominator)?).ok()
}

/// Basis points of `amount`, rounded half up.
fn basis_points(amount: i64, bp: u32) -> Option<i64> {
    let value = div_round_half_up((amount as i128).checked_mul(bp as i128)?, 10_000)?;
    i64::try_from(value).ok()
}

/// The duty rate for an HS code: the longest matching digit prefix, else `"*"`, else none.
pub fn duty_bp(hs_code: Option<&str>, intl: &IntlContext) -> u32 {
    let digits: String = hs_code
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    intl.duty_rates
        .iter()
        .find(|(prefix, _)| !digits.is_empty() && digits.starts_with(prefix.as_str()))
        .map(|(_, bp)| *bp)
        .or(intl.duty_fallback_bp)
        .unwrap_or(0)
}

/// The landed amounts (shown, duty, tax) in local minor units, without allocating.
fn landed_amounts(
    base_minor: i64,
    base_currency: &str,
    hs_code: Option<&str>,
    intl: &IntlContext,
) -> Option<(i64, i64, i64)> {
    let converted = convert(
        base_minor,
        intl.fx_rate,
        minor_units(base_currency),
        intl.minor_units,
    )?;
    let duty = basis_points(converted, duty_bp(hs_code, intl))?;
    let tax = basis_points(converted.checked_add(duty)?, intl.tax_bp)?;
    let total = converted.checked_add(duty)?.checked_add(tax)?;
    let amount = match intl.rounding {
        None => total,
        Some(r) => {
            // Up to the next `k * increment - minus`; every step checked (a wrap would show a
            // negative price).
            let steps = total
                .checked_add(r.minus)?
                .checked_add(r.increment.checked_sub(1)?)?
                .checked_div(r.increment)?;
            steps.checked_mul(r.increment)?.checked_sub(r.minus)?
        }
    };
    Some((amount, duty, tax))
}

/// The landed price of `base_minor` (in `base_currency`) for a product with `hs_code`.
pub fn landed(
    base_minor: i64,
    base_currency: &str,
    hs_code: Option<&str>,
    intl: &IntlContext,
) -> Option<ShownPrice> {
    let (amount, duty, tax) = landed_amounts(base_minor, base_currency, hs_code, intl)?;
    Some(ShownPrice {
        amount_minor: amount,
        duty_minor: duty,
        tax_minor: tax,
        currency: intl.currency.clone(),
        minor_units: intl.minor_units,
    })
}

impl Market {
    /// The duty and tax included in `amount_minor` charged for `product` in this market, for a
    /// price that was not computed here (an honoured quote): tax off the top (it is charged on
    /// the converted price plus duty), then duty off what is left, each rounded half up. Charm
    /// rounding and any difference stay in the remainder, the converted price, so the parts
    /// always add up to the amount.
    pub fn breakdown(&self, amount_minor: i64, product: &Product) -> (i64, i64) {
        let Market::Intl(intl) = self else {
            return (0, 0);
        };
        let part = |amount: i64, bp: u32| -> i64 {
            let amount = i128::from(amount.max(0));
            let bp = i128::from(bp);
            div_round_half_up(amount * bp, 10_000 + bp)
                .and_then(|v| i64::try_from(v).ok())
                .unwrap_or(0)
        };
        let tax = part(amount_minor, intl.tax_bp);
        let duty = part(
            amount_minor - tax,
            duty_bp(product.hs_code.as_deref(), intl),
        );
        (duty, tax)
    }

    /// The record version of the market's context (none for the base market).
    pub fn version(&self) -> Option<u64> {
        match self {
            Market::Base => None,
            Market::Intl(intl) => Some(intl.version),
        }
    }

    /// The version of the country's latest correction in force (none for the base market).
    pub fn corrected_at(&self) -> Option<u64> {
        match self {
            Market::Base => None,
            Market::Intl(intl) => intl.corrected_at,
        }
    }

    /// Shows `base_minor` (an amount of `price`'s currency) for `product` in this market.
    pub fn show(
        &self,
        base_minor: i64,
        base_currency: &str,
        product: &Product,
    ) -> Option<ShownPrice> {
        match self {
            Market::Base => Some(ShownPrice {
                amount_minor: base_minor,
                duty_minor: 0,
                tax_minor: 0,
                currency: base_currency.to_string(),
                minor_units: minor_units(base_currency),
            }),
            Market::Intl(intl) => {
                landed(base_minor, base_currency, product.hs_code.as_deref(), intl)
            }
        }
    }

    /// Just the shown amount of `show` (listings sort and filter on it for every product).
    pub fn shown_minor(
        &self,
        base_minor: i64,
        base_currency: &str,
        product: &Product,
    ) -> Option<i64> {
        match self {
            Market::Base => Some(base_minor),
            Market::Intl(intl) => {
                landed_amounts(base_minor, base_currency, product.hs_code.as_deref(), intl)
                    .map(|a| a.0)
            }
        }
    }

    /// The selling price of a variant in this market.
    pub fn selling(&self, price: &Price, product: &Product) -> Option<ShownPrice> {
        self.show(price.selling_minor(), &price.currency, product)
    }

    /// The compare-at (list) price in this market, when a lower sale price applies.
    pub fn compare_at(&self, price: &Price, product: &Product) -> Option<ShownPrice> {
        price
            .compare_at_minor()
            .and_then(|list| self.show(list, &price.currency, product))
    }

    /// Shipping for an order with this subtotal (local minor units): flat, or free over the threshold.
    pub fn shipping_minor(&self, subtotal_minor: i64) -> i64 {
        match self {
            Market::Base => 0,
            Market::Intl(intl) => match intl.shipping.free_over_minor {
                Some(free_over) if subtotal_minor >= free_over => 0,
                _ => intl.shipping.flat_minor,
            },
        }
    }
}

/// A country's context for tests across the crate.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::events::intl::parse_rate;
    use crate::views::model::{CharmRounding, Shipping};
    use crate::views::IntlContext;

    pub fn intl(
        currency: &str,
        minor_units: u32,
        fx: &str,
        tax_bp: u32,
        rounding: Option<(i64, i64)>,
    ) -> IntlContext {
        IntlContext {
            country: "XX".into(),
            version: 1,
            currency: currency.into(),
            minor_units,
            fx_rate: parse_rate(fx).unwrap(),
            fx_rate_text: fx.into(),
            duty_rates: vec![("6110".into(), 1600), ("61".into(), 1200)],
            duty_fallback_bp: Some(500),
            tax_bp,
            rounding: rounding.map(|(increment, minus)| CharmRounding { increment, minus }),
            shipping: Shipping {
                flat_minor: 1500,
                free_over_minor: Some(25000),
            },
            corrected_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::intl;
    use super::*;
    use crate::events::intl::parse_rate;

    #[test]
    fn gb_worked_example() {
        // $899.00 sweater (HS 6110.12) in GB at 0.7893, duty 16% (prefix 6110), VAT 20%.
        let gb = intl("GBP", 2, "0.7893", 2000, Some((100, 1)));
        let shown = landed(89900, "USD", Some("6110.12"), &gb).unwrap();
        // converted = 89900 * 0.7893 = 70958.07 -> 70958
        // duty = 70958 * 0.16 = 11353.28 -> 11353
        // tax = (70958 + 11353) * 0.20 = 16462.2 -> 16462
        // landed = 98773 -> next x.99 at or above: 98799
        assert_eq!((shown.duty_minor, shown.tax_minor), (11353, 16462));
        assert_eq!(shown.amount_minor, 98799);
        assert_eq!(shown.currency, "GBP");
    }

    /// An honoured quote of 987.99 in GB: tax comes off the top, duty off the rest, and the
    /// remainder (converted price plus charm rounding) makes the parts add up exactly.
    #[test]
    fn a_charged_amount_breaks_down_into_its_duty_and_tax() {
        let gb = Market::Intl(Arc::new(intl("GBP", 2, "0.7893", 2000, Some((100, 1)))));
        let mut product = crate::views::testing::product("p", 1, &["a"]);
        product.hs_code = Some("6110.12".into());
        // tax = 98799 * 2000 / 12000 = 16466.5 -> 16467; duty = 82332 * 1600 / 11600 = 11356.1
        assert_eq!(gb.breakdown(98799, &product), (11356, 16467));
        let (duty, tax) = gb.breakdown(1, &product);
        assert!(duty + tax <= 1);
        assert_eq!(Market::Base.breakdown(98799, &product), (0, 0));
    }

    #[test]
    fn rounding_half_up_and_charm_endings() {
        let no_rounding = intl("EUR", 2, "0.5", 0, None);
        // 1 cent * 0.5 = 0.5 -> rounds up to 1
        assert_eq!(convert(1, no_rounding.fx_rate, 2, 2), Some(1));
        assert_eq!(convert(3, parse_rate("0.5").unwrap(), 2, 2), Some(2)); // 1.5 -> 2
        assert_eq!(convert(2, parse_rate("0.7").unwrap(), 2, 2), Some(1)); // 1.4 -> 1
        let charm = intl("EUR", 2, "1", 0, Some((100, 1)));
        let shown = |base| {
            landed(base, "USD", Some("9999"), &charm)
                .unwrap()
                .amount_minor
        };
        // fallback duty 5%: 1000 -> 1050 -> 1099 ; 1899 * 1.05 = 1993.95 -> 1994 -> 1999
        assert_eq!(shown(1000), 1099);
        assert_eq!(shown(1899), 1999);
        // A landed price already on a charm ending stays: 1904.76... choose base so landed = 1999
        let exact = intl("EUR", 2, "1", 0, Some((100, 1)));
        let mut e = exact.clone();
        e.duty_fallback_bp = None;
        assert_eq!(landed(1999, "USD", None, &e).unwrap().amount_minor, 1999);
        assert_eq!(landed(2000, "USD", None, &e).unwrap().amount_minor, 2099);
    }

    #[test]
    fn zero_decimal_currency() {
        // $12.34 -> JPY at 157.2: 12.34 * 157.2 = 1939.848 -> 1940 yen, minorUnits 0.
        let jp = intl("JPY", 0, "157.2", 1000, Some((10, 0)));
        let shown = landed(1234, "USD", Some("6110"), &jp).unwrap();
        // duty 16%: 1940 * 0.16 = 310.4 -> 310; tax 10%: 2250 * 0.1 = 225; landed 2475 -> 2480
        assert_eq!((shown.duty_minor, shown.tax_minor), (310, 225));
        assert_eq!(shown.amount_minor, 2480);
        assert_eq!(shown.minor_units, 0);
    }

    #[test]
    fn longest_prefix_duty() {
        let gb = intl("GBP", 2, "1", 0, None);
        assert_eq!(duty_bp(Some("6110.12"), &gb), 1600);
        assert_eq!(duty_bp(Some("6109.10"), &gb), 1200);
        assert_eq!(duty_bp(Some("4202.21"), &gb), 500);
        assert_eq!(duty_bp(None, &gb), 500);
        let mut no_fallback = gb.clone();
        no_fallback.duty_fallback_bp = None;
        assert_eq!(duty_bp(Some("4202.21"), &no_fallback), 0);
    }

    #[test]
    fn free_shipping_threshold() {
        let gb = Market::Intl(Arc::new(intl("GBP", 2, "1", 0, None)));
        assert_eq!(gb.shipping_minor(24999), 1500);
        assert_eq!(gb.shipping_minor(25000), 0);
        assert_eq!(Market::Base.shipping_minor(1), 0);
    }

    #[test]
    fn charm_rounding_near_the_top_is_no_price_not_a_wrap() {
        let mut parity = intl("GBP", 2, "1", 0, Some((100, 1)));
        parity.duty_fallback_bp = None; // only the rounding can overflow
        assert_eq!(landed(i64::MAX - 5, "USD", None, &parity), None);
        let shown = landed(1_000_000_000_000_000, "USD", None, &parity).unwrap();
        assert_eq!(shown.amount_minor, 1_000_000_000_000_099);
    }

    #[test]
    fn overflow_is_no_price_not_a_panic() {
        let huge = intl("GBP", 2, "999999999999999999", 100_000, None);
        assert_eq!(landed(i64::MAX, "USD", None, &huge), None);
        assert_eq!(convert(-1, huge.fx_rate, 2, 2), None);
    }

    #[test]
    fn the_amount_only_path_agrees_with_the_full_one() {
        let product = crate::views::testing::product("p", 1, &["a"]);
        let gb = Market::Intl(Arc::new(intl("GBP", 2, "0.7893", 2000, Some((100, 1)))));
        for market in [Market::Base, gb] {
            for base in [0, 1, 99, 12_345, 89_900, 1_000_000] {
                let full = market.show(base, "USD", &product).map(|s| s.amount_minor);
                assert_eq!(market.shown_minor(base, "USD", &product), full);
            }
        }
    }

    #[test]
    fn landed_is_monotonic_in_the_base_price() {
        let gb = intl("GBP", 2, "0.7893", 2000, Some((100, 1)));
        let mut last = 0;
        for base in (0..200_000).step_by(37) {
            let amount = landed(base, "USD", Some("6110"), &gb).unwrap().amount_minor;
            assert!(amount >= last, "{base}");
            last = amount;
        }
    }
}
