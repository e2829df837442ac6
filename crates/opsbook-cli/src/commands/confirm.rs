//! `opsbook confirm OPERATION` (D-SAFE-CONFIRM, D-HUMAN-FATIGUE): the
//! answers come from the terminal (or `--answers FILE`); the protocol is
//! `opsbook_ops::confirm`'s.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use std::fmt::Write as _;

use opsbook_core::next::NextStep;
use opsbook_ops::OpsError;
use opsbook_ops::confirm::{self as ops, Answers, ConfirmRequest, FileAnswers, Question};
use serde_json::Value;

use super::{context, emit, op};
use crate::cli::{ConfirmArgs, ListFormat};
use crate::exit::{self, CliError, Outcome};
use crate::render;

/// Answers from the terminal (prompts on stderr), or from a file.
pub enum CliAnswers {
    /// A person at the console.
    Tty,
    /// A file written beforehand (drills, tests).
    File(FileAnswers),
}

impl CliAnswers {
    /// From `--answers FILE`, else the terminal; without either, refused
    /// rather than guessed.
    pub fn new(file: Option<&Path>) -> Result<CliAnswers, CliError> {
        match file {
            Some(f) => Ok(CliAnswers::File(FileAnswers::read(f)?)),
            None if std::io::stdin().is_terminal() => Ok(CliAnswers::Tty),
            None => Err(exit::usage(
                "no terminal to ask the questions on: run it in a console, or give the answers with --answers FILE (drills and tests)",
            )),
        }
    }
}

impl Answers for CliAnswers {
    #[allow(clippy::print_stderr)]
    fn ask(&mut self, q: Question<'_>) -> Result<String, OpsError> {
        match self {
            CliAnswers::File(f) => f.ask(q),
            CliAnswers::Tty => {
                eprint!("{} ", q.prompt);
                let _ = std::io::stderr().flush();
                let mut line = String::new();
                let n = std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| OpsError::Other(format!("cannot read the answer: {e}")))?;
                if n == 0 {
                    return Err(OpsError::invalid(format!(
                        "input ended before the question was answered: {}",
                        q.prompt
                    )));
                }
                Ok(line.trim().to_string())
            }
        }
    }

    fn say(&mut self, text: &str) {
        super::say(text);
    }

    fn live(&self) -> bool {
        matches!(self, CliAnswers::Tty)
    }

    fn prepared(&self, key: &str) -> Option<Value> {
        match self {
            CliAnswers::File(f) => f.prepared(key),
            CliAnswers::Tty => None,
        }
    }
}

pub fn run(a: &ConfirmArgs) -> Outcome {
    let cx = context(&a.common.root, a.common.actor.as_deref())?;
    if a.operation == "status" {
        return status(&cx, a);
    }
    let mut answers = CliAnswers::new(a.answers.as_deref())?;
    let r = op(&cx, |cx| {
        ops::confirm(
            cx,
            &ConfirmRequest {
                operation: a.operation.clone(),
                target: a.target.clone(),
                incident: a.incident.clone(),
                override_reason: a.override_reason.clone(),
                before_dwell: a.before_dwell,
            },
            &mut answers,
        )
    });
    let c = match r {
        Ok(c) => c,
        // Too early: the confirmation would expire before the dwell ends.
        Err(CliError::Ops(OpsError::Refused(r)))
            if matches!(r.next, Some(NextStep::ConfirmFrom { .. })) =>
        {
            return too_early(a, r);
        }
        Err(e) => return Err(e),
    };
    let mut text = format!(
        "{} confirmed: {} on `{}`, valid until {}, used once.\n",
        c.confirmation, c.operation, c.target, c.valid_until
    );
    if c.usable_from > c.event.ts {
        let now = c.event.ts.parse::<jiff::Timestamp>().ok();
        let mins = |t: &str| {
            t.parse::<jiff::Timestamp>()
                .ok()
                .zip(now)
                .map_or(0, |(t, n)| opsbook_core::confirm::minutes_until(t, n))
        };
        let _ = writeln!(
            text,
            "  usable from {} ({} min from now): {}'s min_dwell_minutes end then, and `opsbook safety set {}` is refused before.",
            render::unmet::utc(&c.usable_from),
            mins(&c.usable_from),
            c.state,
            c.target
        );
        if c.expires_before_usable {
            let _ = writeln!(
                text,
                "  WARNING: it expires at {}, {} min before it can be used (confirmed with --before-dwell): confirm again from {} on.",
                render::unmet::utc(&c.expires_at),
                mins(&c.usable_from).saturating_sub(mins(&c.expires_at)),
                render::unmet::utc(c.start_again_from.as_deref().unwrap_or(&c.usable_from))
            );
        }
    }
    emit(a.common.format, &c, &text)?;
    Ok(exit::OK)
}

/// The refusal of a confirmation that would expire before it could be
/// used: when to start it, or `--before-dwell` to confirm now anyway; as
/// JSON too (`usable_from`, `start_from`, RFC 3339 UTC).
fn too_early(a: &ConfirmArgs, r: opsbook_ops::Refusal) -> Outcome {
    let Some(NextStep::ConfirmFrom {
        operation,
        target,
        when,
    }) = r.next.clone()
    else {
        return Err(CliError::Ops(OpsError::Refused(r)));
    };
    let anyway = format!(
        "opsbook confirm {} --target {} --before-dwell",
        super::quote_arg(&operation),
        super::quote_arg(&target)
    );
    if a.common.format == ListFormat::Json {
        emit(
            a.common.format,
            &serde_json::json!({
                "refused": true,
                "operation": operation,
                "target": target,
                "message": r.message,
                "usable_from": when.usable_from,
                "expires_at": when.expires_at,
                "start_from": when.from,
                "start_in_minutes": when.in_minutes,
                "command": format!("opsbook confirm {} --target {}", super::quote_arg(&operation), super::quote_arg(&target)),
                "anyway": anyway,
            }),
            "",
        )?;
    }
    let e = CliError::Ops(OpsError::Refused(r));
    super::say(&format!(
        "{}\nto confirm now anyway (it will expire unused, and `safety set` will ask for a new one): `{anyway}`",
        e.render()
    ));
    Ok(e.code())
}

/// `opsbook confirm status`: every confirmation, newest first.
fn status(cx: &opsbook_ops::Context, a: &ConfirmArgs) -> Outcome {
    let l = op(cx, ops::status)?;
    let mut out = String::new();
    if l.confirmations.is_empty() {
        out.push_str("No confirmation in ledger/confirmations.jsonl.\n");
    }
    for c in &l.confirmations {
        let mut line = format!(
            "{:<7} {:<11} {} on `{}` ({}), started {}",
            c.id,
            c.status.as_str(),
            c.operation,
            c.target,
            c.tier,
            c.started_at
        );
        if let Some(v) = &c.valid_until {
            line.push_str(&format!(", valid until {v}"));
        }
        if let Some(w) = &c.why {
            line.push_str(&format!(": {w}"));
        }
        if c.pending_close {
            line.push_str(" (recorded when the next confirmation starts)");
        }
        out.push_str(&opsbook_core::text::escape_controls(&line));
        out.push('\n');
    }
    emit(a.common.format, &l, &out)?;
    Ok(exit::OK)
}
