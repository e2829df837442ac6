#![allow(clippy::unwrap_used)]
//! No secret is written into an immutable record (issue 13 item 2): every
//! free text an operation appends goes through the context's redaction
//! first, whichever ledger it lands in, and the operation warns. One test
//! per write path, asserting the exact stored text.

mod common;

use common::Ssot;
use opsbook_core::ledger::Event;
use opsbook_ops::incident::{self as inc, LogKind, OpenRequest, SeverityInput};
use opsbook_ops::safety::{self, SetRequest};
use opsbook_ops::{drill, learn};

const AWS: &str = "AKIAIOSFODNN7EXAMPLE";
const BEARER: &str = "Bearer eyJhbGciOiJIUzI1NiJ9abcdefghijklmnop";
const PG: &str = "postgres://trader:S3cretPassw0rd@db.internal:5432/orders";
const MBX: &str = "X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

fn events(path: &std::path::Path) -> Vec<Event> {
    opsbook_core::ledger::read(path).unwrap()
}

fn last_of(path: &std::path::Path, kind: &str) -> Event {
    events(path)
        .into_iter()
        .rev()
        .find(|e| e.kind == kind)
        .unwrap_or_else(|| panic!("no `{kind}` in {}", path.display()))
}

fn open(s: &Ssot, title: &str) -> String {
    let req = OpenRequest {
        title: title.into(),
        severity: SeverityInput {
            stated: Some("P2".into()),
            reason: Some(format!("seen in the gateway log: {PG}")),
            ..SeverityInput::default()
        },
        ..OpenRequest::default()
    };
    inc::open(s.at("2026-11-29T03:10:00Z"), &req).unwrap().id
}

fn warned(s: &Ssot, class: &str) {
    let w = s.ctx().take_warnings();
    assert!(
        w.iter()
            .any(|w| w.contains(&format!("[REDACTED:{class}]")) && !w.contains("S3cret")),
        "no warning for {class}: {w:?}"
    );
}

/// `incident open`: the title and the severity reason are stored redacted,
/// the outcome's event is the stored one, and the operation warns.
#[test]
fn an_incident_title_and_reason_are_stored_redacted() {
    let s = Ssot::new();
    let id = open(&s, &format!("key {AWS} leaked in the gateway log"));
    let opened = last_of(&s.ctx().layout.incident_events(&id), "opened");
    assert_eq!(
        opened.data["title"],
        "key [REDACTED:aws_access_key_id] leaked in the gateway log"
    );
    let text = std::fs::read_to_string(s.ctx().layout.incident_events(&id)).unwrap();
    assert!(
        !text.contains(AWS) && !text.contains("S3cretPassw0rd"),
        "{text}"
    );
    let r = s.ctx().redactions();
    assert!(
        r.iter()
            .any(|r| r.class == "aws_access_key_id" && r.field == "/title" && r.kind == "opened"),
        "{r:?}"
    );
    warned(&s, "aws_access_key_id");
}

/// `incident log` (notes and decisions) and `incident decide`.
#[test]
fn notes_and_decisions_are_stored_redacted() {
    let s = Ssot::new();
    let id = open(&s, "gateway rejects orders");
    let ctx = s.at("2026-11-29T03:12:00Z");
    inc::log(
        ctx,
        &id,
        LogKind::Note,
        &format!("curl -H '{MBX}' worked"),
        None,
    )
    .unwrap();
    let note = last_of(&ctx.layout.incident_events(&id), "note");
    assert_eq!(
        note.data["text"], "curl -H 'X-MBX-APIKEY: [REDACTED:labelled_secret]' worked",
        "{}",
        note.data
    );
    warned(&s, "labelled_secret");
    inc::decide(
        ctx,
        &id,
        "move the db",
        &format!("Authorization: {BEARER} was refused"),
        &[],
        None,
        true,
    )
    .unwrap();
    let d = last_of(&ctx.layout.incident_events(&id), "decision");
    assert!(
        !d.data.to_string().contains("eyJhbGciOiJIUzI1NiJ9"),
        "{}",
        d.data
    );
    assert_eq!(
        d.data["reason"],
        "Authorization: Bearer [REDACTED:authorization_header] was refused"
    );
}

/// `incident attach`: a reference with credentials in its URL.
#[test]
fn an_attach_reference_with_credentials_is_stored_redacted() {
    let s = Ssot::new();
    let id = open(&s, "gateway rejects orders");
    let ctx = s.at("2026-11-29T03:15:00Z");
    inc::attach(
        ctx,
        &id,
        "https://ops:hunter2hunter2@grafana.internal/d/abc",
        Some(&"ab".repeat(32)),
        Some("dashboard"),
    )
    .unwrap();
    let text = std::fs::read_to_string(ctx.layout.incident_events(&id)).unwrap();
    assert!(!text.contains("hunter2hunter2"), "{text}");
    assert!(
        text.contains("https://ops:[REDACTED:url_credentials]@grafana.internal/d/abc"),
        "{text}"
    );
}

