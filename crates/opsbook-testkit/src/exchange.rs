//! An exchange's server-time endpoint on loopback, in the Binance
//! `GET /api/v3/time` shape (`{"serverTime": <epoch ms>}`), HTTP/1.1 with
//! keep-alive, answering each request as its [`Reply`] says: a clock
//! offset, a delay, an HTTP status (429 comes with `Retry-After: 7`).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::sntp::{Reply, pick};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Starts the endpoint; returns its URL (`http://127.0.0.1:PORT/api/v3/time`)
/// and the count of requests (a client's warm-up request is request 0).
///
/// # Panics
/// If no loopback TCP port can be bound.
#[must_use]
pub fn server(script: Vec<Reply>) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback TCP port");
    let url = format!(
        "http://{}/api/v3/time",
        l.local_addr().expect("its address")
    );
    let n = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&n);
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { return };
            let script = script.clone();
            let count = Arc::clone(&count);
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match c.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(k) => buf.extend_from_slice(&chunk[..k]),
                        }
                    }
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        return;
                    };
                    buf.drain(..end + 4);
                    let r = pick(&script, count.fetch_add(1, Ordering::SeqCst));
                    std::thread::sleep(Duration::from_millis(r.delay_ms / 2));
                    let body = format!("{{\"serverTime\":{}}}", now_ms() + r.offset_ms);
                    std::thread::sleep(Duration::from_millis(r.delay_ms / 2));
                    let reason = if r.status == 200 { "OK" } else { "Error" };
                    let extra = if r.status == 429 {
                        "Retry-After: 7\r\n"
                    } else {
                        ""
                    };
                    let resp = format!(
                        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                        r.status,
                        body.len()
                    );
                    if c.write_all(resp.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, n)
}
