//! Recovery-acceptance answers that opsbook can verify itself are verified,
//! not taken on the operator's word (issue 13 item 5, issue 15 item 4,
//! D-ORDER): one table maps a check ID of `policy/degraded.yaml` to its
//! verifier; every other check's `pass` needs evidence that is not a
//! placeholder.

use opsbook_core::incident::{CheckAnswer, Incident};
use opsbook_core::layout::LedgerFile;
use opsbook_core::next::NextStep;

use crate::{Context, OpsError};

/// A verifier: the incident (before the answer) and the evidence given;
/// returns the note recorded with the answer (empty: the answer is
/// recorded as given, the operator having been warned), or refuses with
/// the reason.
pub type Verifier = fn(&Context, &Incident, &str) -> Result<String, OpsError>;

/// The checks opsbook verifies, by check ID. A check listed here passes
/// only when its verifier accepts; its note is recorded with the answer.
pub const VERIFIERS: &[(&str, Verifier)] = &[
    (crate::reconcile::ACCEPTANCE_CHECK, reconciliation_ok),
    ("time_ok", time_ok),
    ("no_split_brain", no_split_brain),
    ("recovering_dwell", recovering_dwell),
];

/// The verifier of `check`, when opsbook verifies it.
#[must_use]
pub fn verifier(check: &str) -> Option<Verifier> {
    VERIFIERS
        .iter()
        .find(|(id, _)| *id == check)
        .map(|(_, f)| *f)
}

/// Evidence that says nothing (`x`, `ok`, `tbd`, …): refused for every check.
#[must_use]
pub fn is_placeholder(evidence: &str) -> bool {
    let e = evidence.trim().trim_matches(|c: char| "\"'`.".contains(c));
    const WORDS: &[&str] = &[
        "x",
        "xx",
        "xxx",
        "-",
        "--",
        "?",
        "ok",
        "okay",
        "yes",
        "y",
        "done",
        "pass",
        "passed",
        "tbd",
        "todo",
        "n/a",
        "na",
        "none",
        "null",
        "nil",
        "fine",
        "good",
        "checked",
        "same",
        "see above",
        "evidence",
        "ref",
        "test",
        "foo",
        "dummy",
        "placeholder",
    ];
    e.chars().count() < 3
        || WORDS.iter().any(|w| e.eq_ignore_ascii_case(w))
        || e.chars().all(|c| !c.is_alphanumeric())
}

/// Verifies every `pass` of `answers` for `inc`: placeholders are refused;
/// a check of [`VERIFIERS`] passes only when verified, and its note is
/// recorded; an evidence bundle ID (`EVB-…`) must be one recorded in the
/// custody ledger or attached to the incident.
///
/// # Errors
/// [`OpsError::Invalid`] for a placeholder; [`OpsError::Refused`] with the
/// reason (and the step that would provide the record) otherwise.
pub fn verify_all(
    ctx: &Context,
    inc: &Incident,
    answers: &mut [CheckAnswer],
) -> Result<(), OpsError> {
    for a in answers.iter_mut().filter(|a| a.result == "pass") {
        let evidence = a.evidence.clone().unwrap_or_default();
        let r = evidence.trim();
        if is_placeholder(r) {
            return Err(OpsError::invalid(format!(
                "check `{}`: `{r}` is a placeholder, not evidence: give what shows it (a bundle ID EVB-…, a file, a URL, or the record opsbook verifies)",
                a.id
            )));
        }
        let note = match verifier(&a.id) {
            Some(f) => Some(f(ctx, inc, r)?),
            None if r.starts_with("EVB-") => Some(bundle_exists(ctx, inc, &a.id, r)?),
            None => None,
        };
        if let Some(v) = note.filter(|v| !v.is_empty()) {
            a.note = Some(match a.note.take().filter(|n| !n.trim().is_empty()) {
                Some(n) => format!("{n} ({v})"),
                None => v,
            });
        }
    }
    Ok(())
}

/// `reconciliation_ok`: a stored, recorded report (`REC-…` or its `.json`)
/// whose hash matches, covering the incident's window, clean or with every
/// break accepted. Anything else is refused (issue 15 item 4).
fn reconciliation_ok(ctx: &Context, inc: &Incident, r: &str) -> Result<String, OpsError> {
    let check = crate::reconcile::ACCEPTANCE_CHECK;
    if !crate::reconcile::is_report_reference(r) {
        return Err(OpsError::refused(
            format!(
                "{check}: `{r}` is not a reconciliation report recorded by opsbook: reconcile the fills over the incident's window and give the report's REC-… ID"
            ),
            Some(NextStep::ReconcileFills {
                incident: Some(inc.id.clone()),
            }),
        ));
    }
    let v =
        crate::reconcile::verify(ctx, r, crate::reconcile::incident_window(inc)).map_err(|e| {
            match e {
                OpsError::Refused(x) => OpsError::refused(
                    format!("{check}: {}", x.message),
                    x.next.or(Some(NextStep::ReconcileFills {
                        incident: Some(inc.id.clone()),
                    })),
                ),
                other => other,
            }
        })?;
    Ok(v.note())
}

