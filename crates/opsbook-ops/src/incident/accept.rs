//! The recovery-acceptance checklist of `policy/degraded.yaml`: listing it,
//! reading answers, recording them (verified where opsbook can; see
//! `acceptance`).

use super::*;

/// The recovery-acceptance checks of `policy/degraded.yaml`.
///
/// # Errors
/// The policy cannot be read, or has no checks (then nothing can be RESOLVED).
pub fn acceptance_checks(ctx: &Context) -> Result<Vec<AcceptanceCheck>, OpsError> {
    let d: Degraded = ctx.policy()?;
    if d.recovery_acceptance.checks.is_empty() {
        return Err(OpsError::Other(
            "policy/degraded.yaml has no recovery_acceptance.checks: without a checklist no incident can be RESOLVED (see spec/recovery-acceptance.md; `opsbook init` writes the default list)".into(),
        ));
    }
    Ok(d.recovery_acceptance.checks)
}

/// The checklist to answer.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    /// The incident.
    pub incident: String,
    /// The checks, in policy order.
    pub checks: Vec<ChecklistItem>,
}

/// One check to answer.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    /// ID.
    pub id: String,
    /// English title.
    pub title: String,
    /// The question.
    pub question: String,
    /// What opsbook would accept now, or why not yet
    /// ([`crate::acceptance::suggest`]: a dry run of the check's verifier).
    #[serde(flatten)]
    pub found: crate::acceptance::Suggestion,
}

/// The recovery-acceptance checklist of an incident, with what opsbook
/// would accept now for each check (a dry run; nothing recorded).
///
/// # Errors
/// No such incident; the policy cannot be read.
pub fn checklist(ctx: &Context, id: &str) -> Result<Checklist, OpsError> {
    let list = acceptance_checks(ctx)?;
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let inc = st.load(&id)?;
    let mut checks = Vec::new();
    for c in list {
        checks.push(ChecklistItem {
            found: crate::acceptance::suggest(ctx, &inc, &c.id)?,
            id: c.id,
            title: c.title.en,
            question: c.question,
        });
    }
    Ok(Checklist {
        incident: id,
        checks,
    })
}

/// What [`accept`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// The incident.
    #[serde(skip)]
    pub id: String,
    /// Every check passed.
    #[serde(skip)]
    pub passed: bool,
    /// Checks answered.
    #[serde(skip)]
    pub answered: usize,
    /// Checks that did not pass.
    #[serde(skip)]
    pub failing: Vec<String>,
    /// The event.
    pub events: Vec<Event>,
}

/// Parses `CHECK=pass:EVIDENCE` / `CHECK=fail[:EVIDENCE]`.
///
/// # Errors
/// Not that form.
pub fn parse_check(a: &str) -> Result<CheckAnswer, OpsError> {
    let Some((k, rest)) = a.split_once('=') else {
        return Err(OpsError::invalid(format!(
            "--check `{a}`: expected CHECK=pass:EVIDENCE or CHECK=fail[:EVIDENCE]"
        )));
    };
    let (result, ev) = match rest.split_once(':') {
        Some((r, e)) => (r, Some(e.trim().to_string()).filter(|e| !e.is_empty())),
        None => (rest, None),
    };
    Ok(CheckAnswer {
        id: k.trim().to_string(),
        result: result.trim().to_ascii_lowercase(),
        evidence: ev,
        note: None,
    })
}

/// Answers from a file: check → `{result, evidence, note}` or `pass`.
///
/// # Errors
/// Not a mapping of that shape.
pub fn read_answers(f: &Path) -> Result<Vec<CheckAnswer>, OpsError> {
    let v = read_value(f)?;
    let Some(o) = v.as_object() else {
        return Err(OpsError::invalid(format!(
            "`{}` must map each check to {{result: pass|fail, evidence: REF}}",
            f.display()
        )));
    };
    let mut got = Vec::new();
    for (k, a) in o {
        let (result, evidence, note) = match a {
            Value::String(r) => (r.clone(), None, None),
            Value::Object(_) => (
                a.get("result")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                a.get("evidence")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                a.get("note").and_then(Value::as_str).map(str::to_string),
            ),
            _ => {
                return Err(OpsError::invalid(format!(
                    "{}: `{k}`: expected {{result, evidence}}",
                    f.display()
                )));
            }
        };
        got.push(CheckAnswer {
            id: k.clone(),
            result,
            evidence,
            note,
        });
    }
    Ok(got)
}

