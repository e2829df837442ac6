//! S3 delivery against a real S3-compatible server. `.ci/run` starts one
//! (moto's server, from PyPI), sets `OPSBOOK_TEST_S3_ENDPOINT` and runs the
//! ignored tests too (`-- --include-ignored`). Elsewhere the test is listed
//! as ignored, never a silent pass; run it by hand with a server:
//! `OPSBOOK_TEST_S3_ENDPOINT=http://127.0.0.1:5399 cargo test -p opsbook-cli
//! --test cli s3 -- --ignored`. The bucket's contents are read with plain
//! HTTP requests of the test's own, not through opsbook, so the check is
//! independent of the code under test.

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::Value;

use super::{collect, run, setup};

/// `(host:port, endpoint URL)` of the test server.
///
/// # Panics
/// `OPSBOOK_TEST_S3_ENDPOINT` is unset: the test was asked for (it is
/// ignored by default) and cannot run without a server.
fn server() -> (String, String) {
    let ep = std::env::var("OPSBOOK_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .expect(
            "OPSBOOK_TEST_S3_ENDPOINT is not set: start an S3-compatible server (`python3 -m moto.server -p 5399`) and point it there",
        );
    let host = ep
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    (host, ep)
}

/// One HTTP/1.1 request; returns (status, body). The test server does not
/// check signatures, but it wants an authenticated principal to read
/// objects: the `Authorization` header names the test's access key.
fn http(host: &str, method: &str, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("{host}: {e}"));
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAOPSBOOKTEST00000/20261130/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP header end");
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    (status, body)
}

