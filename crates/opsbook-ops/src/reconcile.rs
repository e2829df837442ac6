//! Reconciliation use cases (D-DATA-RECON, D-DATA-RERECON; DESIGN §3.6):
//! run the engine ([`opsbook_recon`]) and store its report in the SSOT
//! (`recon/reports/<ID>.json`), re-check a stored report on new exports,
//! accept a break with a reason, and verify a report for recovery
//! acceptance (`reconciliation_ok`).
//!
//! Every stored report is recorded in `ledger/reconciliation.jsonl`
//! (`report_stored`: the report's SHA-256, every input's SHA-256, the
//! parameters and the tool version); every accepted break too
//! (`break_accepted`: actor, reason, time from the context's clock, and a
//! pin of the break's values). A report is trusted only when its bytes
//! still hash to what the ledger recorded.

use std::collections::BTreeSet;
use std::path::PathBuf;

use opsbook_core::event::reconciliation::{BreakAccepted, ReportStored, StoredInput};
use opsbook_core::event::{self as events, ReconciliationEvent};
use opsbook_core::incident::Incident;
use opsbook_core::layout::{Layout, LedgerFile};
use opsbook_core::ledger::Event;
use opsbook_recon::input::hex;
use opsbook_recon::recheck::{Recheck, Rerun};
use opsbook_recon::{Input, Kind, Params, Report, Request, Verdict, Window};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{Context, OpsError};

/// The engine, for front ends that render its reports.
pub use opsbook_recon as engine;

/// The recovery-acceptance check a stored report answers.
pub const ACCEPTANCE_CHECK: &str = "reconciliation_ok";

/// One input file and its format: a built-in name (`opsbook`,
/// `binance-mytrades`, …), a profile file, or a profile's name under
/// `recon/profiles/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: String,
}

/// The format an input of `role` (`internal`, `exchange`, `orders`,
/// `opening`) has when none is given, for a reconciliation of `kind`.
#[must_use]
pub fn default_format(kind: Kind, role: &str) -> &'static str {
    match (kind, role) {
        (Kind::Transfers, _) => "opsbook-ledger",
        (_, "internal") => "opsbook",
        (Kind::Fills, "exchange") => "binance-mytrades",
        (Kind::Orders, "exchange") => "opsbook-orders",
        (_, "orders") => "binance-orders",
        (Kind::Positions, _) => "opsbook-positions",
        _ => "opsbook-balances",
    }
}

/// A reconciliation to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Which reconciliation.
    pub kind: Kind,
    /// Our records.
    pub internal: Vec<InputSpec>,
    /// Their records.
    pub exchange: Vec<InputSpec>,
    /// Orders (fills: cancel times for `fill_after_cancel`).
    pub orders: Vec<InputSpec>,
    /// Opening balances or positions.
    pub opening: Vec<InputSpec>,
    /// The point in time judged (RFC 3339, `YYYY-MM-DD HH:MM:SS` UTC or
    /// epoch ms); default: now, by the context's clock.
    pub as_of: Option<String>,
    /// Grace window (`30s`, `2m`, `PT120S`); default 30 s.
    pub grace: Option<String>,
    /// Timestamp tolerance; default 1 s.
    pub tolerance: Option<String>,
    /// Where our history starts.
    pub internal_since: Option<String>,
    /// Where their history starts.
    pub exchange_since: Option<String>,
    /// `SYMBOL=STEP`: instrument precision for positions.
    pub precision: Vec<String>,
    /// Store the report and record it (`false`: only run it).
    pub store: bool,
}

impl RunRequest {
    /// A request of `kind` with no inputs, stored, default parameters.
    #[must_use]
    pub fn new(kind: Kind) -> RunRequest {
        RunRequest {
            kind,
            internal: Vec::new(),
            exchange: Vec::new(),
            orders: Vec::new(),
            opening: Vec::new(),
            as_of: None,
            grace: None,
            tolerance: None,
            internal_since: None,
            exchange_since: None,
            precision: Vec::new(),
            store: true,
        }
    }
}

/// Where a report was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stored {
    /// Report ID (`REC-YYYYMMDD-<10 hex>`).
    pub id: String,
    /// The file, relative to the SSOT root.
    pub path: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// The ledger event's sequence number.
    pub seq: u64,
}

