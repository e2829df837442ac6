//! The clock: the current UTC time every record uses.
//!
//! `OPSBOOK_NOW` (RFC 3339, e.g. `2026-11-29T02:10:00Z`) replaces the system
//! clock for tests and tabletop drills that replay a scripted incident; it is
//! never needed in production. Timestamps in the ledgers never go backwards
//! either way ([`crate::ledger`] refuses an event older than the last one).
//!
//! Operations take a [`Clock`] instead of reading the time themselves:
//! [`SystemClock`] in the binary, [`ManualClock`] in tests and drills, where
//! a test moves time forward (a dwell, a cooling-off) without sleeping.

use std::sync::Mutex;
use std::time::Duration;

/// Where an operation gets the time from, and how it waits.
pub trait Clock: Send + Sync {
    /// The current time, UTC.
    fn now(&self) -> jiff::Timestamp;
    /// Waits `d` (a cooling-off); a test clock only moves forward.
    fn sleep(&self, d: Duration);
    /// Time elapsed on a monotonic clock since some fixed point: for
    /// measuring waits (a fixed `OPSBOOK_NOW` does not stand time still).
    fn monotonic(&self) -> Duration;
}

/// The machine's clock; `OPSBOOK_NOW` fixes [`Clock::now`] (see [`now`]).
#[derive(Debug)]
pub struct SystemClock {
    start: std::time::Instant,
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock {
            start: std::time::Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        now()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
    fn monotonic(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A clock that moves only when told: [`ManualClock::advance`], or a
/// [`Clock::sleep`] (which returns at once, having moved the time).
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<(jiff::Timestamp, Duration)>,
}

impl ManualClock {
    /// A clock standing at `t`.
    #[must_use]
    pub fn at(t: jiff::Timestamp) -> ManualClock {
        ManualClock {
            state: Mutex::new((t, Duration::ZERO)),
        }
    }

    /// Sets the time (forward or back: the ledger keeps its own order).
    pub fn set(&self, t: jiff::Timestamp) {
        if let Ok(mut g) = self.state.lock() {
            g.0 = t;
        }
    }

    /// Moves time forward by `d`.
    pub fn advance(&self, d: Duration) {
        if let Ok(mut g) = self.state.lock() {
            let span = jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX);
            g.0 = g.0.checked_add(span).unwrap_or(g.0);
            g.1 = g.1.saturating_add(d);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> jiff::Timestamp {
        self.state
            .lock()
            .map_or(jiff::Timestamp::UNIX_EPOCH, |g| g.0)
    }
    fn sleep(&self, d: Duration) {
        self.advance(d);
    }
    fn monotonic(&self) -> Duration {
        self.state.lock().map_or(Duration::ZERO, |g| g.1)
    }
}

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

/// The UTC date of `t`.
#[must_use]
pub fn utc_date(t: jiff::Timestamp) -> jiff::civil::Date {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// Parses a duration an operator types: `30m`, `2h`, `1h30m`, `90` (minutes),
/// or anything jiff's friendly format reads (`1h 30m`, `PT90M`). Returns
/// whole minutes.
///
/// # Errors
/// A message with the accepted forms; negative or absurd durations
/// (over about 19 years) are refused.
pub fn parse_minutes(s: &str) -> Result<i64, String> {
    const MAX: i64 = 10_000_000;
    let t = s.trim();
    let minutes = match t.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            let d: jiff::SignedDuration = t
                .parse()
                .map_err(|_| format!("`{s}` is not a duration; use 30m, 2h or 1h30m"))?;
            d.as_secs() / 60
        }
    };
    if !(0..=MAX).contains(&minutes) {
        return Err(format!("`{s}` is far too long (or negative)"));
    }
    Ok(minutes)
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

    #[test]
    fn durations_as_operators_type_them() {
        assert_eq!(parse_minutes("30m"), Ok(30));
        assert_eq!(parse_minutes("2h"), Ok(120));
        assert_eq!(parse_minutes("1h30m"), Ok(90));
        assert_eq!(parse_minutes(" 90 "), Ok(90));
        assert_eq!(parse_minutes("1h 30m"), Ok(90));
        assert!(parse_minutes("soon").unwrap_err().contains("1h30m"));
        assert!(
            parse_minutes("9999999999999h")
                .unwrap_err()
                .contains("far too long")
        );
        assert!(parse_minutes("-5").unwrap_err().contains("far too long"));
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::at(parse_time("2026-11-29T02:00:00Z").unwrap());
        c.sleep(Duration::from_secs(180));
        assert_eq!(c.now(), parse_time("2026-11-29T02:03:00Z").unwrap());
        assert_eq!(c.monotonic(), Duration::from_secs(180));
    }
}
