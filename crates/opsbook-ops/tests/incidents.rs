#![allow(clippy::unwrap_used)]
//! Incidents as library tests (moved down from the CLI's scenario tests,
//! issue 12): the lifecycle and its guards (D-ORDER), links, merges,
//! severity, corrections, postmortems and their action items, the report.
//! No process is started; time is a [`ManualClock`] set per step.

mod common;

use common::{Ssot, invalid, refused, write};
use opsbook_core::incident::Status;
use opsbook_ops::incident::{self as inc, OpenRequest, Relation, ScopeRequest, SeverityInput};
use opsbook_ops::{learn, views};

fn answers<S: AsRef<str>>(list: &[S]) -> Vec<opsbook_core::incident::CheckAnswer> {
    list.iter()
        .map(|a| inc::parse_check(a.as_ref()).unwrap())
        .collect()
}

fn stated(title: &str, sev: &str, reason: &str) -> OpenRequest {
    OpenRequest {
        title: title.into(),
        severity: SeverityInput {
            stated: Some(sev.into()),
            reason: Some(reason.into()),
            ..SeverityInput::default()
        },
        ..OpenRequest::default()
    }
}

fn postmortem(
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

/// A whole P0 from open to closed, with every out-of-order step refused.
#[test]
fn full_p0_incident_open_to_closed_with_guards_refusing_out_of_order_steps() {
    let s = Ssot::new();
    let facts = [
        "mode=live",
        "environment=prod",
        "unexpected_loss_usd=0",
        "unhedged_exposure_usd=0",
        "unhedged_minutes=0",
        "trading_halted=true",
        "halt_unplanned=false",
        "security_suspected=false",
        "reconciliation_drift_usd=0",
        "stale_market_data_seconds=0",
        "order_state_unknown=false",
        "exchange_ip_banned=false",
        "clock_offset_ms=600",
    ];
    // 02:10 impact, 02:12 detected, 02:15 declared.
    let o = inc::open(
        s.at("2026-11-29T02:15:00Z"),
        &OpenRequest {
            title: "Orders rejected: -1021 timestamp outside recvWindow".into(),
            severity: SeverityInput {
                facts: facts.iter().map(|f| f.to_string()).collect(),
                ..SeverityInput::default()
            },
            detected: Some("2026-11-29T02:12:00Z".into()),
            impact_started: Some("2026-11-29T11:10:00+09:00".into()),
            ..OpenRequest::default()
        },
    )
    .unwrap();
    let id = o.id.clone();
    assert_eq!(id, "INC-20261129-001");
    let v = views::show(s.ctx(), &id).unwrap();
    assert_eq!(v.incident.status, Status::Open);
    assert_eq!(v.incident.severity, "P1");
    assert_eq!(v.events[0].data["rule"], "SEV-P1-CLOCK");
    assert_eq!(
        v.incident.impact_started_at.as_deref(),
        Some("2026-11-29T02:10:00.000Z")
    );
    assert_eq!(
        v.incident.detected_at.as_deref(),
        Some("2026-11-29T02:12:00.000Z")
    );
    // The offset grew: severity is recomputed; raising needs no reason.
    inc::change_severity(
        s.at("2026-11-29T02:15:30Z"),
        &id,
        None,
        &["clock_offset_ms=1200".into()],
        None,
    )
    .unwrap();
    let v = views::show(s.ctx(), &id).unwrap();
    assert_eq!(v.incident.severity, "P0");
    assert_eq!(v.events[1].data["rule"], "SEV-P0-CLOCK");
    // Skipping ACKED is illegal; the allowed next states are listed.
    refused(
        inc::change_status(
            s.at("2026-11-29T02:16:00Z"),
            &id,
            Status::Mitigating,
            "go",
            None,
        ),
        "allowed next (ACKED, CANCELLED)",
    );
    inc::change_status(
        s.at("2026-11-29T02:17:00Z"),
        &id,
        Status::Acked,
        "acknowledged",
        Some("Aiko"),
    )
    .unwrap();
    // safe first: no MITIGATING before a safety decision.
    let e = refused(
        inc::change_status(
            s.at("2026-11-29T02:18:00Z"),
            &id,
            Status::Mitigating,
            "resync",
            None,
        ),
        "no safety decision",
    );
    assert_eq!(
        e.next(),
        Some(opsbook_core::next::NextStep::DecideSafety {
            incident: id.clone()
        }),
        "the way forward is typed"
    );
    inc::decide(
        s.at("2026-11-29T02:19:00Z"),
        &id,
        "engage kill switch",
        "orders rejected, positions unknown",
        &["keep trading and retry".into()],
        Some("HALTED"),
        false,
    )
    .unwrap();
    inc::scope(
        s.at("2026-11-29T02:20:00Z"),
        &id,
        &ScopeRequest {
            affected: vec!["order entry on Binance".into()],
            not_affected: vec!["market data".into(), "positions (reconciled 02:19)".into()],
            ..ScopeRequest::default()
        },
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:21:00Z"),
        &id,
        Status::Mitigating,
        "resync W32Time",
        None,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:40:00Z"),
        &id,
        Status::Monitoring,
        "offset 12 ms, orders accepted",
        None,
    )
    .unwrap();
    // evidence before RESOLVED.
    refused(
        inc::change_status(
            s.at("2026-11-29T02:41:00Z"),
            &id,
            Status::Resolved,
            "looks fine",
            None,
        ),
        "no evidence attached",
    );
    let ev = write(&s.root, "w32tm.txt", "Phase Offset: 0.0120000s\r\n");
    inc::attach(
        s.at("2026-11-29T02:42:00Z"),
        &id,
        ev.to_str().unwrap(),
        None,
        None,
    )
    .unwrap();
    // A hash that does not match the file is refused (bad input).
    invalid(
        inc::attach(
            s.at("2026-11-29T02:42:10Z"),
            &id,
            ev.to_str().unwrap(),
            Some(&"0".repeat(64)),
            None,
        ),
        "not 0000",
    );
    // verify before RESOLVED: recovery acceptance.
    refused(
        inc::change_status(
            s.at("2026-11-29T02:43:00Z"),
            &id,
            Status::Resolved,
            "quiet",
            None,
        ),
        "recovery acceptance has not passed",
    );
    // The platform is still HALTED for it: recovery has not started, so
    // `recovering_dwell` cannot pass (issue 13 item 5); the way forward
    // is the step that starts recovery.
    let early = s.accept_all("2026-11-29T02:44:00Z");
    let e = refused(
        inc::accept(s.at("2026-11-29T02:44:00Z"), &id, answers(&early)),
        &format!(
            "recovering_dwell: {id} held the platform in HALTED since 2026-11-29T02:19:00.000Z (ledger/safety.jsonl #"
        ),
    );
    assert!(
        e.to_string()
            .contains("and the platform is still HALTED: recovery has not started"),
        "{e}"
    );
    assert_eq!(
        e.next(),
        Some(opsbook_core::next::NextStep::StartRecovery {
            incident: id.clone(),
            from: "HALTED".into()
        })
    );
    // HALTED's 30 min dwell passed at 02:49: confirmation, then RECOVERING;
    // its own 30 min dwell passes before the answers below (03:30).
    let entered = s.recover("2026-11-29T02:50:00Z", &id);
    assert!(entered.as_str() < "2026-11-29T03:00:00Z", "{entered}");
    let all = s.accept_all("2026-11-29T03:30:00Z");
    let mut failing = all.clone();
    failing[3] = "no_split_brain=fail".into();
    let a = inc::accept(s.at("2026-11-29T03:30:00Z"), &id, answers(&failing)).unwrap();
    assert!(!a.passed, "a failed acceptance is recorded (exit 1)");
    refused(
        inc::change_status(
            s.at("2026-11-29T03:31:00Z"),
            &id,
            Status::Resolved,
            "quiet",
            None,
        ),
        "failed on: no_split_brain",
    );
    // An answer without evidence is not an answer.
    let mut noev = all.clone();
    noev[0] = "cause_mitigated=pass".into();
    invalid(
        inc::accept(s.at("2026-11-29T03:32:00Z"), &id, answers(&noev)),
        "passes only with evidence",
    );
    // A bundle ID must exist and, for `cause_mitigated`, have been sealed
    // here (after MITIGATING); a placeholder is no evidence.
    let mut ghost = all.clone();
    ghost[0] = "cause_mitigated=pass:EVB-20261129-9999".into();
    refused(
        inc::accept(s.at("2026-11-29T03:33:00Z"), &id, answers(&ghost)),
        "evidence bundle EVB-20261129-9999 is neither sealed in this SSOT (ledger/custody.jsonl) nor attached to",
    );
    // Every failing check is named in one run, not only the first.
    ghost[4] = "alerts_quiet=pass:EVB-20261129-9998".into();
    ghost[2] = "time_ok=pass:x".into();
    let e = refused(
        inc::accept(s.at("2026-11-29T03:33:00Z"), &id, answers(&ghost)),
        "3 checks are not accepted:\n  - check `cause_mitigated`: evidence bundle EVB-20261129-9999 is neither sealed",
    );
    let e = e.to_string();
    assert!(
        e.contains("\n  - check `time_ok`: `x` is a placeholder")
            && e.contains("\n  - check `alerts_quiet`: evidence bundle EVB-20261129-9998 is neither attached to"),
        "{e}"
    );
    let mut x = all.clone();
    x[4] = "alerts_quiet=pass:x".into();
    invalid(
        inc::accept(s.at("2026-11-29T03:33:00Z"), &id, answers(&x)),
        "check `alerts_quiet`: `x` is a placeholder",
    );
    assert!(
        inc::accept(s.at("2026-11-29T03:35:00Z"), &id, answers(&all))
            .unwrap()
            .passed
    );
    inc::change_status(
        s.at("2026-11-29T03:40:00Z"),
        &id,
        Status::Resolved,
        "acceptance passed",
        None,
    )
    .unwrap();
    // learn: a P0 closes only with a postmortem whose items pass.
    refused(
        inc::change_status(
            s.at("2026-11-29T03:45:00Z"),
            &id,
            Status::Closed,
            "done",
            None,
        ),
        "closes only with a postmortem",
    );
    postmortem(
        &s,
        &id,
        "Be careful with the clock",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    );
    refused(
        inc::change_status(
            s.at("2026-11-29T03:46:00Z"),
            &id,
            Status::Closed,
            "done",
            None,
        ),
        "is vague (\"be careful\")",
    );
    postmortem(
        &s,
        &id,
        "Add a step that checks w32tm /query /status before restarting OrderGateway",
        "RB-PLAT-CLOCK",
        "open",
        "2026-12-13",
    );
    refused(
        inc::change_status(
            s.at("2026-11-29T03:47:00Z"),
            &id,
            Status::Closed,
            "done",
            None,
        ),
        "runbook `RB-PLAT-CLOCK` is not registered",
    );
    let pm = postmortem(
        &s,
        &id,
        "Add a step that checks w32tm /query /status before restarting OrderGateway",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    );
    inc::change_status(
        s.at("2026-11-29T03:50:00Z"),
        &id,
        Status::Closed,
        "postmortem reviewed",
        None,
    )
    .unwrap();
    // Terminal: nothing more is allowed.
    refused(
        inc::change_status(
            s.at("2026-11-29T03:51:00Z"),
            &id,
            Status::Mitigating,
            "again",
            None,
        ),
        "none: it is terminal",
    );

    let v = views::show(s.at("2026-11-29T23:59:00Z"), &id).unwrap();
    let i = &v.incident;
    assert_eq!(i.status, Status::Closed);
    assert_eq!(i.severity, "P0");
    assert_eq!(i.commander.as_deref(), Some("Aiko"));
    // Durations from detection (02:12): ack 02:17, mitigated 02:40,
    // resolved 03:40 (after RECOVERING's dwell).
    assert_eq!(v.durations.to_ack_ms, Some(5 * 60_000));
    assert_eq!(v.durations.to_mitigate_ms, Some(28 * 60_000));
    assert_eq!(v.durations.to_resolve_ms, Some(88 * 60_000));
    let types: Vec<&str> = v.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        types,
        [
            "opened",
            "severity_changed",
            "status_changed",
            "safety_decision",
            "scope",
            "status_changed",
            "status_changed",
            "evidence_attached",
            // The confirmation's fatigue override (a decision), then
            // RECOVERING (issue 13 item 5).
            "decision",
            "safety_decision",
            "recovery_acceptance",
            "recovery_acceptance",
            "status_changed",
            "postmortem_attached",
            "status_changed"
        ]
    );
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(std::fs::read(&pm).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        i.postmortem.as_ref().unwrap().1,
        want,
        "the attached postmortem hash is the file's"
    );
    // Every event carries the actor and the decision log has every reason.
    assert!(
        v.events
            .iter()
            .all(|e| e.actor.name.as_deref() == Some("Aiko"))
    );
    let reasons: Vec<&str> = i
        .decisions
        .iter()
        .filter_map(|d| d.reason.as_deref())
        .collect();
    assert!(reasons.contains(&"orders rejected, positions unknown"));
    assert!(reasons.contains(&"postmortem reviewed"));
    // The timeline: every event, the safety decision at 02:19.
    assert_eq!(v.events.len(), 15);
    assert_eq!(v.events[3].ts, "2026-11-29T02:19:00.000Z");
    assert!(
        opsbook_core::incident::describe(&v.events[3])
            .contains("safety state HALTED: engage kill switch")
    );
    assert!(v.events.iter().any(
        |e| opsbook_core::incident::describe(e) == "recovery acceptance FAILED: no_split_brain"
    ));
    // The gate accepts the whole record, and the ledgers verify.
    let (failed, f) = s.gate("2026-11-29");
    assert!(!failed, "{f:?}");
    s.ledgers_verify();
    // Report: MTTA 5 min, MTTR 88 min for P0.
    let r = learn::report(s.ctx(), "2026-11-29".parse().unwrap(), None, false).unwrap();
    assert_eq!(r.by_severity["P0"].incidents, 1);
    assert_eq!(r.by_severity["P0"].mtta_ms, Some(300_000));
    assert_eq!(r.by_severity["P0"].mttr_ms, Some(88 * 60_000));
    assert_eq!(r.open_incidents.len(), 0);
}

