#![allow(clippy::unwrap_used)]
//! Learning from incidents as library tests: the gate over incident logs
//! written around the guards, postmortem drafts and their checks, and the
//! first users' findings that must stay fixed (split from `incidents.rs`).

mod common;

use common::{Ssot, answers, invalid, postmortem, refused, stated};
use opsbook_core::incident::Status;
use opsbook_ops::incident::{self as inc, OpenRequest, ScopeRequest, SeverityInput};
use opsbook_ops::{learn, views};

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
