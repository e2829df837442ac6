//! `opsbook postmortem new|check|amend`, `opsbook actions`, `opsbook report`
//! (D-LEARN): parse → `opsbook_ops::learn` → render.

use opsbook_core::ledger::Actor;
use opsbook_ops::learn as ops;

use super::{context, emit, op, parse_as_of};
use crate::cli::{ActionsArgs, ListFormat, PostmortemCommand, ReportArgs};
use crate::exit::{self, Outcome};
use crate::render;

pub fn postmortem(c: &PostmortemCommand) -> Outcome {
    match c {
        PostmortemCommand::New { root, id, actor } => {
            let cx = context(root, actor.as_deref())?;
            let author = actor.clone().unwrap_or_else(|| Actor::current(None).user);
            let d = op(&cx, |cx| ops::draft(cx, id, &author))?;
            crate::output::emit(
                &format!(
                    "Drafted {} from {} events.\nReplace every TODO, write concrete action items, then `opsbook postmortem check {}`.\n",
                    d.path, d.events, d.incident
                ),
                None,
            )?;
            Ok(exit::OK)
        }
        PostmortemCommand::Check {
            root,
            id,
            as_of,
            format,
        } => {
            let cx = context(root, None)?;
            let as_of = parse_as_of(as_of.as_deref())?;
            let c = op(&cx, |cx| ops::check(cx, id, as_of))?;
            emit(*format, &c, &render::incident::postmortem_check(&c))?;
            Ok(super::ok_or_findings(c.ok))
        }
        PostmortemCommand::Amend {
            root,
            id,
            reason,
            actor,
            format,
        } => {
            let cx = context(root, actor.as_deref())?;
            let a = op(&cx, |cx| ops::amend(cx, id, reason))?;
            emit(
                *format,
                &a,
                &format!(
                    "Amended {} of {}: SHA-256 {} recorded (was {}).\n",
                    a.path, a.incident, a.sha256, a.previous_sha256
                ),
            )?;
            Ok(exit::OK)
        }
    }
}

pub fn actions(a: &ActionsArgs) -> Outcome {
    let cx = context(&a.root, None)?;
    let as_of = parse_as_of(a.as_of.as_deref())?;
    let r = op(&cx, |cx| ops::actions(cx, as_of, a.all))?;
    emit(
        a.format,
        &r,
        &render::incident::actions(&r, a.format == ListFormat::Markdown),
    )?;
    Ok(exit::OK)
}

pub fn report(a: &ReportArgs) -> Outcome {
    let cx = context(&a.root, None)?;
    let as_of = parse_as_of(a.as_of.as_deref())?;
    let since = a
        .since
        .as_deref()
        .map(|s| {
            s.parse::<jiff::civil::Date>().map_err(|_| {
                exit::usage(format!("--since `{s}` is not a date; expected YYYY-MM-DD"))
            })
        })
        .transpose()?;
    let r = op(&cx, |cx| ops::report(cx, as_of, since, a.include_drills))?;
    emit(
        a.format,
        &r,
        &render::incident::report(&r, a.format == ListFormat::Markdown),
    )?;
    Ok(exit::OK)
}
