//! `opsbook time check` end to end against local responders this file
//! starts: an SNTP server on UDP 127.0.0.1 and an HTTP server in the
//! Binance `/api/v3/time` shape, each with a scripted clock offset, delay,
//! status or kiss-o'-death per request.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opsbook_time::sample::ErrorKind;
use opsbook_time::{
    Action, Actions, Basis, CheckParams, Diagnosis, Direction, Level, Source, SourceKind,
    Thresholds, Verdict, check,
};

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// What a responder does with one request.
#[derive(Clone)]
struct Reply {
    /// The responder's clock minus ours, ms (positive: we are behind).
    offset_ms: i64,
    /// Symmetric delay, ms: half before the server stamps its time, half after.
    delay_ms: u64,
    /// HTTP status (HTTP only).
    status: u16,
    /// NTP stratum; 0 with `refid` = a kiss-o'-death.
    stratum: u8,
    /// NTP leap indicator (3 = not synchronised).
    li: u8,
    /// NTP reference ID / kiss code.
    refid: [u8; 4],
    /// Do not answer (NTP: a lost packet).
    drop: bool,
}

fn at(offset_ms: i64) -> Reply {
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

fn slow(offset_ms: i64, delay_ms: u64) -> Reply {
    Reply {
        delay_ms,
        ..at(offset_ms)
    }
}

fn pick(script: &[Reply], i: usize) -> Reply {
    script[i.min(script.len() - 1)].clone()
}

/// An SNTP responder; returns `127.0.0.1:port` and the count of requests
/// it received. It stops after 10 s without a request.
fn ntp(script: Vec<Reply>) -> (String, Arc<AtomicUsize>) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let addr = s.local_addr().unwrap().to_string();
    let n = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&n);
    std::thread::spawn(move || {
        let mut buf = [0u8; 48];
        while let Ok((_, from)) = s.recv_from(&mut buf) {
            let r = pick(&script, count.fetch_add(1, Ordering::SeqCst));
            if r.drop {
                continue;
            }
            let ts = |skew: i64| {
                let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
                let ns = i128::try_from(t.as_nanos()).unwrap()
                    + 2_208_988_800_000_000_000
                    + i128::from(skew) * 1_000_000;
                let secs = u64::try_from(ns / 1_000_000_000).unwrap();
                let frac = u64::try_from((ns % 1_000_000_000) * (1 << 32) / 1_000_000_000).unwrap();
                ((secs << 32) | frac).to_be_bytes()
            };
            std::thread::sleep(Duration::from_millis(r.delay_ms / 2));
            let recv = ts(r.offset_ms);
            std::thread::sleep(Duration::from_millis(r.delay_ms / 2));
            let mut p = [0u8; 48];
            p[0] = (r.li << 6) | (4 << 3) | 4; // LI, version 4, mode 4 (server)
            p[1] = r.stratum;
            p[12..16].copy_from_slice(&r.refid);
            p[16..24].copy_from_slice(&recv);
            p[24..32].copy_from_slice(&buf[40..48]); // originate = the client's transmit
            p[32..40].copy_from_slice(&recv);
            p[40..48].copy_from_slice(&ts(r.offset_ms));
            let _ = s.send_to(&p, from);
        }
    });
    (addr, n)
}

/// An HTTP/1.1 responder in the Binance `/api/v3/time` shape (keep-alive);
/// returns its URL and the count of requests (the warm-up is request 0).
fn http(script: Vec<Reply>) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v3/time", l.local_addr().unwrap());
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
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    buf.drain(..end);
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

fn exchange(id: &str, url: &str) -> Source {
    Source::Exchange {
        id: id.into(),
        url: url.into(),
        field: "serverTime".into(),
    }
}

fn ntp_source(id: &str, host: &str) -> Source {
    Source::Ntp {
        id: id.into(),
        host: host.into(),
    }
}

fn params(sources: Vec<Source>) -> CheckParams {
    let mut p = CheckParams::new(sources, Thresholds::POLICY_DEFAULT);
    p.exchange_gap = Duration::ZERO;
    p.ntp_gap = Duration::ZERO;
    p.timeout = Duration::from_millis(800);
    p
}

fn policy_actions() -> Actions {
    let a = |s: Option<&str>, n: &str| Action {
        safety_state: s.map(str::to_string),
        notify: n.into(),
    };
    Actions {
        warn: a(None, "P1"),
        halt_new_orders: a(Some("SAFE_MODE"), "P1"),
        critical: a(Some("HALTED"), "P0"),
    }
}

/// Within `tol` ms of `want` (loopback timing jitter).
fn near(got: Option<i64>, want: i64, tol: i64) -> bool {
    got.is_some_and(|g| (g - want).abs() <= tol)
}

