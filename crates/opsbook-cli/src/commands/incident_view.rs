//! `opsbook incident show|list|timeline`: read-only views of incidents.

use std::fmt::Write as _;

use anyhow::bail;
use opsbook_core::incident::{self, Incident, Status};
use opsbook_core::postmortem::human_duration;
use serde_json::json;

use super::incident::{store, when};
use crate::cli::{IncCommon, ListFormat};

fn dur(ms: Option<i64>) -> String {
    ms.map_or_else(|| "—".into(), human_duration)
}

/// The incident as JSON: the replayed state plus every event.
pub fn to_json(inc: &Incident) -> serde_json::Value {
    let mut v = serde_json::to_value(inc).unwrap_or_default();
    v["breaks_order"] = json!(inc.breaks_order());
    v["events"] = serde_json::to_value(&inc.events).unwrap_or_default();
    v["durations"] = serde_json::to_value(inc.durations()).unwrap_or_default();
    v["next"] = json!(
        inc.status
            .next()
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
    );
    v
}

fn header(inc: &Incident, md: bool) -> String {
    let mut s = String::new();
    let d = inc.durations();
    let line = |s: &mut String, k: &str, v: String| {
        if md {
            let _ = writeln!(s, "| {k} | {v} |");
        } else {
            let _ = writeln!(s, "  {k:<16} {v}");
        }
    };
    if md {
        let _ = writeln!(s, "# {} — {}\n", inc.id, inc.title);
        s.push_str("| | |\n|---|---|\n");
    } else {
        let _ = writeln!(
            s,
            "{}  {}  {}{}  {}",
            inc.id,
            inc.severity,
            inc.status,
            if inc.drill { " (drill)" } else { "" },
            inc.title
        );
    }
    line(
        &mut s,
        "Status",
        format!("{}{}", inc.status, if inc.drill { " (drill)" } else { "" }),
    );
    line(&mut s, "Severity", inc.severity.clone());
    if inc.breaks_order() {
        line(
            &mut s,
            "Log",
            format!(
                "NOT TRUSTED: {} event(s) written around the guards (gate OB803; listed below)",
                inc.violations.len()
            ),
        );
    }
    if let Some(c) = &inc.commander {
        line(&mut s, "Commander", c.clone());
    }
    if let Some(t) = &inc.impact_started_at {
        line(&mut s, "Impact started", when(t));
    }
    if let Some(t) = &inc.detected_at {
        line(&mut s, "Detected", when(t));
    }
    line(&mut s, "Declared", when(&inc.opened_at));
    if let Some(t) = &inc.acked_at {
        line(
            &mut s,
            "Acknowledged",
            format!("{} (+{})", when(t), dur(d.to_ack_ms)),
        );
    }
    if let Some(t) = &inc.mitigated_at {
        line(
            &mut s,
            "Mitigated",
            format!("{} (+{})", when(t), dur(d.to_mitigate_ms)),
        );
    }
    if let Some(t) = &inc.resolved_at {
        line(
            &mut s,
            "Resolved",
            format!("{} (+{})", when(t), dur(d.to_resolve_ms)),
        );
    }
    if let Some(t) = &inc.impact_ended_at {
        line(&mut s, "Impact ended", when(t));
    }
    if let Some(t) = &inc.ended_at {
        line(&mut s, "Ended", when(t));
    }
    if let Some(m) = &inc.merged_into {
        line(&mut s, "Merged into", m.clone());
    }
    let next = inc.status.next();
    if !next.is_empty() {
        line(
            &mut s,
            "Allowed next",
            next.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    s
}

fn body(inc: &Incident, md: bool) -> String {
    let mut s = String::new();
    let h = |s: &mut String, t: &str| {
        if md {
            let _ = writeln!(s, "\n## {t}\n");
        } else {
            let _ = writeln!(s, "\n{t}:");
        }
    };
    let item = |s: &mut String, t: String| {
        if md {
            let _ = writeln!(s, "- {t}");
        } else {
            let _ = writeln!(s, "  {t}");
        }
    };
    if let Some(sc) = inc.scope.last() {
        h(&mut s, "Scope (latest declaration)");
        if !sc.affected.is_empty() {
            item(&mut s, format!("affected: {}", sc.affected.join(", ")));
        }
        if !sc.not_affected.is_empty() {
            item(
                &mut s,
                format!("not affected: {}", sc.not_affected.join(", ")),
            );
        }
        if let Some(t) = &sc.text {
            item(&mut s, t.clone());
        }
        if inc.scope.len() > 1 {
            item(
                &mut s,
                format!(
                    "({} earlier declarations in the timeline)",
                    inc.scope.len() - 1
                ),
            );
        }
    }
    if !inc.decisions.is_empty() {
        h(&mut s, "Decision log");
        for d in &inc.decisions {
            item(
                &mut s,
                format!(
                    "#{} {} {} — {}{}",
                    d.seq,
                    when(&d.ts),
                    d.decision,
                    d.reason.as_deref().unwrap_or("(no reason)"),
                    if d.alternatives.is_empty() {
                        String::new()
                    } else {
                        format!(" (rejected: {})", d.alternatives.join("; "))
                    }
                ),
            );
        }
    }
    h(&mut s, "Evidence");
    if inc.evidence.is_empty() {
        item(&mut s, "none yet (RESOLVED needs at least one)".into());
    }
    for e in &inc.evidence {
        item(
            &mut s,
            format!("#{} {} {} sha256 {}", e.seq, e.kind, e.reference, e.sha256),
        );
    }
    if let Some(a) = &inc.acceptance {
        h(&mut s, "Recovery acceptance (latest)");
        item(
            &mut s,
            format!(
                "#{} {}",
                a.seq,
                if a.passed { "passed" } else { "NOT passed" }
            ),
        );
        for c in &a.checks {
            item(
                &mut s,
                format!(
                    "{} {}{}",
                    c.id,
                    c.result,
                    c.evidence
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                ),
            );
        }
    }
    if !inc.links.is_empty() {
        h(&mut s, "Links");
        for l in &inc.links {
            item(
                &mut s,
                format!("{} {}", l.relation.replace('_', " "), l.incident_id),
            );
        }
    }
    if let Some((p, sha)) = &inc.postmortem {
        h(&mut s, "Postmortem");
        item(&mut s, format!("{p} (sha256 {sha})"));
    }
    if !inc.violations.is_empty() {
        h(
            &mut s,
            "Order violations in the log (written around the guards)",
        );
        for (seq, m) in &inc.violations {
            item(&mut s, format!("#{seq} {m}"));
        }
    }
    s
}

/// `incident show`.
pub fn show(c: &IncCommon, id: &str) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    let st = store(&root)?;
    let inc = st.load(&st.resolve(id)?)?;
    let text = match c.format {
        ListFormat::Json => serde_json::to_string_pretty(&to_json(&inc))? + "\n",
        ListFormat::Markdown => header(&inc, true) + &body(&inc, true),
        ListFormat::Human => header(&inc, false) + &body(&inc, false),
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

/// `incident timeline`.
pub fn timeline(c: &IncCommon, id: &str) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    let st = store(&root)?;
    let inc = st.load(&st.resolve(id)?)?;
    let text = match c.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "id": inc.id,
                "events": inc.events,
            }))? + "\n"
        }
        f => {
            let md = f == ListFormat::Markdown;
            let mut s = if md {
                format!(
                    "# Timeline {} — {}\n\n| # | UTC (local) | Who | Event |\n|---|---|---|---|\n",
                    inc.id, inc.title
                )
            } else {
                format!("{} — {}\n", inc.id, inc.title)
            };
            for e in &inc.events {
                let who = e.actor.name.clone().unwrap_or_else(|| e.actor.user.clone());
                let mut what = incident::describe(e);
                if let Some((by, reason, text)) = inc.corrections.get(&e.seq) {
                    let _ = write!(
                        what,
                        " [corrected by #{by}: {reason}{}]",
                        text.as_deref()
                            .map(|t| format!(" → \"{t}\""))
                            .unwrap_or_default()
                    );
                }
                if md {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} |",
                        e.seq,
                        when(&e.ts),
                        who,
                        what.replace('|', "\\|")
                    );
                } else {
                    let _ = writeln!(s, "{:>4}  {}  {:<12} {}", e.seq, when(&e.ts), who, what);
                }
            }
            s
        }
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

