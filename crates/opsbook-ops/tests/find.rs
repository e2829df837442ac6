#![allow(clippy::unwrap_used)]
//! `opsbook find` (D-RB-INDEX) on the starter SSOT: what a tired operator
//! types — an error code, an alert name, a symptom in English or Japanese —
//! ranks the runbooks exactly as documented in `opsbook_ops::find`.

mod common;

use common::{Ssot, invalid};
use opsbook_ops::find::{self, FindRequest, Found};

fn find(s: &Ssot, q: &[&str], limit: usize) -> Found {
    find::find(
        s.ctx(),
        &FindRequest {
            text: q.iter().map(|x| (*x).to_string()).collect(),
            limit,
        },
    )
    .unwrap()
}

/// (runbook, severity, score) best first.
fn ranking(f: &Found) -> Vec<(String, String, u32)> {
    f.hits
        .iter()
        .map(|h| {
            (
                h.runbook.clone(),
                h.severity.clone().unwrap_or_default(),
                h.score,
            )
        })
        .collect()
}

fn r(id: &str, sev: &str, score: u32) -> (String, String, u32) {
    (id.to_string(), sev.to_string(), score)
}

#[test]
fn an_error_code_beginning_with_a_dash_finds_the_time_drift_runbook_first() {
    let s = Ssot::new();
    let f = find(&s, &["-1021"], 20);
    assert_eq!(f.terms, vec!["1021"]);
    assert!(f.unmatched.is_empty());
    assert_eq!(
        ranking(&f),
        vec![
            // Direct: its symptom, the coverage entry (first), the alert's description.
            r("RB-PLAT-TIME-DRIFT", "P0", 20),
            // Second runbook of COV-TIME-DRIFT-CRITICAL: half.
            r("RB-QUICK-HALT-EVIDENCE", "P0", 10),
            // Related to the hits, after every hit (a quarter of the hit).
            r("RB-EXEC-RECONCILIATION", "P0", 5),
            r("RB-PLAT-RATE-LIMIT-429", "P0", 5),
            r("RB-WIN-OPS-COMMANDS", "P1", 5),
            r("RB-QUICK-P0-FIRST-TEN", "P0", 2),
            r("RB-QUICK-CHANGE-FREEZE", "P1", 2),
            r("RB-QUICK-HIGH-DANGER-CONFIRM", "P1", 2),
        ]
    );
    let top = &f.hits[0];
    assert_eq!(
        top.severity_from.as_deref(),
        Some("COV-TIME-DRIFT-CRITICAL")
    );
    assert_eq!(top.file, "runbooks/platform/time-drift.md");
    assert_eq!(top.title_ja.as_deref(), Some("取引ホストの時計ズレ"));
    let sources: Vec<&str> = top.reasons.iter().map(|x| x.source).collect();
    assert_eq!(sources, vec!["symptom", "coverage", "alert-text"]);
    let step = top.first_step.as_ref().unwrap();
    assert_eq!((step.step.as_str(), step.tier.as_str()), ("1", "T0"));
    assert!(
        step.purpose
            .starts_with("Step 1 — what does W32Time think?"),
        "{}",
        step.purpose
    );
    assert!(
        step.code.contains("w32tm /query /status /verbose"),
        "{}",
        step.code
    );
    // Bybit's code for the same cause, and the default limit.
    let f = find(&s, &["10002"], 0);
    assert_eq!(f.hits.len(), find::DEFAULT_LIMIT);
    assert_eq!(f.total, 8);
    assert_eq!(
        ranking(&f)[..2],
        [
            r("RB-PLAT-TIME-DRIFT", "P0", 20),
            r("RB-QUICK-HALT-EVIDENCE", "P0", 10)
        ]
    );
}

