//! The clock: the current UTC time every record uses.
//!
//! `OPSBOOK_NOW` (RFC 3339, e.g. `2026-11-29T02:10:00Z`) replaces the system
//! clock for tests and tabletop drills that replay a scripted incident; it is
//! never needed in production. Timestamps in the ledgers never go backwards
//! either way ([`crate::ledger`] refuses an event older than the last one).

/// The environment variable that fixes the clock.
pub const NOW_ENV: &str = "OPSBOOK_NOW";

/// The current time: `OPSBOOK_NOW` when it is set and valid, the system
/// clock otherwise. Call [`check_env`] once at start-up to refuse an invalid
/// `OPSBOOK_NOW` rather than silently ignoring it.
#[must_use]
pub fn now() -> jiff::Timestamp {
    std::env::var(NOW_ENV)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(jiff::Timestamp::now)
}

/// Checks `OPSBOOK_NOW`.
///
/// # Errors
/// A message naming the variable and the expected form when it is set but
/// not an RFC 3339 timestamp with an offset.
pub fn check_env() -> Result<(), String> {
    match std::env::var(NOW_ENV) {
        Ok(s) if s.trim().parse::<jiff::Timestamp>().is_err() => Err(format!(
            "{NOW_ENV}=`{s}` is not a timestamp; expected RFC 3339 such as 2026-11-29T02:10:00Z (or unset it)"
        )),
        _ => Ok(()),
    }
}

/// Today's date in UTC by [`now`].
#[must_use]
pub fn today_utc() -> jiff::civil::Date {
    now()
        .in_tz("UTC")
        .map_or_else(|_| jiff::civil::date(1970, 1, 1), |z| z.date())
}

/// Parses a user-supplied time: RFC 3339 with an offset (`2026-11-29T02:10:00Z`,
/// `2026-11-29T11:10:00+09:00`) or a civil date-time taken as UTC
/// (`2026-11-29T02:10`, `2026-11-29 02:10:00`).
///
/// # Errors
/// A message with the accepted forms.
pub fn parse_time(s: &str) -> Result<jiff::Timestamp, String> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    if let Ok(dt) = t.replace(' ', "T").parse::<jiff::civil::DateTime>()
        && let Ok(ts) = jiff::tz::TimeZone::UTC.to_timestamp(dt)
    {
        return Ok(ts);
    }
    Err(format!(
        "`{s}` is not a time; expected RFC 3339 such as 2026-11-29T02:10:00Z or 2026-11-29T11:10:00+09:00 (a time without offset is UTC)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_civil_utc() {
        let a = parse_time("2026-11-29T02:10:00Z").unwrap();
        let b = parse_time("2026-11-29T11:10:00+09:00").unwrap();
        let c = parse_time("2026-11-29 02:10").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
    }
}
