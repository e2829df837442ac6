//! `opsbook safety …` and `opsbook freeze …` (D-SAFE-SM, D-SAFE-MATRIX, D-SAFE-FREEZE).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use opsbook_core::confirm;
use opsbook_core::freeze;
use opsbook_core::ledger::{self, Actor, Event, Writer};
use opsbook_core::safety::{self, Current, Decision, Machine, Matrix, Request, Source};
use opsbook_core::ssot::Ssot;
use serde_json::{Value, json};

use crate::cli::{ExceptionCommand, FreezeCommand, ListFormat, SafeCommon, SafetyCommand};

/// Exit code: the platform hook failed; the state is unchanged.
pub const EXIT_HOOK_FAILED: u8 = 4;
/// Exit code of `safety can`: CONFIRM.
pub const EXIT_CONFIRM: u8 = 3;

pub fn ledger_path(root: &Path, name: &str) -> PathBuf {
    root.join("ledger").join(format!("{name}.jsonl"))
}

pub fn machine(root: &Path) -> anyhow::Result<Machine> {
    let p = root.join("policy").join("degraded.yaml");
    Machine::from_value(&super::severity::read_value(&p)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
}

/// The starter SSOT's machine, for the emergency stop when the policy file
/// is missing or broken.
fn builtin_machine() -> anyhow::Result<Machine> {
    let bytes = opsbook_core::scaffold::file("policy/degraded.yaml")
        .context("no built-in policy/degraded.yaml")?;
    let doc = opsbook_core::yaml::parse(std::str::from_utf8(bytes)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Machine::from_value(&doc.value).map_err(anyhow::Error::msg)
}

pub fn matrix_value(root: &Path) -> anyhow::Result<Value> {
    super::severity::read_value(&root.join("policy").join("safety-matrix.yaml"))
}

/// `policy/change-freeze.yaml`. Missing or unreadable is an error: the
/// deploy guard must not wave changes through because a file is broken.
pub fn freeze_policy_strict(root: &Path) -> anyhow::Result<freeze::Policy> {
    let p = root.join("policy").join("change-freeze.yaml");
    let v = super::severity::read_value(&p).with_context(|| {
        "the change freeze cannot be judged without its policy (fail closed)".to_string()
    })?;
    if !v.is_object() {
        bail!(
            "{}: not a mapping; the change freeze cannot be judged (fail closed)",
            p.display()
        );
    }
    Ok(freeze::Policy::from_value(&v))
}

/// The freeze policy for automatic triggers: the SSOT's, or the starter
/// policy's when that is broken (freezing is the safe default), with a warning.
pub fn freeze_policy(root: &Path) -> freeze::Policy {
    match freeze_policy_strict(root) {
        Ok(p) => p,
        Err(e) => {
            note(&format!(
                "warning: {e:#}; using the starter change-freeze policy"
            ));
            let v = opsbook_core::scaffold::file("policy/change-freeze.yaml")
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|t| opsbook_core::yaml::parse(t).ok())
                .map(|d| d.value)
                .unwrap_or(Value::Null);
            freeze::Policy::from_value(&v)
        }
    }
}

/// The actions of the safety matrix (empty when it cannot be read: then
/// every action not always allowed is refused while frozen).
pub fn known_actions(root: &Path) -> Vec<String> {
    matrix_value(root)
        .map(|v| {
            Matrix::from_value(&v)
                .actions
                .into_iter()
                .map(|a| a.id)
                .collect()
        })
        .unwrap_or_default()
}

/// The current state (read without the lock: a snapshot).
pub fn current(root: &Path, m: &Machine) -> anyhow::Result<Current> {
    Ok(safety::replay(
        m,
        &ledger::read(&ledger_path(root, "safety"))?,
    ))
}

fn actor(c: &SafeCommon) -> Actor {
    Actor::current(c.actor.clone())
}

#[allow(clippy::print_stderr)]
fn note(s: &str) {
    eprintln!("{s}");
}

/// What [`set_state`] did.
pub struct SetOutcome {
    pub from: String,
    pub to: String,
    pub events: Vec<Event>,
    pub hook: Option<opsbook_core::hook::Outcome>,
    pub watch_until: Option<String>,
    pub froze: bool,
}

/// Why [`set_state`] stopped.
pub enum SetError {
    /// A guard refused (exit 1).
    Refused(String),
    /// The hook failed (exit 4): the message includes the manual steps.
    HookFailed(String),
    /// Anything else (exit 2).
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for SetError {
    fn from(e: E) -> SetError {
        SetError::Other(e.into())
    }
}

/// Manual steps for a state whose hook failed: the runbook's Mitigation
/// section, or at least where to find it.
fn manual_steps(root: &Path, runbook: Option<&str>) -> String {
    let Some(id) = runbook else {
        return "no manual_runbook is configured for this hook: switch the platform by hand as your runbooks say, then record it with `opsbook safety set` again".into();
    };
    let Ok(ssot) = Ssot::load(root) else {
        return format!("follow runbook {id}");
    };
    let Some(rb) = ssot
        .runbooks
        .iter()
        .find(|r| r.meta.id.as_deref() == Some(id))
    else {
        return format!("follow runbook {id} (not found in the registry)");
    };
    let f = ssot.runbook_file(rb);
    let text = std::fs::read(root.join(&f.rel))
        .ok()
        .and_then(|b| opsbook_core::text::decode(&b).ok())
        .map(|d| d.text)
        .unwrap_or_default();
    let mut out = format!("Manual steps ({id}, {}):\n", f.rel);
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            inside = line.to_ascii_lowercase().contains("mitigation")
                || line.to_ascii_lowercase().contains("safety");
        }
        if inside {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Moves the platform to `to`: checks the guards under the safety ledger's
/// lock, runs the hook (attempt recorded first), records the exit and
/// entry, and the consequences (incident decision, freeze, watch).
#[allow(clippy::too_many_arguments)]
pub fn set_state(
    root: &Path,
    who: &Actor,
    to: &str,
    reason: &str,
    evidence: Option<&str>,
    source: Source,
    incident: Option<&str>,
    manual: bool,
) -> Result<SetOutcome, SetError> {
    let to = to.trim().to_ascii_uppercase();
    let m = match machine(root) {
        Ok(m) => m,
        // The emergency stop never waits for a policy file.
        Err(e) if to == "HALTED" => {
            note(&format!(
                "warning: {e}; using the built-in safety state machine for HALTED"
            ));
            builtin_machine()?
        }
        Err(e) => return Err(e.into()),
    };
    if m.state(&to).is_none() {
        return Err(SetError::Other(anyhow::anyhow!(
            "`{to}` is not a safety state; policy/degraded.yaml has {}",
            m.states
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let cfg = Ssot::load_config_strict(root).map_err(|e| {
        anyhow::anyhow!("{e}\nopsbook.toml must be valid before the platform is switched (its hooks would be ignored); switch by hand if it cannot wait")
    })?;
    let st = super::incident::store(root)?;
    let inc = match incident {
        Some(i) => Some(st.load(&st.resolve(i)?)?),
        None => None,
    };
    let mut w = Writer::open(&ledger_path(root, "safety"))?;
    let events = match w.events() {
        Ok(e) => e,
        Err(e) => {
            // A broken ledger must not block the emergency stop: switch the
            // platform, then say plainly that the state is not recorded.
            let mut ran = String::new();
            if to == "HALTED"
                && !manual
                && let Some(h) = cfg.hooks.get(&to)
            {
                let o = opsbook_core::hook::run(
                    h,
                    &[
                        ("OPSBOOK_STATE_TO", to.clone()),
                        ("OPSBOOK_REASON", reason.to_string()),
                    ],
                );
                ran = if o.ok {
                    format!(
                        "; the HALTED hook ran and succeeded ({} ms): the platform is halted",
                        o.duration_ms
                    )
                } else {
                    format!(
                        "; the HALTED hook FAILED too: switch by hand NOW.\n{}",
                        manual_steps(root, h.manual_runbook.as_deref())
                    )
                };
            }
            return Err(SetError::Other(anyhow::anyhow!(
                "{e}{ran}\nthe safety ledger is broken, so the new state could not be recorded: do what the first line says"
            )));
        }
    };
    let cur = safety::replay(&m, &events);
    if let Some(p) = &cur.pending_hook {
        note(&format!(
            "warning: a hook attempt to {p} has no recorded result (interrupted?): the platform may not be in {} — check it",
            cur.state
        ));
    }
    let now = opsbook_core::clock::now();
    let confirmations = confirm::confirmations(&ledger::read(&ledger_path(root, "confirmations"))?);
    let needs_confirm = m
        .transition(&cur.state, &to)
        .is_some_and(|t| t.requires.iter().any(|r| r == "high_danger_confirmation"));
    let conf = if needs_confirm {
        confirm::usable(&confirmations, "release_halt", Some(&to), now).cloned()
    } else {
        None
    };
    let acceptance_passed = inc
        .as_ref()
        .and_then(|i| i.acceptance.as_ref())
        .is_some_and(|a| a.passed);
    // Evidence for a de-escalation: --evidence, or an evidence reference
    // attached to the incident since the current state was entered (spec
    // degraded-mode rule 3: a bundle newer than the last escalation).
    let incident_evidence = inc.as_ref().and_then(|i| {
        let since = cur.since.clone().unwrap_or_default();
        i.evidence
            .iter()
            .rev()
            .find(|e| {
                i.events
                    .iter()
                    .find(|ev| ev.seq == e.seq)
                    .is_some_and(|ev| ev.ts >= since)
            })
            .map(|e| e.reference.clone())
    });
    let evidence = evidence.or(incident_evidence.as_deref());
    if to == cur.state {
        // Asking for the state we are in re-engages it (a kill switch may
        // have been reset by hand); it is never refused.
        let mut events = Vec::new();
        let mut outcome = None;
        if !manual && let Some(h) = cfg.hooks.get(&to) {
            events.push(w.append(who, "hook_attempt", json!({"from": cur.state, "to": to, "command": h.command, "timeout_seconds": h.timeout_seconds, "source": source.as_string(), "reason": reason, "reengage": true}))?);
            let o = opsbook_core::hook::run(
                h,
                &[
                    ("OPSBOOK_STATE_FROM", cur.state.clone()),
                    ("OPSBOOK_STATE_TO", to.clone()),
                    ("OPSBOOK_REASON", reason.to_string()),
                ],
            );
            events.push(w.append(who, "hook_result", json!({"to": to, "outcome": o}))?);
            if !o.ok {
                return Err(SetError::HookFailed(format!(
                    "re-engaging {to}: the hook failed.\n{}",
                    manual_steps(root, h.manual_runbook.as_deref())
                )));
            }
            outcome = Some(o);
        }
        return Ok(SetOutcome {
            from: cur.state.clone(),
            to,
            events,
            hook: outcome,
            watch_until: None,
            froze: false,
        });
    }
    let req = Request {
        to: &to,
        reason,
        evidence,
        source: source.clone(),
        confirmed: conf.is_some(),
        acceptance_passed,
        now,
    };
    let t = match safety::check(&m, &cur, &req) {
        Ok(t) => t.clone(),
        Err(r) => {
            if r.record {
                w.append(
                    who,
                    "transition_refused",
                    json!({"from": cur.state, "to": to, "source": source.as_string(), "reason": reason, "why": r.message}),
                )?;
            }
            if let Some(redirect) = r.redirect_to.clone() {
                drop(w);
                note(&format!("refused: {}", r.message));
                return set_state(
                    root,
                    who,
                    &redirect,
                    &format!("automatic escalation limit reached; requested {to}: {reason}"),
                    evidence,
                    Source::Policy("auto_escalation.on_limit".into()),
                    incident,
                    false,
                );
            }
            return Err(SetError::Refused(r.message));
        }
    };
    let mut events = Vec::new();
    let mut outcome = None;
    if let Some(h) = cfg.hooks.get(&to).filter(|_| !manual) {
        events.push(w.append(
            who,
            "hook_attempt",
            json!({"from": cur.state, "to": to, "command": h.command, "timeout_seconds": h.timeout_seconds, "source": source.as_string(), "reason": reason}),
        )?);
        let env = vec![
            ("OPSBOOK_STATE_FROM", cur.state.clone()),
            ("OPSBOOK_STATE_TO", to.clone()),
            ("OPSBOOK_REASON", reason.to_string()),
            (
                "OPSBOOK_INCIDENT",
                inc.as_ref().map(|i| i.id.clone()).unwrap_or_default(),
            ),
        ];
        let o = opsbook_core::hook::run(h, &env);
        events.push(w.append(who, "hook_result", json!({"to": to, "outcome": o}))?);
        if !o.ok {
            let why = match (&o.error, o.timed_out, o.exit_code) {
                (Some(e), _, _) => e.clone(),
                (None, true, _) => {
                    format!("timed out after {} s and was killed", h.timeout_seconds)
                }
                (None, false, c) => format!(
                    "exited with {}",
                    c.map_or("a signal".into(), |c| c.to_string())
                ),
            };
            return Err(SetError::HookFailed(format!(
                "the hook for {to} failed ({why}); the recorded state stays {}{}.\n{}{}After switching by hand, record it: `opsbook safety set {to} --manual --reason \"…\"`",
                cur.state,
                if o.timed_out {
                    ", but the hook was stopped midway: the platform may be PARTLY switched — check it"
                } else {
                    ""
                },
                if o.stderr.trim().is_empty() {
                    String::new()
                } else {
                    format!("hook stderr: {}\n", o.stderr.trim())
                },
                manual_steps(root, h.manual_runbook.as_deref()) + "\n"
            )));
        }
        outcome = Some(o);
    }
    let dwell_ms = cur
        .since
        .as_deref()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(|s| (now.as_millisecond() - s.as_millisecond()).max(0));
    events.push(w.append(
        who,
        "state_exited",
        json!({"state": cur.state, "to": to, "dwell_ms": dwell_ms}),
    )?);
    let mut entered = json!({
        "state": to, "from": cur.state, "reason": reason, "source": source.as_string(),
        "direction": if t.escalate { "escalate" } else { "deescalate" },
        "hook": if manual { json!("manual") } else { json!(outcome.is_some()) },
    });
    if let Some(e) = evidence {
        entered["evidence"] = json!(e);
    }
    if let Some(i) = &inc {
        entered["incident"] = json!(i.id);
    }
    if let Some(c) = &conf {
        entered["confirmation"] = json!(c.id);
    }
    events.push(w.append(who, "state_entered", entered)?);
    let mut watch_until = None;
    if cur.state == "RECOVERING" && to == m.initial {
        let minutes = inc
            .as_ref()
            .and_then(|i| m.watch_minutes.get(&i.severity).copied())
            .unwrap_or(m.watch_default_minutes);
        let until = ledger::format_ts(
            jiff::Timestamp::from_millisecond(
                now.as_millisecond()
                    .saturating_add(minutes.saturating_mul(60_000)),
            )
            .unwrap_or(now),
        );
        let conds = super::severity::read_value(&root.join("policy").join("degraded.yaml"))
            .ok()
            .and_then(|v| v.pointer("/post_recovery_watch/exit_conditions").cloned())
            .unwrap_or(json!([]));
        events.push(w.append(
            who,
            "watch_started",
            json!({"until": until, "minutes": minutes, "incident": inc.as_ref().map(|i| i.id.clone()), "exit_conditions": conds}),
        )?);
        watch_until = Some(until);
    }
    drop(w);
    if let Some(e) = events
        .iter()
        .find(|e| e.data.get("clock_behind_ms").is_some())
    {
        note(&format!(
            "warning: this machine's clock is {} ms behind the last safety event; recorded at {} so that time never goes backwards. Check time sync: w32tm /query /status",
            e.data["clock_behind_ms"], e.ts
        ));
    }
    if let Some(c) = &conf {
        ledger::append(
            &ledger_path(root, "confirmations"),
            who,
            "confirmation_used",
            json!({"confirmation": c.id, "by": format!("safety set {to}")}),
        )?;
    }
    if let Some(i) = &inc
        && !i.status.is_terminal()
    {
        st.transact(&i.id, who, |_| {
            Ok(vec![(
                "safety_decision".into(),
                json!({"to": to, "decision": format!("safety state {} → {to} (opsbook safety set)", cur.state), "reason": reason}),
            )])
        })?;
    }
    let fp = freeze_policy(root);
    let mut froze = false;
    if fp.on_safety_states.contains(&to) {
        froze = freeze_on_if_off(
            root,
            who,
            &format!("safety state {to}: {reason}"),
            inc.as_ref().map(|i| i.id.as_str()),
            "safety",
        )?;
    }
    Ok(SetOutcome {
        from: cur.state,
        to,
        events,
        hook: outcome,
        watch_until,
        froze,
    })
}

/// Turns the freeze on unless it already is on for this reason; returns
/// whether an event was written.
pub fn freeze_on_if_off(
    root: &Path,
    who: &Actor,
    reason: &str,
    incident: Option<&str>,
    source: &str,
) -> anyhow::Result<bool> {
    let mut w = Writer::open(&ledger_path(root, "freeze"))?;
    let st = freeze::replay(&w.events()?);
    if st.frozen && incident.is_none_or(|i| st.incidents().iter().any(|x| x == i)) {
        return Ok(false);
    }
    let mut d = json!({"reason": reason, "source": source});
    if let Some(i) = incident {
        d["incident"] = json!(i);
    }
    w.append(who, "freeze_on", d)?;
    Ok(true)
}

fn dur_min(ms: i64) -> String {
    opsbook_core::postmortem::human_duration(ms)
}

pub fn run(c: &SafetyCommand) -> anyhow::Result<u8> {
    match c {
        SafetyCommand::Status { common } => status(common),
        SafetyCommand::Set {
            common,
            state,
            reason,
            evidence,
            source,
            incident,
            manual,
        } => {
            let root = super::resolve_root(&common.root)?;
            let source = Source::parse(source).map_err(anyhow::Error::msg)?;
            if reason.trim().is_empty() {
                bail!("--reason is empty: every safety transition needs a reason");
            }
            match set_state(
                &root,
                &actor(common),
                state,
                reason.trim(),
                evidence.as_deref(),
                source,
                incident.as_deref(),
                *manual,
            ) {
                Ok(o) => {
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
                            if *manual {
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
                    if o.froze {
                        s.push_str("  change freeze turned on (policy/change-freeze.yaml on_safety_states)\n");
                    }
                    if let Some(u) = &o.watch_until {
                        let _ = writeln!(
                            s,
                            "  post-recovery watch until {u}: end it with `opsbook safety watch-end --result ok --reason …`"
                        );
                    }
                    let text = match common.format {
                        ListFormat::Json => {
                            serde_json::to_string_pretty(
                                &json!({"from": o.from, "to": o.to, "hook": o.hook, "watch_until": o.watch_until, "froze": o.froze, "events": o.events}),
                            )? + "\n"
                        }
                        _ => s,
                    };
                    crate::output::emit(&text, None)?;
                    Ok(crate::EXIT_OK)
                }
                Err(SetError::Refused(m)) => {
                    note(&format!("refused: {m}"));
                    Ok(crate::EXIT_FINDINGS)
                }
                Err(SetError::HookFailed(m)) => {
                    note(&format!("hook failed: {m}"));
                    Ok(EXIT_HOOK_FAILED)
                }
                Err(SetError::Other(e)) => Err(e),
            }
        }
        SafetyCommand::History { common, last } => {
            let root = super::resolve_root(&common.root)?;
            let events = ledger::read(&ledger_path(&root, "safety"))?;
            let skip = last.map_or(0, |n| events.len().saturating_sub(n));
            let events = &events[skip..];
            let text = match common.format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(&json!({"events": events}))? + "\n"
                }
                _ => {
                    let mut s = String::new();
                    for e in events {
                        let d = &e.data;
                        let g =
                            |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        let what = match e.kind.as_str() {
                            "state_entered" => format!(
                                "entered {} from {} ({}) — {}",
                                g("state"),
                                g("from"),
                                g("source"),
                                g("reason")
                            ),
                            "state_exited" => format!(
                                "left {} after {}",
                                g("state"),
                                d.get("dwell_ms")
                                    .and_then(Value::as_i64)
                                    .map_or("—".into(), dur_min)
                            ),
                            "hook_attempt" => format!("hook for {} started", g("to")),
                            "hook_result" => format!(
                                "hook for {}: {}",
                                g("to"),
                                if d.pointer("/outcome/ok").and_then(Value::as_bool) == Some(true) {
                                    "ok"
                                } else {
                                    "FAILED"
                                }
                            ),
                            "transition_refused" => format!(
                                "refused {} → {} ({}): {}",
                                g("from"),
                                g("to"),
                                g("source"),
                                g("why")
                            ),
                            "watch_started" => format!("post-recovery watch until {}", g("until")),
                            "watch_ended" => format!(
                                "post-recovery watch ended: {} — {}",
                                g("result"),
                                g("reason")
                            ),
                            k => k.replace('_', " "),
                        };
                        let _ = writeln!(
                            s,
                            "{:>4}  {}  {}",
                            e.seq,
                            super::incident::when(&e.ts),
                            what
                        );
                    }
                    if events.is_empty() {
                        s.push_str("no safety transitions recorded: the platform is in the initial state\n");
                    }
                    s
                }
            };
            crate::output::emit(&text, None)?;
            Ok(crate::EXIT_OK)
        }
        SafetyCommand::Can {
            common,
            action,
            state,
        } => can(common, action, state.as_deref()),
        SafetyCommand::Matrix { common } => {
            let root = super::resolve_root(&common.root)?;
            let m = machine(&root)?;
            let mx = Matrix::from_value(&matrix_value(&root)?);
            let text = match common.format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(
                        &json!({"states": m.states.iter().map(|s| &s.id).collect::<Vec<_>>(), "actions": mx.actions, "matrix": mx.cells}),
                    )? + "\n"
                }
                f => {
                    let md = f == ListFormat::Markdown;
                    let mut s = String::new();
                    let states: Vec<&str> = m.states.iter().map(|s| s.id.as_str()).collect();
                    if md {
                        let _ = writeln!(s, "| action | tier | {} |", states.join(" | "));
                        let _ = writeln!(s, "|---|---|{}", "---|".repeat(states.len()));
                    } else {
                        let _ = write!(s, "{:<28} {:<4}", "action", "tier");
                        for st in &states {
                            let _ = write!(s, " {st:<10}");
                        }
                        s.push('\n');
                    }
                    for a in &mx.actions {
                        let cells: Vec<&str> = states
                            .iter()
                            .map(|st| mx.can(&a.id, st).decision.as_str())
                            .collect();
                        if md {
                            let _ =
                                writeln!(s, "| {} | {} | {} |", a.id, a.tier, cells.join(" | "));
                        } else {
                            let _ = write!(s, "{:<28} {:<4}", a.id, a.tier);
                            for c in cells {
                                let _ = write!(s, " {c:<10}");
                            }
                            s.push('\n');
                        }
                    }
                    s
                }
            };
            crate::output::emit(&text, None)?;
            Ok(crate::EXIT_OK)
        }
        SafetyCommand::WatchEnd {
            common,
            result,
            reason,
        } => {
            let root = super::resolve_root(&common.root)?;
            let m = machine(&root)?;
            let mut w = Writer::open(&ledger_path(&root, "safety"))?;
            let cur = safety::replay(&m, &w.events()?);
            let Some((until, inc)) = cur.watch.clone() else {
                bail!(
                    "no post-recovery watch is running (it starts when RECOVERING is left for {})",
                    m.initial
                );
            };
            let now = opsbook_core::clock::now();
            if result == "ok" && until.parse::<jiff::Timestamp>().is_ok_and(|u| now < u) {
                note(&format!(
                    "refused: the post-recovery watch runs until {until}; it cannot end `ok` earlier (a re-trigger may end it at any time with --result retriggered)"
                ));
                return Ok(crate::EXIT_FINDINGS);
            }
            let ev = w.append(
                &actor(common),
                "watch_ended",
                json!({"result": result, "reason": reason, "incident": inc}),
            )?;
            drop(w);
            let msg = if result == "ok" {
                "post-recovery watch ended without re-trigger; the freeze may be lifted when its other conditions hold (`opsbook freeze status`)\n".to_string()
            } else {
                "post-recovery watch ended: RE-TRIGGERED. Escalate (`opsbook safety set SAFE_MODE|HALTED --reason …`) and move the incident back to MITIGATING.\n".to_string()
            };
            super::incident::print_events(common.format, &[ev], &msg)
        }
    }
}

fn status(common: &SafeCommon) -> anyhow::Result<u8> {
    let root = super::resolve_root(&common.root)?;
    let m = machine(&root)?;
    let cur = current(&root, &m)?;
    let now = opsbook_core::clock::now();
    let def = m.state(&cur.state);
    let dwell = def.map_or(0, |d| d.min_dwell_minutes);
    let deescalate_after = cur
        .since
        .as_deref()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .and_then(|s| {
            jiff::Timestamp::from_millisecond(
                s.as_millisecond()
                    .saturating_add(dwell.saturating_mul(60_000)),
            )
            .ok()
        })
        .map(ledger::format_ts);
    let next: Vec<Value> = m
        .next(&cur.state)
        .iter()
        .map(|t| json!({"to": t.to, "direction": if t.escalate { "escalate" } else { "deescalate" }, "requires": t.requires, "automatic": t.automatic}))
        .collect();
    let fp = freeze_policy(&root);
    let fst = freeze::replay(&ledger::read(&ledger_path(&root, "freeze"))?);
    let fv = freeze::check(&fp, &fst, "deploy_code", now, &known_actions(&root));
    let text = match common.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "state": cur.state, "since": cur.since, "reason": cur.reason, "incident": cur.incident,
                "rank": def.map(|d| d.rank), "min_dwell_minutes": dwell, "deescalate_after": deescalate_after,
                "next": next, "pending_hook": cur.pending_hook,
                "watch": cur.watch.as_ref().map(|(u, i)| json!({"until": u, "incident": i})),
                "frozen": fv.frozen,
            }))? + "\n"
        }
        _ => {
            let mut s = cur.state.to_string();
            match &cur.since {
                Some(t) => {
                    let _ = write!(s, " since {}", super::incident::when(t));
                    if let Some(r) = &cur.reason {
                        let _ = write!(s, " — {r}");
                    }
                }
                None => s.push_str(" (initial state; no transition recorded)"),
            }
            s.push('\n');
            if let Some(i) = &cur.incident {
                let _ = writeln!(s, "  incident       {i}");
            }
            if let Some(a) = &deescalate_after
                && dwell > 0
            {
                let _ = writeln!(s, "  de-escalate    not before {a} (min dwell {dwell} min)");
            }
            for t in m.next(&cur.state) {
                let _ = writeln!(
                    s,
                    "  → {:<12} {}{}",
                    t.to,
                    if t.escalate {
                        "escalate"
                    } else {
                        "de-escalate"
                    },
                    if t.requires.is_empty() {
                        String::new()
                    } else {
                        format!(", needs {}", t.requires.join(" + "))
                    }
                );
            }
            if let Some(p) = &cur.pending_hook {
                let _ = writeln!(
                    s,
                    "  WARNING        a hook attempt to {p} has no recorded result: check the platform's actual mode"
                );
            }
            if let Some((u, _)) = &cur.watch {
                let _ = writeln!(s, "  watch          post-recovery watch until {u}");
            }
            let _ = writeln!(
                s,
                "  freeze         {}",
                if fv.frozen {
                    "ON (`opsbook freeze status`)"
                } else {
                    "off"
                }
            );
            s
        }
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

fn can(common: &SafeCommon, action: &str, state: Option<&str>) -> anyhow::Result<u8> {
    let root = super::resolve_root(&common.root)?;
    let m = machine(&root)?;
    let mx = Matrix::from_value(&matrix_value(&root)?);
    let judged = match state {
        Some(s) => {
            let up = s.trim().to_ascii_uppercase();
            if m.state(&up).is_none() {
                bail!(
                    "--state `{s}` is not a safety state; policy/degraded.yaml has {}",
                    m.states
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            up
        }
        None => current(&root, &m)?.state,
    };
    let mut a = mx.can(action, &judged);
    let mut freeze_v = None;
    if state.is_none() && a.decision != Decision::Deny {
        let fp = freeze_policy_strict(&root)?;
        let fst = freeze::replay(&ledger::read(&ledger_path(&root, "freeze"))?);
        let v = freeze::check(
            &fp,
            &fst,
            action,
            opsbook_core::clock::now(),
            &mx.actions.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        );
        if !v.allowed {
            a.decision = Decision::Deny;
            a.why = format!(
                "the matrix says {} in {judged}, but {}",
                mx.can(action, &judged).decision.as_str(),
                v.why
            );
        }
        freeze_v = Some(v);
    }
    let text = match common.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "action": a.action, "state": a.state, "decision": a.decision, "tier": a.tier, "why": a.why,
                "freeze": freeze_v,
            }))? + "\n"
        }
        _ => format!("{} — {}\n", a.decision.as_str(), a.why),
    };
    crate::output::emit(&text, None)?;
    Ok(match a.decision {
        Decision::Allow => crate::EXIT_OK,
        Decision::Confirm => EXIT_CONFIRM,
        Decision::Deny => crate::EXIT_FINDINGS,
    })
}

