//! Learning (D-LEARN): postmortems drafted from the events and checked
//! (typed action items), open and overdue action items across incidents,
//! and the report: MTTA/MTTR by severity, open incidents, overdue actions,
//! due drills.

use std::collections::BTreeMap;

use opsbook_core::contracts::Contracts;
use opsbook_core::incident::{Incident, Status, Store, severity_rank};
use opsbook_core::layout::Layout;
use opsbook_core::postmortem::{self, ActionItem, FileCheck, Known};
use opsbook_core::ssot::Ssot;
use serde::Serialize;

use crate::{Context, OpsError};

/// Days an overdue action item stays a warning (`[incidents]
/// action_overdue_error_days`, default 14).
fn error_days(ssot: &Ssot) -> i64 {
    i64::from(ssot.config.action_overdue_error_days.unwrap_or(14))
}

/// Whether an incident's postmortem would let it close: `Ok(())`, or the
/// problems that block it (one is a front matter still at `status: draft`).
///
/// # Errors
/// The SSOT does not load.
pub fn postmortem_blocking(
    ctx: &Context,
    id: &str,
    severity: &str,
) -> Result<Result<(), Vec<String>>, OpsError> {
    let ssot = Ssot::load_metadata(ctx.layout.root())?;
    let contracts = Contracts::load(Some(ctx.layout.root()));
    let known = Known::from_ssot(&ssot);
    Ok(
        match postmortem::check_file(
            &ctx.layout.postmortem(id),
            &contracts,
            &known,
            ctx.today(),
            error_days(&ssot),
        ) {
            Ok(fc) => {
                let mut b = fc.mismatch(id, severity);
                // A draft is not a postmortem yet (issue 13): the front
                // matter's `status` says so, whatever else passes.
                if let Some(st) = fc
                    .postmortem
                    .as_ref()
                    .and_then(|p| p.status.as_deref())
                    .filter(|s| s.trim().eq_ignore_ascii_case("draft"))
                {
                    b.push(format!(
                        "`{}` still says `status: {st}` in its front matter: finish it (root cause, action items, review) and set `status: reviewed` (or `final`)",
                        opsbook_core::layout::Layout::postmortem_rel(id)
                    ));
                }
                b.extend(fc.blocking());
                if b.is_empty() { Ok(()) } else { Err(b) }
            }
            Err(e) => Err(vec![e]),
        },
    )
}

/// What [`draft`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Drafted {
    /// The incident.
    pub incident: String,
    /// The file written.
    pub path: String,
    /// Events it was drafted from.
    pub events: usize,
}

/// Drafts `incidents/<ID>/postmortem.md` from the events; never overwrites.
///
/// # Errors
/// The file exists (bad input); no such incident; I/O.
pub fn draft(ctx: &Context, id: &str, author: &str) -> Result<Drafted, OpsError> {
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let inc = st.load(&id)?;
    let path = ctx.layout.postmortem(&id);
    if path.exists() {
        return Err(OpsError::invalid(format!(
            "`{}` exists; it is never overwritten (edit it, or move it away to draft again)",
            path.display()
        )));
    }
    let text = ctx.scrub_text(&path, &postmortem::draft(&inc, ctx.today(), author));
    opsbook_core::fsutil::write_atomic(&path, text.as_bytes())
        .map_err(|e| OpsError::io(&path, e))?;
    Ok(Drafted {
        incident: id,
        path: path.display().to_string(),
        events: inc.events.len(),
    })
}

/// What [`amend`] recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Amended {
    /// The incident.
    pub incident: String,
    /// The postmortem, relative to the root.
    pub path: String,
    /// The SHA-256 recorded before (at close, or at the last amendment).
    pub previous_sha256: String,
    /// The SHA-256 recorded now.
    pub sha256: String,
    /// The events appended (`correction` of the earlier
    /// `postmortem_attached`, then the new `postmortem_attached`).
    pub events: Vec<opsbook_core::ledger::Event>,
}

