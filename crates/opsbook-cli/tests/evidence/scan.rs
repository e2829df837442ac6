//! `evidence scan` and the collect-time scan: streaming large files, loud
//! failures, one verdict with the post-seal scan, classes refused before
//! collecting, directories collected recursively.

use serde_json::Value;
use std::path::PathBuf;

use super::{by_original, collect, entry, init_ssot, run, setup};

/// `evidence scan` streams files over the size cap: bounded memory, line
/// numbers of the whole file, UTF-16 decoded, and bytes that are not text
/// reported as unscannable (never silently passed).
#[test]
fn scan_streams_large_files_with_whole_file_lines() {
    let (_t, dir) = init_ssot();
    let pol = dir.join("policy").join("evidence.yaml");
    let text = std::fs::read_to_string(&pol).unwrap();
    std::fs::write(
        &pol,
        text.replace("max_file_bytes: 67108864", "max_file_bytes: 100000"),
    )
    .unwrap();
    let big = dir.join("big");
    std::fs::create_dir_all(&big).unwrap();
    let mut log = String::new();
    for i in 0..9000 {
        log.push_str(&format!(
            "2026-11-29T02:{:02}:00Z INFO tick {i}\r\n",
            i % 60
        ));
    }
    log.push_str(
        "X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\r\n",
    );
    let mut u16 = vec![0xFF, 0xFE];
    for u in log.encode_utf16() {
        u16.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(big.join("transcript.txt"), &u16).unwrap();
    let mut junk = log.clone().into_bytes();
    junk[150_000] = 0xFF;
    std::fs::write(big.join("junk.log"), junk).unwrap();
    let (c, out, err) = run(
        &dir,
        &dir.join("spool"),
        &[],
        &[
            "evidence",
            "scan",
            "big",
            "--format",
            "json",
            "--root",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(c, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let r = v["results"].as_array().unwrap();
    let junk = r
        .iter()
        .find(|x| x["file"].as_str().unwrap().ends_with("junk.log"))
        .unwrap();
    assert_eq!(
        junk["unscannable"], "not UTF-8 or UTF-16 text at byte 150000: not scanned",
        "{v}"
    );
    let tr = r
        .iter()
        .find(|x| x["file"].as_str().unwrap().ends_with("transcript.txt"))
        .unwrap();
    assert_eq!(tr["hits"][0]["rule"], "labelled_secret", "{v}");
    assert_eq!(tr["hits"][0]["line"], 9001, "{v}");
    assert_eq!(tr["hits"][0]["column"], 15, "{v}");
    assert!(!out.contains("vmPUZE6mv9SD"));
}

/// Trial findings: the policy's command timeout applies, failed commands
/// are named, output read before a background process held the stream open
/// is kept, and `scan` never calls a typo or an unreadable file clean.
#[test]
fn commands_and_scans_fail_loudly() {
    let e = setup();
    let pol = e.dir.join("policy").join("evidence.yaml");
    let text = std::fs::read_to_string(&pol).unwrap();
    std::fs::write(
        &pol,
        text.replace("command_timeout_seconds: 60", "command_timeout_seconds: 1"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        let started = std::time::Instant::now();
        let (c, v, err) = collect(
            &e,
            &[
                "--cmd",
                "slow=sleep 20; echo done",
                "--cmd",
                "bg=sleep 20 & echo started",
                "--cmd",
                "bad=exit 3",
            ],
            &[],
        );
        assert_eq!(c, 0, "{err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "the 1 s timeout applied"
        );
        assert!(
            err.contains("warning: command:slow was stopped at the 1 s timeout"),
            "{err}"
        );
        assert!(err.contains("warning: command:bad exited with 3"), "{err}");
        let failed = v["commands_failed"].as_array().unwrap();
        assert_eq!(failed.len(), 2, "{v}");
        let zip = PathBuf::from(v["path"].as_str().unwrap());
        let m: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
        let bg = m["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["original"] == "command:bg")
            .unwrap();
        let out = String::from_utf8(entry(&zip, bg["entry"].as_str().unwrap())).unwrap();
        assert!(out.starts_with("started\n"), "{out}");
        assert!(out.contains("kept the stream open"), "{out}");
    }
    // scan: a typo is an error, an unreadable file is not "clean".
    let (c, _, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "scan", "logs/nope.log"],
    );
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("`logs/nope.log` matches no file"), "{err}");
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "scan", "logs/core.bin"],
    );
    assert_eq!(c, 1, "{out}");
    assert!(
        out.contains("1 file(s) could NOT be scanned (not proven clean)"),
        "{out}"
    );
}

/// Issue 10, item 3: one rule set, one verdict. The lines that used to make
/// `collect` refuse the whole `gateway.log` (a Binance request with
/// `X-MBX-APIKEY` and `signature=`; JSON with an API key and a `sign`) are
/// redacted whole: `evidence scan` names each secret, `collect` releases
/// the bundle with exactly those values replaced, and a scan of what was
/// shipped finds nothing.
#[test]
fn scan_redaction_and_the_post_seal_scan_agree_on_request_logs() {
    let e = setup();
    let key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    let sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
    let log = format!(
        "02:10:00 POST /api/v3/order X-MBX-APIKEY: {key} body=symbol=BTCUSDT&timestamp=1701220000000&signature={sig}\r\n\
         02:10:01 {{\"apiKey\":\"AKfakeBybitKey01\",\"sign\":\"{sig}\"}}\r\n\
         02:10:02 {{\"sign\":\"{sig}\"}}\r\n"
    );
    std::fs::create_dir_all(e.dir.join("gw")).unwrap();
    std::fs::write(e.dir.join("gw/gateway.log"), &log).unwrap();
    let (c, out, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "scan", "gw/gateway.log", "--format", "json"],
    );
    assert_eq!(c, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let hits = rules_and_lines(&v["results"][0]["hits"]);
    assert_eq!(
        hits,
        [
            ("labelled_secret".to_string(), 1),
            ("request_signature".to_string(), 1),
            ("labelled_secret".to_string(), 2),
            ("request_signature".to_string(), 2),
            ("request_signature".to_string(), 3),
        ]
    );
    let (c, v, err) = collect(&e, &["--include", "gw/gateway.log"], &[]);
    assert_eq!(c, 0, "{v}{err}");
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    let manifest: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    let gw = by_original(manifest["files"].as_array().unwrap(), "gateway.log");
    let shipped = entry(&zip, gw["entry"].as_str().unwrap());
    assert_eq!(
        String::from_utf8(shipped.clone()).unwrap(),
        "02:10:00 POST /api/v3/order X-MBX-APIKEY: [REDACTED:labelled_secret] body=symbol=BTCUSDT&timestamp=1701220000000&signature=[REDACTED:request_signature]\r\n\
         02:10:01 {\"apiKey\":\"[REDACTED:labelled_secret]\",\"sign\":\"[REDACTED:request_signature]\"}\r\n\
         02:10:02 {\"sign\":\"[REDACTED:request_signature]\"}\r\n"
    );
    std::fs::write(e.dir.join("gw/shipped.log"), &shipped).unwrap();
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "scan", "gw/shipped.log"],
    );
    assert_eq!(c, 0, "{out}");
}

