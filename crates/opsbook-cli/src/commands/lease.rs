//! `opsbook lease …` (D-SW-SPLITBRAIN; docs/lease.md): parse → one
//! operation of `opsbook_ops::lease` → render → exit code (0 granted,
//! renewed, released, current; 1 held by another, stale or expired; 2
//! error).

use opsbook_ops::lease::{self as ops, Backend, LeaseRequest};

use super::{context, emit, op, say};
use crate::cli::{LeaseArgs, LeaseBackendArg, LeaseCommand};
use crate::exit::{self, Outcome};
use crate::render::integrity as text;

fn backend(b: Option<LeaseBackendArg>) -> Option<Backend> {
    b.map(|b| match b {
        LeaseBackendArg::Local => Backend::Local,
        LeaseBackendArg::S3 => Backend::S3,
    })
}

fn request(
    a: &LeaseArgs,
    ttl: Option<&String>,
    token: Option<u64>,
    wait: Option<&String>,
) -> LeaseRequest {
    LeaseRequest {
        name: a.name.clone(),
        holder: a.holder.clone(),
        ttl: ttl.cloned(),
        token,
        wait: wait.cloned(),
        backend: backend(a.backend),
    }
}

fn warn(w: Option<&String>) {
    if let Some(w) = w {
        say(&format!("warning: {w}"));
    }
}

pub fn run(c: &LeaseCommand) -> Outcome {
    match c {
        LeaseCommand::Acquire { lease, ttl, wait } => {
            let cx = context(&lease.common.root, lease.common.actor.as_deref())?;
            let r = op(&cx, |cx| {
                ops::acquire(cx, &request(lease, ttl.as_ref(), None, wait.as_ref()))
            })?;
            emit(lease.common.format, &r, &text::lease("granted", &r))?;
        }
        LeaseCommand::Renew { lease, token, ttl } => {
            let cx = context(&lease.common.root, lease.common.actor.as_deref())?;
            let r = op(&cx, |cx| {
                ops::renew(cx, &request(lease, ttl.as_ref(), *token, None))
            })?;
            warn(r.ledger_warning.as_ref());
            emit(lease.common.format, &r, &text::lease("renewed", &r.lease))?;
        }
        LeaseCommand::Release { lease, token } => {
            let cx = context(&lease.common.root, lease.common.actor.as_deref())?;
            let r = op(&cx, |cx| {
                ops::release(cx, &request(lease, None, *token, None))
            })?;
            warn(r.ledger_warning.as_ref());
            emit(lease.common.format, &r, &text::release(&r))?;
        }
        LeaseCommand::Status {
            name: Some(name),
            backend: b,
            common,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let req = LeaseRequest {
                name: name.clone(),
                backend: backend(*b),
                ..LeaseRequest::default()
            };
            let r = op(&cx, |cx| ops::status(cx, &req))?;
            emit(common.format, &r, &text::status(&r))?;
        }
        LeaseCommand::Status {
            name: None,
            backend: b,
            common,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let all = op(&cx, |cx| ops::status_all(cx, backend(*b)))?;
            let human = if all.is_empty() {
                "no lease: policy/failover.yaml names no order writer and ledger/lease.jsonl has no lease\n".to_string()
            } else {
                all.iter().map(text::status).collect()
            };
            emit(common.format, &serde_json::json!({ "leases": all }), &human)?;
        }
        LeaseCommand::Check { lease, token } => {
            let cx = context(&lease.common.root, lease.common.actor.as_deref())?;
            let r = op(&cx, |cx| {
                ops::check(cx, &request(lease, None, *token, None))
            })?;
            emit(
                lease.common.format,
                &r,
                &format!(
                    "token {} is current\n{}",
                    token.unwrap_or(0),
                    text::status(&r)
                ),
            )?;
        }
    }
    Ok(exit::OK)
}
