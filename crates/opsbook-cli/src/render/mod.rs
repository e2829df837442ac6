//! Turning outcomes into what people read: times in UTC with local time
//! beside them, the way forward as an `opsbook …` command that works as
//! printed, Markdown tables, a failed hook with its manual steps. JSON is
//! the outcome itself (`serde`).

pub mod find;
pub mod incident;
pub mod integrity;
pub mod run;
pub mod safety;
pub mod unmet;

use std::fmt::Write as _;

use opsbook_core::next::NextStep;
use opsbook_ops::HookFailure;

/// `2026-11-29 02:10:00Z (11:10:00 +09 local)`; UTC only when local is UTC.
#[must_use]
pub fn when(ts: &str) -> String {
    let Ok(t) = ts.parse::<jiff::Timestamp>() else {
        return ts.to_string();
    };
    let utc = t.strftime("%Y-%m-%d %H:%M:%SZ").to_string();
    let tz = jiff::tz::TimeZone::system();
    let local = t.to_zoned_datetime(tz);
    if local.offset().seconds() == 0 {
        return utc;
    }
    let date_differs = local.date() != t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let fmt = if date_differs {
        "%Y-%m-%d %H:%M:%S %:z"
    } else {
        "%H:%M:%S %:z"
    };
    format!("{utc} ({} local)", local.strftime(fmt))
}

/// The way forward, as the tail of a sentence: the command to run.
#[must_use]
pub fn hint(next: &NextStep) -> String {
    match next {
        NextStep::DecideSafety { incident } => format!(
            "; first decide the platform's safety state: `opsbook incident decide {incident} --safety HALTED --decision \"…\" --reason \"…\"` (NORMAL is a valid decision)"
        ),
        NextStep::AttachEvidence { incident } => format!(
            "; attach at least one reference: `opsbook evidence collect --incident {incident}` (attaches its bundle), or `opsbook incident attach {incident} FILE|EVB-…` (hashed or looked up for you)"
        ),
        NextStep::AnswerAcceptance {
            incident: Some(i),
            failing,
        } if failing.is_empty() => {
            format!("; answer the checklist: `opsbook incident accept {i}` lists the checks")
        }
        NextStep::AnswerAcceptance {
            incident: Some(i), ..
        } => format!("; fix them and answer again with `opsbook incident accept {i}`"),
        NextStep::AnswerAcceptance { incident: None, .. } => {
            ": answer it on the incident (`opsbook incident accept ID`) and pass --incident ID"
                .into()
        }
        NextStep::DraftPostmortem { incident } => {
            format!(": `opsbook postmortem new {incident}`")
        }
        NextStep::Confirm {
            operation,
            target: Some(t),
        } if operation == "release_halt" => {
            format!(": `opsbook confirm release_halt --target {t}` (valid 15 min, used once)")
        }
        NextStep::Confirm { operation, target } => format!(
            ": `opsbook confirm {operation} --target {}`",
            target.as_deref().unwrap_or("NAME")
        ),
        NextStep::ConfirmFrom {
            operation,
            target,
            when,
        } => format!(
            "; start it at {} or later ({} min from now), so that it is still valid when the dwell ends: `opsbook confirm {operation} --target {}`",
            unmet::utc(&when.from),
            when.in_minutes,
            opsbook_core::text::quote_arg(target)
        ),
        NextStep::FreezeException { action } => format!(
            ": ask for an exception (`opsbook freeze except --action {action} --reason … --risk … --backout … --expires-in 60m --approver NAME`)"
        ),
        NextStep::RecordManualSwitch { state } => format!(
            "; after switching by hand, record it: `opsbook safety set {state} --manual --reason \"…\"`"
        ),
        NextStep::RepairLedger { .. } | NextStep::VerifyLedger { .. } => {
            let cmd = command(next).unwrap_or_default();
            if matches!(next, NextStep::RepairLedger { .. }) {
                format!("; run `{cmd}` first")
            } else {
                format!(" (run `{cmd}`)")
            }
        }
        NextStep::CreateSsot => " (create one with `opsbook init`)".into(),
        NextStep::RunGate => " (`opsbook gate` shows every problem)".into(),
        NextStep::FlushEvidence => ": run `opsbook evidence flush`".into(),
        NextStep::FreezeStatus => " (`opsbook freeze status` lists them)".into(),
        NextStep::LiftFreeze => ": `opsbook freeze off --reason …`".into(),
        NextStep::EndWatch => {
            " (end the watch when it is over: `opsbook safety watch-end --result ok --reason …`)"
                .into()
        }
        NextStep::Acknowledge { incident } => format!(": `opsbook incident ack {incident}`"),
        NextStep::Resolve { incident } => {
            format!(": `opsbook incident resolve {incident} --reason …`")
        }
        NextStep::Close { incident } => {
            format!(": `opsbook incident close {incident} --reason …`")
        }
        NextStep::ListAcceptance { incident } => {
            format!(" (`opsbook incident accept {incident}` lists them)")
        }
        NextStep::CheckTime { incident } => format!(
            "; measure and record the clock: `opsbook time check --record --incident {}`, then answer `time_ok=pass:TCK-<n>` with the ID it prints",
            incident.as_deref().unwrap_or("ID")
        ),
        NextStep::ReconcileFills { .. } => "; reconcile and store a report: `opsbook reconcile fills --internal FILE --exchange FILE`, then give its REC-… ID".to_string(),
        NextStep::LeaseStatus { name } => {
            format!(" (`opsbook lease status {name}` shows who holds it)")
        }
        NextStep::StartRecovery { incident, from } if from == "HALTED" => format!(
            "; once the cause is mitigated, start recovery: `opsbook confirm release_halt --target RECOVERING`, then `opsbook safety set RECOVERING --incident {incident} --reason \"…\" --evidence EVB-…` (fill in the reason and the bundle that shows the cause is gone)"
        ),
        NextStep::StartRecovery { incident, .. } => format!(
            "; once the cause is mitigated, start recovery: `opsbook safety set RECOVERING --incident {incident} --reason \"…\" --evidence EVB-…` (fill in the reason and the bundle that shows the cause is gone)"
        ),
        NextStep::LeaseHolders => "; see who holds each lease: `opsbook lease status`, then answer `no_split_brain=pass:ledger/lease.jsonl` (opsbook reads the ledger itself)".into(),
        _ => String::new(),
    }
}

