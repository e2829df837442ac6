//! Evidence after sealing: spool and flush under injected failures, retention
//! and holds, delivery that never overwrites.

use serde_json::Value;
use std::path::Path;

use super::{collect, run, setup};

fn deliverables(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".zip"))
                .collect()
        })
        .unwrap_or_default()
}

/// Destination failure at each step; afterwards `flush` leaves every bundle
/// at the destination exactly once, verified, nothing lost.
#[test]
fn spool_and_flush_survive_failures_at_every_step() {
    let e = setup();
    let dest = e.dest.to_str().unwrap().to_string();
    let mut ids = Vec::new();
    for (i, fault) in ["unreachable", "mid-upload", "before-verify"]
        .iter()
        .enumerate()
    {
        std::fs::write(e.dir.join("logs").join("quiet.log"), format!("run {i}\n")).unwrap();
        let (c, v, err) = collect(&e, &["--dest", &dest], &[("OPSBOOK_FAULT", fault)]);
        assert_eq!(c, 0, "{fault}: {err}");
        assert_eq!(v["spooled"], true, "{fault}: {v}");
        ids.push(v["bundle_id"].as_str().unwrap().to_string());
    }
    assert_eq!(deliverables(&e.spool).len(), 3);
    // A flush killed right after copying (before verification and removal).
    let (c, _, _) = run(
        &e.dir,
        &e.spool,
        &[("OPSBOOK_FAULT", "abort-after-copy")],
        &["evidence", "flush", "--dest", &dest],
    );
    assert_ne!(c, 0, "aborted");
    // The killed flush removed at most the bundle whose earlier copy had
    // already arrived whole (delivered and verified now); nothing is lost.
    let mut seen: Vec<String> = deliverables(&e.spool);
    seen.extend(deliverables(&e.dest));
    for id in &ids {
        assert!(seen.contains(&format!("{id}.zip")), "{id} lost: {seen:?}");
    }
    // A clean flush delivers each exactly once.
    let (c, out, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "flush", "--dest", &dest, "--format", "json"],
    );
    assert_eq!(c, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(!v["delivered"].as_array().unwrap().is_empty());
    assert!(deliverables(&e.spool).is_empty());
    let mut at_dest = deliverables(&e.dest);
    at_dest.sort();
    let mut want: Vec<String> = ids.iter().map(|i| format!("{i}.zip")).collect();
    want.sort();
    assert_eq!(at_dest, want, "each bundle exactly once");
    assert!(
        !std::fs::read_dir(&e.dest)
            .unwrap()
            .filter_map(Result::ok)
            .any(|f| f.file_name().to_string_lossy().ends_with(".partial")),
        "no half-written file left at the destination"
    );
    for z in &at_dest {
        let (c, out, _) = run(
            &e.dir,
            &e.spool,
            &[],
            &["evidence", "verify", e.dest.join(z).to_str().unwrap()],
        );
        assert_eq!(c, 0, "{out}");
    }
    // Flushing again is a no-op.
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "flush", "--dest", &dest],
    );
    assert_eq!(c, 0);
    assert!(out.starts_with("0 bundle(s) delivered"), "{out}");
    let (c, out, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &["ledger", "verify", "--root", e.dir.to_str().unwrap()],
    );
    assert_eq!(c, 0, "{out}");
}

#[test]
fn retention_never_prunes_open_incidents_or_holds() {
    let e = setup();
    let dest = e.dest.to_str().unwrap().to_string();
    let (c, v, err) = collect(&e, &["--dest", &dest], &[]);
    assert_eq!(c, 0, "{err}");
    let id = v["bundle_id"].as_str().unwrap().to_string();
    let root = e.dir.to_str().unwrap().to_string();
    let prune = |as_of: &str| {
        let (c, out, err) = run(
            &e.dir,
            &e.spool,
            &[],
            &[
                "evidence", "prune", "--dest", &dest, "--as-of", as_of, "--format", "json",
                "--root", &root,
            ],
        );
        assert_eq!(c, 0, "{out}{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let v = prune("2030-01-01");
    assert_eq!(v["bundles"][0]["action"], "keep");
    assert!(
        v["bundles"][0]["why"].as_str().unwrap().contains("is OPEN"),
        "{v}"
    );
    let (c, _, _) = run(
        &e.dir,
        &e.spool,
        &[("OPSBOOK_NOW", "2026-11-29T03:00:00Z")],
        &[
            "incident", "cancel", &e.id, "--reason", "drill", "--root", &root,
        ],
    );
    assert_eq!(c, 0);
    // P1: 730 days after the incident ended.
    assert_eq!(prune("2028-11-28")["bundles"][0]["action"], "keep");
    let (c, _, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &[
            "evidence",
            "hold",
            &e.id,
            "--reason",
            "exchange dispute",
            "--root",
            &root,
        ],
    );
    assert_eq!(c, 0);
    assert_eq!(prune("2030-01-01")["bundles"][0]["why"], "under hold");
    let (c, _, _) = run(
        &e.dir,
        &e.spool,
        &[],
        &[
            "evidence",
            "hold",
            &e.id,
            "--reason",
            "settled",
            "--release",
            "--root",
            &root,
        ],
    );
    assert_eq!(c, 0);
    let v = prune("2030-01-01");
    assert_eq!(v["deleted"], 1, "{v}");
    assert!(deliverables(&e.dest).is_empty());
    let custody = std::fs::read_to_string(e.dir.join("ledger").join("custody.jsonl")).unwrap();
    assert!(custody.contains("retention_delete") && custody.contains(&id));
}

/// A different file under a bundle's name at the destination is never
/// overwritten.
#[test]
fn delivery_never_overwrites_a_different_file() {
    let e = setup();
    let dest = e.dest.to_str().unwrap().to_string();
    let (c, v, err) = collect(&e, &[], &[("OPSBOOK_FAULT", "unreachable")]);
    assert_eq!(c, 0, "{err}");
    let id = v["bundle_id"].as_str().unwrap();
    std::fs::write(e.dest.join(format!("{id}.zip")), b"someone else's file").unwrap();
    let (c, _, err) = run(
        &e.dir,
        &e.spool,
        &[],
        &["evidence", "flush", "--dest", &dest],
    );
    assert_eq!(c, 1, "{err}");
    assert!(
        err.contains("already has this name at the destination: not overwritten"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(e.dest.join(format!("{id}.zip"))).unwrap(),
        b"someone else's file"
    );
    assert_eq!(deliverables(&e.spool), vec![format!("{id}.zip")]);
}
