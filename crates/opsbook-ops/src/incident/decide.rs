//! What the operator records while mitigating: the safety decision (through
//! the platform state), the scope, and attached evidence.

use super::*;

/// The safety states of `policy/degraded.yaml` (empty when it cannot be
/// read: then any state name is taken, with a warning).
fn safety_states(ctx: &Context) -> Vec<String> {
    match ctx.policy::<Degraded>() {
        Ok(d) => d.states.into_iter().map(|s| s.id).collect(),
        Err(e) => {
            ctx.warn(format!(
                "warning: {e}; the safety state cannot be checked against the policy"
            ));
            Vec::new()
        }
    }
}

/// What [`decide`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Decided {
    /// The incident.
    #[serde(skip)]
    pub id: String,
    /// The events appended to the incident.
    pub events: Vec<Event>,
    /// The platform's transition the decision performed (`--safety` to a
    /// state the platform is not in); `None`: the decision only.
    pub transition: Option<crate::safety::SetOutcome>,
    /// With `--safety` recorded only: the platform's state, which the
    /// decision did not change (front ends say so, and what to run).
    pub platform_state: Option<String>,
}

/// A decision; with `safety`, the safety decision MITIGATING needs. One
/// truth for the safety state: deciding a state the platform is not in
/// performs the transition through [`crate::safety::set_state`] (its
/// guards, its hook, its ledger) and records the decision with it;
/// deciding the state the platform is in records the decision only. A
/// transition refused or failed records nothing in the incident. With
/// `record_only`, the decision is recorded and the platform left as it is
/// ([`Decided::platform_state`] says in which state).
///
/// # Errors
/// Empty decision or reason; a state the policy does not have; a terminal
/// incident; as [`crate::safety::set_state`] (a guard's refusal names the
/// step that lets it go ahead; a failed hook is [`OpsError::HookFailed`]).
pub fn decide(
    ctx: &Context,
    id: &str,
    decision: &str,
    reason: &str,
    alternatives: &[String],
    safety: Option<&str>,
    record_only: bool,
) -> Result<Decided, OpsError> {
    let decision = decision.trim().to_string();
    if decision.is_empty() {
        return Err(OpsError::invalid(
            "--decision is empty: say what was decided",
        ));
    }
    let reason = require_reason(reason, "a decision")?;
    let alts: Vec<String> = alternatives
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    let safety = match safety {
        Some(s) => {
            let states = safety_states(ctx);
            let up = s.trim().to_ascii_uppercase();
            if !states.is_empty() && !states.contains(&up) {
                return Err(OpsError::invalid(format!(
                    "--safety `{s}` is not a state of policy/degraded.yaml ({})",
                    states.join(", ")
                )));
            }
            Some(up)
        }
        None => None,
    };
    let mut platform_state = None;
    if let Some(to) = &safety {
        let st = ctx.store()?;
        let id = st.resolve(id)?;
        let inc = st.load(&id)?;
        not_terminal(&inc, "decision")?;
        let (_, cur) = crate::state::current(ctx)?;
        platform_state = Some(cur.state.clone());
        if cur.state != *to && !record_only {
            let before = inc.events.len();
            let transition = match crate::safety::set_state_deciding(
                ctx,
                &crate::safety::SetRequest {
                    to: to.clone(),
                    reason: reason.clone(),
                    evidence: None,
                    source: opsbook_core::safety::Source::Operator,
                    incident: Some(id.clone()),
                    manual: false,
                },
                Some(&crate::safety::Decided {
                    decision: decision.clone(),
                    alternatives: alts.clone(),
                }),
            ) {
                Ok(t) => t,
                Err(OpsError::HookFailed(mut f)) => {
                    f.incident = Some(id.clone());
                    return Err(OpsError::HookFailed(f));
                }
                Err(e) => return Err(e),
            };
            let events = st
                .load(&id)
                .map(|i| i.events.into_iter().skip(before).collect())
                .unwrap_or_default();
            return Ok(Decided {
                id,
                events,
                transition: Some(transition),
                platform_state: None,
            });
        }
    }
    let r = simple(ctx, id, |inc| {
        not_terminal(inc, "decision")?;
        Ok(match safety {
            Some(to) => IncidentEvent::SafetyDecision(ev::SafetyDecision {
                to,
                decision,
                reason,
                alternatives: Some(alts),
            }),
            None => IncidentEvent::Decision(ev::Decision {
                decision,
                reason,
                alternatives: alts,
            }),
        })
    })?;
    Ok(Decided {
        id: r.id,
        events: r.events,
        transition: None,
        platform_state,
    })
}

/// A scope declaration.
#[derive(Debug, Clone, Default)]
pub struct ScopeRequest {
    /// Affected (repeatable).
    pub affected: Vec<String>,
    /// Checked and not affected.
    pub not_affected: Vec<String>,
    /// Free text.
    pub text: Option<String>,
    /// Detected.
    pub detected: Option<String>,
    /// Impact started.
    pub impact_started: Option<String>,
    /// Impact ended.
    pub impact_ended: Option<String>,
}

