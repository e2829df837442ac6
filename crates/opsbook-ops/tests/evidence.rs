#![allow(clippy::unwrap_used)]
//! Evidence orchestration as library tests: what the custody ledger records
//! when nothing can be released (fail closed).

mod common;

use common::{Ssot, refused, write};
use opsbook_core::event::CustodyEvent;
use opsbook_ops::evidence::{self, CollectRequest};
use opsbook_ops::incident::{self as inc, OpenRequest, SeverityInput};

/// A bundle with nothing that can be scanned is refused, and the custody
/// ledger says so (`collect_refused`); the incident gets no reference.
#[test]
fn nothing_scannable_is_refused_and_recorded() {
    let s = Ssot::new();
    let id = inc::open(
        s.at("2026-11-29T02:00:00Z"),
        &OpenRequest {
            title: "dump".into(),
            severity: SeverityInput {
                stated: Some("P2".into()),
                reason: Some("test".into()),
                ..SeverityInput::default()
            },
            ..OpenRequest::default()
        },
    )
    .unwrap()
    .id;
    let bin = write(&s.root, "core.dmp", "");
    std::fs::write(
        &bin,
        [0u8, 0xFF, 0xFE, 0x00, 0x01, 0x02, 0xC3, 0x28].repeat(64),
    )
    .unwrap();
    let e = refused(
        evidence::collect(
            s.at("2026-11-29T02:01:00Z"),
            &CollectRequest {
                incident: id.clone(),
                includes: vec![bin.display().to_string()],
                spool: Some(s.path("spool")),
                clock_reference: Some("none".into()),
                tool_version: "test".into(),
                ..CollectRequest::default()
            },
            &mut |_: usize, _: usize, _: &str| {},
        ),
        "no bundle released: nothing could be collected",
    );
    assert!(e.to_string().contains("core.dmp"), "{e}");
    let custody =
        opsbook_core::event::read::<CustodyEvent>(&s.path("ledger/custody.jsonl")).unwrap();
    let kinds: Vec<&str> = custody.iter().map(|(e, _)| e.kind.as_str()).collect();
    assert_eq!(kinds, ["collect_started", "collect_refused"]);
    let CustodyEvent::CollectRefused(r) = &custody[1].1 else {
        panic!("{custody:?}")
    };
    assert_eq!(r.incident, id);
    assert!(r.why.starts_with("nothing could be collected"), "{}", r.why);
    let events = opsbook_ops::views::show(s.ctx(), &id).unwrap().events;
    assert_eq!(events.len(), 1, "no evidence reference on the timeline");
}

fn open_p2(s: &Ssot, at: &str, title: &str) -> String {
    inc::open(
        s.at(at),
        &OpenRequest {
            title: title.into(),
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

/// A bundle sealed here is attached by its ID alone (hash and size from the
/// custody ledger), and a wrong `--sha256` for it is refused — it used to be
/// recorded as given.
#[test]
fn a_sealed_bundle_is_attached_with_its_recorded_hash() {
    let s = Ssot::new();
    let first = open_p2(&s, "2026-11-29T02:00:00Z", "clock drift");
    let log = write(
        &s.root,
        "bot.log",
        "2026-11-29 02:00 order rejected -1021\r\n",
    );
    let c = evidence::collect(
        s.at("2026-11-29T02:01:00Z"),
        &CollectRequest {
            incident: first,
            includes: vec![log.display().to_string()],
            spool: Some(s.path("spool")),
            clock_reference: Some("none".into()),
            tool_version: "test".into(),
            ..CollectRequest::default()
        },
        &mut |_: usize, _: usize, _: &str| {},
    )
    .unwrap();
    let hex = opsbook_evidence::bundle::file_sha256(std::path::Path::new(&c.path)).unwrap();
    assert_eq!(c.sha256, hex);

    let second = open_p2(&s, "2026-11-29T02:02:00Z", "same night, other symptom");
    let wrong = "ab".repeat(32);
    let e = common::invalid(
        inc::attach(
            s.at("2026-11-29T02:03:00Z"),
            &second,
            &c.bundle_id,
            Some(&wrong),
            None,
        ),
        &format!("was sealed with SHA-256 {hex}"),
    );
    assert!(e.to_string().contains(&wrong), "{e}");
    inc::attach(
        s.at("2026-11-29T02:04:00Z"),
        &second,
        &c.bundle_id,
        None,
        None,
    )
    .unwrap();
    let i = opsbook_ops::views::show(s.ctx(), &second).unwrap().incident;
    let att = i.evidence.last().unwrap();
    assert_eq!(att.reference, c.bundle_id);
    assert_eq!(att.sha256, hex);
    assert_eq!(att.kind, "bundle");

    // An EVB this SSOT never sealed still needs its hash, and is warned.
    common::invalid(
        inc::attach(
            s.at("2026-11-29T02:05:00Z"),
            &second,
            "EVB-19990101-0001",
            None,
            None,
        ),
        "neither a file here nor a bundle sealed in this SSOT",
    );
    let ctx = s.at("2026-11-29T02:06:00Z");
    inc::attach(ctx, &second, "EVB-19990101-0001", Some(&wrong), None).unwrap();
    let w = ctx.take_warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("EVB-19990101-0001 is not sealed in this SSOT")),
        "{w:?}"
    );
}