/// The step as a bare command line that works as printed (paths quoted for
/// PowerShell, the canonical shell), where it is one command.
#[must_use]
pub fn command(next: &NextStep) -> Option<String> {
    use opsbook_core::text::quote_arg;
    match next {
        NextStep::RepairLedger { path } => {
            Some(format!("opsbook ledger repair {}", quote_arg(path)))
        }
        NextStep::VerifyLedger { path } => {
            Some(format!("opsbook ledger verify {}", quote_arg(path)))
        }
        _ => None,
    }
}

/// A failed platform hook, with its manual steps and what to run after.
#[must_use]
pub fn hook_failure(f: &HookFailure) -> String {
    let manual = opsbook_ops::safety::render_manual(&f.manual);
    if f.reengage {
        return format!("hook failed: {}\n{manual}", f.headline());
    }
    let mut s = format!("hook failed: {}\n", f.headline());
    if !f.stderr.trim().is_empty() {
        let _ = writeln!(s, "hook stderr: {}", f.stderr.trim());
    }
    s.push_str(&manual);
    s.push('\n');
    // One way to record the manual switch, never two. When the manual
    // steps record the state themselves (a step runs `opsbook safety set …
    // --manual` or `opsbook halt`), they are that way: nothing else is to
    // be recorded. Otherwise one command: HALTED with an incident is
    // `halt` (it ties the incident and the freeze); any other state is
    // `safety set … --manual`. `--manual` records without running the
    // failed hook again.
    let recording: Vec<&str> = manual
        .lines()
        .filter(|l| l.contains("opsbook safety set ") || l.contains("opsbook halt "))
        .collect();
    let steps_record = !recording.is_empty();
    // A recording step without --manual would run the failed hook again.
    let with_manual = if recording.iter().all(|l| l.contains("--manual")) {
        "with --manual"
    } else {
        "add --manual where a step lacks it, so that the failed hook does not run again"
    };
    let _ = match (&f.incident, steps_record) {
        (Some(id), true) => write!(
            s,
            "Incident {id} is open. Switch the platform by hand NOW with the steps above: they record the state themselves ({with_manual}), so first `$env:OPSBOOK_INCIDENT = '{id}'`; record it once, nothing else."
        ),
        (None, true) => write!(
            s,
            "Switch the platform by hand with the steps above: they record the state themselves ({with_manual}); record it once, nothing else."
        ),
        (Some(id), false) if f.to == "HALTED" => write!(
            s,
            "Incident {id} is open. Halt the platform by hand NOW (the steps above), then record it once: `opsbook halt --incident {id} --manual --reason \"…\"`."
        ),
        (Some(id), false) => write!(
            s,
            "After switching by hand (the steps above), record it once: `opsbook safety set {} --incident {id} --manual --reason \"…\"`",
            f.to
        ),
        (None, false) => write!(
            s,
            "After switching by hand (the steps above), record it once: `opsbook safety set {} --manual --reason \"…\"`",
            f.to
        ),
    };
    s
}

