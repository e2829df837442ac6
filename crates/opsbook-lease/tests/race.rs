//! Leases under real concurrency: N processes (this test binary started
//! again as `lease_child`) race for one lease on the local store and on an
//! S3-compatible server; a holder is killed with SIGKILL (TerminateProcess
//! on Windows) and the standby may take over only after expiry.
//!
//! The S3 tests run against the server `.ci/run` starts (moto on
//! `OPSBOOK_TEST_S3_ENDPOINT`); they are `#[ignore]`d, so elsewhere they are
//! listed as ignored (never a silent pass), and run with a server by
//! `cargo test -p opsbook-lease --test race -- --include-ignored`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opsbook_core::ledger::{self, Actor};
use opsbook_lease::s3::{S3Config, S3Store};
use opsbook_lease::split_brain::{self, SplitBrainParams};
use opsbook_lease::{LeaseError, Leases, LocalStore, Store, Timing};
use serde_json::{Value, json};

const KEY_ID: &str = "AKIAOPSBOOKTEST00000";
const SECRET: &str = "opsbook-test-secret-key-not-real-000000";

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The test S3 endpoint; a test that needs it is `#[ignore]`d (listed as
/// ignored, never a silent pass) and fails when run without a server.
fn s3_endpoint() -> String {
    std::env::var("OPSBOOK_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .expect(
            "this test needs an S3 server: set OPSBOOK_TEST_S3_ENDPOINT \
             (e.g. to a local `python3 -m moto.server -p 5399`; .ci/run starts one)",
        )
}

/// Creates a fresh bucket with a plain HTTP request (the test server does
/// not check signatures).
fn new_bucket(endpoint: &str, tag: &str) -> String {
    let host = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let bucket = format!("opsbook-lease-{tag}-{}-{}", std::process::id(), now_ms());
    let mut s = TcpStream::connect(&host).unwrap();
    write!(
        s,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 Credential={KEY_ID}/20261130/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "create bucket: {resp}");
    bucket
}

fn s3_config(endpoint: &str, bucket: &str) -> S3Config {
    S3Config {
        bucket: bucket.into(),
        prefix: "leases".into(),
        endpoint: Some(endpoint.into()),
        region: Some("us-east-1".into()),
        access_key_id: Some(KEY_ID.into()),
        secret_access_key: Some(SECRET.into()),
        session_token: None,
    }
}

/// Where a test's leases live.
#[derive(Clone)]
enum Backend {
    Local(PathBuf),
    S3 { endpoint: String, bucket: String },
}

impl Backend {
    fn json(&self) -> Value {
        match self {
            Backend::Local(d) => json!({"local": d}),
            Backend::S3 { endpoint, bucket } => {
                json!({"s3": {"endpoint": endpoint, "bucket": bucket}})
            }
        }
    }

    fn from_json(v: &Value) -> Backend {
        match v.get("local").and_then(Value::as_str) {
            Some(d) => Backend::Local(PathBuf::from(d)),
            None => Backend::S3 {
                endpoint: v["s3"]["endpoint"].as_str().unwrap().into(),
                bucket: v["s3"]["bucket"].as_str().unwrap().into(),
            },
        }
    }

    fn store(&self) -> Box<dyn Store> {
        match self {
            Backend::Local(d) => Box::new(LocalStore::new(d)),
            Backend::S3 { endpoint, bucket } => {
                Box::new(S3Store::new(&s3_config(endpoint, bucket)).unwrap())
            }
        }
    }

    fn leases(&self, ledger: &Path, host: &str, margin_ms: u64) -> Leases {
        Leases::new(
            self.store(),
            ledger.to_path_buf(),
            Actor {
                user: "op".into(),
                host: host.into(),
                name: None,
            },
            Timing {
                margin: Duration::from_millis(margin_ms),
            },
        )
    }
}

fn out(v: &Value) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "RESULT {v}");
    let _ = o.flush();
}

