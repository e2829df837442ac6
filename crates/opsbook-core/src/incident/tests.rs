//! Tests of the incident record: replay, guards, IDs, the store.

use serde_json::Value;

use super::*;
use crate::ledger::{self, Actor, Event};

use serde_json::json;

fn d(s: &str) -> jiff::civil::Date {
    s.parse().unwrap()
}

#[test]
fn id_format_round_trips() {
    let f = IdFormat::parse(DEFAULT_ID_FORMAT).unwrap();
    assert_eq!(f.format(d("2026-11-29"), 7), "INC-20261129-007");
    assert_eq!(f.seq_of(d("2026-11-29"), "INC-20261129-007"), Some(7));
    assert_eq!(f.seq_of(d("2026-11-29"), "INC-20261129-1234"), Some(1234));
    assert_eq!(f.seq_of(d("2026-11-30"), "INC-20261129-007"), None);
    assert_eq!(f.seq_of(d("2026-11-29"), "INC-20261129-"), None);
    let g = IdFormat::parse("OPS/{yyyy}/{seq}").unwrap();
    assert_eq!(g.format(d("2026-01-02"), 12), "OPS/2026/12");
    assert!(
        IdFormat::parse("INC-{yyyymmdd}")
            .unwrap_err()
            .contains("{seq}")
    );
    assert!(
        IdFormat::parse("INC-{hh}-{seq}")
            .unwrap_err()
            .contains("unknown token")
    );
}

#[test]
fn machine_allows_only_listed_next_states() {
    use Status::*;
    let legal: Vec<(Status, Status)> = Status::ALL
        .iter()
        .flat_map(|a| a.next().iter().map(move |b| (*a, *b)))
        .collect();
    assert_eq!(
        legal,
        vec![
            (Open, Acked),
            (Open, Cancelled),
            (Acked, Mitigating),
            (Acked, Cancelled),
            (Mitigating, Monitoring),
            (Mitigating, Cancelled),
            (Monitoring, Resolved),
            (Monitoring, Mitigating),
            (Monitoring, Cancelled),
            (Resolved, Closed),
        ]
    );
    for t in [Closed, Cancelled, Merged] {
        assert!(t.is_terminal());
    }
}

fn ev(seq: u64, min: i64, kind: &str, data: Value) -> Event {
    Event {
        seq,
        ts: ledger::format_ts(jiff::Timestamp::from_second(1_796_000_000 + min * 60).unwrap()),
        actor: Actor {
            user: "op".into(),
            host: "h".into(),
            name: None,
        },
        kind: kind.into(),
        data,
        prev_hash: None,
        hash: String::new(),
    }
}

fn st(from: &str, to: &str) -> Value {
    json!({"from": from, "to": to, "reason": "r"})
}

#[test]
fn replay_reports_steps_taken_around_the_guards() {
    let events = vec![
        ev(
            1,
            0,
            "opened",
            json!({"title": "t", "severity": "P1", "reason": "r"}),
        ),
        ev(2, 1, "status_changed", st("OPEN", "MITIGATING")),
        ev(3, 2, "status_changed", st("MITIGATING", "MONITORING")),
        ev(4, 3, "status_changed", st("MONITORING", "RESOLVED")),
    ];
    let inc = Incident::replay("INC-1", events).unwrap();
    assert_eq!(inc.status, Status::Resolved);
    let v: Vec<(u64, bool)> = inc
        .violations
        .iter()
        .map(|(s, m)| (*s, m.contains("not allowed next")))
        .collect();
    assert_eq!(v, vec![(2, true), (4, false)], "{:?}", inc.violations);
    assert!(inc.violations[1].1.contains("no evidence attached"));
}

#[test]
fn guards_follow_the_seed_order_and_durations_count_from_detection() {
    let mut events = vec![
        ev(
            1,
            10,
            "opened",
            json!({"title": "t", "severity": "P0", "reason": "r", "detected_at": ledger::format_ts(jiff::Timestamp::from_second(1_796_000_000 + 8 * 60).unwrap())}),
        ),
        ev(2, 12, "status_changed", st("OPEN", "ACKED")),
    ];
    let g = Guards::default();
    let inc = Incident::replay("I", events.clone()).unwrap();
    assert!(matches!(
        inc.check(Status::Mitigating, &g),
        Err(GuardError::Order { .. })
    ));
    events.push(ev(
        3,
        13,
        "safety_decision",
        json!({"to": "HALTED", "reason": "r"}),
    ));
    events.push(ev(4, 14, "status_changed", st("ACKED", "MITIGATING")));
    events.push(ev(5, 20, "status_changed", st("MITIGATING", "MONITORING")));
    let inc = Incident::replay("I", events.clone()).unwrap();
    assert!(inc.violations.is_empty(), "{:?}", inc.violations);
    let e = inc.check(Status::Resolved, &g).unwrap_err().to_string();
    assert!(e.contains("no evidence"), "{e}");
    events.push(ev(
        6,
        21,
        "evidence_attached",
        json!({"ref": "EVB-1", "sha256": "ab".repeat(32)}),
    ));
    events.push(ev(
        7,
        22,
        "recovery_acceptance",
        json!({"passed": true, "checks": [{"id": "time_ok", "result": "pass"}]}),
    ));
    let inc = Incident::replay("I", events.clone()).unwrap();
    let e = inc.check(Status::Resolved, &g).unwrap_err().to_string();
    assert!(
        e.contains("failed on: time_ok"),
        "a pass without evidence is not a pass: {e}"
    );
    events.push(ev(8, 23, "recovery_acceptance", json!({"passed": true, "checks": [{"id": "time_ok", "result": "pass", "evidence": "w32tm.txt"}]})));
    events.push(ev(9, 40, "status_changed", st("MONITORING", "RESOLVED")));
    let inc = Incident::replay("I", events).unwrap();
    assert!(inc.violations.is_empty(), "{:?}", inc.violations);
    assert!(
        matches!(inc.check(Status::Closed, &g), Err(GuardError::Order { .. })),
        "P0 needs a postmortem"
    );
    let ok = Guards {
        postmortem: Some(Ok(())),
        open_children: vec![],
    };
    assert!(inc.check(Status::Closed, &ok).is_ok());
    let d = inc.durations();
    assert_eq!(
        (d.to_ack_ms, d.to_mitigate_ms, d.to_resolve_ms),
        (Some(4 * 60_000), Some(12 * 60_000), Some(32 * 60_000))
    );
}
