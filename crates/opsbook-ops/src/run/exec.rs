//! Running the selected steps of a runbook: the gate per tier, the step
//! runner, the redacted transcript, the run ledger, the incident's
//! evidence and timeline, `--resume`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use opsbook_core::event::RunEvent;
use opsbook_core::event::incident::{self as iev, IncidentEvent, StepId};
use opsbook_core::event::run as rev;
use opsbook_core::layout::LedgerFile;
use serde::Serialize;

use super::{
    OUTPUT_CAP, RunRequest, Shell, StepView, Tier, gate, load, selected, sha256_hex, t2_blocked,
    views,
};
use crate::confirm::{Answers, ConfirmRequest, Question};
use crate::{Context, OpsError};

/// What became of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// The step.
    pub step: String,
    /// The tier it ran (or would have run) at.
    pub tier: Tier,
    /// `done`, `failed`, `timed_out`, `refused` or `declined`.
    pub result: String,
    /// Exit code, when it ran.
    pub exit_code: Option<i32>,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// The redacted transcript, relative to the root.
    pub transcript: Option<String>,
    /// Its SHA-256.
    pub transcript_sha256: Option<String>,
    /// Secrets redacted from its output.
    pub redactions: usize,
    /// Why it did not run or failed.
    pub reason: Option<String>,
    /// The confirmation passed (T2).
    pub confirmation: Option<String>,
}

/// `opsbook run`.
#[derive(Debug, Clone, Serialize)]
pub struct Ran {
    /// `RUN-<seq>`.
    pub run: String,
    /// Runbook ID.
    pub runbook: String,
    /// The incident.
    pub incident: Option<String>,
    /// A resumed run.
    pub resumed: bool,
    /// Steps skipped because an earlier invocation of this run did them.
    pub already_done: Vec<String>,
    /// This invocation's steps, in order.
    pub steps: Vec<StepResult>,
    /// `completed` or `stopped`.
    pub result: String,
    /// What would let a refused step go ahead.
    pub next: Option<opsbook_core::next::NextStep>,
}

/// A step's redacted transcript, as written to `runs/<RUN-ID>/step-<N>.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TranscriptRecord {
    /// `RUN-<seq>`.
    pub run: String,
    /// Runbook ID.
    pub runbook: String,
    /// The step.
    pub step: String,
    /// Its tier.
    pub tier: Tier,
    /// Start (UTC).
    pub started_at: String,
    /// End (UTC).
    pub ended_at: String,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Host.
    pub host: String,
    /// OS user.
    pub user: String,
    /// Shell.
    pub shell: opsbook_runner::Shell,
    /// Its version, when it answered.
    pub shell_version: Option<String>,
    /// The exact argv (the script was a temporary file).
    pub argv: Vec<String>,
    /// SHA-256 of the step's code.
    pub code_sha256: String,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Stopped at its timeout with its process tree.
    pub timed_out: bool,
    /// Could not start.
    pub error: Option<String>,
    /// Standard output, redacted.
    pub stdout: String,
    /// Standard error, redacted.
    pub stderr: String,
    /// Bytes cut beyond the cap (stdout, stderr).
    pub truncated_bytes: (usize, usize),
    /// Redactions made.
    pub redactions: usize,
    /// The names of the `--input` variables the step was given (values
    /// are never recorded).
    pub inputs: Vec<String>,
}

fn runner_shell(s: Shell) -> Option<opsbook_runner::Shell> {
    match s {
        Shell::PowerShell => Some(opsbook_runner::Shell::PowerShell),
        Shell::Bash => Some(opsbook_runner::Shell::Bash),
        Shell::Cmd => None,
    }
}

fn yes(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "はい"
    )
}

/// Redacts one stream fail-closed: a text that cannot be scanned in time
/// is withheld whole.
fn redact(rules: &opsbook_evidence::redact::RuleSet, text: &str) -> (String, usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    match rules.redact(text, Some(deadline)) {
        Ok(r) => {
            let n = r.hits.len();
            (r.text, n)
        }
        Err(_) => ("[REDACTED:unscannable]".to_string(), 1),
    }
}