/// The child process: `OPSBOOK_LEASE_CHILD` holds its task as JSON.
#[test]
#[ignore = "the child process of the race tests; they start it"]
fn lease_child() {
    let Ok(task) = std::env::var("OPSBOOK_LEASE_CHILD") else {
        let _ = writeln!(std::io::stderr(), "lease_child: not started by a race test");
        return;
    };
    let c: Value = serde_json::from_str(&task).unwrap();
    let s = |k: &str| c[k].as_str().unwrap().to_string();
    let n = |k: &str| c[k].as_u64().unwrap();
    let (name, holder) = (s("name"), s("holder"));
    let ttl = Duration::from_millis(n("ttl_ms"));
    let leases =
        Backend::from_json(&c["backend"]).leases(Path::new(&s("ledger")), &holder, n("margin_ms"));
    let start = c["start_ms"].as_i64().unwrap();
    while now_ms() < start {
        std::thread::sleep(Duration::from_millis(1));
    }
    match s("mode").as_str() {
        "race" => match leases.acquire(&name, &holder, ttl) {
            Ok(l) => out(&json!({"won": true, "token": l.token})),
            Err(LeaseError::Held { status, .. }) => {
                out(&json!({"won": false, "holder": status.holder, "token": status.token}));
            }
            Err(e) => out(&json!({"error": e.to_string()})),
        },
        "cycle" => {
            let mut wins = 0;
            let jitter = u64::from(std::process::id() % 5);
            for _ in 0..20_000 {
                if wins == n("rounds") {
                    break;
                }
                match leases.acquire(&name, &holder, ttl) {
                    Ok(l) => {
                        let from = now_ms();
                        std::thread::sleep(Duration::from_millis(n("hold_ms")));
                        let valid = leases.check(&name, l.token, Some(&holder)).is_ok();
                        let to = now_ms();
                        leases.release(&name, &holder, l.token).unwrap();
                        out(&json!({"token": l.token, "from": from, "to": to, "valid": valid}));
                        wins += 1;
                        std::thread::sleep(Duration::from_millis(1 + jitter));
                    }
                    Err(LeaseError::Held { .. } | LeaseError::Contended { .. }) => {
                        std::thread::sleep(Duration::from_millis(2 + jitter));
                    }
                    Err(e) => {
                        out(&json!({"error": e.to_string()}));
                        return;
                    }
                }
            }
        }
        "hold" => {
            let l = match leases.acquire(&name, &holder, ttl) {
                Ok(l) => l,
                Err(e) => return out(&json!({"error": e.to_string()})),
            };
            out(&json!({"token": l.token}));
            loop {
                std::thread::sleep(Duration::from_millis(n("renew_ms")));
                match leases.renew(&name, &holder, l.token, ttl) {
                    Ok(r) => out(&json!({"renewed": r.lease.expires_at.as_millisecond()})),
                    Err(e) => return out(&json!({"error": e.to_string()})),
                }
            }
        }
        m => panic!("unknown mode {m}"),
    }
}

fn spawn(task: &Value) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "lease_child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
        "--quiet",
    ])
    .env("OPSBOOK_LEASE_CHILD", task.to_string())
    .env("AWS_ACCESS_KEY_ID", KEY_ID)
    .env("AWS_SECRET_ACCESS_KEY", SECRET)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

fn results(child: Child) -> Vec<Value> {
    let o = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let r: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("RESULT "))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for v in &r {
        assert!(
            v.get("error").is_none(),
            "child failed: {v}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    r
}

#[allow(clippy::too_many_arguments)]
fn task(
    mode: &str,
    backend: &Backend,
    ledger: &Path,
    holder: &str,
    start_ms: i64,
    extra: &Value,
) -> Value {
    let mut t = json!({
        "mode": mode,
        "backend": backend.json(),
        "ledger": ledger,
        "name": "order-gateway",
        "holder": holder,
        "start_ms": start_ms,
        "ttl_ms": 5000,
        "margin_ms": 1000,
    });
    for (k, v) in extra.as_object().unwrap() {
        t[k] = v.clone();
    }
    t
}

fn ledgers(dir: &Path, n: usize, shared: bool) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            if shared {
                dir.join("lease.jsonl")
            } else {
                dir.join(format!("lease-{i}.jsonl"))
            }
        })
        .collect()
}

/// Every event kind of the distinct ledgers in `paths`.
fn all_kinds(paths: &[PathBuf]) -> Vec<String> {
    let distinct: BTreeSet<&PathBuf> = paths.iter().collect();
    distinct
        .into_iter()
        .flat_map(|p| ledger::read(p).unwrap())
        .map(|e| e.kind)
        .collect()
}

