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
    let mut buf = [0u8; 64];
    String::from_utf8_lossy(minor_digits(amount_minor, minor_units, &mut buf)).into_owned()
}

/// The text of [`format_minor`], written from the right into `buf` (every shown price goes
/// through here; the formatting machinery cost more than the rest of pricing a checkout line,
/// and answers written straight to JSON need no `String`). At most 40 decimals.
pub fn minor_digits(amount_minor: i64, minor_units: u32, buf: &mut [u8; 64]) -> &[u8] {
    // 20 digits of a u64, up to 40 decimals, the point and the sign.
    let units = minor_units.min(40) as usize;
    let mut at = buf.len();
    let mut rest = amount_minor.unsigned_abs();
    for _ in 0..units {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    if units > 0 {
        at -= 1;
        buf[at] = b'.';
    }
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if amount_minor < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
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
        assert_eq!(format_minor(0, 0), "0");
        assert_eq!(format_minor(0, 3), "0.000");
        assert_eq!(format_minor(i64::MIN, 0), "-9223372036854775808");
        assert_eq!(format_minor(i64::MIN, 2), "-92233720368547758.08");
        assert_eq!(format_minor(i64::MAX, 4), "922337203685477.5807");
        // The same as the formatting machinery gives, around every power of ten.
        for units in 0..=4u32 {
            let scale = 10u64.pow(units);
            for v in (0..19)
                .map(|e| 10i64.pow(e))
                .flat_map(|p| [p - 1, p, p + 1, -p, 7 * p])
            {
                let abs = v.unsigned_abs();
                let sign = if v < 0 { "-" } else { "" };
                let expected = match units {
                    0 => format!("{sign}{abs}"),
                    _ => format!(
                        "{sign}{}.{:0w$}",
                        abs / scale,
                        abs % scale,
                        w = units as usize
                    ),
                };
                assert_eq!(format_minor(v, units), expected);
            }
        }
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
