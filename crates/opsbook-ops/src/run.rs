//! `opsbook run` and `opsbook classify` (D-AUTO-BOUNDARY, D-WIN): the
//! steps of a runbook, their tier computed from the code
//! (`opsbook-classify`), gated — T0 runs, T1 asks showing the code and its
//! backout (default No), T2 needs the safety matrix and the freeze now
//! ([`crate::safety::can`]), the runbook's `supported_modes`, and the
//! one-person confirmation ([`crate::confirm::confirm`]) — run by the step
//! runner (`opsbook-runner`), each transcript redacted fail-closed, kept
//! under `runs/<RUN-ID>/`, attached to the incident
//! ([`crate::incident::attach`]) with a `runbook_step` event, and the run
//! itself recorded in the hash-chained `ledger/runs.jsonl` so that
//! `--resume` continues after the last step done — and refuses when the
//! runbook changed since.

use std::path::PathBuf;

pub use opsbook_classify::{Classification, Fence, Forcing, RunbookClassification, Shell, Tier};
use opsbook_core::model::{DangerousOp, RunbookMeta};
use opsbook_core::safety::Decision;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Context, OpsError};

mod exec;
pub use exec::{Ran, StepResult, TranscriptRecord, run};

/// Default per-step timeout, seconds (a step's `timeout=` attribute overrides it).
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 600;
/// Output kept per stream of a step, bytes.
pub const OUTPUT_CAP: usize = 4 * 1024 * 1024;

/// A runbook read for running: its text, front matter and steps.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Runbook ID.
    pub id: String,
    /// File, relative to the root (`/`-separated).
    pub rel: String,
    /// SHA-256 (hex) of the decoded text.
    pub sha256: String,
    /// Front matter as read.
    pub front: Value,
    /// Typed front matter.
    pub meta: RunbookMeta,
    /// Every fence, classified.
    pub classified: RunbookClassification,
    /// Every fence as parsed (line, attributes, code).
    pub blocks: Vec<opsbook_core::markdown::CodeBlock>,
}

/// Reads and classifies a registered runbook.
///
/// # Errors
/// Not in the registry; unreadable; front matter never closed.
pub fn load(ctx: &Context, id: &str) -> Result<Loaded, OpsError> {
    let ssot = opsbook_core::ssot::Ssot::load_metadata(ctx.layout.root())?;
    // An ID typed in lowercase (`rb-plat-time-drift`) is the same runbook.
    let Some(rb) = ssot
        .runbooks
        .iter()
        .find(|r| r.meta.id.as_deref() == Some(id))
        .or_else(|| {
            ssot.runbooks.iter().find(|r| {
                r.meta
                    .id
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(id))
            })
        })
    else {
        let ids = || ssot.runbooks.iter().filter_map(|r| r.meta.id.as_deref());
        let upper = id.to_ascii_uppercase();
        // Near in spelling, else the one ID that holds what was typed
        // (`rb-time-drift` → RB-PLAT-TIME-DRIFT).
        let words = upper.trim_start_matches("RB-");
        let mut holding = ids().filter(|c| !words.is_empty() && c.contains(words));
        let guess = opsbook_core::safety::closest(&upper, ids()).or_else(|| {
            let first = holding.next();
            first.filter(|_| holding.next().is_none())
        });
        return Err(OpsError::invalid(format!(
            "runbook {id} is not in this SSOT (runbooks/runbooks.yaml){}",
            guess
                .map(|c| format!("; did you mean {c}?"))
                .unwrap_or_else(|| "; `opsbook find <words>` finds one by symptom".to_string())
        )));
    };
    let rel = ssot.runbook_file(rb).rel.clone();
    let path = ctx.layout.root().join(&rel);
    let bytes = std::fs::read(&path).map_err(|e| OpsError::io(&path, e))?;
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| OpsError::Other(format!("{rel}: {e}")))?
        .text;
    let split = opsbook_core::markdown::split_front_matter(&text)
        .map_err(|e| OpsError::invalid(format!("{rel}:{}: {}", e.line, e.message)))?;
    let front = split
        .front_matter
        .and_then(|f| opsbook_core::yaml::parse(f).ok())
        .map_or(Value::Null, |d| d.value);
    let body = opsbook_core::markdown::parse_body(split.body, split.body_line);
    Ok(Loaded {
        id: rb.meta.id.clone().unwrap_or_else(|| id.to_string()),
        rel,
        sha256: sha256_hex(text.as_bytes()),
        meta: RunbookMeta::from_value(&front),
        front,
        classified: opsbook_classify::classify_blocks(&body.code_blocks),
        blocks: body.code_blocks,
    })
}

