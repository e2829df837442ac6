//! `opsbook freeze …` (D-SAFE-FREEZE): parse → one operation of
//! `opsbook_ops::freeze` → render → exit code (`freeze check`: 0 may go
//! ahead, 1 frozen).

use opsbook_ops::freeze::{self as ops, ExceptionRequest};

use super::{context, emit, op};
use crate::cli::{ExceptArgs, ExceptionCommand, FreezeCommand, SafeCommon};
use crate::exit::{self, Outcome};
use crate::render;

fn except(a: &ExceptArgs) -> Outcome {
    let cx = context(&a.common.root, a.common.actor.as_deref())?;
    let x = op(&cx, |cx| {
        ops::except(
            cx,
            &ExceptionRequest {
                actions: a.actions.clone(),
                reason: a.reason.clone(),
                risk: a.risk.clone(),
                backout: a.backout.clone(),
                expires_in: a.expires_in.clone(),
                expires: a.expires.clone(),
                approver: a.approver.clone(),
                incident: a.incident.clone(),
            },
        )
    })?;
    emit(
        a.common.format,
        &x,
        &format!(
            "{}: {} allowed until {}\n",
            x.id,
            x.actions.join(", "),
            x.expires_at
        ),
    )?;
    Ok(exit::OK)
}

fn close(common: &SafeCommon, id: &str, reason: &str) -> Outcome {
    let cx = context(&common.root, common.actor.as_deref())?;
    let r = op(&cx, |cx| ops::close_exception(cx, id, reason))?;
    emit(common.format, &r, &format!("{id} closed\n"))?;
    Ok(exit::OK)
}

pub fn run(c: &FreezeCommand) -> Outcome {
    match c {
        FreezeCommand::Status { common } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let st = op(&cx, ops::status)?;
            emit(common.format, &st, &render::safety::freeze_status(&st))?;
            Ok(exit::OK)
        }
        FreezeCommand::On {
            common,
            reason,
            incident,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let r = op(&cx, |cx| ops::on(cx, reason, incident.as_deref()))?;
            emit(common.format, &r, "change freeze ON\n")?;
            Ok(exit::OK)
        }
        FreezeCommand::Off { common, reason } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let r = op(&cx, |cx| ops::off(cx, reason))?;
            emit(common.format, &r, "change freeze lifted\n")?;
            Ok(exit::OK)
        }
        FreezeCommand::Except(a) | FreezeCommand::Exception(ExceptionCommand::Add(a)) => except(a),
        FreezeCommand::Exception(ExceptionCommand::Close { common, id, reason })
        | FreezeCommand::CloseException { common, id, reason } => close(common, id, reason),
        FreezeCommand::Check {
            common,
            change,
            action,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let ch = op(&cx, |cx| ops::check(cx, change, action))?;
            let v = &ch.verdict;
            emit(
                common.format,
                &ch,
                &format!(
                    "{}: {} — {}{}\n",
                    if v.allowed { "ALLOWED" } else { "FROZEN" },
                    ch.change,
                    v.why,
                    v.next.as_ref().map(render::hint).unwrap_or_default()
                ),
            )?;
            Ok(super::ok_or_findings(v.allowed))
        }
    }
}
