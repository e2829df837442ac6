//! Failover and failback safety conditions against the starter
//! `policy/failover.yaml` and `policy/degraded.yaml` (read from the
//! embedded scaffold, as the ops layer will map them).

#![allow(clippy::unwrap_used)]

use opsbook_core::{scaffold, yaml};
use opsbook_lease::State;
use opsbook_lease::failover::{
    ComponentPolicy, CondStatus, FailbackFacts, FailbackPolicy, FailoverFacts, FailoverPolicy,
    FreezeFact, LeaseFact, Mode, Observation, SafetyLevel, TimeFact, evaluate_failback,
    evaluate_failover,
};
use serde_json::Value;

fn policy_file(path: &str) -> Value {
    let src = std::str::from_utf8(scaffold::file(path).unwrap()).unwrap();
    yaml::parse(src).unwrap().value
}

fn level(state: &str) -> SafetyLevel {
    let d = policy_file("policy/degraded.yaml");
    let rank = d["states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == state)
        .and_then(|s| s["rank"].as_i64())
        .unwrap();
    SafetyLevel {
        state: state.into(),
        rank,
    }
}

fn starter() -> (FailoverPolicy, FailbackPolicy) {
    let f = policy_file("policy/failover.yaml");
    let components: Vec<ComponentPolicy> = serde_json::from_value(f["components"].clone()).unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    (
        FailoverPolicy {
            components,
            min_safety_state: level(f["failover"]["min_safety_state"].as_str().unwrap()),
            primary_down_confirm_seconds: f["failover"]["primary_down_confirm_seconds"]
                .as_u64()
                .unwrap(),
            independent_observers: u32::try_from(
                f["failover"]["independent_observers"].as_u64().unwrap(),
            )
            .unwrap(),
        },
        FailbackPolicy {
            allowed_states: strings(&f["failback"]["allowed_states"]),
            min_stable_minutes_on_standby: f["failback"]["min_stable_minutes_on_standby"]
                .as_u64()
                .unwrap(),
            requires: strings(&f["failback"]["requires"]),
        },
    )
}

fn lease(state: State, holder: &str, token: u64) -> LeaseFact {
    LeaseFact {
        name: "order-gateway".into(),
        state,
        holder: Some(holder.into()),
        token: Some(token),
        takeover_at: Some("2026-11-30T03:00:02Z".parse().unwrap()),
    }
}

/// Everything known and good for the order gateway moving to n2.
fn good() -> FailoverFacts {
    FailoverFacts {
        lease: Some(lease(State::Held, "n2", 8)),
        standby: Some("n2".into()),
        time: Some(TimeFact {
            below_warn: true,
            offset_ms: Some(-12),
            warn_ms: 250,
        }),
        safety: Some(level("SAFE_MODE")),
        orders_reconciled: Some(true),
        primary_fenced: Some(true),
        primary_down: Some(vec![
            Observation {
                observer: "prometheus".into(),
                down_for_seconds: 75,
            },
            Observation {
                observer: "standby-probe".into(),
                down_for_seconds: 61,
            },
        ]),
        primary_unhealthy_seconds: None,
        primary_reachable: Some(false),
        evidence_collected: None,
    }
}

fn status_of(
    a: &opsbook_lease::failover::FailoverAssessment,
    mode: Mode,
    id: &str,
) -> (CondStatus, Option<String>) {
    let m = a.modes.iter().find(|m| m.mode == mode).unwrap();
    let c = m.conditions.iter().find(|c| c.id == id).unwrap();
    (c.status, c.missing.clone())
}

fn holds(a: &opsbook_lease::failover::FailoverAssessment, mode: Mode) -> bool {
    a.modes.iter().find(|m| m.mode == mode).unwrap().holds
}

#[test]
fn the_order_gateway_fails_over_semi_automatically_only_when_everything_is_known_and_good() {
    let (p, _) = starter();
    let a = evaluate_failover(&p, "order-gateway", &good()).unwrap();
    assert_eq!(a.policy_mode, Mode::SemiAutomatic);
    assert!(a.writes_orders);
    assert!(a.ok, "{a:#?}");
    assert_eq!(a.exit_code(), 0);
    assert!(holds(&a, Mode::SemiAutomatic));
    assert!(holds(&a, Mode::Manual));
    // Never automatic: it writes orders and its policy mode forbids it.
    assert!(!holds(&a, Mode::Automatic));
    assert_eq!(
        status_of(&a, Mode::Automatic, "mode_permitted").0,
        CondStatus::Fail
    );
    assert_eq!(
        status_of(&a, Mode::Automatic, "read_only").0,
        CondStatus::Fail
    );
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["policy_mode"], "semi_automatic");
    assert_eq!(v["modes"][1]["conditions"][0]["status"], "pass");
}

