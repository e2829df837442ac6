//! Ledger and incident benchmarks: append latency against a bare
//! write + fsync of the same bytes, verification and replay of a
//! 1,000,000-event ledger, and `Store::list` over 10,000 incidents.
//!
//! ```text
//! cargo bench -p opsbook-core --bench ledger
//! ```
//!
//! Without the `--bench` argument that `cargo bench` passes (for example
//! under `cargo test --all-targets`) it is a smoke run at tiny sizes.
//!
//! Environment:
//! - `OPSBOOK_BENCH_EVENTS`: events in the big ledger (default 1000000)
//! - `OPSBOOK_BENCH_APPENDS`: timed appends (default 2000, after 50 untimed)
//! - `OPSBOOK_BENCH_INCIDENTS`: incidents listed (default 10000)
//! - `OPSBOOK_BENCH_DIR`: where the temporary directory goes (default the
//!   system temp dir; fsync on tmpfs costs nothing, so the file system is
//!   printed)
//! - `OPSBOOK_BENCH_KEEP=DIR`: write the incidents into `DIR/incidents/` (an
//!   SSOT root, e.g. made by `opsbook init DIR`) and leave them there
//!
//! Peak RSS is `VmHWM` from `/proc/self/status`, reset before each phase by
//! writing `5` to `/proc/self/clear_refs` (Linux only).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opsbook_core::incident::{IdFormat, Incident, Store};
use opsbook_core::ledger::{self, Actor};
use serde_json::{Value, json};

const ID_FORMAT: &str = "INC-{yyyymmdd}-{seq:5}";
const WARMUP: usize = 50;
const LIST_RUNS: usize = 3;
const KEEP_MARKER: &str = ".opsbook-bench";
/// The first event's time in the generated ledgers.
const T0: &str = "2026-11-30T01:00:00Z";

fn t0_ms() -> i64 {
    T0.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}=`{v}` is not a whole number")),
        Err(_) => default,
    }
}

// ------------------------------------------------------------------ memory

#[cfg(target_os = "linux")]
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(not(target_os = "linux"))]
fn reset_peak() -> bool {
    false
}

#[cfg(target_os = "linux")]
fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn peak_rss_kb() -> Option<u64> {
    None
}

/// The file system type of the mount holding `dir`.
#[cfg(target_os = "linux")]
fn fs_type(dir: &Path) -> String {
    let Ok(m) = std::fs::read_to_string("/proc/self/mounts") else {
        return "?".into();
    };
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    m.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, mnt, ty) = (f.next()?, f.next()?, f.next()?);
            dir.starts_with(mnt).then(|| (mnt.len(), ty.to_string()))
        })
        .max_by_key(|(n, _)| *n)
        .map_or_else(|| "?".into(), |(_, t)| t)
}

#[cfg(not(target_os = "linux"))]
fn fs_type(_dir: &Path) -> String {
    "?".into()
}

// ------------------------------------------------------------------ output

fn dur(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.1} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn peak_col(p: Option<u64>) -> String {
    p.map_or_else(|| "-".into(), |kb| format!("{:.1} MB", kb as f64 / 1024.0))
}

struct Stats {
    p50: Duration,
    p99: Duration,
    mean: Duration,
    max: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    assert!(!v.is_empty());
    v.sort();
    let n = v.len();
    let at = |q: f64| v[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        mean: v.iter().sum::<Duration>() / u32::try_from(n).unwrap(),
        max: v[n - 1],
    }
}

// ------------------------------------------------------------------ chains

