//! Issue 16 use cases as a library: the clock check recorded and the
//! `time_ok` check verified from it (fresh, ok, intact — refused
//! otherwise), leases through the SSOT's store with the `no_split_brain`
//! check reading `ledger/lease.jsonl`, and failback refused without its
//! one-person confirmation.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Ssot, refused};
use opsbook_core::next::NextStep;
use opsbook_ops::OpsError;
use opsbook_ops::incident::{OpenRequest, SeverityInput};
use opsbook_ops::{failover, lease, time};
use opsbook_testkit::sntp::{Reply, scripted};

fn open(s: &Ssot) -> String {
    opsbook_ops::incident::open(
        s.ctx(),
        &OpenRequest {
            title: "clock drift".into(),
            severity: SeverityInput {
                stated: Some("P1".into()),
                reason: Some("test".into()),
                ..SeverityInput::default()
            },
            ..OpenRequest::default()
        },
    )
    .unwrap()
    .id
}

fn check(s: &Ssot, offset_ms: i64, incident: &str) -> time::Checked {
    let (addr, _) = scripted(vec![Reply::at(offset_ms)]);
    time::check(
        s.ctx(),
        &time::CheckRequest {
            servers: vec![addr],
            incident: Some(incident.into()),
            ..time::CheckRequest::default()
        },
    )
    .unwrap()
}

