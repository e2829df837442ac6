//! Where checkers put findings: the stream's identity, the position of a
//! record, and a collector that lists findings up to a per-kind limit and
//! counts the rest (so memory stays bounded on a pathological file).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::report::{Finding, Kind, Scope, Unit};

/// Findings listed per kind before the rest are only counted.
pub const MAX_LISTED_PER_KIND: u64 = 10_000;

/// A record's position: the file as given and its 1-based line or row.
#[derive(Debug, Clone)]
pub struct Loc {
    /// The file as given to the scan.
    pub file: Arc<str>,
    /// 1-based line (text) or row (JSON arrays, Arrow, Parquet).
    pub line: u64,
}

/// Which stream a checker watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Meta {
    /// Venue prefix when known (`BINANCE_FUTURES`, `tardis:bitmex`), else empty.
    pub venue: String,
    /// Symbol, when the stream names one.
    pub symbol: Option<String>,
    /// Stream name (`trades`, `aggTrades`, `depth`, `books`, `klines_1m`, …).
    pub stream: String,
}

impl Meta {
    /// A finding for this stream.
    #[allow(clippy::too_many_arguments)]
    pub fn finding(
        &self,
        kind: Kind,
        at: Option<&Loc>,
        unit: Option<Unit>,
        from: Option<i64>,
        to: Option<i64>,
        count: u64,
        message: String,
    ) -> Finding {
        Finding {
            kind,
            file: at.map(|l| l.file.to_string()).unwrap_or_default(),
            line: at.map(|l| l.line),
            symbol: self.symbol.clone(),
            from,
            to,
            count,
            message,
            unit,
            stream: Some(self.stream.clone()),
            venue: Some(self.venue.clone()).filter(|v| !v.is_empty()),
            scope: None,
            time_ms: None,
        }
    }

    /// `BTCUSDT trades` for messages.
    pub fn label(&self) -> String {
        match &self.symbol {
            Some(s) => format!("{s} {}", self.stream),
            None => self.stream.clone(),
        }
    }
}

/// Collects findings.
#[derive(Debug, Default)]
pub struct Sink {
    /// Listed findings.
    pub findings: Vec<Finding>,
    listed: BTreeMap<Kind, u64>,
    /// Findings counted but not listed, per kind.
    pub omitted: BTreeMap<Kind, u64>,
}

impl Sink {
    /// Adds a finding (listed, or counted once the kind's limit is reached).
    pub fn push(&mut self, mut f: Finding) {
        let n = self.listed.entry(f.kind).or_default();
        if *n >= MAX_LISTED_PER_KIND {
            *self.omitted.entry(f.kind).or_default() += 1;
            return;
        }
        *n += 1;
        if f.kind == Kind::Gap && f.scope.is_none() {
            f.scope = Some(Scope::Symbol);
        }
        self.findings.push(f);
    }
}

/// Converts an epoch timestamp of unknown unit (s, ms, µs or ns, judged by
/// magnitude as exchanges mix them: Binance spot archives are µs from 2025)
/// to microseconds.
pub fn to_us(t: i64) -> i64 {
    let a = t.unsigned_abs();
    if a < 100_000_000_000 {
        t.saturating_mul(1_000_000)
    } else if a < 100_000_000_000_000 {
        t.saturating_mul(1_000)
    } else if a < 100_000_000_000_000_000 {
        t
    } else {
        t / 1_000
    }
}

/// Microseconds to milliseconds (floor).
pub fn us_to_ms(us: i64) -> i64 {
    us.div_euclid(1_000)
}

/// Parses an unsigned decimal integer from ASCII bytes (surrounding spaces
/// and one pair of double quotes allowed).
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    // Fast path: plain digits, at most 19 of them (cannot overflow).
    if !b.is_empty() && b.len() <= 19 {
        let mut n: u64 = 0;
        let mut ok = true;
        for &c in b {
            let d = c.wrapping_sub(b'0');
            ok &= d < 10;
            n = n.wrapping_mul(10).wrapping_add(u64::from(d));
        }
        if ok {
            return Some(n);
        }
    }
    let b = trim(b);
    let b = b
        .strip_prefix(b"\"")
        .and_then(|x| x.strip_suffix(b"\""))
        .unwrap_or(b);
    if b.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

/// Parses a signed decimal integer; a trailing `.0…` fraction is allowed.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if let Some(n) = parse_u64(b) {
        return i64::try_from(n).ok();
    }
    let b = trim(b);
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let digits = match memchr::memchr(b'.', digits) {
        Some(p) if digits[p + 1..].iter().all(|c| *c == b'0') => &digits[..p],
        Some(_) => return None,
        None => digits,
    };
    let n = i64::try_from(parse_u64(digits)?).ok()?;
    Some(if neg { -n } else { n })
}

/// Trims ASCII whitespace.
pub fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// A timestamp in text: an integer epoch (unit by magnitude), a decimal
/// seconds value, or an ISO/RFC 3339 date-time (`2021-12-31 23:01:00.000000`,
/// `2023-02-02 09:20:00.138000+00:00`, `2021-04-17T16:43:30.244075Z`; no
/// offset = UTC). Returns microseconds since the epoch.
pub fn parse_time_us(b: &[u8]) -> Option<i64> {
    let t = trim(b);
    if let Some(n) = parse_i64(t) {
        return Some(to_us(n));
    }
    let s = std::str::from_utf8(t).ok()?;
    let s = s.trim_matches('"');
    if s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        let f: f64 = s.parse().ok()?;
        return Some((f * 1e6).round() as i64);
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_microsecond());
    }
    let dt: jiff::civil::DateTime = s.replace(' ', "T").parse().ok()?;
    let ts = jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()?;
    Some(ts.as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_by_magnitude() {
        assert_eq!(to_us(1_735_689_600), 1_735_689_600_000_000);
        assert_eq!(to_us(1_735_689_600_010), 1_735_689_600_010_000);
        assert_eq!(to_us(1_735_689_600_010_866), 1_735_689_600_010_866);
        assert_eq!(
            to_us(1_570_752_120_000_000_000),
            1_570_752_120_000_000,
            "ns"
        );
    }

    #[test]
    fn times_in_text() {
        assert_eq!(
            parse_time_us(b"2021-12-31 23:01:00.000000"),
            Some(1_640_991_660_000_000)
        );
        assert_eq!(
            parse_time_us(b"2023-02-02 09:20:00.138000+00:00"),
            Some(1_675_329_600_138_000)
        );
        assert_eq!(
            parse_time_us(b"2021-04-17T16:43:30.244075Z"),
            Some(1_618_677_810_244_075)
        );
        assert_eq!(parse_time_us(b"1633998512.5"), Some(1_633_998_512_500_000));
        assert_eq!(parse_time_us(b"x"), None);
    }

    #[test]
    fn integers() {
        assert_eq!(parse_u64(b" 42 "), Some(42));
        assert_eq!(parse_u64(b"\"7\""), Some(7));
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"99999999999999999999999"), None);
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"12.000"), Some(12));
        assert_eq!(parse_i64(b"12.5"), None);
    }
}