#[test]
fn every_unknown_fact_blocks_and_says_what_is_missing() {
    let (p, _) = starter();
    type Unset = fn(&mut FailoverFacts);
    let cases: [(&str, Unset, &str); 8] = [
        (
            "lease_not_held_by_primary",
            |f| f.lease = None,
            "opsbook lease status order-gateway",
        ),
        ("standby_holds_token", |f| f.standby = None, "holder ID"),
        ("time_ok", |f| f.time = None, "opsbook time check"),
        ("safety_state", |f| f.safety = None, "safety state"),
        (
            "orders_reconciled",
            |f| f.orders_reconciled = None,
            "reconciliation snapshot",
        ),
        ("primary_fenced", |f| f.primary_fenced = None, "fenced"),
        (
            "primary_down_confirmed",
            |f| f.primary_down = None,
            "2 independent observers",
        ),
        (
            "evidence_from_primary",
            |f| f.primary_reachable = None,
            "reachable",
        ),
    ];
    for (id, unset, missing) in cases {
        let mut f = good();
        unset(&mut f);
        let a = evaluate_failover(&p, "order-gateway", &f).unwrap();
        assert!(!a.ok, "{id}");
        assert_eq!(a.exit_code(), 1);
        let mode = if id == "primary_down_confirmed" {
            Mode::SemiAutomatic
        } else {
            Mode::Manual
        };
        let (st, m) = status_of(&a, mode, id);
        assert_eq!(st, CondStatus::Unknown, "{id}");
        assert!(
            m.as_deref().is_some_and(|m| m.contains(missing)),
            "{id}: {m:?}"
        );
        assert!(!holds(&a, mode), "{id}");
    }
}

#[test]
fn the_primary_still_holding_the_lease_blocks_with_when_it_can_be_taken_over() {
    let (p, _) = starter();
    let mut f = good();
    f.lease = Some(lease(State::Held, "n1", 7));
    let a = evaluate_failover(&p, "order-gateway", &f).unwrap();
    assert!(!a.ok);
    let (st, m) = status_of(&a, Mode::SemiAutomatic, "lease_not_held_by_primary");
    assert_eq!(st, CondStatus::Fail);
    assert!(
        m.unwrap()
            .contains("taken over from 2026-11-30T03:00:02.000Z")
    );
    let (st, m) = status_of(&a, Mode::SemiAutomatic, "standby_holds_token");
    assert_eq!(st, CondStatus::Fail);
    assert_eq!(
        m.unwrap(),
        "the standby acquires it: opsbook lease acquire order-gateway --holder n2"
    );
    // Expiring (inside the margin) still blocks; expired or released lets
    // the standby acquire, which is then all that is missing.
    f.lease = Some(lease(State::Expiring, "n1", 7));
    let a = evaluate_failover(&p, "order-gateway", &f).unwrap();
    assert_eq!(
        status_of(&a, Mode::Manual, "lease_not_held_by_primary").0,
        CondStatus::Fail
    );
    for s in [State::Expired, State::Released] {
        f.lease = Some(lease(s, "n1", 7));
        let a = evaluate_failover(&p, "order-gateway", &f).unwrap();
        assert_eq!(
            status_of(&a, Mode::Manual, "lease_not_held_by_primary").0,
            CondStatus::Pass
        );
        let failing: Vec<String> = a.modes[2]
            .conditions
            .iter()
            .filter(|c| c.status != CondStatus::Pass)
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(failing, ["standby_holds_token"]);
    }
}

