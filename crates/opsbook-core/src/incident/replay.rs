//! Replaying an incident's log into its state ([`Incident::replay`]) and
//! checking a transition against the guards (D-ORDER: safe → evidence →
//! observe → recover → verify → learn).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::*;
use crate::event::IncidentEvent;
use crate::ledger::Event;

impl Incident {
    /// Replays events into the incident's state. Events written around the
    /// guards (e.g. with `opsbook ledger append`) do not stop the replay;
    /// they are listed in [`Incident::violations`].
    ///
    /// # Errors
    /// A message when the log is empty or does not start with `opened`.
    pub fn replay(id: &str, events: Vec<Event>) -> Result<Incident, String> {
        let Some(first) = events.first() else {
            return Err(format!("{id}: the incident log is empty"));
        };
        let Some(IncidentEvent::Opened(d)) = crate::event::parse::<IncidentEvent>(first) else {
            return Err(format!(
                "{id}: the first event is `{}`, expected `opened`",
                first.kind
            ));
        };
        let mut inc = Incident {
            id: id.to_string(),
            title: d.title,
            severity: if d.severity.is_empty() {
                "P0".into()
            } else {
                d.severity
            },
            status: Status::Open,
            drill: d.drill.unwrap_or(false),
            commander: d.commander,
            opened_at: first.ts.clone(),
            detected_at: d.detected_at,
            impact_started_at: d.impact_started_at,
            impact_ended_at: None,
            acked_at: None,
            mitigating_at: None,
            mitigated_at: None,
            resolved_at: None,
            ended_at: None,
            merged_into: None,
            facts: d.facts.unwrap_or_default(),
            scope: Vec::new(),
            decisions: Vec::new(),
            safety_decisions: 0,
            evidence: Vec::new(),
            links: Vec::new(),
            acceptance: None,
            postmortem: None,
            corrections: BTreeMap::new(),
            violations: Vec::new(),
            events: Vec::new(),
        };
        for ev in &events[1..] {
            inc.apply(ev);
        }
        inc.events = events;
        Ok(inc)
    }