#[test]
fn links_refuse_cycles_and_a_second_parent_and_parents_wait_for_children() {
    let s = Ssot::new();
    let open = |t: &str| {
        inc::open(s.at("2026-11-29T02:00:00Z"), &stated(t, "P1", "test"))
            .unwrap()
            .id
    };
    let (a, b, c) = (
        open("exchange outage"),
        open("BTCUSDT order state unknown"),
        open("ETHUSDT order state unknown"),
    );
    inc::link(s.at("2026-11-29T02:01:00Z"), &b, &a, Relation::Parent).unwrap();
    inc::link(s.at("2026-11-29T02:01:00Z"), &c, &b, Relation::Parent).unwrap();
    invalid(
        inc::link(s.at("2026-11-29T02:02:00Z"), &a, &c, Relation::Parent),
        "would make a cycle",
    );
    invalid(
        inc::link(s.at("2026-11-29T02:02:00Z"), &b, &c, Relation::Parent),
        "already has a parent",
    );
    inc::link(s.at("2026-11-29T02:03:00Z"), &a, &c, Relation::Related).unwrap();
    // Both sides carry the link.
    assert_eq!(
        views::show(s.ctx(), &a).unwrap().incident.links[0].relation,
        "child"
    );
    assert_eq!(
        views::show(s.ctx(), &b).unwrap().incident.links[0].relation,
        "parent"
    );
    // Drive A to MONITORING with evidence and acceptance: RESOLVED waits for B.
    inc::change_status(
        s.at("2026-11-29T02:04:00Z"),
        &a,
        Status::Acked,
        "acknowledged",
        Some("Aiko"),
    )
    .unwrap();
    inc::decide(
        s.at("2026-11-29T02:05:00Z"),
        &a,
        "reduce only",
        "exchange down",
        &[],
        Some("SAFE_MODE"),
        false,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:06:00Z"),
        &a,
        Status::Mitigating,
        "waiting",
        None,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:07:00Z"),
        &a,
        Status::Monitoring,
        "exchange back",
        None,
    )
    .unwrap();
    inc::attach(
        s.at("2026-11-29T02:08:00Z"),
        &a,
        "EVB-20261129-0208",
        Some(&"ab".repeat(32)),
        None,
    )
    .unwrap();
    // A held SAFE_MODE for it: recovery through RECOVERING (after SAFE_MODE's
    // 15 min dwell) and RECOVERING's 30 min dwell before the acceptance.
    s.recover("2026-11-29T02:21:00Z", &a);
    let all = s.accept_all("2026-11-29T02:52:00Z");
    inc::accept(s.at("2026-11-29T02:52:00Z"), &a, answers(&all)).unwrap();
    refused(
        inc::change_status(
            s.at("2026-11-29T02:53:00Z"),
            &a,
            Status::Resolved,
            "back",
            None,
        ),
        &format!("child incidents not resolved yet: {b} (OPEN)"),
    );
}

