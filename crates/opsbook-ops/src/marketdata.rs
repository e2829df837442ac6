//! Market-data integrity use cases (seed §2.1.6, D-DATA-REPAIR,
//! D-DATA-DESTRUCTIVE) over the `opsbook-marketdata` engine, in the repair
//! ladder's order — least destructive first:
//!
//! - [`scan`] (T0): gaps, duplicates, conflicts, stale and out-of-order
//!   IDs, broken depth chains, failing checksums, clock anomalies; the
//!   report can be saved for the steps below.
//! - [`mark`] (T1): the findings into a sidecar beside each data file.
//! - [`quarantine`] (T1, `quarantine_data`): files set aside with a
//!   manifest, never deleted; gated by the safety matrix and the freeze.
//! - [`backfill_plan`] (T0): the exact REST and archive requests.
//! - [`switch_version`] (T2, `replay_reprocess_data`): the only overwrite —
//!   a version pointer switched to a new version, the previous one kept.
//!   Refused unless the matrix and the freeze allow it now and a
//!   one-person high-danger confirmation names the pointer; evidence is
//!   sealed before the switch.
//!
//! **Where it is recorded**: the engine's files beside the data (marks
//! sidecars, `<dest>/quarantine.jsonl`, `<pointer>.history.jsonl`) are the
//! data-side record; every mark, quarantine and switch is also an event in
//! the SSOT's hash-chained `ledger/data.jsonl`, and, with an incident, a
//! note (mark, quarantine) or a decision (switch) on its timeline.

use std::path::{Path, PathBuf};

use opsbook_core::event::{DataEvent, IncidentEvent, data as dev, incident as iev};
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::Event;
use opsbook_marketdata::destructive::{self, Approval};
use opsbook_marketdata::repair;
use opsbook_marketdata::{ScanOptions, Scheme};

/// The engine's types a front end builds requests from and renders.
pub use opsbook_marketdata::destructive::Switch;
pub use opsbook_marketdata::repair::{
    BackfillPlan, MarkOutcome, Market, QuarantineEntry, QuarantineMode,
};
pub use opsbook_marketdata::{Report, Verdict};
use serde::Serialize;

use crate::{Context, OpsError};

/// The safety-matrix action of a quarantine.
pub const QUARANTINE_ACTION: &str = "quarantine_data";

impl From<opsbook_marketdata::Error> for OpsError {
    fn from(e: opsbook_marketdata::Error) -> OpsError {
        match e {
            opsbook_marketdata::Error::Io { path, source } => OpsError::Io {
                path: path.display().to_string(),
                source,
            },
            other => OpsError::Invalid(other.to_string()),
        }
    }
}

/// What to scan and how.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    /// Data files (CSV, JSON, feather, Parquet, gzip).
    pub paths: Vec<PathBuf>,
    /// `auto`, `trade-id`, `agg-trade`, `binance-depth`, `okx-book`,
    /// `candles`, `time-grid` (default `auto`).
    pub scheme: Option<String>,
    /// REST depth snapshots (`lastUpdateId`).
    pub snapshots: Vec<PathBuf>,
    /// The grid interval when the file name does not say it (`1m`, `8h`).
    pub interval: Option<String>,
    /// Jitter allowed around a grid slot, ms (default 1000).
    pub grid_tolerance_ms: Option<i64>,
    /// How far receive time may precede exchange time, ms (default 0).
    pub clock_tolerance_ms: Option<i64>,
    /// Delivery later than this is a stall, ms (default 10000).
    pub stall_ms: Option<i64>,
    /// The symbol of every file (`--symbol`), instead of a guess from its
    /// file name.
    pub symbol: Option<String>,
    /// Save the report (JSON) here, atomically, for mark, quarantine and
    /// backfill-plan.
    pub save: Option<PathBuf>,
}

