//! `opsbook reconcile …` (D-DATA-RECON, D-DATA-RERECON): parse → one
//! operation of `opsbook_ops::reconcile` → render → exit code.
//!
//! Exit codes of a report (`fills`, …, `recheck`): 0 clean, 1 breaks,
//! 3 only `pending` left (run again after the grace window) — 3 here is
//! not CONFIRM, see [`crate::exit::PENDING`]; 2 an error.

use std::path::PathBuf;

use opsbook_ops::reconcile::engine::{Kind, Report, render as rr};
use opsbook_ops::reconcile::{self as ops, InputSpec, RecheckRequest, RunRequest};
use serde::Serialize;

use super::{context, emit, op};
use crate::cli::reconcile::{
    RecheckArgs, ReconCommon, ReconFormat, ReconcileArgs, ReconcileCommand,
};
use crate::exit::{self, Outcome};

fn specs(paths: &[PathBuf], format: Option<&str>, kind: Kind, role: &str) -> Vec<InputSpec> {
    let format = format.unwrap_or_else(|| ops::default_format(kind, role));
    paths
        .iter()
        .map(|p| InputSpec {
            path: p.clone(),
            format: format.to_string(),
        })
        .collect()
}

/// Where a report was stored, as one line on stderr (human formats).
fn stored_line(s: Option<&ops::Stored>) -> String {
    match s {
        Some(s) => format!(
            "stored as {} ({}); recheck: opsbook reconcile recheck {}",
            s.id, s.path, s.id
        ),
        None => "not stored (--no-store)".to_string(),
    }
}

/// Prints `outcome` per `format`: JSON of the outcome, or `text`.
fn print<T: Serialize>(f: ReconFormat, outcome: &T, text: String) -> Result<(), exit::CliError> {
    let out = match f {
        ReconFormat::Json => crate::render::json(outcome)?,
        _ => text,
    };
    crate::output::emit(&out, None)?;
    Ok(())
}

fn report_text(f: ReconFormat, r: &Report, limit: usize) -> String {
    match f {
        ReconFormat::Human | ReconFormat::Json => rr::human(r, limit),
        ReconFormat::Markdown => rr::markdown(r, limit),
        ReconFormat::Csv => rr::csv(r),
    }
}

fn one(kind: Kind, a: &ReconcileArgs) -> Outcome {
    let c = &a.common;
    let cx = context(&c.root, c.actor.as_deref())?;
    let mut req = RunRequest::new(kind);
    req.internal = specs(&a.internal, a.internal_format.as_deref(), kind, "internal");
    req.exchange = specs(&a.exchange, a.exchange_format.as_deref(), kind, "exchange");
    req.orders = specs(&a.orders, a.orders_format.as_deref(), kind, "orders");
    req.opening = specs(&a.opening, a.opening_format.as_deref(), kind, "opening");
    req.as_of.clone_from(&a.as_of);
    req.grace.clone_from(&a.grace);
    req.tolerance.clone_from(&a.tolerance);
    req.internal_since.clone_from(&a.internal_since);
    req.exchange_since.clone_from(&a.exchange_since);
    req.precision.clone_from(&a.precision);
    req.store = !c.no_store;
    let r = op(&cx, |cx| ops::run(cx, &req))?;
    print(c.format, &r, report_text(c.format, &r.report, c.limit))?;
    if c.format != ReconFormat::Json {
        super::say(&stored_line(r.stored.as_ref()));
    }
    Ok(exit::reconciliation(r.report.summary.verdict))
}

fn recheck(a: &RecheckArgs) -> Outcome {
    let c: &ReconCommon = &a.common;
    let cx = context(&c.root, c.actor.as_deref())?;
    // An empty format: the previous run's for that role.
    let given = |paths: &[PathBuf], format: Option<&String>| -> Vec<InputSpec> {
        paths
            .iter()
            .map(|p| InputSpec {
                path: p.clone(),
                format: format.cloned().unwrap_or_default(),
            })
            .collect()
    };
    let req = RecheckRequest {
        report: a.report.clone(),
        internal: given(&a.internal, a.internal_format.as_ref()),
        exchange: given(&a.exchange, a.exchange_format.as_ref()),
        orders: given(&a.orders, a.orders_format.as_ref()),
        opening: Vec::new(),
        as_of: a.as_of.clone(),
        store: !c.no_store,
    };
    let r = op(&cx, |cx| ops::recheck(cx, &req))?;
    let text = match c.format {
        ReconFormat::Human | ReconFormat::Json => format!(
            "re-check of {}\n{}\n{}",
            r.previous,
            rr::recheck_human(&r.recheck),
            rr::human(&r.report, c.limit)
        ),
        ReconFormat::Markdown => format!(
            "{}\n{}",
            rr::recheck_markdown(&r.recheck),
            rr::markdown(&r.report, c.limit)
        ),
        ReconFormat::Csv => rr::recheck_csv(&r.recheck),
    };
    print(c.format, &r, text)?;
    if c.format != ReconFormat::Json {
        super::say(&stored_line(r.stored.as_ref()));
    }
    Ok(exit::reconciliation(r.recheck.verdict))
}

pub fn run(c: &ReconcileCommand) -> Outcome {
    match c {
        ReconcileCommand::Fills(a) => one(Kind::Fills, a),
        ReconcileCommand::Orders(a) => one(Kind::Orders, a),
        ReconcileCommand::Balances(a) => one(Kind::Balances, a),
        ReconcileCommand::Positions(a) => one(Kind::Positions, a),
        ReconcileCommand::Transfers(a) => one(Kind::Transfers, a),
        ReconcileCommand::Recheck(a) => recheck(a),
        ReconcileCommand::Accept {
            break_id,
            reason,
            report,
            common,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let req = ops::AcceptRequest {
                break_id: break_id.clone(),
                reason: reason.clone(),
                report: report.clone(),
            };
            let x = op(&cx, |cx| ops::accept(cx, &req))?;
            let a = &x.accepted;
            emit(
                common.format,
                &x,
                &format!(
                    "{} ({}) accepted in {} by {}: {}\n",
                    a.break_id, a.class, a.report, x.event.actor.user, a.reason
                ),
            )?;
            Ok(exit::OK)
        }
    }
}