/// A Markdown table: a header row and rows of cells (`|` escaped).
#[must_use]
pub fn markdown_table<S: AsRef<str>>(header: &[&str], rows: &[Vec<S>]) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| c.as_ref().replace('|', "\\|")).collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    s
}

/// JSON with a newline, as every `--format json` prints it.
///
/// # Errors
/// Never for the outcomes of this crate.
pub fn json<T: serde::Serialize>(v: &T) -> Result<String, serde_json::Error> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

/// Human lines for a severity classification.
#[must_use]
pub fn classification(c: &opsbook_core::severity::Classification) -> String {
    let mut s = match &c.rule {
        Some(r) if c.assumed.is_empty() => format!("{} (rule {r})\n", c.severity),
        // The rule that matched on stated facts first; the one that decided
        // only through assumed facts after it, marked as such (issue 13).
        Some(r) => {
            let stated = c.matches.iter().find(|m| m.assumed.is_empty()).map_or_else(
                || "no rule matches the stated facts alone".to_string(),
                |m| format!("rule {} ({}) on the stated facts", m.rule, m.severity),
            );
            format!(
                "{}: {stated}; {} through ASSUMED facts: rule {r} assumes {} (state them to lower the severity)\n",
                c.severity,
                c.severity,
                c.assumed.join(", ")
            )
        }
        None => format!("{} (no rule matched: default_severity)\n", c.severity),
    };
    if let Some(why) = &c.rationale {
        let _ = writeln!(s, "  why: {why}");
    }
    s
}

#[cfg(test)]
mod hook_failure_tests {
    use super::hook_failure;
    use opsbook_ops::{HookFailure, ManualSteps};

    fn failure(to: &str, incident: Option<&str>) -> HookFailure {
        HookFailure {
            to: to.into(),
            from: "NORMAL".into(),
            reengage: false,
            why: "exited with 2".into(),
            timed_out: false,
            stderr: String::new(),
            manual: ManualSteps::NoRunbook,
            incident: incident.map(str::to_string),
        }
    }

    /// Manual steps that do not record the state: exactly one record
    /// command, `halt` for HALTED with an incident, else `safety set`.
    #[test]
    fn one_record_command_when_the_steps_record_nothing() {
        let h = hook_failure(&failure("HALTED", Some("INC-20261129-001")));
        assert!(h.ends_with("then record it once: `opsbook halt --incident INC-20261129-001 --manual --reason \"…\"`."), "{h}");
        let s = hook_failure(&failure("SAFE_MODE", Some("INC-20261129-001")));
        assert!(s.ends_with("record it once: `opsbook safety set SAFE_MODE --incident INC-20261129-001 --manual --reason \"…\"`"), "{s}");
        let n = hook_failure(&failure("DEGRADED", None));
        assert!(
            n.ends_with("record it once: `opsbook safety set DEGRADED --manual --reason \"…\"`"),
            "{n}"
        );
        for t in [h, s, n] {
            assert_eq!(t.matches("record it once").count(), 1, "{t}");
        }
    }

    /// Manual steps that record the state without --manual are told to add
    /// it (the failed hook must not run again).
    #[test]
    fn steps_that_record_without_manual_are_told_to_add_it() {
        let mut f = failure("HALTED", None);
        f.manual = ManualSteps::Sections {
            runbook: "RB-X".into(),
            file: "runbooks/x.md".into(),
            lines: vec!["opsbook safety set HALTED --reason $r".into()],
        };
        let t = hook_failure(&f);
        assert!(
            t.ends_with("they record the state themselves (add --manual where a step lacks it, so that the failed hook does not run again); record it once, nothing else."),
            "{t}"
        );
    }
}
