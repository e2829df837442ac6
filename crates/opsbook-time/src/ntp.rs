//! SNTP (RFC 4330) queries to one NTP server through `rsntp`: per query the
//! offset (server − local, positive = local clock behind), the round-trip
//! delay, the stratum and the leap indicator; a kiss-o'-death or an
//! unsynchronised server ends the queries to that server at once.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sample::{ErrorKind, Sample, SourceError};

/// The leap-second warning an NTP server announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leap {
    /// No leap second pending.
    None,
    /// The last minute of the day has 61 seconds.
    Insert,
    /// The last minute of the day has 59 seconds.
    Delete,
}

/// What the queries to one server produced.
#[derive(Debug, Clone, PartialEq)]
pub struct NtpOutcome {
    /// One entry per query sent.
    pub samples: Vec<Sample>,
    /// The server's stratum in its last answer.
    pub stratum: Option<u8>,
    /// The leap indicator of its last answer.
    pub leap: Option<Leap>,
    /// A failure that makes the server unusable whatever the samples say
    /// (kiss-o'-death, unsynchronised, unresolvable).
    pub fatal: Option<SourceError>,
}

/// Resolves `host` (`name`, `name:port`, `1.2.3.4:123`, `[::1]:123`) once,
/// preferring IPv4, so that every query of a check goes to the same server
/// (a pool name resolves to a different one each time).
///
/// # Errors
/// An [`ErrorKind::Unreachable`] (resolution) or [`ErrorKind::InvalidSource`]
/// error.
pub fn resolve(host: &str) -> Result<SocketAddr, SourceError> {
    let h = host.trim();
    if h.is_empty() {
        return Err(SourceError::new(ErrorKind::InvalidSource, "empty NTP host"));
    }
    if let Ok(a) = h.parse::<SocketAddr>() {
        return Ok(a);
    }
    let addrs: Vec<SocketAddr> = if h.matches(':').count() == 1 {
        h.to_socket_addrs()
    } else if let Ok(ip) = h.parse::<std::net::IpAddr>() {
        Ok(vec![SocketAddr::new(ip, 123)].into_iter())
    } else {
        (h, 123).to_socket_addrs()
    }
    .map_err(|e| SourceError::new(ErrorKind::Unreachable, format!("cannot resolve `{h}`: {e}")))?
    .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| {
            SourceError::new(
                ErrorKind::Unreachable,
                format!("`{h}` resolves to no address"),
            )
        })
}

/// The four-letter kiss code (`RATE`, `DENY`, …) of rsntp's enum.
fn kiss_code(k: rsntp::KissCode) -> &'static str {
    use rsntp::KissCode as K;
    match k {
        K::AssociationBelongsToAnycastServer => "ACST",
        K::ServerAuthenticationFailed => "AUTH",
        K::AutokeySequenceFailed => "AUTO",
        K::AssociationBelongsToBroadcastServer => "BCST",
        K::CryptographicAuthenticationFailed => "CRYP",
        K::AccessDenied => "DENY/RSTR",
        K::LostPeer => "DROP",
        K::AssociationNotYetSynchronized => "INIT",
        K::AssociationBelongsToManycastServer => "MCST",
        K::NoKeyFound => "NKEY",
        K::RateExceeded => "RATE",
        K::TinkeringWithAssociation => "RMOT",
        K::StepChange => "STEP",
        _ => "unknown",
    }
}

/// Sends `samples` queries to `host`, `gap` apart, each waiting at most
/// `timeout`. A lost answer is one failed sample; a kiss-o'-death or an
/// unsynchronised server stops the queries and is [`NtpOutcome::fatal`].
#[must_use]
pub fn query(host: &str, samples: u32, gap: Duration, timeout: Duration) -> NtpOutcome {
    let mut out = NtpOutcome {
        samples: Vec::new(),
        stratum: None,
        leap: None,
        fatal: None,
    };
    let addr = match resolve(host) {
        Ok(a) => a,
        Err(e) => {
            out.fatal = Some(e);
            return out;
        }
    };
    let bind: SocketAddr = if addr.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let client = rsntp::SntpClient::with_config(
        rsntp::Config::default().bind_address(bind).timeout(timeout),
    );
    for i in 0..samples.max(1) {
        if i > 0 {
            std::thread::sleep(gap);
        }
        match client.synchronize(addr) {
            Ok(r) => {
                out.samples.push(Sample::answered(
                    r.clock_offset().as_secs_f64() * 1000.0,
                    r.round_trip_delay().as_secs_f64() * 1000.0,
                ));
                out.stratum = Some(r.stratum());
                out.leap = Some(match r.leap_indicator() {
                    rsntp::LeapIndicator::LastMinuteHas61Seconds => Leap::Insert,
                    rsntp::LeapIndicator::LastMinuteHas59Seconds => Leap::Delete,
                    _ => Leap::None,
                });
            }
            Err(rsntp::SynchronizationError::ProtocolError(p)) => {
                let fatal = match p {
                    rsntp::ProtocolError::KissODeath(k) => Some(SourceError::new(
                        ErrorKind::KissOfDeath,
                        format!(
                            "kiss-o'-death {} from {addr}: {k}; do not query this server again now",
                            kiss_code(k)
                        ),
                    )),
                    rsntp::ProtocolError::ServerNotSynchronized => Some(SourceError::new(
                        ErrorKind::Unsynchronized,
                        format!(
                            "{addr} says its own clock is not synchronised (leap indicator 3 or stratum 16)"
                        ),
                    )),
                    _ => None,
                };
                out.samples
                    .push(Sample::failed(format!("protocol error: {p}")));
                if fatal.is_some() {
                    out.fatal = fatal;
                    break;
                }
            }
            Err(rsntp::SynchronizationError::IOError(e)) => {
                let what = if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) {
                    format!("no answer from {addr} within {} ms", timeout.as_millis())
                } else {
                    format!("{addr}: {e}")
                };
                out.samples.push(Sample::failed(what));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_resolve_with_the_default_port_and_prefer_ipv4() {
        assert_eq!(resolve("127.0.0.1").unwrap().to_string(), "127.0.0.1:123");
        assert_eq!(
            resolve("127.0.0.1:5123").unwrap().to_string(),
            "127.0.0.1:5123"
        );
        assert_eq!(resolve("[::1]:5123").unwrap().to_string(), "[::1]:5123");
        assert_eq!(resolve("::1").unwrap().to_string(), "[::1]:123");
        assert_eq!(resolve("localhost:9").unwrap().port(), 9);
        assert_eq!(resolve("").unwrap_err().kind, ErrorKind::InvalidSource);
        assert_eq!(
            resolve("no-such-host.invalid").unwrap_err().kind,
            ErrorKind::Unreachable
        );
    }
}