struct RunState<'a> {
    ctx: &'a Context,
    run: String,
    runbook: String,
    incident: Option<String>,
    log: PathBuf,
}

impl RunState<'_> {
    fn append(&self, e: &RunEvent) -> Result<opsbook_core::ledger::Event, OpsError> {
        self.ctx.append(&self.log, e)
    }

    fn finish_step(&self, v: &StepView<'_>, r: &StepResult) -> Result<(), OpsError> {
        self.append(&RunEvent::StepFinished(rev::StepFinished {
            run: self.run.clone(),
            step: StepId::parse(&v.id),
            tier: r.tier.as_str().to_string(),
            result: r.result.clone(),
            exit_code: r.exit_code,
            duration_ms: r.duration_ms,
            code_sha256: opsbook_runner::code_sha256(v.code),
            transcript: r.transcript.clone(),
            transcript_sha256: r.transcript_sha256.clone(),
            reason: r.reason.clone(),
            confirmation: r.confirmation.clone(),
        }))?;
        if let Some(inc) = &self.incident {
            if let Some(t) = &r.transcript {
                crate::incident::attach(
                    self.ctx,
                    inc,
                    &self.ctx.layout.root().join(t).to_string_lossy(),
                    None,
                    Some(&format!(
                        "{} {} step {} transcript (redacted)",
                        self.run, self.runbook, v.id
                    )),
                )?;
            }
            let store = self.ctx.store()?;
            let note = match (&r.reason, r.exit_code) {
                (Some(why), _) => format!("{}: {why}", self.run),
                (None, code) => format!(
                    "{}: exit {} in {} ms; transcript {}",
                    self.run,
                    code.map_or_else(|| "none".to_string(), |c| c.to_string()),
                    r.duration_ms,
                    r.transcript.as_deref().unwrap_or("-")
                ),
            };
            store.transact(self.ctx.clock.as_ref(), inc, &self.ctx.actor, |_| {
                Ok::<_, OpsError>(vec![IncidentEvent::RunbookStep(iev::RunbookStep {
                    runbook: self.runbook.clone(),
                    step: StepId::parse(&v.id),
                    tier: r.tier.as_str().to_string(),
                    result: r.result.clone(),
                    note,
                })])
            })?;
        }
        Ok(())
    }
}

fn not_run(v: &StepView<'_>, result: &str, reason: String) -> StepResult {
    StepResult {
        step: v.id.clone(),
        tier: v.tier,
        result: result.into(),
        exit_code: None,
        duration_ms: 0,
        transcript: None,
        transcript_sha256: None,
        redactions: 0,
        reason: Some(reason),
        confirmation: None,
    }
}

/// Shows a step's code and backout and asks whether to run it on this
/// host (default No): every T1 step, and T0 steps with `ask_t0`.
fn ask_first(
    ctx: &Context,
    v: &StepView<'_>,
    answers: &mut dyn Answers,
) -> Option<(&'static str, String)> {
    answers.say(&format!(
        "\nstep {} ({}{}): this code will run on {}:\n{}\nbackout: {}",
        v.id,
        v.tier.as_str(),
        v.s.op
            .as_deref()
            .map(|o| format!(", {o}"))
            .unwrap_or_default(),
        ctx.actor.host,
        v.code.trim_end(),
        v.op.and_then(|o| o.backout.as_deref())
            .unwrap_or(if v.tier == Tier::T0 {
                "(none needed: T0 changes nothing)"
            } else {
                "(none written: dangerous_ops has no backout for this step)"
            })
    ));
    let a = answers.ask(Question {
        key: &format!("/steps/{}", v.id),
        prompt: &format!("Run step {} on {} now? [y/N]", v.id, ctx.actor.host),
    });
    match a {
        Ok(a) if yes(&a) => None,
        Ok(_) => Some(("declined", "the operator said no".to_string())),
        Err(e) => Some(("declined", e.to_string())),
    }
}