#[test]
fn exchange_offsets_of_either_sign_are_judged_with_the_sign_reported() {
    for (skew, verdict, dir, state) in [
        (40, Verdict::Ok, Direction::Behind, None),
        (300, Verdict::Warn, Direction::Behind, None),
        (
            -700,
            Verdict::HaltNewOrders,
            Direction::Ahead,
            Some("SAFE_MODE"),
        ),
        (1500, Verdict::Critical, Direction::Behind, Some("HALTED")),
        (-1500, Verdict::Critical, Direction::Ahead, Some("HALTED")),
    ] {
        let (url, _) = http(vec![at(skew)]);
        let mut p = params(vec![exchange("binance-spot", &url)]);
        p.actions = Some(policy_actions());
        let r = check(&p).unwrap();
        assert_eq!(r.verdict, verdict, "{skew}: {r:#?}");
        assert!(near(r.offset_ms, skew, 25), "{skew}: {:?}", r.offset_ms);
        assert_eq!(r.direction, Some(dir), "{skew}");
        assert_eq!(r.basis, Basis::Exchange);
        assert_eq!(r.judged_source.as_deref(), Some("binance-spot"));
        assert_eq!(
            r.action.as_ref().and_then(|a| a.safety_state.as_deref()),
            state,
            "{skew}"
        );
        assert_eq!(r.exit_code(), if verdict == Verdict::Ok { 0 } else { 1 });
        let s = &r.sources[0];
        assert_eq!(s.samples.len(), 5, "5 counted samples after the warm-up");
        assert!(s.samples.iter().all(|x| x.kept));
        assert!(s.rtt_ms.is_some_and(|r| r < 100), "{:?}", s.rtt_ms);
    }
}

#[test]
fn samples_over_max_rtt_are_discarded_before_the_median() {
    // Request 0 is the warm-up. Slow samples carry a wild offset: counted,
    // they would move the median to 5000.
    let (url, n) = http(vec![
        at(0),
        at(100),
        slow(5000, 400),
        at(100),
        slow(5000, 400),
        slow(5000, 400),
        at(100),
    ]);
    let mut p = params(vec![exchange("binance-spot", &url)]);
    p.samples = 6;
    p.max_rtt_ms = 150;
    let r = check(&p).unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 7);
    let s = &r.sources[0];
    let kept: Vec<bool> = s.samples.iter().map(|x| x.kept).collect();
    assert_eq!(kept, [true, false, true, false, false, true]);
    assert!(near(s.offset_ms, 100, 25), "{s:#?}");
    assert_eq!(r.verdict, Verdict::Ok);
    // Every sample slow: no measurement, and that is never OK.
    let (url, _) = http(vec![slow(0, 300)]);
    let mut p = params(vec![exchange("binance-spot", &url)]);
    p.samples = 2;
    p.max_rtt_ms = 150;
    let r = check(&p).unwrap();
    assert_eq!(r.verdict, Verdict::Unmeasured);
    assert_eq!(r.exit_code(), 2);
    assert_eq!(
        r.sources[0].error.as_ref().map(|e| e.kind),
        Some(ErrorKind::AllSamplesSlow)
    );
    assert_eq!(r.offset_ms, None);
}