fn sha256_hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(b)
        .iter()
        .fold(String::with_capacity(64), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// `opsbook classify`: one piece of code.
#[must_use]
pub fn classify_code(code: &str, shell: Shell) -> Classification {
    opsbook_classify::classify(code, shell)
}

/// `opsbook classify RUNBOOK.md`: every fence of a runbook's text.
///
/// # Errors
/// Front matter opened and never closed.
pub fn classify_runbook(text: &str) -> Result<RunbookClassification, OpsError> {
    opsbook_classify::classify_runbook(text)
        .map_err(|e| OpsError::invalid(format!("line {}: {}", e.line, e.message)))
}

/// Variables `opsbook run` sets itself: `--input` cannot override them.
pub const RESERVED_INPUTS: &[&str] = &["OPSBOOK_RUN", "OPSBOOK_INCIDENT", "OPSBOOK_ROOT"];

/// Name parts that mark a secret: such an input is refused on the command
/// line (secrets reach a step only through the environment opsbook
/// inherits).
const SECRET_MARKS: &[&str] = &[
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

/// Checks the `--input NAME=VALUE` pairs of a run (D-AUTO-BOUNDARY):
/// `NAME` is an environment variable name (`[A-Za-z_][A-Za-z0-9_]*`), given
/// once, not one opsbook sets itself ([`RESERVED_INPUTS`]), and does not
/// look like a secret (`…TOKEN`, `…SECRET`, `…PASSWORD`, `…API_KEY` …: a
/// command line is visible to every process on the host and kept in shell
/// history).
///
/// # Errors
/// `OpsError::Invalid` naming the input and what to do instead.
pub fn check_inputs(inputs: &[(String, String)]) -> Result<(), OpsError> {
    let mut seen = std::collections::BTreeSet::new();
    for (name, _) in inputs {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(OpsError::invalid(format!(
                "--input {name}=…: `{name}` is not an environment variable name (letters, digits and _, not starting with a digit), e.g. --input OPSBOOK_REASON=<text>"
            )));
        }
        let upper = name.to_ascii_uppercase();
        if RESERVED_INPUTS.contains(&upper.as_str()) {
            return Err(OpsError::invalid(format!(
                "--input {name}=…: opsbook run sets {upper} itself{}",
                if upper == "OPSBOOK_INCIDENT" {
                    "; give the incident with --incident"
                } else {
                    ""
                }
            )));
        }
        if let Some(m) = SECRET_MARKS.iter().find(|m| upper.contains(*m)) {
            return Err(OpsError::invalid(format!(
                "--input {name}=…: the name says it is a secret ({m}), and a command line is visible to every process on the host and kept in the shell history; set it in the session instead ($env:{name} = …) and run again without --input: every step inherits opsbook's environment"
            )));
        }
        if !seen.insert(upper) {
            return Err(OpsError::invalid(format!(
                "--input {name} is given twice: give each input once"
            )));
        }
    }
    Ok(())
}

/// The current operating mode, for a runbook's `supported_modes`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Mode {
    /// `dev`, `stage`, `prod` … (`OPSBOOK_ENVIRONMENT`).
    pub environment: Option<String>,
    /// `live`, `shadow`, `paper` … (`OPSBOOK_TRADING_MODE`).
    pub trading: Option<String>,
}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Runbook ID.
    pub runbook: String,
    /// The incident the run works for (transcripts attached, `runbook_step` events).
    pub incident: Option<String>,
    /// Start at this step (its `step=` value).
    pub from_step: Option<String>,
    /// Run only this step.
    pub only_step: Option<String>,
    /// Continue this run after its last step done.
    pub resume: Option<String>,
    /// Without a person to ask (answers from a file), T0 steps run only
    /// with this consent.
    pub yes_t0: bool,
    /// Ask before T0 steps too (a T0 step then asks like a T1 step,
    /// default No); `--ask-t0` or `[run] ask_t0 = true` in opsbook.toml.
    pub ask_t0: bool,
    /// Inputs of the steps (`--input NAME=VALUE`): each is set as the
    /// environment variable `NAME` of every step, never put on a command
    /// line, and its value is redacted from the transcripts (see
    /// [`check_inputs`]).
    pub inputs: Vec<(String, String)>,
    /// The current mode.
    pub mode: Mode,
    /// Where temporary scripts are written (default: the system temp dir).
    pub work_dir: Option<PathBuf>,
}