    fn apply(&mut self, ev: &Event) {
        use crate::event::incident as e;
        let who = actor_name(&ev.actor);
        let Some(typed) = crate::event::parse::<IncidentEvent>(ev) else {
            return;
        };
        let opt = |s: String| Some(s).filter(|s| !s.is_empty());
        match typed {
            IncidentEvent::StatusChanged(d) => {
                let Some(to) = Status::parse(&d.to) else {
                    self.violations
                        .push((ev.seq, "status_changed without a valid `to`".into()));
                    return;
                };
                // The postmortem is the gate's to check (OB804): it knows the SSOT.
                let g = Guards {
                    postmortem: Some(Ok(())),
                    open_children: Vec::new(),
                };
                if let Err(e) = self.check(to, &g) {
                    self.violations.push((ev.seq, e.to_string()));
                }
                self.set_status(to, &ev.ts);
                if to == Status::Acked
                    && let Some(c) = d.commander
                {
                    self.commander = Some(c);
                }
                self.decisions.push(Decision {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    kind: ev.kind.clone(),
                    decision: format!("{} → {}", d.from, to.as_str()),
                    reason: d.reason,
                    alternatives: Vec::new(),
                    actor: who,
                });
            }
            IncidentEvent::Merged(d) => {
                if !self.status.is_open() {
                    self.violations.push((
                        ev.seq,
                        format!(
                            "merged while {}: only an open incident can be merged",
                            self.status
                        ),
                    ));
                }
                self.merged_into = opt(d.into.clone());
                self.set_status(Status::Merged, &ev.ts);
                self.decisions.push(Decision {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    kind: ev.kind.clone(),
                    decision: format!("merged into {}", d.into),
                    reason: opt(d.reason),
                    alternatives: Vec::new(),
                    actor: who,
                });
            }
            IncidentEvent::SeverityChanged(d) => {
                let to = opt(d.to).unwrap_or_else(|| self.severity.clone());
                self.decisions.push(Decision {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    kind: ev.kind.clone(),
                    decision: format!("severity {} → {to}", self.severity),
                    reason: d
                        .reason
                        .or_else(|| d.rule.flatten().map(|r| format!("rule {r}"))),
                    alternatives: Vec::new(),
                    actor: who,
                });
                for (k, v) in d.facts.unwrap_or_default() {
                    self.facts.insert(k, v);
                }
                self.severity = to;
            }
            IncidentEvent::Decision(d) => self.decisions.push(Decision {
                seq: ev.seq,
                ts: ev.ts.clone(),
                kind: ev.kind.clone(),
                decision: d.decision,
                reason: opt(d.reason),
                alternatives: d.alternatives,
                actor: who,
            }),
            IncidentEvent::SafetyDecision(d) => {
                self.safety_decisions += 1;
                let decision = match (opt(d.decision), opt(d.to)) {
                    (Some(x), Some(to)) => format!("safety state {to}: {x}"),
                    (None, Some(to)) => format!("safety state {to}"),
                    (Some(x), None) => x,
                    (None, None) => String::new(),
                };
                self.decisions.push(Decision {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    kind: ev.kind.clone(),
                    decision,
                    reason: opt(d.reason),
                    alternatives: d.alternatives.unwrap_or_default(),
                    actor: who,
                });
            }
            IncidentEvent::Scope(d) => {
                for (t, slot) in [
                    (d.detected_at.clone(), &mut self.detected_at),
                    (d.impact_started_at.clone(), &mut self.impact_started_at),
                    (d.impact_ended_at.clone(), &mut self.impact_ended_at),
                ] {
                    if let Some(t) = t {
                        *slot = Some(t);
                    }
                }
                self.scope.push(Scope {
                    seq: ev.seq,
                    ts: ev.ts.clone(),
                    affected: d.affected.unwrap_or_default(),
                    not_affected: d.not_affected.unwrap_or_default(),
                    text: d.text,
                });
            }
            IncidentEvent::EvidenceAttached(d) => self.evidence.push(EvidenceRef {
                seq: ev.seq,
                reference: if d.reference.is_empty() {
                    // Logs written before `ref` existed named bundles `bundle_id`.
                    ev.data
                        .get("bundle_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                } else {
                    d.reference
                },
                sha256: d.sha256,
                kind: opt(d.kind).unwrap_or_else(|| "bundle".into()),
            }),
            IncidentEvent::Linked(d) => self.links.push(Link {
                seq: ev.seq,
                incident_id: d.incident_id,
                relation: d.relation,
            }),
            IncidentEvent::RecoveryAcceptance(d) => {
                let passed = d.passed
                    && !d.checks.is_empty()
                    && d.checks
                        .iter()
                        .all(|c| c.result == "pass" && c.evidence.is_some());
                self.acceptance = Some(Acceptance {
                    seq: ev.seq,
                    passed,
                    checks: d.checks,
                });
            }
            IncidentEvent::PostmortemAttached(d) => {
                self.postmortem = Some((d.path, d.sha256));
            }
            IncidentEvent::Correction(e::Correction {
                corrects_seq,
                reason,
                text,
            }) => {
                if corrects_seq == 0 {
                    return;
                }
                if corrects_seq >= ev.seq {
                    self.violations.push((
                        ev.seq,
                        format!("correction of seq {corrects_seq}, which is not an earlier event"),
                    ));
                } else {
                    // A corrected `opened` event: its text is the title
                    // shown everywhere from now on.
                    if corrects_seq == 1
                        && let Some(t) = text.as_deref().filter(|t| !t.trim().is_empty())
                    {
                        self.title = t.to_string();
                    }
                    self.corrections
                        .insert(corrects_seq, (ev.seq, reason, text));
                }
            }
            IncidentEvent::Opened(_) => self
                .violations
                .push((ev.seq, "a second `opened` event".into())),
            IncidentEvent::Note(_) | IncidentEvent::RunbookStep(_) => {}
        }
    }

    /// Whether the gate's OB803 rejects this log: it holds events the
    /// `opsbook incident` commands would have refused (an illegal transition,
    /// MITIGATING before a safety decision, RESOLVED without evidence or
    /// acceptance, …; listed in [`Incident::violations`]). Read models
    /// (`incident show`, `list`, `report`) flag such an incident instead of
    /// counting it silently (D-ORDER).
    #[must_use]
    pub fn breaks_order(&self) -> bool {
        !self.violations.is_empty()
    }

    fn set_status(&mut self, to: Status, ts: &str) {
        let first = |slot: &mut Option<String>| {
            if slot.is_none() {
                *slot = Some(ts.to_string());
            }
        };
        match to {
            Status::Acked => first(&mut self.acked_at),
            Status::Mitigating => first(&mut self.mitigating_at),
            Status::Monitoring => first(&mut self.mitigated_at),
            Status::Resolved => first(&mut self.resolved_at),
            Status::Closed | Status::Cancelled | Status::Merged => {
                self.ended_at = Some(ts.to_string());
            }
            Status::Open => {}
        }
        self.status = to;
    }

    /// Checks a transition to `to` against the machine and the D-ORDER guards.
    ///
    /// # Errors
    /// [`GuardError::Illegal`] with the allowed next statuses, or
    /// [`GuardError::Order`] naming what is missing and the command that provides it.
    pub fn check(&self, to: Status, g: &Guards) -> Result<(), GuardError> {
        if to == self.status {
            return Err(GuardError::Order {
                id: self.id.clone(),
                to,
                missing: Missing::Already(to),
            });
        }
        if !self.status.next().contains(&to) {
            let allowed = self.status.next();
            return Err(GuardError::Illegal {
                id: self.id.clone(),
                from: self.status,
                to,
                allowed: if allowed.is_empty() {
                    "none: it is terminal".into()
                } else {
                    allowed
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        }
        let order = |missing: Missing| GuardError::Order {
            id: self.id.clone(),
            to,
            missing,
        };
        match to {
            Status::Mitigating if self.safety_decisions == 0 => Err(order(Missing::SafetyDecision)),
            Status::Resolved if self.evidence.is_empty() => Err(order(Missing::Evidence)),
            Status::Resolved if !self.acceptance.as_ref().is_some_and(|a| a.passed) => {
                let failing = self
                    .acceptance
                    .as_ref()
                    .map(|a| {
                        a.checks
                            .iter()
                            .filter(|c| c.result != "pass" || c.evidence.is_none())
                            .map(|c| c.id.clone())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                Err(order(Missing::Acceptance(failing)))
            }
            Status::Resolved if !g.open_children.is_empty() => {
                Err(order(Missing::OpenChildren(g.open_children.clone())))
            }
            Status::Closed if severity_rank(&self.severity) <= 1 => match &g.postmortem {
                Some(Err(problems)) => Err(order(Missing::PostmortemProblems(
                    self.severity.clone(),
                    problems.clone(),
                ))),
                None if self.postmortem.is_none() => {
                    Err(order(Missing::Postmortem(self.severity.clone())))
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The milestone durations from detection (`detected_at`, else opening).
    #[must_use]
    pub fn durations(&self) -> Durations {
        let start = self.detected_at.as_deref().unwrap_or(&self.opened_at);
        let d = |t: &Option<String>| t.as_deref().and_then(|t| millis_between(start, t));
        Durations {
            to_ack_ms: d(&self.acked_at),
            to_mitigate_ms: d(&self.mitigated_at),
            to_resolve_ms: d(&self.resolved_at),
        }
    }

    /// The parent incident, if linked.
    #[must_use]
    pub fn parent(&self) -> Option<&str> {
        self.links
            .iter()
            .rev()
            .find(|l| l.relation == "parent")
            .map(|l| l.incident_id.as_str())
    }

    /// Child incidents.
    #[must_use]
    pub fn children(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .links
            .iter()
            .filter(|l| l.relation == "child")
            .map(|l| l.incident_id.as_str())
            .collect();
        set.into_iter().collect()
    }
}
