//! Tests of the ledger: chain, lock, torn lines, repair, verification.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::Digest;

use super::*;

use serde_json::json;

fn actor() -> Actor {
    Actor {
        user: "op".into(),
        host: "trade-01".into(),
        name: None,
    }
}

fn ts(s: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_796_000_000 + s).unwrap()
}

fn three(dir: &Path) -> PathBuf {
    let p = dir.join("events.jsonl");
    for i in 0..3 {
        append_at(
            &p,
            &actor(),
            "note",
            json!({"text": format!("n{i}")}),
            ts(i),
        )
        .unwrap();
    }
    p
}

#[test]
fn chain_appends_and_verifies() {
    let t = tempfile::tempdir().unwrap();
    let p = three(t.path());
    let v = verify(&p).unwrap();
    assert!(v.ok(), "{v:?}");
    assert_eq!(v.events, 3);
    let text = std::fs::read_to_string(&p).unwrap();
    let first: Event = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first.seq, 1);
    assert_eq!(first.prev_hash, None);
    assert_eq!(first.ts.len(), "2026-11-29T23:08:50.123Z".len());
    assert!(first.ts.ends_with('Z'));
    assert_eq!(first.hash.len(), 64);
}

#[test]
fn hash_is_sha256_of_jcs_without_hash() {
    let v = json!({"seq": 1, "ts": "t", "actor": {"user": "u", "host": "h"}, "type": "x", "data": {"b": 1, "a": 2}, "prev_hash": null, "hash": "ignored"});
    // JCS: keys sorted, no whitespace.
    let jcs = r#"{"actor":{"host":"h","user":"u"},"data":{"a":2,"b":1},"prev_hash":null,"seq":1,"ts":"t","type":"x"}"#;
    let expected: String = sha2::Sha256::digest(jcs.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hash_of(&v).unwrap(), expected);
}

#[test]
fn tampering_is_named_by_line() {
    let t = tempfile::tempdir().unwrap();
    let p = three(t.path());
    let text = std::fs::read_to_string(&p).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // One changed byte in line 2.
    let edited = text.replacen("n1", "m1", 1);
    let v = verify_bytes("x", edited.as_bytes());
    assert_eq!(
        v.first_break.as_ref().map(|b| (b.line, b.damage)),
        Some((2, Damage::Edited))
    );
    // A removed line.
    let removed = format!("{}\n{}\n", lines[0], lines[2]);
    let v = verify_bytes("x", removed.as_bytes());
    assert_eq!(
        v.first_break.as_ref().map(|b| (b.line, b.damage)),
        Some((2, Damage::Removed))
    );
    // Two swapped lines.
    let swapped = format!("{}\n{}\n{}\n", lines[0], lines[2], lines[1]);
    let v = verify_bytes("x", swapped.as_bytes());
    assert_eq!(
        v.first_break.as_ref().map(|b| (b.line, b.damage)),
        Some((2, Damage::Reordered))
    );
    // A line from another ledger with the right seq.
    let t2 = tempfile::tempdir().unwrap();
    let other = three(t2.path());
    let o = std::fs::read_to_string(&other).unwrap();
    let mut olines = o.lines();
    let _ = olines.next();
    // Same seq 2 event but chained to a different seq 1 (different actor host).
    let foreign_first = append_at(
        &t2.path().join("f.jsonl"),
        &Actor {
            host: "other".into(),
            ..actor()
        },
        "note",
        json!({}),
        ts(0),
    )
    .unwrap();
    let f2 = append_at(
        &t2.path().join("f.jsonl"),
        &actor(),
        "note",
        json!({"text": "n1"}),
        ts(1),
    )
    .unwrap();
    let _ = foreign_first;
    let spliced = format!("{}\n{}\n", lines[0], serde_json::to_string(&f2).unwrap());
    let v = verify_bytes("x", spliced.as_bytes());
    assert_eq!(
        v.first_break.as_ref().map(|b| (b.line, b.damage)),
        Some((2, Damage::Foreign))
    );
    // Reordered: a duplicate of line 1 at line 3.
    let dup = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[0]);
    let v = verify_bytes("x", dup.as_bytes());
    assert_eq!(
        v.first_break.as_ref().map(|b| (b.line, b.damage)),
        Some((3, Damage::Reordered))
    );
}

