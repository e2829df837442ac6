#![allow(clippy::unwrap_used)]
//! Safe operation as library tests (moved down from the CLI's scenario
//! tests, issue 12): the flap limit, the actions matrix with the freeze on
//! top, the change freeze and its exceptions, the one-person high-danger
//! confirmation from an answers file, HALTED → RECOVERING → NORMAL with the
//! watch, `halt` and `p0`. No opsbook process is started; the clock is a
//! [`ManualClock`] (a cooling-off passes without sleeping).

mod common;

use common::{Ssot, invalid, refused};
use opsbook_core::clock::Clock;
use opsbook_core::incident::Status;
use opsbook_core::safety::{Decision, Source};
use opsbook_ops::confirm::{self, ConfirmRequest, FileAnswers};
use opsbook_ops::freeze::{self, ExceptionRequest};
use opsbook_ops::incident::{self as inc, OpenRequest, SeverityInput};
use opsbook_ops::safety::{self, SetRequest, WatchResult};
use opsbook_ops::{OpsError, halt, views};

fn set(to: &str, reason: &str) -> SetRequest {
    SetRequest {
        to: to.into(),
        reason: reason.into(),
        evidence: None,
        source: Source::Operator,
        incident: None,
        manual: false,
    }
}

fn auto(to: &str, reason: &str) -> SetRequest {
    SetRequest {
        source: Source::Auto("watchdog".into()),
        ..set(to, reason)
    }
}

fn back(evidence: &str) -> SetRequest {
    SetRequest {
        evidence: Some(evidence.into()),
        ..set("NORMAL", "cleared")
    }
}

/// The answers file of a fit operator for `target`.
fn answers(target: &str, awake: u32) -> FileAnswers {
    let text = opsbook_testkit::ssot::confirm_answers(target, awake);
    FileAnswers::new(opsbook_core::yaml::parse(&text).unwrap().value)
}

fn confirm_req(op: &str, target: Option<&str>, incident: Option<&str>) -> ConfirmRequest {
    ConfirmRequest {
        operation: op.into(),
        target: target.map(str::to_string),
        incident: incident.map(str::to_string),
        override_reason: None,
        before_dwell: false,
    }
}

fn exception(action: &str, expires_in: &str, approver: &str) -> ExceptionRequest {
    ExceptionRequest {
        actions: vec![action.into()],
        reason: "hotfix".into(),
        risk: "restart".into(),
        backout: "redeploy".into(),
        expires_in: Some(expires_in.into()),
        expires: None,
        approver: approver.into(),
        incident: None,
    }
}

#[test]
fn flap_limit_refuses_and_records_the_fourth_automatic_escalation() {
    let s = Ssot::new();
    safety::set_state(
        s.at("2026-11-29T02:00:00Z"),
        &auto("DEGRADED", "rate limit 85 %"),
    )
    .unwrap();
    // Automatic sources never de-escalate.
    refused(
        safety::set_state(
            s.at("2026-11-29T02:10:00Z"),
            &SetRequest {
                evidence: Some("e".into()),
                ..auto("NORMAL", "x")
            },
        ),
        "may only escalate",
    );
    // De-escalation waits for DEGRADED's 10 min dwell.
    refused(
        safety::set_state(s.at("2026-11-29T02:05:00Z"), &back("e")),
        "5 min to go",
    );
    safety::set_state(s.at("2026-11-29T02:10:00Z"), &back("metrics.png")).unwrap();
    safety::set_state(
        s.at("2026-11-29T02:11:00Z"),
        &auto("DEGRADED", "rate limit 85 %"),
    )
    .unwrap();
    safety::set_state(s.at("2026-11-29T02:21:00Z"), &back("metrics.png")).unwrap();
    safety::set_state(
        s.at("2026-11-29T02:22:00Z"),
        &auto("DEGRADED", "rate limit 85 %"),
    )
    .unwrap();
    safety::set_state(s.at("2026-11-29T02:32:00Z"), &back("metrics.png")).unwrap();
    // The fourth automatic escalation within the hour: refused, recorded, and
    // the policy's on_limit sends the platform to HALTED instead.
    let o = safety::set_state(
        s.at("2026-11-29T02:33:00Z"),
        &auto("DEGRADED", "rate limit 85 %"),
    )
    .unwrap();
    assert!(
        o.redirected_because
            .as_deref()
            .is_some_and(|w| w.contains("3 in the last hour")),
        "{o:?}"
    );
    assert_eq!((o.from.as_str(), o.to.as_str()), ("NORMAL", "HALTED"));
    assert_eq!(
        safety::status(s.at("2026-11-29T02:34:00Z")).unwrap().state,
        "HALTED"
    );
    let h = safety::history(s.ctx(), None).unwrap();
    let refusals = h.iter().filter(|e| e.kind == "transition_refused").count();
    assert_eq!(
        refusals, 2,
        "the auto de-escalation and the fourth escalation are recorded"
    );
    assert_eq!(
        h.last().unwrap().data["source"],
        "policy:auto_escalation.on_limit"
    );
    // Entering HALTED froze changes.
    assert!(freeze::status(s.ctx()).unwrap().frozen);
}

