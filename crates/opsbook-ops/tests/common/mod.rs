//! The harness of the operations' library tests: a starter SSOT in a
//! temporary directory, a clock that moves only when told, one operator.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use opsbook_core::clock::ManualClock;
use opsbook_core::layout::Layout;
use opsbook_core::ledger::Actor;
use opsbook_ops::{Context, OpsError};

/// A starter SSOT, its clock and its operator (Aiko, op@HOST1).
pub struct Ssot {
    _t: tempfile::TempDir,
    /// The root.
    pub root: PathBuf,
    /// The clock every operation reads.
    pub clock: Arc<ManualClock>,
    ctx: Context,
}

impl Ssot {
    /// A fresh starter SSOT (what `opsbook init` writes).
    pub fn new() -> Ssot {
        let t = tempfile::tempdir().unwrap();
        let root = opsbook_testkit::ssot::starter_in(t.path());
        let clock = Arc::new(ManualClock::at("2026-11-29T00:00:00Z".parse().unwrap()));
        let ctx = Context::new(
            Layout::new(&root),
            clock.clone(),
            Actor {
                user: "op".into(),
                host: "HOST1".into(),
                name: Some("Aiko".into()),
            },
        );
        Ssot {
            _t: t,
            root,
            clock,
            ctx,
        }
    }

    /// The context with the clock set to `now` (RFC 3339).
    pub fn at(&self, now: &str) -> &Context {
        self.clock.set(now.parse().unwrap());
        &self.ctx
    }

    /// Runs a clean reconciliation of fills at `now` (stored and recorded:
    /// it covers any incident window before `now`), records a clock check
    /// against an SNTP responder 5 ms off (`ok`) and has `n1` hold every
    /// order writer's lease for a day (this SSOT's own store); returns every
    /// recovery-acceptance answer passed with those records.
    pub fn accept_all(&self, now: &str) -> Vec<String> {
        let (ours, theirs) = opsbook_testkit::ssot::clean_fills(&self.root);
        let mut r =
            opsbook_ops::reconcile::RunRequest::new(opsbook_ops::reconcile::engine::Kind::Fills);
        r.internal = vec![opsbook_ops::reconcile::InputSpec {
            path: ours,
            format: "opsbook".into(),
        }];
        r.exchange = vec![opsbook_ops::reconcile::InputSpec {
            path: theirs,
            format: "binance-mytrades".into(),
        }];
        let out = opsbook_ops::reconcile::run(self.at(now), &r).unwrap();
        let tck = self.integrity_records();
        opsbook_testkit::ssot::accept_all(&out.stored.unwrap().id, &tck)
    }

    /// The records `time_ok` and `no_split_brain` are verified from, at
    /// the clock's time: a clock check recorded against an SNTP responder 5 ms off
    /// (returns its `TCK-<n>`), and every order writer's lease held by `n1`
    /// for 24 h in this SSOT's own lease store (kept when already held).
    pub fn integrity_records(&self) -> String {
        let ctx = self.ctx();
        let (addr, _) = opsbook_testkit::sntp::scripted(vec![opsbook_testkit::sntp::Reply::at(5)]);
        let checked = opsbook_ops::time::check(
            ctx,
            &opsbook_ops::time::CheckRequest {
                servers: vec![addr],
                record: true,
                ..opsbook_ops::time::CheckRequest::default()
            },
        )
        .unwrap();
        assert_eq!(checked.report.verdict, opsbook_ops::time::Verdict::Ok);
        opsbook_testkit::ssot::own_lease_store(&self.root, &self.root.join("..").join("leases"));
        for name in opsbook_testkit::ssot::ORDER_WRITERS {
            let req = opsbook_ops::lease::LeaseRequest {
                name: name.into(),
                holder: Some("n1".into()),
                ttl: Some("24h".into()),
                ..opsbook_ops::lease::LeaseRequest::default()
            };
            if opsbook_ops::lease::status(ctx, &req)
                .unwrap()
                .state
                .acquirable()
            {
                opsbook_ops::lease::acquire(ctx, &req).unwrap();
            }
        }
        checked.recorded.unwrap()
    }

    /// The context at the clock's current time.
    pub fn ctx(&self) -> &Context {
        &self.ctx
    }

    /// Starts the platform's recovery for incident `id` at `now` (issue 13
    /// item 5: RESOLVED after a hold waits for RECOVERING and its dwell):
    /// from HALTED the high-danger confirmation `release_halt` is passed
    /// first (a fit operator; its cooling-off moves this clock on), then
    /// the platform is moved to RECOVERING with evidence. Returns the time
    /// RECOVERING was entered (RFC 3339).
    pub fn recover(&self, now: &str, id: &str) -> String {
        let ctx = self.at(now);
        if opsbook_ops::safety::status(ctx).unwrap().state == "HALTED" {
            let text = opsbook_testkit::ssot::confirm_answers("RECOVERING", 8);
            let mut a = opsbook_ops::confirm::FileAnswers::new(
                opsbook_core::yaml::parse(&text).unwrap().value,
            );
            opsbook_ops::confirm::confirm(
                ctx,
                &opsbook_ops::confirm::ConfirmRequest {
                    operation: "release_halt".into(),
                    target: Some("RECOVERING".into()),
                    incident: Some(id.into()),
                    // Tests run at night (UTC): the fatigue rule's night
                    // hours need the override, recorded.
                    override_reason: Some("the night's operator, rested".into()),
                    before_dwell: false,
                },
                &mut a,
            )
            .unwrap();
        }
        let o = opsbook_ops::safety::set_state(
            ctx,
            &opsbook_ops::safety::SetRequest {
                to: "RECOVERING".into(),
                reason: "cause mitigated, reconciliation clean".into(),
                evidence: Some("EVB-20261129-0001".into()),
                source: opsbook_core::safety::Source::Operator,
                incident: Some(id.into()),
                manual: false,
            },
        )
        .unwrap();
        o.events.last().unwrap().ts.clone()
    }