/// Records the recovery acceptance: every check answered, each pass with
/// evidence; later answers replace earlier ones for the same check.
///
/// # Errors
/// Not MITIGATING/MONITORING (refused); an unknown check, a pass without
/// evidence, a check not answered (bad input).
pub fn accept(ctx: &Context, id: &str, answers: Vec<CheckAnswer>) -> Result<Accepted, OpsError> {
    let list = acceptance_checks(ctx)?;
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let pre = st.load(&id)?;
    let wrong_state = |status: Status| {
        IncidentError::Refused(format!(
            "{id} is {status}: recovery acceptance is answered while MITIGATING or MONITORING"
        ))
    };
    if !matches!(pre.status, Status::Mitigating | Status::Monitoring) {
        return Err(wrong_state(pre.status).into());
    }
    let mut got: Vec<CheckAnswer> = Vec::new();
    for a in answers {
        got.retain(|g| g.id != a.id);
        got.push(a);
    }
    let known: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
    // Every problem of the answers at once (issue 13), not one per run.
    let mut problems = Vec::new();
    for g in &got {
        if !known.contains(&g.id.as_str()) {
            problems.push(OpsError::invalid(format!(
                "`{}` is not a recovery-acceptance check; the policy has: {}",
                g.id,
                known.join(", ")
            )));
        } else if g.result != "pass" && g.result != "fail" {
            problems.push(OpsError::invalid(format!(
                "check `{}`: result `{}` is neither pass nor fail",
                g.id, g.result
            )));
        } else if g.result == "pass" && g.evidence.is_none() {
            problems.push(OpsError::invalid(format!(
                "check `{}` passes only with evidence: {}=pass:REF (bundle ID, file or URL)",
                g.id, g.id
            )));
        }
    }
    let missing: Vec<&str> = known
        .iter()
        .filter(|k| !got.iter().any(|g| g.id == **k))
        .copied()
        .collect();
    if !missing.is_empty() {
        problems.push(OpsError::needs(
            format!(
                "every check must be answered; missing: {}",
                missing.join(", ")
            ),
            NextStep::ListAcceptance {
                incident: id.clone(),
            },
        ));
    }
    // Checks opsbook can verify are verified, placeholders refused (issue 13
    // item 5, issue 15 item 4): one table, `crate::acceptance::VERIFIERS`;
    // their problems are listed with the ones above.
    problems.extend(crate::acceptance::verify_each(ctx, &pre, &mut got)?);
    crate::acceptance::combine(problems)?;
    // Policy order.
    got.sort_by_key(|g| known.iter().position(|k| *k == g.id));
    let passed = got.iter().all(|g| g.result == "pass");
    let failing: Vec<String> = got
        .iter()
        .filter(|g| g.result != "pass")
        .map(|g| g.id.clone())
        .collect();
    let answered = got.len();
    let events = st.transact(ctx.clock.as_ref(), &id, &ctx.actor, |inc| {
        if !matches!(inc.status, Status::Mitigating | Status::Monitoring) {
            return Err(OpsError::from(wrong_state(inc.status)));
        }
        Ok(vec![IncidentEvent::RecoveryAcceptance(
            ev::RecoveryAcceptance {
                checks: got,
                passed,
            },
        )])
    })?;
    ctx.warn_clock(&events, "the last recorded event");
    Ok(Accepted {
        id,
        passed,
        answered,
        failing,
        events,
    })
}