/// What [`run`] did: the report (its JSON shape, flattened) and where it is stored.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciled {
    /// The report.
    #[serde(flatten)]
    pub report: Report,
    /// Where it is stored (`None`: not stored).
    pub stored: Option<Stored>,
}

impl Reconciled {
    /// The exit code the issue gives: 0 clean, 1 breaks, 3 only pending.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        self.report.exit_code()
    }
}

fn engine_err(e: opsbook_recon::ReconError) -> OpsError {
    OpsError::invalid(e.to_string())
}

fn inputs(ctx: &Context, specs: &[InputSpec]) -> Result<Vec<Input>, OpsError> {
    specs
        .iter()
        .map(|s| {
            Input::new(&s.path, &s.format, Some(ctx.layout.root()))
                .map_err(|e| OpsError::invalid(e.to_string()))
        })
        .collect()
}

fn time(what: &str, s: &str) -> Result<jiff::Timestamp, OpsError> {
    opsbook_recon::parse_time(s).map_err(|e| OpsError::invalid(format!("{what}: {e}")))
}

fn duration(what: &str, s: &str) -> Result<jiff::SignedDuration, OpsError> {
    opsbook_recon::parse_duration(s).map_err(|e| OpsError::invalid(format!("{what}: {e}")))
}

/// The engine's parameters for `req`.
///
/// # Errors
/// A time, duration or precision that cannot be read.
fn params(ctx: &Context, req: &RunRequest) -> Result<Params, OpsError> {
    let as_of = match &req.as_of {
        Some(s) => time("--as-of", s)?,
        None => ctx.now(),
    };
    let mut p = Params::new(as_of);
    if let Some(g) = &req.grace {
        p.grace = duration("--grace", g)?;
    }
    if let Some(t) = &req.tolerance {
        p.tolerance = duration("--tolerance", t)?;
    }
    p.internal_since = req
        .internal_since
        .as_deref()
        .map(|s| time("--internal-since", s))
        .transpose()?;
    p.exchange_since = req
        .exchange_since
        .as_deref()
        .map(|s| time("--exchange-since", s))
        .transpose()?;
    for kv in &req.precision {
        let (sym, step) = kv.split_once('=').ok_or_else(|| {
            OpsError::invalid(format!(
                "--precision `{kv}`: expected SYMBOL=STEP, e.g. BTCUSDT=0.00001"
            ))
        })?;
        let step = rust_decimal::Decimal::from_str_exact(step.trim()).map_err(|e| {
            OpsError::invalid(format!(
                "--precision `{kv}`: `{step}` is not a decimal: {e}"
            ))
        })?;
        p.precision.insert(sym.trim().to_string(), step);
    }
    Ok(p)
}

/// Runs one reconciliation and, unless `store` is off, stores the report
/// and records it (D-DATA-RECON).
///
/// # Errors
/// [`OpsError::Invalid`]: an unknown format, an unusable profile, a file
/// that cannot be read as its format (file and line named), a bad
/// parameter. Ledger or I/O errors when storing. Breaks are not errors:
/// they are in the report (see [`Reconciled::exit_code`]).
pub fn run(ctx: &Context, req: &RunRequest) -> Result<Reconciled, OpsError> {
    let mut r = Request::new(req.kind, params(ctx, req)?);
    r.internal = inputs(ctx, &req.internal)?;
    r.exchange = inputs(ctx, &req.exchange)?;
    r.orders = inputs(ctx, &req.orders)?;
    r.opening = inputs(ctx, &req.opening)?;
    let report = opsbook_recon::reconcile(&r).map_err(engine_err)?;
    let stored = if req.store {
        Some(store(ctx, &report, None)?)
    } else {
        None
    };
    Ok(Reconciled { report, stored })
}

