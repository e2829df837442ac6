#![allow(clippy::unwrap_used)]
//! Leaving a held state when several things are missing (a fresh-user
//! trial): `safety set` names every unmet condition at once, each with its
//! step, and a `release_halt` confirmation that would expire before the
//! dwell ends is refused before any question, with the time to start it.
//! The clock is a [`common::Ssot`]'s manual clock (starter policy: HALTED
//! dwell 30 min, confirmation valid 15 min, cooling-off 180 s).

mod common;

use common::{Ssot, refused};
use opsbook_core::next::{ConfirmWindow, NextStep};
use opsbook_core::safety::{Condition, Source};
use opsbook_ops::confirm::{self, ConfirmRequest, FileAnswers};
use opsbook_ops::safety::{self, SetRequest};
use opsbook_ops::{OpsError, halt};

fn answers(target: &str) -> FileAnswers {
    let text = opsbook_testkit::ssot::confirm_answers(target, 8);
    FileAnswers::new(opsbook_core::yaml::parse(&text).unwrap().value)
}

fn release(before_dwell: bool) -> ConfirmRequest {
    ConfirmRequest {
        operation: "release_halt".into(),
        target: Some("RECOVERING".into()),
        incident: None,
        // The tests run at night (UTC): recorded override.
        override_reason: Some("drill".into()),
        before_dwell,
    }
}

/// A `release_halt` confirmation passed at `now`: (usable_from,
/// expires_at, expires_before_usable).
fn window(s: &Ssot, now: &str, before_dwell: bool) -> (String, String, bool) {
    let c = confirm::confirm(
        s.at(now),
        &release(before_dwell),
        &mut answers("RECOVERING"),
    )
    .unwrap();
    (c.usable_from, c.expires_at, c.expires_before_usable)
}

fn recovering(evidence: Option<&str>, incident: Option<&str>) -> SetRequest {
    SetRequest {
        to: "RECOVERING".into(),
        reason: "recon clean".into(),
        evidence: evidence.map(str::to_string),
        source: Source::Operator,
        incident: incident.map(str::to_string),
        manual: false,
    }
}

fn unmet(e: &OpsError) -> Vec<opsbook_core::safety::Unmet> {
    match e {
        OpsError::Refused(r) => r.unmet.clone(),
        other => panic!("not a refusal: {other}"),
    }
}

/// HALTED a minute ago, no evidence, no confirmation: all three named in
/// one refusal, in order; the confirmation's step says when to start it
/// (00:30 dwell end + 5 min use window − 15 min − 3 min = 00:17).
#[test]
fn safety_set_names_every_unmet_condition_at_once() {
    let s = Ssot::new();
    let h = halt::halt(
        s.at("2026-11-29T00:00:00Z"),
        "order state unknown",
        None,
        false,
    )
    .unwrap();
    let id = h.incident.clone().unwrap();
    let e = refused(
        safety::set_state(s.at("2026-11-29T00:01:00Z"), &recovering(None, None)),
        "HALTED → RECOVERING: 3 conditions are not met:",
    );
    let u = unmet(&e);
    let conds: Vec<Condition> = u.iter().map(|u| u.condition).collect();
    assert_eq!(
        conds,
        [
            Condition::Evidence,
            Condition::Dwell,
            Condition::Confirmation
        ]
    );
    // The incident HALTED was entered for: its attached evidence counts.
    assert_eq!(
        u[0].next,
        Some(NextStep::AttachEvidence {
            incident: id.clone()
        })
    );
    assert_eq!(u[1].until.as_deref(), Some("2026-11-29T00:30:00.000Z"));
    assert_eq!(u[1].minutes_left, Some(29));
    assert_eq!(
        u[2].next,
        Some(NextStep::ConfirmFrom {
            operation: "release_halt".into(),
            target: "RECOVERING".into(),
            when: Box::new(ConfirmWindow {
                from: "2026-11-29T00:17:00.000Z".into(),
                in_minutes: 16,
                usable_from: "2026-11-29T00:30:00.000Z".into(),
                expires_at: "2026-11-29T00:19:00.000Z".into(),
            }),
        })
    );
    // The first step stays the refusal's `next` (older front ends).
    assert_eq!(e.next(), u[0].next);
    // Evidence given, the dwell over: only the confirmation is left, and
    // it may be started at once.
    let e = refused(
        safety::set_state(
            s.at("2026-11-29T00:31:00Z"),
            &recovering(Some("EVB-1"), None),
        ),
        "leaving HALTED needs the high-danger confirmation first",
    );
    let u = unmet(&e);
    assert_eq!(u.len(), 1);
    assert_eq!(
        u[0].next,
        Some(NextStep::Confirm {
            operation: "release_halt".into(),
            target: Some("RECOVERING".into())
        })
    );
}

