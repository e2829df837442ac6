//! Tests of collecting and sealing: determinism of the real writer, the
//! keyed source hash and the report, values redacted bundle-wide, the
//! final scan's refusal.
#![allow(clippy::unwrap_used)]

use std::io::Read;

use super::*;
use crate::redact::tail_skip;

#[test]
fn a_kept_tail_never_starts_with_what_its_label_was_cut_from() {
    let cases: &[(&[u8], &str)] = &[
        // A partial line, then a value below a cut-off label.
        (
            b"rd:\nAKfakeValue0123\n2026-11-29 next\n",
            "2026-11-29 next\n",
        ),
        // The rest of a YAML block scalar and a blank line.
        (
            b"x: |\n    AKfakeBlock0123\n\n  more: v\ntop: 1\n",
            "top: 1\n",
        ),
        // Inside a private key: past its END line.
        (
            b"MIIEv\nQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nafter\n",
            "after\n",
        ),
        // One long line: the first three words go.
        (b"AKfakeTailCut0123 and the rest of it", "rest of it"),
        (b"ord: AKfakeTailCut0123 rest of it", "of it"),
        // An ordinary log: only the partial first line.
        (
            b"partial\n2026-11-29 a\n2026-11-29 b\n",
            "2026-11-29 a\n2026-11-29 b\n",
        ),
    ];
    for (tail, kept) in cases {
        let skip = tail_skip(tail);
        assert_eq!(
            String::from_utf8_lossy(&tail[skip..]),
            *kept,
            "{:?}",
            String::from_utf8_lossy(tail)
        );
    }
}

#[test]
fn the_final_scan_refuses_a_bundle_with_anything_left_naming_class_and_line() {
    let rs = RuleSet::builtin(crate::redact::Personal::default()).unwrap();
    let ok = vec![("files/0001-a.log".to_string(), b"quiet\n".to_vec())];
    assert!(final_scan(&ok, &rs, &Limits::default()).is_ok());
    let bad = vec![(
        "manifest.json".to_string(),
        b"{\n\"x\": \"password=AKfakeManifest01\"}".to_vec(),
    )];
    let e = final_scan(&bad, &rs, &Limits::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "no bundle released: the post-seal scan found labelled_secret at line 2 of `manifest.json`: nothing released"
    );
}

/// A request over `files` (names and contents) at a fixed time.
fn request(dir: &Path, files: &[(&str, &[u8])], key: Option<SourceKey>) -> Request {
    let mut sources = Vec::new();
    for (name, bytes) in files {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        sources.push(Source::File(p));
    }
    Request {
        incident: "INC-20261129-001".into(),
        runbook: None,
        sources,
        host: "TRADE01".into(),
        collector: json!({"user": "ops"}),
        now: "2026-11-29T02:30:00Z".parse().unwrap(),
        utc_offset_seconds: 32_400,
        clock: crate::timeref::ClockCheck::skipped("none", "not asked"),
        tool_version: "test".into(),
        taken_ids: std::collections::BTreeSet::new(),
        missing: Vec::new(),
        source_key: key,
        ssot: None,
        by_hand: Vec::new(),
    }
}

/// Collects `req` into `out` with the built-in rules and default limits.
fn collect_builtin(req: &Request, out: &Path) -> Sealed {
    let rs = RuleSet::builtin(crate::redact::Personal::default()).unwrap();
    collect(
        req,
        &rs,
        &Limits::default(),
        out,
        &mut |_: usize, _: usize, _: &str| {},
    )
    .unwrap()
}

