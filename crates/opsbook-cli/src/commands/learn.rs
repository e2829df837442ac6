//! `opsbook postmortem new|check`, `opsbook actions`, `opsbook report` (D-LEARN).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::bail;
use opsbook_core::contracts::Contracts;
use opsbook_core::incident::{Incident, Store};
use opsbook_core::ledger::Actor;
use opsbook_core::postmortem::{self, ActionItem, Known, human_duration};
use opsbook_core::ssot::Ssot;
use serde::Serialize;
use serde_json::json;

use super::incident::store;
use crate::cli::{ActionsArgs, ListFormat, PostmortemCommand, ReportArgs};

pub fn postmortem(c: &PostmortemCommand) -> anyhow::Result<u8> {
    match c {
        PostmortemCommand::New { root, id, actor } => {
            let root = super::resolve_root(root)?;
            let st = store(&root)?;
            let id = st.resolve(id)?;
            let inc = st.load(&id)?;
            let path = st.dir().join(&id).join("postmortem.md");
            if path.exists() {
                bail!(
                    "`{}` exists; it is never overwritten (edit it, or move it away to draft again)",
                    path.display()
                );
            }
            let author = actor.clone().unwrap_or_else(|| Actor::current(None).user);
            let text = postmortem::draft(&inc, super::today_utc(), &author);
            opsbook_core::fsutil::write_atomic(&path, text.as_bytes())?;
            crate::output::emit(
                &format!(
                    "Drafted {} from {} events.\nReplace every TODO, write concrete action items, then `opsbook postmortem check {id}`.\n",
                    path.display(),
                    inc.events.len()
                ),
                None,
            )?;
            Ok(crate::EXIT_OK)
        }
        PostmortemCommand::Check {
            root,
            id,
            as_of,
            format,
        } => {
            let root = super::resolve_root(root)?;
            let as_of = super::parse_as_of(as_of.as_deref())?;
            let st = store(&root)?;
            let id = st.resolve(id)?;
            let path = st.dir().join(&id).join("postmortem.md");
            if !path.is_file() {
                bail!(
                    "{id} has no postmortem ({}); draft one with `opsbook postmortem new {id}`",
                    path.display()
                );
            }
            let ssot = Ssot::load_metadata(&root)?;
            let error_days = i64::from(ssot.config.action_overdue_error_days.unwrap_or(14));
            let fc = postmortem::check_file(
                &path,
                &Contracts::load(Some(&root)),
                &Known::from_ssot(&ssot),
                as_of,
                error_days,
            )
            .map_err(anyhow::Error::msg)?;
            let inc = st.load(&id)?;
            let mismatch = fc.mismatch(&id, &inc.severity);
            let mut blocking = mismatch.clone();
            blocking.extend(fc.blocking());
            let overdue: Vec<_> = fc
                .items
                .iter()
                .filter(|p| p.kind == postmortem::ItemProblemKind::Overdue)
                .collect();
            let rel = format!("incidents/{id}/postmortem.md");
            let text = match format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(&json!({
                        "file": rel,
                        "ok": blocking.is_empty(),
                        "blocking": blocking,
                        "contract": fc.contract.iter().map(|(l, m)| json!({"line": l, "message": m})).collect::<Vec<_>>(),
                        "items": fc.items,
                    }))? + "\n"
                }
                _ => {
                    let mut s = String::new();
                    for (l, m) in &fc.contract {
                        let _ = writeln!(s, "{rel}:{l}: contract: {m}");
                    }
                    for m in &mismatch {
                        let _ = writeln!(s, "{rel}: {m}");
                    }
                    for p in &fc.items {
                        let _ = writeln!(
                            s,
                            "{rel}:{}: [{}] {}\n  help: {}",
                            p.line,
                            p.code(error_days),
                            p.message,
                            p.help
                        );
                    }
                    for m in fc.draft_problems() {
                        let _ = writeln!(s, "{rel}: {m}");
                    }
                    if blocking.is_empty() {
                        let _ = writeln!(
                            s,
                            "{rel}: ready: {id} may be closed{}",
                            if overdue.is_empty() {
                                String::new()
                            } else {
                                format!(" ({} item(s) overdue)", overdue.len())
                            }
                        );
                    } else {
                        let _ =
                            writeln!(s, "{rel}: {} problem(s) block closing {id}", blocking.len());
                    }
                    s
                }
            };
            crate::output::emit(&text, None)?;
            Ok(if blocking.is_empty() {
                crate::EXIT_OK
            } else {
                crate::EXIT_FINDINGS
            })
        }
    }
}

/// An action item with its incident, for listings.
#[derive(Debug, Serialize)]
struct Row {
    incident: String,
    file: String,
    #[serde(flatten)]
    item: ActionItem,
    days_overdue: i64,
}

