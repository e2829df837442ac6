#![allow(clippy::unwrap_used)]
//! Incidents as library tests (moved down from the CLI's scenario tests,
//! issue 12): the lifecycle and its guards (D-ORDER), links, merges,
//! severity, corrections, postmortems and their action items, the report.
//! No process is started; time is a [`ManualClock`] set per step.

mod common;

use common::{Ssot, answers, invalid, postmortem, refused, stated, write};
use opsbook_core::incident::Status;
use opsbook_ops::incident::{self as inc, OpenRequest, Relation, ScopeRequest, SeverityInput};
use opsbook_ops::{learn, views};

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
