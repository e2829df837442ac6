//! The collecting host's clock against a time reference (seed §2.1.3:
//! evidence carries UTC *and* how far the host's clock was off; RFC 3227
//! §3.2 asks for the discrepancy between the system clock and UTC).
//!
//! One SNTP (RFC 4330) query with a short timeout. The result is an
//! observation for the manifest, never a reason to refuse a collection:
//! an unreachable reference is recorded as such.

use std::time::Duration;

use serde::Serialize;

/// What was measured, for `manifest.json` `clock`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockCheck {
    /// The reference asked (`time.windows.com`, `10.0.0.1:123`), or `none`.
    pub reference: String,
    /// Reference minus this host's clock, ms: positive when the host's
    /// clock is behind. `None` when not measured.
    pub offset_ms: Option<i64>,
    /// Round-trip delay of the query, ms.
    pub round_trip_ms: Option<i64>,
    /// The reference's NTP stratum.
    pub stratum: Option<u8>,
    /// Why there is no measurement.
    pub error: Option<String>,
}

impl ClockCheck {
    /// Not measured, with the reason.
    #[must_use]
    pub fn skipped(reference: &str, why: &str) -> ClockCheck {
        ClockCheck {
            reference: reference.to_string(),
            offset_ms: None,
            round_trip_ms: None,
            stratum: None,
            error: Some(why.to_string()),
        }
    }
}

/// Asks `server` (`host` or `host:port`, UDP 123 by default) once, waiting
/// at most `timeout`.
#[must_use]
pub fn measure(server: &str, timeout: Duration) -> ClockCheck {
    let cfg = rsntp::Config::default().timeout(timeout);
    let client = rsntp::SntpClient::with_config(cfg);
    match client.synchronize(server) {
        Ok(r) => {
            #[allow(clippy::cast_possible_truncation)]
            let ms = |d: rsntp::SntpDuration| (d.as_secs_f64() * 1000.0).round() as i64;
            ClockCheck {
                reference: server.to_string(),
                offset_ms: Some(ms(r.clock_offset())),
                round_trip_ms: Some(ms(r.round_trip_delay())),
                stratum: Some(r.stratum()),
                error: None,
            }
        }
        Err(e) => ClockCheck::skipped(server, &format!("no answer: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use opsbook_testkit::sntp::{server, silent};

    #[test]
    fn measures_the_offset_against_a_reference() {
        let c = measure(&server(5000), Duration::from_secs(2));
        let off = c.offset_ms.expect("measured");
        assert!((4900..=5100).contains(&off), "{c:?}");
        assert_eq!(c.stratum, Some(2));
        assert!(c.error.is_none());
        let c = measure(&server(-1500), Duration::from_secs(2));
        let off = c.offset_ms.expect("measured");
        assert!((-1600..=-1400).contains(&off), "{c:?}");
    }

    #[test]
    fn no_answer_is_recorded_not_fatal() {
        // Bound but silent: the query times out.
        let (_silent, addr) = silent();
        let c = measure(&addr, Duration::from_millis(200));
        assert_eq!(c.offset_ms, None);
        assert!(
            c.error
                .as_deref()
                .is_some_and(|e| e.starts_with("no answer")),
            "{c:?}"
        );
        assert_eq!(c.reference, addr);
    }
}