/// Parses `30m`, `2h`, `90` (minutes), `1h30m`.
fn parse_minutes(s: &str) -> anyhow::Result<i64> {
    const MAX: i64 = 10_000_000;
    let t = s.trim().to_ascii_lowercase();
    if let Ok(n) = t.parse::<i64>() {
        if !(0..=MAX).contains(&n) {
            bail!("`{s}` is far too long (or negative)");
        }
        return Ok(n);
    }
    let mut total = 0i64;
    let mut num = String::new();
    for ch in t.chars() {
        if ch.is_ascii_digit() {
            num.push(ch);
            continue;
        }
        let n: i64 = num
            .parse()
            .with_context(|| format!("`{s}` is not a duration; use 30m, 2h or 1h30m"))?;
        num.clear();
        let add = match ch {
            'h' => n.checked_mul(60),
            'm' => Some(n),
            _ => bail!("`{s}` is not a duration; use 30m, 2h or 1h30m"),
        };
        total = add
            .and_then(|a| total.checked_add(a))
            .filter(|t| *t <= MAX)
            .with_context(|| format!("`{s}` is far too long"))?;
    }
    if !num.is_empty() {
        bail!("`{s}` is not a duration; use 30m, 2h or 1h30m");
    }
    Ok(total)
}

pub fn freeze_run(c: &FreezeCommand) -> anyhow::Result<u8> {
    match c {
        FreezeCommand::Status { common } => {
            let root = super::resolve_root(&common.root)?;
            let fp = freeze_policy_strict(&root)?;
            let st = freeze::replay(&ledger::read(&ledger_path(&root, "freeze"))?);
            let now = opsbook_core::clock::now();
            let v = freeze::check(&fp, &st, "deploy_code", now, &known_actions(&root));
            let active: Vec<&freeze::Exception> =
                st.exceptions.iter().filter(|x| x.active(now)).collect();
            let unmet = lift_unmet(&root, &fp, &st)?;
            let text = match common.format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(&json!({
                        "frozen": v.frozen, "since": st.since, "scheduled": v.scheduled,
                        "reasons": st.reasons.iter().map(|r| json!({"seq": r.0, "reason": r.1, "incident": r.2})).collect::<Vec<_>>(),
                        "incidents": st.incidents(), "exceptions": active, "lift_unmet": unmet,
                    }))? + "\n"
                }
                _ => {
                    let mut s = if v.frozen {
                        let mut s = match (&st.since, &v.scheduled) {
                            (Some(t), _) => format!("FROZEN since {}\n", super::incident::when(t)),
                            (None, Some(w)) => format!("FROZEN by the scheduled window {w}\n"),
                            (None, None) => "FROZEN\n".to_string(),
                        };
                        for (seq, reason, inc) in &st.reasons {
                            let _ = writeln!(
                                s,
                                "  #{seq} {reason}{}",
                                inc.as_deref()
                                    .map(|i| format!(" ({i})"))
                                    .unwrap_or_default()
                            );
                        }
                        if let (Some(w), true) = (&v.scheduled, st.since.is_some()) {
                            let _ = writeln!(s, "  also inside the scheduled window {w}");
                        }
                        s
                    } else {
                        "not frozen\n".to_string()
                    };
                    for x in &active {
                        let _ = writeln!(
                            s,
                            "  exception {} until {}: {} — {} (approver {})",
                            x.id,
                            x.expires_at,
                            x.actions.join(", "),
                            x.reason,
                            x.approver
                        );
                    }
                    if st.frozen {
                        if unmet.is_empty() {
                            s.push_str(
                                "  every lift condition holds: `opsbook freeze off --reason …`\n",
                            );
                        } else {
                            let _ = writeln!(s, "  lifts only when: {}", unmet.join("; "));
                        }
                    }
                    s
                }
            };
            crate::output::emit(&text, None)?;
            Ok(crate::EXIT_OK)
        }
        FreezeCommand::On {
            common,
            reason,
            incident,
        } => {
            let root = super::resolve_root(&common.root)?;
            if reason.trim().is_empty() {
                bail!("--reason is empty");
            }
            let ev = ledger::append(
                &ledger_path(&root, "freeze"),
                &actor(common),
                "freeze_on",
                json!({"reason": reason.trim(), "incident": incident, "source": "operator"}),
            )?;
            super::incident::print_events(common.format, &[ev], "change freeze ON\n")
        }
        FreezeCommand::Off { common, reason } => {
            let root = super::resolve_root(&common.root)?;
            let fp = freeze_policy_strict(&root)?;
            let mut w = Writer::open(&ledger_path(&root, "freeze"))?;
            let st = freeze::replay(&w.events()?);
            if !st.frozen {
                bail!("the freeze is not on");
            }
            let unmet = lift_unmet(&root, &fp, &st)?;
            if !unmet.is_empty() {
                note(&format!(
                    "refused: the freeze lifts only when every lift_requires holds (never by timeout): {}",
                    unmet.join("; ")
                ));
                return Ok(crate::EXIT_FINDINGS);
            }
            let ev = w.append(&actor(common), "freeze_off", json!({"reason": reason}))?;
            super::incident::print_events(common.format, &[ev], "change freeze lifted\n")
        }
        FreezeCommand::Except(a) | FreezeCommand::Exception(ExceptionCommand::Add(a)) => except(a),
        FreezeCommand::Exception(ExceptionCommand::Close { common, id, reason }) => {
            close_exception(common, id, reason)
        }
        FreezeCommand::CloseException { common, id, reason } => close_exception(common, id, reason),
        FreezeCommand::Check {
            common,
            change,
            action,
        } => {
            let root = super::resolve_root(&common.root)?;
            let fp = freeze_policy_strict(&root)?;
            let st = freeze::replay(&ledger::read(&ledger_path(&root, "freeze"))?);
            let v = freeze::check(
                &fp,
                &st,
                action,
                opsbook_core::clock::now(),
                &known_actions(&root),
            );
            let text = match common.format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(
                        &json!({"change": change, "action": action, "verdict": v}),
                    )? + "\n"
                }
                _ => format!(
                    "{}: {} — {}\n",
                    if v.allowed { "ALLOWED" } else { "FROZEN" },
                    change,
                    v.why
                ),
            };
            crate::output::emit(&text, None)?;
            Ok(if v.allowed {
                crate::EXIT_OK
            } else {
                crate::EXIT_FINDINGS
            })
        }
    }
}

