//! Tests of postmortem checks: vague items, targets, done refs, overdue
//! days, durations.

use std::path::PathBuf;

use super::*;

fn item(kind: &str, target: &str, desc: &str, status: &str, due: &str) -> ActionItem {
    ActionItem {
        id: "AI-1".into(),
        kind: kind.into(),
        target: target.into(),
        description: desc.into(),
        owner: "ops".into(),
        due: due.parse().ok(),
        status: status.into(),
        done_ref: None,
        creates: false,
        line: 7,
    }
}

#[test]
fn an_item_may_target_what_it_creates_until_it_is_done() {
    let k = known();
    let as_of: jiff::civil::Date = "2026-12-01".parse().unwrap();
    let desc = "Add alert ClockOffsetStale: page when no offset sample for 10 minutes";
    let mut it = item("monitoring", "ClockOffsetStale", desc, "open", "2026-12-31");
    // Not stated as to be created: an unknown alert.
    let p = check_items(std::slice::from_ref(&it), &k, as_of);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message
            .contains("alert `ClockOffsetStale` is in no alert rule file")
    );
    // Stated: accepted while open.
    it.creates = true;
    assert_eq!(check_items(std::slice::from_ref(&it), &k, as_of), vec![]);
    // Done, and still missing: reported, saying what was promised.
    it.status = "done".into();
    it.done_ref = Some("PR-12".into());
    let p = check_items(std::slice::from_ref(&it), &k, as_of);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message.contains("it was to be created by this item"),
        "{}",
        p[0].message
    );
    // Done and created: fine.
    let mut k2 = known();
    k2.alerts.insert("ClockOffsetStale".into());
    assert_eq!(check_items(std::slice::from_ref(&it), &k2, as_of), vec![]);
}

fn known() -> Known {
    Known {
        root: PathBuf::from("."),
        runbooks: ["RB-PLAT-TIME-DRIFT".to_string()].into_iter().collect(),
        drills: ["DR-TIME-DRIFT".to_string()].into_iter().collect(),
        alerts: ["ClockDriftWarning".to_string()].into_iter().collect(),
        policies: ["severity".to_string()].into_iter().collect(),
        deprecated: ["RB-PLAT-CLOCK-SYNC-LEGACY".to_string()]
            .into_iter()
            .collect(),
    }
}

fn kinds(p: &[ItemProblem]) -> Vec<ItemProblemKind> {
    p.iter().map(|x| x.kind).collect()
}

#[test]
fn vague_items_are_rejected_in_english_and_japanese() {
    let check = |d: &str| {
        check_items(
            &[item(
                "runbook",
                "RB-PLAT-TIME-DRIFT",
                d,
                "open",
                "2027-01-01",
            )],
            &known(),
            "2026-12-01".parse().unwrap(),
        )
    };
    for d in [
        "Operators must be careful when restarting the gateway",
        "Pay more  attention to clock alerts",
        "時刻のずれに気をつける",
        "手順の確認を徹底する",
        "作業前に注意する",
        "時刻同期の確認手順を全員で徹底します。",
        "今後は時刻のずれに十分注意しますので問題ありません",
        "Everyone should be more vigilant about clock drift",
        "時刻を意識して運用するよう周知する",
        "Operators are paying attention to the clock now",
        "Pay close attention to the gateway logs",
        "Pay closer attention to W32Time",
        "Be extra careful before restarting OrderGateway",
        "Being careful with the kill switch",
        "Take great care when rotating keys",
        "Exercise caution around failback",
        "Be cautious with replays",
        "Keep an eye on the reconciliation drift",
        "Stay alert for -1021 errors",
    ] {
        assert_eq!(kinds(&check(d)), vec![ItemProblemKind::Vague], "{d}");
    }
    for d in [
        "Add step 3: run w32tm /resync before restarting",
        "Add alert ClockDriftWarning so that the operator is paged while the offset stays above 250 ms",
        "Add a Do-Not-Do entry to RB-PLAT-TIME-DRIFT: never step the clock while orders are open; it needs attention from a second person (CONFIRM)",
    ] {
        let ok = check(d);
        assert!(ok.is_empty(), "{d}: {ok:?}");
    }
}

#[test]
fn targets_must_exist() {
    let as_of = "2026-12-01".parse().unwrap();
    let d = "A concrete change that can be verified";
    for (kind, target, bad) in [
        ("runbook", "RB-PLAT-TIME-DRIFT", false),
        ("runbook", "RB-NOPE", true),
        ("runbook", "the time runbook", true),
        ("test", "DR-TIME-DRIFT", false),
        ("test", "DR-NOPE", true),
        ("test", "test_reconciliation_grace", false),
        ("monitoring", "ClockDriftWarning", false),
        ("monitoring", "ClockDriftWarnin", true),
        ("policy", "severity", false),
        ("policy", "policy/nope.yaml", true),
        ("implementation", "OrderGateway retry loop", false),
        ("runbook", "RB-PLAT-CLOCK-SYNC-LEGACY", true),
        ("policy", "RB-PLAT-TIME-DRIFT", true),
        ("monitoring", "RB-PLAT-TIME-DRIFT", true),
        ("test", "../../etc/passwd", true),
        ("implementation", "C:/Windows/win.ini", true),
    ] {
        let p = check_items(
            &[item(kind, target, d, "open", "2027-01-01")],
            &known(),
            as_of,
        );
        assert_eq!(
            kinds(&p),
            if bad {
                vec![ItemProblemKind::UnknownTarget]
            } else {
                vec![]
            },
            "{kind} {target}"
        );
    }
}

#[test]
fn done_needs_ref_and_overdue_counts_days() {
    let as_of = "2026-12-10".parse().unwrap();
    let d = "A concrete change that can be verified";
    let p = check_items(
        &[item("test", "DR-TIME-DRIFT", d, "done", "2026-12-01")],
        &known(),
        as_of,
    );
    assert_eq!(kinds(&p), vec![ItemProblemKind::DoneWithoutRef]);
    let p = check_items(
        &[item(
            "test",
            "DR-TIME-DRIFT",
            d,
            "in_progress",
            "2026-12-01",
        )],
        &known(),
        as_of,
    );
    assert_eq!(kinds(&p), vec![ItemProblemKind::Overdue]);
    assert_eq!(p[0].days_overdue, 9);
    let p = check_items(
        &[item("test", "DR-TIME-DRIFT", d, "open", "2026-12-10")],
        &known(),
        as_of,
    );
    assert!(p.is_empty(), "due today is not overdue");
}

#[test]
fn durations_are_human() {
    assert_eq!(human_duration(45_000), "45s");
    assert_eq!(human_duration(750_000), "12m 30s");
    assert_eq!(human_duration(3_900_000), "1h 05m");
}