#[test]
fn safety_state_clock_and_observers_are_judged_by_the_policy_values() {
    let (p, _) = starter();
    let mut f = good();
    f.safety = Some(level("NORMAL"));
    let a = evaluate_failover(&p, "order-gateway", &f).unwrap();
    let (st, m) = status_of(&a, Mode::Manual, "safety_state");
    assert_eq!(st, CondStatus::Fail);
    assert!(m.unwrap().contains("escalate to SAFE_MODE"));
    // RECOVERING ranks below SAFE_MODE; HALTED above.
    f.safety = Some(level("RECOVERING"));
    assert!(!evaluate_failover(&p, "order-gateway", &f).unwrap().ok);
    f.safety = Some(level("HALTED"));
    assert!(evaluate_failover(&p, "order-gateway", &f).unwrap().ok);
    let mut f = good();
    f.time = Some(TimeFact {
        below_warn: false,
        offset_ms: Some(-310),
        warn_ms: 250,
    });
    let a = evaluate_failover(&p, "order-gateway", &f).unwrap();
    assert_eq!(status_of(&a, Mode::Manual, "time_ok").0, CondStatus::Fail);
    // One observer seen twice is one observer; 59 s is under 60 s.
    let mut f = good();
    f.primary_down = Some(vec![
        Observation {
            observer: "prometheus".into(),
            down_for_seconds: 90,
        },
        Observation {
            observer: "prometheus".into(),
            down_for_seconds: 90,
        },
        Observation {
            observer: "standby-probe".into(),
            down_for_seconds: 59,
        },
    ]);
    let a = evaluate_failover(&p, "order-gateway", &f).unwrap();
    assert!(!a.ok);
    let m = a.modes[1]
        .conditions
        .iter()
        .find(|c| c.id == "primary_down_confirmed")
        .unwrap();
    assert_eq!(m.status, CondStatus::Fail);
    assert!(m.detail.starts_with("1 of 2"), "{}", m.detail);
    // Manual does not need the observers.
    assert!(holds(&a, Mode::Manual));
    // Reachable primary without evidence.
    let mut f = good();
    f.primary_reachable = Some(true);
    f.evidence_collected = Some(false);
    let a = evaluate_failover(&p, "order-gateway", &f).unwrap();
    assert_eq!(
        status_of(&a, Mode::Manual, "evidence_from_primary").0,
        CondStatus::Fail
    );
}

#[test]
fn read_only_components_fail_over_automatically_and_manual_ones_only_by_hand() {
    let (p, _) = starter();
    let f = FailoverFacts {
        primary_unhealthy_seconds: Some(90),
        ..FailoverFacts::default()
    };
    let a = evaluate_failover(&p, "market-data-feed", &f).unwrap();
    assert_eq!(a.policy_mode, Mode::Automatic);
    assert!(a.ok, "{a:#?}");
    assert!(holds(&a, Mode::Automatic));
    let f = FailoverFacts {
        primary_unhealthy_seconds: Some(30),
        ..FailoverFacts::default()
    };
    let a = evaluate_failover(&p, "market-data-feed", &f).unwrap();
    assert!(!a.ok);
    assert_eq!(
        status_of(&a, Mode::Automatic, "primary_unhealthy").0,
        CondStatus::Fail
    );
    // No fencing for a read-only component.
    assert_eq!(
        status_of(&a, Mode::Manual, "standby_holds_token").0,
        CondStatus::Pass
    );
    // The trading engine: manual only.
    let mut f = good();
    f.lease = Some(LeaseFact {
        name: "trading-engine".into(),
        ..lease(State::Held, "n2", 3)
    });
    let a = evaluate_failover(&p, "trading-engine", &f).unwrap();
    assert_eq!(a.policy_mode, Mode::Manual);
    assert!(a.ok);
    assert!(!holds(&a, Mode::SemiAutomatic));
    assert_eq!(
        status_of(&a, Mode::SemiAutomatic, "mode_permitted")
            .1
            .unwrap(),
        "`trading-engine` never fails over semi_automatic"
    );
    let e = evaluate_failover(&p, "risk-engine", &f).unwrap_err();
    assert!(
        e.contains("known: market-data-feed, evidence-delivery, order-gateway, trading-engine"),
        "{e}"
    );
}