impl ScanRequest {
    fn options(&self) -> Result<ScanOptions, OpsError> {
        let d = ScanOptions::default();
        Ok(ScanOptions {
            scheme: match self.scheme.as_deref() {
                Some(s) => s.parse::<Scheme>()?,
                None => Scheme::Auto,
            },
            snapshots: self.snapshots.clone(),
            interval: self.interval.clone(),
            grid_tolerance_ms: self.grid_tolerance_ms.unwrap_or(d.grid_tolerance_ms),
            clock_tolerance_ms: self.clock_tolerance_ms.unwrap_or(d.clock_tolerance_ms),
            stall_ms: self.stall_ms.unwrap_or(d.stall_ms),
            symbol: self.symbol.clone(),
        })
    }
}

/// A scan's report, and where it was saved. Serialises as the report itself
/// (`{"summary", "findings", "inputs"}`, issue 16), plus `saved` when saved.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    /// The report.
    #[serde(flatten)]
    pub report: Report,
    /// Where it was saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved: Option<String>,
}

/// Scans data files (T0: reads only, writes only the report asked for).
///
/// # Errors
/// No file given, a bad scheme, an unreadable file or a record its format
/// forbids (with file and line); the report cannot be saved.
pub fn scan(ctx: &Context, req: &ScanRequest) -> Result<Scanned, OpsError> {
    if req.paths.is_empty() {
        return Err(OpsError::invalid(
            "no data file given: name the files to scan (PATH…)",
        ));
    }
    let report = opsbook_marketdata::scan(&req.paths, &req.options()?)?;
    for w in &report.warnings {
        ctx.warn(format!("warning: {w}"));
    }
    let saved = match &req.save {
        Some(p) => {
            opsbook_core::fsutil::write_atomic(p, format!("{}\n", report.to_json()).as_bytes())
                .map_err(|e| OpsError::io(p, e))?;
            Some(p.display().to_string())
        }
        None => None,
    };
    Ok(Scanned { report, saved })
}

/// Where the findings for mark, quarantine and backfill-plan come from.
#[derive(Debug, Clone)]
pub enum Findings {
    /// Scan these files now.
    Scan(ScanRequest),
    /// A report saved by `scan` (`--save`) or printed by `--format json`.
    Saved(PathBuf),
}

