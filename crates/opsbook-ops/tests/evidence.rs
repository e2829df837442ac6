#![allow(clippy::unwrap_used)]
//! Evidence orchestration as library tests: what the custody ledger records
//! when nothing can be released (fail closed).

mod common;

use common::{Ssot, refused, write};
use opsbook_core::event::CustodyEvent;
use opsbook_ops::evidence::{self, CollectRequest};
use opsbook_ops::incident::{self as inc, OpenRequest, SeverityInput};

/// A bundle with nothing that can be scanned is refused, and the custody
/// ledger says so (`collect_refused`); the incident gets no reference.
#[test]
fn nothing_scannable_is_refused_and_recorded() {
    let s = Ssot::new();
    let id = p1(&s, "2026-11-29T02:00:00Z");
    let bin = write(&s.root, "core.dmp", "");
    std::fs::write(
        &bin,
        [0u8, 0xFF, 0xFE, 0x00, 0x01, 0x02, 0xC3, 0x28].repeat(64),
    )
    .unwrap();
    let e = refused(
        evidence::collect(
            s.at("2026-11-29T02:01:00Z"),
            &CollectRequest {
                incident: id.clone(),
                includes: vec![bin.display().to_string()],
                spool: Some(s.path("spool")),
                clock_reference: Some("none".into()),
                tool_version: "test".into(),
                ..CollectRequest::default()
            },
            &mut |_: usize, _: usize, _: &str| {},
        ),
        "no bundle released: nothing could be collected",
    );
    assert!(e.to_string().contains("core.dmp"), "{e}");
    let custody =
        opsbook_core::event::read::<CustodyEvent>(&s.path("ledger/custody.jsonl")).unwrap();
    let kinds: Vec<&str> = custody.iter().map(|(e, _)| e.kind.as_str()).collect();
    assert_eq!(kinds, ["collect_started", "collect_refused"]);
    let CustodyEvent::CollectRefused(r) = &custody[1].1 else {
        panic!("{custody:?}")
    };
    assert_eq!(r.incident, id);
    assert!(r.why.starts_with("nothing could be collected"), "{}", r.why);
    let events = opsbook_ops::views::show(s.ctx(), &id).unwrap().events;
    assert_eq!(events.len(), 1, "no evidence reference on the timeline");
}

fn p1(s: &Ssot, now: &str) -> String {
    inc::open(
        s.at(now),
        &OpenRequest {
            title: "-1021 on every signed request".into(),
            severity: SeverityInput {
                stated: Some("P1".into()),
                reason: Some("orders rejected".into()),
                ..SeverityInput::default()
            },
            ..OpenRequest::default()
        },
    )
    .unwrap()
    .id
}

/// `spool.path` of the SSOT's evidence policy set to `base` (a shared
/// machine directory, as `%ProgramData%\opsbook\spool` is on Windows).
fn shared_spool(s: &Ssot, base: &std::path::Path) {
    s.edit(
        "policy/evidence.yaml",
        r"path: '%ProgramData%\opsbook\spool'",
        &format!("path: '{}'", base.display()),
    );
}

fn collect_in(s: &Ssot, now: &str, id: &str, spool: Option<std::path::PathBuf>) -> String {
    let log = write(
        &s.root,
        "logs/gateway.log",
        "03:10 -1021 timestamp outside recvWindow\n",
    );
    evidence::collect(
        s.at(now),
        &CollectRequest {
            incident: id.into(),
            includes: vec![log.display().to_string()],
            // A destination that cannot take it: the bundle stays spooled.
            dest: vec![s.path("opsbook.toml/not-a-dir").display().to_string()],
            spool,
            clock_reference: Some("none".into()),
            tool_version: "test".into(),
            ..CollectRequest::default()
        },
        &mut |_: usize, _: usize, _: &str| {},
    )
    .unwrap()
    .bundle_id
}

fn custody_kinds(s: &Ssot) -> Vec<String> {
    opsbook_core::event::read::<CustodyEvent>(&s.path("ledger/custody.jsonl"))
        .unwrap()
        .iter()
        .map(|(e, _)| e.kind.clone())
        .collect()
}

