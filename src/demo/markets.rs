//! The demo's international pricing partner: a realistic set of countries and their FX moves.

use serde_json::json;

use crate::events::Record;
use crate::views::ViewKind;

/// One country's pricing context as the partner sends it.
#[derive(Debug, Clone)]
pub struct DemoMarket {
    pub country: &'static str,
    pub currency: &'static str,
    pub minor_units: u32,
    /// FX rate in 1/10,000ths of a local unit per base unit (0.7893 is 7893).
    pub fx_ten_thousandths: i64,
    pub duty_rates: &'static [(&'static str, u32)],
    pub tax_bp: u32,
    pub rounding: Option<(i64, i64)>,
    pub shipping_flat: i64,
    pub free_over: Option<i64>,
}

/// GB, DE, FR, JP, CA and AU, with plausible (not authoritative) duty, tax and rounding.
pub fn demo_markets() -> Vec<DemoMarket> {
    let m = |country, currency, minor_units, fx, duty_rates, tax_bp, rounding, flat, free_over| {
        DemoMarket {
            country,
            currency,
            minor_units,
            fx_ten_thousandths: fx,
            duty_rates,
            tax_bp,
            rounding,
            shipping_flat: flat,
            free_over,
        }
    };
    const EU_DUTY: &[(&str, u32)] = &[
        ("61", 1200),
        ("62", 1200),
        ("64", 800),
        ("6403", 800),
        ("4202", 300),
        ("*", 400),
    ];
    vec![
        m(
            "GB",
            "GBP",
            2,
            7893,
            &[
                ("61", 1200),
                ("6110", 1600),
                ("62", 1200),
                ("64", 800),
                ("4202", 300),
                ("*", 500),
            ],
            2000,
            Some((100, 1)),
            1500,
            Some(25000),
        ),
        m(
            "DE",
            "EUR",
            2,
            9241,
            EU_DUTY,
            1900,
            Some((100, 5)),
            1200,
            Some(20000),
        ),
        m(
            "FR",
            "EUR",
            2,
            9241,
            EU_DUTY,
            2000,
            Some((100, 1)),
            1000,
            Some(15000),
        ),
        m(
            "JP",
            "JPY",
            0,
            1_572_000,
            &[("61", 900), ("62", 900), ("64", 3000), ("*", 500)],
            1000,
            Some((100, 0)),
            2000,
            Some(30000),
        ),
        m(
            "CA",
            "CAD",
            2,
            13865,
            &[("61", 1800), ("62", 1700), ("64", 1800), ("*", 800)],
            1300,
            Some((100, 1)),
            1800,
            Some(30000),
        ),
        m(
            "AU",
            "AUD",
            2,
            15302,
            &[("*", 500)],
            1000,
            Some((100, 5)),
            2000,
            Some(25000),
        ),
    ]
}

impl DemoMarket {
    /// The FX rate as an exact decimal string with four places.
    pub fn fx_text(&self) -> String {
        format!(
            "{}.{:04}",
            self.fx_ten_thousandths / 10_000,
            self.fx_ten_thousandths % 10_000
        )
    }

    pub fn record(&self, version: u64) -> Record {
        let duty: serde_json::Map<String, serde_json::Value> = self
            .duty_rates
            .iter()
            .map(|(prefix, bp)| (prefix.to_string(), json!(bp)))
            .collect();
        let mut value = json!({
            "country": self.country, "version": version, "currency": self.currency,
            "minorUnits": self.minor_units, "fxRate": self.fx_text(), "dutyRates": duty,
            "taxRate": self.tax_bp, "shipping": {"flat": self.shipping_flat},
        });
        if let Some(free_over) = self.free_over {
            value["shipping"]["freeOver"] = json!(free_over);
        }
        if let Some((increment, minus)) = self.rounding {
            value["rounding"] = json!({"increment": increment, "minus": minus});
        }
        Record {
            kind: ViewKind::Intl,
            key: self.country.to_string(),
            payload: Some(serde_json::to_vec(&value).expect("json values serialize")),
        }
    }

    /// Moves the rate by `per_mille` thousandths (e.g. -5 is -0.5%).
    pub fn move_fx(&mut self, per_mille: i64) {
        self.fx_ten_thousandths = (self.fx_ten_thousandths * (1000 + per_mille) / 1000).max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::decode;
    use crate::views::Change;

    #[test]
    fn every_demo_market_decodes() {
        for market in demo_markets() {
            let r = market.record(1);
            let decoded = decode(r.kind, Some(r.key.as_bytes()), r.payload.as_deref());
            assert!(
                matches!(decoded, Ok(Change::Intl(_))),
                "{}: {decoded:?}",
                market.country
            );
        }
        assert_eq!(demo_markets()[3].fx_text(), "157.2000");
    }
}