/// Writes `report` to `recon/reports/<ID>.json` (atomically) and records
/// `report_stored` in `ledger/reconciliation.jsonl`.
///
/// # Errors
/// I/O, ledger.
pub fn store(ctx: &Context, report: &Report, previous: Option<&str>) -> Result<Stored, OpsError> {
    let bytes = opsbook_recon::render::json(report).into_bytes();
    let sha = hex(&Sha256::digest(&bytes));
    let date = ctx.now().strftime("%Y%m%d").to_string();
    let id = format!("REC-{date}-{}", &sha[..10]);
    let path = ctx.layout.recon_report(&id);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| OpsError::io(dir, e))?;
    }
    opsbook_core::fsutil::write_atomic(&path, &bytes).map_err(|e| OpsError::io(&path, e))?;
    let run = &report.run;
    let ev = ReconciliationEvent::ReportStored(ReportStored {
        report: id.clone(),
        path: Layout::recon_report_rel(&id),
        sha256: sha.clone(),
        kind: run.kind.as_str().to_string(),
        verdict: verdict_str(report.summary.verdict).to_string(),
        breaks: report.breaks.len() as u64,
        as_of: run.as_of.clone(),
        window_start_ms: run.window.start_ms,
        window_end_ms: run.window.end_ms,
        grace_ms: run.grace_ms,
        tolerance_ms: run.tolerance_ms,
        inputs: run
            .inputs
            .iter()
            .map(|i| StoredInput {
                role: i.role.clone(),
                path: i.path.clone(),
                format: i.format.clone(),
                sha256: i.sha256.clone(),
                bytes: i.bytes,
            })
            .collect(),
        tool: run.tool.clone(),
        version: run.version.clone(),
        previous: previous.map(str::to_string),
    });
    let e = ctx.append(&ctx.layout.ledger(LedgerFile::Reconciliation), &ev)?;
    ctx.warn_clock(std::slice::from_ref(&e), "the reconciliation ledger");
    Ok(Stored {
        path: Layout::recon_report_rel(&id),
        id,
        sha256: sha,
        seq: e.seq,
    })
}

/// `clean`, `breaks`, `pending_only`.
#[must_use]
pub fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Clean => "clean",
        Verdict::Breaks => "breaks",
        Verdict::PendingOnly => "pending_only",
    }
}

/// The reconciliation ledger's events, oldest first.
fn ledger(ctx: &Context) -> Result<Vec<(Event, ReconciliationEvent)>, OpsError> {
    Ok(events::read::<ReconciliationEvent>(
        &ctx.layout.ledger(LedgerFile::Reconciliation),
    )?)
}

/// A stored report, read back and checked against the ledger.
#[derive(Debug, Clone)]
pub struct Located {
    /// Its ID.
    pub id: String,
    /// The file read.
    pub path: PathBuf,
    /// SHA-256 of the file, hex (equal to the recorded one).
    pub sha256: String,
    /// What the ledger recorded.
    pub record: ReportStored,
    /// The report.
    pub report: Report,
}

/// Finds a stored report by ID (`REC-…`) or by file (a copy anywhere, e.g.
/// in an evidence bundle: found by its SHA-256), and checks that its bytes
/// hash to what `ledger/reconciliation.jsonl` recorded.
///
/// # Errors
/// Refused: no such report, not recorded, changed since it was stored.
/// Invalid: not a report.
pub fn locate(ctx: &Context, reference: &str) -> Result<Located, OpsError> {
    let reference = reference.trim();
    let recorded: Vec<ReportStored> = ledger(ctx)?
        .into_iter()
        .filter_map(|(_, e)| match e {
            ReconciliationEvent::ReportStored(r) => Some(r),
            ReconciliationEvent::BreakAccepted(_) => None,
        })
        .collect();
    let ledger_rel = LedgerFile::Reconciliation.rel();
    let (path, by_id) = match recorded.iter().rev().find(|r| r.report == reference) {
        Some(r) => (ctx.layout.recon_report(&r.report), Some(r)),
        None => {
            let p = PathBuf::from(reference);
            let p = if p.is_file() || p.is_absolute() {
                p
            } else {
                ctx.layout.root().join(p)
            };
            if !p.is_file() {
                return Err(OpsError::refused(
                    format!(
                        "no reconciliation report `{reference}`: neither a report ID recorded in {ledger_rel} nor a file"
                    ),
                    None,
                ));
            }
            (p, None)
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| {
        OpsError::refused(
            format!("reconciliation report {}: cannot read: {e}", path.display()),
            None,
        )
    })?;
    let sha = hex(&Sha256::digest(&bytes));
    let record = match by_id {
        Some(r) if r.sha256 != sha => {
            return Err(OpsError::refused(
                format!(
                    "reconciliation report {} changed since it was stored: SHA-256 is {sha}, {ledger_rel} recorded {}",
                    r.path, r.sha256
                ),
                None,
            ));
        }
        Some(r) => r.clone(),
        None => recorded
            .iter()
            .rev()
            .find(|r| r.sha256 == sha)
            .cloned()
            .ok_or_else(|| {
                OpsError::refused(
                    format!(
                        "{} is not a reconciliation report recorded in {ledger_rel} (its SHA-256 {sha} matches no stored report; a report edited after it was stored no longer matches)",
                        path.display()
                    ),
                    None,
                )
            })?,
    };
    let text = String::from_utf8_lossy(&bytes);
    let report = Report::from_json(&text).map_err(|e| {
        OpsError::invalid(format!(
            "{}: not a reconciliation report: {e}",
            path.display()
        ))
    })?;
    Ok(Located {
        id: record.report.clone(),
        path,
        sha256: sha,
        record,
        report,
    })
}

/// A re-reconciliation to run.
#[derive(Debug, Clone)]
pub struct RecheckRequest {
    /// The previous report: ID or file.
    pub report: String,
    /// Our records now (empty: the previous run's files, read again). A
    /// spec with an empty `format` has the previous run's format for its role.
    pub internal: Vec<InputSpec>,
    /// Their records now (empty: the previous run's files, read again).
    pub exchange: Vec<InputSpec>,
    /// Orders now (empty: the previous run's).
    pub orders: Vec<InputSpec>,
    /// Openings (empty: the previous run's).
    pub opening: Vec<InputSpec>,
    /// The new point in time judged; default now.
    pub as_of: Option<String>,
    /// Store the new report (`false`: only run it).
    pub store: bool,
}

/// What [`recheck`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Rechecked {
    /// The previous report's ID.
    pub previous: String,
    /// Transitions per break and the new verdict.
    #[serde(flatten)]
    pub recheck: Recheck,
    /// The new report.
    pub report: Report,
    /// Where the new report is stored.
    pub stored: Option<Stored>,
}

