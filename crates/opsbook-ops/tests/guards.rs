#![allow(clippy::unwrap_used)]
//! Issue 13, the guards that must mean what they say, on the operations
//! layer: an incident that held the platform (HALTED, SAFE_MODE) is
//! RESOLVED only after RECOVERING and its dwell; `time_ok` takes a clock
//! check measured after recovery began; `cause_mitigated` takes a bundle
//! sealed after MITIGATING; a draft postmortem does not close; the
//! checklist offers what opsbook would accept; attaching twice records
//! once; `halt` with no hook says nothing was stopped.

mod common;

use common::{Ssot, refused, write};
use opsbook_core::event::safety::Switched;
use opsbook_core::incident::Status;
use opsbook_ops::evidence::{self, CollectRequest};
use opsbook_ops::incident::{self as inc, OpenRequest, SeverityInput};
use opsbook_ops::safety::{self, SetRequest};
use opsbook_ops::{acceptance, halt};

fn answers<S: AsRef<str>>(list: &[S]) -> Vec<opsbook_core::incident::CheckAnswer> {
    list.iter()
        .map(|a| inc::parse_check(a.as_ref()).unwrap())
        .collect()
}

fn set(to: &str, reason: &str, id: &str) -> SetRequest {
    SetRequest {
        to: to.into(),
        reason: reason.into(),
        evidence: None,
        source: opsbook_core::safety::Source::Operator,
        incident: Some(id.into()),
        manual: false,
    }
}

/// An incident opened at `now` with a stated severity; its ID.
fn opened(s: &Ssot, now: &str, title: &str, sev: &str, reason: &str) -> String {
    inc::open(
        s.at(now),
        &OpenRequest {
            title: title.into(),
            severity: SeverityInput {
                stated: Some(sev.into()),
                reason: Some(reason.into()),
                ..SeverityInput::default()
            },
            ..OpenRequest::default()
        },
    )
    .unwrap()
    .id
}

/// A P1 whose safety decision put the platform in SAFE_MODE at 02:01,
/// MONITORING with evidence attached at 02:05.
fn held_p1(s: &Ssot) -> String {
    let id = opened(
        s,
        "2026-11-29T02:00:00Z",
        "Positions unknown after reconnect",
        "P1",
        "order state unknown",
    );
    inc::change_status(
        s.at("2026-11-29T02:00:30Z"),
        &id,
        Status::Acked,
        "ack",
        Some("op"),
    )
    .unwrap();
    inc::decide(
        s.at("2026-11-29T02:01:00Z"),
        &id,
        "reduce only",
        "positions unknown",
        &[],
        Some("SAFE_MODE"),
        false,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:02:00Z"),
        &id,
        Status::Mitigating,
        "resync positions",
        None,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:04:00Z"),
        &id,
        Status::Monitoring,
        "positions match",
        None,
    )
    .unwrap();
    inc::attach(
        s.at("2026-11-29T02:05:00Z"),
        &id,
        "EVB-20261129-0205",
        Some(&"ab".repeat(32)),
        None,
    )
    .unwrap();
    id
}

fn collect(s: &Ssot, now: &str, id: &str) -> String {
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
            dest: vec![s.path("opsbook.toml/not-a-dir").display().to_string()],
            spool: Some(s.path("spool")),
            clock_reference: Some("none".into()),
            tool_version: "test".into(),
            ..CollectRequest::default()
        },
        &mut |_: usize, _: usize, _: &str| {},
    )
    .unwrap()
    .bundle_id
}