/// Writes a valid chain of `n` events (no fsync): `first` is event 1, `rest`
/// makes the others; `ts` starts at `t0_ms` and grows by 1 ms per event.
/// Returns the bytes written.
fn write_chain<W: Write>(
    w: &mut W,
    n: u64,
    t0_ms: i64,
    first: (&str, Value),
    mut rest: impl FnMut(u64) -> (&'static str, Value),
) -> u64 {
    let actor = json!({"user": "op", "host": "bench-01"});
    let mut prev = Value::Null;
    let mut bytes = 0u64;
    let mut line = Vec::with_capacity(512);
    let mut first = Some(first);
    for seq in 1..=n {
        let ms = t0_ms + i64::try_from(seq - 1).unwrap();
        let ts = ledger::format_ts(jiff::Timestamp::from_millisecond(ms).unwrap());
        let (kind, data) = match first.take() {
            Some((k, d)) => (k.to_string(), d),
            None => {
                let (k, d) = rest(seq);
                (k.to_string(), d)
            }
        };
        let mut ev = json!({
            "seq": seq, "ts": ts, "actor": actor.clone(), "type": kind,
            "data": data, "prev_hash": prev,
        });
        let hash = ledger::hash_of(&ev).unwrap();
        ev.as_object_mut()
            .unwrap()
            .insert("hash".into(), Value::String(hash.clone()));
        line.clear();
        serde_json::to_writer(&mut line, &ev).unwrap();
        line.push(b'\n');
        w.write_all(&line).unwrap();
        bytes += line.len() as u64;
        prev = Value::String(hash);
    }
    bytes
}

fn note_text(seq: u64) -> Value {
    json!({"text": format!("bench note {seq}: checked the order gateway session state, no change")})
}

// ------------------------------------------------------------------ a. append

struct AppendResult {
    ledger: Stats,
    bare: Stats,
    held: Stats,
    line_bytes: usize,
}

/// `ledger::append` vs. a bare open(append) + write + `sync_data` of the
/// same line, vs. write + `sync_data` on a file held open; interleaved round
/// by round so that disk weather hits all three alike.
fn bench_append(dir: &Path, n: usize) -> AppendResult {
    let log = dir.join("append").join("events.jsonl");
    let bare = dir.join("bare.jsonl");
    let held_path = dir.join("held.jsonl");
    let mut held = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&held_path)
        .unwrap();
    let actor = Actor {
        user: "op".into(),
        host: "bench-01".into(),
        name: None,
    };
    // ~200 bytes of data: {"text":"…"} with 189 characters of text.
    let text: String = "append benchmark payload: order gateway reconnect observed, \
                        positions reconciled against the broker, no action needed. "
        .chars()
        .cycle()
        .take(189)
        .collect();
    let data = json!({ "text": text });
    let mut line_bytes = 0;
    let (mut tl, mut tb, mut th) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..WARMUP + n {
        // The append comes first (the bare writes need its line); the two
        // baselines alternate which goes first.
        let mut d = [Duration::ZERO; 3];
        let t = Instant::now();
        let ev = ledger::append(&log, &actor, "note", data.clone()).unwrap();
        d[0] = t.elapsed();
        let mut line = serde_json::to_string(&ev).unwrap();
        line.push('\n');
        line_bytes = line.len();
        for k in 0..2 {
            if (i + k) % 2 == 0 {
                let t = Instant::now();
                let mut f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&bare)
                    .unwrap();
                f.write_all(line.as_bytes()).unwrap();
                f.sync_data().unwrap();
                drop(f);
                d[1] = t.elapsed();
            } else {
                let t = Instant::now();
                held.write_all(line.as_bytes()).unwrap();
                held.sync_data().unwrap();
                d[2] = t.elapsed();
            }
        }
        if i >= WARMUP {
            tl.push(d[0]);
            tb.push(d[1]);
            th.push(d[2]);
        }
    }
    // Same bytes, byte for byte.
    let a = std::fs::read(&log).unwrap();
    assert_eq!(
        a,
        std::fs::read(&bare).unwrap(),
        "bare baseline wrote other bytes"
    );
    assert_eq!(
        a,
        std::fs::read(&held_path).unwrap(),
        "held baseline wrote other bytes"
    );
    assert!(ledger::verify(&log).unwrap().ok());
    AppendResult {
        ledger: stats(tl),
        bare: stats(tb),
        held: stats(th),
        line_bytes,
    }
}

// ------------------------------------------------------------------ b. 1M ledger

struct Row {
    what: String,
    time: Duration,
    rate: String,
    peak: Option<u64>,
}