#[test]
fn merge_cancel_severity_corrections_and_time_never_backwards() {
    let s = Ssot::new();
    let a = inc::open(
        s.at("2026-11-29T02:00:00Z"),
        &stated("feed stale", "P2", "paper"),
    )
    .unwrap()
    .id;
    let b = inc::open(
        s.at("2026-11-29T02:01:00Z"),
        &stated("feed stale again", "P2", "paper"),
    )
    .unwrap()
    .id;
    inc::attach(
        s.at("2026-11-29T02:02:00Z"),
        &b,
        "EVB-1",
        Some(&"cd".repeat(32)),
        None,
    )
    .unwrap();
    inc::merge(s.at("2026-11-29T02:03:00Z"), &b, &a, "same feed outage").unwrap();
    let vb = views::show(s.ctx(), &b).unwrap().incident;
    assert_eq!(vb.status, Status::Merged);
    assert_eq!(vb.merged_into.as_deref(), Some(a.as_str()));
    let va = views::show(s.ctx(), &a).unwrap().incident;
    assert_eq!(
        va.evidence[0].reference, "EVB-1",
        "evidence follows the merge"
    );
    assert_eq!(va.links[0].relation, "duplicate");
    // Lowering severity needs a reason; raising does not.
    inc::change_severity(s.at("2026-11-29T02:04:00Z"), &a, Some("P1"), &[], None).unwrap();
    invalid(
        inc::change_severity(s.at("2026-11-29T02:05:00Z"), &a, Some("P2"), &[], None),
        "needs --reason",
    );
    inc::change_severity(
        s.at("2026-11-29T02:05:00Z"),
        &a,
        Some("P2"),
        &[],
        Some("paper only, confirmed"),
    )
    .unwrap();
    // Corrections reference, never edit.
    inc::log(
        s.at("2026-11-29T02:06:00Z"),
        &a,
        inc::LogKind::Note,
        "vendor says 02:10",
        None,
    )
    .unwrap();
    inc::correct(
        s.at("2026-11-29T02:07:00Z"),
        &a,
        6,
        "typo",
        Some("vendor says 01:10"),
    )
    .unwrap();
    let i = views::show(s.ctx(), &a).unwrap().incident;
    assert_eq!(
        i.corrections.get(&6),
        Some(&(7, "typo".to_string(), Some("vendor says 01:10".to_string())))
    );
    assert_eq!(
        opsbook_core::incident::describe(&i.events[5]),
        "vendor says 02:10"
    );
    // A clock behind the last event does not block the log: the event takes
    // the last event's time and records how far behind the clock was.
    let ctx = s.at("2026-11-29T02:06:30Z");
    inc::log(ctx, &a, inc::LogKind::Note, "late", None).unwrap();
    let w = ctx.take_warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("is 30000 ms behind the last recorded event")),
        "{w:?}"
    );
    let last = views::show(s.ctx(), &a)
        .unwrap()
        .events
        .last()
        .unwrap()
        .clone();
    assert_eq!(last.ts, "2026-11-29T02:07:00.000Z");
    assert_eq!(last.data["clock_observed"], "2026-11-29T02:06:30.000Z");
    // Cancel needs a reason, and the ID is never reused.
    inc::change_status(
        s.at("2026-11-29T02:09:00Z"),
        &a,
        Status::Cancelled,
        "duplicate of a vendor ticket",
        None,
    )
    .unwrap();
    let c = inc::open(s.at("2026-11-29T02:10:00Z"), &stated("x", "P2", "y"))
        .unwrap()
        .id;
    assert_eq!(c, "INC-20261129-003");
    // Bad input: no severity and no facts; unknown incident; future time.
    invalid(
        inc::open(
            s.at("2026-11-29T02:11:00Z"),
            &OpenRequest {
                title: "x".into(),
                ..OpenRequest::default()
            },
        ),
        "state the severity",
    );
    invalid(
        inc::log(s.ctx(), "INC-20261129-099", inc::LogKind::Note, "x", None),
        "no incident `INC-20261129-099`",
    );
    invalid(
        inc::scope(
            s.ctx(),
            &c,
            &ScopeRequest {
                detected: Some("2026-11-29T05:00:00Z".into()),
                ..ScopeRequest::default()
            },
        ),
        "in the future",
    );
}

