//! `opsbook failover check|failback` (D-SW-FAILOVER, `policy/failover.yaml`):
//! parse → one operation of `opsbook_ops::failover` → render → exit code
//! (check: 0 the policy's mode may proceed, 1 not; failback: 0 approved, 1
//! refused).

use opsbook_ops::failover::{self as ops, CheckRequest, FailbackRequest, Stated};
use opsbook_ops::lease::Backend;

use super::{context, emit, ok_or_findings, op};
use crate::cli::{FailoverCommand, LeaseBackendArg};
use crate::exit::{self, Outcome};
use crate::render::integrity as text;

fn backend(b: Option<LeaseBackendArg>) -> Option<Backend> {
    b.map(|b| match b {
        LeaseBackendArg::Local => Backend::Local,
        LeaseBackendArg::S3 => Backend::S3,
    })
}

pub fn run(c: &FailoverCommand) -> Outcome {
    match c {
        FailoverCommand::Check {
            component,
            facts,
            backend: b,
            common,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let r = op(&cx, |cx| {
                ops::check(
                    cx,
                    &CheckRequest {
                        component: component.clone(),
                        stated: Stated::parse(facts)?,
                        backend: backend(*b),
                    },
                )
            })?;
            emit(common.format, &r, &text::failover(&r))?;
            Ok(ok_or_findings(r.ok))
        }
        FailoverCommand::Failback {
            component,
            facts,
            reason,
            incident,
            backend: b,
            common,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let r = op(&cx, |cx| {
                ops::failback(
                    cx,
                    &FailbackRequest {
                        component: component.clone(),
                        stated: Stated::parse(facts)?,
                        incident: incident.clone(),
                        reason: reason.clone(),
                        backend: backend(*b),
                    },
                )
            })?;
            emit(common.format, &r, &text::failback(&r))?;
            Ok(exit::OK)
        }
    }
}