fn bench_big(dir: &Path, n: u64) -> Vec<Row> {
    let path = dir.join("big").join("events.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut rows = Vec::new();
    let rate = |t: Duration, bytes: u64| {
        let s = t.as_secs_f64();
        format!("{:.0} ev/s, {:.1} MB/s", n as f64 / s, mb(bytes) / s)
    };

    reset_peak();
    let t = Instant::now();
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).unwrap());
    let bytes = write_chain(
        &mut w,
        n,
        t0_ms(),
        (
            "opened",
            json!({"title": "Order gateway rejects every order", "severity": "P1", "reason": "bench"}),
        ),
        |seq| ("note", note_text(seq)),
    );
    w.into_inner().unwrap().sync_all().unwrap();
    let gen_t = t.elapsed();
    rows.push(Row {
        what: format!(
            "generate {n} events ({:.1} MB, hash_of chain, 1 fsync)",
            mb(bytes)
        ),
        time: gen_t,
        rate: rate(gen_t, bytes),
        peak: peak_rss_kb(),
    });

    reset_peak();
    let t = Instant::now();
    let v = ledger::verify(&path).unwrap();
    let vt = t.elapsed();
    assert!(v.ok(), "{v:?}");
    assert_eq!(v.events, n);
    rows.push(Row {
        what: "ledger::verify".into(),
        time: vt,
        rate: rate(vt, bytes),
        peak: peak_rss_kb(),
    });

    reset_peak();
    let t = Instant::now();
    let events = ledger::read(&path).unwrap();
    let rt = t.elapsed();
    assert_eq!(events.len() as u64, n);
    rows.push(Row {
        what: "ledger::read (verify + parse into Events)".into(),
        time: rt,
        rate: rate(rt, bytes),
        peak: peak_rss_kb(),
    });

    reset_peak();
    let t = Instant::now();
    let inc = Incident::replay("INC-20261130-00001", events).unwrap();
    let pt = t.elapsed();
    assert_eq!(inc.events.len() as u64, n);
    assert_eq!(inc.severity, "P1");
    rows.push(Row {
        what: "Incident::replay (events in memory)".into(),
        time: pt,
        rate: format!("{:.0} ev/s", n as f64 / pt.as_secs_f64()),
        peak: peak_rss_kb(),
    });
    drop(inc);
    rows.push(Row {
        what: "read + replay (= loading the incident)".into(),
        time: rt + pt,
        rate: rate(rt + pt, bytes),
        peak: None,
    });
    std::fs::remove_file(&path).unwrap();
    rows
}

// ------------------------------------------------------------------ c. list

fn bench_list(root: &Path, n: u32) -> Vec<Row> {
    let store = Store::new(root, Some(ID_FORMAT)).unwrap();
    let ids = IdFormat::parse(ID_FORMAT).unwrap();
    let date = jiff::civil::date(2026, 11, 30);
    let per = 10u64;
    let mut rows = Vec::new();

    let t = Instant::now();
    let mut bytes = 0;
    for i in 1..=n {
        let id = ids.format(date, i);
        let p = store.log_path(&id);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let mut w = BufWriter::new(File::create(&p).unwrap());
        let sev = ["P0", "P1", "P2"][i as usize % 3];
        bytes += write_chain(
            &mut w,
            per,
            t0_ms() + i64::from(i) * 1000,
            (
                "opened",
                json!({"title": format!("bench incident {i}"), "severity": sev, "reason": "bench"}),
            ),
            |seq| ("note", note_text(seq)),
        );
        w.flush().unwrap();
    }
    std::fs::write(store.dir().join(KEEP_MARKER), "made by benches/ledger.rs\n").unwrap();
    let gt = t.elapsed();
    let total = u64::from(n) * per;
    rows.push(Row {
        what: format!(
            "generate {n} incidents x {per} events ({:.1} MB, no fsync)",
            mb(bytes)
        ),
        time: gt,
        rate: format!("{:.0} incidents/s", f64::from(n) / gt.as_secs_f64()),
        peak: None,
    });

    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..LIST_RUNS {
        reset_peak();
        let t = Instant::now();
        let (ok, bad) = store.list().unwrap();
        times.push(t.elapsed());
        peaks.push(peak_rss_kb());
        assert!(bad.is_empty(), "{:?}", bad.first());
        assert_eq!(ok.len(), n as usize);
    }
    let first = times[0];
    let mut sorted = times.clone();
    sorted.sort();
    let med = sorted[sorted.len() / 2];
    let per_s = |d: Duration| {
        format!(
            "{:.0} incidents/s, {:.0} ev/s",
            f64::from(n) / d.as_secs_f64(),
            total as f64 / d.as_secs_f64()
        )
    };
    rows.push(Row {
        what: format!(
            "Store::list, median of {LIST_RUNS} (min {}, max {})",
            dur(sorted[0]),
            dur(sorted[sorted.len() - 1])
        ),
        time: med,
        rate: per_s(med),
        peak: peaks.iter().flatten().max().copied(),
    });
    rows.push(Row {
        what: "Store::list, first run".into(),
        time: first,
        rate: per_s(first),
        peak: peaks[0],
    });
    rows
}

