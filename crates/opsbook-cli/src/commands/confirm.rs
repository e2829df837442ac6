//! `opsbook confirm OPERATION` (D-SAFE-CONFIRM, D-HUMAN-FATIGUE): the
//! answers come from the terminal (or `--answers FILE`); the protocol is
//! `opsbook_ops::confirm`'s.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use opsbook_ops::OpsError;
use opsbook_ops::confirm::{self as ops, Answers, ConfirmRequest, FileAnswers, Question};
use serde_json::Value;

use super::{context, emit, op};
use crate::cli::ConfirmArgs;
use crate::exit::{self, CliError, Outcome};

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
    let c = op(&cx, |cx| {
        ops::confirm(
            cx,
            &ConfirmRequest {
                operation: a.operation.clone(),
                target: a.target.clone(),
                incident: a.incident.clone(),
                override_reason: a.override_reason.clone(),
            },
            &mut answers,
        )
    })?;
    emit(
        a.common.format,
        &c,
        &format!(
            "{} confirmed: {} on `{}`, valid until {}, used once.\n",
            c.confirmation, c.operation, c.target, c.valid_until
        ),
    )?;
    Ok(exit::OK)
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