fn previous_specs(report: &Report, role: &str) -> Vec<InputSpec> {
    report
        .run
        .inputs
        .iter()
        .filter(|i| i.role == role)
        .map(|i| InputSpec {
            path: PathBuf::from(&i.path),
            format: i
                .profile
                .strip_prefix("builtin:")
                .unwrap_or(&i.profile)
                .to_string(),
        })
        .collect()
}

/// Runs a stored reconciliation again on new exports with its parameters
/// and a new `as_of`, stores the new report (linked to the previous one)
/// and returns the transitions per break (D-DATA-RERECON).
///
/// # Errors
/// As [`locate`] for the previous report; as [`run`] for the new inputs.
pub fn recheck(ctx: &Context, req: &RecheckRequest) -> Result<Rechecked, OpsError> {
    let prev = locate(ctx, &req.report)?;
    let pick = |given: &[InputSpec], role: &str| {
        let before = previous_specs(&prev.report, role);
        if given.is_empty() {
            return before;
        }
        given
            .iter()
            .map(|g| InputSpec {
                path: g.path.clone(),
                format: if g.format.is_empty() {
                    before.first().map_or_else(
                        || default_format(prev.report.run.kind, role).to_string(),
                        |b| b.format.clone(),
                    )
                } else {
                    g.format.clone()
                },
            })
            .collect()
    };
    let as_of = match &req.as_of {
        Some(s) => time("--as-of", s)?,
        None => ctx.now(),
    };
    let rerun = Rerun {
        internal: inputs(ctx, &pick(&req.internal, "internal"))?,
        exchange: inputs(ctx, &pick(&req.exchange, "exchange"))?,
        orders: inputs(ctx, &pick(&req.orders, "orders"))?,
        opening: inputs(ctx, &pick(&req.opening, "opening"))?,
        as_of,
    };
    let (report, rc) = opsbook_recon::recheck::rerun(&prev.report, rerun).map_err(engine_err)?;
    let stored = if req.store {
        Some(store(ctx, &report, Some(&prev.id))?)
    } else {
        None
    };
    Ok(Rechecked {
        previous: prev.id,
        recheck: rc,
        report,
        stored,
    })
}

/// The pin of a break: SHA-256 of its class, key, fields and records
/// without `file` and `line` (the same values read from a renamed export
/// keep their pin; other values do not).
#[must_use]
pub fn pin(b: &opsbook_recon::Break) -> String {
    let strip = |m: &Option<Map<String, Value>>| {
        m.as_ref().map(|m| {
            let mut m = m.clone();
            m.remove("file");
            m.remove("line");
            m
        })
    };
    let v = serde_json::json!({
        "id": b.id,
        "class": b.class,
        "key": b.key,
        "fields": b.fields,
        "internal": strip(&b.internal),
        "exchange": strip(&b.exchange),
        "previous": strip(&b.previous),
    });
    hex(&Sha256::digest(serde_json::to_vec(&v).unwrap_or_default()))
}