fn except(a: &crate::cli::ExceptArgs) -> anyhow::Result<u8> {
    let crate::cli::ExceptArgs {
        common,
        actions,
        reason,
        risk,
        backout,
        expires_in,
        expires,
        approver,
        incident,
    } = a;

    let root = super::resolve_root(&common.root)?;
    let fp = freeze_policy_strict(&root)?;
    let mx = Matrix::from_value(&matrix_value(&root)?);
    for a in actions {
        if a == "everything" || a == "*" || a == "all" {
            bail!("an exception names the actions it unblocks; \"{a}\" is not accepted");
        }
        if !mx.cells.contains_key(a) {
            bail!("`{a}` is not an action of policy/safety-matrix.yaml");
        }
    }
    for (k, v) in [
        ("--reason", reason),
        ("--risk", risk),
        ("--backout", backout),
        ("--approver", approver),
    ] {
        if v.trim().is_empty() {
            bail!(
                "{k} is empty: an exception is a record — reason, risk, backout, expiry and approver"
            );
        }
    }
    let now = opsbook_core::clock::now();
    let until = match (expires_in, expires) {
        (Some(d), _) => {
            jiff::Timestamp::from_millisecond(now.as_millisecond() + parse_minutes(d)? * 60_000)?
        }
        (None, Some(t)) => opsbook_core::clock::parse_time(t).map_err(anyhow::Error::msg)?,
        (None, None) => bail!("give an expiry: --expires-in 60m or --expires TIME"),
    };
    let minutes = (until.as_millisecond() - now.as_millisecond()) / 60_000;
    if until <= now {
        bail!("the expiry is in the past");
    }
    if minutes > fp.max_duration_minutes {
        bail!(
            "an exception lasts at most {} min (policy exceptions.max_duration_minutes); this one {minutes} min",
            fp.max_duration_minutes
        );
    }
    let who = actor(common);
    let self_approved = approver.eq_ignore_ascii_case(&who.user)
        || who
            .name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(approver));
    let mut conf_id = None;
    if self_approved && fp.self_approval_needs_confirmation {
        let all = confirm::confirmations(&ledger::read(&ledger_path(&root, "confirmations"))?);
        // The confirmation must name every action the exception unblocks.
        let covers = |c: &confirm::Confirmation| {
            let named: Vec<&str> = c.target.split(',').map(str::trim).collect();
            actions.iter().all(|a| named.contains(&a.as_str()))
        };
        let usable = all.iter().rev().find(|c| {
            c.operation == "freeze_exception"
                && !c.used
                && covers(c)
                && c.valid_until
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|v| v > now)
        });
        match usable {
            Some(c) => conf_id = Some(c.id.clone()),
            None => {
                note(&format!(
                    "refused: you approve your own exception: that goes through the high-danger confirmation first: `opsbook confirm freeze_exception --target {}`",
                    actions.join(",")
                ));
                return Ok(crate::EXIT_FINDINGS);
            }
        }
    }
    let mut w = Writer::open(&ledger_path(&root, "freeze"))?;
    let st = freeze::replay(&w.events()?);
    let active = st.exceptions.iter().filter(|x| x.active(now)).count();
    if active >= fp.max_active {
        note(&format!(
            "refused: {active} exception(s) already active (policy exceptions.max_active = {}); close one first",
            fp.max_active
        ));
        return Ok(crate::EXIT_FINDINGS);
    }
    let next_seq = w.events()?.len() + 1;
    let id = format!("EXC-{next_seq}");
    let ev = w.append(&who, "exception_added", json!({
                "id": id, "actions": actions, "reason": reason, "risk": risk, "backout": backout,
                "expires_at": ledger::format_ts(until), "approver": approver, "self_approved": self_approved,
                "confirmation": conf_id, "incident": incident,
            }))?;
    drop(w);
    if let Some(cid) = &conf_id {
        ledger::append(
            &ledger_path(&root, "confirmations"),
            &who,
            "confirmation_used",
            json!({"confirmation": cid, "by": format!("freeze exception {id}")}),
        )?;
    }
    super::incident::print_events(
        common.format,
        &[ev],
        &format!(
            "{id}: {} allowed until {}\n",
            actions.join(", "),
            ledger::format_ts(until)
        ),
    )
}