/// Replaces each `--input` value (4 characters or more: a shorter one
/// would blank unrelated text) in a transcript stream by
/// `[REDACTED:input:NAME]`; returns the count.
fn redact_inputs(text: &mut String, inputs: &[(String, String)]) -> usize {
    let mut n = 0;
    for (name, value) in inputs {
        if value.chars().count() < 4 {
            continue;
        }
        let hits = text.matches(value.as_str()).count();
        if hits > 0 {
            n += hits;
            *text = text.replace(value.as_str(), &format!("[REDACTED:input:{name}]"));
        }
    }
    n
}

/// Where the last invocation of `run` stands: its start, and the steps done.
fn prior(log: &std::path::Path, run: &str) -> Result<(rev::RunStarted, Vec<String>), OpsError> {
    let events = opsbook_core::event::read::<RunEvent>(log)?;
    let seq: u64 = run
        .strip_prefix("RUN-")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| OpsError::invalid(format!("--resume `{run}` is not a run ID (RUN-<n>)")))?;
    let Some(started) = events.iter().find_map(|(e, t)| match t {
        RunEvent::RunStarted(s) if e.seq == seq => Some(s.clone()),
        _ => None,
    }) else {
        return Err(OpsError::invalid(format!(
            "--resume {run}: no such run in ledger/runs.jsonl"
        )));
    };
    let done = events
        .iter()
        .filter_map(|(_, t)| match t {
            RunEvent::StepFinished(f) if f.run == run && f.result == "done" => {
                Some(f.step.to_string())
            }
            _ => None,
        })
        .collect();
    Ok((started, done))
}