/// The trial's case: HALTED (30 min dwell), `confirm release_halt` right
/// away would pass a confirmation valid 15 min that expires unused. It is
/// refused before any question (nothing recorded), with when to start; the
/// explicit flag confirms anyway and says it expires before it is usable;
/// started when told, it is valid when the dwell ends and `safety set` uses it.
#[test]
fn a_confirmation_that_would_expire_before_the_dwell_is_refused_up_front() {
    let s = Ssot::new();
    halt::halt(
        s.at("2026-11-29T00:00:00Z"),
        "order state unknown",
        None,
        false,
    )
    .unwrap();
    let log = s.path("ledger/confirmations.jsonl");
    let before = std::fs::read_to_string(&log).unwrap_or_default();
    let e = refused(
        confirm::confirm(
            s.at("2026-11-29T00:01:00Z"),
            &release(false),
            &mut answers("RECOVERING"),
        ),
        "too early for release_halt: HALTED must hold until 2026-11-29 00:30:00 UTC (29 min from now, its min_dwell_minutes) before it may be left for RECOVERING; a confirmation started now is valid 15 min after it passes and would expire at about 2026-11-29 00:19:00 UTC, 11 min before it could be used",
    );
    assert_eq!(
        e.next(),
        Some(NextStep::ConfirmFrom {
            operation: "release_halt".into(),
            target: "RECOVERING".into(),
            when: Box::new(ConfirmWindow {
                from: "2026-11-29T00:17:00.000Z".into(),
                in_minutes: 16,
                usable_from: "2026-11-29T00:30:00.000Z".into(),
                expires_at: "2026-11-29T00:19:00.000Z".into(),
            }),
        })
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap_or_default(),
        before,
        "refused before any question: nothing recorded"
    );
    // Anyway, explicitly: passed, and it says it will never be usable.
    assert_eq!(
        window(&s, "2026-11-29T00:02:00Z", true),
        (
            "2026-11-29T00:30:00.000Z".into(),
            "2026-11-29T00:20:00.000Z".into(),
            true
        )
    );
    // At the time it named: valid 5 min past the dwell's end.
    assert_eq!(
        window(&s, "2026-11-29T00:17:00Z", false),
        (
            "2026-11-29T00:30:00.000Z".into(),
            "2026-11-29T00:35:00.000Z".into(),
            false
        )
    );
    let o = safety::set_state(
        s.at("2026-11-29T00:30:00Z"),
        &recovering(Some("EVB-1"), None),
    )
    .unwrap();
    assert_eq!((o.from.as_str(), o.to.as_str()), ("HALTED", "RECOVERING"));
    // Past the dwell, no wait at all: usable from when it passed.
    let s = Ssot::new();
    halt::halt(s.at("2026-11-29T00:00:00Z"), "x", None, false).unwrap();
    let c = confirm::confirm(
        s.at("2026-11-29T00:40:00Z"),
        &release(false),
        &mut answers("RECOVERING"),
    )
    .unwrap();
    assert_eq!(
        (c.usable_from.as_str(), c.expires_before_usable),
        ("2026-11-29T00:43:00.000Z", false)
    );
}