fn close_exception(common: &SafeCommon, id: &str, reason: &str) -> anyhow::Result<u8> {
    let root = super::resolve_root(&common.root)?;
    let mut w = Writer::open(&ledger_path(&root, "freeze"))?;
    let st = freeze::replay(&w.events()?);
    if !st.exceptions.iter().any(|x| x.id == id && !x.closed) {
        bail!("no open exception `{id}` (`opsbook freeze status` lists them)");
    }
    let ev = w.append(
        &actor(common),
        "exception_closed",
        json!({"id": id, "reason": reason}),
    )?;
    super::incident::print_events(common.format, &[ev], &format!("{id} closed\n"))
}

/// The lift conditions of the policy that do not hold.
fn lift_unmet(root: &Path, fp: &freeze::Policy, st: &freeze::State) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for r in &fp.lift_requires {
        match r.as_str() {
            "incident_resolved" => {
                let store = super::incident::store(root)?;
                for id in st.incidents() {
                    if let Ok(i) = store.load(&id)
                        && i.status.is_open()
                    {
                        out.push(format!(
                            "incident {id} is {} (must be RESOLVED or CLOSED)",
                            i.status
                        ));
                    }
                }
            }
            "post_recovery_watch_ended" => {
                let m = machine(root)?;
                let cur = current(root, &m)?;
                if let Some((u, _)) = &cur.watch {
                    out.push(format!(
                        "the post-recovery watch runs until {u} (`opsbook safety watch-end`)"
                    ));
                } else if cur.last_watch_result.as_deref() == Some("retriggered") {
                    out.push("the last post-recovery watch re-triggered".into());
                }
            }
            "safety_state_normal" => {
                let m = machine(root)?;
                let cur = current(root, &m)?;
                if cur.state != m.initial {
                    out.push(format!(
                        "the safety state is {} (must be {})",
                        cur.state, m.initial
                    ));
                }
            }
            other => out.push(format!(
                "`{other}` (unknown lift condition: cannot be checked)"
            )),
        }
    }
    Ok(out)
}

/// The incidents that froze and are still open (for the "offer to lift" hint).
pub fn freeze_hint_after_close(root: &Path) -> Option<String> {
    let st = freeze::replay(&ledger::read(&ledger_path(root, "freeze")).ok()?);
    if !st.frozen {
        return None;
    }
    let store = super::incident::store(root).ok()?;
    let open: Vec<String> = st
        .incidents()
        .into_iter()
        .filter(|i| store.load(i).is_ok_and(|x| x.status.is_open()))
        .collect();
    if open.is_empty() {
        Some("  the change freeze is still on and no incident that turned it on is open: lift it when its conditions hold (`opsbook freeze status`, `opsbook freeze off --reason …`)".into())
    } else {
        None
    }
}
