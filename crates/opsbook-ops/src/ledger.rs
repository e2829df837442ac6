//! The ledgers as files: verify every chain of an SSOT, set aside a torn
//! last line, append a raw event (drills, load tests, the hooks of tests).

use std::path::{Path, PathBuf};

use opsbook_core::clock::Clock;
use opsbook_core::ledger::{self, Actor, Event, Repair, Verification};
use opsbook_core::next::NextStep;
use opsbook_core::ssot::{FileKind, Ssot};

use crate::OpsError;

/// Every ledger of the SSOT at `root`: `ledger/*.jsonl` and each incident's log.
///
/// # Errors
/// The SSOT does not load.
pub fn all(root: &Path) -> Result<Vec<PathBuf>, OpsError> {
    let ssot = Ssot::load_metadata(root)?;
    Ok(ssot
        .files
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Ledger | FileKind::IncidentEvents))
        .map(|f| root.join(&f.rel))
        .collect())
}

/// Verifies each chain, naming the first bad line.
///
/// # Errors
/// A path that is not a file; I/O.
pub fn verify(paths: &[PathBuf]) -> Result<Vec<Verification>, OpsError> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_file() {
            return Err(OpsError::invalid(format!(
                "`{}` is not a file",
                p.display()
            )));
        }
        out.push(ledger::verify(p)?);
    }
    Ok(out)
}

/// Sets aside an incomplete last line (complete events are never dropped).
///
/// # Errors
/// Damage other than a torn tail (not repaired: it is evidence); I/O.
pub fn repair(path: &Path, clock: &dyn Clock, actor: &Actor) -> Result<Repair, OpsError> {
    Ok(ledger::repair(path, actor, clock.now())?)
}

/// The ledgers of the SSOT at `root` that end in a torn line (an
/// interrupted write): what `ledger repair --root` sets aside.
///
/// # Errors
/// The SSOT does not load; I/O.
pub fn torn(root: &Path) -> Result<Vec<PathBuf>, OpsError> {
    let mut out = Vec::new();
    for p in all(root)? {
        let v = ledger::verify(&p)?;
        if v.first_break
            .as_ref()
            .is_some_and(|b| b.damage == ledger::Damage::Torn)
        {
            out.push(p);
        }
    }
    Ok(out)
}

/// The step a verification asks for: repair a torn last line; any other
/// break is evidence and is not repaired.
#[must_use]
pub fn next(v: &Verification) -> Option<NextStep> {
    v.first_break
        .as_ref()
        .filter(|b| b.damage == ledger::Damage::Torn)
        .map(|_| NextStep::RepairLedger {
            path: v.path.clone(),
        })
}

/// Sets a broken (not torn) chain aside as evidence and starts a new one
/// that names it (`ledger_restarted`; docs/formats.md, "Recovering a
/// broken ledger").
///
/// # Errors
/// The chain holds or is only torn; an empty reason; I/O.
pub fn set_aside(
    path: &Path,
    clock: &dyn Clock,
    actor: &Actor,
    reason: &str,
) -> Result<ledger::SetAside, OpsError> {
    // The reason is free text in a new chain: redacted like every other.
    let mut r = serde_json::Value::String(reason.to_string());
    crate::scrub::builtin(&mut r);
    let reason = r.as_str().unwrap_or(reason);
    Ok(ledger::set_aside(path, actor, clock.now(), reason)?)
}

/// Appends one raw event `repeat` times (its strings redacted with the
/// built-in record classes); returns the last.
///
/// # Errors
/// `data` not an object of JSON; ledger errors.
pub fn append_raw(
    path: &Path,
    clock: &dyn Clock,
    actor: &Actor,
    kind: &str,
    data: Option<&str>,
    repeat: u32,
) -> Result<Event, OpsError> {
    let mut data: serde_json::Value = match data {
        Some(d) => serde_json::from_str(d)
            .map_err(|e| OpsError::invalid(format!("--data is not JSON: `{d}` ({e})")))?,
        None => serde_json::json!({}),
    };
    // Raw, but never a secret in an immutable ledger (issue 13 item 2).
    crate::scrub::builtin(&mut data);
    let mut last = None;
    for _ in 0..repeat.max(1) {
        last = Some(ledger::append_at(
            path,
            actor,
            kind,
            data.clone(),
            clock.now(),
        )?);
    }
    last.ok_or_else(|| OpsError::Other("nothing appended".into()))
}