/// `path` as a bundle's manifest shows it: the user name of a Windows
/// profile path (`C:\\Users\\NAME\\…`) redacted (`windows_user_path`), as
/// every name in a manifest is. Unchanged elsewhere.
fn as_shown(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    match lower.find(":\\users\\") {
        Some(i) => {
            let start = i + ":\\users\\".len();
            let end = path[start..].find('\\').map_or(path.len(), |j| start + j);
            format!(
                "{}[REDACTED:windows_user_path]{}",
                &path[..start],
                &path[end..]
            )
        }
        None => path.to_string(),
    }
}

fn manifest(zip: &std::path::Path) -> serde_json::Value {
    use std::io::Read as _;
    let mut a = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut s = String::new();
    a.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

/// Issue 13 item 8: two SSOTs on one host, the same incident ID in each.
/// Each has its own default spool; a flush in B never delivers A's bundle
/// nor records its custody, even from a spool both share; the bundles the
/// shared default spool of older versions holds are delivered by the SSOT
/// that sealed them and skipped (named, with the command) by the other.
#[test]
fn each_ssot_flushes_only_its_own_bundles() {
    let t = tempfile::tempdir().unwrap();
    let base = t.path().join("machine-spool");
    let share = t.path().join("share");
    std::fs::create_dir_all(&share).unwrap();
    let (a, b) = (Ssot::new(), Ssot::new());
    shared_spool(&a, &base);
    shared_spool(&b, &base);
    let (ia, ib) = (
        p1(&a, "2026-11-29T03:10:00Z"),
        p1(&b, "2026-11-29T03:10:00Z"),
    );
    assert_eq!(ia, ib, "the same incident ID in both SSOTs");
    let sa = evidence::spool(a.ctx(), None, evidence::policy(a.ctx()).unwrap().as_ref());
    let sb = evidence::spool(b.ctx(), None, evidence::policy(b.ctx()).unwrap().as_ref());
    assert_ne!(sa.dir, sb.dir);
    assert_eq!(sa.dir.parent(), Some(base.as_path()));
    assert_eq!(sa.legacy.as_deref(), Some(base.as_path()));
    let ida = evidence::SsotIdentity::of(a.ctx());
    assert!(
        sa.dir.ends_with(format!("example-trading-ops-{}", ida.id)),
        "{sa:?}"
    );
    let bundle_a = collect_in(&a, "2026-11-29T03:20:00Z", &ia, None);
    let zip_a = sa.dir.join(format!("{bundle_a}.zip"));
    assert!(zip_a.is_file());
    let m = manifest(&zip_a);
    assert_eq!(m["ssot"]["id"], ida.id.as_str());
    assert_eq!(m["ssot"]["name"], "example-trading-ops");
    assert_eq!(m["ssot"]["root"], as_shown(&ida.root));
    let b_before = custody_kinds(&b);
    let dest = vec![share.display().to_string()];
    // B's default spool: A's bundle is not even there.
    let f = evidence::flush(b.at("2026-11-29T03:30:00Z"), &dest, None).unwrap();
    assert!(f.delivered.is_empty() && f.skipped.is_empty(), "{f:?}");
    // A spool both share (given): A's bundle is named, left, not recorded.
    let f = evidence::flush(b.at("2026-11-29T03:31:00Z"), &dest, Some(&sa.dir)).unwrap();
    assert!(f.delivered.is_empty(), "{f:?}");
    assert_eq!(f.skipped.len(), 1);
    assert_eq!(f.skipped[0].bundle_id, bundle_a);
    // The root as the manifest names it (a user name in it redacted).
    assert_eq!(
        f.skipped[0].ssot_root.as_deref(),
        Some(as_shown(&ida.root).as_str())
    );
    // The command that delivers it: from A's root, or, when the manifest
    // redacted a user name out of that root (Windows temp dirs), from
    // inside A, since a redacted path is nothing to type.
    let shown = as_shown(&ida.root);
    let cmd = if shown.contains("[REDACTED") {
        format!(
            "deliver it from inside that SSOT: opsbook evidence flush --spool \"{}\"",
            sa.dir.display()
        )
    } else {
        format!(
            "opsbook evidence flush --root \"{shown}\" --spool \"{}\"",
            sa.dir.display()
        )
    };
    assert!(f.skipped[0].why.contains(&cmd), "{}", f.skipped[0].why);
    assert!(zip_a.is_file(), "A's bundle stays in the spool");
    assert_eq!(std::fs::read_dir(&share).unwrap().count(), 0);
    assert_eq!(custody_kinds(&b), b_before, "nothing of A's in B's ledger");
    // An older opsbook's bundle in the shared default spool, sealed by A
    // (its manifest names no SSOT; A's custody ledger sealed it).
    let legacy = {
        let rs = evidence::rules(None).unwrap();
        let log = write(&a.root, "old.log", "02:00 old night\n");
        let sealed = opsbook_evidence::bundle::collect(
            &opsbook_evidence::bundle::Request {
                incident: ia.clone(),
                runbook: None,
                sources: vec![opsbook_evidence::bundle::Source::File(log)],
                host: "HOST1".into(),
                collector: serde_json::json!({"user": "op"}),
                now: "2026-11-28T02:00:00Z".parse().unwrap(),
                utc_offset_seconds: 0,
                clock: opsbook_evidence::timeref::ClockCheck::skipped("none", "test"),
                tool_version: "0.1.0".into(),
                taken_ids: std::collections::BTreeSet::new(),
                missing: Vec::new(),
                source_key: None,
                ssot: None,
                by_hand: Vec::new(),
            },
            &rs,
            &opsbook_evidence::bundle::Limits::default(),
            &base,
            &mut |_: usize, _: usize, _: &str| {},
        )
        .unwrap();
        assert!(manifest(&sealed.path)["ssot"].is_null());
        a.at("2026-11-28T02:00:01Z")
            .append(
                &a.path("ledger/custody.jsonl"),
                &CustodyEvent::Sealed(opsbook_core::event::custody::Sealed {
                    bundle_id: sealed.bundle_id.clone(),
                    sha256: sealed.sha256.clone(),
                    size: sealed.size,
                    manifest_sha256: sealed.manifest_sha256.clone(),
                }),
            )
            .unwrap();
        sealed
    };
    // B looks at the old shared spool too, and leaves A's old bundle there.
    let f = evidence::flush(b.at("2026-11-29T03:32:00Z"), &dest, None).unwrap();
    assert_eq!(f.legacy_spool.as_deref(), Some(base.to_str().unwrap()));
    assert_eq!(f.skipped.len(), 1, "{f:?}");
    assert_eq!(f.skipped[0].bundle_id, legacy.bundle_id);
    assert!(
        f.skipped[0]
            .why
            .contains("its manifest names no SSOT (sealed by an older opsbook)"),
        "{}",
        f.skipped[0].why
    );
    assert_eq!(custody_kinds(&b), b_before);
    // A delivers both: its own spool and its old bundle in the shared one.
    let f = evidence::flush(a.at("2026-11-29T03:33:00Z"), &dest, None).unwrap();
    let mut got: Vec<&str> = f.delivered.iter().map(|d| d.bundle_id.as_str()).collect();
    got.sort_unstable();
    let mut want = vec![bundle_a.as_str(), legacy.bundle_id.as_str()];
    want.sort_unstable();
    assert_eq!(got, want);
    assert!(f.skipped.is_empty() && f.waiting.is_empty(), "{f:?}");
    assert!(share.join(format!("{bundle_a}.zip")).is_file());
    assert!(!zip_a.exists() && !legacy.path.exists());
    let kinds = custody_kinds(&a);
    assert_eq!(
        kinds.iter().filter(|k| *k == "remote_verify_ok").count(),
        2,
        "{kinds:?}"
    );
}

/// `collect --runbook`: the runbook's commands are run and its files read;
/// what could not be collected (a command that failed, a file that is not
/// there, an item in prose only) is listed in the manifest with the reason.
// Unix only: the stand-in commands are POSIX sh (`>&2; exit 3`), which
// cmd.exe reads as one echo that succeeds.
#[cfg(unix)]
#[test]
fn collect_runbook_lists_what_it_could_not_collect() {
    let s = Ssot::new();
    let id = p1(&s, "2026-11-29T03:10:00Z");
    let log = write(&s.root, "logs/engine.log", "03:10 -1021\n");
    let gone = s.path("logs/missing.log");
    write(
        &s.root,
        "runbooks/platform/evidence-test.md",
        &format!(
            "---\nrunbook_id: RB-TEST-EVIDENCE\ntitle:\n  en: Evidence test\n  ja: 証跡テスト\nkind: TRIAGE\nrequired_evidence:\n  - what: \"Clock status\"\n    command: \"echo 'Phase Offset: 1.2000000s'\"\n    name: clock\n  - what: \"Gateway status\"\n    command: \"echo gateway unreachable >&2; exit 3\"\n    name: gateway\n  - what: \"Engine log\"\n    path: '{}'\n  - what: \"Old log\"\n    path: '{}'\n  - \"Screenshots of the exchange UI\"\n---\n\n# Evidence test\n",
            log.display(),
            gone.display()
        ),
    );
    let spool = s.path("spool");
    let c = evidence::collect(
        s.at("2026-11-29T03:20:00Z"),
        &CollectRequest {
            incident: id,
            runbook: Some("RB-TEST-EVIDENCE".into()),
            dest: vec![s.path("opsbook.toml/x").display().to_string()],
            spool: Some(spool.clone()),
            clock_reference: Some("none".into()),
            tool_version: "test".into(),
            ..CollectRequest::default()
        },
        &mut |_: usize, _: usize, _: &str| {},
    )
    .unwrap();
    assert_eq!(c.files, 3, "two command outputs and the engine log");
    let m = manifest(&spool.join(format!("{}.zip", c.bundle_id)));
    let nc: Vec<(String, String)> = m["not_collected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["source"].as_str().unwrap().to_string(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(nc.len(), 3, "{nc:?}");
    assert_eq!(
        nc[0].0,
        format!("Old log (file: {})", as_shown(&gone.display().to_string()))
    );
    assert_eq!(nc[0].1, "asked for by RB-TEST-EVIDENCE: nothing there");
    assert_eq!(nc[1].0, "command:gateway");
    assert!(
        nc[1]
            .1
            .starts_with("exited with 3; its output is in files/"),
        "{}",
        nc[1].1
    );
    assert_eq!(nc[2].0, "Screenshots of the exchange UI");
    assert!(nc[2].1.contains("prose only"), "{}", nc[2].1);
    assert_eq!(c.not_collected.len(), 3);
    let files: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["original"].as_str().unwrap())
        .collect();
    assert_eq!(files[..2], ["command:clock", "command:gateway"]);
}

/// A file over `limits.max_file_bytes` is cut head + tail, and collect
/// says so: in its outcome and in the manifest, with the original size
/// and the limit.
#[test]
fn collect_says_when_a_file_was_truncated() {
    let s = Ssot::new();
    s.edit(
        "policy/evidence.yaml",
        "max_file_bytes: 67108864",
        "max_file_bytes: 4096",
    );
    s.edit(
        "policy/evidence.yaml",
        "head_bytes: 8388608",
        "head_bytes: 1024",
    );
    s.edit(
        "policy/evidence.yaml",
        "tail_bytes: 33554432",
        "tail_bytes: 1024",
    );
    let id = p1(&s, "2026-11-29T03:10:00Z");
    let big: String = (0..400)
        .map(|i| format!("03:10:{i:04} -1021 rejected\n"))
        .collect();
    let log = write(&s.root, "logs/big.log", &big);
    write(&s.root, "logs/small.log", "fits\n");
    let spool = s.path("spool");
    let c = evidence::collect(
        s.at("2026-11-29T03:20:00Z"),
        &CollectRequest {
            incident: id,
            includes: vec![s.path("logs").display().to_string()],
            dest: vec![s.path("opsbook.toml/x").display().to_string()],
            spool: Some(spool.clone()),
            clock_reference: Some("none".into()),
            tool_version: "test".into(),
            ..CollectRequest::default()
        },
        &mut |_: usize, _: usize, _: &str| {},
    )
    .unwrap();
    assert_eq!(c.truncated.len(), 1, "{:?}", c.truncated);
    let t = &c.truncated[0];
    // Separators as the platform writes them (`\\` on Windows).
    assert_eq!(
        t.source.replace('\\', "/"),
        as_shown(&log.display().to_string()).replace('\\', "/")
    );
    assert_eq!(t.source_bytes, big.len() as u64);
    assert_eq!(t.max_file_bytes, 4096);
    assert!(t.kept_bytes > 0 && t.kept_bytes <= 2048, "{t:?}");
    let m = manifest(&spool.join(format!("{}.zip", c.bundle_id)));
    assert_eq!(m["truncated"][0]["source_bytes"], big.len() as u64);
    assert_eq!(m["truncated"][0]["max_file_bytes"], 4096);
    let f = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["original"].as_str().unwrap().ends_with("big.log"))
        .unwrap();
    assert_eq!(f["truncated"]["max_file_bytes"], 4096);
    assert_eq!(f["truncated"]["source_bytes"], big.len() as u64);
    let small = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["original"].as_str().unwrap().ends_with("small.log"))
        .unwrap();
    assert!(small["truncated"].is_null());
}