/// Records a postmortem edited after its incident was closed (issue 13
/// item 9, D-LEARN): the earlier `postmortem_attached` is corrected (with
/// the reason) and the file's SHA-256 now is attached, in one write, so
/// the gate's OB812 accepts the edit. The edited file must still pass what
/// closing asked of it.
///
/// # Errors
/// Not a CLOSED incident with a postmortem attached, the file unchanged or
/// missing, an empty reason (bad input); the edited postmortem does not
/// pass (refused); ledger errors.
pub fn amend(ctx: &Context, id: &str, reason: &str) -> Result<Amended, OpsError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OpsError::invalid(
            "--reason is empty: say what changed in the postmortem and why",
        ));
    }
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let pre = st.load(&id)?;
    if pre.status != Status::Closed {
        return Err(OpsError::invalid(format!(
            "{id} is {}: a postmortem is amended after CLOSED; until then edit it freely (closing records its SHA-256)",
            pre.status
        )));
    }
    let path = ctx.layout.postmortem(&id);
    let rel = Layout::postmortem_rel(&id);
    let sha = opsbook_evidence::bundle::file_sha256(&path).map_err(|e| {
        OpsError::invalid(format!(
            "{rel}: {e}: restore the postmortem recorded at close"
        ))
    })?;
    if let Err(problems) = postmortem_blocking(ctx, &id, &pre.severity)? {
        return Err(OpsError::refused(
            format!(
                "{rel} as edited would not let {id} close: {}",
                problems.join("; ")
            ),
            None,
        ));
    }
    let events = st.transact(ctx.clock.as_ref(), &id, &ctx.actor, |inc| {
        use opsbook_core::event::IncidentEvent;
        use opsbook_core::event::incident as ev;
        let Some((_, old)) = &inc.postmortem else {
            return Err(OpsError::invalid(format!(
                "{id} was closed without a `postmortem_attached` event: nothing to amend (see the gate's OB804)"
            )));
        };
        if *old == sha {
            return Err(OpsError::invalid(format!(
                "{rel} is unchanged since it was recorded (SHA-256 {sha}): nothing to amend"
            )));
        }
        let seq = inc
            .events
            .iter()
            .rev()
            .find(|e| e.kind == "postmortem_attached")
            .map_or(0, |e| e.seq);
        Ok(vec![
            IncidentEvent::Correction(ev::Correction {
                corrects_seq: seq,
                reason: reason.to_string(),
                text: Some(format!(
                    "{rel} amended after close: SHA-256 {sha} (was {old})"
                )),
            }),
            IncidentEvent::PostmortemAttached(ev::PostmortemAttached {
                path: rel.clone(),
                sha256: sha.clone(),
            }),
        ])
    })?;
    let previous_sha256 = pre.postmortem.map(|(_, s)| s).unwrap_or_default();
    Ok(Amended {
        incident: id,
        path: rel,
        previous_sha256,
        sha256: sha,
        events,
    })
}

/// What [`check`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// `incidents/<ID>/postmortem.md`.
    pub file: String,
    /// Nothing blocks closing.
    pub ok: bool,
    /// What blocks closing.
    pub blocking: Vec<String>,
    /// Contract violations: line, message.
    pub contract: Vec<ContractProblem>,
    /// Action-item problems.
    pub items: Vec<postmortem::ItemProblem>,
    /// The incident.
    #[serde(skip)]
    pub incident: String,
    /// The file does not match the incident (ID, severity).
    #[serde(skip)]
    pub mismatch: Vec<String>,
    /// The draft's leftovers.
    #[serde(skip)]
    pub draft_problems: Vec<String>,
    /// Items overdue.
    #[serde(skip)]
    pub overdue: usize,
    /// Days an overdue item stays a warning.
    #[serde(skip)]
    pub error_days: i64,
}

/// A contract violation in a postmortem.
#[derive(Debug, Clone, Serialize)]
pub struct ContractProblem {
    /// Line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Checks a postmortem against its contract and the action-item rules.
///
/// # Errors
/// No postmortem (bad input); no such incident; unreadable.
pub fn check(ctx: &Context, id: &str, as_of: jiff::civil::Date) -> Result<Checked, OpsError> {
    let st = ctx.store()?;
    let id = st.resolve(id)?;
    let path = ctx.layout.postmortem(&id);
    if !path.is_file() {
        return Err(OpsError::needs(
            format!("{id} has no postmortem ({}); draft one", path.display()),
            opsbook_core::next::NextStep::DraftPostmortem { incident: id },
        ));
    }
    let ssot = Ssot::load_metadata(ctx.layout.root())?;
    let ed = error_days(&ssot);
    let fc: FileCheck = postmortem::check_file(
        &path,
        &Contracts::load(Some(ctx.layout.root())),
        &Known::from_ssot(&ssot),
        as_of,
        ed,
    )
    .map_err(OpsError::Other)?;
    let inc = st.load(&id)?;
    let mismatch = fc.mismatch(&id, &inc.severity);
    let mut blocking = mismatch.clone();
    blocking.extend(fc.blocking());
    let overdue = fc
        .items
        .iter()
        .filter(|p| p.kind == postmortem::ItemProblemKind::Overdue)
        .count();
    Ok(Checked {
        file: Layout::postmortem_rel(&id),
        ok: blocking.is_empty(),
        blocking,
        contract: fc
            .contract
            .iter()
            .map(|(l, m)| ContractProblem {
                line: *l,
                message: m.clone(),
            })
            .collect(),
        items: fc.items.clone(),
        incident: id,
        mismatch,
        draft_problems: fc.draft_problems(),
        overdue,
        error_days: ed,
    })
}

/// An action item with its incident.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The incident.
    pub incident: String,
    /// `incidents/<ID>/postmortem.md`.
    pub file: String,
    /// The item.
    #[serde(flatten)]
    pub item: ActionItem,
    /// Days past due (0: not overdue).
    pub days_overdue: i64,
}