fn entry(zip: &Path, name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut out = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

/// The real bundle writer: the same files at the same time give the same
/// ZIP, byte for byte, wherever it is written.
#[test]
fn the_bundle_is_deterministic() {
    let t = tempfile::tempdir().unwrap();
    let req = request(
        t.path(),
        &[
            ("engine.log", b"02:10 start\r\npassword=AKfakeDeterm01x\r\n"),
            ("quiet.log", b"nothing to see\n"),
        ],
        None,
    );
    let rs = RuleSet::builtin(crate::redact::Personal::default()).unwrap();
    let seal = |out: &str| {
        collect(
            &req,
            &rs,
            &Limits::default(),
            &t.path().join(out),
            &mut |_: usize, _: usize, _: &str| {},
        )
        .unwrap()
    };
    let (a, b) = (seal("a"), seal("b"));
    assert_eq!(a.bundle_id, b.bundle_id);
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(
        std::fs::read(&a.path).unwrap(),
        std::fs::read(&b.path).unwrap()
    );
    assert_eq!(a.sha256, file_sha256(&a.path).unwrap());
}

/// Item 7 of the issue: a redacted file's plain source hash and the
/// length and column of its redactions would let a reader test guesses.
#[test]
fn a_redacted_file_records_a_keyed_hash_and_its_report_only_class_and_line() {
    let t = tempfile::tempdir().unwrap();
    let dirty: &[u8] = b"02:10 start\npassword=AKfakeGuessMe01\n";
    let rs = RuleSet::builtin(crate::redact::Personal::default()).unwrap();
    for key in [
        None,
        Some(SourceKey::new(b"0123456789abcdef0123456789abcdef").unwrap()),
    ] {
        let req = request(
            t.path(),
            &[("engine.log", dirty), ("quiet.log", b"nothing\n")],
            key.clone(),
        );
        let out = t.path().join(if key.is_some() { "keyed" } else { "plain" });
        let s = collect(
            &req,
            &rs,
            &Limits::default(),
            &out,
            &mut |_: usize, _: usize, _: &str| {},
        )
        .unwrap();
        let m: Value = serde_json::from_slice(&entry(&s.path, "manifest.json")).unwrap();
        let engine = &m["files"][0];
        let quiet = &m["files"][1];
        assert_eq!(engine["source_sha256"], Value::Null, "{m}");
        assert_eq!(quiet["source_sha256"], json!(sha256_hex(b"nothing\n")));
        assert!(quiet.get("source_hmac_sha256").is_none());
        match &key {
            Some(k) => assert_eq!(engine["source_hmac_sha256"], json!(k.hex(dirty))),
            None => assert!(engine.get("source_hmac_sha256").is_none(), "{m}"),
        }
        let manifest = String::from_utf8(entry(&s.path, "manifest.json")).unwrap();
        assert!(!manifest.contains(&sha256_hex(dirty)));
        let r: Value = serde_json::from_slice(&entry(&s.path, "redaction-report.json")).unwrap();
        assert_eq!(
            r["files"][0]["hits"],
            json!([{"class": "labelled_secret", "line": 2}]),
            "{r}"
        );
    }
}

/// A value found in one file is redacted in every other file of the
/// bundle, and in the names the manifest records.
#[test]
fn a_value_found_in_one_file_is_redacted_in_all_of_them() {
    let t = tempfile::tempdir().unwrap();
    let v = "AKfakeBundleWide77";
    let req = request(
        t.path(),
        &[
            ("a.log", format!("api_key={v}\n").as_bytes()),
            ("b.log", format!("retrying with {v} now\n").as_bytes()),
            ("c.log", b"unrelated\n"),
        ],
        None,
    );
    let s = collect_builtin(&req, &t.path().join("o"));
    assert_eq!(
        entry(&s.path, &s.files[1].entry),
        b"retrying with [REDACTED:labelled_secret] now\n"
    );
    assert_eq!(entry(&s.path, &s.files[2].entry), b"unrelated\n");
    assert_eq!(s.files[1].redactions["labelled_secret"], 1);
    assert_eq!(s.redactions, 2);
}

/// A value found in one file is redacted where another file holds it
/// percent-encoded, JSON-escaped or base64-encoded (the views the scan
/// reads), also in a file in which no rule fired.
#[test]
fn a_value_found_in_one_file_is_redacted_in_its_encoded_forms_too() {
    use base64::Engine as _;
    let t = tempfile::tempdir().unwrap();
    let v = "FakeBefore_9x8/pw";
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("user=ops pw={v}"));
    let req = request(
        t.path(),
        &[
            ("a.log", format!("secret={v}\n").as_bytes()),
            (
                "b.log",
                b"GET https://x.invalid/?k=FakeBefore%5F9x8%2Fpw&n=1 200\n",
            ),
            ("c.log", b"{\"msg\":\"retry FakeBefore_9x8\\/pw\\n\"}\n"),
            ("d.log", format!("blob {b64} end\n").as_bytes()),
            ("e.log", b"unrelated 100% ok\n"),
        ],
        None,
    );
    let s = collect_builtin(&req, &t.path().join("o"));
    assert_eq!(
        entry(&s.path, &s.files[1].entry),
        b"GET https://x.invalid/?k=[REDACTED:labelled_secret]&n=1 200\n"
    );
    assert_eq!(
        entry(&s.path, &s.files[2].entry),
        b"{\"msg\":\"retry [REDACTED:labelled_secret]\\n\"}\n"
    );
    assert_eq!(
        entry(&s.path, &s.files[3].entry),
        b"blob [REDACTED:labelled_secret] end\n"
    );
    assert_eq!(entry(&s.path, &s.files[4].entry), b"unrelated 100% ok\n");
}

