#![allow(clippy::unwrap_used)]
//! Issue 13 item 3: HALT always halts, and nothing stops half-way. A
//! failure is injected at each ledger write of `incident open`, `safety
//! set` and `halt` (through the context's ledger seam) and a damaged freeze
//! ledger is planted; each operation then either completes, leaves nothing
//! behind, or records exactly what it did and names what it could not.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{Ssot, marker_hook};
use opsbook_core::ledger::{LedgerError, Seam};
use opsbook_core::safety::Source;
use opsbook_ops::incident::{self as inc, OpenRequest, SeverityInput};
use opsbook_ops::safety::{self, SetRequest};
use opsbook_ops::{Context, OpsError, halt};

/// Fails the `n`-th batch written (1-based; 0 never), and logs each.
#[derive(Default)]
struct FailAt {
    n: usize,
    count: AtomicUsize,
    log: Mutex<Vec<String>>,
}

impl Seam for FailAt {
    fn prepare(&self, _: &Path, _: &str, _: &mut serde_json::Value) -> Result<(), LedgerError> {
        Ok(())
    }

    fn before_write(&self, path: &Path, kinds: &[String]) -> Result<(), LedgerError> {
        let i = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        self.log
            .lock()
            .unwrap()
            .push(format!("{file}:{}", kinds.join("+")));
        if i == self.n {
            return Err(LedgerError::Rejected {
                path: path.to_path_buf(),
                message: "injected failure".into(),
            });
        }
        Ok(())
    }
}

fn with(ctx: &Context, n: usize) -> (Context, Arc<FailAt>) {
    let seam = Arc::new(FailAt {
        n,
        ..FailAt::default()
    });
    (ctx.clone().with_seam(seam.clone()), seam)
}

fn p0(title: &str) -> OpenRequest {
    OpenRequest {
        title: title.into(),
        severity: SeverityInput {
            stated: Some("P0".into()),
            reason: Some("orders rejected".into()),
            ..SeverityInput::default()
        },
        ..OpenRequest::default()
    }
}

