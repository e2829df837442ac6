//! A refused safety transition's unmet conditions, for people and as JSON:
//! every one at once, each with what meets it — a command that works as
//! printed where one does, the time to wait for the dwell.

use opsbook_core::next::NextStep;
use opsbook_core::safety::{Condition, Unmet};
use opsbook_core::text::quote_arg;
use serde::Serialize;

/// `2026-11-29 00:30:00 UTC`: a time a person reads, free of the local zone.
#[must_use]
pub fn utc(ts: &str) -> String {
    ts.parse::<jiff::Timestamp>().map_or_else(
        |_| ts.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// The one command that meets `u`, bare, when there is one.
#[must_use]
pub fn command(u: &Unmet) -> Option<String> {
    match u.next.as_ref()? {
        NextStep::AttachEvidence { incident } => Some(format!(
            "opsbook evidence collect --incident {} --runbook {}",
            quote_arg(incident),
            opsbook_ops::halt::HALT_RUNBOOK
        )),
        NextStep::Confirm {
            operation,
            target: Some(t),
        }
        | NextStep::ConfirmFrom {
            operation,
            target: t,
            ..
        } => Some(format!(
            "opsbook confirm {} --target {}",
            quote_arg(operation),
            quote_arg(t)
        )),
        NextStep::AnswerAcceptance {
            incident: Some(i), ..
        } => Some(format!("opsbook incident accept {}", quote_arg(i))),
        _ => None,
    }
}

/// What meets `u`, in words with its command.
#[must_use]
pub fn fix(u: &Unmet) -> String {
    let cmd = command(u).map(|c| format!("`{c}`"));
    match (u.condition, &u.next, cmd) {
        (Condition::Dwell, _, _) => match (&u.until, u.minutes_left) {
            (Some(t), Some(n)) => format!("wait until {} ({n} min from now)", utc(t)),
            _ => "wait for the dwell to end".into(),
        },
        (Condition::Evidence, Some(NextStep::AttachEvidence { .. }), Some(c)) => format!(
            "{c} (seals a bundle and attaches it to the incident; `safety set` with that --incident takes it), or add --evidence REF"
        ),
        (Condition::Evidence, _, _) => {
            "add --evidence REF: a bundle ID (EVB-…), a file or a URL that shows the cause is gone".into()
        }
        (Condition::Confirmation, Some(NextStep::ConfirmFrom { when, .. }), Some(c)) => format!(
            "at {} or later ({} min from now; started earlier it would expire before it can be used): {c}",
            utc(&when.from),
            when.in_minutes
        ),
        (Condition::Acceptance, Some(NextStep::AnswerAcceptance { incident: None, .. }), _) => {
            "pass --incident ID of the incident whose recovery acceptance passed (`opsbook incident list` shows them)".into()
        }
        (Condition::Acceptance, _, Some(c)) => {
            format!("{c} lists the checks; answer them until it passes")
        }
        (_, _, Some(c)) => c,
        (_, Some(n), None) => super::hint(n)
            .trim_start_matches([';', ':', ' '])
            .to_string(),
        (_, None, None) => "see the message".into(),
    }
}

/// The lines under `refused: HEADLINE` for several unmet conditions: per
/// condition `  - WORD: message` and `    fix: …`.
#[must_use]
pub fn list(headline: &str, unmet: &[Unmet]) -> String {
    let mut s = headline.to_string();
    for u in unmet {
        s.push_str(&format!(
            "\n  - {}: {}\n    fix: {}",
            u.condition.as_str(),
            u.message,
            fix(u)
        ));
    }
    s
}

/// One unmet condition as JSON: the condition itself, with `command` (bare,
/// or null) and `fix` (words) as a person sees them.
#[derive(Debug, Serialize)]
pub struct UnmetJson<'a> {
    /// The condition, its message, its step, `until` / `minutes_left` for the dwell.
    #[serde(flatten)]
    pub unmet: &'a Unmet,
    /// The command that meets it, when there is one.
    pub command: Option<String>,
    /// What meets it, in words.
    pub fix: String,
}

/// Every unmet condition as JSON.
#[must_use]
pub fn json(unmet: &[Unmet]) -> Vec<UnmetJson<'_>> {
    unmet
        .iter()
        .map(|u| UnmetJson {
            unmet: u,
            command: command(u),
            fix: fix(u),
        })
        .collect()
}