#[test]
fn torn_tail_blocks_appends_and_repair_keeps_every_complete_event() {
    let t = tempfile::tempdir().unwrap();
    let p = three(t.path());
    let mut f = OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(br#"{"seq":4,"ts":"2026-"#).unwrap();
    drop(f);
    let v = verify(&p).unwrap();
    assert_eq!(
        v.first_break.as_ref().map(|b| (b.line, b.damage)),
        Some((4, Damage::Torn))
    );
    assert_eq!(v.events, 3);
    assert!(matches!(
        append_at(&p, &actor(), "note", json!({}), ts(9)),
        Err(LedgerError::Torn { .. })
    ));
    let r = repair(&p, &actor(), ts(10)).unwrap();
    assert_eq!(r.set_aside_bytes, 20);
    assert_eq!(r.event_seq, Some(4));
    let v = verify(&p).unwrap();
    assert!(v.ok(), "{v:?}");
    assert_eq!(v.events, 4);
    let aside = std::fs::read_to_string(t.path().join("events.jsonl.torn")).unwrap();
    assert_eq!(aside, "{\"seq\":4,\"ts\":\"2026-\n");
    // Nothing left to repair; tampering is not "repaired".
    assert_eq!(repair(&p, &actor(), ts(11)).unwrap().set_aside_bytes, 0);
    let text = std::fs::read_to_string(&p).unwrap().replacen("n1", "m1", 1);
    std::fs::write(&p, text).unwrap();
    assert!(matches!(
        repair(&p, &actor(), ts(12)),
        Err(LedgerError::NotRepairable { .. })
    ));
}

#[test]
fn unreadable_last_event_is_named_with_its_line() {
    let t = tempfile::tempdir().unwrap();
    let p = three(t.path());
    let mut f = OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(b"{\"note\": \"no seq\"}\n").unwrap();
    drop(f);
    match append_at(&p, &actor(), "note", json!({}), ts(5)) {
        Err(LedgerError::BadTail { line, .. }) => assert_eq!(line, 4),
        other => panic!("{other:?}"),
    }
}

#[test]
fn crlf_and_bom_are_accepted() {
    let t = tempfile::tempdir().unwrap();
    let p = three(t.path());
    let text = std::fs::read_to_string(&p).unwrap().replace('\n', "\r\n");
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(text.as_bytes());
    assert!(verify_bytes("x", &bytes).ok());
}

#[test]
fn time_never_goes_backwards() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("events.jsonl");
    append_at(&p, &actor(), "note", json!({}), ts(10)).unwrap();
    append_at(&p, &actor(), "note", json!({}), ts(10)).unwrap();
    let e = append_at(&p, &actor(), "note", json!({"text": "x"}), ts(9)).unwrap();
    assert_eq!(
        e.ts,
        format_ts(ts(10)),
        "stamped with the last event's time"
    );
    assert_eq!(e.data["clock_behind_ms"], 1000);
    assert_eq!(e.data["clock_observed"], format_ts(ts(9)));
    assert!(verify(&p).unwrap().ok());
    assert_eq!(read(&p).unwrap().len(), 3);
    // A forged line dated before its predecessor, hashed correctly,
    // still breaks verification.
    let events = read(&p).unwrap();
    let mut forged = serde_json::to_value(&events[2]).unwrap();
    forged["seq"] = json!(4);
    forged["prev_hash"] = json!(events[2].hash);
    forged["ts"] = json!(format_ts(ts(1)));
    forged["hash"] = json!(hash_of(&forged).unwrap());
    let mut bytes = std::fs::read(&p).unwrap();
    bytes.extend_from_slice(format!("{forged}\n").as_bytes());
    let v = verify_bytes("x", &bytes);
    let b = v.first_break.unwrap();
    assert_eq!((b.line, b.damage), (4, Damage::Reordered));
    assert!(
        b.message.contains("timestamps never go backwards"),
        "{}",
        b.message
    );
}

#[test]
fn writer_reads_and_appends_under_one_lock() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("sub").join("events.jsonl");
    let mut w = Writer::open(&p).unwrap();
    assert!(w.events().unwrap().is_empty());
    let e = w.append(&actor(), "opened", json!({"title": "t"})).unwrap();
    assert_eq!(e.seq, 1);
    assert_eq!(w.events().unwrap()[0].hash, e.hash);
    drop(w);
    // A broken chain is refused for reading, naming the line.
    let mut text = std::fs::read_to_string(&p).unwrap();
    text = text.replace("\"t\"", "\"T\"");
    std::fs::write(&p, text).unwrap();
    match read(&p) {
        Err(LedgerError::Broken { line, .. }) => assert_eq!(line, 1),
        other => panic!("expected Broken, got {other:?}"),
    }
}
