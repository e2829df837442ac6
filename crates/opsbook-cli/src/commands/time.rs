//! `opsbook time check` (seed §5.1 時計ズレ確認の標準化): parse → one
//! operation (`opsbook_ops::time::check`) → render → exit code by verdict
//! (0 ok, 1 at or above warn, 2 could not measure).

use opsbook_ops::time::{self as ops, CheckRequest, Verdict};

use super::{context, context_or_cwd, emit, op};
use crate::cli::TimeCommand;
use crate::exit::{self, Outcome};
use crate::render;

pub fn run(c: &TimeCommand) -> Outcome {
    match c {
        TimeCommand::Check {
            servers,
            exchanges,
            record,
            incident,
            common,
        } => {
            let recording = *record || incident.is_some();
            // A check that records needs the SSOT; one that only looks does not.
            let cx = if recording {
                context(&common.root, common.actor.as_deref())?
            } else {
                context_or_cwd(&common.root, common.actor.as_deref())?
            };
            let r = op(&cx, |cx| {
                ops::check(
                    cx,
                    &CheckRequest {
                        servers: servers.clone(),
                        exchanges: exchanges.clone(),
                        record: *record,
                        incident: incident.clone(),
                    },
                )
            })?;
            emit(common.format, &r, &render::integrity::time_check(&r))?;
            Ok(match r.report.verdict {
                Verdict::Ok => exit::OK,
                Verdict::Warn | Verdict::HaltNewOrders | Verdict::Critical => exit::FINDINGS,
                Verdict::Unmeasured => exit::ERROR,
            })
        }
    }
}