/// Item 5: while the platform is still SAFE_MODE for the incident, the
/// `recovering_dwell` answer is refused with the step that starts
/// recovery; RECOVERING before its dwell is refused with the time; an
/// acceptance that passed while RECOVERING does not let the incident be
/// RESOLVED once the platform was escalated back; back at RECOVERING for
/// its whole dwell (or at NORMAL after it) it is RESOLVED.
#[test]
fn resolved_after_a_hold_waits_for_recovering_and_its_dwell() {
    let s = Ssot::new();
    let id = held_p1(&s);
    let all = s.accept_all("2026-11-29T02:30:00Z");
    let e = refused(
        inc::accept(s.at("2026-11-29T02:30:00Z"), &id, answers(&all)),
        &format!(
            "recovering_dwell: {id} held the platform in SAFE_MODE since 2026-11-29T02:01:00.000Z (ledger/safety.jsonl #2), and the platform is still SAFE_MODE: recovery has not started"
        ),
    );
    assert_eq!(
        e.next(),
        Some(opsbook_core::next::NextStep::StartRecovery {
            incident: id.clone(),
            from: "SAFE_MODE".into()
        })
    );
    // RECOVERING at 02:31; 10 of 30 minutes at 02:41.
    let entered = s.recover("2026-11-29T02:31:00Z", &id);
    assert_eq!(entered, "2026-11-29T02:31:00.000Z");
    let all = s.accept_all("2026-11-29T02:41:00Z");
    refused(
        inc::accept(s.at("2026-11-29T02:41:00Z"), &id, answers(&all)),
        "recovering_dwell: the platform entered RECOVERING at 2026-11-29T02:31:00.000Z (ledger/safety.jsonl #4); 10 min of its 30 min dwell (policy/degraded.yaml) have passed: answer again at or after 2026-11-29T03:01:00.000Z",
    );
    let all = s.accept_all("2026-11-29T03:01:00Z");
    let a = inc::accept(s.at("2026-11-29T03:01:00Z"), &id, answers(&all)).unwrap();
    assert!(a.passed);
    // Escalated back before RESOLVED: the guard reads the platform again.
    safety::set_state(
        s.at("2026-11-29T03:02:00Z"),
        &set("SAFE_MODE", "drift again", &id),
    )
    .unwrap();
    let e = refused(
        inc::change_status(
            s.at("2026-11-29T03:03:00Z"),
            &id,
            Status::Resolved,
            "acceptance passed",
            None,
        ),
        &format!("RESOLVED: {id} held the platform in SAFE_MODE since 2026-11-29T03:02:00.000Z"),
    );
    assert!(
        e.to_string()
            .contains("the platform is still SAFE_MODE: recovery has not started"),
        "{e}"
    );
    // Recovered again, NORMAL after RECOVERING's dwell: RESOLVED.
    s.recover("2026-11-29T03:20:00Z", &id);
    let all = s.accept_all("2026-11-29T03:50:00Z");
    assert!(
        inc::accept(s.at("2026-11-29T03:50:00Z"), &id, answers(&all))
            .unwrap()
            .passed
    );
    safety::set_state(
        s.at("2026-11-29T03:51:00Z"),
        &SetRequest {
            evidence: Some("EVB-20261129-0351".into()),
            ..set("NORMAL", "acceptance passed", &id)
        },
    )
    .unwrap();
    let r = inc::change_status(
        s.at("2026-11-29T03:52:00Z"),
        &id,
        Status::Resolved,
        "acceptance passed",
        None,
    )
    .unwrap();
    assert_eq!(r.to, Status::Resolved);
    s.ledgers_verify();
}

