//! Evidence orchestration (D-EVD-*): collect for an incident (redacted,
//! sealed, signed, spooled, delivered, attached to the timeline — every
//! step a custody event), flush the spool, hold, prune by retention,
//! verify and scan. The engines (redaction, bundle, delivery) are
//! `opsbook-evidence`'s; the order, the ledgers and the policy are here.
//!
//! This file holds what every evidence operation shares (the policy, the
//! redaction rules, destinations, the custody ledger read and written);
//! each operation has its file: `collect`, `delivery` (forward, flush),
//! `retention` (hold, prune), `check` (verify, scan), `keys`, `spool`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use opsbook_core::event::CustodyEvent;
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::Event;
use opsbook_core::policy::Evidence;
use opsbook_evidence::deliver::{self, Destination};
use opsbook_evidence::redact::RuleSet;
use opsbook_evidence::timeref::ClockCheck;

use crate::{Context, OpsError};

mod check;
mod collect;
mod delivery;
mod keys;
mod retention;
mod spool;
pub use self::check::{FileScan, Scanned, Verified, scan, verify};
pub use self::collect::{CollectRequest, Collected, FailedCommand, collect};
pub use self::delivery::{Flushed, SpooledBundle, flush};
pub use self::keys::{Keys, default_key_dir, keygen};
pub use self::retention::{Held, PruneRow, Pruned, hold, prune};
pub use self::spool::{SPOOL_ENV, Skipped, Spool, SsotIdentity, spool};

/// `policy/evidence.yaml` when the SSOT has one (built-in rules and
/// defaults otherwise).
///
/// # Errors
/// A policy that exists but cannot be read or is invalid: evidence work
/// stops rather than run without the classes and limits it sets (fail closed).
pub fn policy(ctx: &Context) -> Result<Option<Evidence>, OpsError> {
    ctx.policy_optional::<Evidence>().map_err(|e| {
        OpsError::Other(format!(
            "{e}; nothing was done (fail closed): fix the evidence policy"
        ))
    })
}

/// The redaction rule set; a class that does not compile stops the run.
///
/// # Errors
/// A class that does not compile (fail closed).
pub fn rules(policy: Option<&Evidence>) -> Result<RuleSet, OpsError> {
    let doc = policy.map(Evidence::redaction_document);
    RuleSet::from_policy(doc.as_ref()).map_err(|e| {
        OpsError::Other(format!(
            "{e}; nothing was done (fail closed): fix policy/evidence.yaml"
        ))
    })
}

fn custody(ctx: &Context, e: CustodyEvent) -> Result<Event, OpsError> {
    ctx.append(&ctx.layout.ledger(LedgerFile::Custody), &e)
}

/// Destinations: those given, else the policy's.
#[must_use]
pub fn destinations(args: &[String], policy: Option<&Evidence>) -> Vec<Destination> {
    if !args.is_empty() {
        return args.iter().map(|d| Destination::parse(d)).collect();
    }
    policy
        .map(|p| {
            p.destinations
                .iter()
                .filter_map(|d| match d.kind.as_deref() {
                    Some("s3") => Some(Destination::S3(deliver::S3Target {
                        bucket: d.bucket.clone().unwrap_or_default(),
                        prefix: d.prefix.clone().unwrap_or_default(),
                        endpoint: d.endpoint.clone(),
                        region: d.region.clone(),
                        credentials_ref: d.credentials_ref.clone(),
                    })),
                    _ => d.path.as_ref().map(|p| Destination::Dir(PathBuf::from(p))),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The clock offset against `reference`, else the policy's
/// `collection.clock_reference`; `none` (or nothing configured) skips it.
#[must_use]
pub fn clock_check(reference: Option<&str>, policy: Option<&Evidence>) -> ClockCheck {
    let col = policy.map(|p| &p.collection);
    let reference = reference
        .map(str::to_string)
        .or_else(|| col.and_then(|c| c.clock_reference.clone()));
    match reference.as_deref().map(str::trim) {
        None | Some("") => ClockCheck::skipped("none", "no clock reference configured"),
        Some(r) if r.eq_ignore_ascii_case("none") => {
            ClockCheck::skipped("none", "clock reference disabled")
        }
        Some(r) => {
            let ms = col
                .and_then(|c| c.clock_timeout_ms)
                .unwrap_or(1500)
                .clamp(100, 10_000);
            opsbook_evidence::timeref::measure(r, std::time::Duration::from_millis(ms))
        }
    }
}

/// The custody ledger's events.
fn custody_events(ctx: &Context) -> Result<Vec<(Event, CustodyEvent)>, OpsError> {
    Ok(opsbook_core::event::read::<CustodyEvent>(
        &ctx.layout.ledger(LedgerFile::Custody),
    )?)
}

/// Bundle IDs the custody ledger records as sealed.
fn sealed_ids(ctx: &Context) -> BTreeSet<String> {
    sealed(ctx).into_iter().map(|(id, _)| id).collect()
}

/// (bundle ID, SHA-256) of every bundle the custody ledger records as sealed.
fn sealed(ctx: &Context) -> BTreeSet<(String, String)> {
    custody_events(ctx)
        .map(|events| {
            events
                .into_iter()
                .filter_map(|(_, e)| match e {
                    CustodyEvent::Sealed(s) => Some((s.bundle_id, s.sha256)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Targets under hold, from the custody ledger.
///
/// # Errors
/// A broken ledger.
pub fn holds(ctx: &Context) -> Result<BTreeSet<String>, OpsError> {
    let mut h = BTreeSet::new();
    for (_, e) in custody_events(ctx)? {
        match e {
            CustodyEvent::HoldPlaced(x) => {
                h.insert(x.target);
            }
            CustodyEvent::HoldReleased(x) => {
                h.remove(&x.target);
            }
            _ => {}
        }
    }
    Ok(h)
}
