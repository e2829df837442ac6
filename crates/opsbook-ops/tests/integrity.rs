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