#[test]
fn safety_can_answers_by_the_matrix_and_the_freeze() {
    let s = Ssot::new();
    let ctx = s.at("2026-11-29T02:00:00Z");
    let a = safety::can(ctx, "deploy_code", None).unwrap();
    assert_eq!(a.answer.decision, Decision::Allow);
    let a = safety::can(ctx, "release_halt", Some("HALTED")).unwrap();
    assert_eq!(a.answer.decision, Decision::Confirm);
    assert_eq!(
        a.answer.next,
        Some(opsbook_core::next::NextStep::Confirm {
            operation: "release_halt".into(),
            target: None
        })
    );
    let a = safety::can(ctx, "place_new_order", Some("SAFE_MODE")).unwrap();
    assert_eq!(a.answer.decision, Decision::Deny);
    let a = safety::can(ctx, "launch_rockets", None).unwrap();
    assert_eq!(a.answer.decision, Decision::Deny);
    assert!(
        a.answer.why.contains("unknown actions are denied"),
        "{}",
        a.answer.why
    );
    invalid(
        safety::can(ctx, "deploy_code", Some("PANIC")),
        "not a safety state",
    );
    // The whole matrix: every action in every state.
    let m = safety::matrix_view(ctx).unwrap();
    assert_eq!(m.states.len(), 5);
    assert_eq!(m.matrix["release_halt"]["HALTED"], Decision::Confirm);
    assert_eq!(m.rows.len(), m.actions.len());
    assert!(m.rows.iter().all(|(_, cells)| cells.len() == 5));
    // A freeze turns an ALLOW of a frozen action into DENY, and says why.
    freeze::on(ctx, "maintenance", None).unwrap();
    let a = safety::can(ctx, "deploy_code", None).unwrap();
    assert_eq!(a.answer.decision, Decision::Deny);
    assert!(
        a.answer
            .why
            .starts_with("the matrix says ALLOW in NORMAL, but change freeze on"),
        "{}",
        a.answer.why
    );
    assert!(a.freeze.is_some_and(|v| !v.allowed));
}

/// P0 open → deploy guard refuses → exception with expiry → allowed →
/// expiry passes → refused again → lifted only when its conditions hold.
#[test]
fn freeze_p0_guard_exception_expiry() {
    let s = Ssot::new();
    let guard = |now: &str| {
        freeze::check(s.at(now), "deploy order-gateway 2026.11.29", "deploy_code").unwrap()
    };
    assert!(guard("2026-11-29T01:00:00Z").verdict.allowed, "not frozen");
    let id = inc::open(
        s.at("2026-11-29T02:00:00Z"),
        &OpenRequest {
            title: "orders rejected".into(),
            severity: SeverityInput {
                stated: Some("P0".into()),
                reason: Some("live".into()),
                ..SeverityInput::default()
            },
            ..OpenRequest::default()
        },
    )
    .unwrap()
    .id;
    let v = guard("2026-11-29T02:01:00Z").verdict;
    assert!(!v.allowed && v.frozen && v.why.contains(&id), "{v:?}");
    // Observing and evidence are never blocked.
    assert!(
        freeze::check(s.ctx(), "bundle", "collect_evidence")
            .unwrap()
            .verdict
            .allowed
    );
    // Self-approval needs the high-danger confirmation.
    refused(
        freeze::except(
            s.at("2026-11-29T02:02:00Z"),
            &exception("deploy_code", "60m", "Aiko"),
        ),
        "goes through the high-danger confirmation",
    );
    invalid(
        freeze::except(s.ctx(), &exception("deploy_code", "5h", "Ken")),
        "at most 240 min",
    );
    invalid(
        freeze::except(s.ctx(), &exception("everything", "1h", "Ken")),
        "is not accepted",
    );
    let x = freeze::except(
        s.ctx(),
        &ExceptionRequest {
            reason: "hotfix for the retry loop".into(),
            risk: "gateway restart".into(),
            backout: "redeploy 2026.11.28".into(),
            ..exception("deploy_code", "60m", "Ken")
        },
    )
    .unwrap();
    assert_eq!(x.id, "EXC-2");
    let v = guard("2026-11-29T02:30:00Z").verdict;
    assert!(
        v.allowed && v.why.contains("allowed by exception EXC-2"),
        "{v:?}"
    );
    // One at a time.
    refused(
        freeze::except(
            s.at("2026-11-29T02:31:00Z"),
            &exception("change_config", "10m", "Ken"),
        ),
        "max_active = 1",
    );
    let v = guard("2026-11-29T03:02:00Z").verdict;
    assert!(
        !v.allowed && v.why.contains("EXC-2 expired"),
        "expired: {v:?}"
    );
    // The freeze lifts only when its conditions hold, never by itself.
    refused(
        freeze::off(s.at("2026-11-29T03:03:00Z"), "done"),
        &format!("incident {id} is OPEN"),
    );
    inc::change_status(
        s.at("2026-11-29T03:04:00Z"),
        &id,
        Status::Cancelled,
        "opened by mistake",
        None,
    )
    .unwrap();
    freeze::off(s.at("2026-11-29T03:05:00Z"), "incident cancelled").unwrap();
    assert!(guard("2026-11-29T03:06:00Z").verdict.allowed);
    s.ledgers_verify();
}

