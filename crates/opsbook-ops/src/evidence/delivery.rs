//! Delivering spooled bundles (D-EVD-SPOOL): one bundle to the first
//! destination that takes it ([`forward`], shared with collect) and
//! [`flush`] of what waits in the spool, each step a custody event.

use std::path::Path;

use opsbook_core::event::{CustodyEvent, custody as cev};
use opsbook_evidence::deliver::{self, Destination};
use opsbook_evidence::redact::RuleSet;
use serde::Serialize;

use super::{Skipped, SsotIdentity, custody, destinations, policy, rules, sealed, spool};
use crate::{Context, OpsError};

/// Delivers one spooled bundle to the first destination that takes it,
/// with custody events; removes the spool copy only after verification.
/// Returns the destination path when delivered.
pub(super) fn forward(
    ctx: &Context,
    rs: &RuleSet,
    id: &str,
    zip: &Path,
    sha: &str,
    dests: &[Destination],
) -> Result<Option<String>, OpsError> {
    for d in dests {
        // Never a credential in a record or on the terminal.
        let to = rs.scrub(&d.display());
        custody(
            ctx,
            CustodyEvent::TransferAttempt(cev::TransferAttempt {
                bundle_id: id.into(),
                sha256: sha.into(),
                from: zip.display().to_string(),
                to: to.clone(),
            }),
        )?;
        match deliver::deliver(zip, sha, d) {
            Ok(at) => {
                custody(
                    ctx,
                    CustodyEvent::TransferOk(cev::TransferOk {
                        bundle_id: id.into(),
                        sha256: sha.into(),
                        to: to.clone(),
                    }),
                )?;
                custody(
                    ctx,
                    CustodyEvent::RemoteVerifyOk(cev::RemoteVerifyOk {
                        bundle_id: id.into(),
                        sha256: sha.into(),
                        at: rs.scrub(&at),
                    }),
                )?;
                deliver::remove_from_spool(zip).map_err(|e| {
                    OpsError::Other(format!(
                        "delivered and verified, but the spool copy {} could not be removed: {e}",
                        zip.display()
                    ))
                })?;
                custody(
                    ctx,
                    CustodyEvent::SpoolRemoved(cev::BundleAt {
                        bundle_id: id.into(),
                        sha256: sha.into(),
                        path: zip.display().to_string(),
                    }),
                )?;
                // The operator gets the real path; records get the scrubbed one.
                return Ok(Some(at));
            }
            Err(e) => {
                let e = rs.scrub(&deliver::strip_credentials(&e));
                custody(
                    ctx,
                    CustodyEvent::TransferFailed(cev::TransferFailed {
                        bundle_id: id.into(),
                        sha256: sha.into(),
                        to: to.clone(),
                        error: e.clone(),
                    }),
                )?;
                ctx.warn(format!("warning: delivery to {to} failed: {e}"));
            }
        }
    }
    Ok(None)
}

/// One bundle delivered or still waiting.
#[derive(Debug, Clone, Serialize)]
pub struct SpooledBundle {
    /// `EVB-…`.
    pub bundle_id: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Where it is now (delivered only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// What [`flush`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Flushed {
    /// The spool.
    pub spool: String,
    /// Delivered and verified.
    pub delivered: Vec<SpooledBundle>,
    /// Still waiting.
    pub waiting: Vec<SpooledBundle>,
    /// Left alone: another SSOT's bundles (or nobody's provably), each
    /// with why and the command that delivers it from its own SSOT.
    pub skipped: Vec<Skipped>,
    /// The shared spool of older opsbook versions that was looked at too
    /// (this SSOT's bundles there are delivered; others are skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_spool: Option<String>,
}

/// Delivers what waits in this SSOT's spool — and this SSOT's bundles in
/// the shared spool older versions used by default — with a custody event
/// at each step; a spool copy is removed only after the destination copy
/// verified. Safe to repeat and to interrupt. Another SSOT's bundle (its
/// manifest says so) is never delivered and never recorded here: it is
/// listed in [`Flushed::skipped`] (issue 13 item 8).
///
/// # Errors
/// No destination (bad input); a broken policy or ledger.
pub fn flush(
    ctx: &Context,
    dest: &[String],
    spool_arg: Option<&Path>,
) -> Result<Flushed, OpsError> {
    let pol = policy(ctx)?;
    let rs = rules(pol.as_ref())?;
    let sp = spool(ctx, spool_arg, pol.as_ref());
    let dests = destinations(dest, pol.as_ref());
    if dests.is_empty() {
        return Err(OpsError::invalid(
            "no destination: give --dest DIR or configure destinations in policy/evidence.yaml",
        ));
    }
    let ours = SsotIdentity::of(ctx);
    let sealed_here = sealed(ctx);
    let mut found = deliver::spooled(&sp.dir);
    let legacy = sp.legacy.as_deref().filter(|l| *l != sp.dir.as_path());
    if let Some(l) = legacy {
        found.extend(deliver::spooled(l));
    }
    let mut delivered = Vec::new();
    let mut waiting = Vec::new();
    let mut skipped = Vec::new();
    for (id, zip, sha) in found {
        if let spool::Owner::Not(s) = spool::owner(&ours, &sealed_here, &id, &zip, &sha) {
            ctx.warn(format!(
                "warning: {} in {} skipped: {}",
                id,
                zip.display(),
                s.why
            ));
            skipped.push(s);
            continue;
        }
        match forward(ctx, &rs, &id, &zip, &sha, &dests)? {
            Some(at) => delivered.push(SpooledBundle {
                bundle_id: id,
                sha256: sha,
                at: Some(at),
            }),
            None => waiting.push(SpooledBundle {
                bundle_id: id,
                sha256: sha,
                at: None,
            }),
        }
    }
    Ok(Flushed {
        spool: sp.dir.display().to_string(),
        delivered,
        waiting,
        skipped,
        legacy_spool: legacy.map(|l| l.display().to_string()),
    })
}
