#![allow(clippy::unwrap_used)]
//! Issue 13, the night shift: one truth for the safety state (item 4),
//! severity by magnitude and the headline from stated facts (item 1), an
//! idempotent halt (item 6).

mod common;

use common::{Ssot, marker_hook, refused};
use opsbook_core::event::IncidentEvent;
use opsbook_ops::incident::{self as inc, OpenRequest, SeverityInput};
use opsbook_ops::{halt, safety};

fn open(s: &Ssot, now: &str, sev: &str) -> String {
    inc::open(
        s.at(now),
        &OpenRequest {
            title: "Binance -1021 on every signed request".into(),
            severity: SeverityInput {
                stated: Some(sev.into()),
                reason: Some("orders rejected".into()),
                ..SeverityInput::default()
            },
            ..OpenRequest::default()
        },
    )
    .unwrap()
    .id
}

fn safety_decisions(s: &Ssot, id: &str) -> Vec<(String, String)> {
    let st = s.ctx().store().unwrap();
    st.load(id)
        .unwrap()
        .events
        .iter()
        .filter_map(|e| match opsbook_core::event::parse::<IncidentEvent>(e) {
            Some(IncidentEvent::SafetyDecision(d)) => Some((d.to, d.decision)),
            _ => None,
        })
        .collect()
}

fn safety_events(s: &Ssot) -> usize {
    safety::history(s.ctx(), None).unwrap().len()
}

#[test]
fn deciding_halted_halts_the_platform_through_its_hook() {
    let s = Ssot::new();
    let marker = marker_hook(&s, "HALTED");
    let id = open(&s, "2026-11-29T03:10:00Z", "P1");
    let d = inc::decide(
        s.at("2026-11-29T03:12:00Z"),
        &id,
        "engage kill switch",
        "positions unknown",
        &["keep trading".into()],
        Some("halted"),
        false,
    )
    .unwrap();
    let t = d.transition.expect("the decision performs the transition");
    assert_eq!((t.from.as_str(), t.to.as_str()), ("NORMAL", "HALTED"));
    assert!(marker.is_file(), "the HALTED hook did not run");
    let st = safety::status(s.ctx()).unwrap();
    assert_eq!(st.state, "HALTED");
    assert_eq!(st.incident.as_deref(), Some(id.as_str()));
    // One safety decision, in the operator's words, naming the transition.
    assert_eq!(
        safety_decisions(&s, &id),
        [(
            "HALTED".to_string(),
            "engage kill switch (safety state NORMAL → HALTED through opsbook)".to_string()
        )]
    );
    assert_eq!(d.events.len(), 1);
}

#[test]
fn deciding_the_current_state_records_only_and_a_refused_one_records_nothing() {
    let s = Ssot::new();
    let id = open(&s, "2026-11-29T03:10:00Z", "P1");
    inc::decide(
        s.at("2026-11-29T03:11:00Z"),
        &id,
        "halt",
        "r",
        &[],
        Some("HALTED"),
        false,
    )
    .unwrap();
    let n = safety_events(&s);
    // Already HALTED: the decision only; the safety ledger is untouched.
    let d = inc::decide(
        s.at("2026-11-29T03:12:00Z"),
        &id,
        "stay halted",
        "recon pending",
        &[],
        Some("HALTED"),
        false,
    )
    .unwrap();
    assert!(d.transition.is_none());
    assert_eq!(safety_events(&s), n);
    assert_eq!(safety_decisions(&s, &id).len(), 2);
    // Back to NORMAL at once: the machine refuses (dwell, confirmation);
    // neither the incident nor the state changes, and the refusal says why.
    refused(
        inc::decide(
            s.at("2026-11-29T03:13:00Z"),
            &id,
            "resume",
            "looks fine",
            &[],
            Some("NORMAL"),
            false,
        ),
        "HALTED → NORMAL is not a transition",
    );
    refused(
        inc::decide(
            s.at("2026-11-29T03:14:00Z"),
            &id,
            "recover",
            "fixed",
            &[],
            Some("RECOVERING"),
            false,
        ),
        "needs evidence that the cause is gone",
    );
    assert_eq!(safety_decisions(&s, &id).len(), 2);
    assert_eq!(safety::status(s.ctx()).unwrap().state, "HALTED");
}

#[test]
fn a_second_halt_while_halted_opens_no_new_p0() {
    let s = Ssot::new();
    let h1 = halt::halt(s.at("2026-11-29T03:10:00Z"), "-1021 storm", None, false).unwrap();
    assert!(h1.opened);
    let h2 = halt::halt(s.at("2026-11-29T03:20:00Z"), "still rejected", None, false).unwrap();
    assert!(!h2.opened);
    assert_eq!(h2.incident, h1.incident);
    assert_eq!(h2.transition.from, "HALTED");
    let st = s.ctx().store().unwrap();
    assert_eq!(st.list().unwrap().0.len(), 1, "a second P0 was opened");
}

#[test]
fn a_decision_recorded_only_leaves_the_platform_and_says_where_it_is() {
    let s = Ssot::new();
    let id = open(&s, "2026-11-29T03:10:00Z", "P1");
    let d = inc::decide(
        s.at("2026-11-29T03:11:00Z"),
        &id,
        "halt soon",
        "r",
        &[],
        Some("HALTED"),
        true,
    )
    .unwrap();
    assert!(d.transition.is_none());
    assert_eq!(d.platform_state.as_deref(), Some("NORMAL"));
    assert_eq!(safety_events(&s), 0);
    assert_eq!(safety::status(s.ctx()).unwrap().state, "NORMAL");
}

#[test]
fn a_negative_clock_offset_is_not_a_lower_severity() {
    let s = Ssot::new();
    let facts = |v: &str| vec!["mode=live".to_string(), format!("clock_offset_ms={v}")];
    let c = inc::classify(s.ctx(), &facts("1200"), None).unwrap();
    assert_eq!(c.classification.severity, "P0");
    // -1200 (local clock ahead) is refused, never P2: the rules compare
    // only with lower bounds, so the sign cannot be judged.
    let e = common::invalid(
        inc::classify(s.ctx(), &facts("-1200"), None),
        "State its magnitude (clock_offset_ms=1200)",
    );
    assert!(e.to_string().contains("gte 1000"), "{e}");
    // The same through `incident open`: nothing is opened.
    common::invalid(
        inc::open(
            s.at("2026-11-29T03:10:00Z"),
            &OpenRequest {
                title: "-1021".into(),
                severity: SeverityInput {
                    facts: facts("-1200"),
                    ..SeverityInput::default()
                },
                ..OpenRequest::default()
            },
        ),
        "is negative",
    );
    assert!(s.ctx().store().unwrap().list().unwrap().0.is_empty());
    // A bound below zero judges the sign: the fact is classified as given.
    s.edit(
        "policy/severity.yaml",
        "clock_offset_ms: { gte: 500 }",
        "clock_offset_ms: { gte: -5000 }",
    );
    let c = inc::classify(s.ctx(), &facts("-1200"), None).unwrap();
    let stated: Vec<(&str, &str)> = c
        .classification
        .matches
        .iter()
        .filter(|m| m.assumed.is_empty())
        .map(|m| (m.rule.as_str(), m.severity.as_str()))
        .collect();
    assert!(
        stated
            .iter()
            .any(|(r, sev)| r.contains("CLOCK") && *sev == "P1"),
        "{stated:?}"
    );
}