/// One verdict across files: a value found in one file is a finding in
/// another that holds it bare or percent-encoded (where `collect` redacts
/// it too), and a file holding none stays clean.
#[test]
fn scan_of_several_files_finds_a_value_of_one_in_the_others() {
    let e = setup();
    let v = "FakeBefore_9x8pw";
    std::fs::create_dir_all(e.dir.join("many")).unwrap();
    std::fs::write(e.dir.join("many/a.log"), format!("secret={v}\n")).unwrap();
    std::fs::write(e.dir.join("many/b.log"), format!("retry with {v}\n")).unwrap();
    std::fs::write(e.dir.join("many/c.log"), "GET /?k=FakeBefore%5F9x8pw 200\n").unwrap();
    std::fs::write(e.dir.join("many/d.log"), "all quiet\n").unwrap();
    let (c, out, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "scan", "many", "--format", "json"],
    );
    assert_eq!(c, 1, "{out}{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(String, Vec<(String, u64)>)> = j["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let file = r["file"].as_str().unwrap();
            let name = file[file.len() - 5..].to_string();
            (name, rules_and_lines(&r["hits"]))
        })
        .collect();
    let one = |rule: &str| vec![(rule.to_string(), 1)];
    assert_eq!(
        found,
        [
            ("a.log".to_string(), one("labelled_secret")),
            ("b.log".to_string(), one("labelled_secret")),
            ("c.log".to_string(), one("labelled_secret")),
            ("d.log".to_string(), vec![]),
        ],
        "{j}"
    );
    assert_eq!(j["findings"], 3, "{j}");
    assert!(!out.contains(v));
}