#[test]
fn an_unreachable_source_makes_the_check_unmeasured_unless_another_is_over_warn() {
    // A port nobody listens on.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/api/v3/time", l.local_addr().unwrap())
    };
    let r = check(&params(vec![exchange("binance-spot", &closed)])).unwrap();
    assert_eq!(r.verdict, Verdict::Unmeasured);
    assert_eq!(r.exit_code(), 2);
    let e = r.sources[0].error.as_ref().unwrap();
    assert_eq!(e.kind, ErrorKind::Unreachable);
    assert!(e.message.contains(&closed), "{}", e.message);
    assert!(
        r.sources[0].samples.is_empty(),
        "a failed warm-up ends the source"
    );
    // One venue fine, the other unreachable: still not OK.
    let (fine, _) = http(vec![at(10)]);
    let r = check(&params(vec![
        exchange("binance-spot", &fine),
        exchange("bybit-v5", &closed),
    ]))
    .unwrap();
    assert_eq!(r.verdict, Verdict::Unmeasured, "{r:#?}");
    assert!(near(r.offset_ms, 10, 25));
    // One venue critical, the other unreachable: the measured HALT stands.
    let (bad, _) = http(vec![at(-2000)]);
    let r = check(&params(vec![
        exchange("binance-spot", &bad),
        exchange("bybit-v5", &closed),
    ]))
    .unwrap();
    assert_eq!(r.verdict, Verdict::Critical);
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn the_worst_exchange_is_judged_and_ntp_tells_whose_clock_is_wrong() {
    // Both say the local clock is 600 ms behind: the local clock is wrong.
    let (b, _) = http(vec![at(600)]);
    let (y, _) = http(vec![at(200)]);
    let (n, _) = ntp(vec![at(590)]);
    let r = check(&params(vec![
        exchange("binance-spot", &b),
        exchange("bybit-v5", &y),
        ntp_source("nict", &n),
    ]))
    .unwrap();
    assert_eq!(r.judged_source.as_deref(), Some("binance-spot"));
    assert_eq!(r.verdict, Verdict::HaltNewOrders);
    assert_eq!(r.diagnosis, Diagnosis::LocalClock);
    let ns = r.ntp.as_ref().unwrap();
    assert!(near(ns.median_offset_ms, 590, 25), "{ns:?}");
    assert_eq!(ns.level, Some(Level::HaltNewOrders));
    assert!(
        r.sources
            .iter()
            .all(|s| s.judged == (s.kind == SourceKind::Exchange))
    );
    assert!(
        r.notes.iter().any(|x| x.contains("disagree by")),
        "400 ms between venues: {:?}",
        r.notes
    );
    // The exchange is off but NTP agrees with us: exchange clock or path.
    let (b, _) = http(vec![at(-600)]);
    let (n, _) = ntp(vec![at(5)]);
    let r = check(&params(vec![
        exchange("binance-spot", &b),
        ntp_source("nict", &n),
    ]))
    .unwrap();
    assert_eq!(r.diagnosis, Diagnosis::ExchangeOrPath);
    assert_eq!(r.direction, Some(Direction::Ahead));
    // The exchange agrees with us, NTP does not.
    let (b, _) = http(vec![at(0)]);
    let (n, _) = ntp(vec![at(800)]);
    let r = check(&params(vec![
        exchange("binance-spot", &b),
        ntp_source("nict", &n),
    ]))
    .unwrap();
    assert_eq!(r.verdict, Verdict::Ok);
    assert_eq!(r.diagnosis, Diagnosis::NtpDisagrees);
}

#[test]
fn ntp_only_is_judged_on_the_median_with_the_spread_reported() {
    let (a, _) = ntp(vec![at(100)]);
    let (b, _) = ntp(vec![at(-120)]);
    let (c, _) = ntp(vec![at(900)]);
    let r = check(&params(vec![
        ntp_source("a", &a),
        ntp_source("b", &b),
        ntp_source("c", &c),
    ]))
    .unwrap();
    assert_eq!(r.basis, Basis::Ntp);
    assert_eq!(r.judged_source.as_deref(), Some("ntp-median"));
    assert!(near(r.offset_ms, 100, 25), "{r:#?}");
    assert_eq!(r.verdict, Verdict::Ok);
    let ns = r.ntp.as_ref().unwrap();
    assert_eq!((ns.servers, ns.measured), (3, 3));
    assert!(near(ns.spread_ms, 1020, 40), "{ns:?}");
    assert!(
        r.notes.iter().any(|x| x.contains("NTP servers disagree")),
        "{:?}",
        r.notes
    );
    for s in &r.sources {
        assert_eq!(s.stratum, Some(2));
        assert_eq!(s.samples.len(), 3);
        assert!(s.samples.iter().all(|x| x.kept));
    }
}

#[test]
fn kiss_o_death_and_unsynchronised_servers_end_their_queries_at_once() {
    let kod = Reply {
        stratum: 0,
        refid: *b"RATE",
        ..at(0)
    };
    let (k, kn) = ntp(vec![kod]);
    let unsync = Reply { li: 3, ..at(0) };
    let (u, un) = ntp(vec![unsync]);
    let r = check(&params(vec![ntp_source("k", &k), ntp_source("u", &u)])).unwrap();
    assert_eq!(r.verdict, Verdict::Unmeasured);
    let e = r.sources[0].error.as_ref().unwrap();
    assert_eq!(e.kind, ErrorKind::KissOfDeath);
    assert!(e.message.contains("RATE"), "{}", e.message);
    assert_eq!(
        kn.load(Ordering::SeqCst),
        1,
        "no query after a kiss-o'-death"
    );
    let e = r.sources[1].error.as_ref().unwrap();
    assert_eq!(e.kind, ErrorKind::Unsynchronized);
    assert_eq!(un.load(Ordering::SeqCst), 1);
}