/// N processes try once, at the same instant, on a free lease. With
/// `shared_ledger` they also share the ledger (whose lock serialises them
/// on one host); without, only the store keeps them apart.
fn race_once(backend: &Backend, dir: &Path, n: usize, shared_ledger: bool) {
    let ledgers = ledgers(dir, n, shared_ledger);
    let start = now_ms() + 1500;
    let kids: Vec<Child> = (0..n)
        .map(|i| {
            spawn(&task(
                "race",
                backend,
                &ledgers[i],
                &format!("p{i}"),
                start,
                &json!({}),
            ))
        })
        .collect();
    let r: Vec<Value> = kids.into_iter().flat_map(results).collect();
    assert_eq!(r.len(), n, "{r:?}");
    let winners: Vec<&Value> = r.iter().filter(|v| v["won"] == true).collect();
    assert_eq!(winners.len(), 1, "exactly one winner: {r:?}");
    assert_eq!(winners[0]["token"], 1);
    // Every loser was told who holds it, and it is the one winner.
    let held_by: BTreeSet<String> = r
        .iter()
        .filter(|v| v["won"] == false)
        .map(|v| v["holder"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(held_by.len(), 1, "{r:?}");
    let kinds = all_kinds(&ledgers);
    assert_eq!(kinds.iter().filter(|k| *k == "lease_acquired").count(), 1);
    assert_eq!(
        kinds.iter().filter(|k| *k == "lease_refused").count(),
        n - 1
    );
}

/// N processes each win the lease `rounds` times, holding it a few ms and
/// releasing. Every token from 1 is granted exactly once, in time order,
/// and no two holdings overlap. With `shared_ledger` they also share the
/// ledger, which must then verify and pass `no_split_brain`'s replay.
fn race_cycles(backend: &Backend, dir: &Path, n: usize, rounds: u64, shared_ledger: bool) {
    let start = now_ms() + 1500;
    let ledgers = ledgers(dir, n, shared_ledger);
    let extra = json!({"rounds": rounds, "hold_ms": 3});
    let kids: Vec<Child> = (0..n)
        .map(|i| {
            spawn(&task(
                "cycle",
                backend,
                &ledgers[i],
                &format!("p{i}"),
                start,
                &extra,
            ))
        })
        .collect();
    let mut wins: Vec<Value> = kids.into_iter().flat_map(results).collect();
    let total = n * usize::try_from(rounds).unwrap();
    assert_eq!(wins.len(), total);
    wins.sort_by_key(|v| v["token"].as_u64().unwrap());
    let tokens: Vec<u64> = wins.iter().map(|v| v["token"].as_u64().unwrap()).collect();
    assert_eq!(
        tokens,
        (1..=u64::try_from(total).unwrap()).collect::<Vec<_>>(),
        "every token granted exactly once"
    );
    for w in wins.windows(2) {
        assert!(
            w[0]["to"].as_i64().unwrap() <= w[1]["from"].as_i64().unwrap(),
            "holdings overlap: {} then {}",
            w[0],
            w[1]
        );
    }
    assert!(wins.iter().all(|w| w["valid"] == true), "{wins:?}");
    if shared_ledger {
        let l = &ledgers[0];
        assert!(ledger::verify(l).unwrap().ok());
        let events = ledger::read(l).unwrap();
        let granted: Vec<u64> = events
            .iter()
            .filter(|e| e.kind == "lease_acquired")
            .map(|e| e.data["token"].as_u64().unwrap())
            .collect();
        assert_eq!(
            granted, tokens,
            "the ledger records the grants in token order"
        );
        let r = split_brain::assess(
            &events,
            &SplitBrainParams {
                required: vec![],
                since: None,
                now: jiff::Timestamp::now(),
            },
        );
        assert!(r.ok, "{r:#?}");
    }
}

/// A holder renewing every 500 ms is killed right after a renewal; the
/// standby is refused until `expires_at + margin`, then takes over with the
/// next token, and the dead holder's token is stale. (TTL 4 s: under Wine
/// on a loaded machine one renewal can take most of a second.)
fn kill_holder_then_take_over(backend: &Backend, dir: &Path) {
    let ledger = dir.join("lease.jsonl");
    let (ttl_ms, margin_ms) = (4000u64, 500u64);
    let t = task(
        "hold",
        backend,
        &ledger,
        "primary",
        0,
        &json!({"ttl_ms": ttl_ms, "margin_ms": margin_ms, "renew_ms": 500}),
    );
    let mut child = spawn(&t);
    let mut lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.strip_prefix("RESULT ").map(str::to_string))
        .map(|j| serde_json::from_str::<Value>(&j).unwrap());
    let mut next = || {
        let v = lines.next().expect("the holder is running");
        assert!(v.get("error").is_none(), "holder: {v}");
        v
    };
    let token = next()["token"].as_u64().unwrap();
    // Killed while live: right after a successful renewal.
    assert!(next()["renewed"].is_i64());
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = now_ms();
    let standby = backend.leases(&ledger, "trade-02", margin_ms);
    let ttl = Duration::from_millis(ttl_ms);
    let e = standby
        .acquire("order-gateway", "standby", ttl)
        .unwrap_err();
    let LeaseError::Held { status, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (status.holder.as_deref(), status.token),
        (Some("primary"), Some(token))
    );
    let expires = status.expires_at.unwrap().as_millisecond();
    let takeover = status.takeover_at.unwrap().as_millisecond();
    assert!(expires > killed_at, "it was live when killed");
    let waiting = Instant::now();
    let l = standby
        .acquire_wait(
            "order-gateway",
            "standby",
            ttl,
            Duration::from_secs(10),
            Duration::from_millis(25),
        )
        .unwrap();
    assert_eq!(l.token, token + 1);
    let p = l.took_over.as_ref().unwrap();
    assert_eq!((p.holder.as_str(), p.token), ("primary", token));
    match serde_json::to_value(p.rule).unwrap().as_str().unwrap() {
        "wall_clock" => assert!(l.acquired_at.as_millisecond() >= takeover, "{l:?}"),
        "monotonic" => assert!(
            waiting.elapsed() >= Duration::from_millis(ttl_ms + margin_ms),
            "{l:?}"
        ),
        r => panic!("{r}"),
    }
    assert!(l.acquired_at.as_millisecond() >= expires);
    // The dead holder's token is refused everywhere.
    assert!(matches!(
        standby.check("order-gateway", token, None),
        Err(LeaseError::Stale { .. })
    ));
    assert!(matches!(
        standby.renew("order-gateway", "primary", token, ttl),
        Err(LeaseError::Stale { .. })
    ));
    assert!(
        standby
            .check("order-gateway", l.token, Some("standby"))
            .is_ok()
    );
    let kinds: Vec<String> = ledger::read(&ledger)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds[0], "lease_acquired");
    assert!(kinds.iter().any(|k| k == "lease_renewed"));
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["lease_refused", "lease_expired", "lease_taken_over"]
    );
}

