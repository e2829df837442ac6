//! Evidence bundles end to end: collect (redacted, fail closed), seal,
//! sign, verify (and tampering), spool and flush under injected failures.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{init_ssot, opsbook};

mod s3;
mod scan;
mod spool;

fn run(dir: &Path, spool: &Path, envs: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut c = opsbook();
    c.env("OPSBOOK_NOW", "2026-11-29T02:30:00Z")
        .env("OPSBOOK_SPOOL", spool)
        .env("OPSBOOK_ACTOR", "Aiko")
        .env_remove("OPSBOOK_EVIDENCE_SIGNING_KEY")
        .env_remove("OPSBOOK_FAULT")
        // No network in tests: the clock reference is a local server where
        // a test wants one.
        .env("OPSBOOK_CLOCK_REFERENCE", "none")
        .current_dir(dir);
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Env {
    _t: tempfile::TempDir,
    dir: PathBuf,
    spool: PathBuf,
    dest: PathBuf,
    id: String,
}

fn setup() -> Env {
    let (t, dir) = init_ssot();
    let spool = t.path().join("spool");
    let dest = t.path().join("share");
    std::fs::create_dir_all(&dest).unwrap();
    let out = opsbook()
        .env("OPSBOOK_NOW", "2026-11-29T02:15:00Z")
        .args([
            "incident",
            "open",
            "--title",
            "orders rejected",
            "--severity",
            "P1",
            "--reason",
            "r",
            "--root",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // Logs with fake secrets in several representations.
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("engine.log"), "02:10 start\r\nX-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\r\n02:11 -1021\r\n").unwrap();
    std::fs::write(logs.join("quiet.log"), "nothing to see\n").unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "Get-Service\r\npassword=Hunter2Secret\r\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(logs.join("ps51.txt"), utf16).unwrap();
    std::fs::write(logs.join("core.bin"), [0u8, 159, 146, 150, 0, 7]).unwrap();
    Env {
        _t: t,
        dir,
        spool,
        dest,
        id,
    }
}

fn collect(e: &Env, extra: &[&str], envs: &[(&str, &str)]) -> (i32, Value, String) {
    let mut args = vec![
        "evidence",
        "collect",
        "--incident",
        &e.id,
        "--include",
        "logs/*",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (c, out, err) = run(&e.dir, &e.spool, envs, &args);
    (c, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

fn entry(zip: &Path, name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut f = z.by_name(name).unwrap();
    let mut v = Vec::new();
    f.read_to_end(&mut v).unwrap();
    v
}

/// The manifest (or report) entry whose `original` ends with `suffix`.
fn by_original(files: &[Value], suffix: &str) -> Value {
    files
        .iter()
        .find(|f| f["original"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no file ending with {suffix}"))
        .clone()
}

#[test]
fn the_hosts_clock_offset_is_measured_and_recorded() {
    let e = setup();
    let server = opsbook_testkit::sntp::server(-2500);
    let (c, v, err) = collect(&e, &["--clock-reference", &server], &[]);
    assert_eq!(c, 0, "{err}");
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    let m: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    let off = m["clock_offset_ms"].as_i64().unwrap();
    assert!((-2600..=-2400).contains(&off), "{m}");
    assert_eq!(m["clock"]["reference"], server.as_str());
    assert_eq!(m["clock"]["stratum"], 2);
    assert!(
        err.contains("this host's clock is ahead by 25") || err.contains("ahead by 24"),
        "{err}"
    );
    // Unreachable: recorded, not fatal.
    let (_silent, addr) = opsbook_testkit::sntp::silent();
    std::fs::write(e.dir.join("logs").join("quiet.log"), "again\n").unwrap();
    let (c, v, err) = collect(&e, &["--clock-reference", &addr], &[]);
    assert_eq!(c, 0, "{err}");
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    let m: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    assert_eq!(m["clock_offset_ms"], Value::Null);
    assert!(
        m["clock"]["error"]
            .as_str()
            .unwrap()
            .starts_with("no answer"),
        "{m}"
    );
}

#[test]
fn collect_redacts_every_representation_and_keeps_clean_files_identical() {
    let e = setup();
    let dest = e.dest.to_str().unwrap().to_string();
    let (c, v, err) = collect(&e, &["--dest", &dest], &[]);
    assert_eq!(c, 0, "{v}{err}");
    assert_eq!(v["spooled"], false);
    assert_eq!(v["redactions"], 2);
    let excluded = v["excluded"].as_array().unwrap();
    assert_eq!(excluded.len(), 1);
    assert!(
        excluded[0]["reason"]
            .as_str()
            .unwrap()
            .contains("binary or undecodable"),
        "{v}"
    );
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    assert!(zip.starts_with(&e.dest), "delivered: {zip:?}");
    // The spool copy is gone only after the destination verified.
    assert!(
        std::fs::read_dir(&e.spool).unwrap().next().is_none(),
        "spool emptied"
    );
    let manifest: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    let files = manifest["files"].as_array().unwrap();
    let by = |suffix: &str| by_original(files, suffix);
    let engine = by("engine.log");
    assert_eq!(
        entry(&zip, engine["entry"].as_str().unwrap()),
        b"02:10 start\r\nX-MBX-APIKEY: [REDACTED:labelled_secret]\r\n02:11 -1021\r\n"
    );
    assert_eq!(engine["redactions"]["labelled_secret"], 1);
    let quiet = by("quiet.log");
    assert_eq!(
        entry(&zip, quiet["entry"].as_str().unwrap()),
        b"nothing to see\n",
        "byte for byte"
    );
    assert_eq!(quiet["sha256"], quiet["source_sha256"]);
    let ps = by("ps51.txt");
    assert_eq!(ps["encoding"], "utf16le");
    let out = entry(&zip, ps["entry"].as_str().unwrap());
    assert_eq!(&out[..2], &[0xFF, 0xFE], "BOM kept");
    let text = String::from_utf16(
        &out[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert_eq!(
        text,
        "Get-Service\r\npassword=[REDACTED:labelled_secret]\r\n"
    );
    // SHA256SUMS: ASCII, LF, one line per entry, checkable by sha256sum -c.
    let sums = String::from_utf8(entry(&zip, "SHA256SUMS")).unwrap();
    assert!(sums.is_ascii() && !sums.contains('\r'));
    assert_eq!(sums.lines().count(), 2 + files.len());
    // The report names rules and places, never values.
    let report = String::from_utf8(entry(&zip, "redaction-report.json")).unwrap();
    assert!(
        !report.contains("Hunter2") && !report.contains("vmPUZE6"),
        "{report}"
    );
    // Custody: every step, and the incident's timeline has the bundle.
    let custody = std::fs::read_to_string(e.dir.join("ledger").join("custody.jsonl")).unwrap();
    let kinds: Vec<String> = custody
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "collect_started",
            "collected",
            "redacted",
            "sealed",
            "unsigned",
            "spooled",
            "transfer_attempt",
            "transfer_ok",
            "remote_verify_ok",
            "spool_removed"
        ]
    );
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["incident", "show", &e.id, "--format", "json"],
    );
    assert_eq!(c, 0);
    let inc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(inc["evidence"][0]["ref"], v["bundle_id"]);
    // Verify: all checks pass; PowerShell one-liners printed.
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "verify", zip.to_str().unwrap()],
    );
    assert_eq!(c, 0, "{out}");
    assert!(
        out.contains("Get-FileHash") && out.contains("ok   custody"),
        "{out}"
    );
    // Unsigned: it passes, but the line says so rather than "ok".
    assert!(
        out.contains("WARN signature          unsigned bundle"),
        "{out}"
    );
    // Same input and time in another SSOT: the same manifest
    // (deterministic) but for the SSOT it names (issue 13 item 8).
    let e2 = setup();
    let (_, v2, _) = collect(&e2, &[], &[]);
    let zip2 = PathBuf::from(v2["path"].as_str().unwrap());
    let without_ssot = |z: &Path| {
        let mut m: Value = serde_json::from_slice(&entry(z, "manifest.json")).unwrap();
        let ssot = m.as_object_mut().unwrap().remove("ssot").unwrap();
        (m, ssot)
    };
    let ((m1, s1), (m2, s2)) = (without_ssot(&zip), without_ssot(&zip2));
    assert_eq!(m1, m2);
    assert_ne!(s1["id"], s2["id"]);
    // The same files again in the same second and SSOT: a new bundle ID,
    // never a replaced bundle.
    let (c, v3, err) = collect(&e, &[], &[]);
    assert_eq!(c, 0, "{err}");
    let id = v["bundle_id"].as_str().unwrap();
    assert_eq!(v3["bundle_id"].as_str().unwrap(), format!("{id}-2"));
    assert!(zip.is_file() && PathBuf::from(v3["path"].as_str().unwrap()).is_file());
}

#[test]
fn signed_bundles_verify_and_tampering_is_named() {
    let e = setup();
    let keys = e.dir.parent().unwrap().join("keys");
    let (c, out, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "keygen", "--out", keys.to_str().unwrap()],
    );
    assert_eq!(c, 0, "{out}{err}");
    let sk = keys.join("opsbook-evidence.key");
    let pk = keys.join("opsbook-evidence.pub");
    let (c, v, err) = collect(
        &e,
        &[],
        &[("OPSBOOK_EVIDENCE_SIGNING_KEY", sk.to_str().unwrap())],
    );
    assert_eq!(c, 0, "{err}");
    assert_eq!(
        (v["signed"].as_bool(), v["spooled"].as_bool()),
        (Some(true), Some(true)),
        "{v}"
    );
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &[
            "evidence",
            "verify",
            zip.to_str().unwrap(),
            "--pubkey",
            pk.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(c, 0, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let sig = r["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "signature")
        .unwrap()
        .clone();
    assert!(
        sig["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("bundle_id:{}", v["bundle_id"].as_str().unwrap())),
        "{sig}"
    );
    assert!(
        sig["detail"].as_str().unwrap().contains("custody_head:"),
        "{sig}"
    );
    // One changed byte in the archive: hash and signature fail, named.
    let mut bytes = std::fs::read(&zip).unwrap();
    let n = bytes.len() - 30;
    bytes[n] ^= 1;
    std::fs::write(&zip, &bytes).unwrap();
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &[
            "evidence",
            "verify",
            zip.to_str().unwrap(),
            "--pubkey",
            pk.to_str().unwrap(),
        ],
    );
    assert_eq!(c, 1, "{out}");
    assert!(
        out.contains("FAIL archive hash") && out.contains("FAIL signature"),
        "{out}"
    );
}

#[test]
fn unsafe_archives_are_refused() {
    use std::io::Write;
    let e = setup();
    let bad = e.dir.join("evil.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&bad).unwrap());
    z.start_file(
        "../../outside.txt",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(b"x").unwrap();
    z.finish().unwrap();
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "verify", bad.to_str().unwrap()],
    );
    assert_eq!(c, 1, "{out}");
    assert!(
        out.contains("FAIL archive safety") && out.contains("climbs out"),
        "{out}"
    );
}

#[test]
fn opsbooks_own_records_never_carry_a_secret() {
    let e = setup();
    // A secret in a file *name*: redacted in the manifest and the custody log.
    let odd = e.dir.join("logs").join("token=abcdefghijklmnop.log");
    std::fs::write(&odd, "harmless\n").unwrap();
    let (c, v, err) = collect(&e, &[], &[]);
    assert_eq!(c, 0, "{err}");
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    let manifest = String::from_utf8(entry(&zip, "manifest.json")).unwrap();
    assert!(!manifest.contains("abcdefghijklmnop"), "{manifest}");
    assert!(
        manifest.contains("token=[REDACTED:labelled_secret]"),
        "{manifest}"
    );
    let custody = std::fs::read_to_string(e.dir.join("ledger").join("custody.jsonl")).unwrap();
    assert!(
        !custody.contains("abcdefghijklmnop"),
        "custody never carries the secret"
    );
    // Destinations with credentials are recorded without them.
    let (c, _, _) = collect(
        &e,
        &[
            "--dest",
            "s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMIK7MDENG@minio.local/evidence",
        ],
        &[],
    );
    assert_eq!(c, 0);
    let custody = std::fs::read_to_string(e.dir.join("ledger").join("custody.jsonl")).unwrap();
    assert!(
        !custody.contains("wJalrXUtnFEMIK7MDENG") && custody.contains("s3://minio.local/evidence"),
        "{custody}"
    );
}

/// Found by a first-time user of the evidence commands.
#[test]
fn evidence_trial_findings_stay_fixed() {
    let e = setup();
    let root = e.dir.to_str().unwrap().to_string();
    // A stripped signature fails verification (custody says it was signed).
    let keys = e.dir.parent().unwrap().join("keys2");
    let (c, _, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "keygen", "--out", keys.to_str().unwrap()],
    );
    assert_eq!(c, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(keys.join("opsbook-evidence.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the secret key is private");
    }
    let sk = keys.join("opsbook-evidence.key");
    // A second keygen never replaces the key, and leaves no stray file.
    let before = std::fs::read(&sk).unwrap();
    let (c, _, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "keygen", "--out", keys.to_str().unwrap()],
    );
    assert_ne!(c, 0);
    assert!(err.contains("never overwritten"), "{err}");
    assert_eq!(std::fs::read(&sk).unwrap(), before);
    assert_eq!(std::fs::read_dir(&keys).unwrap().count(), 2);
    let (c, v, err) = collect(
        &e,
        &[],
        &[("OPSBOOK_EVIDENCE_SIGNING_KEY", sk.to_str().unwrap())],
    );
    assert_eq!(c, 0, "{err}");
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    let mut sig = zip.as_os_str().to_os_string();
    sig.push(".minisig");
    std::fs::remove_file(PathBuf::from(sig)).unwrap();
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "verify", zip.to_str().unwrap()],
    );
    assert_eq!(c, 1, "{out}");
    assert!(
        out.contains("FAIL signature") && out.contains("the signature was removed"),
        "{out}"
    );
    // Credentials in an https or UNC destination never reach a record.
    let (c, _, err) = collect(
        &e,
        &[
            "--dest",
            "https://user:HttpsDestPw77@files.local/x",
            "--dest",
            "missing-share;password=UncPw123456",
        ],
        &[],
    );
    assert_eq!(c, 0, "{err}");
    assert!(
        !err.contains("HttpsDestPw77") && !err.contains("UncPw123456"),
        "{err}"
    );
    let custody = std::fs::read_to_string(e.dir.join("ledger").join("custody.jsonl")).unwrap();
    assert!(
        !custody.contains("HttpsDestPw77") && !custody.contains("UncPw123456"),
        "{custody}"
    );
    // Holds: only on what exists; the reason is scrubbed; release needs a hold.
    let (c, _, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &[
            "evidence", "hold", "EVB-NOPE", "--reason", "x", "--root", &root,
        ],
    );
    assert_eq!(c, 2, "{err}");
    let (c, _, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &[
            "evidence",
            "hold",
            &e.id,
            "--reason",
            "dispute password=HoldPw123456",
            "--root",
            &root,
        ],
    );
    assert_eq!(c, 0);
    let custody = std::fs::read_to_string(e.dir.join("ledger").join("custody.jsonl")).unwrap();
    assert!(!custody.contains("HoldPw123456"), "{custody}");
    let (c, _, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &[
            "evidence",
            "hold",
            v["bundle_id"].as_str().unwrap(),
            "--reason",
            "x",
            "--release",
            "--root",
            &root,
        ],
    );
    assert_eq!(c, 1, "nothing held");
    // scan never prints a secret file name.
    std::fs::write(
        e.dir.join("logs").join("password=NameWithHit777.log"),
        "quiet\n",
    )
    .unwrap();
    let (_, out, _) = run(&e.dir, &e.spool, &[], &["evidence", "scan", "logs"]);
    assert!(!out.contains("NameWithHit777"), "{out}");
}

/// `collect --runbook` collects the runbook's structured required evidence
/// itself: commands first (order of volatility), then files and globs; a
/// required file that is missing is named.
#[test]
fn collect_follows_the_runbooks_required_evidence() {
    let e = setup();
    let rb = e
        .dir
        .join("runbooks")
        .join("quick")
        .join("halt-and-evidence.md");
    let text = std::fs::read_to_string(&rb).unwrap();
    let start = text.find("required_evidence:\n").unwrap();
    let end = start + text[start..].find("dangerous_ops:").unwrap();
    let items = "required_evidence:\n  - what: \"Engine logs\"\n    path: 'logs/*.log'\n  - what: \"Process list\"\n    command: \"echo engine-pid-4242 token=CmdOutputSecret77\"\n    name: procs\n  - what: \"Order journal\"\n    path: 'journal/*.jsonl'\n  - \"Free text for people\"\n";
    std::fs::write(&rb, format!("{}{items}{}", &text[..start], &text[end..])).unwrap();
    let (c, v, err) = collect(&e, &["--runbook", "RB-QUICK-HALT-EVIDENCE"], &[]);
    assert_eq!(c, 0, "{err}");
    assert!(
        err.contains(
            "RB-QUICK-HALT-EVIDENCE asks for Order journal (file: journal/*.jsonl): nothing there"
        ),
        "{err}"
    );
    let zip = PathBuf::from(v["path"].as_str().unwrap());
    let m: Value = serde_json::from_slice(&entry(&zip, "manifest.json")).unwrap();
    let files = m["files"].as_array().unwrap();
    let originals: Vec<&str> = files
        .iter()
        .map(|f| f["original"].as_str().unwrap())
        .collect();
    // Commands first, then the files of the glob (and of --include).
    assert_eq!(originals[0], "command:procs", "{originals:?}");
    assert!(
        originals.iter().any(|o| o.ends_with("engine.log")),
        "{originals:?}"
    );
    assert!(
        originals.iter().any(|o| o.ends_with("quiet.log")),
        "{originals:?}"
    );
    // The gap is in the manifest too, not only on the terminal.
    assert!(
        m["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["source"] == "Order journal (file: journal/*.jsonl)"
                && x["reason"] == "asked for by RB-QUICK-HALT-EVIDENCE: nothing there"),
        "{m}"
    );
    #[cfg(unix)]
    {
        let procs = String::from_utf8(entry(&zip, files[0]["entry"].as_str().unwrap())).unwrap();
        assert_eq!(procs, "engine-pid-4242 token=[REDACTED:labelled_secret]\n");
        assert_eq!(files[0]["command"]["exit_code"], 0);
    }
    // The custody record lists what the runbook asked for.
    let custody = std::fs::read_to_string(e.dir.join("ledger").join("custody.jsonl")).unwrap();
    assert!(
        custody.contains(
            "Process list (command: echo engine-pid-4242 token=[REDACTED:labelled_secret]"
        ),
        "{custody}"
    );
    assert!(!custody.contains("CmdOutputSecret77"));
}

/// An evidence policy that cannot be read, or a class whose keywords are
/// not a list of strings, stops collection and scans (fail closed): nothing
/// runs without the classes and limits the policy sets.
#[test]
fn a_broken_evidence_policy_stops_evidence_work() {
    let e = setup();
    let pol = e.dir.join("policy").join("evidence.yaml");
    let good = std::fs::read_to_string(&pol).unwrap();
    std::fs::write(&pol, format!("{good}\nredaction: [unclosed\n")).unwrap();
    let (c, v, err) = collect(&e, &[], &[]);
    assert_ne!(c, 0, "{v}");
    assert!(err.contains("evidence.yaml"), "{err}");
    assert!(err.contains("fail closed"), "{err}");
    assert!(!e.spool.exists() || std::fs::read_dir(&e.spool).unwrap().count() == 0);
    let (c, _, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "scan", "logs/quiet.log"],
    );
    assert_ne!(c, 0);
    assert!(err.contains("evidence.yaml"), "{err}");
    std::fs::write(
        &pol,
        good.replace("      keywords: [account]", "      keywords: account"),
    )
    .unwrap();
    assert!(
        std::fs::read_to_string(&pol)
            .unwrap()
            .contains("keywords: account\n")
    );
    let (c, _, err) = collect(&e, &[], &[]);
    assert_ne!(c, 0);
    // The policy's contract refuses it before the rules are built: the file,
    // the line, the class and what was expected.
    assert!(
        err.contains("policy/evidence.yaml:")
            && err.contains("redaction.classes[broker_account_number].keywords")
            && err.contains("is not of type \"array\""),
        "{err}"
    );
}