/// `safety set`: the reason, and what the hook printed (stored in
/// `ledger/safety.jsonl` with its result).
#[cfg(unix)]
#[test]
fn a_safety_reason_and_the_hooks_output_are_stored_redacted() {
    let s = Ssot::new();
    opsbook_testkit::ssot::append_config(
        &s.root,
        &format!(
            "\n[safety.hooks.SAFE_MODE]\ncommand = [\"sh\", \"-c\", \"echo 'connected to {PG}'; echo 'aws_access_key_id = {AWS}' >&2\"]\ntimeout_seconds = 20\n"
        ),
    );
    let ctx = s.at("2026-11-29T03:20:00Z");
    let req = SetRequest {
        to: "SAFE_MODE".into(),
        reason: format!("gateway leaked {AWS}"),
        evidence: None,
        source: opsbook_core::safety::Source::Operator,
        incident: None,
        manual: false,
    };
    safety::set_state(ctx, &req).unwrap();
    let path = ctx.layout.ledger(opsbook_core::layout::LedgerFile::Safety);
    let entered = last_of(&path, "state_entered");
    assert_eq!(
        entered.data["reason"],
        "gateway leaked [REDACTED:aws_access_key_id]"
    );
    let result = last_of(&path, "hook_result");
    assert_eq!(
        result.data["outcome"]["stdout"],
        "connected to postgres://trader:[REDACTED:url_credentials]@db.internal:5432/orders\n",
        "{}",
        result.data
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(AWS) && !text.contains("S3cretPassw0rd"),
        "{text}"
    );
}

/// `drill record`: the notes.
#[test]
fn drill_notes_are_stored_redacted() {
    let s = Ssot::new();
    let ctx = s.at("2026-11-29T04:00:00Z");
    drill::record(
        ctx,
        &drill::RecordRequest {
            drill: "DR-HALT-EVIDENCE".into(),
            passed: true,
            evidence: "opsbook.toml".into(),
            date: "2026-11-29".parse().unwrap(),
            notes: Some(format!("spool at {PG}")),
        },
    )
    .unwrap();
    let e = last_of(
        &ctx.layout.ledger(opsbook_core::layout::LedgerFile::Drills),
        "drill_recorded",
    );
    assert_eq!(
        e.data["notes"],
        "spool at postgres://trader:[REDACTED:url_credentials]@db.internal:5432/orders"
    );
    warned(&s, "url_credentials");
}

/// A postmortem draft: the author (free text) is redacted in the file.
#[test]
fn a_postmortem_draft_is_written_redacted() {
    let s = Ssot::new();
    let id = open(&s, "gateway rejects orders");
    let ctx = s.at("2026-11-29T05:00:00Z");
    let d = learn::draft(ctx, &id, &format!("ops {AWS}")).unwrap();
    let text = std::fs::read_to_string(&d.path).unwrap();
    assert!(!text.contains(AWS), "{text}");
    assert!(text.contains("[REDACTED:aws_access_key_id]"), "{text}");
    warned(&s, "aws_access_key_id");
}

/// The gate's OB811 finds nothing after all of the above: what opsbook
/// stores rescans clean.
#[test]
fn what_opsbook_stores_rescans_clean_in_the_gate() {
    let s = Ssot::new();
    let id = open(&s, &format!("key {AWS} leaked"));
    let ctx = s.at("2026-11-29T03:12:00Z");
    inc::log(ctx, &id, LogKind::Note, &format!("{MBX} / {BEARER}"), None).unwrap();
    let (_, found) = s.gate("2026-11-29");
    assert!(!found.iter().any(|(c, _, _)| c == "OB811"), "{found:?}");
    // A secret appended around opsbook is found, naming file and line.
    let path = ctx.layout.incident_events(&id);
    opsbook_core::ledger::append(
        &path,
        &ctx.actor,
        "note",
        serde_json::json!({"text": format!("by hand: {AWS}")}),
    )
    .unwrap();
    let n = events(&path).len();
    let (_, found) = s.gate("2026-11-29");
    let hit: Vec<_> = found.iter().filter(|(c, _, _)| c == "OB811").collect();
    assert_eq!(hit.len(), 1, "{found:?}");
    assert_eq!(hit[0].1, n);
    assert!(
        hit[0].2.contains("aws_access_key_id") && hit[0].2.contains("`text`"),
        "{}",
        hit[0].2
    );
}