/// Keys under `prefix` in `bucket`, from a ListObjectsV2 request.
fn keys(host: &str, bucket: &str, prefix: &str) -> Vec<String> {
    let (c, body) = http(
        host,
        "GET",
        &format!("/{bucket}?list-type=2&prefix={prefix}"),
    );
    assert_eq!(c, 200, "{}", String::from_utf8_lossy(&body));
    let xml = String::from_utf8(body).unwrap();
    let mut v: Vec<String> = xml
        .split("<Key>")
        .skip(1)
        .map(|k| k.split("</Key>").next().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
#[ignore = "needs an S3-compatible server at OPSBOOK_TEST_S3_ENDPOINT (.ci/run starts moto and runs it)"]
fn s3_delivery_survives_failures_at_every_step_against_a_real_server() {
    let (host, endpoint) = server();
    let e = setup();
    let bucket = format!(
        "opsbook-test-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let (c, body) = http(&host, "PUT", &format!("/{bucket}"));
    assert_eq!(c, 200, "create bucket: {}", String::from_utf8_lossy(&body));
    let aws = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIAOPSBOOKTEST00000"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "opsbook-test-secret-key-not-real-000000",
        ),
        ("AWS_REGION", "us-east-1"),
    ];
    let dest = format!("s3://{bucket}/bundles/");
    let mut ids = Vec::new();
    for (i, fault) in ["unreachable", "mid-upload", "before-verify"]
        .iter()
        .enumerate()
    {
        std::fs::write(e.dir.join("logs").join("quiet.log"), format!("run {i}\n")).unwrap();
        let mut env = aws.to_vec();
        env.push(("OPSBOOK_FAULT", fault));
        let (c, v, err) = collect(&e, &["--dest", &dest], &env);
        assert_eq!(c, 0, "{fault}: {err}");
        assert_eq!(v["spooled"], true, "{fault}: {v}");
        ids.push(v["bundle_id"].as_str().unwrap().to_string());
    }
    // The interrupted upload left nothing at its key; the one cut before
    // verification is there but still spooled.
    let k = keys(&host, &bucket, "bundles/");
    assert!(
        !k.contains(&format!("bundles/{}.zip", ids[1])),
        "a half upload must not appear: {k:?}"
    );
    assert!(k.contains(&format!("bundles/{}.zip", ids[2])), "{k:?}");
    // A flush killed right after uploading, before verification.
    let mut env = aws.to_vec();
    env.push(("OPSBOOK_FAULT", "abort-after-copy"));
    let (c, _, _) = run(
        &e.dir,
        &e.spool,
        &env,
        &["evidence", "flush", "--dest", &dest],
    );
    assert_ne!(c, 0, "aborted");
    // A clean flush through the policy's destination (endpoint, region and
    // credentials_ref from policy/evidence.yaml) delivers each exactly once.
    let pol = e.dir.join("policy").join("evidence.yaml");
    let text = std::fs::read_to_string(&pol).unwrap();
    let cut = text.find("\ndestinations:").expect("destinations");
    let tail = &text[cut + 1..];
    let next = tail[1..].find("\n\n").map_or(tail.len(), |i| i + 1);
    let text = format!(
        "{}destinations:\n  - id: test-s3\n    kind: s3\n    endpoint: \"{endpoint}\"\n    bucket: \"{bucket}\"\n    prefix: \"bundles/\"\n    region: \"us-east-1\"\n    credentials_ref: \"env:OPSBOOK_S3\"\n{}",
        &text[..=cut],
        &tail[next..]
    );
    std::fs::write(&pol, text).unwrap();
    let creds = [
        ("OPSBOOK_S3_ACCESS_KEY_ID", "AKIAOPSBOOKTEST00000"),
        (
            "OPSBOOK_S3_SECRET_ACCESS_KEY",
            "opsbook-test-secret-key-not-real-000000",
        ),
    ];
    let (c, out, err) = run(
        &e.dir,
        &e.spool,
        &creds,
        &["evidence", "flush", "--format", "json"],
    );
    assert_eq!(c, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["waiting"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(
        std::fs::read_dir(&e.spool)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|f| f.file_name().to_string_lossy().ends_with(".zip"))
            .count(),
        0,
        "spool emptied"
    );
    let mut want: Vec<String> = ids
        .iter()
        .flat_map(|i| {
            [
                format!("bundles/{i}.zip"),
                format!("bundles/{i}.zip.sha256"),
            ]
        })
        .collect();
    want.sort();
    assert_eq!(
        keys(&host, &bucket, "bundles/"),
        want,
        "each bundle exactly once"
    );
    // What is in the bucket verifies, fetched by plain HTTP.
    for id in &ids {
        let (c, body) = http(&host, "GET", &format!("/{bucket}/bundles/{id}.zip"));
        assert_eq!(c, 200);
        let local = e.dir.join(format!("{id}.zip"));
        std::fs::write(&local, body).unwrap();
        let (_, sums) = http(&host, "GET", &format!("/{bucket}/bundles/{id}.zip.sha256"));
        std::fs::write(e.dir.join(format!("{id}.zip.sha256")), sums).unwrap();
        let (c, out, _) = run(
            &e.dir,
            &e.spool,
            &[],
            &["evidence", "verify", local.to_str().unwrap()],
        );
        assert_eq!(c, 0, "{out}");
    }
    // Custody names the object, never a credential.
    let custody = std::fs::read_to_string(e.dir.join("ledger").join("custody.jsonl")).unwrap();
    assert!(
        custody.contains(&format!("\"at\":\"s3://{bucket}/bundles/{}.zip\"", ids[0])),
        "{custody}"
    );
    assert!(!custody.contains("opsbook-test-secret-key"));
    assert!(!custody.contains("AKIAOPSBOOKTEST"));
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["ledger", "verify", "--root", e.dir.to_str().unwrap()],
    );
    assert_eq!(c, 0, "{out}");
}

#[test]
fn s3_unreachable_spools_with_the_reason() {
    let e = setup();
    // Nothing listens on port 9 (discard) of loopback here.
    let env = [
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_ACCESS_KEY_ID", "AKIAOPSBOOKTEST00000"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "opsbook-test-secret-key-not-real-000000",
        ),
    ];
    let (c, v, err) = collect(&e, &["--dest", "s3://nobucket/x/"], &env);
    assert_eq!(c, 0, "{err}");
    assert_eq!(v["spooled"], true, "{v}");
    assert!(
        err.contains("delivery to s3://nobucket/x/ at http://127.0.0.1:9 failed"),
        "{err}"
    );
    assert!(
        err.contains("Connection refused") || err.contains("connect"),
        "{err}"
    );
    assert!(!err.contains("opsbook-test-secret-key"), "{err}");
}