#[test]
fn gate_reports_incident_logs_written_around_the_guards_and_postmortem_items() {
    let s = Ssot::new();
    let id = inc::open(s.at("2026-11-29T02:00:00Z"), &stated("raw", "P1", "test"))
        .unwrap()
        .id;
    let log = s.path(&format!("incidents/{id}/events.jsonl"));
    s.at("2026-11-29T02:01:00Z");
    let raw = |data: &str| {
        opsbook_ops::ledger::append_raw(
            &log,
            s.clock.as_ref(),
            &s.ctx().actor,
            "status_changed",
            Some(data),
            1,
        )
        .unwrap();
    };
    raw(r#"{"from":"OPEN","to":"ACKED","reason":"x"}"#);
    raw(r#"{"from":"ACKED","to":"MITIGATING"}"#);
    raw(r#"{"from":"MITIGATING","to":"CLOSED","reason":"x"}"#);
    let (failed, f) = s.gate("2026-11-29");
    assert!(failed);
    // The starter runbooks are drafts nobody verified: one OB505 each.
    let got: Vec<(&str, usize)> = f
        .iter()
        .filter(|(c, _, _)| c != "OB505")
        .map(|(c, l, _)| (c.as_str(), *l))
        .collect();
    assert_eq!(
        got,
        [("OB802", 3), ("OB803", 3), ("OB803", 4), ("OB804", 4)],
        "{f:?}"
    );
    assert!(
        f.iter().any(|x| x.2.contains("no safety decision")),
        "{f:?}"
    );

    // Postmortem items: vague, unknown target, done without ref, overdue.
    let s2 = Ssot::new();
    let id2 = inc::open(s2.at("2026-11-29T02:00:00Z"), &stated("pm", "P2", "test"))
        .unwrap()
        .id;
    postmortem(
        &s2,
        &id2,
        "Add the drift check step to the time runbook",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-06",
    );
    // Leaving aside the starter drafts' OB505 (never verified).
    let codes = |f: &[(String, usize, String)]| -> Vec<String> {
        f.iter()
            .map(|x| x.0.clone())
            .filter(|c| c != "OB505")
            .collect()
    };
    let (failed, _) = s2.gate("2026-12-06");
    assert!(!failed, "due today is not overdue");
    let (failed, f) = s2.gate("2026-12-10");
    assert_eq!(
        (failed, codes(&f)),
        (false, vec!["OB808".to_string()]),
        "{f:?}"
    );
    let (failed, f) = s2.gate("2026-12-21");
    assert_eq!(
        (failed, codes(&f)),
        (true, vec!["OB809".to_string()]),
        "{f:?}"
    );
    postmortem(
        &s2,
        &id2,
        "全員が時刻設定の変更時に確認を徹底する",
        "RB-NOPE",
        "done",
        "2027-01-01",
    );
    let (failed, f) = s2.gate("2026-11-29");
    assert_eq!(
        (failed, codes(&f)),
        (
            true,
            vec![
                "OB805".to_string(),
                "OB806".to_string(),
                "OB807".to_string()
            ]
        ),
        "{f:?}"
    );
    // `actions` lists open items with their overdue days.
    postmortem(
        &s2,
        &id2,
        "Add the drift check step to the time runbook",
        "RB-PLAT-TIME-DRIFT",
        "in_progress",
        "2026-12-06",
    );
    let a = learn::actions(
        s2.at("2026-12-10T00:00:00Z"),
        "2026-12-10".parse().unwrap(),
        false,
    )
    .unwrap();
    assert_eq!(a.overdue, 1);
    assert_eq!(a.items[0].days_overdue, 4);
    assert_eq!(a.items[0].incident, id2);
}

#[test]
fn postmortem_new_drafts_from_events_and_check_blocks_the_draft() {
    let s = Ssot::new();
    let mut req = stated("Clock drift", "P1", "orders rejected");
    req.detected = Some("2026-11-29T02:12:00Z".into());
    let id = inc::open(s.at("2026-11-29T02:15:00Z"), &req).unwrap().id;
    inc::change_status(
        s.at("2026-11-29T02:17:00Z"),
        &id,
        Status::Acked,
        "acknowledged",
        Some("op"),
    )
    .unwrap();
    inc::decide(
        s.at("2026-11-29T02:19:00Z"),
        &id,
        "resync first",
        "cheapest safe step",
        &[],
        None,
        false,
    )
    .unwrap();
    learn::draft(s.at("2026-11-30T00:00:00Z"), &id, "Aiko").unwrap();
    let text = std::fs::read_to_string(s.path(&format!("incidents/{id}/postmortem.md"))).unwrap();
    assert!(text.contains("incident_id: INC-20261129-001"), "{text}");
    assert!(
        text.contains("| Acknowledged | 2026-11-29T02:17:00.000Z | 5m 00s |"),
        "{text}"
    );
    assert!(text.contains("resync first — cheapest safe step"), "{text}");
    let c = learn::check(s.ctx(), &id, "2026-11-30".parse().unwrap()).unwrap();
    assert!(!c.ok);
    assert!(
        c.draft_problems
            .iter()
            .any(|p| p.contains("TODO placeholders")),
        "{:?}",
        c.draft_problems
    );
    // Never overwritten.
    invalid(learn::draft(s.ctx(), &id, "Aiko"), "never overwritten");
}

/// Found by a first-time user: ambiguous short IDs, refusals that are not
/// usage errors, a postmortem of another incident, early drafts, odd input.
#[test]
fn first_user_findings_stay_fixed() {
    let s = Ssot::new();
    let a = inc::open(s.at("2026-11-29T23:00:00Z"), &stated("a", "P1", "r"))
        .unwrap()
        .id;
    let b = inc::open(s.at("2026-11-30T01:00:00Z"), &stated("b", "P2", "r"))
        .unwrap()
        .id;
    invalid(
        views::show(s.at("2026-11-30T01:01:00Z"), "001"),
        &format!("matches 2 incidents ({a}, {b})"),
    );
    // A step the incident's state refuses is a refusal, like a guard.
    refused(
        inc::accept(
            s.at("2026-11-30T01:02:00Z"),
            &b,
            answers(&["time_ok=pass:x"]),
        ),
        "is OPEN: recovery acceptance is answered while MITIGATING or MONITORING",
    );
    inc::change_status(
        s.at("2026-11-30T01:03:00Z"),
        &b,
        Status::Cancelled,
        "mistake",
        None,
    )
    .unwrap();
    refused(
        inc::attach(
            s.at("2026-11-30T01:04:00Z"),
            &b,
            "EVB-1",
            Some(&"ab".repeat(32)),
            None,
        ),
        "is CANCELLED",
    );
    inc::change_status(
        s.at("2026-11-30T01:04:00Z"),
        &a,
        Status::Acked,
        "x",
        Some("op"),
    )
    .unwrap();
    refused(
        inc::change_status(
            s.at("2026-11-30T01:05:00Z"),
            &a,
            Status::Acked,
            "acknowledged",
            Some("op"),
        ),
        "it is already ACKED",
    );
    // An early draft does not turn the gate red; a draft of a closed incident would.
    learn::draft(s.at("2026-11-30T01:06:00Z"), &a, "op").unwrap();
    let (failed, f) = s.gate("2026-11-30");
    assert!(!failed, "{f:?}");
    // A postmortem naming another incident, or another severity, does not pass.
    postmortem(
        &s,
        &a,
        "Add a drift check step before restarting the gateway",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    );
    let c = learn::check(
        s.at("2026-11-30T01:07:00Z"),
        &a,
        "2026-11-30".parse().unwrap(),
    )
    .unwrap();
    assert!(!c.ok);
    assert!(
        c.mismatch
            .iter()
            .any(|m| m.contains("severity is P0, but INC-20261129-001 is P1")),
        "{:?}",
        c.mismatch
    );
    // Odd input is refused with the reason.
    invalid(
        inc::scope(
            s.at("2026-11-30T01:08:00Z"),
            &a,
            &ScopeRequest {
                detected: Some("0001-01-01T00:00:00Z".into()),
                ..ScopeRequest::default()
            },
        ),
        "more than a year ago",
    );
    invalid(
        inc::open(s.ctx(), &stated("two\nlines", "P2", "r")),
        "must be one line",
    );
    invalid(
        inc::open(
            s.ctx(),
            &OpenRequest {
                title: "t".into(),
                severity: SeverityInput {
                    facts: vec!["mode=live".into(), "mode=paper".into()],
                    ..SeverityInput::default()
                },
                ..OpenRequest::default()
            },
        ),
        "stated twice",
    );
    inc::change_severity(s.at("2026-11-30T01:09:00Z"), &a, Some("P0"), &[], None).unwrap();
}