#[test]
fn http_429_is_a_p1_rate_limit_and_418_the_p0_ban_of_the_same_runbook() {
    let s = Ssot::new();
    let f = find(&s, &["HTTP", "429"], 1);
    assert_eq!(f.terms, vec!["429"]);
    assert_eq!(ranking(&f), vec![r("RB-PLAT-RATE-LIMIT-429", "P1", 20)]);
    assert_eq!(
        f.hits[0].severity_from.as_deref(),
        Some("COV-RATE-LIMIT-429")
    );
    assert_eq!(f.total, 5);
    let f = find(&s, &["418"], 2);
    assert_eq!(
        ranking(&f),
        vec![
            r("RB-PLAT-RATE-LIMIT-429", "P0", 20),
            r("RB-QUICK-HALT-EVIDENCE", "P0", 10)
        ]
    );
    assert_eq!(f.hits[0].severity_from.as_deref(), Some("COV-IP-BAN"));
    // 429 is a whole number, never a part of one.
    assert!(find(&s, &["42"], 20).hits.is_empty());
}

#[test]
fn alert_names_japanese_titles_symptoms_and_ids_rank_as_documented() {
    let s = Ssot::new();
    assert_eq!(
        ranking(&find(&s, &["ClockDriftHigh"], 2)),
        vec![
            r("RB-PLAT-TIME-DRIFT", "P0", 50),
            r("RB-QUICK-HALT-EVIDENCE", "P0", 25)
        ]
    );
    // Japanese: character pairs of the title 取引ホストの時計ズレ.
    let f = find(&s, &["時計がズレている"], 1);
    assert_eq!(f.unmatched, vec!["計が", "がズ", "レて"]);
    assert_eq!(ranking(&f), vec![r("RB-PLAT-TIME-DRIFT", "P0", 12)]);
    assert_eq!(
        ranking(&find(&s, &["APIキー漏洩"], 1)),
        vec![r("RB-SEC-KEY-LEAK", "P0", 24)]
    );
    // What the exchange says, pasted whole. The key-leak (4) and P0 card
    // (2) runbooks matched one common word each: below a quarter of 36,
    // weak, left out; the time-drift runbook's related runbooks (36/4 = 9)
    // come after the hits instead.
    let f = find(
        &s,
        &[
            "-1021",
            "Timestamp for this request is outside of the recvWindow",
        ],
        4,
    );
    assert_eq!(
        ranking(&f),
        vec![
            r("RB-PLAT-TIME-DRIFT", "P0", 36),
            r("RB-QUICK-HALT-EVIDENCE", "P0", 16),
            r("RB-EXEC-RECONCILIATION", "P0", 9),
            r("RB-PLAT-RATE-LIMIT-429", "P0", 9),
        ]
    );
    assert_eq!(f.weak, 2);
    assert_eq!(f.hits[2].reasons[0].source, "related");
    // Japanese "API key leak": the 429 runbook matched "api" alone (4 of
    // 24): no longer second.
    let f = find(&s, &["APIキー漏洩"], 12);
    assert_eq!(f.hits[0].runbook, "RB-SEC-KEY-LEAK");
    assert_eq!(f.weak, 3);
    assert!(
        f.hits
            .iter()
            .skip(1)
            .all(|h| h.reasons.iter().all(|r| r.source == "related")),
        "{:?}",
        ranking(&f)
    );
    assert!(!f.hits.iter().any(|h| h.runbook == "RB-PLAT-RATE-LIMIT-429"));
    assert_eq!(
        ranking(&find(&s, &["api", "key", "leak"], 4)),
        vec![
            r("RB-SEC-KEY-LEAK", "P0", 18),
            r("RB-QUICK-HIGH-DANGER-CONFIRM", "P1", 8),
            r("RB-PLAT-RATE-LIMIT-429", "P0", 4),
            r("RB-QUICK-P0-FIRST-TEN", "P0", 4),
        ]
    );
    // A runbook ID typed whole is one term.
    let f = find(&s, &["rb-sec-key-leak"], 1);
    assert_eq!(f.terms, vec!["rb-sec-key-leak"]);
    assert_eq!(ranking(&f), vec![r("RB-SEC-KEY-LEAK", "P0", 100)]);
    // A deprecated runbook is never offered (its title 時刻同期 matches).
    let f = find(&s, &["時刻同期"], 20);
    assert!(
        f.hits
            .iter()
            .all(|h| h.runbook != "RB-PLAT-CLOCK-SYNC-LEGACY")
    );
}

