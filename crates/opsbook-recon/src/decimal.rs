//! Exact decimal parsing for exchange exports: no float anywhere (D-DATA-RECON).
//!
//! Amounts are [`rust_decimal::Decimal`] (96-bit mantissa, scale 0..=28), which
//! compares by value: `0.5 == 0.50000000`, and a 1e-8 difference in a
//! 17-digit quantity is a difference. [`parse`] accepts what exports write:
//! plain decimals (`-0.00008316`, `5.`, `.5`, `+1`), exponent notation
//! (`3.605E-05`, `5E-1`), surrounding spaces. A value that cannot be held
//! exactly (more than 28 fractional digits, or beyond 96 bits) is an error,
//! never a rounding.
//!
//! The fast path handles the common plain form with at most 19 digits by
//! scanning the bytes once into a `u64` mantissa and a scale; everything else
//! goes through `rust_decimal`'s own exact parser. A property test checks that
//! both paths agree.

use rust_decimal::Decimal;

/// Why a cell is not an exact decimal number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalError {
    /// The cell as written (lossy UTF-8, at most 40 characters).
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl std::fmt::Display for DecimalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not an exact decimal number: {}",
            self.text, self.reason
        )
    }
}

impl std::error::Error for DecimalError {}

fn err(bytes: &[u8], reason: &'static str) -> DecimalError {
    let mut text: String = String::from_utf8_lossy(bytes).chars().take(40).collect();
    if bytes.len() > 40 {
        text.push('…');
    }
    DecimalError { text, reason }
}

/// Parses a decimal exactly.
///
/// # Errors
/// [`DecimalError`] for an empty cell, a character that is not part of a
/// number (thousands separators, currency signs), or a value that does not
/// fit exactly (scale above 28 or a mantissa above 96 bits).
pub fn parse(bytes: &[u8]) -> Result<Decimal, DecimalError> {
    if let Some(d) = fast(bytes) {
        return Ok(d);
    }
    slow(bytes)
}

/// The plain `[-+]digits[.digits]` form with at most 19 digits, else `None`.
#[inline]
fn fast(bytes: &[u8]) -> Option<Decimal> {
    let (neg, rest) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if rest.is_empty() || rest.len() > 20 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    let mut point: Option<u32> = None;
    for &b in rest {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(digits),
            _ => return None,
        }
    }
    if digits == 0 || digits > 19 {
        return None;
    }
    let scale = point.map_or(0, |p| digits - p);
    let mut d = Decimal::from_parts(
        (mantissa & 0xFFFF_FFFF) as u32,
        (mantissa >> 32) as u32,
        0,
        neg,
        scale,
    );
    if neg && mantissa == 0 {
        // `-0` and `-0.00` equal zero; keep the scale, drop the sign.
        d.set_sign_positive(true);
    }
    Some(d)
}

fn slow(bytes: &[u8]) -> Result<Decimal, DecimalError> {
    let text = std::str::from_utf8(bytes).map_err(|_| err(bytes, "not UTF-8 text"))?;
    let t = text.trim();
    if t.is_empty() {
        return Err(err(bytes, "the cell is empty"));
    }
    if let Some(d) = fast(t.as_bytes()) {
        return Ok(d);
    }
    let (mant, exp) = match t.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = t[i + 1..]
                .strip_prefix('+')
                .unwrap_or(&t[i + 1..])
                .parse()
                .map_err(|_| err(bytes, "the exponent is not an integer"))?;
            (&t[..i], e)
        }
        None => (t, 0),
    };
    if mant.is_empty()
        || !mant
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
    {
        return Err(err(
            bytes,
            "expected digits with an optional `.` and exponent",
        ));
    }
    let m = Decimal::from_str_exact(mant).map_err(|e| {
        err(
            bytes,
            match e {
                rust_decimal::Error::Underflow => "more than 28 fractional digits",
                rust_decimal::Error::ExceedsMaximumPossibleValue
                | rust_decimal::Error::LessThanMinimumPossibleValue => {
                    "beyond the 96-bit exact range"
                }
                _ => "expected digits with an optional `.` and exponent",
            },
        )
    })?;
    scale_by_pow10(m, exp).ok_or_else(|| {
        err(
            bytes,
            "the exponent takes the value beyond 28 fractional digits or 96 bits",
        )
    })
}