/// Every action item of every postmortem, with unreadable postmortems apart.
fn all_items(
    st: &Store,
    layout: &Layout,
    as_of: jiff::civil::Date,
) -> Result<(Vec<Row>, Vec<String>), OpsError> {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for id in st.ids()? {
        let path = layout.postmortem(&id);
        if !path.is_file() {
            continue;
        }
        let rel = Layout::postmortem_rel(&id);
        let parsed = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                opsbook_core::text::decode(&b)
                    .map_err(|e| e.to_string())
                    .map(|t| t.text)
            })
            .and_then(|t| postmortem::parse(&t));
        match parsed {
            Ok(pm) => {
                for item in pm.items {
                    let days = match item.due {
                        Some(d) if item.is_open() && d < as_of => i64::from((as_of - d).get_days()),
                        _ => 0,
                    };
                    rows.push(Row {
                        incident: id.clone(),
                        file: rel.clone(),
                        item,
                        days_overdue: days,
                    });
                }
            }
            Err(e) => bad.push(format!("{rel}: {e}")),
        }
    }
    Ok((rows, bad))
}

/// `actions`.
#[derive(Debug, Clone, Serialize)]
pub struct Actions {
    /// The date judged.
    pub as_of: String,
    /// Items, most overdue first.
    pub items: Vec<Row>,
    /// How many are overdue.
    pub overdue: usize,
    /// Postmortems that cannot be read.
    pub unreadable: Vec<String>,
    /// Done and wontfix items included.
    #[serde(skip)]
    pub all: bool,
}

/// Open (or all) action items across incidents, most overdue first.
///
/// # Errors
/// `incidents/` cannot be read.
pub fn actions(ctx: &Context, as_of: jiff::civil::Date, all: bool) -> Result<Actions, OpsError> {
    let st = ctx.store()?;
    let (mut rows, bad) = all_items(&st, &ctx.layout, as_of)?;
    if !all {
        rows.retain(|r| r.item.is_open());
    }
    rows.sort_by(|x, y| {
        y.days_overdue
            .cmp(&x.days_overdue)
            .then(x.item.due.cmp(&y.item.due))
            .then(x.incident.cmp(&y.incident))
    });
    let overdue = rows.iter().filter(|r| r.days_overdue > 0).count();
    Ok(Actions {
        as_of: as_of.to_string(),
        items: rows,
        overdue,
        unreadable: bad,
        all,
    })
}

/// MTTA/MTTR figures of one severity, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Incidents.
    pub incidents: usize,
    /// Acknowledged.
    pub acknowledged: usize,
    /// Resolved.
    pub resolved: usize,
    /// Mean time to acknowledge.
    pub mtta_ms: Option<i64>,
    /// Median time to acknowledge.
    pub mtta_median_ms: Option<i64>,
    /// Mean time to resolve.
    pub mttr_ms: Option<i64>,
    /// Median time to resolve.
    pub mttr_median_ms: Option<i64>,
}

fn mean_median(v: &mut [i64]) -> (Option<i64>, Option<i64>) {
    if v.is_empty() {
        return (None, None);
    }
    v.sort_unstable();
    let n = v.len() as i64;
    let mean = v.iter().sum::<i64>() / n;
    let mid = v.len() / 2;
    let median = if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2
    } else {
        v[mid]
    };
    (Some(mean), Some(median))
}

/// An open incident in the report.
#[derive(Debug, Clone, Serialize)]
pub struct OpenIncident {
    /// ID.
    pub id: String,
    /// Severity.
    pub severity: String,
    /// Status.
    pub status: Status,
    /// Title.
    pub title: String,
    /// Opened (UTC).
    pub opened_at: String,
}

/// `report`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The date judged.
    pub as_of: String,
    /// Only incidents opened since.
    pub since: Option<String>,
    /// By severity.
    pub by_severity: BTreeMap<String, Stats>,
    /// Open incidents, most severe first.
    pub open_incidents: Vec<OpenIncident>,
    /// Overdue action items.
    pub overdue_actions: Vec<Row>,
    /// Due drills.
    pub due_drills: Vec<opsbook_core::drills::Due>,
    /// Incidents left out of MTTA/MTTR because their log breaks the
    /// incident order (the gate's OB803): flagged, not counted.
    pub not_counted: Vec<NotCounted>,
    /// What could not be read.
    pub unreadable: Vec<String>,
}