/// `opsbook run`: runs the selected steps in order, fail-fast.
///
/// T0 runs without a question when a person is there (`answers.live()`),
/// else only with `yes_t0`, and asks like T1 with `ask_t0`; T1 asks (the code and backout shown, default
/// No); T2 runs when the safety matrix and the freeze allow its `action=`
/// now, the runbook's `supported_modes` include the current mode, and the
/// one-person confirmation passes. A step refused, declined or failed
/// stops the run (`result: stopped`), recorded in `ledger/runs.jsonl`.
///
/// # Errors
/// The runbook cannot be read; a step that does not exist; `--resume` of a
/// run whose runbook changed since (refused) or that does not exist; an
/// incident that does not exist or is closed; ledger or I/O errors.
#[allow(clippy::too_many_lines)]
pub fn run(ctx: &Context, req: &RunRequest, answers: &mut dyn Answers) -> Result<Ran, OpsError> {
    super::check_inputs(&req.inputs)?;
    let l = load(ctx, &req.runbook)?;
    let vs = views(&l);
    let mut sel = selected(&vs, req)?;
    let log = ctx.layout.ledger(LedgerFile::Runs);
    let incident = match &req.incident {
        Some(i) => Some(ctx.store()?.resolve(i)?),
        None => None,
    };
    let mut already_done = Vec::new();
    let (run_id, incident) = if let Some(r) = &req.resume {
        let (started, done) = prior(&log, r)?;
        if started.runbook != l.id {
            return Err(OpsError::invalid(format!(
                "{r} ran {}, not {}",
                started.runbook, l.id
            )));
        }
        if started.runbook_sha256 != l.sha256 {
            return Err(OpsError::refused(
                format!(
                    "{r} cannot be resumed: {} changed since the run began (SHA-256 {} then, {} now); start a new run and read the changed steps first",
                    l.rel, started.runbook_sha256, l.sha256
                ),
                None,
            ));
        }
        // Only the steps the run chose, after the last one done.
        let chosen: Vec<String> = started.steps.iter().map(ToString::to_string).collect();
        let last_done = vs.iter().rposition(|v| done.contains(&v.id));
        for (i, v) in vs.iter().enumerate() {
            sel[i] = chosen.contains(&v.id) && last_done.is_none_or(|d| i > d);
            if done.contains(&v.id) {
                already_done.push(v.id.clone());
            }
        }
        let st = RunState {
            ctx,
            run: r.clone(),
            runbook: l.id.clone(),
            incident: None,
            log: log.clone(),
        };
        st.append(&RunEvent::RunResumed(rev::RunResumed {
            run: r.clone(),
            runbook_sha256: l.sha256.clone(),
            steps: vs
                .iter()
                .zip(&sel)
                .filter(|(_, s)| **s)
                .map(|(v, _)| StepId::parse(&v.id))
                .collect(),
        }))?;
        (r.clone(), incident.or(started.incident))
    } else {
        let e = ctx.append(
            &log,
            &RunEvent::RunStarted(rev::RunStarted {
                runbook: l.id.clone(),
                path: l.rel.clone(),
                runbook_sha256: l.sha256.clone(),
                incident: incident.clone(),
                steps: vs
                    .iter()
                    .zip(&sel)
                    .filter(|(_, s)| **s)
                    .map(|(v, _)| StepId::parse(&v.id))
                    .collect(),
            }),
        )?;
        (format!("RUN-{}", e.seq), incident)
    };
    let st = RunState {
        ctx,
        run: run_id.clone(),
        runbook: l.id.clone(),
        incident: incident.clone(),
        log,
    };
    answers.say(&format!(
        "{run_id}: {} ({}){}",
        l.id,
        l.rel,
        incident
            .as_deref()
            .map(|i| format!(" for {i}"))
            .unwrap_or_default()
    ));
    let pol = crate::evidence::policy(ctx)?;
    let rules = crate::evidence::rules(pol.as_ref())?;
    let work = req
        .work_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("opsbook-run"));
    let mut versions: std::collections::HashMap<opsbook_runner::Shell, Option<String>> =
        std::collections::HashMap::new();
    let mut results = Vec::new();
    let mut next = None;
    let mut stopped = false;
    for (v, _) in vs.iter().zip(&sel).filter(|(_, s)| **s) {
        // Gate.
        let mut confirmation = None;
        let refusal: Option<(&str, String)> = match v.tier {
            _ if v.s.shell == Shell::Cmd => Some((
                "refused",
                "cmd.exe steps never run: write the step in PowerShell".into(),
            )),
            Tier::T0 if req.ask_t0 => ask_first(ctx, v, answers),
            Tier::T0 if answers.live() || req.yes_t0 => None,
            Tier::T0 => Some((
                "refused",
                "T0 steps run unattended only with --yes-t0".to_string(),
            )),
            Tier::T1 => ask_first(ctx, v, answers),
            Tier::T2 => {
                let g = gate(ctx, v.action.as_deref())?;
                match t2_blocked(v, g.as_ref(), &l.front, &req.mode) {
                    Some(why) => {
                        if let Some(a) = v.action.as_deref() {
                            next = crate::safety::can(ctx, a, None)?.answer.next;
                        }
                        Some(("refused", why))
                    }
                    None => {
                        answers.say(&format!(
                            "\nstep {} (T2, {}): this code will run:\n{}\nbackout: {}",
                            v.id,
                            v.action.as_deref().unwrap_or("?"),
                            v.code.trim_end(),
                            v.op.and_then(|o| o.backout.as_deref())
                                .unwrap_or("(none written)")
                        ));
                        match crate::confirm::confirm(
                            ctx,
                            &ConfirmRequest {
                                operation: v.action.clone().unwrap_or_default(),
                                target: None,
                                incident: incident.clone(),
                                override_reason: None,
                                before_dwell: false,
                            },
                            answers,
                        ) {
                            Ok(c) => {
                                confirmation = Some(c.confirmation);
                                None
                            }
                            // Any failure of the confirmation is a refusal of the step.
                            Err(e) => {
                                next = e.next();
                                Some(("refused", e.to_string()))
                            }
                        }
                    }
                }
            }
        };
        if let Some((result, why)) = refusal {
            answers.say(&format!("step {} {result}: {why}", v.id));
            let r = not_run(v, result, why);
            st.finish_step(v, &r)?;
            results.push(r);
            stopped = true;
            break;
        }
        // Run.
        let Some(shell) = runner_shell(v.s.shell) else {
            continue;
        };
        let program = opsbook_runner::program(shell);
        let version = versions
            .entry(shell)
            .or_insert_with(|| opsbook_runner::shell_version(shell, &program))
            .clone();
        let mut env: Vec<(&str, String)> = [
            Some(("OPSBOOK_RUN", run_id.clone())),
            incident.clone().map(|i| ("OPSBOOK_INCIDENT", i)),
            Some((
                "OPSBOOK_ROOT",
                ctx.layout.root().to_string_lossy().into_owned(),
            )),
        ]
        .into_iter()
        .flatten()
        .collect();
        env.extend(req.inputs.iter().map(|(k, v)| (k.as_str(), v.clone())));
        answers.say(&format!("step {} ({}): running…", v.id, v.tier.as_str()));
        let started_at = ctx.now();
        let t = opsbook_runner::run_step(&opsbook_runner::StepSpec {
            shell,
            code: v.code,
            program: &program,
            work_dir: &work,
            env: &env,
            timeout: Duration::from_secs(v.timeout),
            output_cap: OUTPUT_CAP,
        })
        .map_err(|e| OpsError::io(&work, e))?;
        let ended_at = ctx.now();
        let (mut stdout, mut n1) = redact(&rules, &t.stdout);
        let (mut stderr, mut n2) = redact(&rules, &t.stderr);
        n1 += redact_inputs(&mut stdout, &req.inputs);
        n2 += redact_inputs(&mut stderr, &req.inputs);
        let rec = TranscriptRecord {
            run: run_id.clone(),
            runbook: l.id.clone(),
            step: v.id.clone(),
            tier: v.tier,
            started_at: started_at.to_string(),
            ended_at: ended_at.to_string(),
            duration_ms: t.duration_ms,
            host: ctx.actor.host.clone(),
            user: ctx.actor.user.clone(),
            shell,
            shell_version: version,
            argv: t.argv.iter().map(|a| rules.scrub(a)).collect(),
            code_sha256: t.code_sha256.clone(),
            exit_code: t.exit_code,
            timed_out: t.timed_out,
            error: t.error.clone(),
            stdout,
            stderr,
            truncated_bytes: t.truncated_bytes,
            redactions: n1 + n2,
            inputs: req.inputs.iter().map(|(k, _)| k.clone()).collect(),
        };
        let bytes = serde_json::to_vec_pretty(&rec).map_err(|e| OpsError::Other(e.to_string()))?;
        let dir = ctx.layout.run_dir(&run_id);
        let file = dir.join(format!("step-{}.json", v.id));
        std::fs::create_dir_all(&dir).map_err(|e| OpsError::io(&dir, e))?;
        opsbook_core::fsutil::write_atomic(&file, &bytes).map_err(|e| OpsError::io(&file, e))?;
        let result = if t.ok {
            "done"
        } else if t.timed_out {
            "timed_out"
        } else {
            "failed"
        };
        let r = StepResult {
            step: v.id.clone(),
            tier: v.tier,
            result: result.into(),
            exit_code: t.exit_code,
            duration_ms: t.duration_ms,
            transcript: Some(format!("runs/{run_id}/step-{}.json", v.id)),
            transcript_sha256: Some(sha256_hex(&bytes)),
            redactions: n1 + n2,
            reason: match (&t.error, t.timed_out) {
                (Some(e), _) => Some(e.clone()),
                (None, true) => Some(format!(
                    "stopped after {} s with everything it started",
                    v.timeout
                )),
                (None, false) if !t.ok => Some(format!(
                    "exit {}",
                    t.exit_code.map_or_else(|| "none".into(), |c| c.to_string())
                )),
                _ => None,
            },
            confirmation,
        };
        answers.say(&format!(
            "step {} {result} ({} ms){}",
            v.id,
            t.duration_ms,
            r.reason
                .as_deref()
                .map(|w| format!(": {w}"))
                .unwrap_or_default()
        ));
        st.finish_step(v, &r)?;
        let ok = t.ok;
        results.push(r);
        if !ok {
            stopped = true;
            break;
        }
    }
    let result = if stopped { "stopped" } else { "completed" };
    st.append(&RunEvent::RunFinished(rev::RunFinished {
        run: run_id.clone(),
        result: result.into(),
        done: results.iter().filter(|r| r.result == "done").count(),
    }))?;
    Ok(Ran {
        run: run_id,
        runbook: l.id,
        incident,
        resumed: req.resume.is_some(),
        already_done,
        steps: results,
        result: result.into(),
        next,
    })
}