#[test]
fn failback_needs_a_stable_standby_reconciliation_the_token_and_the_confirmation() {
    let (_, p) = starter();
    assert_eq!(
        p.requires,
        [
            "high_danger_confirmation",
            "reconciliation_ok",
            "fencing_token_transfer",
            "freeze_exception_or_no_freeze"
        ]
    );
    let good = FailbackFacts {
        lease: Some(lease(State::Released, "n2", 8)),
        standby: Some("n2".into()),
        primary: Some("n1".into()),
        safety: Some(level("HALTED")),
        stable_minutes_on_standby: Some(75),
        reconciliation_ok: Some(true),
        freeze: Some(FreezeFact {
            active: true,
            exception: true,
        }),
        confirmed: None,
    };
    // Before the confirmation: everything else passes, the confirmation is
    // unknown, so it does not hold.
    let a = evaluate_failback(&p, "order-gateway", &good);
    assert!(!a.ok);
    let open: Vec<&str> = a
        .conditions
        .iter()
        .filter(|c| c.status != CondStatus::Pass)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(open, ["high_danger_confirmation"]);
    let ok = FailbackFacts {
        confirmed: Some(true),
        ..good.clone()
    };
    assert!(evaluate_failback(&p, "order-gateway", &ok).ok);
    let check = |f: FailbackFacts, id: &str, want: CondStatus| {
        let a = evaluate_failback(&p, "order-gateway", &f);
        let c = a.conditions.iter().find(|c| c.id == id).unwrap();
        assert_eq!(c.status, want, "{id}: {c:?}");
        assert!(!a.ok);
        c.missing.clone().unwrap_or_default()
    };
    let m = check(
        FailbackFacts {
            safety: Some(level("SAFE_MODE")),
            ..ok.clone()
        },
        "state_allowed",
        CondStatus::Fail,
    );
    assert_eq!(m, "fail back only from NORMAL or HALTED");
    check(
        FailbackFacts {
            stable_minutes_on_standby: Some(59),
            ..ok.clone()
        },
        "stable_on_standby",
        CondStatus::Fail,
    );
    check(
        FailbackFacts {
            freeze: Some(FreezeFact {
                active: true,
                exception: false,
            }),
            ..ok.clone()
        },
        "freeze_exception_or_no_freeze",
        CondStatus::Fail,
    );
    let m = check(
        FailbackFacts {
            lease: Some(lease(State::Held, "n2", 8)),
            ..ok.clone()
        },
        "fencing_token_transfer",
        CondStatus::Fail,
    );
    assert!(
        m.ends_with("opsbook lease release order-gateway --holder n2 --token 8"),
        "{m}"
    );
    check(
        FailbackFacts {
            reconciliation_ok: None,
            ..ok.clone()
        },
        "reconciliation_ok",
        CondStatus::Unknown,
    );
    // Already transferred: the primary holds a new token.
    let done = FailbackFacts {
        lease: Some(lease(State::Held, "n1", 9)),
        ..ok.clone()
    };
    assert!(evaluate_failback(&p, "order-gateway", &done).ok);
    // A requirement opsbook does not know never passes.
    let mut p2 = p.clone();
    p2.requires.push("vendor_sign_off".into());
    let a = evaluate_failback(&p2, "order-gateway", &ok);
    assert!(!a.ok);
    assert_eq!(a.conditions.last().unwrap().status, CondStatus::Unknown);
}