/// What the safety matrix and the freeze say now about a step's action.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// The safety-matrix action (`action=` of the step).
    pub action: Option<String>,
    /// `ALLOW`, `CONFIRM`, `DENY`, or `NONE` (no action named).
    pub decision: String,
    /// Why.
    pub why: String,
    /// A freeze blocks it now.
    pub frozen: bool,
}

/// One step of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    /// `step=` value (else its position, 1-based).
    pub step: String,
    /// Line of its fence in the runbook.
    pub line: usize,
    /// Its shell.
    pub shell: Shell,
    /// Declared tier (`tier=`), if any.
    pub declared: Option<Tier>,
    /// Computed tier.
    pub computed: Tier,
    /// The tier it runs at: the higher of the two (undeclared: computed).
    pub tier: Tier,
    /// What forced the computed tier, and why.
    pub reason: String,
    /// The `dangerous_ops` entry (`op=`).
    pub op: Option<String>,
    /// Its backout.
    pub backout: Option<String>,
    /// The safety matrix and freeze now (T2 steps, and any step naming an action).
    pub gate: Option<Gate>,
    /// What would be asked before it runs.
    pub asks: String,
    /// Selected by `--from-step` / `--only-step`.
    pub selected: bool,
    /// Would run now (T2: matrix, freeze and modes allow it, before the confirmation).
    pub would_run: bool,
    /// Why not, when it would not.
    pub blocked: Option<String>,
    /// Timeout, seconds.
    pub timeout_seconds: u64,
    /// What will not work as written when run by opsbook (a prompt under
    /// `-NonInteractive`, where `Read-Host` fails).
    pub warnings: Vec<String>,
}

/// `opsbook run --plan`.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Runbook ID.
    pub runbook: String,
    /// Its file.
    pub path: String,
    /// SHA-256 of its text.
    pub runbook_sha256: String,
    /// The safety state now.
    pub state: String,
    /// Every step.
    pub steps: Vec<PlannedStep>,
    /// Fences that never run, and why.
    pub not_steps: Vec<opsbook_classify::Fence>,
}

struct StepView<'a> {
    id: String,
    s: &'a opsbook_classify::Step,
    tier: Tier,
    op: Option<&'a DangerousOp>,
    action: Option<String>,
    timeout: u64,
    code: &'a str,
}