/// An incident whose log was written around the guards (OB803).
#[derive(Debug, Clone, Serialize)]
pub struct NotCounted {
    /// ID.
    pub id: String,
    /// Severity.
    pub severity: String,
    /// Status.
    pub status: Status,
    /// Each event out of order: seq and what is wrong.
    pub order_violations: Vec<OrderViolation>,
}

/// One event written around the guards.
#[derive(Debug, Clone, Serialize)]
pub struct OrderViolation {
    /// Its `seq`.
    pub seq: u64,
    /// What is wrong.
    pub message: String,
}

/// MTTA and MTTR by severity (drills and cancelled/merged incidents left
/// out unless asked), open incidents, overdue actions, due drills.
///
/// # Errors
/// The SSOT or `incidents/` cannot be read.
pub fn report(
    ctx: &Context,
    as_of: jiff::civil::Date,
    since: Option<jiff::civil::Date>,
    include_drills: bool,
) -> Result<Report, OpsError> {
    use rayon::prelude::*;
    let st = ctx.store()?;
    let ids = st.ids()?;
    let loaded: Vec<Result<Incident, String>> = ids
        .par_iter()
        .map(|id| st.load(id).map_err(|e| format!("{id}: {e}")))
        .collect();
    let mut unreadable = Vec::new();
    let mut incs = Vec::new();
    for r in loaded {
        match r {
            Ok(i) => incs.push(i),
            Err(e) => unreadable.push(e),
        }
    }
    let in_range = |i: &Incident| {
        since.is_none_or(|s| {
            i.opened_at
                .parse::<jiff::Timestamp>()
                .ok()
                .map(opsbook_core::clock::utc_date)
                .is_some_and(|d| d >= s)
        })
    };
    // A log written around the guards (OB803) is flagged, not counted.
    let not_counted: Vec<NotCounted> = incs
        .iter()
        .filter(|i| in_range(i) && i.breaks_order())
        .map(|i| NotCounted {
            id: i.id.clone(),
            severity: i.severity.clone(),
            status: i.status,
            order_violations: i
                .violations
                .iter()
                .map(|(seq, m)| OrderViolation {
                    seq: *seq,
                    message: m.clone(),
                })
                .collect(),
        })
        .collect();
    let mut by_sev: BTreeMap<String, (Stats, Vec<i64>, Vec<i64>)> = BTreeMap::new();
    for sev in ["P0", "P1", "P2"] {
        by_sev.insert(sev.into(), Default::default());
    }
    for i in incs
        .iter()
        .filter(|i| in_range(i) && (include_drills || !i.drill) && !i.breaks_order())
        .filter(|i| !matches!(i.status, Status::Cancelled | Status::Merged))
    {
        let e = by_sev.entry(i.severity.clone()).or_default();
        e.0.incidents += 1;
        let d = i.durations();
        if let Some(ms) = d.to_ack_ms {
            e.0.acknowledged += 1;
            e.1.push(ms);
        }
        if let Some(ms) = d.to_resolve_ms {
            e.0.resolved += 1;
            e.2.push(ms);
        }
    }
    let stats: BTreeMap<String, Stats> = by_sev
        .into_iter()
        .map(|(k, (mut s, mut a, mut r))| {
            (s.mtta_ms, s.mtta_median_ms) = mean_median(&mut a);
            (s.mttr_ms, s.mttr_median_ms) = mean_median(&mut r);
            (k, s)
        })
        .collect();
    let mut open: Vec<&Incident> = incs.iter().filter(|i| i.status.is_open()).collect();
    open.sort_by(|x, y| {
        severity_rank(&x.severity)
            .cmp(&severity_rank(&y.severity))
            .then(x.opened_at.cmp(&y.opened_at))
    });
    let (items, bad_pm) = all_items(&st, &ctx.layout, as_of)?;
    unreadable.extend(bad_pm);
    let ssot = Ssot::load_metadata(ctx.layout.root())?;
    Ok(Report {
        as_of: as_of.to_string(),
        since: since.map(|s| s.to_string()),
        by_severity: stats,
        open_incidents: open
            .iter()
            .map(|i| OpenIncident {
                id: i.id.clone(),
                severity: i.severity.clone(),
                status: i.status,
                title: i.title.clone(),
                opened_at: i.opened_at.clone(),
            })
            .collect(),
        overdue_actions: items.into_iter().filter(|r| r.days_overdue > 0).collect(),
        due_drills: opsbook_core::drills::due(&opsbook_core::drills::drills(&ssot), as_of),
        not_counted,
        unreadable,
    })
}