/// Declares impact and scope; times are checked against each other and
/// the incident's.
///
/// # Errors
/// Nothing declared; times in the future, out of order; a terminal incident.
pub fn scope(ctx: &Context, id: &str, r: &ScopeRequest) -> Result<Recorded, OpsError> {
    let clean = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let (aff, naff) = (clean(&r.affected), clean(&r.not_affected));
    let text = r
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let now = ctx.now();
    let t =
        |what: &str, v: &Option<String>| v.as_deref().map(|d| past_time(what, d, now)).transpose();
    let det = t("--detected", &r.detected)?;
    let imp = t("--impact-started", &r.impact_started)?;
    let end = t("--impact-ended", &r.impact_ended)?;
    if aff.is_empty()
        && naff.is_empty()
        && text.is_none()
        && det.is_none()
        && imp.is_none()
        && end.is_none()
    {
        return Err(OpsError::invalid(
            "declare something: --affected, --not-affected, --text, --detected, --impact-started or --impact-ended",
        ));
    }
    simple(ctx, id, |inc| {
        not_terminal(inc, "scope declaration")?;
        let start = imp.clone().or_else(|| inc.impact_started_at.clone());
        let det_ = det.clone().or_else(|| inc.detected_at.clone());
        let before = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if opsbook_core::incident::millis_between(a, b).is_some_and(|ms| ms < 0));
        if before(&start, &det_) {
            return Err(IncidentError::Invalid(format!(
                "impact started {} after it was detected {}: check the times",
                start.unwrap_or_default(),
                det_.unwrap_or_default()
            )));
        }
        if before(&det_, &Some(inc.opened_at.clone())) {
            return Err(IncidentError::Invalid(format!(
                "detected {} is after the incident was declared ({}): detection comes first",
                det_.unwrap_or_default(),
                inc.opened_at
            )));
        }
        if before(&start, &end) {
            return Err(IncidentError::Invalid(format!(
                "impact ended {} before it started {}",
                end.clone().unwrap_or_default(),
                start.unwrap_or_default()
            )));
        }
        Ok(IncidentEvent::Scope(ev::Scope {
            affected: Some(aff).filter(|a| !a.is_empty()),
            not_affected: Some(naff).filter(|a| !a.is_empty()),
            text,
            detected_at: det,
            impact_started_at: imp,
            impact_ended_at: end,
        }))
    })
}

/// Attaches an evidence reference: a file (hashed here, checked against
/// `sha256` when given); a bundle ID sealed in this SSOT (its hash and size
/// taken from the custody ledger, checked against `sha256` when given); or
/// another bundle ID or a URL with its SHA-256 (recorded as given, with a
/// warning for an `EVB-…` this SSOT never sealed).
///
/// # Errors
/// A hash that is not SHA-256 or does not match the file or the sealed
/// bundle; a reference that is neither a file nor a sealed bundle here,
/// without a hash; a terminal incident; an unreadable custody ledger.
pub fn attach(
    ctx: &Context,
    id: &str,
    reference: &str,
    sha256: Option<&str>,
    note: Option<&str>,
) -> Result<Recorded, OpsError> {
    let reference = reference.trim().to_string();
    let given = match sha256 {
        Some(h) => {
            let h = h.trim().to_ascii_lowercase();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(OpsError::invalid(format!(
                    "--sha256 `{h}` is not a SHA-256 (64 hex digits); PowerShell: (Get-FileHash FILE -Algorithm SHA256).Hash"
                )));
            }
            Some(h)
        }
        None => None,
    };
    let path = Path::new(&reference);
    let (kind, sha, size) = if !reference.contains("://") && path.is_file() {
        let h = opsbook_evidence::bundle::file_sha256(path)?;
        let n = std::fs::metadata(path)
            .map_err(|e| OpsError::io(path, e))?
            .len();
        if let Some(g) = &given
            && *g != h
        {
            return Err(OpsError::invalid(format!(
                "`{reference}` has SHA-256 {h}, not {g}: the file changed or the hash belongs to another file"
            )));
        }
        ("file", h, Some(n))
    } else if let Some(s) = crate::custody::sealed(ctx, &reference)? {
        // A bundle sealed here: the custody ledger knows its hash, and a
        // different one given is a mistake that must not be recorded.
        if let Some(g) = &given
            && *g != s.sha256
        {
            return Err(OpsError::invalid(format!(
                "bundle {reference} was sealed with SHA-256 {} ({}), not {g}: leave out --sha256 and opsbook takes the recorded hash",
                s.sha256,
                LedgerFile::Custody.rel()
            )));
        }
        ("bundle", s.sha256, Some(s.size))
    } else {
        let Some(h) = given else {
            return Err(OpsError::invalid(format!(
                "`{reference}` is neither a file here nor a bundle sealed in this SSOT ({}); give its hash with --sha256 HEX (a bundle's .sha256 file, or Get-FileHash)",
                LedgerFile::Custody.rel()
            )));
        };
        if reference.starts_with("EVB-") {
            ctx.warn(format!(
                "warning: {reference} is not sealed in this SSOT ({}): its hash is recorded as you gave it, unchecked",
                LedgerFile::Custody.rel()
            ));
        }
        (
            if reference.contains("://") {
                "url"
            } else {
                "bundle"
            },
            h,
            None,
        )
    };
    // The same reference with the same hash is already on the timeline:
    // attaching it again records nothing (issue 13), and says so.
    let st = ctx.store()?;
    let rid = st.resolve(id)?;
    let inc = st.load(&rid)?;
    if let Some(seq) = inc
        .events
        .iter()
        .find_map(|e| match opsbook_core::event::parse(e) {
            Some(IncidentEvent::EvidenceAttached(a))
                if a.reference == reference && a.sha256 == sha =>
            {
                Some(e.seq)
            }
            _ => None,
        })
    {
        not_terminal(&inc, "evidence")?;
        return Ok(Recorded {
            unchanged: Some(format!(
                "{reference} is already attached to {rid} (#{seq}, SHA-256 {sha}): nothing recorded"
            )),
            id: rid,
            events: Vec::new(),
        });
    }
    let data = ev::EvidenceAttached {
        reference,
        sha256: sha,
        kind: kind.to_string(),
        size_bytes: size,
        note: note
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        from_incident: None,
    };
    simple(ctx, id, |inc| {
        not_terminal(inc, "evidence")?;
        Ok(IncidentEvent::EvidenceAttached(data))
    })
}