fn views(l: &Loaded) -> Vec<StepView<'_>> {
    l.classified
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let computed = s.classification.tier;
            let tier = s.declared.map_or(computed, |d| d.max(computed));
            let attr = |k: &str| l_attr(l, s.line, k);
            StepView {
                id: s.step.clone().unwrap_or_else(|| (i + 1).to_string()),
                op: s
                    .op
                    .as_deref()
                    .and_then(|o| l.meta.dangerous_ops.iter().find(|d| d.id == o)),
                action: attr("action"),
                timeout: attr("timeout")
                    .and_then(|t| t.trim_end_matches('s').parse().ok())
                    .unwrap_or(DEFAULT_TIMEOUT_SECONDS),
                code: l
                    .blocks
                    .iter()
                    .find(|b| b.line == s.line)
                    .map_or("", |b| b.code.as_str()),
                s,
                tier,
            }
        })
        .collect()
}

/// An info-string attribute of the fence on `line` (the classifier keeps
/// only `step`, `tier` and `op`).
fn l_attr(l: &Loaded, line: usize, key: &str) -> Option<String> {
    l.blocks
        .iter()
        .find(|b| b.line == line)
        .and_then(|b| b.attr(key))
        .map(str::to_string)
}

fn selected(views: &[StepView<'_>], req: &RunRequest) -> Result<Vec<bool>, OpsError> {
    let known = || {
        views
            .iter()
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pos = |want: &str, flag: &str| {
        views.iter().position(|v| v.id == want).ok_or_else(|| {
            OpsError::invalid(format!(
                "{flag} {want}: the runbook has no step {want} (its steps: {})",
                known()
            ))
        })
    };
    if req.only_step.is_some() && req.from_step.is_some() {
        return Err(OpsError::invalid(
            "--only-step and --from-step do not go together: give one",
        ));
    }
    Ok(match (&req.only_step, &req.from_step) {
        (Some(o), _) => {
            let p = pos(o, "--only-step")?;
            (0..views.len()).map(|i| i == p).collect()
        }
        (_, Some(f)) => {
            let p = pos(f, "--from-step")?;
            (0..views.len()).map(|i| i >= p).collect()
        }
        _ => vec![true; views.len()],
    })
}

/// Why the runbook's `supported_modes` does not include the current mode:
/// every problem at once (an unknown environment and an unknown trading
/// mode are named together, with where each can be given).
fn mode_problem(front: &Value, mode: &Mode) -> Option<String> {
    let sm = front.get("supported_modes")?;
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for (key, have, flag, var, cfg) in [
        (
            "environments",
            &mode.environment,
            "--environment",
            "OPSBOOK_ENVIRONMENT",
            "environment",
        ),
        (
            "trading",
            &mode.trading,
            "--trading-mode",
            "OPSBOOK_TRADING_MODE",
            "trading_mode",
        ),
    ] {
        let Some(list) = sm.get(key).and_then(Value::as_array) else {
            continue;
        };
        let allowed: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
        match have {
            None => unknown.push(format!(
                "{key} (one of {}: {flag}, {var} or `[run] {cfg}` in opsbook.toml)",
                allowed.join(", ")
            )),
            Some(h) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(h)) => wrong.push(format!(
                "supported_modes.{key} is {} and the current one is {h}",
                allowed.join(", ")
            )),
            Some(_) => {}
        }
    }
    let mut out = wrong;
    if !unknown.is_empty() {
        out.push(format!(
            "the current {} not known: set {}",
            if unknown.len() == 1 {
                "mode is"
            } else {
                "modes are"
            },
            unknown.join(" and ")
        ));
    }
    (!out.is_empty()).then(|| out.join("; "))
}

/// The safety matrix and freeze now for a step's action.
fn gate(ctx: &Context, action: Option<&str>) -> Result<Option<Gate>, OpsError> {
    let Some(a) = action else {
        return Ok(None);
    };
    let can = crate::safety::can(ctx, a, None)?;
    Ok(Some(Gate {
        action: Some(a.to_string()),
        decision: can.answer.decision.as_str().to_string(),
        why: can.answer.why.clone(),
        frozen: can.freeze.as_ref().is_some_and(|v| !v.allowed),
    }))
}

/// Whether a T2 step may go on to its confirmation; `Err(why)` otherwise.
fn t2_blocked(v: &StepView<'_>, g: Option<&Gate>, front: &Value, mode: &Mode) -> Option<String> {
    let Some(g) = g else {
        return Some(format!(
            "step {} is T2 and names no safety-matrix action: add `action=<id>` (policy/safety-matrix.yaml) to its fence",
            v.id
        ));
    };
    if g.decision == Decision::Deny.as_str() {
        return Some(g.why.clone());
    }
    mode_problem(front, mode)
}

fn asks(v: &StepView<'_>, req: &RunRequest) -> String {
    match v.tier {
        Tier::T0 if req.ask_t0 => "run it? showing the code (T0, --ask-t0; default No)".into(),
        Tier::T0 if req.yes_t0 => "nothing (T0, --yes-t0)".into(),
        Tier::T0 => "nothing at a terminal (T0); without one, --yes-t0".into(),
        Tier::T1 => "run it? showing the code and its backout (default No)".into(),
        Tier::T2 => format!(
            "the one-person confirmation for `{}` (checklist, typed target, cooling-off, fatigue)",
            v.action.as_deref().unwrap_or("?")
        ),
    }
}

/// What will not work as written when opsbook runs the step.
fn warnings(v: &StepView<'_>) -> Vec<String> {
    v.s.classification
        .commands
        .iter()
        .filter(|c| c.resolved.eq_ignore_ascii_case("Read-Host"))
        .map(|c| {
            format!(
                "line {}: `Read-Host` fails under -NonInteractive (OB121); opsbook asks before a T1/T2 step runs — read the input from $env:OPSBOOK_<NAME> and give it with --input OPSBOOK_<NAME>=<value>",
                v.s.code_line + c.line - 1
            )
        })
        .collect()
}

/// `opsbook run --plan`: nothing runs; every step with its tiers, what the
/// safety matrix and freeze say now, its backout and what would be asked.
///
/// # Errors
/// The runbook cannot be read; a step that does not exist; the policies or
/// ledgers cannot be read.
pub fn plan(ctx: &Context, req: &RunRequest) -> Result<Plan, OpsError> {
    check_inputs(&req.inputs)?;
    let l = load(ctx, &req.runbook)?;
    let vs = views(&l);
    let sel = selected(&vs, req)?;
    let state = crate::state::current(ctx)?.1.state;
    let mut steps = Vec::new();
    for (v, selected) in vs.iter().zip(sel) {
        let g = gate(ctx, v.action.as_deref())?;
        let blocked = match v.tier {
            Tier::T2 => t2_blocked(v, g.as_ref(), &l.front, &req.mode),
            _ => g
                .as_ref()
                .filter(|g| g.decision == Decision::Deny.as_str())
                .map(|g| g.why.clone()),
        };
        steps.push(PlannedStep {
            step: v.id.clone(),
            line: v.s.line,
            shell: v.s.shell,
            declared: v.s.declared,
            computed: v.s.classification.tier,
            tier: v.tier,
            reason: v.s.classification.reason.clone(),
            op: v.s.op.clone(),
            backout: v.op.and_then(|o| o.backout.clone()),
            gate: g,
            asks: asks(v, req),
            selected,
            would_run: selected && blocked.is_none() && v.s.shell != Shell::Cmd,
            blocked: if v.s.shell == Shell::Cmd {
                Some("cmd.exe steps never run: write the step in PowerShell".into())
            } else {
                blocked
            },
            timeout_seconds: v.timeout,
            warnings: warnings(v),
        });
    }
    Ok(Plan {
        runbook: l.id.clone(),
        path: l.rel.clone(),
        runbook_sha256: l.sha256.clone(),
        state,
        steps,
        not_steps: l.classified.not_steps.clone(),
    })
}
