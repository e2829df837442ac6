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
    use std::net::UdpSocket;

    /// A one-shot SNTP server whose clock is `skew_ms` ahead of ours.
    fn server(skew_ms: i64) -> String {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let addr = s.local_addr().expect("addr").to_string();
        std::thread::spawn(move || {
            let mut buf = [0u8; 48];
            let Ok((_, from)) = s.recv_from(&mut buf) else {
                return;
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("epoch")
                .as_secs_f64()
                + 2_208_988_800.0
                + skew_ms as f64 / 1000.0;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let ts = {
                let secs = now.trunc() as u64;
                let frac = (now.fract() * 4_294_967_296.0) as u64;
                ((secs << 32) | frac).to_be_bytes()
            };
            let mut r = [0u8; 48];
            r[0] = 0x24; // LI 0, version 4, mode 4 (server)
            r[1] = 2; // stratum
            r[12..16].copy_from_slice(b"TEST");
            r[16..24].copy_from_slice(&ts);
            r[24..32].copy_from_slice(&buf[40..48]); // originate = client's transmit
            r[32..40].copy_from_slice(&ts);
            r[40..48].copy_from_slice(&ts);
            let _ = s.send_to(&r, from);
        });
        addr
    }

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
        let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let addr = silent.local_addr().expect("addr").to_string();
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