/// An operator's decision on one break.
#[derive(Debug, Clone)]
pub struct AcceptRequest {
    /// The break's ID (`R…`) or an error finding's (`F…`).
    pub break_id: String,
    /// Why it is accepted (required).
    pub reason: String,
    /// The report it is in (ID or file); default: the newest stored report
    /// that has it.
    pub report: Option<String>,
}

/// What [`accept`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct BreakAcceptedOutcome {
    /// The decision as recorded.
    #[serde(flatten)]
    pub accepted: BreakAccepted,
    /// The ledger event.
    pub event: Event,
}

fn pin_in(report: &Report, id: &str) -> Option<(String, String)> {
    if let Some(b) = report.breaks.iter().find(|b| b.id == id) {
        return Some((b.class.as_str().to_string(), pin(b)));
    }
    report
        .findings
        .iter()
        .find(|f| f.id == id && f.severity == opsbook_recon::Severity::Error)
        .map(|f| ("finding".to_string(), f.id.clone()))
}

/// Records an operator's decision to accept one break (actor, reason and
/// time from the context) in `ledger/reconciliation.jsonl`. The acceptance
/// holds for every report with the same break ID and the same values (pin).
///
/// # Errors
/// Invalid: no reason; no stored report has that break.
pub fn accept(ctx: &Context, req: &AcceptRequest) -> Result<BreakAcceptedOutcome, OpsError> {
    let reason = opsbook_core::incident::require_reason(&req.reason, "accepting a break")?;
    let id = req.break_id.trim();
    let found = match &req.report {
        Some(r) => {
            let l = locate(ctx, r)?;
            pin_in(&l.report, id).map(|p| (l.id, p))
        }
        None => {
            let mut hit = None;
            for (_, e) in ledger(ctx)?.into_iter().rev() {
                let ReconciliationEvent::ReportStored(r) = e else {
                    continue;
                };
                let Ok(l) = locate(ctx, &r.report) else {
                    continue;
                };
                if let Some(p) = pin_in(&l.report, id) {
                    hit = Some((l.id, p));
                    break;
                }
            }
            hit
        }
    };
    let Some((report, (class, pin))) = found else {
        return Err(OpsError::invalid(format!(
            "no stored reconciliation report{} has a break or error finding `{id}` (IDs are R… or F…, as printed by the report)",
            req.report
                .as_deref()
                .map(|r| format!(" `{r}`"))
                .unwrap_or_default()
        )));
    };
    let accepted = BreakAccepted {
        break_id: id.to_string(),
        report,
        class,
        pin,
        reason,
    };
    let event = ctx.append(
        &ctx.layout.ledger(LedgerFile::Reconciliation),
        &ReconciliationEvent::BreakAccepted(accepted.clone()),
    )?;
    ctx.warn_clock(std::slice::from_ref(&event), "the reconciliation ledger");
    Ok(BreakAcceptedOutcome { accepted, event })
}

/// A report verified for recovery acceptance.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// Report ID.
    pub report: String,
    /// SHA-256 of the report file (as recorded).
    pub sha256: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// The window it covers.
    pub window: Window,
    /// Breaks and findings accepted by an operator.
    pub accepted: Vec<String>,
}

impl Verified {
    /// One line for the acceptance record.
    #[must_use]
    pub fn note(&self) -> String {
        format!(
            "verified: reconciliation report {} (SHA-256 {}) {}{}",
            self.report,
            self.sha256,
            verdict_str(self.verdict),
            if self.accepted.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} accepted: {}",
                    self.accepted.len(),
                    self.accepted.join(" ")
                )
            }
        )
    }
}

fn rfc(ms: Option<i64>) -> String {
    ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok())
        .map_or_else(|| "unknown".to_string(), |t| t.to_string())
}