/// `time_ok`: a recorded clock check `TCK-<n>` (or a time report of
/// `opsbook time check --format json` attached to the incident) is read
/// and judged — ok, measured after recovery started, fresh, intact, no
/// later check saying otherwise. Anything else is refused with the command
/// that records a check (issue 16: never the operator's word).
fn time_ok(ctx: &Context, inc: &Incident, r: &str) -> Result<String, OpsError> {
    crate::time::verify_time_ok(ctx, inc, r)
}

/// `no_split_brain`: the lease ledger `ledger/lease.jsonl` is read and
/// judged, with `policy/failover.yaml` (its order writers, or its
/// `fencing.single_instance` declaration). Any other evidence is refused
/// with the step that shows the holders (issue 16).
fn no_split_brain(ctx: &Context, inc: &Incident, r: &str) -> Result<String, OpsError> {
    crate::lease::verify_no_split_brain(ctx, inc, r)
}

/// `recovering_dwell`: read from the safety ledger and `policy/degraded.yaml`,
/// never typed. While the platform is RECOVERING, its `min_dwell_minutes`
/// must have passed since it was entered; in another state there is no
/// RECOVERING dwell to wait and the note says which state it is.
fn recovering_dwell(ctx: &Context, _inc: &Incident, _r: &str) -> Result<String, OpsError> {
    const RECOVERING: &str = "RECOVERING";
    let (m, cur) = crate::state::current(ctx)?;
    if cur.state != RECOVERING {
        return Ok(format!(
            "verified: the platform is {} (ledger/safety.jsonl), not {RECOVERING}: no dwell to wait",
            cur.state
        ));
    }
    let dwell = m.state(RECOVERING).map_or(0, |d| d.min_dwell_minutes);
    let since = cur
        .since
        .as_deref()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok());
    let Some(since) = since else {
        return Ok(format!(
            "verified: {RECOVERING} with no recorded entry (initial state): no dwell to wait"
        ));
    };
    let elapsed_ms = ctx
        .now()
        .as_millisecond()
        .saturating_sub(since.as_millisecond());
    let need_ms = dwell.saturating_mul(60_000);
    let seq = cur.seq.map(|s| format!(" #{s}")).unwrap_or_default();
    if elapsed_ms < need_ms {
        let until = jiff::Timestamp::from_millisecond(since.as_millisecond() + need_ms)
            .map_or_else(|_| "?".into(), opsbook_core::ledger::format_ts);
        return Err(OpsError::refused(
            format!(
                "recovering_dwell: the platform entered {RECOVERING} at {} (ledger/safety.jsonl{seq}); {} of its {dwell} min dwell (policy/degraded.yaml) have passed: answer again at or after {until}",
                opsbook_core::ledger::format_ts(since),
                fmt_min(elapsed_ms),
            ),
            None,
        ));
    }
    Ok(format!(
        "verified: {RECOVERING} since {} (ledger/safety.jsonl{seq}), {} >= min_dwell_minutes {dwell}",
        opsbook_core::ledger::format_ts(since),
        fmt_min(elapsed_ms)
    ))
}

fn fmt_min(ms: i64) -> String {
    format!("{} min", ms.max(0) / 60_000)
}

/// An `EVB-…` bundle ID must be attached to the incident or recorded in
/// the custody ledger.
fn bundle_exists(ctx: &Context, inc: &Incident, check: &str, r: &str) -> Result<String, OpsError> {
    if inc.evidence.iter().any(|e| e.reference == r) {
        return Ok(format!("verified: {r} attached to {}", inc.id));
    }
    if crate::custody::sealed(ctx, r)?.is_some() {
        return Ok(format!(
            "verified: {r} recorded in {}",
            LedgerFile::Custody.rel()
        ));
    }
    Err(OpsError::refused(
        format!(
            "check `{check}`: evidence bundle {r} is neither attached to {} nor recorded in {}: collect it, or give the bundle's exact ID",
            inc.id,
            LedgerFile::Custody.rel()
        ),
        Some(NextStep::AttachEvidence {
            incident: inc.id.clone(),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for p in ["x", "pass", " TBD ", "n/a", "--", "ok.", "\"x\""] {
            assert!(is_placeholder(p), "{p}");
        }
        for e in [
            "EVB-20261129-0215",
            "REC-20261129-01",
            "TCK-3",
            "alerts.json",
        ] {
            assert!(!is_placeholder(e), "{e}");
        }
    }

    #[test]
    fn the_table_holds_the_verified_checks() {
        let ids: Vec<&str> = VERIFIERS.iter().map(|(i, _)| *i).collect();
        assert_eq!(
            ids,
            [
                "reconciliation_ok",
                "time_ok",
                "no_split_brain",
                "recovering_dwell"
            ]
        );
        assert!(verifier("alerts_quiet").is_none());
    }
}