/// The post-seal scan of a file in which nothing fired looks only for the
/// bundle's values, in every reading of its bytes: a value found in a UTF-8
/// log is redacted in a UTF-16 one (BOM and CRLF kept), and a file holding
/// none ships byte for byte.
#[test]
fn a_value_found_in_one_file_is_redacted_in_a_utf16_file_too() {
    let t = tempfile::tempdir().unwrap();
    let v = "AKfakeBundleWide78";
    let utf16 = |s: &str| -> Vec<u8> {
        [0xFF, 0xFE]
            .into_iter()
            .chain(s.encode_utf16().flat_map(u16::to_le_bytes))
            .collect()
    };
    let quiet = utf16("nothing here\r\n");
    let req = request(
        t.path(),
        &[
            ("a.log", format!("api_key={v}\n").as_bytes()),
            ("b.log", &utf16(&format!("retrying with {v} now\r\n"))),
            ("c.log", &quiet),
        ],
        None,
    );
    let s = collect_builtin(&req, &t.path().join("o"));
    assert_eq!(
        entry(&s.path, &s.files[1].entry),
        utf16("retrying with [REDACTED:labelled_secret] now\r\n")
    );
    assert_eq!(entry(&s.path, &s.files[2].entry), quiet);
    assert_eq!(s.files[1].redactions["labelled_secret"], 1);
}

/// The SSOT a bundle belongs to is named in its manifest with its root
/// path redacted like any other name: a root under `C:\Users\NAME` used to
/// make the post-seal scan refuse every bundle on Windows.
#[test]
fn the_ssot_root_in_the_manifest_names_no_user() {
    let t = tempfile::tempdir().unwrap();
    let mut req = request(t.path(), &[("quiet.log", b"nothing to see\n")], None);
    req.ssot = Some(json!({
        "name": "ops",
        "root": "C:\\Users\\alice\\ops",
        "id": "0123456789abcdef"
    }));
    let rs = RuleSet::builtin(crate::redact::Personal::default()).unwrap();
    let c = collect(
        &req,
        &rs,
        &Limits::default(),
        &t.path().join("out"),
        &mut |_: usize, _: usize, _: &str| {},
    )
    .unwrap();
    let m: serde_json::Value =
        serde_json::from_slice(&entry(std::path::Path::new(&c.path), "manifest.json")).unwrap();
    assert_eq!(
        m["ssot"],
        json!({
            "name": "ops",
            "root": "C:\\Users\\[REDACTED:windows_user_path]\\ops",
            "id": "0123456789abcdef"
        })
    );
}

/// A value found in a file that is also on a command's line (an operator
/// passing the key to a diagnostic script) is redacted in the argv the
/// manifest records, as in every name: the post-seal scan used to find it
/// there and refuse the whole bundle (issue 10, item 3).
#[cfg(unix)]
#[test]
fn a_value_found_in_a_file_is_redacted_in_a_commands_argv() {
    let t = tempfile::tempdir().unwrap();
    let v = "AKfakeArgvValue77";
    let mut req = request(
        t.path(),
        &[("a.log", format!("api_key={v}\n").as_bytes())],
        None,
    );
    req.sources.insert(
        0,
        Source::Command("probe".into(), format!("echo probing {v}")),
    );
    let s = collect_builtin(&req, &t.path().join("o"));
    let manifest = String::from_utf8(entry(&s.path, "manifest.json")).unwrap();
    assert!(!manifest.contains(v), "{manifest}");
    let m: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        m["files"][0]["command"]["argv"],
        json!(["sh", "-c", "echo probing [REDACTED:labelled_secret]"])
    );
    assert_eq!(
        entry(&s.path, &s.files[0].entry),
        b"probing [REDACTED:labelled_secret]\n"
    );
}
