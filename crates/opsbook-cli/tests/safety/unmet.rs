//! Leaving HALTED too early, as a tired operator meets it (a fresh-user
//! trial): `safety set` lists every unmet condition at once with the
//! command that meets it — and each printed command, run as printed, works;
//! `confirm release_halt` refuses a confirmation that would expire before
//! the dwell ends, says when to start it, and `--before-dwell` overrides.

use serde_json::Value;

use super::{answers, at, init_ssot, short_cooling_off};

/// The words of a printed PowerShell command line (`'…'` quoted, `''`
/// inside), without the leading `opsbook`.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if quoted && chars.peek() == Some(&'\'') => {
                chars.next();
                cur.push('\'');
            }
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    assert_eq!(out.first().map(String::as_str), Some("opsbook"), "{line}");
    out.remove(0);
    out
}

#[test]
fn safety_set_lists_every_unmet_condition_and_each_printed_command_works() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    short_cooling_off(d, 0);
    let (c, _, _) = at(
        d,
        "2026-11-29T12:00:00Z",
        &["halt", "--reason", "order state unknown"],
    );
    assert_eq!(c, 1, "halt without a hook");
    let set = ["safety", "set", "RECOVERING", "--reason", "recon clean"];
    let (c, out, err) = at(d, "2026-11-29T12:01:00Z", &set);
    assert_eq!((c, out.as_str()), (1, ""), "{err}");
    assert_eq!(
        err,
        "refused: HALTED → RECOVERING: 3 conditions are not met:
  - evidence: HALTED → RECOVERING is a de-escalation: it needs evidence that the cause is gone: --evidence REF, or a reference attached to the incident (--incident ID) since the state was entered
    fix: `opsbook evidence collect --incident INC-20261129-001 --runbook RB-QUICK-HALT-EVIDENCE` (seals a bundle and attaches it to the incident; `safety set` with that --incident takes it), or add --evidence REF
  - dwell: HALTED must hold for at least 30 min before de-escalating (min_dwell_minutes, the anti-flap guard); entered 2026-11-29T12:00:00.000Z, 29 min to go
    fix: wait until 2026-11-29 12:30:00 UTC (29 min from now)
  - confirmation: leaving HALTED needs the high-danger confirmation first
    fix: at 2026-11-29 12:20:00 UTC or later (19 min from now; started earlier it would expire before it can be used): `opsbook confirm release_halt --target RECOVERING`
then run again: `opsbook safety set RECOVERING --reason 'recon clean' --incident INC-20261129-001`
"
    );
    // The same as JSON: a list, each with its command; the exit code the same.
    let mut json = set.to_vec();
    json.extend(["--format", "json"]);
    let (c, out, _) = at(d, "2026-11-29T12:01:00Z", &json);
    assert_eq!(c, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let unmet = v["unmet"].as_array().unwrap();
    let field = |k: &str| -> Vec<Value> { unmet.iter().map(|u| u[k].clone()).collect() };
    assert_eq!(
        field("condition"),
        [
            Value::from("evidence"),
            Value::from("dwell"),
            Value::from("confirmation")
        ]
    );
    assert_eq!(
        field("command"),
        [
            Value::from(
                "opsbook evidence collect --incident INC-20261129-001 --runbook RB-QUICK-HALT-EVIDENCE"
            ),
            Value::Null,
            Value::from("opsbook confirm release_halt --target RECOVERING")
        ]
    );
    assert_eq!(
        (&unmet[1]["until"], &unmet[1]["minutes_left"]),
        (&Value::from("2026-11-29T12:30:00.000Z"), &Value::from(29))
    );
    assert_eq!(
        (&unmet[2]["next"]["from"], &unmet[2]["next"]["usable_from"]),
        (
            &Value::from("2026-11-29T12:20:00.000Z"),
            &Value::from("2026-11-29T12:30:00.000Z")
        )
    );
    let again = v["run_again"].as_str().unwrap().to_string();
    assert_eq!(
        again,
        "opsbook safety set RECOVERING --reason 'recon clean' --incident INC-20261129-001"
    );
    // Every printed command, as printed, at the time it names.
    let cmd = |i: usize| words(unmet[i]["command"].as_str().unwrap());
    let (c, _, err) = at(
        d,
        "2026-11-29T12:02:00Z",
        &cmd(0).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(c, 0, "{err}");
    let a = answers(d, "RECOVERING", 10);
    let mut confirm = cmd(2);
    confirm.extend(["--answers".to_string(), a.to_str().unwrap().to_string()]);
    let confirm: Vec<&str> = confirm.iter().map(String::as_str).collect();
    let (c, out, err) = at(d, "2026-11-29T12:20:00Z", &confirm);
    assert_eq!(c, 0, "{out}{err}");
    let (c, out, err) = at(
        d,
        "2026-11-29T12:30:00Z",
        &words(&again).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(c, 0, "{out}{err}");
    assert!(out.starts_with("HALTED → RECOVERING"), "{out}");
}

#[test]
fn confirm_release_halt_too_early_says_when_and_needs_the_flag() {
    let (_t, dir) = init_ssot();
    let d = &dir;
    short_cooling_off(d, 0);
    at(
        d,
        "2026-11-29T12:00:00Z",
        &["halt", "--reason", "order state unknown"],
    );
    let a = answers(d, "RECOVERING", 10);
    let a = a.to_str().unwrap();
    let confirm = [
        "confirm",
        "release_halt",
        "--target",
        "RECOVERING",
        "--answers",
        a,
    ];
    let (c, out, err) = at(d, "2026-11-29T12:01:00Z", &confirm);
    assert_eq!((c, out.as_str()), (1, ""), "{err}");
    assert_eq!(
        err,
        "refused: too early for release_halt: HALTED must hold until 2026-11-29 12:30:00 UTC (29 min from now, its min_dwell_minutes) before it may be left for RECOVERING; a confirmation started now is valid 15 min after it passes and would expire at about 2026-11-29 12:16:00 UTC, 14 min before it could be used; start it at 2026-11-29 12:20:00 UTC or later (19 min from now), so that it is still valid when the dwell ends: `opsbook confirm release_halt --target RECOVERING`
to confirm now anyway (it will expire unused, and `safety set` will ask for a new one): `opsbook confirm release_halt --target RECOVERING --before-dwell`
"
    );
    let mut json = confirm.to_vec();
    json.extend(["--format", "json"]);
    let (c, out, _) = at(d, "2026-11-29T12:01:00Z", &json);
    assert_eq!(c, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            v["usable_from"].as_str(),
            v["expires_at"].as_str(),
            v["start_from"].as_str(),
            v["start_in_minutes"].as_i64()
        ),
        (
            Some("2026-11-29T12:30:00.000Z"),
            Some("2026-11-29T12:16:00.000Z"),
            Some("2026-11-29T12:20:00.000Z"),
            Some(19)
        )
    );
    // Nothing was asked nor recorded.
    let (_, status, _) = at(d, "2026-11-29T12:01:30Z", &["confirm", "status"]);
    assert_eq!(status, "No confirmation in ledger/confirmations.jsonl.\n");
    // Anyway, explicitly: passed, and told it will never be usable.
    let mut anyway = confirm.to_vec();
    anyway.push("--before-dwell");
    let (c, out, err) = at(d, "2026-11-29T12:02:00Z", &anyway);
    assert_eq!(c, 0, "{err}");
    assert_eq!(
        out,
        "CNF-1 confirmed: release_halt on `RECOVERING`, valid until 2026-11-29T12:17:00.000Z, used once.
  usable from 2026-11-29 12:30:00 UTC (28 min from now): HALTED's min_dwell_minutes end then, and `opsbook safety set RECOVERING` is refused before.
  WARNING: it expires at 2026-11-29 12:17:00 UTC, 13 min before it can be used (confirmed with --before-dwell): confirm again from 2026-11-29 12:20:00 UTC on.
"
    );
    // When told: usable at the dwell's end; JSON carries both times.
    let mut json = confirm.to_vec();
    json.extend(["--format", "json"]);
    let (c, out, err) = at(d, "2026-11-29T12:20:00Z", &json);
    assert_eq!(c, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            v["usable_from"].as_str(),
            v["expires_at"].as_str(),
            v["expires_before_usable"].as_bool()
        ),
        (
            Some("2026-11-29T12:30:00.000Z"),
            Some("2026-11-29T12:35:00.000Z"),
            Some(false)
        )
    );
}
