//! `opsbook lease` end to end beyond one host's file store: `acquire
//! --wait` (a standby that waits for a release, then for an expiry, on the
//! local store) and the shared store on a real S3-compatible server through
//! `[lease.s3]` — one holder, refusals that name it, N processes racing for
//! one lease with exactly one winner. The S3 tests are `#[ignore]`d: `.ci/run`
//! starts moto and runs them (`-- --include-ignored`); by hand:
//! `OPSBOOK_TEST_S3_ENDPOINT=http://127.0.0.1:5399 cargo test -p opsbook-cli
//! --test cli lease -- --include-ignored`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{json, types};

const NOW: &str = "2026-11-29T03:00:00Z";
const KEY_ID: &str = "AKIAOPSBOOKTEST00000";
const SECRET: &str = "opsbook-test-secret-key-not-real-000000";

/// An SSOT whose leases live in `leases` beside it (local store).
fn local() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (t, dir) = super::init_ssot();
    let leases = t.path().join("leases");
    (t, dir, leases)
}

/// `opsbook ARGS --root DIR` with the wall clock at [`NOW`] (frozen: only
/// the monotonic clock moves), the local store in `leases`, plus `env`.
fn lease_cmd(
    dir: &Path,
    leases: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Command {
    // A std Command (it can be spawned), set up as `opsbook()` sets up its own.
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_opsbook"));
    c.env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("OPSBOOK_ROOT")
        .env_remove("OPSBOOK_FORMAT")
        .env_remove("OPSBOOK_INCIDENT")
        .env("NO_COLOR", "1")
        .env("OPSBOOK_NOW", NOW)
        .env("OPSBOOK_ACTOR", "Aiko")
        .env("OPSBOOK_LEASE_DIR", leases)
        .env_remove("AWS_ENDPOINT_URL");
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).arg("--root").arg(dir);
    c
}

fn run(dir: &Path, leases: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    super::super::outcome(&lease_cmd(dir, leases, env, args).output().unwrap())
}

