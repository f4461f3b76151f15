//! Money as integer minor units, and its exact decimal text form ("899.00").

/// Digits after the decimal point of an ISO 4217 currency (ISO 4217 exponent).
pub fn minor_units(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Formats minor units as an exact decimal string: `(89900, 2)` gives `"899.00"`.
pub fn format_minor(amount_minor: i64, minor_units: u32) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    if minor_units == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10u64.pow(minor_units);
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = minor_units as usize
    )
}

/// Why a decimal text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("`{0}` is not a decimal amount")]
    NotDecimal(String),
    #[error("`{0}` has more than {1} decimal places")]
    TooPrecise(String, u32),
    #[error("`{0}` is out of range")]
    OutOfRange(String),
}

/// Parses an exact decimal string ("899", "899.5", "-1.25") into minor units.
pub fn parse_minor(text: &str, minor_units: u32) -> Result<i64, AmountError> {
    let bad = || AmountError::NotDecimal(text.to_string());
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(bad());
    }
    if digits.contains('.') && fraction.is_empty() {
        return Err(bad());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > minor_units as usize {
        return Err(AmountError::TooPrecise(text.to_string(), minor_units));
    }
    let overflow = || AmountError::OutOfRange(text.to_string());
    let whole: i64 = whole.parse().map_err(|_| overflow())?;
    let fraction_value: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i64>().map_err(|_| bad())? * 10i64.pow(minor_units - fraction.len() as u32)
    };
    let value = whole
        .checked_mul(10i64.pow(minor_units))
        .and_then(|w| w.checked_add(fraction_value))
        .ok_or_else(overflow)?;
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_exponent() {
        assert_eq!(format_minor(89900, 2), "899.00");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(-1234, 2), "-12.34");
        assert_eq!(format_minor(1500, 0), "1500");
        assert_eq!(format_minor(1500, 3), "1.500");
        assert_eq!(minor_units("JPY"), 0);
        assert_eq!(minor_units("USD"), 2);
        assert_eq!(minor_units("KWD"), 3);
    }

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(parse_minor("899", 2), Ok(89900));
        assert_eq!(parse_minor("899.5", 2), Ok(89950));
        assert_eq!(parse_minor("899.50", 2), Ok(89950));
        assert_eq!(parse_minor("0.050", 2), Ok(5));
        assert_eq!(parse_minor("-1.25", 2), Ok(-125));
        assert_eq!(parse_minor("12", 0), Ok(12));
        assert!(matches!(
            parse_minor("1.234", 2),
            Err(AmountError::TooPrecise(..))
        ));
        for bad in ["", ".5", "1.", "abc", "1e3", "--1", "1.2.3", "+1"] {
            assert!(
                matches!(parse_minor(bad, 2), Err(AmountError::NotDecimal(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_minor("99999999999999999999", 2),
            Err(AmountError::OutOfRange(_))
        ));
    }

    #[test]
    fn format_then_parse_round_trips() {
        for v in [0, 1, 99, 100, 123456789, -42] {
            assert_eq!(parse_minor(&format_minor(v, 2), 2), Ok(v));
        }
    }
}