#[test]
fn local_processes_race_and_exactly_one_wins() {
    for shared in [true, false] {
        let d = tempfile::tempdir().unwrap();
        race_once(
            &Backend::Local(d.path().join("leases")),
            d.path(),
            8,
            shared,
        );
    }
}

#[test]
fn local_tokens_strictly_increase_under_contention_sharing_the_ledger() {
    let d = tempfile::tempdir().unwrap();
    race_cycles(
        &Backend::Local(d.path().join("leases")),
        d.path(),
        5,
        4,
        true,
    );
}

#[test]
fn local_tokens_strictly_increase_under_contention_with_separate_ledgers() {
    // No shared ledger lock: the store's sidecar lock alone decides.
    let d = tempfile::tempdir().unwrap();
    race_cycles(
        &Backend::Local(d.path().join("leases")),
        d.path(),
        5,
        4,
        false,
    );
}

#[test]
fn local_killed_holder_is_taken_over_only_after_expiry() {
    let d = tempfile::tempdir().unwrap();
    kill_holder_then_take_over(&Backend::Local(d.path().join("leases")), d.path());
}

#[test]
#[ignore = "needs an S3 server (OPSBOOK_TEST_S3_ENDPOINT); .ci/run starts moto and runs ignored tests"]
fn s3_server_honours_conditional_writes() {
    let endpoint = s3_endpoint();
    let store = S3Store::new(&s3_config(&endpoint, &new_bucket(&endpoint, "probe"))).unwrap();
    store.self_test().unwrap();
    assert!(store.describe().ends_with("/leases"));
}

#[test]
#[ignore = "needs an S3 server (OPSBOOK_TEST_S3_ENDPOINT); .ci/run starts moto and runs ignored tests"]
fn s3_processes_race_and_exactly_one_wins() {
    let endpoint = s3_endpoint();
    let d = tempfile::tempdir().unwrap();
    let b = Backend::S3 {
        bucket: new_bucket(&endpoint, "race"),
        endpoint,
    };
    race_once(&b, d.path(), 6, false);
}

#[test]
#[ignore = "needs an S3 server (OPSBOOK_TEST_S3_ENDPOINT); .ci/run starts moto and runs ignored tests"]
fn s3_tokens_strictly_increase_under_contention() {
    let endpoint = s3_endpoint();
    // Separate ledgers, as on separate hosts: only the conditional writes
    // keep the holders apart.
    let d = tempfile::tempdir().unwrap();
    let b = Backend::S3 {
        bucket: new_bucket(&endpoint, "cycle"),
        endpoint,
    };
    race_cycles(&b, d.path(), 4, 3, false);
}

#[test]
#[ignore = "needs an S3 server (OPSBOOK_TEST_S3_ENDPOINT); .ci/run starts moto and runs ignored tests"]
fn s3_killed_holder_is_taken_over_only_after_expiry() {
    let endpoint = s3_endpoint();
    let d = tempfile::tempdir().unwrap();
    let b = Backend::S3 {
        bucket: new_bucket(&endpoint, "kill"),
        endpoint,
    };
    kill_holder_then_take_over(&b, d.path());
}