    /// A path under the root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Replaces the first `from` in the file at `rel` by `to`.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        opsbook_testkit::ssot::edit(&self.path(rel), from, to);
    }

    /// The cooling-off of the confirmation, in seconds.
    pub fn cooling_off(&self, seconds: u32) {
        self.edit(
            "policy/safety-matrix.yaml",
            "cooling_off_seconds: 180",
            &format!("cooling_off_seconds: {seconds}"),
        );
    }

    /// Every ledger of the SSOT verifies.
    pub fn ledgers_verify(&self) {
        let all = opsbook_ops::ledger::all(&self.root).unwrap();
        assert!(!all.is_empty());
        for v in opsbook_ops::ledger::verify(&all).unwrap() {
            assert!(v.ok(), "{} breaks: {:?}", v.path, v.first_break);
        }
    }

    /// The gate's findings (codes and lines) as of `as_of`.
    pub fn gate(&self, as_of: &str) -> (bool, Vec<(String, usize, String)>) {
        let contracts = opsbook_core::contracts::Contracts::load(Some(&self.root));
        let opts = opsbook_gate::Options {
            as_of: as_of.parse().unwrap(),
            runbook_base: None,
            baseline: None,
        };
        let (_, report) = opsbook_gate::check(&self.root, &contracts, &opts).unwrap();
        let mut f: Vec<(String, usize, String)> = report
            .findings
            .iter()
            .map(|f| (f.code.to_string(), f.line, f.message.clone()))
            .collect();
        f.sort();
        (report.failed(), f)
    }
}

/// Asserts a refusal (what exit 1 is) whose message holds `needle`.
#[track_caller]
pub fn refused<T: std::fmt::Debug>(r: Result<T, OpsError>, needle: &str) -> OpsError {
    let e = r.expect_err("should be refused");
    assert!(e.is_refusal(), "not a refusal: {e}");
    assert!(e.to_string().contains(needle), "`{needle}` not in: {e}");
    e
}

/// Asserts bad input or another error (what exit 2 is) holding `needle`.
#[track_caller]
pub fn invalid<T: std::fmt::Debug>(r: Result<T, OpsError>, needle: &str) -> OpsError {
    let e = r.expect_err("should fail");
    assert!(
        !e.is_refusal() && !matches!(e, OpsError::HookFailed(_)),
        "not an error of input or configuration: {e}"
    );
    assert!(e.to_string().contains(needle), "`{needle}` not in: {e}");
    e
}

/// A file in the SSOT with `text`.
pub fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// A hook for `state` that appends a line to a marker file.
pub fn marker_hook(s: &Ssot, state: &str) -> PathBuf {
    let marker = s.path(&format!("hook-{state}.txt"));
    let m = opsbook_testkit::ssot::toml_str(&marker.display().to_string());
    let cmd = if cfg!(windows) {
        format!(
            "[\"cmd\", \"/C\", {}]",
            opsbook_testkit::ssot::toml_str(&format!("echo ran>> {}", marker.display()))
        )
    } else {
        format!("[\"sh\", \"-c\", \"echo ran >> \\\"$0\\\"\", {m}]")
    };
    opsbook_testkit::ssot::append_config(
        &s.root,
        &format!("\n[safety.hooks.{state}]\ncommand = {cmd}\ntimeout_seconds = 20\n"),
    );
    marker
}

/// Recovery-acceptance answers, each `check=pass:evidence`.
pub fn answers<S: AsRef<str>>(list: &[S]) -> Vec<opsbook_core::incident::CheckAnswer> {
    list.iter()
        .map(|a| opsbook_ops::incident::parse_check(a.as_ref()).unwrap())
        .collect()
}

pub fn stated(title: &str, sev: &str, reason: &str) -> opsbook_ops::incident::OpenRequest {
    opsbook_ops::incident::OpenRequest {
        title: title.into(),
        severity: opsbook_ops::incident::SeverityInput {
            stated: Some(sev.into()),
            reason: Some(reason.into()),
            ..opsbook_ops::incident::SeverityInput::default()
        },
        ..opsbook_ops::incident::OpenRequest::default()
    }
}

pub fn postmortem(
    s: &Ssot,
    id: &str,
    desc: &str,
    target: &str,
    status: &str,
    due: &str,
) -> std::path::PathBuf {
    write(
        &s.root,
        &format!("incidents/{id}/postmortem.md"),
        &opsbook_testkit::ssot::postmortem(id, desc, target, status, due),
    )
}