#[test]
fn time_ok_is_verified_from_a_recorded_check_and_refused_when_not_ok_stale_or_unknown() {
    let s = Ssot::new();
    s.at("2026-11-29T01:00:00Z");
    let id = open(&s);
    let bad = check(&s, 700, &id);
    assert_eq!(bad.report.verdict, time::Verdict::HaltNewOrders);
    assert_eq!(bad.recorded.as_deref(), Some("TCK-1"));
    s.at("2026-11-29T01:05:00Z");
    let good = check(&s, 5, &id);
    assert_eq!(good.report.verdict, time::Verdict::Ok);
    assert_eq!(good.recorded.as_deref(), Some("TCK-2"));
    let inc = s.ctx().store().unwrap().load(&id).unwrap();
    // Both checks are notes on the timeline.
    let log = std::fs::read_to_string(s.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    assert!(log.contains("clock check TCK-1: halt_new_orders"), "{log}");
    assert!(log.contains("clock check TCK-2: ok"), "{log}");
    refused(
        time::verify_time_ok(s.ctx(), &inc, "TCK-1"),
        "says `halt_new_orders`",
    );
    let note = time::verify_time_ok(s.ctx(), &inc, "TCK-2").unwrap();
    assert!(note.starts_with("verified by opsbook: TCK-2 ok"), "{note}");
    refused(
        time::verify_time_ok(s.ctx(), &inc, "TCK-9"),
        "not a clock check recorded",
    );
    let e = refused(
        time::verify_time_ok(s.ctx(), &inc, "it was fine"),
        "neither a recorded clock check",
    );
    let OpsError::Refused(r) = e else { panic!() };
    assert_eq!(
        r.next,
        Some(NextStep::CheckTime {
            incident: Some(id.clone())
        })
    );
    // 31 minutes later the same check is stale.
    s.at("2026-11-29T01:36:00Z");
    refused(time::verify_time_ok(s.ctx(), &inc, "TCK-2"), "31 min ago");
    s.ledgers_verify();
}

#[test]
fn leases_go_through_the_ssot_store_and_no_split_brain_reads_the_lease_ledger() {
    let s = Ssot::new();
    let dir = s.root.join("..").join("leases");
    let mut toml = std::fs::read_to_string(s.path("opsbook.toml")).unwrap();
    toml.push_str(&format!(
        "\n[lease]\nbackend = \"local\"\ndir = \"{}\"\n",
        dir.display().to_string().replace('\\', "/")
    ));
    std::fs::write(s.path("opsbook.toml"), toml).unwrap();
    s.at("2026-11-29T02:00:00Z");
    let id = open(&s);
    let req = |name: &str, holder: &str| lease::LeaseRequest {
        name: name.into(),
        holder: Some(holder.into()),
        ttl: Some("30s".into()),
        ..lease::LeaseRequest::default()
    };
    let inc = s.ctx().store().unwrap().load(&id).unwrap();
    // Nothing acquired yet: nothing shows one holder per order writer.
    refused(
        lease::verify_no_split_brain(s.ctx(), &inc, "ledger/lease.jsonl"),
        "does not exist",
    );
    let g = lease::acquire(s.ctx(), &req("order-gateway", "n1")).unwrap();
    assert_eq!(g.token, 1);
    assert!(
        dir.join("order-gateway.lease.json").is_file(),
        "the [lease] dir of opsbook.toml"
    );
    let e = refused(
        lease::acquire(s.ctx(), &req("order-gateway", "n2")),
        "held by n1",
    );
    let OpsError::Refused(r) = e else { panic!() };
    assert_eq!(
        r.next,
        Some(NextStep::LeaseStatus {
            name: "order-gateway".into()
        })
    );
    // trading-engine (fencing_required) is not held yet.
    refused(
        lease::verify_no_split_brain(s.ctx(), &inc, "ledger/lease.jsonl"),
        "trading-engine",
    );
    lease::acquire(s.ctx(), &req("trading-engine", "n1")).unwrap();
    let note = lease::verify_no_split_brain(s.ctx(), &inc, "ledger\\lease.jsonl").unwrap();
    assert!(
        note.contains("order-gateway held by n1 (token 1)"),
        "{note}"
    );
    assert!(
        note.contains("trading-engine held by n1 (token 1)"),
        "{note}"
    );
    refused(
        lease::verify_no_split_brain(s.ctx(), &inc, "C:/elsewhere/lease.jsonl"),
        "is not this SSOT's lease ledger",
    );
    // Release, then the other holder gets the next token.
    lease::release(
        s.ctx(),
        &lease::LeaseRequest {
            token: Some(1),
            ..req("order-gateway", "n1")
        },
    )
    .unwrap();
    assert_eq!(
        lease::acquire(s.ctx(), &req("order-gateway", "n2"))
            .unwrap()
            .token,
        2
    );
    s.ledgers_verify();
}

#[test]
fn failback_is_refused_without_its_confirmation_and_names_it() {
    let s = Ssot::new();
    s.at("2026-11-29T03:00:00Z");
    let e = refused(
        failover::failback(
            s.ctx(),
            &failover::FailbackRequest {
                component: "order-gateway".into(),
                stated: failover::Stated::parse(&["primary=n1".into(), "standby=n2".into()])
                    .unwrap(),
                reason: "primary repaired".into(),
                ..failover::FailbackRequest::default()
            },
        ),
        "T2 action",
    );
    let OpsError::Refused(r) = e else { panic!() };
    assert_eq!(
        r.next,
        Some(NextStep::Confirm {
            operation: "failback".into(),
            target: Some("order-gateway".into()),
        })
    );
    // Unknown facts are errors of input, not refusals.
    common::invalid(
        failover::Stated::parse(&["colour=red".into()]),
        "not a failover fact",
    );
}

#[test]
fn incident_accept_verifies_time_ok_given_as_a_recorded_check() {
    use opsbook_core::incident::Status;
    use opsbook_ops::incident as inc;
    let s = Ssot::new();
    s.at("2026-11-29T02:00:00Z");
    let id = open(&s);
    inc::change_status(
        s.at("2026-11-29T02:01:00Z"),
        &id,
        Status::Acked,
        "ack",
        Some("Aiko"),
    )
    .unwrap();
    inc::decide(
        s.at("2026-11-29T02:02:00Z"),
        &id,
        "resync the clock",
        "offset 700 ms",
        &[],
        Some("SAFE_MODE"),
        true,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:03:00Z"),
        &id,
        Status::Mitigating,
        "resync",
        None,
    )
    .unwrap();
    s.at("2026-11-29T02:10:00Z");
    assert_eq!(check(&s, 8, &id).recorded.as_deref(), Some("TCK-1"));
    let all = s.accept_all("2026-11-29T02:10:00Z");
    let with_time = |t: &'static str| -> Vec<opsbook_core::incident::CheckAnswer> {
        all.iter()
            .map(|a| {
                if a.starts_with("time_ok=") {
                    t
                } else {
                    a.as_str()
                }
            })
            .map(|a| inc::parse_check(a).unwrap())
            .collect()
    };
    refused(
        inc::accept(s.ctx(), &id, with_time("time_ok=pass:TCK-7")),
        "TCK-7 is not a clock check",
    );
    inc::accept(s.ctx(), &id, with_time("time_ok=pass:TCK-1")).unwrap();
    let log = std::fs::read_to_string(s.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    assert!(log.contains("verified by opsbook: TCK-1 ok"), "{log}");
}

/// The answers file of a fit operator confirming `target`.
fn answers(target: &str) -> opsbook_ops::confirm::FileAnswers {
    let text = opsbook_testkit::ssot::confirm_answers(target, 8);
    opsbook_ops::confirm::FileAnswers::new(opsbook_core::yaml::parse(&text).unwrap().value)
}

/// A passed confirmation of `operation` on `target` (cooling-off 0; by
/// day: a T2 confirmation at night is refused for fatigue).
fn confirmed(s: &Ssot, operation: &str, target: &str, incident: Option<&str>) -> String {
    opsbook_ops::confirm::confirm(
        s.ctx(),
        &opsbook_ops::confirm::ConfirmRequest {
            operation: operation.into(),
            target: Some(target.into()),
            incident: incident.map(str::to_string),
            override_reason: None,
            before_dwell: false,
        },
        &mut answers(target),
    )
    .unwrap()
    .confirmation
}

/// An incident that does not turn the change freeze on (P2).
fn open_p2(s: &Ssot) -> String {
    opsbook_ops::incident::open(
        s.ctx(),
        &OpenRequest {
            title: "standby took over".into(),
            severity: SeverityInput {
                stated: Some("P2".into()),
                reason: Some("test".into()),
                ..SeverityInput::default()
            },
            ..OpenRequest::default()
        },
    )
    .unwrap()
    .id
}

fn ledger_types(s: &Ssot, rel: &str) -> Vec<String> {
    std::fs::read_to_string(s.path(rel))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn failback_with_its_confirmation_is_approved_once_and_recorded_on_the_incident() {
    let s = Ssot::new();
    s.cooling_off(0);
    let dir = s.root.join("..").join("leases");
    opsbook_testkit::ssot::append_config(
        &s.root,
        &format!(
            "\n[lease]\nbackend = \"local\"\ndir = {}\n",
            opsbook_testkit::ssot::toml_str(&dir.display().to_string())
        ),
    );
    s.at("2026-11-29T10:00:00Z");
    let id = open_p2(&s);
    // The standby n2 still holds order-gateway.
    let held = lease::acquire(
        s.ctx(),
        &lease::LeaseRequest {
            name: "order-gateway".into(),
            holder: Some("n2".into()),
            ttl: Some("30s".into()),
            ..lease::LeaseRequest::default()
        },
    )
    .unwrap();
    let cnf = confirmed(&s, "failback", "order-gateway", Some(&id));
    let req = |minutes: u64| failover::FailbackRequest {
        component: "order-gateway".into(),
        stated: failover::Stated::parse(&[
            "primary=n1".into(),
            "standby=n2".into(),
            format!("stable_minutes_on_standby={minutes}"),
            "reconciliation_ok=true".into(),
        ])
        .unwrap(),
        incident: Some(id.clone()),
        reason: "primary repaired".into(),
        ..failover::FailbackRequest::default()
    };
    // Held by the standby: no token transfer; the confirmation stays unused.
    let e = refused(
        failover::failback(s.ctx(), &req(75)),
        "fencing_token_transfer (fail)",
    );
    assert!(
        e.to_string().contains(&format!("{cnf} stays unused")),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("opsbook lease release order-gateway --holder n2 --token 1"),
        "{e}"
    );
    lease::release(
        s.ctx(),
        &lease::LeaseRequest {
            name: "order-gateway".into(),
            holder: Some("n2".into()),
            token: Some(held.token),
            ..lease::LeaseRequest::default()
        },
    )
    .unwrap();
    // 45 minutes on the standby is below the policy's 60.
    refused(
        failover::failback(s.ctx(), &req(45)),
        "stable_on_standby (fail): 60 min stable on the standby",
    );
    s.at("2026-11-29T10:01:00Z");
    let done = failover::failback(s.ctx(), &req(75)).unwrap();
    assert_eq!(done.confirmation, cnf);
    assert!(done.assessment.ok);
    let passed: Vec<&str> = done
        .assessment
        .conditions
        .iter()
        .filter(|c| c.status == failover::CondStatus::Pass)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(passed.len(), done.assessment.conditions.len());
    for id in [
        "reconciliation_ok",
        "fencing_token_transfer",
        "stable_on_standby",
    ] {
        assert!(passed.contains(&id), "{id} not in {passed:?}");
    }
    // Recorded: the confirmation used, a decision on the incident.
    let kinds: Vec<&str> = done.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["confirmation_used", "decision"], "{kinds:?}");
    assert_eq!(
        ledger_types(&s, "ledger/confirmations.jsonl")
            .last()
            .map(String::as_str),
        Some("confirmation_used")
    );
    let log = std::fs::read_to_string(s.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    assert!(
        log.contains(&format!(
            "failback of order-gateway approved ({cnf}): every failback condition holds"
        )),
        "{log}"
    );
    assert!(log.contains("primary repaired"), "{log}");
    // The confirmation was used: a second failback needs a new one.
    let e = refused(failover::failback(s.ctx(), &req(75)), "T2 action");
    let OpsError::Refused(r) = e else { panic!() };
    assert!(
        matches!(r.next, Some(NextStep::Confirm { .. })),
        "{:?}",
        r.next
    );
    s.ledgers_verify();
}

#[test]
fn switch_version_with_its_confirmation_seals_evidence_then_moves_the_pointer() {
    use opsbook_ops::marketdata as md;
    let s = Ssot::new();
    s.cooling_off(0);
    s.at("2026-11-29T11:00:00Z");
    let id = open_p2(&s);
    let derived = s.root.join("..").join("derived");
    std::fs::create_dir_all(derived.join("v1")).unwrap();
    std::fs::create_dir_all(derived.join("v2")).unwrap();
    let pointer = derived.join("CURRENT");
    std::fs::write(&pointer, "v1\n").unwrap();
    let target = pointer.display().to_string();
    let req = |version: &str| md::SwitchRequest {
        pointer: pointer.clone(),
        version: version.into(),
        incident: id.clone(),
        reason: "rebuilt from the archive".into(),
        includes: Vec::new(),
        clock_reference: Some("none".into()),
        tool_version: "test".into(),
    };
    // A version that was not written first is an input error; no confirmation asked.
    common::invalid(
        md::switch_version(s.ctx(), &req("v3")),
        "is not a version directory",
    );
    refused(md::switch_version(s.ctx(), &req("v2")), "T2 action");
    let cnf = confirmed(&s, "replay_reprocess_data", &target, Some(&id));
    let done = md::switch_version(s.ctx(), &req("v2")).unwrap();
    assert_eq!(done.confirmation, cnf);
    assert_eq!(
        (done.switch.previous.as_str(), done.switch.current.as_str()),
        ("v1", "v2")
    );
    assert_eq!(done.switch.approval_ref, cnf);
    assert_eq!(done.switch.evidence_ref, done.evidence);
    assert!(done.evidence.starts_with("EVB-"), "{}", done.evidence);
    assert_eq!(std::fs::read_to_string(&pointer).unwrap().trim(), "v2");
    // The old version is kept: switching back is the backout.
    assert!(derived.join("v1").is_dir());
    let mut hist = pointer.as_os_str().to_owned();
    hist.push(".history.jsonl");
    let history = std::fs::read_to_string(std::path::PathBuf::from(hist)).unwrap();
    assert_eq!(history.lines().count(), 1, "{history}");
    assert!(history.contains(&cnf), "{history}");
    let kinds: Vec<&str> = done.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["data_version_switched", "confirmation_used", "decision"],
        "{kinds:?}"
    );
    assert_eq!(
        ledger_types(&s, "ledger/data.jsonl"),
        ["data_version_switched"]
    );
    let data = std::fs::read_to_string(s.path("ledger/data.jsonl")).unwrap();
    let ev: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
    assert_eq!(ev["data"]["previous"], "v1");
    assert_eq!(ev["data"]["current"], "v2");
    assert_eq!(ev["data"]["confirmation"], cnf.as_str());
    assert_eq!(ev["data"]["evidence"], done.evidence.as_str());
    assert_eq!(ev["data"]["incident"], id.as_str());
    // The evidence was sealed before the switch: the bundle is on the custody ledger.
    let custody = std::fs::read_to_string(s.path("ledger/custody.jsonl")).unwrap();
    assert!(custody.contains(&done.evidence), "{custody}");
    let log = std::fs::read_to_string(s.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    assert!(
        log.contains("data version switched") && log.contains("v1 → v2"),
        "{log}"
    );
    // Used once: switching back needs its own confirmation.
    refused(md::switch_version(s.ctx(), &req("v1")), "T2 action");
    s.ledgers_verify();
}

/// An incident in MITIGATING since 02:03 (its recovery started then).
fn mitigating(s: &Ssot) -> String {
    use opsbook_core::incident::Status;
    use opsbook_ops::incident as inc;
    s.at("2026-11-29T02:00:00Z");
    let id = open(s);
    inc::change_status(
        s.at("2026-11-29T02:01:00Z"),
        &id,
        Status::Acked,
        "ack",
        Some("Aiko"),
    )
    .unwrap();
    inc::decide(
        s.at("2026-11-29T02:02:00Z"),
        &id,
        "resync the clock",
        "offset 700 ms",
        &[],
        Some("SAFE_MODE"),
        true,
    )
    .unwrap();
    inc::change_status(
        s.at("2026-11-29T02:03:00Z"),
        &id,
        Status::Mitigating,
        "resync",
        None,
    )
    .unwrap();
    id
}

/// Every answer of `all`, with the one starting `id=` replaced by `answer`.
fn with(all: &[String], id: &str, answer: &str) -> Vec<opsbook_core::incident::CheckAnswer> {
    all.iter()
        .map(|a| {
            if a.starts_with(&format!("{id}=")) {
                answer
            } else {
                a.as_str()
            }
        })
        .map(|a| opsbook_ops::incident::parse_check(a).unwrap())
        .collect()
}

#[test]
fn time_ok_and_no_split_brain_are_records_never_the_operators_word() {
    use opsbook_ops::incident as inc;
    let s = Ssot::new();
    let id = mitigating(&s);
    let all = s.accept_all("2026-11-29T02:10:00Z");
    // A printout of w32tm is not a measurement opsbook can verify: refused,
    // nothing recorded, with the step that records one.
    let e = refused(
        inc::accept(
            s.ctx(),
            &id,
            with(&all, "time_ok", "time_ok=pass:w32tm-0241.txt"),
        ),
        "time_ok is not verified: `w32tm-0241.txt` is neither a recorded clock check (TCK-N) nor a time report file attached to",
    );
    let OpsError::Refused(r) = e else { panic!() };
    assert_eq!(
        r.next,
        Some(NextStep::CheckTime {
            incident: Some(id.clone())
        })
    );
    // A file that says "no split-brain" is not the lease ledger: refused,
    // with the step that shows the holders.
    let e = refused(
        inc::accept(
            s.ctx(),
            &id,
            with(&all, "no_split_brain", "no_split_brain=pass:lease-0242.txt"),
        ),
        "no_split_brain is not verified: `lease-0242.txt` is not this SSOT's lease ledger",
    );
    let OpsError::Refused(r) = e else { panic!() };
    assert_eq!(r.next, Some(NextStep::LeaseHolders));
    let log = std::fs::read_to_string(s.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    assert!(
        !log.contains("recovery_acceptance"),
        "nothing recorded: {log}"
    );
    // The records themselves pass, each note saying what was read.
    let records: Vec<_> = all.iter().map(|a| inc::parse_check(a).unwrap()).collect();
    let a = inc::accept(s.ctx(), &id, records).unwrap();
    assert!(a.passed);
    let log = std::fs::read_to_string(s.path(&format!("incidents/{id}/events.jsonl"))).unwrap();
    assert!(
        log.contains("verified by opsbook: TCK-1 ok, offset +"),
        "{log}"
    );
    assert!(
        log.contains("order-gateway held by n1 (token 1), trading-engine held by n1 (token 1)"),
        "{log}"
    );
}

#[test]
fn an_order_writer_without_a_lease_event_is_judged_never_acquired() {
    let s = Ssot::new();
    opsbook_testkit::ssot::own_lease_store(&s.root, &s.root.join("..").join("leases"));
    let id = mitigating(&s);
    s.at("2026-11-29T02:10:00Z");
    lease::acquire(
        s.ctx(),
        &lease::LeaseRequest {
            name: "order-gateway".into(),
            holder: Some("n1".into()),
            ttl: Some("1h".into()),
            ..lease::LeaseRequest::default()
        },
    )
    .unwrap();
    let inc = s.ctx().store().unwrap().load(&id).unwrap();
    let e = refused(
        lease::verify_no_split_brain(s.ctx(), &inc, "ledger/lease.jsonl"),
        "`trading-engine` must be held by exactly one holder but was never acquired",
    );
    let OpsError::Refused(r) = e else { panic!() };
    assert_eq!(r.next, Some(NextStep::LeaseHolders));
    // Every lease this SSOT knows, the never-acquired writer included.
    let all = lease::status_all(s.ctx(), None).unwrap();
    let names: Vec<(&str, lease::State)> = all.iter().map(|x| (x.name.as_str(), x.state)).collect();
    assert_eq!(
        names,
        [
            ("order-gateway", lease::State::Held),
            ("trading-engine", lease::State::Free)
        ]
    );
}

#[test]
fn a_declared_single_instance_platform_needs_no_lease_and_the_note_names_the_declaration() {
    let s = Ssot::new();
    let id = mitigating(&s);
    s.at("2026-11-29T02:10:00Z");
    let inc = s.ctx().store().unwrap().load(&id).unwrap();
    // Without the declaration and without a lease ledger: refused, saying
    // both ways out.
    refused(
        lease::verify_no_split_brain(s.ctx(), &inc, "ledger/lease.jsonl"),
        "no lease was ever acquired through this SSOT, so nothing shows one holder per order writer (order-gateway, trading-engine)",
    );
    s.edit(
        "policy/failover.yaml",
        "  # single_instance:\n  #   host: TRADE-01\n  #   reason: ",
        "  single_instance:\n    host: TRADE-01\n    reason: ",
    );
    let note = lease::verify_no_split_brain(s.ctx(), &inc, "ledger/lease.jsonl").unwrap();
    assert!(
        note.starts_with("verified by opsbook: policy/failover.yaml declares the platform single-instance on TRADE-01 (No standby; the service start refuses a second TradeEngine process"),
        "{note}"
    );
    assert!(
        note.ends_with(
            "ledger/lease.jsonl does not exist (no lease was ever recorded through this SSOT)"
        ),
        "{note}"
    );
    // With the declaration, a lease ledger that exists is still replayed
    // (an overlap in it would be refused as without it).
    opsbook_testkit::ssot::own_lease_store(&s.root, &s.root.join("..").join("leases"));
    let req = |holder: &str| lease::LeaseRequest {
        name: "trading-engine".into(),
        holder: Some(holder.into()),
        ttl: Some("1h".into()),
        ..lease::LeaseRequest::default()
    };
    lease::acquire(s.ctx(), &req("n1")).unwrap();
    let note = lease::verify_no_split_brain(s.ctx(), &inc, "ledger/lease.jsonl").unwrap();
    assert!(
        note.contains("1 lease events") && note.contains("single-instance on TRADE-01"),
        "{note}"
    );
    // The starter policy with the declaration still passes its contract.
    let (_, findings) = s.gate("2026-11-29");
    assert!(
        !findings.iter().any(|(_, _, m)| m.contains("failover")),
        "{findings:?}"
    );
}
