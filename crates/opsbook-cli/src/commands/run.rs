//! `opsbook run RB-ID [--plan] [--from-step N] [--only-step N] [--resume
//! RUN-ID] [--yes-t0]` (D-AUTO-BOUNDARY): builds the request, calls
//! `opsbook_ops::run::{plan, run}`, renders.

use opsbook_ops::confirm::FileAnswers;
use opsbook_ops::run::{self as ops, Mode, RunRequest};

use super::confirm::CliAnswers;
use super::{context, emit, op};
use crate::cli::RunArgs;
use crate::exit::{self, Outcome};
use crate::render::run as render;

pub fn run(a: &RunArgs) -> Outcome {
    let cx = context(&a.common.root, a.common.actor.as_deref())?;
    let cfg = op(&cx, |cx| cx.config())?.run;
    let req = RunRequest {
        runbook: a.runbook.clone(),
        incident: a.incident.clone(),
        from_step: a.from_step.clone(),
        only_step: a.only_step.clone(),
        resume: a.resume.clone(),
        yes_t0: a.yes_t0,
        ask_t0: a.ask_t0 || (cfg.ask_t0 && !a.yes_t0),
        inputs: a.inputs.clone(),
        mode: Mode {
            environment: a.environment.clone().or(cfg.environment),
            trading: a.trading_mode.clone().or(cfg.trading_mode),
        },
        work_dir: None,
    };
    if a.plan {
        let p = op(&cx, |cx| ops::plan(cx, &req))?;
        emit(a.common.format, &p, &render::plan_human(&p))?;
        return Ok(exit::OK);
    }
    let mut answers = match CliAnswers::new(a.answers.as_deref()) {
        Ok(x) => x,
        // No terminal and no answers file: T0 steps may still run with --yes-t0.
        Err(_) if a.yes_t0 => CliAnswers::File(FileAnswers::new(serde_json::json!({}))),
        Err(_) => {
            return Err(exit::usage(format!(
                "no terminal to ask the questions on: run it in a console; without one, --yes-t0 runs the T0 steps unattended (e.g. opsbook run {} --yes-t0) and --answers FILE answers T1/T2 (drills and tests)",
                a.runbook
            )));
        }
    };
    let r = op(&cx, |cx| ops::run(cx, &req, &mut answers))?;
    emit(a.common.format, &r, &render::ran_human(&r))?;
    Ok(super::ok_or_findings(r.result == "completed"))
}