fn incidents(s: &Ssot) -> Vec<String> {
    let dir = s.path("incidents");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn kinds(s: &Ssot, rel: &str) -> Vec<String> {
    opsbook_core::ledger::read(&s.path(rel))
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// A complete line whose content no longer matches its hash: broken, not torn.
fn damage(s: &Ssot, rel: &str) {
    let p = s.path(rel);
    let c = s.ctx();
    opsbook_ops::freeze::on(c, "drill", None).unwrap();
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("drill", "DRILL");
    std::fs::write(&p, text).unwrap();
    assert!(!opsbook_core::ledger::verify(&p).unwrap().ok());
}

#[test]
fn incident_open_is_complete_or_absent_at_every_write() {
    // Two writes: the opened event, the freeze it turns on.
    for n in 1..=3 {
        let s = Ssot::new();
        let (ctx, seam) = with(s.at("2026-11-29T03:10:00Z"), n);
        let r = inc::open(&ctx, &p0("-1021 on every signed request"));
        let log = seam.log.lock().unwrap().clone();
        if n <= 2 {
            let e = r.expect_err("an injected failure must fail the open");
            assert!(e.to_string().contains("injected failure"), "{e}");
            assert_eq!(incidents(&s), Vec::<String>::new(), "n={n}: {log:?}");
            assert_eq!(kinds(&s, "ledger/freeze.jsonl"), Vec::<String>::new());
        } else {
            let o = r.unwrap();
            assert_eq!(log, ["events.jsonl:opened", "freeze.jsonl:freeze_on"]);
            assert_eq!(incidents(&s), vec![o.id.clone()]);
            assert!(o.froze && o.unrecorded.is_empty());
        }
    }
}

#[test]
fn a_broken_freeze_ledger_leaves_no_incident_and_the_retry_opens_one() {
    let s = Ssot::new();
    damage(&s, "ledger/freeze.jsonl");
    let e = inc::open(s.at("2026-11-29T03:10:00Z"), &p0("key leak")).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("was not opened (nothing was recorded)") && msg.contains("opsbook halt"),
        "{msg}"
    );
    assert_eq!(incidents(&s), Vec::<String>::new());
    // Recovery: the broken chain set aside, a new one started; the retry opens one.
    let r = opsbook_ops::ledger::set_aside(
        &s.path("ledger/freeze.jsonl"),
        s.ctx().clock.as_ref(),
        &s.ctx().actor,
        "freeze.jsonl edited by hand",
    )
    .unwrap();
    assert!(Path::new(&r.set_aside_to).is_file());
    let o = inc::open(s.at("2026-11-29T03:12:00Z"), &p0("key leak")).unwrap();
    assert_eq!(incidents(&s), [o.id]);
    assert_eq!(
        kinds(&s, "ledger/freeze.jsonl"),
        ["ledger_restarted", "freeze_on"]
    );
    s.ledgers_verify();
}

#[test]
fn halt_with_a_broken_freeze_ledger_still_halts_and_names_what_it_did_not_record() {
    let s = Ssot::new();
    let marker = marker_hook(&s, "HALTED");
    damage(&s, "ledger/freeze.jsonl");
    let h = halt::halt(s.at("2026-11-29T03:10:00Z"), "-1021 storm", None, false).unwrap();
    assert!(marker.is_file(), "the kill switch did not run");
    assert_eq!(safety::status(s.ctx()).unwrap().state, "HALTED");
    let id = h.incident.clone().unwrap();
    assert_eq!(incidents(&s), vec![id.clone()]);
    assert!(h.opened);
    assert_eq!(h.unrecorded.len(), 2, "{:?}", h.unrecorded);
    assert!(
        h.unrecorded[0].starts_with(&format!("the change freeze for {id}"))
            && h.unrecorded[1].starts_with("the change freeze (turn it on)"),
        "{:?}",
        h.unrecorded
    );
}

#[test]
fn halt_runs_the_kill_switch_whatever_write_fails() {
    // Without a failure: every write it makes, in order.
    let s = Ssot::new();
    marker_hook(&s, "HALTED");
    let (ctx, seam) = with(s.at("2026-11-29T03:10:00Z"), 0);
    let h = halt::halt(&ctx, "-1021 storm", None, false).unwrap();
    assert!(h.unrecorded.is_empty());
    let all = seam.log.lock().unwrap().clone();
    assert_eq!(
        all,
        [
            "events.jsonl:opened",
            "freeze.jsonl:freeze_on",
            "safety.jsonl:hook_attempt",
            "safety.jsonl:hook_result",
            "safety.jsonl:state_exited+state_entered",
            "events.jsonl:safety_decision",
            "events.jsonl:note",
        ]
    );
    for n in 1..=all.len() {
        let s = Ssot::new();
        let marker = marker_hook(&s, "HALTED");
        let (ctx, _) = with(s.at("2026-11-29T03:10:00Z"), n);
        let r = halt::halt(&ctx, "-1021 storm", None, false);
        assert!(
            marker.is_file(),
            "n={n} ({}): the kill switch did not run",
            all[n - 1]
        );
        let entered = kinds(&s, "ledger/safety.jsonl")
            .iter()
            .any(|k| k == "state_entered");
        match r {
            Ok(h) => {
                assert!(entered, "n={n}");
                assert_eq!(h.unrecorded.len(), 1, "n={n}: {:?}", h.unrecorded);
                assert!(h.unrecorded[0].contains("injected failure"));
            }
            Err(e) => {
                // Only the safety ledger's own writes fail the halt, and
                // the error says the platform is halted all the same.
                assert!(all[n - 1].starts_with("safety.jsonl"), "n={n}: {e}");
                assert!(!entered, "n={n}");
                assert!(
                    e.to_string().contains("the HALTED hook ran and succeeded"),
                    "n={n}: {e}"
                );
            }
        }
    }
}

#[test]
fn safety_set_never_shows_a_state_entered_that_was_not() {
    let s = Ssot::new();
    let id = inc::open(s.at("2026-11-29T03:00:00Z"), &p0("-1021"))
        .unwrap()
        .id;
    let marker = marker_hook(&s, "SAFE_MODE");
    let req = SetRequest {
        to: "SAFE_MODE".into(),
        reason: "clock drift".into(),
        evidence: None,
        source: Source::Operator,
        incident: Some(id.clone()),
        manual: false,
    };
    // Writes: attempt, result, left+entered (one batch), the incident's decision.
    for n in 1..=4 {
        let _ = std::fs::remove_file(&marker);
        let (ctx, _) = with(s.at("2026-11-29T03:10:00Z"), n);
        let before = kinds(&s, "ledger/safety.jsonl").len();
        let r = safety::set_state(&ctx, &req);
        let after = kinds(&s, "ledger/safety.jsonl");
        let entered = after[before..].iter().any(|k| k == "state_entered");
        match n {
            1 => {
                // Nothing happened: the hook waits for its attempt's record.
                assert!(r.is_err() && !marker.exists() && after.len() == before);
            }
            2 | 3 => {
                let e = r.unwrap_err();
                assert!(marker.exists(), "n={n}");
                assert!(!entered, "n={n}: {after:?}");
                assert!(
                    e.to_string()
                        .contains("the SAFE_MODE hook ran and succeeded"),
                    "n={n}: {e}"
                );
                assert!(matches!(e, OpsError::Needs { .. }));
            }
            _ => {
                let o = r.unwrap();
                assert!(entered && marker.exists());
                assert_eq!(o.unrecorded.len(), 1);
                assert!(
                    o.unrecorded[0].starts_with(&format!("{id}'s safety decision"))
                        && o.unrecorded[0].contains("injected failure"),
                    "{:?}",
                    o.unrecorded
                );
            }
        }
        assert_eq!(
            safety::status(s.ctx()).unwrap().state,
            if n == 4 { "SAFE_MODE" } else { "NORMAL" },
            "n={n}"
        );
    }
}