/// The IDs accepted for `report`: each `break_accepted` whose break is in
/// the report with the same pin.
fn accepted_for(ctx: &Context, report: &Report) -> Result<BTreeSet<String>, OpsError> {
    let mut out = BTreeSet::new();
    for (_, e) in ledger(ctx)? {
        if let ReconciliationEvent::BreakAccepted(a) = e
            && pin_in(report, &a.break_id).is_some_and(|(_, p)| p == a.pin)
        {
            out.insert(a.break_id);
        }
    }
    Ok(out)
}

/// Verifies a report for recovery acceptance: it is stored and recorded,
/// its hash matches, it covers `window`, and it is clean or every break
/// left (pending included; `incomplete_window` is not a mismatch) and every
/// unreadable row is accepted.
///
/// # Errors
/// Refused with the reason.
pub fn verify(ctx: &Context, reference: &str, window: Window) -> Result<Verified, OpsError> {
    let l = locate(ctx, reference)?;
    let r = &l.report;
    if !r.covers(window) {
        return Err(OpsError::refused(
            format!(
                "reconciliation report {} covers {} to {}, not the incident's window {} to {}: reconcile exports that start by the impact and run with --as-of at or after the recovery",
                l.id,
                rfc(r.run.window.start_ms),
                rfc(Some(r.run.window.end_ms)),
                rfc(window.start_ms),
                rfc(Some(window.end_ms)),
            ),
            None,
        ));
    }
    let accepted = accepted_for(ctx, r)?;
    if !r.is_clean_or_accepted(&accepted) {
        let open: Vec<String> = r
            .breaks
            .iter()
            .filter(|b| b.class != opsbook_recon::Class::IncompleteWindow)
            .filter(|b| !accepted.contains(&b.id))
            .map(|b| format!("{} {}", b.id, b.class.as_str()))
            .chain(
                r.findings
                    .iter()
                    .filter(|f| f.severity == opsbook_recon::Severity::Error)
                    .filter(|f| !accepted.contains(&f.id))
                    .map(|f| format!("{} unreadable row", f.id)),
            )
            .collect();
        let shown: Vec<&str> = open.iter().take(10).map(String::as_str).collect();
        return Err(OpsError::refused(
            format!(
                "reconciliation report {} is not clean: {} open ({}{}); fix and re-check it, or accept each break with a reason",
                l.id,
                open.len(),
                shown.join(", "),
                if open.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ),
            None,
        ));
    }
    Ok(Verified {
        report: l.id,
        sha256: l.sha256,
        verdict: r.summary.verdict,
        window: r.run.window,
        accepted: accepted.into_iter().collect(),
    })
}

/// The window a reconciliation must cover for an incident: from the impact
/// start (else detected, else opened) to the latest of impact end,
/// MITIGATING and MONITORING (else opened).
#[must_use]
pub fn incident_window(inc: &Incident) -> Window {
    let ms = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| opsbook_core::clock::parse_time(s).ok())
            .map(|t| t.as_millisecond())
    };
    let opened = ms(&Some(inc.opened_at.clone()));
    let start = ms(&inc.impact_started_at)
        .or_else(|| ms(&inc.detected_at))
        .or(opened);
    let end = [
        ms(&inc.impact_ended_at),
        ms(&inc.mitigating_at),
        ms(&inc.mitigated_at),
    ]
    .into_iter()
    .flatten()
    .max()
    .or(opened)
    .unwrap_or(0);
    Window {
        start_ms: start,
        end_ms: end,
    }
}

/// Whether an acceptance answer's evidence names a reconciliation report
/// (a `REC-…` ID or a `.json` file): then it must verify.
#[must_use]
pub fn is_report_reference(reference: &str) -> bool {
    let r = reference.trim();
    r.starts_with("REC-") || r.to_ascii_lowercase().ends_with(".json")
}

/// The stored reports, newest first (ID, kind, verdict, when, by whom).
///
/// # Errors
/// The ledger cannot be read.
pub fn list(ctx: &Context) -> Result<Vec<ReportStored>, OpsError> {
    Ok(ledger(ctx)?
        .into_iter()
        .rev()
        .filter_map(|(_, e)| match e {
            ReconciliationEvent::ReportStored(r) => Some(r),
            ReconciliationEvent::BreakAccepted(_) => None,
        })
        .collect())
}

/// The profile contract the engine validates column-mapping profiles with
/// (shipped in the starter SSOT as `contracts/recon-profile.schema.json`).
pub const PROFILE_CONTRACT: &str = opsbook_recon::profile::SCHEMA;