/// Reads a saved report (UTF-8 with or without BOM, UTF-16, CRLF).
///
/// # Errors
/// Unreadable, or not a scan report (with line and column).
pub fn read_report(path: &Path) -> Result<Report, OpsError> {
    let bytes = std::fs::read(path).map_err(|e| OpsError::io(path, e))?;
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| OpsError::invalid(format!("{}: {e}", path.display())))?
        .text;
    Report::from_json(&text).map_err(|e| {
        OpsError::invalid(format!(
            "{}:{}:{}: not a scan report of `opsbook marketdata scan --format json`: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

fn findings(ctx: &Context, f: &Findings) -> Result<Report, OpsError> {
    match f {
        Findings::Saved(p) => read_report(p),
        Findings::Scan(r) => Ok(scan(
            ctx,
            &ScanRequest {
                save: None,
                ..r.clone()
            },
        )?
        .report),
    }
}

/// Resolves the incident first, so that a typo stops before any file is
/// touched; `None` when not given.
fn incident(ctx: &Context, id: Option<&str>) -> Result<Option<String>, OpsError> {
    match id {
        Some(i) => {
            let st = ctx.store()?;
            let id = st.resolve(i)?;
            let inc = st.load(&id)?;
            if inc.status.is_terminal() {
                return Err(OpsError::refused(
                    format!("{id} is {}: nothing more is recorded on it", inc.status),
                    None,
                ));
            }
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

fn data_event(ctx: &Context, e: &DataEvent) -> Result<Event, OpsError> {
    let ev = ctx.append(&ctx.layout.ledger(LedgerFile::Data), e)?;
    ctx.warn_clock(std::slice::from_ref(&ev), "the last data event");
    Ok(ev)
}

fn on_incident(ctx: &Context, id: &str, e: IncidentEvent) -> Result<Vec<Event>, OpsError> {
    ctx.store()?
        .transact(ctx.clock.as_ref(), id, &ctx.actor, |_| {
            Ok::<_, OpsError>(vec![e])
        })
}

/// What to mark.
#[derive(Debug, Clone)]
pub struct MarkRequest {
    /// The findings.
    pub findings: Findings,
    /// The directory the report's relative file names are relative to.
    pub base: PathBuf,
    /// The incident (its ID goes into each mark; its timeline gets a note).
    pub incident: Option<String>,
}

/// What [`mark`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Marked {
    /// Per data file: the sidecar, the file's SHA-256, marks added and kept.
    pub files: Vec<MarkOutcome>,
    /// Findings in the report.
    pub findings: usize,
    /// The events written (data ledger, incident).
    pub events: Vec<Event>,
}

/// Writes the findings into `<file>.marks.jsonl` beside each data file
/// (T1, append-only in effect; the same finding on the same bytes is not
/// marked twice), then records `data_marked`.
///
/// # Errors
/// A bad report or scan; an unknown or closed incident; I/O; the ledger.
pub fn mark(ctx: &Context, req: &MarkRequest) -> Result<Marked, OpsError> {
    let inc = incident(ctx, req.incident.as_deref())?;
    let report = findings(ctx, &req.findings)?;
    let files = repair::mark_at(&report, &req.base, inc.as_deref(), ctx.now())?;
    let mut events = Vec::new();
    let added: usize = files.iter().map(|f| f.added).sum();
    if added > 0 {
        events.push(data_event(
            ctx,
            &DataEvent::DataMarked(dev::DataMarked {
                files: files
                    .iter()
                    .map(|f| dev::MarkedFile {
                        sidecar: f.sidecar.display().to_string(),
                        sha256: f.sha256.clone(),
                        added: f.added as u64,
                        kept: f.kept as u64,
                    })
                    .collect(),
                incident: inc.clone(),
            }),
        )?);
        if let Some(id) = &inc {
            events.extend(on_incident(
                ctx,
                id,
                IncidentEvent::Note(iev::Note {
                    text: format!(
                        "market data marked: {added} finding(s) in {} file(s) (ledger/data.jsonl #{})",
                        files.iter().filter(|f| f.added > 0).count(),
                        events[0].seq
                    ),
                }),
            )?);
        }
    }
    Ok(Marked {
        findings: report.findings.len(),
        files,
        events,
    })
}

/// What to quarantine.
#[derive(Debug, Clone)]
pub struct QuarantineRequest {
    /// The findings: every file with a defect is set aside.
    pub findings: Findings,
    /// The directory the report's relative file names are relative to.
    pub base: PathBuf,
    /// The quarantine directory (created; nothing in it is overwritten).
    pub dest: PathBuf,
    /// Move (consumers no longer see the file), link or copy.
    pub mode: QuarantineMode,
    /// Only these files of the report (as the report names them).
    pub only: Vec<String>,
    /// The incident.
    pub incident: Option<String>,
}

/// What [`quarantine`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Quarantined {
    /// One manifest line per file set aside.
    pub entries: Vec<QuarantineEntry>,
    /// The manifest (`<dest>/quarantine.jsonl`).
    pub manifest: String,
    /// The confirmation used, when the matrix asked for one.
    pub confirmation: Option<String>,
    /// The events written (data ledger, incident, confirmation).
    pub events: Vec<Event>,
}

/// Sets aside every file with a defect (T1, `quarantine_data`): refused
/// when the safety matrix and the freeze deny it now (a CONFIRM cell needs
/// a confirmation on the destination); the files are moved, linked or
/// copied with a manifest, never deleted or overwritten; then
/// `data_quarantined` is recorded.
///
/// # Errors
/// Refused by the matrix, the freeze or a missing confirmation; a target
/// that exists (nothing moves); a bad report; I/O; the ledger.
pub fn quarantine(ctx: &Context, req: &QuarantineRequest) -> Result<Quarantined, OpsError> {
    let can = crate::safety::can(ctx, QUARANTINE_ACTION, None)?;
    let dest_s = req.dest.display().to_string();
    let confirmation = match can.answer.decision {
        opsbook_core::safety::Decision::Deny => {
            return Err(OpsError::refused(can.answer.why, can.answer.next));
        }
        opsbook_core::safety::Decision::Confirm => {
            Some(crate::confirm::require(ctx, QUARANTINE_ACTION, &dest_s)?)
        }
        opsbook_core::safety::Decision::Allow => None,
    };
    let inc = incident(ctx, req.incident.as_deref())?;
    let report = findings(ctx, &req.findings)?;
    let only = (!req.only.is_empty()).then_some(req.only.as_slice());
    let entries = repair::quarantine_at(
        &report,
        &req.base,
        &req.dest,
        req.mode,
        only,
        inc.as_deref(),
        ctx.now(),
    )?;
    let manifest = req.dest.join("quarantine.jsonl");
    let mut events = Vec::new();
    if !entries.is_empty() {
        let manifest_sha256 = repair::sha256_file(&manifest)?;
        let ev = data_event(
            ctx,
            &DataEvent::DataQuarantined(dev::DataQuarantined {
                dest: dest_s.clone(),
                mode: serde_json::to_value(req.mode)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                files: entries
                    .iter()
                    .map(|e| dev::QuarantinedFile {
                        original: e.original.clone(),
                        quarantined: e.quarantined.clone(),
                        sha256: e.sha256.clone(),
                        bytes: e.bytes,
                    })
                    .collect(),
                manifest_sha256,
                incident: inc.clone(),
            }),
        )?;
        let seq = ev.seq;
        events.push(ev);
        if let Some(c) = &confirmation {
            events.push(crate::confirm::used(
                ctx,
                &c.id,
                &format!("marketdata quarantine --dest {dest_s}"),
            )?);
        }
        if let Some(id) = &inc {
            events.extend(on_incident(
                ctx,
                id,
                IncidentEvent::Note(iev::Note {
                    text: format!(
                        "market data quarantined: {} file(s) into {dest_s} (manifest {}; ledger/data.jsonl #{seq})",
                        entries.len(),
                        manifest.display()
                    ),
                }),
            )?);
        }
    }
    Ok(Quarantined {
        entries,
        manifest: manifest.display().to_string(),
        confirmation: confirmation.map(|c| c.id),
        events,
    })
}

/// What to plan.
#[derive(Debug, Clone)]
pub struct BackfillRequest {
    /// The findings.
    pub findings: Findings,
    /// Binance market for streams whose venue does not say it.
    pub market: Market,
    /// binance-public-data's `updates/*_updates.csv` (republished archives).
    pub republished: Option<PathBuf>,
}

/// The exact REST and archive requests that repair the findings (T0:
/// nothing is fetched or written).
///
/// # Errors
/// A bad report or scan; an unreadable republished list.
pub fn backfill_plan(ctx: &Context, req: &BackfillRequest) -> Result<BackfillPlan, OpsError> {
    let report = findings(ctx, &req.findings)?;
    let republished = match &req.republished {
        Some(p) => repair::read_republished(p)?,
        None => std::collections::HashMap::new(),
    };
    Ok(repair::backfill_plan(&report, req.market, &republished))
}

/// A version switch to make (T2, D-DATA-DESTRUCTIVE).
#[derive(Debug, Clone, Default)]
pub struct SwitchRequest {
    /// The pointer file (e.g. `D:\trading\data\derived\CURRENT`), exactly
    /// as the confirmation's target names it.
    pub pointer: PathBuf,
    /// The new version: a directory beside the pointer, already written.
    pub version: String,
    /// The incident (evidence is collected for it; its decision log gets
    /// the switch).
    pub incident: String,
    /// Why now.
    pub reason: String,
    /// More files or globs for the evidence bundle (the rebuild's log).
    pub includes: Vec<String>,
    /// The SNTP server for the bundle's clock offset (`none` skips it).
    pub clock_reference: Option<String>,
    /// The tool version recorded in the bundle.
    pub tool_version: String,
}

/// What [`switch_version`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Switched {
    /// The switch (previous version = the backout).
    pub switch: Switch,
    /// The confirmation used.
    pub confirmation: String,
    /// The evidence bundle sealed before the switch.
    pub evidence: String,
    /// The events written (data ledger, confirmation, incident).
    pub events: Vec<Event>,
}

struct Approved {
    target: String,
    confirmation: String,
    evidence: String,
}

impl Approval for Approved {
    fn action(&self) -> &str {
        destructive::ACTION
    }
    fn target(&self) -> &str {
        &self.target
    }
    fn approval_ref(&self) -> &str {
        &self.confirmation
    }
    fn evidence_ref(&self) -> &str {
        &self.evidence
    }
}

/// Switches a data version pointer (T2, `replay_reprocess_data`): refused
/// unless the safety matrix and the freeze allow it now and a passed
/// high-danger confirmation names exactly the pointer; an evidence bundle
/// of the pointer and its history (and `includes`) is sealed first; the
/// previous version is kept (switching back is the backout). Recorded in
/// `<pointer>.history.jsonl`, `ledger/data.jsonl`, the confirmation ledger
/// (used) and the incident's decision log.
///
/// # Errors
/// Refused (DENY, frozen, no confirmation); no reason; a version that is
/// not a directory beside the pointer; evidence that cannot be sealed (the
/// switch does not happen); I/O; the ledgers.
pub fn switch_version(ctx: &Context, req: &SwitchRequest) -> Result<Switched, OpsError> {
    if req.reason.trim().is_empty() {
        return Err(OpsError::invalid(
            "--reason is empty: a destructive recovery needs a reason in the decision log",
        ));
    }
    let target = req.pointer.display().to_string();
    let dir = req
        .pointer
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if req.version.contains(['/', '\\']) || !dir.join(&req.version).is_dir() {
        return Err(OpsError::invalid(format!(
            "`{}` is not a version directory beside {target}: write the new version first, never over the old",
            req.version
        )));
    }
    let conf = crate::confirm::require(ctx, destructive::ACTION, &target)?;
    let id = incident(ctx, Some(&req.incident))?.unwrap_or_default();
    // Evidence before the change (D-DATA-DESTRUCTIVE).
    let mut includes = vec![target.clone()];
    let mut hist = req.pointer.as_os_str().to_owned();
    hist.push(".history.jsonl");
    if Path::new(&hist).is_file() {
        includes.push(Path::new(&hist).display().to_string());
    }
    includes.extend(req.includes.iter().cloned());
    let bundle = crate::evidence::collect(
        ctx,
        &crate::evidence::CollectRequest {
            incident: id.clone(),
            runbook: None,
            includes,
            commands: Vec::new(),
            dest: Vec::new(),
            spool: None,
            clock_reference: req.clock_reference.clone(),
            tool_version: req.tool_version.clone(),
        },
        &mut |_: usize, _: usize, _: &str| {},
    )?;
    let approval = Approved {
        target,
        confirmation: conf.id.clone(),
        evidence: bundle.bundle_id.clone(),
    };
    let sw = destructive::switch_version_at(&approval, &req.pointer, &req.version, ctx.now())?;
    let mut events = vec![data_event(
        ctx,
        &DataEvent::DataVersionSwitched(dev::DataVersionSwitched {
            pointer: approval.target.clone(),
            previous: sw.previous.clone(),
            current: sw.current.clone(),
            confirmation: conf.id.clone(),
            evidence: bundle.bundle_id.clone(),
            incident: id.clone(),
        }),
    )?];
    events.push(crate::confirm::used(
        ctx,
        &conf.id,
        &format!(
            "marketdata switch-version {} {}",
            approval.target, req.version
        ),
    )?);
    events.extend(on_incident(
        ctx,
        &id,
        IncidentEvent::Decision(iev::Decision {
            decision: format!(
                "data version switched: {} {} → {} (destructive recovery, {}, evidence {}; backout: switch back to {})",
                approval.target,
                if sw.previous.is_empty() { "(none)" } else { &sw.previous },
                sw.current,
                conf.id,
                bundle.bundle_id,
                if sw.previous.is_empty() { "(none)" } else { &sw.previous },
            ),
            reason: req.reason.trim().to_string(),
            alternatives: Vec::new(),
        }),
    )?);
    Ok(Switched {
        switch: sw,
        confirmation: conf.id,
        evidence: bundle.bundle_id,
        events,
    })
}