/// A bundle sealed here is attached by its ID alone (hash and size from the
/// custody ledger), and a wrong `--sha256` for it is refused — it used to be
/// recorded as given.
#[test]
fn a_sealed_bundle_is_attached_with_its_recorded_hash() {
    let s = Ssot::new();
    let first = p1(&s, "2026-11-29T02:00:00Z");
    let log = write(
        &s.root,
        "bot.log",
        "2026-11-29 02:00 order rejected -1021\r\n",
    );
    let c = evidence::collect(
        s.at("2026-11-29T02:01:00Z"),
        &CollectRequest {
            incident: first,
            includes: vec![log.display().to_string()],
            spool: Some(s.path("spool")),
            clock_reference: Some("none".into()),
            tool_version: "test".into(),
            ..CollectRequest::default()
        },
        &mut |_: usize, _: usize, _: &str| {},
    )
    .unwrap();
    let hex = opsbook_evidence::bundle::file_sha256(std::path::Path::new(&c.path)).unwrap();
    assert_eq!(c.sha256, hex);

    let second = p1(&s, "2026-11-29T02:02:00Z");
    let wrong = "ab".repeat(32);
    let e = common::invalid(
        inc::attach(
            s.at("2026-11-29T02:03:00Z"),
            &second,
            &c.bundle_id,
            Some(&wrong),
            None,
        ),
        &format!("was sealed with SHA-256 {hex}"),
    );
    assert!(e.to_string().contains(&wrong), "{e}");
    inc::attach(
        s.at("2026-11-29T02:04:00Z"),
        &second,
        &c.bundle_id,
        None,
        None,
    )
    .unwrap();
    let i = opsbook_ops::views::show(s.ctx(), &second).unwrap().incident;
    let att = i.evidence.last().unwrap();
    assert_eq!(att.reference, c.bundle_id);
    assert_eq!(att.sha256, hex);
    assert_eq!(att.kind, "bundle");

    // An EVB this SSOT never sealed still needs its hash, and is warned.
    common::invalid(
        inc::attach(
            s.at("2026-11-29T02:05:00Z"),
            &second,
            "EVB-19990101-0001",
            None,
            None,
        ),
        "neither a file here nor a bundle sealed in this SSOT",
    );
    let ctx = s.at("2026-11-29T02:06:00Z");
    inc::attach(ctx, &second, "EVB-19990101-0001", Some(&wrong), None).unwrap();
    let w = ctx.take_warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("EVB-19990101-0001 is not sealed in this SSOT")),
        "{w:?}"
    );
}