/// Every action item of every postmortem, with unreadable postmortems apart.
fn all_items(st: &Store, as_of: jiff::civil::Date) -> anyhow::Result<(Vec<Row>, Vec<String>)> {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for id in st.ids()? {
        let path = st.dir().join(&id).join("postmortem.md");
        if !path.is_file() {
            continue;
        }
        let rel = format!("incidents/{id}/postmortem.md");
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

pub fn actions(a: &ActionsArgs) -> anyhow::Result<u8> {
    let root = super::resolve_root(&a.root)?;
    let as_of = super::parse_as_of(a.as_of.as_deref())?;
    let st = store(&root)?;
    let (mut rows, bad) = all_items(&st, as_of)?;
    if !a.all {
        rows.retain(|r| r.item.is_open());
    }
    rows.sort_by(|x, y| {
        y.days_overdue
            .cmp(&x.days_overdue)
            .then(x.item.due.cmp(&y.item.due))
            .then(x.incident.cmp(&y.incident))
    });
    let overdue = rows.iter().filter(|r| r.days_overdue > 0).count();
    let text = match a.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "as_of": as_of.to_string(),
                "items": rows,
                "overdue": overdue,
                "unreadable": bad,
            }))? + "\n"
        }
        f => {
            let md = f == ListFormat::Markdown;
            let mut s = String::new();
            if md {
                s.push_str("| Incident | Item | Type | Target | Owner | Due | Status |\n|---|---|---|---|---|---|---|\n");
            }
            for r in &rows {
                let due = r
                    .item
                    .due
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "no due date".into());
                let late = if r.days_overdue > 0 {
                    format!(" OVERDUE {}d", r.days_overdue)
                } else {
                    String::new()
                };
                if md {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | {} | {due}{late} | {} |",
                        r.incident,
                        r.item.id,
                        r.item.kind,
                        r.item.target,
                        r.item.owner,
                        r.item.status
                    );
                } else {
                    let _ = writeln!(
                        s,
                        "{:<18} {:<6} {:<14} {:<12} {due}{late}  {} → {}\n{:>27}{}",
                        r.incident,
                        r.item.id,
                        r.item.kind,
                        r.item.owner,
                        r.item.status,
                        r.item.target,
                        "",
                        r.item.description
                    );
                }
            }
            for b in &bad {
                let _ = writeln!(s, "{b}");
            }
            if !md {
                let _ = writeln!(
                    s,
                    "{} {}action item{}, {overdue} overdue as of {as_of}.",
                    rows.len(),
                    if a.all { "" } else { "open " },
                    if rows.len() == 1 { "" } else { "s" }
                );
            }
            s
        }
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

/// MTTA/MTTR figures of one severity, in milliseconds.
#[derive(Debug, Default, Serialize)]
struct Stats {
    incidents: usize,
    acknowledged: usize,
    resolved: usize,
    mtta_ms: Option<i64>,
    mtta_median_ms: Option<i64>,
    mttr_ms: Option<i64>,
    mttr_median_ms: Option<i64>,
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

pub fn report(a: &ReportArgs) -> anyhow::Result<u8> {
    let root = super::resolve_root(&a.root)?;
    let as_of = super::parse_as_of(a.as_of.as_deref())?;
    let since: Option<jiff::civil::Date> = match &a.since {
        Some(s) => Some(
            s.parse()
                .map_err(|_| anyhow::anyhow!("--since `{s}` is not a date; expected YYYY-MM-DD"))?,
        ),
        None => None,
    };
    let st = store(&root)?;
    let ids = st.ids()?;
    let loaded: Vec<Result<Incident, String>> = {
        use rayon::prelude::*;
        ids.par_iter()
            .map(|id| st.load(id).map_err(|e| format!("{id}: {e}")))
            .collect()
    };
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
                .and_then(|t| t.in_tz("UTC").ok())
                .is_some_and(|z| z.date() >= s)
        })
    };
    // A log written around the guards (OB803) is flagged, not counted.
    let not_counted: Vec<&Incident> = incs
        .iter()
        .filter(|i| in_range(i) && i.breaks_order())
        .collect();
    let mut by_sev: BTreeMap<String, (Stats, Vec<i64>, Vec<i64>)> = BTreeMap::new();
    for sev in ["P0", "P1", "P2"] {
        by_sev.insert(sev.into(), Default::default());
    }
    for i in incs
        .iter()
        .filter(|i| in_range(i) && (a.include_drills || !i.drill) && !i.breaks_order())
        .filter(|i| {
            !matches!(
                i.status,
                opsbook_core::incident::Status::Cancelled | opsbook_core::incident::Status::Merged
            )
        })
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
        .map(|(k, (mut s, mut a_, mut r))| {
            (s.mtta_ms, s.mtta_median_ms) = mean_median(&mut a_);
            (s.mttr_ms, s.mttr_median_ms) = mean_median(&mut r);
            (k, s)
        })
        .collect();
    let mut open: Vec<&Incident> = incs.iter().filter(|i| i.status.is_open()).collect();
    open.sort_by(|x, y| {
        opsbook_core::incident::severity_rank(&x.severity)
            .cmp(&opsbook_core::incident::severity_rank(&y.severity))
            .then(x.opened_at.cmp(&y.opened_at))
    });
    let (items, bad_pm) = all_items(&st, as_of)?;
    unreadable.extend(bad_pm);
    let overdue: Vec<&Row> = items.iter().filter(|r| r.days_overdue > 0).collect();
    let ssot = Ssot::load_metadata(&root)?;
    let due = opsbook_core::drills::due(&opsbook_core::drills::drills(&ssot), as_of);
    let text = match a.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "as_of": as_of.to_string(),
                "since": since.map(|s| s.to_string()),
                "by_severity": stats,
                "open_incidents": open.iter().map(|i| json!({"id": i.id, "severity": i.severity, "status": i.status, "title": i.title, "opened_at": i.opened_at})).collect::<Vec<_>>(),
                "overdue_actions": overdue,
                "due_drills": due,
                "not_counted": not_counted.iter().map(|i| json!({"id": i.id, "severity": i.severity, "status": i.status, "order_violations": i.violations.iter().map(|(seq, m)| json!({"seq": seq, "message": m})).collect::<Vec<_>>()})).collect::<Vec<_>>(),
                "unreadable": unreadable,
            }))? + "\n"
        }
        f => {
            render_report(
                f == ListFormat::Markdown,
                as_of,
                since,
                &stats,
                &open,
                &overdue,
                &due,
                &unreadable,
            ) + &render_not_counted(&not_counted)
        }
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

