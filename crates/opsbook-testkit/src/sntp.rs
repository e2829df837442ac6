//! SNTP servers on loopback whose clock is a set number of milliseconds off
//! ours (RFC 4330 server replies: version 4, mode 4; originate = the
//! client's transmit time), for tests of clock checks: a one-shot server
//! ([`server`]), one that never answers ([`silent`]), and a scripted one
//! ([`scripted`]) that answers each query as its [`Reply`] says — offset,
//! delay, stratum, leap indicator, kiss-o'-death, a lost packet.

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Nanoseconds from 1900 (NTP's epoch) to 1970.
const NTP_UNIX_OFFSET_NS: i128 = 2_208_988_800_000_000_000;

/// What a scripted responder (SNTP here, HTTP in [`crate::exchange`]) does
/// with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The responder's clock minus ours, ms (positive: we are behind).
    pub offset_ms: i64,
    /// Symmetric delay, ms: half before the server stamps its time, half after.
    pub delay_ms: u64,
    /// HTTP status (HTTP only).
    pub status: u16,
    /// NTP stratum; 0 with `refid` = a kiss-o'-death.
    pub stratum: u8,
    /// NTP leap indicator (3 = not synchronised).
    pub li: u8,
    /// NTP reference ID / kiss code.
    pub refid: [u8; 4],
    /// Do not answer (NTP: a lost packet).
    pub drop: bool,
}

impl Reply {
    /// A prompt, healthy answer from a clock `offset_ms` off ours.
    #[must_use]
    pub fn at(offset_ms: i64) -> Reply {
        Reply {
            offset_ms,
            delay_ms: 0,
            status: 200,
            stratum: 2,
            li: 0,
            refid: *b"TEST",
            drop: false,
        }
    }

    /// The same, `delay_ms` late (half before the timestamp, half after).
    #[must_use]
    pub fn slow(offset_ms: i64, delay_ms: u64) -> Reply {
        Reply {
            delay_ms,
            ..Reply::at(offset_ms)
        }
    }
}

/// The reply for request `i` (0-based): the script's, the last one repeated.
///
/// # Panics
/// On an empty script.
#[must_use]
pub fn pick(script: &[Reply], i: usize) -> Reply {
    script[i.min(script.len() - 1)].clone()
}

/// Our clock plus `skew_ms` as an NTP timestamp (big-endian 32.32).
fn ntp_timestamp(skew_ms: i64) -> [u8; 8] {
    let since_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let ns = i128::try_from(since_unix).unwrap_or(0)
        + NTP_UNIX_OFFSET_NS
        + i128::from(skew_ms) * 1_000_000;
    let secs = u64::try_from(ns / 1_000_000_000).unwrap_or(0);
    let frac = u64::try_from((ns % 1_000_000_000) * (1 << 32) / 1_000_000_000).unwrap_or(0);
    ((secs << 32) | frac).to_be_bytes()
}

/// The 48-byte answer to `query` as `r` says, with the receive and transmit
/// timestamps given.
fn packet(query: &[u8; 48], r: &Reply, receive: [u8; 8], transmit: [u8; 8]) -> [u8; 48] {
    let mut p = [0u8; 48];
    p[0] = (r.li << 6) | (4 << 3) | 4; // LI, version 4, mode 4 (server)
    p[1] = r.stratum;
    p[12..16].copy_from_slice(&r.refid);
    p[16..24].copy_from_slice(&receive); // reference time
    p[24..32].copy_from_slice(&query[40..48]); // originate = the client's transmit
    p[32..40].copy_from_slice(&receive);
    p[40..48].copy_from_slice(&transmit);
    p
}

/// The 48-byte reply to `query` from a clock `skew_ms` off ours.
#[must_use]
pub fn reply(query: &[u8; 48], skew_ms: i64) -> [u8; 48] {
    let ts = ntp_timestamp(skew_ms);
    packet(query, &Reply::at(skew_ms), ts, ts)
}

/// Starts a server answering one query with a clock `skew_ms` ahead of
/// ours (negative: behind); returns its `127.0.0.1:PORT`.
///
/// # Panics
/// If no loopback UDP port can be bound (a test environment without
/// networking).
#[must_use]
pub fn server(skew_ms: i64) -> String {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback UDP port");
    let addr = s.local_addr().expect("its address").to_string();
    std::thread::spawn(move || {
        let mut buf = [0u8; 48];
        let Ok((_, from)) = s.recv_from(&mut buf) else {
            return;
        };
        let _ = s.send_to(&reply(&buf, skew_ms), from);
    });
    addr
}

/// A bound port that never answers (a query to it times out); returns the
/// socket (keep it alive) and its address.
///
/// # Panics
/// As [`server`].
#[must_use]
pub fn silent() -> (UdpSocket, String) {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback UDP port");
    let addr = s.local_addr().expect("its address").to_string();
    (s, addr)
}

/// Starts a server that answers each query as the script says (the last
/// reply repeated); returns `127.0.0.1:PORT` and the count of queries it
/// received. It stops after 10 s without a query.
///
/// # Panics
/// As [`server`].
#[must_use]
pub fn scripted(script: Vec<Reply>) -> (String, Arc<AtomicUsize>) {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback UDP port");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let addr = s.local_addr().expect("its address").to_string();
    let n = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&n);
    std::thread::spawn(move || {
        let mut buf = [0u8; 48];
        while let Ok((_, from)) = s.recv_from(&mut buf) {
            let r = pick(&script, count.fetch_add(1, Ordering::SeqCst));
            if r.drop {
                continue;
            }
            std::thread::sleep(Duration::from_millis(r.delay_ms / 2));
            let receive = ntp_timestamp(r.offset_ms);
            std::thread::sleep(Duration::from_millis(r.delay_ms / 2));
            let _ = s.send_to(&packet(&buf, &r, receive, ntp_timestamp(r.offset_ms)), from);
        }
    });
    (addr, n)
}
