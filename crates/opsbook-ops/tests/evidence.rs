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
