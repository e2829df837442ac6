//! `opsbook safety …` (D-SAFE-SM, D-SAFE-MATRIX): parse → one operation of
//! `opsbook_ops::safety` → render → exit code (`safety can`: 0 ALLOW,
//! 3 CONFIRM, 1 DENY; `safety set`: 4 when the hook failed).

use std::fmt::Write as _;

use opsbook_core::safety::{Decision, Source};
use opsbook_ops::OpsError;
use opsbook_ops::safety::{self as ops, SetRequest, WatchResult};

use super::{context, emit, op, say};
use crate::cli::{ListFormat, SafetyCommand};
use crate::exit::{self, CliError, Outcome};
use crate::render;

pub fn run(c: &SafetyCommand) -> Outcome {
    match c {
        SafetyCommand::Status { common } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let st = op(&cx, ops::status)?;
            emit(common.format, &st, &render::safety::status(&st))?;
            Ok(exit::OK)
        }
        SafetyCommand::Set {
            common,
            state,
            reason,
            evidence,
            source,
            incident,
            manual,
        } => {
            let source = Source::parse(source).map_err(exit::usage)?;
            let cx = context(&common.root, common.actor.as_deref())?;
            let o = match op(&cx, |cx| {
                ops::set_state(
                    cx,
                    &SetRequest {
                        to: state.clone(),
                        reason: reason.clone(),
                        evidence: evidence.clone(),
                        source: source.clone(),
                        incident: incident.clone(),
                        manual: *manual,
                    },
                )
            }) {
                Ok(o) => o,
                Err(CliError::Ops(OpsError::Refused(r))) => {
                    // Every unmet condition at once, each with its fix;
                    // the exit code stays a refusal's.
                    let again = run_again(
                        state,
                        reason,
                        evidence.as_deref(),
                        &source,
                        incident.as_deref(),
                        *manual,
                        &r.unmet,
                    );
                    if common.format == ListFormat::Json {
                        emit(
                            common.format,
                            &serde_json::json!({
                                "refused": true,
                                "to": state.trim().to_ascii_uppercase(),
                                "message": r.message,
                                "unmet": render::unmet::json(&r.unmet),
                                "run_again": again,
                            }),
                            "",
                        )?;
                    }
                    let several = r.unmet.len() > 1;
                    let e = CliError::Ops(OpsError::Refused(r));
                    let mut text = e.render();
                    if several {
                        let _ = write!(text, "\nthen run again: `{again}`");
                    }
                    say(&text);
                    return Ok(e.code());
                }
                Err(e) => return Err(e),
            };
            if let Some(why) = &o.redirected_because {
                say(&format!("refused: {why}"));
            }
            let mut s = if o.from == o.to {
                format!(
                    "already {} (nothing to change; the hook re-engages it when there is one)",
                    o.to
                )
            } else {
                format!(
                    "{} → {}{}",
                    o.from,
                    o.to,
                    if o.manual {
                        " (recorded as switched by hand)"
                    } else {
                        ""
                    }
                )
            };
            if let Some(h) = &o.hook {
                let _ = write!(s, " (hook ok in {} ms)", h.duration_ms);
            }
            s.push('\n');
            if o.hook.is_none() && !o.manual && o.from != o.to {
                let _ = writeln!(s, "  {}", no_hook(&o.to));
            }
            if o.froze {
                s.push_str(
                    "  change freeze turned on (policy/change-freeze.yaml on_safety_states)\n",
                );
            }
            if let Some(u) = &o.watch_until {
                let _ = writeln!(
                    s,
                    "  post-recovery watch until {u}: end it with `opsbook safety watch-end --result ok --reason …`"
                );
            }
            emit(common.format, &o, &s)?;
            Ok(super::unrecorded(&o.unrecorded, exit::OK))
        }
        SafetyCommand::History { common, last } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let events = op(&cx, |cx| ops::history(cx, *last))?;
            emit(
                common.format,
                &serde_json::json!({ "events": events }),
                &render::safety::history(&events),
            )?;
            Ok(exit::OK)
        }
        SafetyCommand::Can {
            common,
            action,
            state,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let a = op(&cx, |cx| ops::can(cx, action, state.as_deref()))?;
            emit(
                common.format,
                &a,
                &format!(
                    "{} — {}{}\n",
                    a.answer.decision.as_str(),
                    a.answer.why,
                    a.answer.next.as_ref().map(render::hint).unwrap_or_default()
                ),
            )?;
            Ok(match a.answer.decision {
                Decision::Allow => exit::OK,
                Decision::Confirm => exit::CONFIRM,
                Decision::Deny => exit::FINDINGS,
            })
        }
        SafetyCommand::Matrix { common } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let m = op(&cx, ops::matrix_view)?;
            emit(
                common.format,
                &m,
                &render::safety::matrix(&m, common.format == ListFormat::Markdown),
            )?;
            Ok(exit::OK)
        }
        SafetyCommand::WatchEnd {
            common,
            result,
            reason,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let r = if result == "ok" {
                WatchResult::Ok
            } else {
                WatchResult::Retriggered
            };
            let w = op(&cx, |cx| ops::watch_end(cx, r, reason))?;
            let msg = if w.retriggered {
                "post-recovery watch ended: RE-TRIGGERED. Escalate (`opsbook safety set SAFE_MODE|HALTED --reason …`) and move the incident back to MITIGATING.\n"
            } else {
                "post-recovery watch ended without re-trigger; the freeze may be lifted when its other conditions hold (`opsbook freeze status`)\n"
            };
            emit(common.format, &w, msg)?;
            Ok(exit::OK)
        }
    }
}

/// The warning for a state entered with no hook configured for it: opsbook
/// recorded the state, the platform was not touched (`halt`, `safety set`).
pub(super) fn no_hook(state: &str) -> String {
    format!(
        "NO HOOK: opsbook.toml has no [safety.hooks.{state}], so opsbook recorded {state} but did NOT touch the platform. Switch it by hand now, and configure the hook (docs/formats.md, [safety.hooks])."
    )
}

/// The `safety set` command as typed, with `--incident` added when the
/// way forward names the incident the state was entered for (its evidence
/// and acceptance count only with it): what to run once every unmet
/// condition is met.
fn run_again(
    state: &str,
    reason: &str,
    evidence: Option<&str>,
    source: &Source,
    incident: Option<&str>,
    manual: bool,
    unmet: &[opsbook_core::safety::Unmet],
) -> String {
    use opsbook_core::next::NextStep;
    use opsbook_core::text::quote_arg;
    let found = unmet.iter().find_map(|u| match &u.next {
        Some(
            NextStep::AttachEvidence { incident: i }
            | NextStep::AnswerAcceptance {
                incident: Some(i), ..
            },
        ) => Some(i.as_str()),
        _ => None,
    });
    let mut s = format!(
        "opsbook safety set {} --reason {}",
        quote_arg(&state.trim().to_ascii_uppercase()),
        quote_arg(reason)
    );
    if let Some(e) = evidence {
        let _ = write!(s, " --evidence {}", quote_arg(e));
    }
    if *source != Source::Operator {
        let _ = write!(s, " --source {}", quote_arg(&source.as_string()));
    }
    if let Some(i) = incident.or(found) {
        let _ = write!(s, " --incident {}", quote_arg(i));
    }
    if manual {
        s.push_str(" --manual");
    }
    s
}