/// An incident that never held the platform is not held back: it is
/// RESOLVED while the platform is NORMAL, and its `recovering_dwell`
/// note says why there is nothing to wait.
#[test]
fn an_incident_that_never_held_the_platform_has_no_dwell_to_wait() {
    let s = Ssot::new();
    let id = opened(
        &s,
        "2026-11-29T02:00:00Z",
        "Rate limit at 85 %",
        "P2",
        "warning only",
    );
    inc::change_status(
        s.at("2026-11-29T02:01:00Z"),
        &id,
        Status::Acked,
        "ack",
        Some("op"),
    )
    .unwrap();
    inc::decide(
        s.at("2026-11-29T02:02:00Z"),
        &id,
        "keep trading",
        "warning only",
        &[],
        Some("NORMAL"),
        false,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:03:00Z"),
        &id,
        Status::Mitigating,
        "pause REST jobs",
        None,
    )
    .unwrap();
    inc::attach(
        s.at("2026-11-29T02:04:00Z"),
        &id,
        "EVB-20261129-0204",
        Some(&"cd".repeat(32)),
        None,
    )
    .unwrap();
    let all = s.accept_all("2026-11-29T02:05:00Z");
    let a = inc::accept(s.at("2026-11-29T02:05:00Z"), &id, answers(&all)).unwrap();
    let note = a.events[0].data["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "recovering_dwell")
        .unwrap()["note"]
        .clone();
    assert_eq!(
        note,
        format!(
            "verified: the platform is NORMAL (ledger/safety.jsonl) and {id} never held it: no RECOVERING dwell to wait"
        )
    );
    inc::change_status(
        s.at("2026-11-29T02:06:00Z"),
        &id,
        Status::Monitoring,
        "quiet",
        None,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:07:00Z"),
        &id,
        Status::Resolved,
        "quiet",
        None,
    )
    .unwrap();
}

/// Item 2: a clock check measured while the platform was still held (before
/// RECOVERING began for the incident) is refused, naming that moment; one
/// measured after it passes.
#[test]
fn time_ok_needs_a_check_measured_after_recovery_began() {
    let s = Ssot::new();
    let id = held_p1(&s);
    let before = s.accept_all("2026-11-29T02:20:00Z");
    s.recover("2026-11-29T02:21:00Z", &id);
    let mut all = s.accept_all("2026-11-29T02:52:00Z");
    // The TCK of 02:20 (measured while SAFE_MODE) for time_ok.
    all[2].clone_from(&before[2]);
    let e = refused(
        inc::accept(s.at("2026-11-29T02:52:00Z"), &id, answers(&all)),
        "time_ok is not verified: TCK-1 was measured at 2026-11-29T02:20:00.000Z, before",
    );
    assert!(
        e.to_string().contains(&format!(
            "before {id}'s recovery began (the platform entered RECOVERING, ledger/safety.jsonl #4, at 2026-11-29T02:21:00.000Z): measure again now"
        )),
        "{e}"
    );
    let all = s.accept_all("2026-11-29T02:53:00Z");
    assert!(
        inc::accept(s.at("2026-11-29T02:53:00Z"), &id, answers(&all))
            .unwrap()
            .passed
    );
}

/// Item 3: a bundle sealed before the incident reached MITIGATING shows
/// the cause, not its mitigation: refused for `cause_mitigated`, naming
/// the seal; one sealed after it passes, its seal noted.
#[test]
fn cause_mitigated_needs_a_bundle_sealed_after_mitigating() {
    let s = Ssot::new();
    let id = opened(
        &s,
        "2026-11-29T02:00:00Z",
        "Orders rejected -1021",
        "P2",
        "one strategy",
    );
    let early = collect(&s, "2026-11-29T02:01:00Z", &id);
    // Sealed elsewhere, attached from a share before MITIGATING.
    inc::attach(
        s.at("2026-11-29T02:01:30Z"),
        &id,
        "EVB-20261129-0100",
        Some(&"ef".repeat(32)),
        None,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:02:00Z"),
        &id,
        Status::Acked,
        "ack",
        Some("op"),
    )
    .unwrap();
    inc::decide(
        s.at("2026-11-29T02:03:00Z"),
        &id,
        "keep trading",
        "one strategy",
        &[],
        Some("NORMAL"),
        false,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:04:00Z"),
        &id,
        Status::Mitigating,
        "resync",
        None,
    )
    .unwrap();
    let mut all = s.accept_all("2026-11-29T02:10:00Z");
    all[0] = format!("cause_mitigated=pass:{early}");
    refused(
        inc::accept(s.at("2026-11-29T02:10:00Z"), &id, answers(&all)),
        &format!(
            "check `cause_mitigated`: evidence bundle {early} was sealed at 2026-11-29T02:01:00.000Z (ledger/custody.jsonl #"
        ),
    );
    all[0] = "cause_mitigated=pass:EVB-20261129-0100".into();
    refused(
        inc::accept(s.at("2026-11-29T02:10:00Z"), &id, answers(&all)),
        &format!(
            "check `cause_mitigated`: evidence bundle EVB-20261129-0100 was sealed elsewhere and attached to {id} at 2026-11-29T02:01:30.000Z"
        ),
    );
    let late = collect(&s, "2026-11-29T02:11:00Z", &id);
    let all = s.accept_all("2026-11-29T02:12:00Z");
    // The checklist offers the bundle that verifies, and the records.
    let l = inc::checklist(s.at("2026-11-29T02:12:00Z"), &id).unwrap();
    let found: Vec<(String, Option<String>)> = l
        .checks
        .iter()
        .map(|c| (c.id.clone(), c.found.evidence.clone()))
        .collect();
    assert_eq!(found[0], ("cause_mitigated".into(), Some(late.clone())));
    assert!(
        found[1].1.as_deref().unwrap().starts_with("REC-"),
        "{found:?}"
    );
    assert_eq!(found[2].1.as_deref(), all[2].strip_prefix("time_ok=pass:"));
    assert_eq!(found[3].1.as_deref(), Some("ledger/lease.jsonl"));
    assert_eq!(found[4], ("alerts_quiet".into(), None));
    assert_eq!(found[5].1.as_deref(), Some("ledger/safety.jsonl"));
    let mut all = all;
    all[0] = format!("cause_mitigated=pass:{late}");
    let a = inc::accept(s.at("2026-11-29T02:12:00Z"), &id, answers(&all)).unwrap();
    assert!(a.passed);
    let note = a.events[0].data["checks"][0]["note"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        note.starts_with(&format!(
            "verified: {late} sealed at 2026-11-29T02:11:00.000Z"
        )) && note.ends_with("after MITIGATING at 2026-11-29T02:04:00.000Z"),
        "{note}"
    );
    // A template's FILL_… word is refused, never taken as evidence.
    assert!(acceptance::is_placeholder("FILL_ALERTS_QUIET"));
}

/// Item 4: a postmortem whose front matter still says `status: draft`
/// does not close the incident: the file and the field are named.
#[test]
fn a_draft_postmortem_does_not_close() {
    let s = Ssot::new();
    let id = held_p1(&s);
    s.recover("2026-11-29T02:20:00Z", &id);
    let all = s.accept_all("2026-11-29T02:51:00Z");
    inc::accept(s.at("2026-11-29T02:51:00Z"), &id, answers(&all)).unwrap();
    inc::change_status(
        s.at("2026-11-29T02:52:00Z"),
        &id,
        Status::Resolved,
        "ok",
        None,
    )
    .unwrap();
    let pm = opsbook_testkit::ssot::postmortem(
        &id,
        "Add a step that checks w32tm /query /status before restarting OrderGateway",
        "RB-PLAT-TIME-DRIFT",
        "open",
        "2026-12-13",
    )
    .replace("severity: P0", "severity: P1");
    let rel = format!("incidents/{id}/postmortem.md");
    write(
        &s.root,
        &rel,
        &pm.replace("status: reviewed", "status: draft"),
    );
    let e = refused(
        inc::change_status(
            s.at("2026-11-29T03:00:00Z"),
            &id,
            Status::Closed,
            "done",
            None,
        ),
        &format!(
            "`{rel}` still says `status: draft` in its front matter: finish it (root cause, action items, review) and set `status: reviewed` (or `final`)"
        ),
    );
    drop(e);
    write(&s.root, &rel, &pm);
    inc::change_status(
        s.at("2026-11-29T03:01:00Z"),
        &id,
        Status::Closed,
        "reviewed",
        None,
    )
    .unwrap();
}

/// Item 6: the same bundle attached twice is recorded once (the second
/// says so); with a different hash it is a new record.
#[test]
fn attaching_the_same_reference_twice_records_once() {
    let s = Ssot::new();
    let id = held_p1(&s);
    let before = s.ctx().store().unwrap().load(&id).unwrap().events.len();
    let r = inc::attach(
        s.at("2026-11-29T02:06:00Z"),
        &id,
        "EVB-20261129-0205",
        Some(&"ab".repeat(32)),
        None,
    )
    .unwrap();
    assert!(r.events.is_empty());
    assert_eq!(
        r.unchanged.as_deref(),
        Some(
            format!(
                "EVB-20261129-0205 is already attached to {id} (#6, SHA-256 {}): nothing recorded",
                "ab".repeat(32)
            )
            .as_str()
        )
    );
    assert_eq!(
        s.ctx().store().unwrap().load(&id).unwrap().events.len(),
        before
    );
    let r = inc::attach(
        s.at("2026-11-29T02:07:00Z"),
        &id,
        "EVB-20261129-0205",
        Some(&"cd".repeat(32)),
        None,
    )
    .unwrap();
    assert_eq!(r.events.len(), 1);
}

/// Item 6: `halt` with no hook configured records HALTED as the
/// operator's manual act (as `safety set --manual`) and says that nothing
/// was stopped; with a hook it is the hook's.
#[test]
fn halt_without_a_hook_stopped_nothing_and_says_so() {
    let s = Ssot::new();
    let h = halt::halt(s.at("2026-11-29T03:00:00Z"), "orders stuck", None, false).unwrap();
    assert!(h.nothing_stopped);
    assert!(h.transition.manual, "recorded as switched by hand");
    let entered = opsbook_core::ledger::read(&s.path("ledger/safety.jsonl"))
        .unwrap()
        .into_iter()
        .rfind(|e| e.kind == "state_entered")
        .unwrap();
    assert_eq!(entered.data["hook"], "manual");
    // `safety status` says the state is only what was recorded by hand.
    let st = opsbook_ops::safety::status(s.at("2026-11-29T03:01:00Z")).unwrap();
    assert_eq!(
        (st.state.as_str(), st.switched),
        ("HALTED", Some(Switched::Manual))
    );
    let s = Ssot::new();
    common::marker_hook(&s, "HALTED");
    let h = halt::halt(s.at("2026-11-29T03:00:00Z"), "orders stuck", None, false).unwrap();
    assert!(!h.nothing_stopped);
    assert!(h.transition.hook.is_some());
    let st = opsbook_ops::safety::status(s.at("2026-11-29T03:01:00Z")).unwrap();
    assert_eq!(st.switched, Some(Switched::Hook));
    // JSON spells it as documented.
    assert_eq!(serde_json::to_value(&st).unwrap()["switched"], "hook");
}