/// Incidents left out of MTTA/MTTR because the gate rejects their log (OB803).
fn render_not_counted(not_counted: &[&Incident]) -> String {
    let mut s = String::new();
    if not_counted.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\nNot counted: {} incident(s) whose log breaks the incident order (gate OB803)",
        not_counted.len()
    );
    for i in not_counted {
        let first = i
            .violations
            .first()
            .map_or(String::new(), |(seq, m)| format!(": event seq {seq}: {m}"));
        let _ = writeln!(s, "  {} {} {}{first}", i.id, i.severity, i.status);
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn render_report(
    md: bool,
    as_of: jiff::civil::Date,
    since: Option<jiff::civil::Date>,
    stats: &BTreeMap<String, Stats>,
    open: &[&Incident],
    overdue: &[&Row],
    due: &[opsbook_core::drills::Due],
    unreadable: &[String],
) -> String {
    let d = |ms: Option<i64>| ms.map_or_else(|| "—".to_string(), human_duration);
    let mut s = String::new();
    let title = format!(
        "Incident report as of {as_of}{}",
        since
            .map(|x| format!(", incidents since {x}"))
            .unwrap_or_default()
    );
    if md {
        let _ = writeln!(
            s,
            "# {title}\n\n| Severity | Incidents | MTTA mean (median) | MTTR mean (median) |\n|---|---|---|---|"
        );
    } else {
        let _ = writeln!(
            s,
            "{title} (drills excluded unless --include-drills)\n\n  Severity  Incidents  MTTA mean (median)  MTTR mean (median)"
        );
    }
    for (sev, st) in stats {
        let mtta = format!("{} ({})", d(st.mtta_ms), d(st.mtta_median_ms));
        let mttr = format!("{} ({})", d(st.mttr_ms), d(st.mttr_median_ms));
        if md {
            let _ = writeln!(s, "| {sev} | {} | {mtta} | {mttr} |", st.incidents);
        } else {
            let _ = writeln!(s, "  {sev:<9} {:<10} {mtta:<19} {mttr}", st.incidents);
        }
    }
    let head = |s: &mut String, t: String| {
        if md {
            let _ = writeln!(s, "\n## {t}\n");
        } else {
            let _ = writeln!(s, "\n{t}");
        }
    };
    head(&mut s, format!("Open incidents: {}", open.len()));
    for i in open {
        let _ = writeln!(s, "  {} {} {} {}", i.id, i.severity, i.status, i.title);
    }
    head(&mut s, format!("Overdue action items: {}", overdue.len()));
    for r in overdue {
        let _ = writeln!(
            s,
            "  {} {} {} → {} ({} days, {})",
            r.incident, r.item.id, r.item.kind, r.item.target, r.days_overdue, r.item.owner
        );
    }
    head(&mut s, format!("Due drills: {}", due.len()));
    for x in due {
        let _ = writeln!(s, "  {} ({})", x.drill.id, x.drill.runbook);
    }
    for u in unreadable {
        let _ = writeln!(s, "unreadable: {u}");
    }
    s
}