/// `m * 10^exp`, exactly, or `None` when it cannot be represented.
fn scale_by_pow10(m: Decimal, exp: i32) -> Option<Decimal> {
    if exp == 0 {
        return Some(m);
    }
    if m.is_zero() {
        return Some(Decimal::ZERO);
    }
    if !(-60..=60).contains(&exp) {
        return None;
    }
    if exp < 0 {
        let scale = m.scale().checked_add(exp.unsigned_abs())?;
        if scale > 28 {
            // Trailing zeros of the mantissa may absorb part of the shift.
            let n = m.normalize();
            let scale = n.scale().checked_add(exp.unsigned_abs())?;
            if scale > 28 {
                return None;
            }
            let mut d = n;
            d.set_scale(scale).ok()?;
            return Some(d);
        }
        let mut d = m;
        d.set_scale(scale).ok()?;
        return Some(d);
    }
    let mut d = m;
    for _ in 0..exp {
        if d.scale() > 0 {
            // Shifting the point right: same mantissa, one less fractional digit.
            let s = d.scale() - 1;
            d.set_scale(s).ok()?;
        } else {
            d = d.checked_mul(Decimal::TEN)?;
        }
    }
    Some(d)
}

/// The exact difference `b - a` as text, or `None` when it overflows.
#[must_use]
pub fn delta(a: Decimal, b: Decimal) -> Option<String> {
    b.checked_sub(a).map(|d| d.normalize().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).expect("literal")
    }

    #[test]
    fn equal_by_value_whatever_the_spelling() {
        let half = parse(b"0.5").expect("0.5");
        for s in [
            "0.50000000",
            "5E-1",
            "5e-1",
            " 0.5 ",
            "+0.5",
            ".5",
            "0.05E1",
            "50E-2",
        ] {
            assert_eq!(parse(s.as_bytes()).expect(s), half, "{s}");
        }
        assert_eq!(parse(b"3.605E-05").expect("e"), d("0.00003605"));
        assert_eq!(parse(b"-9.895E-06").expect("e"), d("-0.000009895"));
        assert_eq!(parse(b"1E+3").expect("e"), d("1000"));
        assert_eq!(parse(b"-0").expect("-0"), Decimal::ZERO);
        assert!(!parse(b"-0.00").expect("-0").is_sign_negative());
    }

    #[test]
    fn a_1e8_difference_in_a_17_digit_quantity_is_found() {
        let a = parse(b"123456789.12345678").expect("a");
        let b = parse(b"123456789.12345679").expect("b");
        assert_ne!(a, b);
        assert_eq!(delta(a, b).as_deref(), Some("0.00000001"));
        // 28 significant digits still exact.
        let a = parse(b"12345678901234567890.12345678").expect("a");
        let b = parse(b"12345678901234567890.12345679").expect("b");
        assert_eq!(delta(a, b).as_deref(), Some("0.00000001"));
    }

    #[test]
    fn what_cannot_be_exact_is_refused_not_rounded() {
        for (s, why) in [
            ("", "the cell is empty"),
            ("1,5", "expected digits"),
            ("$5", "expected digits"),
            ("0.000000000000000000000000000001", "28 fractional"),
            ("1E-30", "exponent takes"),
            ("1e40", "exponent takes"),
            ("abc", "expected digits"),
            ("1e", "exponent is not"),
        ] {
            let e = parse(s.as_bytes()).expect_err(s);
            assert!(e.reason.contains(why), "{s}: {e}");
        }
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_rust_decimal(int in 0u64..10_000_000_000u64, frac in 0u64..100_000_000u64, zeros in 0usize..6, neg: bool) {
            let s = format!("{}{int}.{frac:08}{}", if neg { "-" } else { "" }, "0".repeat(zeros));
            let ours = parse(s.as_bytes()).expect("parse");
            let theirs = Decimal::from_str(&s).expect("rust_decimal");
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(ours.scale(), theirs.scale());
            // Exponent spellings of the same value are equal.
            let e = format!("{}{int}{frac:08}E-8", if neg { "-" } else { "" });
            prop_assert_eq!(parse(e.as_bytes()).expect("exp"), theirs);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = parse(&bytes);
        }
    }
}
