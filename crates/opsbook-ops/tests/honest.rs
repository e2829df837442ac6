#![allow(clippy::unwrap_used)]
//! Issue 13 items 6, 9 and 11 on the operations layer: the `p0` walker
//! records only what happened, opens the incident at its step and resumes;
//! confirmations are numbered 1, 2, 3 and closed when abandoned or
//! expired, and the cooling-off says when it ends; a postmortem edited
//! after close is caught until amended; drill evidence must exist; long
//! texts are refused with the field, the length and the limit.

mod common;

use common::{Ssot, invalid, refused, write};
use opsbook_core::clock::Clock;
use opsbook_core::incident::Status;
use opsbook_core::layout::LedgerFile;
use opsbook_ops::confirm::{self, Answers, ConfirmRequest, FileAnswers, Question};
use opsbook_ops::halt;
use opsbook_ops::incident::{self as inc, LogKind, OpenRequest, SeverityInput};
use opsbook_ops::safety::{self, SetRequest};
use opsbook_ops::{OpsError, drill, learn};
use serde_json::{Value, json};

fn kinds(path: &std::path::Path) -> Vec<String> {
    opsbook_core::ledger::read(path)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn steps_of(s: &Ssot, id: &str) -> Vec<(String, String)> {
    opsbook_core::ledger::read(&s.ctx().layout.incident_events(id))
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "runbook_step")
        .map(|e| {
            (
                e.data["step"].to_string().trim_matches('"').to_string(),
                e.data["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn p0_answers(steps: &[(u32, &str)]) -> FileAnswers {
    let mut m = serde_json::Map::new();
    for (n, r) in steps {
        m.insert(
            n.to_string(),
            json!({"result": r, "note": format!("step {n} seen")}),
        );
    }
    FileAnswers::new(json!({ "steps": m }))
}

fn incident_ids(s: &Ssot) -> Vec<String> {
    s.ctx().store().unwrap().ids().unwrap()
}

fn halted(s: &Ssot, now: &str, id: Option<&str>) {
    safety::set_state(
        s.at(now),
        &SetRequest {
            to: "HALTED".into(),
            reason: "kill switch engaged by hand".into(),
            evidence: None,
            source: opsbook_core::safety::Source::Operator,
            incident: id.map(str::to_string),
            manual: true,
        },
    )
    .unwrap();
}

// ------------------------------------------------------------------ p0

/// Step 2 opens the incident (not before; step 1 is recorded with it);
/// step 3 answered done while the safety ledger shows NORMAL is not
/// recorded and the walk stops there; once HALTED, a second walk resumes
/// at step 3 and says so; a third finds nothing left.
#[test]
fn p0_records_only_what_happened_opens_at_step_2_and_resumes() {
    let s = Ssot::new();
    let mut a = p0_answers(&[(1, "done"), (2, "done"), (3, "done"), (4, "done")]);
    let w = halt::p0(
        s.at("2026-11-29T03:10:00Z"),
        None,
        "P0: orders stuck",
        &mut a,
    )
    .unwrap();
    let id = w.incident.clone().expect("opened at step 2");
    assert!(w.opened);
    assert_eq!(w.steps_recorded, 2);
    assert_eq!(
        w.not_done,
        Some(halt::NotDone {
            step: "3".into(),
            expected: "HALTED".into(),
            found: "NORMAL".into(),
        })
    );
    assert_eq!(w.next_step.as_deref(), Some("3"));
    assert_eq!(
        steps_of(&s, &id),
        [("1".into(), "done".into()), ("2".into(), "done".into())]
    );
    assert_eq!(
        kinds(&s.ctx().layout.incident_events(&id))[..3],
        ["opened", "runbook_step", "runbook_step"]
    );
    let said = a.said().join("\n");
    assert!(
        said.contains("not opened yet (step 2 opens it)")
            && said.contains("Step 3 is not done: ledger/safety.jsonl shows NORMAL"),
        "{said}"
    );
    // Only one incident: the walk opened it at step 2.
    assert_eq!(incident_ids(&s), std::slice::from_ref(&id));

    halted(&s, "2026-11-29T03:12:00Z", Some(&id));
    // Step 9's records, which step 10 (validation) checks.
    scope_and_decision(&s, "2026-11-29T03:12:30Z", &id);
    let all: Vec<(u32, &str)> = (1..=10).map(|n| (n, "done")).collect();
    let mut a = p0_answers(&all);
    let w = halt::p0(s.at("2026-11-29T03:13:00Z"), None, "ignored", &mut a).unwrap();
    assert_eq!(w.incident.as_deref(), Some(id.as_str()));
    assert!(!w.opened);
    assert_eq!(w.resumed_at.as_deref(), Some("3"));
    assert_eq!(w.steps_recorded, 8);
    assert_eq!(w.next_step, None);
    assert_eq!(w.not_done, None);
    let said = a.said().join("\n");
    assert!(
        said.contains(&format!(
            "resuming {id} at step 3: step(s) 1, 2 already done"
        )),
        "{said}"
    );
    assert!(
        !said.contains("\nStep 1 (") && !said.contains("\nStep 2 (") && said.contains("\nStep 3 ("),
        "done steps are not asked again: {said}"
    );
    let steps: Vec<String> = steps_of(&s, &id).into_iter().map(|(n, _)| n).collect();
    assert_eq!(steps, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    assert_eq!(incident_ids(&s).len(), 1);

    let mut a = p0_answers(&all);
    let w = halt::p0(s.at("2026-11-29T03:20:00Z"), Some(&id), "x", &mut a).unwrap();
    assert_eq!((w.steps_recorded, w.next_step), (0, None));
    assert!(
        a.said().join("\n").contains("every step of"),
        "{:?}",
        a.said()
    );
}

/// Quitting before step 2 records nothing and opens nothing; skipping
/// step 2 (the one that opens the incident) stops the walk there.
#[test]
fn p0_quit_or_skip_before_the_incident_opens_nothing() {
    let s = Ssot::new();
    let mut a = p0_answers(&[(1, "quit")]);
    let w = halt::p0(s.at("2026-11-29T03:10:00Z"), None, "t", &mut a).unwrap();
    assert_eq!((w.incident, w.steps_recorded), (None, 0));
    assert_eq!(w.next_step.as_deref(), Some("1"));
    let mut a = p0_answers(&[(1, "done"), (2, "skipped")]);
    let w = halt::p0(s.at("2026-11-29T03:11:00Z"), None, "t", &mut a).unwrap();
    assert_eq!((w.incident, w.steps_recorded), (None, 0));
    assert_eq!(w.next_step.as_deref(), Some("2"));
    assert!(incident_ids(&s).is_empty());
}

/// Step 9's records: a scope and a decision with its reason.
fn scope_and_decision(s: &Ssot, now: &str, id: &str) {
    inc::log(
        s.at(now),
        id,
        LogKind::Scope,
        "Binance spot; not: market data",
        None,
    )
    .unwrap();
    inc::log(
        s.at(now),
        id,
        LogKind::Decision,
        "Stay HALTED; continue with RB-PLAT-TIME-DRIFT",
        Some("clock drift suspected"),
    )
    .unwrap();
}

/// With the platform already HALTED for an open incident, the walk uses
/// that incident (no second P0) and step 3 is done. An answers file that
/// stops after step 3 stops the walk cleanly before step 4 (issue 13):
/// steps 1–3 recorded whole, nothing of step 4, and where it stopped is
/// said; the same file with the rest resumes at step 4.
#[test]
fn p0_uses_the_incident_the_platform_is_halted_for() {
    let s = Ssot::new();
    let h = halt::halt(s.at("2026-11-29T03:00:00Z"), "orders stuck", None, true).unwrap();
    let id = h.incident.unwrap();
    let all: Vec<(u32, &str)> = (1..=3).map(|n| (n, "done")).collect();
    let mut a = p0_answers(&all);
    let w = halt::p0(s.at("2026-11-29T03:05:00Z"), None, "t", &mut a).unwrap();
    assert_eq!(w.unanswered.as_deref(), Some("4"));
    assert_eq!(w.next_step.as_deref(), Some("4"));
    assert_eq!(w.steps_recorded, 3);
    assert!(
        a.said().join("\n").contains(
            "The answers file has no answer for step 4 (`steps.4`): the walk stops before it."
        ),
        "{:?}",
        a.said()
    );
    assert_eq!(incident_ids(&s), std::slice::from_ref(&id));
    assert_eq!(steps_of(&s, &id).len(), 3);
    // Resumed with the rest: steps 4.. only, nothing rewritten.
    let rest: Vec<(u32, &str)> = (4..=8).map(|n| (n, "done")).collect();
    let mut a = p0_answers(&rest);
    let w = halt::p0(s.at("2026-11-29T03:06:00Z"), Some(&id), "t", &mut a).unwrap();
    assert_eq!(w.resumed_at.as_deref(), Some("4"));
    assert_eq!(w.unanswered.as_deref(), Some("9"));
    let steps: Vec<String> = steps_of(&s, &id).into_iter().map(|(n, _)| n).collect();
    assert_eq!(steps, ["1", "2", "3", "4", "5", "6", "7", "8"]);
}

/// A skipped step is asked again on resume, and skipping it again writes
/// nothing new; step 10 (validation) answered done without a scope and a
/// decision on record is not recorded, the walk says what is missing and
/// stops; with them recorded it is done (issue 13).
#[test]
fn p0_skipped_steps_are_not_rewritten_and_step_10_needs_scope_and_decision() {
    let s = Ssot::new();
    let h = halt::halt(s.at("2026-11-29T03:00:00Z"), "orders stuck", None, true).unwrap();
    let id = h.incident.unwrap();
    let mut first: Vec<(u32, &str)> = (1..=10).map(|n| (n, "done")).collect();
    first[4] = (5, "skipped");
    let mut a = p0_answers(&first);
    let w = halt::p0(s.at("2026-11-29T03:05:00Z"), None, "t", &mut a).unwrap();
    assert_eq!(
        w.unmet,
        Some(halt::Unmet {
            step: "10".into(),
            missing: vec![
                "a scope declaration (what is affected and what is not)".into(),
                "a decision with its reason".into()
            ],
        })
    );
    let said = a.said().join("\n");
    assert!(
        said.contains("Step 10 is not done: the record lacks a scope declaration"),
        "{said}"
    );
    let steps = steps_of(&s, &id);
    assert_eq!(steps.len(), 9, "step 10 not recorded: {steps:?}");
    assert_eq!(steps[4], ("5".into(), "skipped".into()));
    // Resume: 5 skipped again (nothing new), 10 still unmet.
    let mut a = p0_answers(&first);
    let w = halt::p0(s.at("2026-11-29T03:06:00Z"), Some(&id), "t", &mut a).unwrap();
    assert_eq!(w.steps_recorded, 0);
    assert!(w.unmet.is_some());
    assert_eq!(steps_of(&s, &id).len(), 9);
    // With the scope and the decision recorded, step 10 is done.
    scope_and_decision(&s, "2026-11-29T03:07:00Z", &id);
    let mut a = p0_answers(&first);
    let w = halt::p0(s.at("2026-11-29T03:08:00Z"), Some(&id), "t", &mut a).unwrap();
    assert_eq!((w.steps_recorded, w.unmet), (1, None));
    let steps = steps_of(&s, &id);
    assert_eq!(steps.last().unwrap(), &("10".into(), "done".into()));
    assert_eq!(
        steps.iter().filter(|(n, _)| n == "5").count(),
        1,
        "the skipped step is recorded once: {steps:?}"
    );
}

// ------------------------------------------------------------- confirm

fn fit(target: &str) -> FileAnswers {
    let text = opsbook_testkit::ssot::confirm_answers(target, 8);
    FileAnswers::new(opsbook_core::yaml::parse(&text).unwrap().value)
}

fn req(op: &str, target: &str) -> ConfirmRequest {
    ConfirmRequest {
        operation: op.into(),
        target: Some(target.into()),
        incident: None,
        override_reason: None,
        // These tests confirm inside HALTED's dwell on purpose (numbering,
        // closing, the cooling-off): the explicit flag (see tests/dwell.rs).
        before_dwell: true,
    }
}

/// IDs are 1, 2, 3 whatever the number of answers; a confirmation started
/// and never finished is closed as abandoned when the next of the same
/// action starts; a passed one never used is closed as expired; `status`
/// shows each.
#[test]
fn confirmations_are_numbered_in_order_and_abandoned_or_expired_ones_are_closed() {
    let s = Ssot::new();
    s.cooling_off(60);
    halted(&s, "2026-11-29T12:00:00Z", None);
    // Started, then the answers run out: never answered to the end.
    let mut short = FileAnswers::new(json!({"hours_awake": 8}));
    invalid(
        confirm::confirm(
            s.at("2026-11-29T12:01:00Z"),
            &req("release_halt", "RECOVERING"),
            &mut short,
        ),
        "hours_slept",
    );
    let c = confirm::confirm(
        s.at("2026-11-29T12:02:00Z"),
        &req("release_halt", "RECOVERING"),
        &mut fit("RECOVERING"),
    )
    .unwrap();
    assert_eq!(c.confirmation, "CNF-2");
    let log = s.ctx().layout.ledger(LedgerFile::Confirmations);
    let events = opsbook_core::ledger::read(&log).unwrap();
    let abandoned = events
        .iter()
        .find(|e| e.kind == "confirmation_abandoned")
        .expect("CNF-1 closed");
    assert_eq!(abandoned.data["confirmation"], "CNF-1");
    assert!(
        abandoned.data["why"]
            .as_str()
            .unwrap()
            .contains("CNF-2 of the same action (release_halt) started"),
        "{}",
        abandoned.data
    );
    let second_start = events
        .iter()
        .rposition(|e| e.kind == "confirmation_started")
        .unwrap();
    assert_eq!(events[second_start].data["confirmation"], "CNF-2");
    assert_eq!(
        events[second_start - 1].kind,
        "confirmation_abandoned",
        "closed in the same write, just before"
    );
    // CNF-2 is never used; 20 min later (valid 15) it has expired.
    let st = confirm::status(s.at("2026-11-29T12:30:00Z")).unwrap();
    let by_id = |l: &confirm::StatusList, id: &str| {
        l.confirmations
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .unwrap()
    };
    let two = by_id(&st, "CNF-2");
    assert_eq!(two.status, opsbook_core::confirm::Status::Expired);
    assert!(two.pending_close);
    let mut wrong = fit("RECOVERIN");
    refused(
        confirm::confirm(
            s.at("2026-11-29T12:30:00Z"),
            &req("release_halt", "RECOVERING"),
            &mut wrong,
        ),
        "target mismatch",
    );
    let events = opsbook_core::ledger::read(&log).unwrap();
    let expired = events
        .iter()
        .find(|e| e.kind == "confirmation_expired")
        .expect("CNF-2 closed");
    assert_eq!(expired.data["confirmation"], "CNF-2");
    assert_eq!(expired.data["valid_until"], "2026-11-29T12:18:00.000Z");
    let st = confirm::status(s.ctx()).unwrap();
    let ids: Vec<(&str, &str)> = st
        .confirmations
        .iter()
        .map(|c| (c.id.as_str(), c.status.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("CNF-3", "refused"),
            ("CNF-2", "expired"),
            ("CNF-1", "abandoned")
        ]
    );
    assert!(st.confirmations.iter().all(|c| !c.pending_close));
    // No confirmation usable any more.
    refused(
        confirm::require(s.ctx(), "release_halt", "RECOVERING"),
        "needs a passed one-person high-danger confirmation",
    );
}

/// A ledger written before issue 13 (IDs from line numbers, e.g. CNF-6)
/// numbers on from the highest: no ID is given twice.
#[test]
fn numbering_goes_on_after_the_highest_legacy_id() {
    use opsbook_core::ledger::Event;
    let ev = |seq: u64, kind: &str, data: Value| Event {
        seq,
        ts: "2026-11-29T00:00:00.000Z".into(),
        actor: opsbook_core::ledger::Actor {
            user: "op".into(),
            host: "H".into(),
            name: None,
        },
        kind: kind.into(),
        data,
        prev_hash: None,
        hash: String::new(),
    };
    assert_eq!(opsbook_core::confirm::next_id(&[]), "CNF-1");
    let legacy = [
        ev(1, "confirmation_started", json!({"operation": "a"})),
        ev(2, "confirmation_refused", json!({"confirmation": "CNF-1"})),
        ev(6, "confirmation_started", json!({"operation": "a"})),
    ];
    assert_eq!(opsbook_core::confirm::next_id(&legacy), "CNF-7");
    let mut mixed = legacy.to_vec();
    mixed.push(ev(
        7,
        "confirmation_started",
        json!({"confirmation": "CNF-7", "operation": "a"}),
    ));
    assert_eq!(opsbook_core::confirm::next_id(&mixed), "CNF-8");
}

/// A person at a terminal: the cooling-off says when it ends (UTC and
/// seconds); typed too early, it says so with the exact end and the
/// command to re-run, waits, then rings (BEL) when it is over.
struct Live {
    target: String,
    said: Vec<String>,
}

impl Answers for Live {
    fn ask(&mut self, q: Question<'_>) -> Result<String, OpsError> {
        let p = q.prompt;
        Ok(if p.contains("hours awake") {
            "8".into()
        } else if p.contains("slept") {
            "7".into()
        } else if p.contains("on this problem") {
            "1".into()
        } else if p.contains("(y/n)") {
            "y".into()
        } else if p.contains("target") || p.contains("Target") {
            self.target.clone()
        } else if p.contains("Why now") {
            "reconciliation clean twice".into()
        } else {
            String::new()
        })
    }
    fn say(&mut self, text: &str) {
        self.said.push(text.to_string());
    }
    fn live(&self) -> bool {
        true
    }
}

#[test]
fn the_cooling_off_says_when_it_ends_and_rings_when_it_is_over() {
    let s = Ssot::new();
    s.cooling_off(90);
    halted(&s, "2026-11-29T12:00:00Z", None);
    let mut live = Live {
        target: "RECOVERING".into(),
        said: Vec::new(),
    };
    let c = confirm::confirm(
        s.at("2026-11-29T12:10:00Z"),
        &req("release_halt", "RECOVERING"),
        &mut live,
    )
    .unwrap();
    assert_eq!(c.confirmation, "CNF-1");
    let said = live.said.join("\n");
    assert!(
        said.contains(
            "Cooling-off 90 s: it ends at 2026-11-29T12:11:30.000Z (UTC), 90 s from now."
        ),
        "{said}"
    );
    assert!(
        said.contains(
            "Too early: the cooling-off ends at 2026-11-29T12:11:30.000Z (UTC), 90 s from now."
        ) && said.contains("run `opsbook confirm release_halt --target RECOVERING` again"),
        "{said}"
    );
    assert!(
        said.contains("\u{7}Cooling-off over (2026-11-29T12:11:30.000Z UTC)"),
        "{said}"
    );
    // The early typing is recorded, and the clock waited out the rest.
    let events =
        opsbook_core::ledger::read(&s.ctx().layout.ledger(LedgerFile::Confirmations)).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.data["step"] == "cooling_off" && e.data["answer"] == "RECOVERING")
    );
    assert_eq!(s.clock.now().to_string(), "2026-11-29T12:11:30Z");
}

// ---------------------------------------------------------- postmortem

/// A P2 incident worked to RESOLVED (its log written as the incident
/// commands write it; closing is the operation under test).
fn resolved_p2(s: &Ssot) -> String {
    let id = "INC-20261129-001";
    let path = s.ctx().layout.incident_events(id);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let sha = "ab".repeat(32);
    let events = [
        (
            "opened",
            json!({"title": "Clock drift warning", "severity": "P2", "reason": "ClockDriftWarning fired"}),
        ),
        (
            "status_changed",
            json!({"from": "OPEN", "to": "ACKED", "reason": "ack", "commander": "Aiko"}),
        ),
        (
            "safety_decision",
            json!({"to": "NORMAL", "reason": "a warning only", "decision": "stay NORMAL"}),
        ),
        (
            "status_changed",
            json!({"from": "ACKED", "to": "MITIGATING", "reason": "resync"}),
        ),
        (
            "status_changed",
            json!({"from": "MITIGATING", "to": "MONITORING", "reason": "offset 12 ms"}),
        ),
        (
            "evidence_attached",
            json!({"ref": "w32tm.txt", "sha256": sha, "kind": "file"}),
        ),
        (
            "recovery_acceptance",
            json!({"checks": [{"id": "time_ok", "result": "pass", "evidence": "w32tm.txt"}], "passed": true}),
        ),
        (
            "status_changed",
            json!({"from": "MONITORING", "to": "RESOLVED", "reason": "accepted"}),
        ),
    ];
    for (i, (kind, data)) in events.into_iter().enumerate() {
        let ts = jiff::Timestamp::from_second(
            "2026-11-29T02:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_second()
                + 60 * i as i64,
        )
        .unwrap();
        opsbook_core::ledger::append_at(&path, &s.ctx().actor, kind, data, ts).unwrap();
    }
    id.to_string()
}

/// Closing records the postmortem's SHA-256; an edit after close fails
/// the gate's OB812 (naming the file and the command) until it is
/// recorded with `amend`, which corrects the earlier record with the
/// reason.
#[test]
fn a_postmortem_edited_after_close_fails_the_gate_until_amended() {
    let s = Ssot::new();
    let id = resolved_p2(&s);
    let pm_text = opsbook_testkit::ssot::postmortem(
        &id,
        "Add a step that checks w32tm /query /status before restarting OrderGateway",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    )
    .replace("severity: P0", "severity: P2");
    let pm = write(&s.root, &format!("incidents/{id}/postmortem.md"), &pm_text);
    // Amending before close is refused: closing records it.
    invalid(
        learn::amend(s.at("2026-11-29T03:01:00Z"), &id, "x"),
        "a postmortem is amended after CLOSED",
    );
    inc::change_status(
        s.at("2026-11-29T03:05:00Z"),
        &id,
        Status::Closed,
        "reviewed",
        None,
    )
    .unwrap();
    let sha0 = opsbook_evidence::bundle::file_sha256(&pm).unwrap();
    let (_, f) = s.gate("2026-11-29");
    assert!(!f.iter().any(|f| f.0 == "OB812"), "{f:?}");
    invalid(
        learn::amend(s.at("2026-11-29T03:06:00Z"), &id, "nothing"),
        "is unchanged since it was recorded",
    );
    // Edited a week later, silently.
    std::fs::write(
        &pm,
        pm_text.replace("# Postmortem", "# Postmortem\r\n\r\nLate finding."),
    )
    .unwrap();
    let sha1 = opsbook_evidence::bundle::file_sha256(&pm).unwrap();
    let (failed, f) = s.gate("2026-12-06");
    let ob812: Vec<_> = f.iter().filter(|f| f.0 == "OB812").collect();
    assert!(failed);
    assert_eq!(ob812.len(), 1, "{f:?}");
    assert_eq!(
        ob812[0].2,
        format!(
            "incidents/{id}/postmortem.md was edited after {id} was closed: its SHA-256 is {sha1}, the log recorded {sha0}"
        )
    );
    invalid(
        learn::amend(s.at("2026-12-06T10:00:00Z"), &id, " "),
        "--reason is empty",
    );
    let a = learn::amend(s.at("2026-12-06T10:00:00Z"), &id, "late finding added").unwrap();
    assert_eq!(
        (a.previous_sha256.as_str(), a.sha256.as_str()),
        (sha0.as_str(), sha1.as_str())
    );
    let kinds: Vec<&str> = a.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["correction", "postmortem_attached"]);
    assert_eq!(a.events[0].data["reason"], "late finding added");
    let (_, f) = s.gate("2026-12-06");
    assert!(!f.iter().any(|f| f.0 == "OB812" || f.0 == "OB803"), "{f:?}");
}

// --------------------------------------------------------------- drills

/// `drill record --evidence` names a bundle recorded in the custody
/// ledger or a file that exists; anything else is refused, nothing written.
#[test]
fn drill_evidence_must_exist() {
    let s = Ssot::new();
    let rec = |evidence: &str| drill::RecordRequest {
        drill: "DR-HALT-EVIDENCE".into(),
        passed: true,
        evidence: evidence.into(),
        date: "2026-11-29".parse().unwrap(),
        notes: None,
    };
    let drills = s.ctx().layout.ledger(LedgerFile::Drills);
    invalid(
        drill::record(s.at("2026-11-29T04:00:00Z"), &rec("EVB-7")),
        "--evidence EVB-7: no such bundle in ledger/custody.jsonl",
    );
    invalid(
        drill::record(s.ctx(), &rec("notes/halt-drill.txt")),
        "--evidence notes/halt-drill.txt: neither a bundle ID",
    );
    assert!(!drills.exists(), "nothing written");
    write(&s.root, "notes/halt-drill.txt", "HALT drill ok\n");
    drill::record(s.ctx(), &rec("notes/halt-drill.txt")).unwrap();
    assert_eq!(kinds(&drills), ["drill_recorded"]);
}

// ---------------------------------------------------------- long texts

/// Titles over 200 characters and free texts over 4 KiB are refused with
/// the field, the length and the limit; nothing is written (a safety
/// reason is checked before anything happens); the limits themselves pass.
#[test]
fn long_texts_are_refused_naming_the_field_the_length_and_the_limit() {
    use opsbook_ops::limits::{TEXT_MAX_BYTES, TITLE_MAX_CHARS};
    assert_eq!((TITLE_MAX_CHARS, TEXT_MAX_BYTES), (200, 4096));
    let s = Ssot::new();
    let open = |title: String| OpenRequest {
        title,
        severity: SeverityInput {
            stated: Some("P2".into()),
            reason: Some("seen".into()),
            ..SeverityInput::default()
        },
        ..OpenRequest::default()
    };
    invalid(
        inc::open(s.at("2026-11-29T03:00:00Z"), &open("x".repeat(201))),
        "the title is 201 characters long; the limit is 200 characters",
    );
    assert!(incident_ids(&s).is_empty());
    // 200 characters of three bytes each: characters count, not bytes.
    let id = inc::open(s.ctx(), &open("時".repeat(200))).unwrap().id;
    let e = invalid(
        inc::log(s.ctx(), &id, LogKind::Note, &"a".repeat(4097), None),
        "the text is 4097 bytes long; the limit is 4096 bytes (4 KiB)",
    );
    assert!(e.to_string().contains("nothing was written"), "{e}");
    inc::log(s.ctx(), &id, LogKind::Note, &"a".repeat(4096), None).unwrap();
    invalid(
        inc::decide(
            s.ctx(),
            &id,
            "stay halted",
            &"r".repeat(5000),
            &[],
            None,
            true,
        ),
        "the reason is 5000 bytes long",
    );
    let before = kinds(&s.ctx().layout.incident_events(&id));
    assert_eq!(before, ["opened", "note"]);
    // A safety transition: refused before the hook runs.
    let marker = common::marker_hook(&s, "SAFE_MODE");
    invalid(
        safety::set_state(
            s.ctx(),
            &SetRequest {
                to: "SAFE_MODE".into(),
                reason: "y".repeat(4097),
                evidence: None,
                source: opsbook_core::safety::Source::Operator,
                incident: None,
                manual: false,
            },
        ),
        "the reason is 4097 bytes long; the limit is 4096 bytes",
    );
    assert!(!marker.exists(), "the hook did not run");
    assert!(!s.ctx().layout.ledger(LedgerFile::Safety).exists());
    // A halt reason too: nothing happens, no incident.
    invalid(
        halt::halt(s.ctx(), &"z".repeat(4100), None, true),
        "the reason is 4100 bytes long",
    );
    assert_eq!(incident_ids(&s).len(), 1);
}