#[test]
fn a_lost_ntp_answer_is_one_failed_sample_and_a_silent_server_is_unreachable() {
    let lost = Reply {
        drop: true,
        ..at(0)
    };
    let (a, _) = ntp(vec![at(50), lost, at(50)]);
    let mut p = params(vec![ntp_source("a", &a)]);
    p.timeout = Duration::from_millis(300);
    let r = check(&p).unwrap();
    assert_eq!(r.verdict, Verdict::Ok);
    let s = &r.sources[0];
    assert_eq!(s.samples.iter().filter(|x| x.kept).count(), 2);
    assert!(
        s.samples[1]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("no answer")),
        "{:?}",
        s.samples[1]
    );
    // A silent server next to an exchange basis: a note, not a failure.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let (b, _) = http(vec![at(0)]);
    let mut p = params(vec![
        exchange("binance-spot", &b),
        ntp_source("nict", &addr),
    ]);
    p.timeout = Duration::from_millis(200);
    p.ntp_samples = 2;
    let r = check(&p).unwrap();
    assert_eq!(r.verdict, Verdict::Ok);
    assert_eq!(r.diagnosis, Diagnosis::Unknown);
    assert!(
        r.notes
            .iter()
            .any(|x| x.starts_with("nict (") && x.contains("not measured")),
        "{:?}",
        r.notes
    );
    // The same silent server as the only source: unmeasured.
    let mut p = params(vec![ntp_source("nict", &addr)]);
    p.timeout = Duration::from_millis(200);
    p.ntp_samples = 1;
    let r = check(&p).unwrap();
    assert_eq!(r.verdict, Verdict::Unmeasured);
    assert_eq!(
        r.sources[0].error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Unreachable)
    );
}

#[test]
fn rate_limits_and_bans_stop_the_queries() {
    let limited = Reply {
        status: 429,
        ..at(0)
    };
    let (u, n) = http(vec![at(0), limited]);
    let r = check(&params(vec![exchange("binance-spot", &u)])).unwrap();
    assert_eq!(r.verdict, Verdict::Unmeasured);
    let e = r.sources[0].error.as_ref().unwrap();
    assert_eq!(e.kind, ErrorKind::HttpStatus);
    assert!(
        e.message.contains("429") && e.message.contains("Retry-After 7"),
        "{}",
        e.message
    );
    assert_eq!(
        n.load(Ordering::SeqCst),
        2,
        "warm-up and one sample, then stop"
    );
}

#[test]
fn a_leap_second_warning_is_a_note() {
    let (a, _) = ntp(vec![Reply { li: 1, ..at(0) }]);
    let mut p = params(vec![ntp_source("a", &a)]);
    p.ntp_samples = 1;
    let r = check(&p).unwrap();
    assert_eq!(r.verdict, Verdict::Ok);
    assert!(
        r.notes.iter().any(|x| x.contains("leap second (inserted)")),
        "{:?}",
        r.notes
    );
}

#[test]
fn the_report_and_its_evidence_form_serialise_for_scripts() {
    let (u, _) = http(vec![at(-300)]);
    let r = check(&params(vec![exchange("binance-spot", &u)])).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["verdict"], "warn");
    assert_eq!(v["direction"], "ahead");
    assert_eq!(v["basis"], "exchange");
    assert_eq!(v["thresholds_ms"]["warn"], 250);
    assert_eq!(v["sources"][0]["kind"], "exchange");
    assert!(
        v["offset_ms"]
            .as_i64()
            .is_some_and(|o| (o + 300).abs() <= 25)
    );
    assert!(v["measured_at"].as_str().unwrap().ends_with('Z'));
    let back: opsbook_time::TimeReport = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
    let e = serde_json::to_value(r.evidence()).unwrap();
    assert_eq!(e["verdict"], "warn");
    assert_eq!(e["warn_ms"], 250);
    assert_eq!(e["sources"][0]["id"], "binance-spot");
    assert_eq!(e["offset_ms"], r.offset_ms.unwrap());
    assert_eq!(r.clock_offset_fact(), r.offset_ms.map(i64::unsigned_abs));
    assert!(!r.time_ok());
}

#[test]
fn bad_parameters_are_refused_before_anything_is_sent() {
    assert!(
        check(&params(vec![]))
            .unwrap_err()
            .contains("no time source")
    );
    let dup = params(vec![
        ntp_source("a", "127.0.0.1"),
        ntp_source("a", "127.0.0.2"),
    ]);
    assert!(check(&dup).unwrap_err().contains("`a` is given twice"));
    let mut p = params(vec![ntp_source("a", "127.0.0.1")]);
    p.samples = 21;
    assert!(check(&p).unwrap_err().contains("samples must be 1-20"));
    // Policy sources deserialise straight into `Source`.
    let s: Vec<Source> = serde_json::from_str(
        r#"[{"id":"binance-spot","kind":"exchange","url":"https://api.binance.com/api/v3/time","field":"serverTime"},{"id":"nict","kind":"ntp","host":"ntp.nict.jp"}]"#,
    )
    .unwrap();
    assert_eq!(s[1], ntp_source("nict", "ntp.nict.jp"));
}
