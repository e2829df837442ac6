//! The exchange's own clock over HTTP(S): Binance `GET /api/v3/time` →
//! `{"serverTime": <epoch ms>}`, Bybit `GET /v5/market/time` →
//! `{"time": <epoch ms>, …}`.
//!
//! Per sample: `offset = serverTime − (t_send + t_recv) / 2`, where
//! `t_send` is the wall clock when the request left and the midpoint is
//! `t_send + RTT / 2` with the RTT from the monotonic clock (a clock step
//! during a sample cannot distort it). The error is at most RTT / 2. One
//! warm-up request opens the connection (TCP and TLS handshakes would
//! otherwise make the first sample asymmetric) and is not counted; a
//! failed warm-up ends the source at once. A non-success HTTP status (429
//! rate limit, 418 IP ban) also stops the queries: asking again only
//! lengthens a ban.

use std::io::Read;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::sample::{ErrorKind, Sample, SourceError};

/// What the queries to one endpoint produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeOutcome {
    /// One entry per counted request (the warm-up is not one).
    pub samples: Vec<Sample>,
    /// A failure that ends the source (warm-up failed, HTTP status, bad body).
    pub fatal: Option<SourceError>,
}

/// Epoch milliseconds in `field` of a JSON body. `field` may be a dotted
/// path (`result.time`); the value may be a JSON integer or a string of
/// digits.
///
/// # Errors
/// A message saying what the body holds instead.
pub fn server_time_ms(body: &[u8], field: &str) -> Result<i64, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        let shown: String = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        format!("the body is not JSON ({e}): `{shown}`")
    })?;
    let mut cur = &v;
    for part in field.split('.') {
        cur = cur.get(part).ok_or_else(|| {
            format!(
                "no field `{field}` in the answer (`{}`)",
                truncate(&v.to_string())
            )
        })?;
    }
    let ms = match cur {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("field `{field}` is `{cur}`, expected epoch milliseconds"))?;
    // 2001-09-09 .. 2286-11-20 in ms; seconds or microseconds fall outside.
    if !(1_000_000_000_000..10_000_000_000_000).contains(&ms) {
        return Err(format!(
            "field `{field}` is {ms}: not epoch milliseconds (seconds or microseconds?)"
        ));
    }
    Ok(ms)
}

fn truncate(s: &str) -> String {
    if s.len() <= 120 {
        s.to_string()
    } else {
        let mut end = 120;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

/// An error with its causes in one line ("error sending request: connection
/// refused"), each cause once. (The same helper exists in opsbook-lease and
/// opsbook-evidence; it belongs in opsbook-core.)
fn chain(e: &dyn std::error::Error) -> String {
    std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .fold(String::new(), |acc, m| match acc.is_empty() {
            true => m,
            false if acc.contains(&m) => acc,
            false => format!("{acc}: {m}"),
        })
}

/// One request: `(offset_ms, rtt_ms)`, or the failure and whether it ends
/// the source.
fn once(
    client: &reqwest::blocking::Client,
    url: &str,
    field: &str,
) -> Result<(f64, f64), (SourceError, bool)> {
    let wall = SystemTime::now();
    let start = Instant::now();
    let resp = client.get(url).send().map_err(|e| {
        let msg = if e.is_timeout() {
            format!("no answer within the timeout: {}", chain(&e))
        } else {
            chain(&e)
        };
        (SourceError::new(ErrorKind::Unreachable, msg), false)
    })?;
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    resp.take(64 * 1024).read_to_end(&mut body).map_err(|e| {
        (
            SourceError::new(ErrorKind::Unreachable, e.to_string()),
            false,
        )
    })?;
    let rtt_ms = start.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() {
        let hint = match status.as_u16() {
            429 => " (rate limited: stop querying)",
            418 => " (IP banned: nothing from this host reaches the exchange)",
            _ => "",
        };
        let retry = retry_after.map_or_else(String::new, |r| format!("; Retry-After {r} s"));
        return Err((
            SourceError::new(ErrorKind::HttpStatus, format!("HTTP {status}{hint}{retry}")),
            true,
        ));
    }
    let server = server_time_ms(&body, field)
        .map_err(|m| (SourceError::new(ErrorKind::BadResponse, m), true))?;
    let sent_ms = wall
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    #[allow(clippy::cast_precision_loss)]
    let offset = server as f64 - (sent_ms + rtt_ms / 2.0);
    Ok((offset, rtt_ms))
}

/// Takes `samples` samples of `url`'s server time in `field`, `gap` apart,
/// after one warm-up request; every request waits at most `timeout`.
#[must_use]
pub fn query(
    url: &str,
    field: &str,
    samples: u32,
    gap: Duration,
    timeout: Duration,
) -> ExchangeOutcome {
    let mut out = ExchangeOutcome {
        samples: Vec::new(),
        fatal: None,
    };
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        out.fatal = Some(SourceError::new(
            ErrorKind::InvalidSource,
            format!("`{url}` is not an http(s) URL"),
        ));
        return out;
    }
    let client = match reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("opsbook/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            out.fatal = Some(SourceError::new(ErrorKind::InvalidSource, chain(&e)));
            return out;
        }
    };
    if let Err((e, _)) = once(&client, url, field) {
        out.fatal = Some(SourceError::new(e.kind, format!("{url}: {}", e.message)));
        return out;
    }
    for i in 0..samples.max(1) {
        if i > 0 && !gap.is_zero() {
            std::thread::sleep(gap);
        }
        match once(&client, url, field) {
            Ok((o, r)) => out.samples.push(Sample::answered(o, r)),
            Err((e, fatal)) => {
                out.samples.push(Sample::failed(e.message.clone()));
                if fatal {
                    out.fatal = Some(SourceError::new(e.kind, format!("{url}: {}", e.message)));
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_and_bybit_shapes_and_bad_bodies() {
        assert_eq!(
            server_time_ms(br#"{"serverTime":1764460800123}"#, "serverTime"),
            Ok(1_764_460_800_123)
        );
        let bybit = br#"{"retCode":0,"retMsg":"OK","result":{"timeSecond":"1764460800","timeNano":"1764460800123456789"},"retExtInfo":{},"time":1764460800123}"#;
        assert_eq!(server_time_ms(bybit, "time"), Ok(1_764_460_800_123));
        assert_eq!(
            server_time_ms(br#"{"data":{"ts":"1764460800123"}}"#, "data.ts"),
            Ok(1_764_460_800_123)
        );
        let e = server_time_ms(br#"{"serverTime":1764460800}"#, "serverTime").unwrap_err();
        assert!(e.contains("not epoch milliseconds"), "{e}");
        let e = server_time_ms(b"<html>busy</html>", "serverTime").unwrap_err();
        assert!(e.contains("not JSON") && e.contains("<html>"), "{e}");
        let e = server_time_ms(br#"{"code":-1003}"#, "serverTime").unwrap_err();
        assert!(e.contains("no field `serverTime`"), "{e}");
        let e = server_time_ms(br#"{"serverTime":null}"#, "serverTime").unwrap_err();
        assert!(e.contains("expected epoch milliseconds"), "{e}");
    }

    #[test]
    fn a_non_http_url_is_an_invalid_source() {
        let o = query(
            "ftp://x",
            "serverTime",
            1,
            Duration::ZERO,
            Duration::from_secs(1),
        );
        assert_eq!(o.fatal.unwrap().kind, ErrorKind::InvalidSource);
        assert!(o.samples.is_empty());
    }
}