#[test]
fn acquire_wait_gets_the_lease_on_release_and_after_expiry_with_a_higher_token() {
    let (_t, dir, leases) = local();
    let (code, out, err) = run(
        &dir,
        &leases,
        &[],
        &[
            "lease",
            "acquire",
            "order-gateway",
            "--holder",
            "n1",
            "--ttl",
            "30s",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["token"], 1);
    // Waiting 1 s while n1 holds it: refused after the wait, naming n1.
    let started = Instant::now();
    let (code, out, err) = run(
        &dir,
        &leases,
        &[],
        &[
            "lease",
            "acquire",
            "order-gateway",
            "--holder",
            "n2",
            "--wait",
            "1s",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("held by n1"), "{err}");
    // n2 waits up to 20 s; n1 releases after about 1 s: granted, token 2
    // (TTL 5 s: the shortest above twice the 2 s margin).
    let waiter = lease_cmd(
        &dir,
        &leases,
        &[],
        &[
            "lease",
            "acquire",
            "order-gateway",
            "--holder",
            "n2",
            "--ttl",
            "5s",
            "--wait",
            "20s",
            "--format",
            "json",
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let (code, out, err) = run(
        &dir,
        &leases,
        &[],
        &[
            "lease",
            "release",
            "order-gateway",
            "--holder",
            "n1",
            "--token",
            "1",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let started = Instant::now();
    let (code, out, err) = super::super::outcome(&waiter.wait_with_output().unwrap());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let l = json(&out);
    assert_eq!(
        (l["holder"].as_str(), l["token"].as_u64()),
        (Some("n2"), Some(2))
    );
    assert!(l["took_over"].is_null(), "{out}");
    // n2 never renews its 5 s lease (a killed holder). The wall clock is
    // frozen, so n3's wait takes over only after the record stayed unchanged
    // for TTL + margin on its monotonic clock: about 7 s, token 3.
    let started = Instant::now();
    let (code, out, err) = run(
        &dir,
        &leases,
        &[],
        &[
            "lease",
            "acquire",
            "order-gateway",
            "--holder",
            "n3",
            "--wait",
            "20s",
            "--format",
            "json",
        ],
    );
    let took = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        took >= Duration::from_secs(6),
        "taken over after {took:?}: before expiry"
    );
    let l = json(&out);
    assert_eq!(
        (l["holder"].as_str(), l["token"].as_u64()),
        (Some("n3"), Some(3))
    );
    assert_eq!(l["took_over"]["holder"], "n2", "{out}");
    let kinds = types(&dir.join("ledger").join("lease.jsonl"));
    for k in [
        "lease_acquired",
        "lease_refused",
        "lease_released",
        "lease_taken_over",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} not in {kinds:?}");
    }
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("lease_taken_over"),
        "{kinds:?}"
    );
    // A bad duration is a usage error, before anything is written.
    let before = kinds.len();
    let (code, _, err) = run(
        &dir,
        &leases,
        &[],
        &[
            "lease",
            "acquire",
            "order-gateway",
            "--holder",
            "n4",
            "--wait",
            "soon",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`soon` is not a duration"), "{err}");
    assert_eq!(types(&dir.join("ledger").join("lease.jsonl")).len(), before);
}

#[test]
fn release_by_another_holder_says_who_holds_the_lease() {
    let (_t, dir, leases) = local();
    let (code, out, err) = run(
        &dir,
        &leases,
        &[],
        &["lease", "acquire", "order-gateway", "--holder", "n1"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(
        &dir,
        &leases,
        &[],
        &[
            "lease",
            "release",
            "order-gateway",
            "--holder",
            "n2",
            "--token",
            "1",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("lease `order-gateway` is held by n1") && err.contains("not by n2"),
        "{err}"
    );
    assert!(!err.contains("stale"), "{err}");
    assert!(
        err.contains("`opsbook lease status order-gateway`"),
        "{err}"
    );
    // Still n1's.
    let (_, out, _) = run(
        &dir,
        &leases,
        &[],
        &["lease", "status", "order-gateway", "--format", "json"],
    );
    assert_eq!(json(&out)["holder"], "n1");
}

// --- S3 --------------------------------------------------------------------

/// The test server; the test is ignored by default and fails without one.
fn s3_endpoint() -> String {
    std::env::var("OPSBOOK_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .expect(
            "OPSBOOK_TEST_S3_ENDPOINT is not set: start an S3-compatible server (`python3 -m moto.server -p 5399`) and point it there",
        )
}

/// A fresh bucket, made with a plain HTTP request of the test's own.
fn new_bucket(endpoint: &str) -> String {
    let host = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let bucket = format!(
        "opsbook-cli-lease-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mut s = TcpStream::connect(&host).unwrap_or_else(|e| panic!("{host}: {e}"));
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

/// An SSOT whose `[lease]` is the bucket on the test server (credentials
/// through `credentials_ref = "env:LEASETEST"`).
fn on_s3() -> (tempfile::TempDir, PathBuf, PathBuf, String) {
    let endpoint = s3_endpoint();
    let bucket = new_bucket(&endpoint);
    let (t, dir, leases) = local();
    opsbook_testkit::ssot::append_config(
        &dir,
        &format!(
            "\n[lease]\nbackend = \"s3\"\n\n[lease.s3]\nbucket = \"{bucket}\"\nprefix = \"prod\"\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\ncredentials_ref = \"env:LEASETEST\"\n"
        ),
    );
    (t, dir, leases, bucket)
}

const CREDS: [(&str, &str); 2] = [
    ("LEASETEST_ACCESS_KEY_ID", KEY_ID),
    ("LEASETEST_SECRET_ACCESS_KEY", SECRET),
];

#[test]
#[ignore = "needs an S3-compatible server at OPSBOOK_TEST_S3_ENDPOINT (.ci/run starts moto and runs it)"]
fn lease_on_s3_through_the_cli_one_holder_refusals_name_it_and_release_hands_over() {
    let (_t, dir, leases, bucket) = on_s3();
    let (code, out, err) = run(
        &dir,
        &leases,
        &CREDS,
        &[
            "lease",
            "acquire",
            "order-gateway",
            "--holder",
            "n1",
            "--ttl",
            "30s",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let l = json(&out);
    assert_eq!(l["token"], 1);
    assert_eq!(l["store"], format!("s3://{bucket}/prod"), "{out}");
    // Nothing in the local store: the [lease] backend was used.
    assert!(!leases.join("order-gateway.lease.json").exists());
    let (code, out, err) = run(
        &dir,
        &leases,
        &CREDS,
        &["lease", "acquire", "order-gateway", "--holder", "n2"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("held by n1"), "{err}");
    let (code, out, err) = run(
        &dir,
        &leases,
        &CREDS,
        &[
            "lease",
            "release",
            "order-gateway",
            "--holder",
            "n2",
            "--token",
            "1",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("is held by n1") && err.contains("not by n2"),
        "{err}"
    );
    let (code, out, _) = run(
        &dir,
        &leases,
        &CREDS,
        &[
            "lease",
            "check",
            "order-gateway",
            "--token",
            "1",
            "--holder",
            "n1",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = run(
        &dir,
        &leases,
        &CREDS,
        &[
            "lease",
            "renew",
            "order-gateway",
            "--holder",
            "n1",
            "--token",
            "1",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(
        &dir,
        &leases,
        &CREDS,
        &[
            "lease",
            "release",
            "order-gateway",
            "--holder",
            "n1",
            "--token",
            "1",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(
        &dir,
        &leases,
        &CREDS,
        &[
            "lease",
            "acquire",
            "order-gateway",
            "--holder",
            "n2",
            "--wait",
            "5s",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["token"], 2);
    let (_, out, _) = run(
        &dir,
        &leases,
        &CREDS,
        &["lease", "status", "order-gateway", "--format", "json"],
    );
    let s = json(&out);
    assert_eq!(
        (
            s["state"].as_str(),
            s["holder"].as_str(),
            s["token"].as_u64()
        ),
        (Some("held"), Some("n2"), Some(2))
    );
    // The local store still answers when asked for by --backend.
    let (code, out, err) = run(
        &dir,
        &leases,
        &[],
        &[
            "lease",
            "status",
            "order-gateway",
            "--backend",
            "local",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["state"], "free");
    let kinds = types(&dir.join("ledger").join("lease.jsonl"));
    assert_eq!(
        kinds,
        [
            "lease_acquired",
            "lease_refused",
            "lease_renewed",
            "lease_released",
            "lease_acquired"
        ],
        "{kinds:?}"
    );
    // Without credentials: an error (exit 2) that names what to set.
    let (code, _, err) = run(&dir, &leases, &[], &["lease", "status", "order-gateway"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("LEASETEST_ACCESS_KEY_ID"), "{err}");
}

#[test]
#[ignore = "needs an S3-compatible server at OPSBOOK_TEST_S3_ENDPOINT (.ci/run starts moto and runs it)"]
fn eight_cli_processes_race_for_one_s3_lease_and_exactly_one_wins() {
    let (_t, dir, leases, _bucket) = on_s3();
    let children: Vec<_> = (0..8)
        .map(|i| {
            lease_cmd(
                &dir,
                &leases,
                &CREDS,
                &[
                    "lease",
                    "acquire",
                    "trading-engine",
                    "--holder",
                    &format!("r{i}"),
                    "--format",
                    "json",
                ],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let results: Vec<(i32, String, String)> = children
        .into_iter()
        .map(|c| super::super::outcome(&c.wait_with_output().unwrap()))
        .collect();
    let winners: Vec<&(i32, String, String)> = results.iter().filter(|r| r.0 == 0).collect();
    assert_eq!(winners.len(), 1, "{results:#?}");
    assert!(results.iter().all(|r| r.0 == 0 || r.0 == 1), "{results:#?}");
    let won: Value = json(&winners[0].1);
    assert_eq!(won["token"], 1);
    let holder = won["holder"].as_str().unwrap().to_string();
    for r in results.iter().filter(|r| r.0 == 1) {
        assert!(r.2.contains(&format!("held by {holder}")), "{}", r.2);
    }
    let (_, out, _) = run(
        &dir,
        &leases,
        &CREDS,
        &["lease", "status", "trading-engine", "--format", "json"],
    );
    assert_eq!(json(&out)["holder"], holder.as_str());
    let kinds = types(&dir.join("ledger").join("lease.jsonl"));
    assert_eq!(
        kinds.iter().filter(|k| *k == "lease_acquired").count(),
        1,
        "{kinds:?}"
    );
}