/// `KEEP/incidents` made ready: removed when an earlier run of this
/// benchmark made it, refused when it holds anything else.
fn prepare_keep(root: &Path) {
    let inc = root.join("incidents");
    if inc.join(KEEP_MARKER).is_file() {
        std::fs::remove_dir_all(&inc).unwrap();
    } else if std::fs::read_dir(&inc).is_ok_and(|mut d| d.next().is_some()) {
        panic!(
            "OPSBOOK_BENCH_KEEP: {} is not empty and was not made by this benchmark; use another directory",
            inc.display()
        );
    }
}

// ------------------------------------------------------------------ main

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (d_events, d_appends, d_incidents) = if full {
        (1_000_000, 2_000, 10_000)
    } else {
        (2_000, 20, 50)
    };
    let n_events = env_usize("OPSBOOK_BENCH_EVENTS", d_events).max(1) as u64;
    let n_appends = env_usize("OPSBOOK_BENCH_APPENDS", d_appends).max(1);
    let n_incidents = u32::try_from(env_usize("OPSBOOK_BENCH_INCIDENTS", d_incidents).max(1))
        .expect("OPSBOOK_BENCH_INCIDENTS too large");
    let base = std::env::var_os("OPSBOOK_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    std::fs::create_dir_all(&base).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("opsbook-bench-")
        .tempdir_in(&base)
        .unwrap();
    let keep = std::env::var_os("OPSBOOK_BENCH_KEEP").map(PathBuf::from);

    println!(
        "opsbook ledger benchmark{}: {} CPUs, temp dir {} ({}), peak RSS {}",
        if full {
            ""
        } else {
            " (smoke run: pass --bench for the real sizes)"
        },
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        tmp.path().display(),
        fs_type(tmp.path()),
        if reset_peak() {
            "per phase (VmHWM, reset via clear_refs)"
        } else if peak_rss_kb().is_some() {
            "process-wide (VmHWM; clear_refs unavailable)"
        } else {
            "not available on this OS"
        },
    );

    // a. append latency
    let a = bench_append(tmp.path(), n_appends);
    println!(
        "\na. append latency: {n_appends} appends of a {}-byte line (data ~200 bytes), after {WARMUP} untimed, interleaved",
        a.line_bytes
    );
    println!(
        "{:<52} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "", "p50", "p99", "mean", "max", "ops/s"
    );
    for (what, s) in [
        ("ledger::append (lock, tail, hash, write, fsync)", &a.ledger),
        ("bare: open(append) + write + sync_data", &a.bare),
        ("bare: write + sync_data on a file held open", &a.held),
    ] {
        println!(
            "{what:<52} {:>10} {:>10} {:>10} {:>10} {:>9.0}",
            dur(s.p50),
            dur(s.p99),
            dur(s.mean),
            dur(s.max),
            1.0 / s.mean.as_secs_f64()
        );
    }
    let r = |x: Duration, y: Duration| x.as_secs_f64() / y.as_secs_f64();
    println!(
        "ratio append / bare open+write+fsync: p50 {:.2}x, p99 {:.2}x, mean {:.2}x",
        r(a.ledger.p50, a.bare.p50),
        r(a.ledger.p99, a.bare.p99),
        r(a.ledger.mean, a.bare.mean)
    );
    println!(
        "ratio append / bare held-open write+fsync: p50 {:.2}x, p99 {:.2}x, mean {:.2}x",
        r(a.ledger.p50, a.held.p50),
        r(a.ledger.p99, a.held.p99),
        r(a.ledger.mean, a.held.mean)
    );

    let print_rows = |rows: &[Row]| {
        println!(
            "{:<62} {:>10} {:>34} {:>10}",
            "", "time", "rate", "peak RSS"
        );
        for row in rows {
            println!(
                "{:<62} {:>10} {:>34} {:>10}",
                row.what,
                dur(row.time),
                row.rate,
                peak_col(row.peak)
            );
        }
    };

    // c before b: the 1M-event phase leaves freed memory in the allocator,
    // which would count in the listing's peak RSS.
    let list_root = match &keep {
        Some(k) => {
            std::fs::create_dir_all(k).unwrap();
            prepare_keep(k);
            k.clone()
        }
        None => tmp.path().join("ssot"),
    };
    let c = bench_list(&list_root, n_incidents);

    let b = bench_big(tmp.path(), n_events);
    println!(
        "\nb. one ledger of {n_events} events (first `opened` P1, then `note`s; page cache warm)"
    );
    print_rows(&b);

    println!(
        "\nc. Store::list over {n_incidents} incidents in {} (rayon, {} CPUs)",
        list_root.join("incidents").display(),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    print_rows(&c);
    if keep.is_some() {
        println!(
            "(incidents left in {})",
            list_root.join("incidents").display()
        );
    }
}