/// HALTED → RECOVERING → NORMAL the whole way: dwell, confirmation (from a
/// file), evidence, acceptance, the post-recovery watch, the freeze lifted.
#[test]
fn release_halt_to_normal_with_confirmation_acceptance_and_watch() {
    let s = Ssot::new();
    s.cooling_off(60);
    let h = halt::halt(
        s.at("2026-11-29T12:00:00Z"),
        "order state unknown after exchange outage",
        None,
        false,
    )
    .unwrap();
    assert_eq!(
        (
            h.transition.from.as_str(),
            h.incident.as_deref().unwrap(),
            h.opened
        ),
        ("NORMAL", "INC-20261129-001", true)
    );
    let id = "INC-20261129-001";
    let recovering = |ev: &str| SetRequest {
        evidence: Some(ev.into()),
        ..set("RECOVERING", "x")
    };
    // Before the dwell, and without confirmation: refused.
    refused(
        safety::set_state(s.at("2026-11-29T12:10:00Z"), &recovering("EVB-1")),
        "20 min to go",
    );
    let e = refused(
        safety::set_state(s.at("2026-11-29T12:31:00Z"), &recovering("EVB-1")),
        "needs the high-danger confirmation",
    );
    assert_eq!(
        e.next(),
        Some(opsbook_core::next::NextStep::Confirm {
            operation: "release_halt".into(),
            target: Some("RECOVERING".into())
        })
    );
    // Fatigue over threshold refuses the T2 action (no override).
    refused(
        confirm::confirm(
            s.at("2026-11-29T12:31:00Z"),
            &confirm_req("release_halt", Some("RECOVERING"), None),
            &mut answers("RECOVERING", 20),
        ),
        "fatigue over threshold (awake 20.0 h",
    );
    // Wrong target.
    refused(
        confirm::confirm(
            s.ctx(),
            &confirm_req("release_halt", Some("RECOVERING"), None),
            &mut answers("RECOVERIN", 10),
        ),
        "target mismatch",
    );
    let before = s.clock.now();
    let c = confirm::confirm(
        s.at("2026-11-29T12:32:00Z"),
        &confirm_req("release_halt", Some("RECOVERING"), Some(id)),
        &mut answers("RECOVERING", 10),
    )
    .unwrap();
    assert!(
        s.clock.now().as_second() - before.as_second() >= 60 + 60,
        "the cooling-off is waited out (on this clock)"
    );
    assert!(c.confirmation.starts_with("CNF-"));
    // Valid 15 minutes from the end of the protocol (12:33 after the cooling-off).
    assert_eq!(c.valid_until, "2026-11-29T12:48:00.000Z");
    safety::set_state(
        s.at("2026-11-29T12:33:00Z"),
        &SetRequest {
            incident: Some(id.into()),
            evidence: Some("EVB-20261129-1233".into()),
            ..set("RECOVERING", "reconciliation clean")
        },
    )
    .unwrap();
    // The confirmation is used once.
    let c = std::fs::read_to_string(s.path("ledger/confirmations.jsonl")).unwrap();
    assert!(
        c.lines().last().unwrap().contains("\"confirmation_used\""),
        "{c}"
    );
    // RECOVERING → NORMAL needs the incident's recovery acceptance.
    let normal = |now: &str, reason: &str| {
        safety::set_state(
            s.at(now),
            &SetRequest {
                incident: Some(id.into()),
                evidence: Some("EVB-2".into()),
                ..set("NORMAL", reason)
            },
        )
    };
    let e = refused(
        normal("2026-11-29T13:04:00Z", "ok"),
        "needs a passed recovery acceptance",
    );
    assert_eq!(
        e.next(),
        Some(opsbook_core::next::NextStep::AnswerAcceptance {
            incident: Some(id.into()),
            failing: Vec::new()
        })
    );
    inc::change_status(
        s.at("2026-11-29T13:05:00Z"),
        id,
        Status::Acked,
        "acknowledged",
        Some("op"),
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T13:06:00Z"),
        id,
        Status::Mitigating,
        "halted, reconciling",
        None,
    )
    .unwrap();
    let checks = s.accept_all("2026-11-29T13:07:00Z");
    let a = inc::accept(
        s.at("2026-11-29T13:07:00Z"),
        id,
        checks
            .iter()
            .map(|c| inc::parse_check(c).unwrap())
            .collect(),
    )
    .unwrap();
    // The dwell is read from the safety ledger, not typed: RECOVERING since
    // 12:33, 34 of its 30 minutes passed.
    let note = |c: &str| {
        a.events
            .iter()
            .find_map(|e| e.data["checks"].as_array().cloned())
            .unwrap()
            .into_iter()
            .find(|x| x["id"] == c)
            .unwrap()["note"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        note("recovering_dwell"),
        "verified: RECOVERING since 2026-11-29T12:33:00.000Z (ledger/safety.jsonl #4), 34 min >= min_dwell_minutes 30"
    );
    let o = normal("2026-11-29T13:08:00Z", "acceptance passed").unwrap();
    assert_eq!(
        o.watch_until.as_deref(),
        Some("2026-11-29T14:08:00.000Z"),
        "P0: 60 min"
    );
    // The incident's decision log has every safety decision.
    let v = views::show(s.at("2026-11-29T13:09:00Z"), id).unwrap();
    assert_eq!(v.incident.safety_decisions, 3, "HALTED, RECOVERING, NORMAL");
    // The watch cannot end early; the freeze waits for it.
    refused(
        safety::watch_end(s.at("2026-11-29T13:30:00Z"), WatchResult::Ok, "quiet"),
        "runs until 2026-11-29T14:08:00.000Z",
    );
    safety::watch_end(
        s.at("2026-11-29T14:09:00Z"),
        WatchResult::Ok,
        "quiet for 60 min",
    )
    .unwrap();
    refused(
        freeze::off(s.at("2026-11-29T14:10:00Z"), "recovered"),
        "is MITIGATING",
    );
    inc::change_status(
        s.at("2026-11-29T14:11:00Z"),
        id,
        Status::Monitoring,
        "normal again",
        None,
    )
    .unwrap();
    inc::attach(
        s.at("2026-11-29T14:12:00Z"),
        id,
        "EVB-2",
        Some(&"ef".repeat(32)),
        None,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T14:13:00Z"),
        id,
        Status::Resolved,
        "accepted and watched",
        None,
    )
    .unwrap();
    freeze::off(s.at("2026-11-29T14:14:00Z"), "recovered and watched").unwrap();
    s.ledgers_verify();
}

#[test]
fn p0_walks_the_first_ten_steps_and_records_each() {
    let s = Ssot::new();
    let mut text = String::from("steps:\n");
    for n in 1..=9 {
        text.push_str(&format!(
            "  \"{n}\": {{result: {}, note: \"step {n} seen\"}}\n",
            if n == 4 { "skipped" } else { "done" }
        ));
    }
    let mut a = FileAnswers::new(opsbook_core::yaml::parse(&text).unwrap().value);
    // Step 3 (HALT) is done only when the safety ledger shows HALTED.
    safety::set_state(
        s.at("2026-11-29T01:59:00Z"),
        &set("HALTED", "kill switch engaged"),
    )
    .unwrap();
    let w = halt::p0(
        s.at("2026-11-29T02:00:00Z"),
        None,
        "P0 (first ten steps)",
        &mut a,
    )
    .unwrap();
    assert_eq!(
        (w.incident.as_deref(), w.steps_recorded),
        (Some("INC-20261129-001"), 9)
    );
    // The file stops at step 9: the walk stops cleanly before step 10.
    assert_eq!(w.unanswered.as_deref(), Some("10"));
    // Step 10 (validation) is done once step 9's scope and decision are on
    // record; step 4, skipped again, is not written twice.
    inc::log(
        s.at("2026-11-29T02:05:00Z"),
        "INC-20261129-001",
        inc::LogKind::Scope,
        "Binance spot; not: market data",
        None,
    )
    .unwrap();
    inc::log(
        s.at("2026-11-29T02:05:00Z"),
        "INC-20261129-001",
        inc::LogKind::Decision,
        "Stay HALTED",
        Some("positions unknown"),
    )
    .unwrap();
    let mut rest = FileAnswers::new(
        opsbook_core::yaml::parse("steps: {\"4\": skipped, \"10\": done}")
            .unwrap()
            .value,
    );
    let w = halt::p0(
        s.at("2026-11-29T02:06:00Z"),
        Some("INC-20261129-001"),
        "",
        &mut rest,
    )
    .unwrap();
    assert_eq!((w.steps_recorded, w.unanswered, w.unmet), (1, None, None));
    // The Do-Not-Do list comes before the first step.
    let said = a.said().join("\n");
    let dont = said.find("Do NOT").unwrap();
    let step1 = said.find("Step 1").unwrap();
    assert!(dont < step1, "{said}");
    let v = views::show(s.at("2026-11-29T02:10:00Z"), "INC-20261129-001").unwrap();
    let steps: Vec<(u64, String)> = v
        .events
        .iter()
        .filter(|e| e.kind == "runbook_step")
        .map(|e| {
            (
                e.data["step"].as_u64().unwrap(),
                e.data["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(steps.len(), 10);
    assert_eq!(steps[3], (4, "skipped".to_string()));
    // A second walk resumes at the first step not done (4, skipped) and
    // says which steps are done already.
    let mut again = FileAnswers::new(
        opsbook_core::yaml::parse("steps: {\"4\": quit}")
            .unwrap()
            .value,
    );
    let w = halt::p0(s.ctx(), Some("INC-20261129-001"), "", &mut again).unwrap();
    assert_eq!(w.resumed_at.as_deref(), Some("4"));
    assert!(
        again.said().iter().any(|l| l.contains(
            "resuming INC-20261129-001 at step 4: step(s) 1, 2, 3, 5, 6, 7, 8, 9, 10 already done"
        )),
        "{:?}",
        again.said()
    );
}

/// The acceptance form: the confirmation from only an answers file.
#[test]
fn confirm_with_only_an_answers_file() {
    let s = Ssot::new();
    s.cooling_off(0);
    safety::set_state(s.at("2026-11-29T12:00:00Z"), &set("HALTED", "x")).unwrap();
    // 10 min before HALTED's dwell ends: valid 5 min past it (tests/dwell.rs).
    let c = confirm::confirm(
        s.at("2026-11-29T12:20:00Z"),
        &confirm_req("release_halt", None, None),
        &mut answers("RECOVERING", 8),
    )
    .unwrap();
    assert_eq!(
        (c.operation.as_str(), c.target.as_str()),
        ("release_halt", "RECOVERING")
    );
    let c = confirm::confirm(
        s.at("2026-11-29T12:21:00Z"),
        &confirm_req("rotate_api_key", None, None),
        &mut answers("binance-main", 8),
    )
    .unwrap();
    assert_eq!(
        (c.operation.as_str(), c.target.as_str()),
        ("rotate_api_key", "binance-main")
    );
    // A release_halt confirmation names the state it leads to.
    invalid(
        confirm::confirm(
            s.at("2026-11-29T12:22:00Z"),
            &confirm_req("release_halt", Some("NORMAL"), None),
            &mut answers("NORMAL", 8),
        ),
        "--target must be one of RECOVERING",
    );
}

/// A hook that hangs is stopped with what it started; status warns.
#[cfg(unix)]
#[test]
fn a_timed_out_hook_is_stopped_with_its_children_and_status_warns() {
    let s = Ssot::new();
    let marker = s.path("late.txt");
    opsbook_testkit::ssot::append_config(
        &s.root,
        &format!(
            "\n[safety.hooks.SAFE_MODE]\ncommand = [\"sh\", \"-c\", \"sleep 3; echo late > {}\"]\ntimeout_seconds = 1\n",
            marker.display()
        ),
    );
    let e = safety::set_state(s.at("2026-11-29T02:00:00Z"), &set("SAFE_MODE", "x")).unwrap_err();
    let OpsError::HookFailed(f) = e else {
        panic!("{e}")
    };
    assert!(
        f.timed_out && f.headline().contains("may be PARTLY switched"),
        "{f:?}"
    );
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(
        !marker.exists(),
        "the hook's child kept running after the timeout"
    );
    let st = safety::status(s.at("2026-11-29T02:01:00Z")).unwrap();
    assert_eq!(st.pending_hook.as_deref(), Some("SAFE_MODE"));
    assert_eq!(st.state, "NORMAL");
}

/// Issue 13 item 5: `recovering_dwell` is read from the safety ledger and
/// the policy, never typed — 9 minutes into RECOVERING's 30-minute dwell
/// the acceptance is refused whatever the operator wrote, and the
/// platform cannot leave RECOVERING; at 30 minutes it passes.
#[test]
fn recovering_dwell_is_verified_not_typed() {
    let s = Ssot::new();
    let id = inc::open(
        s.at("2026-11-29T02:00:00Z"),
        &OpenRequest {
            title: "Positions unknown after reconnect".into(),
            severity: SeverityInput {
                stated: Some("P1".into()),
                reason: Some("order state unknown".into()),
                ..SeverityInput::default()
            },
            ..OpenRequest::default()
        },
    )
    .unwrap()
    .id;
    safety::set_state(
        s.at("2026-11-29T02:01:00Z"),
        &SetRequest {
            incident: Some(id.clone()),
            ..set("SAFE_MODE", "positions unknown")
        },
    )
    .unwrap();
    for (at, st) in [
        ("2026-11-29T02:02:00Z", Status::Acked),
        ("2026-11-29T02:03:00Z", Status::Mitigating),
        ("2026-11-29T02:04:00Z", Status::Monitoring),
    ] {
        inc::change_status(s.at(at), &id, st, "working", Some("op")).unwrap();
    }
    inc::attach(
        s.at("2026-11-29T02:05:00Z"),
        &id,
        "EVB-20261129-0205",
        Some(&"ab".repeat(32)),
        None,
    )
    .unwrap();
    safety::set_state(
        s.at("2026-11-29T03:00:00Z"),
        &SetRequest {
            incident: Some(id.clone()),
            evidence: Some("EVB-20261129-0300".into()),
            ..set("RECOVERING", "positions resynced")
        },
    )
    .unwrap();
    let all = s.accept_all("2026-11-29T03:09:00Z");
    let parsed =
        |v: &[String]| -> Vec<_> { v.iter().map(|c| inc::parse_check(c).unwrap()).collect() };
    refused(
        inc::accept(s.at("2026-11-29T03:09:00Z"), &id, parsed(&all)),
        "recovering_dwell: the platform entered RECOVERING at 2026-11-29T03:00:00.000Z (ledger/safety.jsonl #4); 9 min of its 30 min dwell (policy/degraded.yaml) have passed: answer again at or after 2026-11-29T03:30:00.000Z",
    );
    // Typing the duration changes nothing.
    let mut typed = all.clone();
    typed[5] = "recovering_dwell=pass:30 min".into();
    refused(
        inc::accept(s.at("2026-11-29T03:09:00Z"), &id, parsed(&typed)),
        "9 min of its 30 min dwell",
    );
    // Nothing was recorded: the incident cannot be RESOLVED.
    refused(
        inc::change_status(
            s.at("2026-11-29T03:10:00Z"),
            &id,
            Status::Resolved,
            "looks fine",
            None,
        ),
        "recovery acceptance has not passed",
    );
    let a = inc::accept(s.at("2026-11-29T03:30:00Z"), &id, parsed(&typed)).unwrap();
    assert!(a.passed);
    let checks = a.events[0].data["checks"].as_array().unwrap().clone();
    let dwell = checks
        .iter()
        .find(|c| c["id"] == "recovering_dwell")
        .unwrap();
    assert_eq!(
        dwell["note"],
        "verified: RECOVERING since 2026-11-29T03:00:00.000Z (ledger/safety.jsonl #4), 30 min >= min_dwell_minutes 30"
    );
    s.ledgers_verify();
}
