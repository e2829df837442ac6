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
    ("cause_mitigated", cause_mitigated),
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

/// The prefix of the placeholders a printed template uses (`FILL_…`):
/// refused as evidence, so a template run as printed fails.
pub const TEMPLATE_PREFIX: &str = "FILL_";

/// A check's evidence as opsbook finds it now, for the checklist: a record
/// that verifies (to pass as printed), or why the best candidate does not.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Suggestion {
    /// Evidence that verifies now (`TCK-3`, `REC-…`, `EVB-…`,
    /// `ledger/lease.jsonl`, `ledger/safety.jsonl`).
    pub evidence: Option<String>,
    /// Why the best candidate is refused now (`None`: none was found, or it verifies).
    pub problem: Option<String>,
}

/// What opsbook would accept now for `check` of `inc`: each candidate
/// record is run through the check's verifier (a dry run; nothing is
/// recorded). Checks only the operator can answer (`alerts_quiet`) have
/// no candidate.
///
/// # Errors
/// A ledger that cannot be read.
pub fn suggest(ctx: &Context, inc: &Incident, check: &str) -> Result<Suggestion, OpsError> {
    let candidates: Vec<String> = match check {
        "recovering_dwell" => vec![LedgerFile::Safety.rel().to_string()],
        "no_split_brain" => vec!["ledger/lease.jsonl".to_string()],
        "time_ok" => crate::time::recorded(ctx)
            .map(|v| v.last().map(|(e, _)| format!("TCK-{}", e.seq)))
            .unwrap_or_default()
            .into_iter()
            .collect(),
        c if c == crate::reconcile::ACCEPTANCE_CHECK => crate::reconcile::list(ctx)
            .unwrap_or_default()
            .into_iter()
            .take(5)
            .map(|r| r.report)
            .collect(),
        "cause_mitigated" => inc
            .evidence
            .iter()
            .rev()
            .filter(|e| e.reference.starts_with("EVB-"))
            .map(|e| e.reference.clone())
            .collect(),
        _ => Vec::new(),
    };
    let mut out = Suggestion::default();
    for c in candidates {
        let r = match verifier(check) {
            Some(f) => f(ctx, inc, &c),
            None => bundle_exists(ctx, inc, check, &c),
        };
        match r {
            Ok(_) => {
                return Ok(Suggestion {
                    evidence: Some(c),
                    problem: None,
                });
            }
            Err(e @ (OpsError::Refused(_) | OpsError::Invalid(_))) => {
                out.problem.get_or_insert_with(|| e.to_string());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Evidence that says nothing (`x`, `ok`, `tbd`, a template's `FILL_…`):
/// refused for every check.
#[must_use]
pub fn is_placeholder(evidence: &str) -> bool {
    let e = evidence.trim().trim_matches(|c: char| "\"'`.".contains(c));
    if e.starts_with(TEMPLATE_PREFIX) {
        return true;
    }
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
/// custody ledger or attached to the incident. Every check is judged, and
/// every one that fails is named in one error (issue 13: a tired operator
/// fixes them all in one go, not one per run).
///
/// # Errors
/// [`OpsError::Invalid`] for placeholders only; [`OpsError::Refused`] with
/// the reasons (and the step that would provide the first missing record)
/// otherwise; a ledger that cannot be read.
pub fn verify_all(
    ctx: &Context,
    inc: &Incident,
    answers: &mut [CheckAnswer],
) -> Result<(), OpsError> {
    combine(verify_each(ctx, inc, answers)?)
}

/// [`verify_all`], returning each check's problem (empty: every `pass`
/// verified). A `pass` without evidence is left to the caller.
///
/// # Errors
/// A ledger or policy that cannot be read.
pub fn verify_each(
    ctx: &Context,
    inc: &Incident,
    answers: &mut [CheckAnswer],
) -> Result<Vec<OpsError>, OpsError> {
    let mut problems: Vec<OpsError> = Vec::new();
    for a in answers
        .iter_mut()
        .filter(|a| a.result == "pass" && a.evidence.is_some())
    {
        let evidence = a.evidence.clone().unwrap_or_default();
        let r = evidence.trim();
        if is_placeholder(r) {
            problems.push(OpsError::invalid(format!(
                "check `{}`: `{r}` is a placeholder, not evidence: give what shows it (a bundle ID EVB-…, a file, a URL, or the record opsbook verifies)",
                a.id
            )));
            continue;
        }
        let note = match verifier(&a.id) {
            Some(f) => f(ctx, inc, r),
            None if r.starts_with("EVB-") => bundle_exists(ctx, inc, &a.id, r),
            None => Ok(String::new()),
        };
        let v = match note {
            Ok(v) => v,
            Err(e @ (OpsError::Refused(_) | OpsError::Invalid(_))) => {
                problems.push(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        if !v.is_empty() {
            a.note = Some(match a.note.take().filter(|n| !n.trim().is_empty()) {
                Some(n) => format!("{n} ({v})"),
                None => v,
            });
        }
    }
    Ok(problems)
}

/// One error for every problem found: the problem itself when there is
/// one; else a refusal (an input error when all are) listing each, with
/// the first refusal's way forward.
#[must_use = "the combined error is the result"]
pub fn combine(mut problems: Vec<OpsError>) -> Result<(), OpsError> {
    if problems.len() <= 1 {
        return problems.pop().map_or(Ok(()), Err);
    }
    let next = problems.iter().find_map(OpsError::next);
    let refused = problems.iter().any(OpsError::is_refusal);
    let message = format!(
        "{} checks are not accepted:\n{}",
        problems.len(),
        problems
            .iter()
            .map(|p| format!("  - {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Err(match next {
        _ if refused => OpsError::refused(message, next),
        Some(n) => OpsError::needs(message, n),
        None => OpsError::invalid(message),
    })
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
/// never typed ([`crate::recovery::verify`]): an incident that held the
/// platform (HALTED, SAFE_MODE) passes only after RECOVERING and its
/// `min_dwell_minutes`; while the platform is still held it is refused
/// with the step that starts recovery.
fn recovering_dwell(ctx: &Context, inc: &Incident, _r: &str) -> Result<String, OpsError> {
    crate::recovery::verify(ctx, inc, "recovering_dwell")
}

/// `cause_mitigated`: an evidence bundle `EVB-…` given as proof that the
/// cause was mitigated must have been sealed after the incident reached
/// MITIGATING — a bundle sealed before shows the cause, not its
/// mitigation (issue 13). A bundle sealed in this SSOT is judged by its
/// seal in the custody ledger; one sealed elsewhere (attached from a share
/// with its hash) can only be judged by when it was attached, after
/// MITIGATING, and the note says its seal time is unverified. Other
/// evidence (a URL, a file) is recorded as given.
fn cause_mitigated(ctx: &Context, inc: &Incident, r: &str) -> Result<String, OpsError> {
    if !r.starts_with("EVB-") {
        return Ok(String::new());
    }
    let custody = LedgerFile::Custody.rel();
    let collect = || {
        Some(NextStep::AttachEvidence {
            incident: inc.id.clone(),
        })
    };
    let Some(mitigating) = inc.mitigating_at.as_deref() else {
        return Err(OpsError::refused(
            format!(
                "check `cause_mitigated`: {} never reached MITIGATING: there is no mitigation for {r} to show",
                inc.id
            ),
            None,
        ));
    };
    let after =
        |ts: &str| opsbook_core::incident::millis_between(mitigating, ts).is_some_and(|ms| ms >= 0);
    if let Some(s) = crate::custody::sealed_at(ctx, r)? {
        if !after(&s.ts) {
            return Err(OpsError::refused(
                format!(
                    "check `cause_mitigated`: evidence bundle {r} was sealed at {} ({custody} #{}), before {} reached MITIGATING at {mitigating}: it shows the cause, not its mitigation; collect the evidence now and give the new bundle's ID",
                    s.ts, s.seq, inc.id
                ),
                collect(),
            ));
        }
        return Ok(format!(
            "verified: {r} sealed at {} ({custody} #{}), after MITIGATING at {mitigating}",
            s.ts, s.seq
        ));
    }
    let attached = inc.events.iter().rev().find_map(|e| {
        match opsbook_core::event::parse::<opsbook_core::event::IncidentEvent>(e) {
            Some(opsbook_core::event::IncidentEvent::EvidenceAttached(a)) if a.reference == r => {
                Some((e.ts.clone(), e.seq))
            }
            _ => None,
        }
    });
    match attached {
        Some((ts, seq)) if after(&ts) => Ok(format!(
            "{r} attached at {ts} (#{seq}), after MITIGATING at {mitigating}; sealed elsewhere: its seal time is not in {custody} and is unverified"
        )),
        Some((ts, seq)) => Err(OpsError::refused(
            format!(
                "check `cause_mitigated`: evidence bundle {r} was sealed elsewhere and attached to {} at {ts} (#{seq}), before it reached MITIGATING at {mitigating}: it cannot show the mitigation; collect the evidence now and give the new bundle's ID",
                inc.id
            ),
            collect(),
        )),
        None => Err(OpsError::refused(
            format!(
                "check `cause_mitigated`: evidence bundle {r} is neither sealed in this SSOT ({custody}) nor attached to {}: collect the evidence now and give the new bundle's ID",
                inc.id
            ),
            collect(),
        )),
    }
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
        for p in [
            "x",
            "pass",
            " TBD ",
            "n/a",
            "--",
            "ok.",
            "\"x\"",
            "FILL_ALERTS_QUIET",
        ] {
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
                "cause_mitigated",
                "reconciliation_ok",
                "time_ok",
                "no_split_brain",
                "recovering_dwell"
            ]
        );
        assert!(verifier("alerts_quiet").is_none());
    }
}
