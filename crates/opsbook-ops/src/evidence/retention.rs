//! Keeping and deleting evidence (D-EVD-LIMITS): holds placed and
//! released on bundles or incidents, and [`prune`] of bundles past their
//! retention, never one still open or held.

use std::path::{Path, PathBuf};

use opsbook_core::event::{CustodyEvent, custody as cev};
use opsbook_core::ledger::Event;
use opsbook_evidence::bundle;
use opsbook_evidence::deliver;
use serde::Serialize;
use serde_json::Value;

use super::{custody, custody_events, holds, policy, rules};
use crate::{Context, OpsError};

/// What [`hold`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    /// The bundle or incident.
    #[serde(skip)]
    pub target: String,
    /// Released (else placed).
    #[serde(skip)]
    pub released: bool,
    /// Nothing to do: already under hold.
    #[serde(skip)]
    pub already: bool,
    /// The custody events.
    pub events: Vec<Event>,
}

/// Places (or releases) a hold on a bundle or an incident's bundles: never
/// pruned while held.
///
/// # Errors
/// No reason, a target that is neither a sealed bundle nor an incident (bad
/// input); releasing what is not held (refused).
pub fn hold(ctx: &Context, target: &str, reason: &str, release: bool) -> Result<Held, OpsError> {
    if reason.trim().is_empty() {
        return Err(OpsError::invalid(
            "--reason is empty: say why (legal hold, dispute, audit)",
        ));
    }
    let rs = rules(policy(ctx)?.as_ref())?;
    // The target must exist: a sealed bundle or an incident.
    let sealed = custody_events(ctx)?
        .iter()
        .any(|(_, e)| matches!(e, CustodyEvent::Sealed(s) if s.bundle_id == target));
    if !sealed && ctx.store()?.resolve(target).is_err() {
        return Err(OpsError::invalid(format!(
            "`{target}` is neither a bundle sealed here (custody ledger) nor an incident"
        )));
    }
    let held = holds(ctx)?.contains(target);
    if release && !held {
        return Err(OpsError::refused(
            format!("`{target}` is not under hold"),
            None,
        ));
    }
    if !release && held {
        ctx.warn(format!("`{target}` is already under hold"));
        return Ok(Held {
            target: target.to_string(),
            released: false,
            already: true,
            events: Vec::new(),
        });
    }
    let h = cev::Hold {
        target: target.to_string(),
        reason: rs.scrub(reason),
    };
    let ev = custody(
        ctx,
        if release {
            CustodyEvent::HoldReleased(h)
        } else {
            CustodyEvent::HoldPlaced(h)
        },
    )?;
    Ok(Held {
        target: target.to_string(),
        released: release,
        already: false,
        events: vec![ev],
    })
}

/// One bundle judged by [`prune`].
#[derive(Debug, Clone, Serialize)]
pub struct PruneRow {
    /// `EVB-…`.
    pub bundle: String,
    /// `keep`, `would delete` or `deleted`.
    pub action: &'static str,
    /// Why.
    pub why: String,
}

/// What [`prune`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Pruned {
    /// The date judged against.
    pub as_of: String,
    /// Every bundle.
    pub bundles: Vec<PruneRow>,
    /// Bundles deleted.
    pub deleted: usize,
    /// Only listed.
    #[serde(skip)]
    pub dry_run: bool,
}

/// Deletes bundles past their retention (`retention.by_severity` after the
/// incident ended, `unlinked_days` otherwise); never one of an incident
/// still open or under hold; a bundle without a readable manifest, or a
/// retention the calendar cannot hold, is kept.
///
/// # Errors
/// The destination cannot be read; a broken policy or ledger.
pub fn prune(
    ctx: &Context,
    dest: &Path,
    as_of: jiff::civil::Date,
    dry_run: bool,
) -> Result<Pruned, OpsError> {
    use std::io::Read;
    let pol = policy(ctx)?;
    let held = holds(ctx)?;
    let store = ctx.store()?;
    let days = |sev: &str| {
        pol.as_ref()
            .and_then(|p| p.retention.by_severity.get(sev).copied())
    };
    let unlinked = pol
        .as_ref()
        .and_then(|p| p.retention.unlinked_days)
        .unwrap_or(180);
    let mut rows = Vec::new();
    let mut zips: Vec<PathBuf> = std::fs::read_dir(dest)
        .map_err(|e| OpsError::io(dest, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    zips.sort();
    let mut deleted = 0;
    for z in zips {
        let id = z
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let keep = |rows: &mut Vec<PruneRow>, why: String| {
            rows.push(PruneRow {
                bundle: id.clone(),
                action: "keep",
                why,
            });
        };
        let manifest: Option<Value> = std::fs::File::open(&z)
            .ok()
            .and_then(|f| zip::ZipArchive::new(f).ok())
            .and_then(|mut a| {
                let mut s = String::new();
                a.by_name("manifest.json")
                    .ok()?
                    .read_to_string(&mut s)
                    .ok()?;
                serde_json::from_str(&s).ok()
            });
        let Some(m) = manifest else {
            keep(&mut rows, "no readable manifest: kept".into());
            continue;
        };
        let inc_id = m
            .get("incident")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let created = m
            .get("created_utc")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if held.contains(&id) || held.contains(&inc_id) {
            keep(&mut rows, "under hold".into());
            continue;
        }
        let (base, keep_days, why) = match store.load(&inc_id) {
            Ok(inc) if !inc.status.is_terminal() => {
                keep(&mut rows, format!("incident {inc_id} is {}", inc.status));
                continue;
            }
            Ok(inc) => (
                inc.ended_at.clone().unwrap_or(created.clone()),
                days(&inc.severity).unwrap_or(365),
                format!("{} incident {inc_id} ended", inc.severity),
            ),
            Err(_) => (
                created.clone(),
                unlinked,
                "not tied to an incident here".to_string(),
            ),
        };
        let Some(base_date) = base
            .parse::<jiff::Timestamp>()
            .ok()
            .map(opsbook_core::clock::utc_date)
        else {
            keep(&mut rows, "no date to judge by: kept".into());
            continue;
        };
        // A retention the calendar cannot hold (negative, absurd) keeps the
        // bundle: a bad policy value must never delete evidence.
        let Some(expires) = jiff::Span::new()
            .try_days(keep_days)
            .ok()
            .filter(|_| keep_days >= 0)
            .and_then(|span| base_date.checked_add(span).ok())
        else {
            keep(
                &mut rows,
                format!("retention of {keep_days} days is not usable: kept"),
            );
            continue;
        };
        if as_of <= expires {
            keep(&mut rows, format!("{why}; kept until {expires}"));
            continue;
        }
        if !dry_run {
            let sha = bundle::sha256_hex(&std::fs::read(&z).map_err(|e| OpsError::io(&z, e))?);
            for f in deliver::bundle_files(&z).into_iter().rev() {
                std::fs::remove_file(&f).map_err(|e| OpsError::io(&f, e))?;
            }
            custody(
                ctx,
                CustodyEvent::RetentionDelete(cev::RetentionDelete {
                    bundle_id: id.clone(),
                    sha256: sha,
                    at: deliver::strip_credentials(&dest.display().to_string()),
                    why: format!("{why}; retention ended {expires}"),
                }),
            )?;
            deleted += 1;
        }
        rows.push(PruneRow {
            bundle: id.clone(),
            action: if dry_run { "would delete" } else { "deleted" },
            why: format!("{why}; retention ended {expires}"),
        });
    }
    Ok(Pruned {
        as_of: as_of.to_string(),
        bundles: rows,
        deleted,
        dry_run,
    })
}
