//! `vitrine.intl`: the international pricing partner's context for one country (FX, duty, tax,
//! rounding, shipping), keyed by ISO country code.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::decode::{check_key, invalid, is_code, DecodeError};
use crate::views::model::{CharmRounding, ExactRate, IntlContext, Shipping};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IntlRecord {
    country: String,
    version: u64,
    currency: String,
    minor_units: u32,
    fx_rate: String,
    #[serde(default)]
    duty_rates: BTreeMap<String, u32>,
    tax_rate: u32,
    rounding: Option<RoundingRecord>,
    shipping: ShippingRecord,
    /// This record corrects an erroneous one: quotes for earlier versions are void.
    #[serde(default)]
    correction: bool,
    /// The version of an earlier correction still in force (written by Vitrine's snapshots).
    corrected_at: Option<u64>,
}

#[derive(Deserialize)]
struct RoundingRecord {
    increment: i64,
    #[serde(default)]
    minus: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShippingRecord {
    flat: i64,
    free_over: Option<i64>,
}

/// Largest basis-point rate accepted (1000%), to keep arithmetic far from overflow.
const MAX_BP: u32 = 100_000;
/// Most significant digits accepted in an FX rate.
const MAX_RATE_DIGITS: usize = 18;

/// Parses an exact positive decimal such as `"0.7893"` or `"157.2"`.
pub fn parse_rate(text: &str) -> Option<ExactRate> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (text.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let all = format!("{whole}{fraction}");
    let significant = all.trim_start_matches('0');
    if significant.is_empty() || significant.len() > MAX_RATE_DIGITS {
        return None;
    }
    Some(ExactRate {
        mantissa: significant.parse().ok()?,
        scale: fraction.len() as u32,
    })
}

/// Duty rates by HS-code prefix, longest first, and the `"*"` fallback.
type DutyRates = (Vec<(String, u32)>, Option<u32>);

fn duty_rates(by_prefix: BTreeMap<String, u32>) -> Result<DutyRates, DecodeError> {
    let mut fallback = None;
    let mut rates = Vec::new();
    for (prefix, bp) in by_prefix {
        if bp > MAX_BP {
            return Err(invalid(
                "dutyRates",
                format!("{bp} basis points is over {MAX_BP}"),
            ));
        }
        if prefix == "*" {
            fallback = Some(bp);
        } else if !prefix.is_empty()
            && prefix.len() <= 10
            && prefix.bytes().all(|b| b.is_ascii_digit())
        {
            rates.push((prefix, bp));
        } else {
            return Err(invalid(
                "dutyRates",
                format!("`{prefix}` is not an HS-code prefix or \"*\""),
            ));
        }
    }
    rates.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    Ok((rates, fallback))
}

pub(super) fn decode(key: &str, record: IntlRecord) -> Result<IntlContext, DecodeError> {
    check_key(key, "country", &record.country)?;
    if !is_code(&record.country, 2) {
        return Err(invalid(
            "country",
            "must be an ISO 3166-1 alpha-2 code like GB",
        ));
    }
    if !is_code(&record.currency, 3) {
        return Err(invalid("currency", "must be an ISO 4217 code like GBP"));
    }
    if record.minor_units > 4 {
        return Err(invalid("minorUnits", "must be between 0 and 4"));
    }
    let fx_rate = parse_rate(&record.fx_rate).ok_or_else(|| {
        invalid(
            "fxRate",
            "must be a positive decimal string like \"0.7893\"",
        )
    })?;
    let (duty_rates, duty_fallback_bp) = duty_rates(record.duty_rates)?;
    if record.tax_rate > MAX_BP {
        return Err(invalid("taxRate", format!("over {MAX_BP} basis points")));
    }
    let rounding = match record.rounding {
        None => None,
        Some(r) if r.increment > 0 && (0..r.increment).contains(&r.minus) => Some(CharmRounding {
            increment: r.increment,
            minus: r.minus,
        }),
        Some(_) => {
            return Err(invalid(
                "rounding",
                "needs increment > 0 and 0 <= minus < increment",
            ))
        }
    };
    let shipping = record.shipping;
    if shipping.flat < 0 || shipping.free_over.is_some_and(|f| f < 0) {
        return Err(invalid("shipping", "amounts must not be negative"));
    }
    Ok(IntlContext {
        country: record.country,
        version: record.version,
        currency: record.currency,
        minor_units: record.minor_units,
        fx_rate,
        fx_rate_text: record.fx_rate,
        duty_rates,
        duty_fallback_bp,
        tax_bp: record.tax_rate,
        rounding,
        shipping: Shipping {
            flat_minor: shipping.flat,
            free_over_minor: shipping.free_over,
        },
        corrected_at: super::correction_in_force(
            record.version,
            record.correction,
            record.corrected_at,
        ),
    })
}

/// The record as the topic carries it (for snapshots): the inverse of [`decode`].
pub fn encode(i: &IntlContext) -> Value {
    let mut duty: Map<String, Value> = i
        .duty_rates
        .iter()
        .map(|(prefix, bp)| (prefix.clone(), json!(bp)))
        .collect();
    if let Some(fallback) = i.duty_fallback_bp {
        duty.insert("*".into(), json!(fallback));
    }
    let mut shipping = json!({"flat": i.shipping.flat_minor});
    if let Some(free_over) = i.shipping.free_over_minor {
        shipping["freeOver"] = json!(free_over);
    }
    let mut value = json!({
        "country": i.country, "version": i.version, "currency": i.currency,
        "minorUnits": i.minor_units, "fxRate": i.fx_rate_text, "dutyRates": duty,
        "taxRate": i.tax_bp, "shipping": shipping,
    });
    if let Some(r) = i.rounding {
        value["rounding"] = json!({"increment": r.increment, "minus": r.minus});
    }
    super::write_correction(&mut value, i.version, i.corrected_at);
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::decode;
    use crate::views::{Change, ViewKind};

    const GB: &str = r#"{"country":"GB","version":3,"currency":"GBP","minorUnits":2,"fxRate":"0.7893",
        "dutyRates":{"61":1200,"6110":1600,"*":500},"taxRate":2000,
        "rounding":{"increment":100,"minus":1},"shipping":{"flat":1500,"freeOver":25000}}"#;