/// Issue 10, item 4: a policy class that matches only line breaks (or can
/// match an empty span) is refused when the rules load, naming the class,
/// before anything is collected: no bundle, no custody event, an empty
/// spool, and `evidence scan` refuses the same way.
#[test]
fn a_class_that_cannot_be_right_is_refused_before_anything_is_collected() {
    let e = setup();
    let pol = e.dir.join("policy").join("evidence.yaml");
    let good = std::fs::read_to_string(&pol).unwrap();
    let custody = e.dir.join("ledger").join("custody.jsonl");
    let before = std::fs::read(&custody).unwrap_or_default();
    for (pattern, problem) in [
        (
            "'\\r?\\n'",
            "matches only white space or line breaks (e.g. `\\n`, `\\s+`): it would redact the layout of every file and protect nothing",
        ),
        (
            "'desk=(?P<secret>x*)'",
            "can match an empty span (e.g. `x*` or `\\b`): it would redact nothing or everything",
        ),
    ] {
        std::fs::write(
            &pol,
            good.replace(
                "      keywords: [account]\n",
                &format!(
                    "      keywords: [account]\n    - id: desk_layout\n      description: wrong\n      pattern: {pattern}\n"
                ),
            ),
        )
        .unwrap();
        let (c, v, err) = collect(&e, &[], &[]);
        assert_ne!(c, 0, "{v}");
        assert_eq!(
            err.trim_end().lines().next().unwrap_or_default(),
            format!(
                "error: redaction rule `desk_layout`: {problem}; nothing was done (fail closed): fix policy/evidence.yaml"
            ),
            "{err}"
        );
        assert!(!e.spool.exists() || std::fs::read_dir(&e.spool).unwrap().count() == 0);
        assert_eq!(std::fs::read(&custody).unwrap_or_default(), before);
        let (c, _, err) = run(
            &e.dir,
            &e.spool,
            &[],
            &["evidence", "scan", "logs/quiet.log"],
        );
        assert_ne!(c, 0);
        assert!(err.contains("redaction rule `desk_layout`"), "{err}");
    }
}

/// Issue 10, item 5: `--include DIR` collects the directory recursively
/// (what an operator types first): nested files, a rotated log compressed
/// as gzip and a tar, each scanned inside and redacted; a link is listed
/// as excluded, never followed.
#[test]
fn include_dir_collects_the_directory_recursively() {
    use std::io::Write as _;
    let e = setup();
    let logs = e.dir.join("logs");
    std::fs::create_dir_all(logs.join("rotated/2026-11-28")).unwrap();
    std::fs::write(
        logs.join("rotated/2026-11-28/gateway.log"),
        "02:00 X-MBX-APIKEY: AKfakeNestedKey001\n",
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"01:00 password=AKfakeRotatedGz01\n").unwrap();
    std::fs::write(logs.join("rotated/engine.log.1"), gz.finish().unwrap()).unwrap();
    let mut t = tar::Builder::new(Vec::new());
    let body: &[u8] = b"token: AKfakeTarMember02\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    t.append_data(&mut h, "old/app.log", body).unwrap();
    std::fs::write(logs.join("rotated/old-logs.dat"), t.into_inner().unwrap()).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/hostname", logs.join("host-link")).unwrap();
    let (c, out, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &[
            "evidence",
            "collect",
            "--incident",
            &e.id,
            "--include",
            "logs",
            "--format",
            "json",
        ],
    );
    assert_eq!(c, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    let manifest: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    let files = manifest["files"].as_array().unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            f["original"]
                .as_str()
                .unwrap()
                .replace('\\', "/")
                .rsplit("logs/")
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "engine.log",
            "ps51.txt",
            "quiet.log",
            "rotated/2026-11-28/gateway.log",
            "rotated/engine.log.1",
            "rotated/old-logs.dat",
        ]
    );
    let by = |suffix: &str| by_original(files, suffix);
    assert_eq!(
        entry(&zip, by("gateway.log")["entry"].as_str().unwrap()),
        b"02:00 X-MBX-APIKEY: [REDACTED:labelled_secret]\n"
    );
    let gz = by("engine.log.1");
    assert_eq!(gz["encoding"], "gzip");
    let mut inner = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&entry(&zip, gz["entry"].as_str().unwrap())[..]),
        &mut inner,
    )
    .unwrap();
    assert_eq!(inner, "01:00 password=[REDACTED:labelled_secret]\n");
    let tar_entry = by("old-logs.dat");
    assert_eq!(tar_entry["encoding"], "tar");
    let bytes = entry(&zip, tar_entry["entry"].as_str().unwrap());
    let mut a = tar::Archive::new(&bytes[..]);
    let mut m = a.entries().unwrap().next().unwrap().unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut m, &mut s).unwrap();
    assert_eq!(s, "token: [REDACTED:labelled_secret]\n");
    // The report names the member and the line, nothing more.
    let report: Value = serde_json::from_slice(&entry(&zip, "redaction-report.json")).unwrap();
    let tar_hits = by_original(report["files"].as_array().unwrap(), "old-logs.dat")["hits"].clone();
    assert_eq!(
        tar_hits,
        serde_json::json!([{"class": "labelled_secret", "line": 1, "member": "old/app.log"}])
    );
    let excluded: Vec<(String, String)> = manifest["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["source"].as_str().unwrap().replace('\\', "/"),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(excluded.iter().any(|x| x.0.ends_with("logs/core.bin")));
    #[cfg(unix)]
    assert!(
        excluded
            .iter()
            .any(|x| x.0.ends_with("logs/host-link") && x.1.starts_with("a symbolic link")),
        "{excluded:?}"
    );
}

/// A scan result's hits as (rule, line), in order.
fn rules_and_lines(hits: &Value) -> Vec<(String, u64)> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["rule"].as_str().unwrap().to_string(),
                h["line"].as_u64().unwrap(),
            )
        })
        .collect()
}