/// `incident list`.
pub fn list(c: &IncCommon, statuses: &[String], open: bool) -> anyhow::Result<u8> {
    let root = super::resolve_root(&c.root)?;
    let st = store(&root)?;
    let mut want = Vec::new();
    let mut open = open;
    for s in statuses {
        if s.eq_ignore_ascii_case("open") {
            open = true;
            continue;
        }
        match Status::parse(s) {
            Some(x) => want.push(x),
            None => bail!(
                "`{s}` is not a status; use one of {} (or `open`)",
                Status::ALL
                    .iter()
                    .map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    let (mut rows, bad) = st.list()?;
    rows.retain(|r| (want.is_empty() || want.contains(&r.status)) && (!open || r.status.is_open()));
    rows.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
    let text = match c.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "incidents": rows,
                "unreadable": bad.iter().map(|(id, e)| json!({"id": id, "error": e})).collect::<Vec<_>>(),
            }))? + "\n"
        }
        f => {
            let md = f == ListFormat::Markdown;
            let mut s = String::new();
            if md {
                s.push_str("| ID | Sev | Status | Opened (UTC) | Title |\n|---|---|---|---|---|\n");
            }
            for r in &rows {
                let opened = r
                    .opened_at
                    .get(..16)
                    .unwrap_or(&r.opened_at)
                    .replace('T', " ");
                let drill = if r.drill { " (drill)" } else { "" };
                let drill = if r.order_violations > 0 {
                    format!(
                        "{drill}  [log breaks the order in {} place(s): gate OB803]",
                        r.order_violations
                    )
                } else {
                    drill.to_string()
                };
                if md {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {}{drill} | {opened} | {} |",
                        r.id,
                        r.severity,
                        r.status,
                        r.title.replace('|', "\\|")
                    );
                } else {
                    let _ = writeln!(
                        s,
                        "{:<18} {}  {:<10} {opened}  {}{drill}",
                        r.id,
                        r.severity,
                        r.status.as_str(),
                        r.title
                    );
                }
            }
            for (id, e) in &bad {
                let _ = writeln!(s, "{id}: cannot be read: {e}");
            }
            if !md {
                let open_n = rows.iter().filter(|r| r.status.is_open()).count();
                let flagged = rows.iter().filter(|r| r.order_violations > 0).count();
                let _ = writeln!(
                    s,
                    "{} incident{}, {open_n} open{}.",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" },
                    if flagged > 0 {
                        format!(
                            ", {flagged} with a log written around the guards (`opsbook gate` names the events)"
                        )
                    } else {
                        String::new()
                    }
                );
            }
            s
        }
    };
    crate::output::emit(&text, None)?;
    Ok(if bad.is_empty() {
        crate::EXIT_OK
    } else {
        crate::EXIT_FINDINGS
    })
}