    /// A corrected context says so, and keeps saying so through a snapshot's JSON.
    #[test]
    fn a_correction_is_decoded_and_written_back() {
        let fixed = GB.replace("\"version\":3", "\"version\":4,\"correction\":true");
        let Ok(Change::Intl(gb)) = decode(ViewKind::Intl, Some(b"GB"), Some(fixed.as_bytes()))
        else {
            panic!("GB decodes")
        };
        assert_eq!(gb.corrected_at, Some(4));
        let again = encode(&gb).to_string();
        let Ok(Change::Intl(back)) = decode(ViewKind::Intl, Some(b"GB"), Some(again.as_bytes()))
        else {
            panic!("round trip")
        };
        assert_eq!(back, gb);
    }

    #[test]
    fn decodes_the_documented_example() {
        let Ok(Change::Intl(gb)) = decode(ViewKind::Intl, Some(b"GB"), Some(GB.as_bytes())) else {
            panic!("GB decodes")
        };
        assert_eq!(
            gb.fx_rate,
            ExactRate {
                mantissa: 7893,
                scale: 4
            }
        );
        assert_eq!(
            gb.duty_rates,
            vec![("6110".to_string(), 1600), ("61".to_string(), 1200)]
        );
        assert_eq!(gb.duty_fallback_bp, Some(500));
        assert_eq!(
            gb.rounding,
            Some(CharmRounding {
                increment: 100,
                minus: 1
            })
        );
        assert_eq!(gb.shipping.free_over_minor, Some(25000));
    }

    #[test]
    fn rates_are_exact_or_rejected() {
        assert_eq!(
            parse_rate("157.2"),
            Some(ExactRate {
                mantissa: 1572,
                scale: 1
            })
        );
        assert_eq!(
            parse_rate("1"),
            Some(ExactRate {
                mantissa: 1,
                scale: 0
            })
        );
        assert_eq!(
            parse_rate("0.000100"),
            Some(ExactRate {
                mantissa: 100,
                scale: 6
            })
        );
        for bad in [
            "",
            "0",
            "0.000",
            "-1",
            "1e3",
            ".5",
            "1.",
            "abc",
            "1234567890123456789",
        ] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
    }

    #[test]
    fn incomplete_or_malformed_records_are_rejected() {
        let cases = [
            GB.replace("\"fxRate\":\"0.7893\"", "\"fxRate\":0.7893"),
            GB.replace("\"taxRate\":2000,", ""),
            GB.replace("\"GBP\"", "\"gbp\""),
            GB.replace("\"minus\":1", "\"minus\":100"),
            GB.replace("\"*\":500", "\"6a\":500"),
            GB.replace(",\"shipping\":{\"flat\":1500,\"freeOver\":25000}", ""),
            GB.replace("\"flat\":1500", "\"flat\":-1"),
        ];
        for case in cases {
            assert!(
                decode(ViewKind::Intl, Some(b"GB"), Some(case.as_bytes())).is_err(),
                "{case}"
            );
        }
        assert!(
            decode(ViewKind::Intl, Some(b"FR"), Some(GB.as_bytes())).is_err(),
            "key mismatch"
        );
    }
}
