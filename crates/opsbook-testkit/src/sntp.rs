//! A one-shot SNTP server on loopback whose clock is a set number of
//! milliseconds off ours (RFC 4330 server reply: LI 0, version 4, mode 4,
//! stratum 2; originate = the client's transmit time), for tests of clock
//! checks (evidence manifests today, `time check` later).

use std::net::UdpSocket;

/// Seconds from 1900 (NTP's epoch) to 1970.
const NTP_UNIX_OFFSET_S: f64 = 2_208_988_800.0;

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

/// The 48-byte reply to `query` from a clock `skew_ms` off ours.
#[must_use]
pub fn reply(query: &[u8; 48], skew_ms: i64) -> [u8; 48] {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        + NTP_UNIX_OFFSET_S
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
    r[16..24].copy_from_slice(&ts); // reference time
    r[24..32].copy_from_slice(&query[40..48]); // originate = client's transmit
    r[32..40].copy_from_slice(&ts); // receive
    r[40..48].copy_from_slice(&ts); // transmit
    r
}
