//! `opsbook marketdata …` (seed §2.1.6, D-DATA-REPAIR, D-DATA-DESTRUCTIVE):
//! parse → one operation of `opsbook_ops::marketdata` → render → exit code
//! (scan: 0 clean, 1 findings, 2 error).

use opsbook_ops::marketdata::{
    self as ops, BackfillRequest, Findings, MarkRequest, Market, QuarantineMode, QuarantineRequest,
    ScanRequest, SwitchRequest,
};

use super::{context, context_or_cwd, emit, op};
use crate::cli::{
    ListFormat, MarketArg, MarketdataCommand, MdFindings, MdInput, PlanFormat, QuarantineModeArg,
};
use crate::exit::{self, Outcome};
use crate::render::integrity as text;

fn scan_request(i: &MdInput) -> ScanRequest {
    ScanRequest {
        paths: i.paths.clone(),
        scheme: Some(i.scheme.clone()),
        snapshots: i.snapshots.clone(),
        interval: i.interval.clone(),
        grid_tolerance_ms: i.grid_tolerance_ms,
        clock_tolerance_ms: i.clock_tolerance_ms,
        stall_ms: i.stall_ms,
        symbol: i.symbol.clone(),
        save: None,
    }
}

fn findings(f: &MdFindings) -> Result<Findings, exit::CliError> {
    match &f.report {
        Some(p) => Ok(Findings::Saved(p.clone())),
        None if f.input.paths.is_empty() => Err(exit::usage(
            "name the data files (PATH…) or a saved report (--report FILE from `opsbook marketdata scan --save FILE`)",
        )),
        None => Ok(Findings::Scan(scan_request(&f.input))),
    }
}

pub fn run(c: &MarketdataCommand) -> Outcome {
    match c {
        MarketdataCommand::Scan {
            input,
            save,
            common,
        } => {
            let cx = context_or_cwd(&common.root, common.actor.as_deref())?;
            let r = op(&cx, |cx| {
                ops::scan(
                    cx,
                    &ScanRequest {
                        save: save.clone(),
                        ..scan_request(input)
                    },
                )
            })?;
            let human = match &r.saved {
                Some(p) => format!("{}report saved: {p}\n", r.report.render_human()),
                None => r.report.render_human(),
            };
            emit(common.format, &r, &human)?;
            Ok(r.report.exit_code())
        }
        MarketdataCommand::Mark {
            findings: f,
            incident,
            common,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let req = MarkRequest {
                findings: findings(f)?,
                base: f.base.clone(),
                incident: incident.clone(),
            };
            let r = op(&cx, |cx| ops::mark(cx, &req))?;
            emit(common.format, &r, &text::marked(&r))?;
            Ok(exit::OK)
        }
        MarketdataCommand::Quarantine {
            findings: f,
            dest,
            mode,
            only,
            incident,
            common,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let req = QuarantineRequest {
                findings: findings(f)?,
                base: f.base.clone(),
                dest: dest.clone(),
                mode: match mode {
                    QuarantineModeArg::Move => QuarantineMode::Move,
                    QuarantineModeArg::Link => QuarantineMode::Link,
                    QuarantineModeArg::Copy => QuarantineMode::Copy,
                },
                only: only.clone(),
                incident: incident.clone(),
            };
            let r = op(&cx, |cx| ops::quarantine(cx, &req))?;
            emit(common.format, &r, &text::quarantined(&r))?;
            Ok(exit::OK)
        }
        MarketdataCommand::BackfillPlan {
            findings: f,
            market,
            republished,
            format,
            root,
        } => {
            let cx = context_or_cwd(root, None)?;
            let req = BackfillRequest {
                findings: findings(f)?,
                market: match market {
                    MarketArg::Spot => Market::Spot,
                    MarketArg::UsdM => Market::UsdM,
                    MarketArg::CoinM => Market::CoinM,
                },
                republished: republished.clone(),
            };
            let r = op(&cx, |cx| ops::backfill_plan(cx, &req))?;
            let fmt = match format {
                PlanFormat::Json => ListFormat::Json,
                PlanFormat::Human => ListFormat::Human,
            };
            emit(fmt, &r, &r.render_powershell())?;
            Ok(exit::OK)
        }
        MarketdataCommand::SwitchVersion {
            pointer,
            new_version,
            incident,
            reason,
            includes,
            clock_reference,
            common,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let req = SwitchRequest {
                pointer: pointer.clone(),
                version: new_version.clone(),
                incident: incident.clone(),
                reason: reason.clone(),
                includes: includes.clone(),
                clock_reference: clock_reference.clone(),
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
            };
            let r = op(&cx, |cx| ops::switch_version(cx, &req))?;
            emit(common.format, &r, &text::switched(&r))?;
            Ok(exit::OK)
        }
    }
}