#[test]
fn nothing_found_is_empty_and_a_query_without_words_is_refused() {
    let s = Ssot::new();
    let f = find(&s, &["zzqx"], 5);
    assert!(f.hits.is_empty());
    assert_eq!(f.unmatched, vec!["zzqx"]);
    invalid(
        find::find(
            s.ctx(),
            &FindRequest {
                text: vec!["the".into(), "of".into()],
                limit: 0,
            },
        ),
        "no word to search for",
    );
    invalid(
        find::find(s.ctx(), &FindRequest::default()),
        "nothing to find",
    );
}

/// `halt`'s advice depends on the symptom (issue 13 item 6): a clock
/// drift halted is contained — rest; a key leak is not — act now, on the
/// key-leak runbook.
#[test]
fn halt_points_to_the_symptoms_runbook_and_does_not_advise_rest_for_a_key_leak() {
    use opsbook_ops::halt::{self, Advice};
    let s = Ssot::new();
    let h = halt::halt(s.at("2026-11-29T03:10:00Z"), "-1021 storm", None, false).unwrap();
    assert_eq!(
        h.symptom.as_ref().map(|x| x.runbook.as_str()),
        Some("RB-PLAT-TIME-DRIFT")
    );
    assert_eq!(h.advice, Advice::Rest);

    let s = Ssot::new();
    let h = halt::halt(
        s.at("2026-11-29T03:10:00Z"),
        "API key seen in a chat screenshot, unknown orders",
        None,
        false,
    )
    .unwrap();
    assert_eq!(
        h.symptom.as_ref().map(|x| x.runbook.as_str()),
        Some("RB-SEC-KEY-LEAK")
    );
    let Advice::ActNow { runbook, why } = &h.advice else {
        panic!("a key leak is not solved by resting: {:?}", h.advice);
    };
    assert_eq!(runbook, "RB-SEC-KEY-LEAK");
    assert!(why.contains("revoked"), "{why}");

    // A reason that names no symptom: no runbook guessed, rest.
    let s = Ssot::new();
    let h = halt::halt(s.at("2026-11-29T03:10:00Z"), "zzqx", None, false).unwrap();
    assert!(h.symptom.is_none());
    assert_eq!(h.advice, Advice::Rest);
}

/// A second halt does not forget why the platform was halted first: after
/// a key leak, a clock-drift halt still says act now on the key-leak
/// runbook, naming the first reason; the other way round, resting stays.
#[test]
fn a_second_halt_keeps_the_first_halts_act_now_advice() {
    use opsbook_ops::halt::{self, Advice};
    let s = Ssot::new();
    let leak = "API key seen in a chat screenshot, unknown orders";
    halt::halt(s.at("2026-11-29T03:10:00Z"), leak, None, false).unwrap();
    let h = halt::halt(s.at("2026-11-29T03:20:00Z"), "-1021 storm", None, false).unwrap();
    let Advice::ActNow { runbook, why } = &h.advice else {
        panic!("the key leak is still not contained: {:?}", h.advice);
    };
    assert_eq!(runbook, "RB-SEC-KEY-LEAK");
    assert!(
        why.starts_with(&format!("the platform was already HALTED for \"{leak}\"")),
        "{why}"
    );
    assert_eq!(
        h.symptom.as_ref().map(|x| x.runbook.as_str()),
        Some("RB-SEC-KEY-LEAK")
    );

    let s = Ssot::new();
    halt::halt(s.at("2026-11-29T03:10:00Z"), "-1021 storm", None, false).unwrap();
    let h = halt::halt(s.at("2026-11-29T03:20:00Z"), "-1021 again", None, false).unwrap();
    assert_eq!(h.advice, Advice::Rest);
}
