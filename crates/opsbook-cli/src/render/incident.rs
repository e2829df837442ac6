//! Incidents for people: one incident (header and body), the list, the
//! timeline, postmortem checks, action items and the report — as text or
//! Markdown.

use std::fmt::Write as _;

use opsbook_core::incident::{self, Incident};
use opsbook_core::postmortem::human_duration;
use opsbook_ops::learn::{Actions, Checked, Report};
use opsbook_ops::views::List;

use super::{markdown_table, when};

fn dur(ms: Option<i64>) -> String {
    ms.map_or_else(|| "—".into(), human_duration)
}

/// The header of `incident show`.
#[must_use]
pub fn header(inc: &Incident, md: bool) -> String {
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
    for (k, t, ms) in [
        ("Acknowledged", &inc.acked_at, d.to_ack_ms),
        ("Mitigated", &inc.mitigated_at, d.to_mitigate_ms),
        ("Resolved", &inc.resolved_at, d.to_resolve_ms),
    ] {
        if let Some(t) = t {
            line(&mut s, k, format!("{} (+{})", when(t), dur(ms)));
        }
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

/// The body of `incident show`: scope, decisions, evidence, acceptance,
/// links, postmortem, order violations.
#[must_use]
pub fn body(inc: &Incident, md: bool) -> String {
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

/// `incident timeline`.
#[must_use]
pub fn timeline(inc: &Incident, md: bool) -> String {
    let mut rows = Vec::new();
    let mut s = if md {
        format!("# Timeline {} — {}\n\n", inc.id, inc.title)
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
            rows.push(vec![e.seq.to_string(), when(&e.ts), who, what]);
        } else {
            let _ = writeln!(s, "{:>4}  {}  {:<12} {}", e.seq, when(&e.ts), who, what);
        }
    }
    if md {
        s.push_str(&markdown_table(
            &["#", "UTC (local)", "Who", "Event"],
            &rows,
        ));
    }
    s
}

/// `incident list`.
#[must_use]
pub fn list(l: &List, md: bool) -> String {
    let mut s = String::new();
    let mut rows = Vec::new();
    for r in &l.incidents {
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
            rows.push(vec![
                r.id.clone(),
                r.severity.clone(),
                format!("{}{drill}", r.status),
                opened,
                r.title.clone(),
            ]);
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
    if md {
        s = markdown_table(&["ID", "Sev", "Status", "Opened (UTC)", "Title"], &rows);
    }
    for u in &l.unreadable {
        let _ = writeln!(s, "{}: cannot be read: {}", u.id, u.error);
    }
    if !md {
        let open_n = l.incidents.iter().filter(|r| r.status.is_open()).count();
        let flagged = l
            .incidents
            .iter()
            .filter(|r| r.order_violations > 0)
            .count();
        let _ = writeln!(
            s,
            "{} incident{}, {open_n} open{}.",
            l.incidents.len(),
            if l.incidents.len() == 1 { "" } else { "s" },
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

/// `postmortem check`.
#[must_use]
pub fn postmortem_check(c: &Checked) -> String {
    let rel = &c.file;
    let mut s = String::new();
    for p in &c.contract {
        let _ = writeln!(s, "{rel}:{}: contract: {}", p.line, p.message);
    }
    for m in &c.mismatch {
        let _ = writeln!(s, "{rel}: {m}");
    }
    for p in &c.items {
        let _ = writeln!(
            s,
            "{rel}:{}: [{}] {}\n  help: {}",
            p.line,
            p.code(c.error_days),
            p.message,
            p.help
        );
    }
    for m in &c.draft_problems {
        let _ = writeln!(s, "{rel}: {m}");
    }
    if c.ok {
        let _ = writeln!(
            s,
            "{rel}: ready: {} may be closed{}",
            c.incident,
            if c.overdue == 0 {
                String::new()
            } else {
                format!(" ({} item(s) overdue)", c.overdue)
            }
        );
    } else {
        let _ = writeln!(
            s,
            "{rel}: {} problem(s) block closing {}",
            c.blocking.len(),
            c.incident
        );
    }
    s
}

/// `actions`.
#[must_use]
pub fn actions(a: &Actions, md: bool) -> String {
    let mut s = String::new();
    let mut rows = Vec::new();
    for r in &a.items {
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
            rows.push(vec![
                r.incident.clone(),
                r.item.id.clone(),
                r.item.kind.to_string(),
                r.item.target.clone(),
                r.item.owner.clone(),
                format!("{due}{late}"),
                r.item.status.to_string(),
            ]);
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
    if md {
        s = markdown_table(
            &[
                "Incident", "Item", "Type", "Target", "Owner", "Due", "Status",
            ],
            &rows,
        );
    }
    for b in &a.unreadable {
        let _ = writeln!(s, "{b}");
    }
    if !md {
        let _ = writeln!(
            s,
            "{} {}action item{}, {} overdue as of {}.",
            a.items.len(),
            if a.all { "" } else { "open " },
            if a.items.len() == 1 { "" } else { "s" },
            a.overdue,
            a.as_of
        );
    }
    s
}

/// `report`.
#[must_use]
pub fn report(r: &Report, md: bool) -> String {
    let d = |ms: Option<i64>| ms.map_or_else(|| "—".to_string(), human_duration);
    let mut s = String::new();
    let title = format!(
        "Incident report as of {}{}",
        r.as_of,
        r.since
            .as_ref()
            .map(|x| format!(", incidents since {x}"))
            .unwrap_or_default()
    );
    let mut rows = Vec::new();
    if md {
        let _ = writeln!(s, "# {title}\n");
    } else {
        let _ = writeln!(
            s,
            "{title} (drills excluded unless --include-drills)\n\n  Severity  Incidents  MTTA mean (median)  MTTR mean (median)"
        );
    }
    for (sev, st) in &r.by_severity {
        let mtta = format!("{} ({})", d(st.mtta_ms), d(st.mtta_median_ms));
        let mttr = format!("{} ({})", d(st.mttr_ms), d(st.mttr_median_ms));
        if md {
            rows.push(vec![sev.clone(), st.incidents.to_string(), mtta, mttr]);
        } else {
            let _ = writeln!(s, "  {sev:<9} {:<10} {mtta:<19} {mttr}", st.incidents);
        }
    }
    if md {
        s.push_str(&markdown_table(
            &[
                "Severity",
                "Incidents",
                "MTTA mean (median)",
                "MTTR mean (median)",
            ],
            &rows,
        ));
    }
    let head = |s: &mut String, t: String| {
        if md {
            let _ = writeln!(s, "\n## {t}\n");
        } else {
            let _ = writeln!(s, "\n{t}");
        }
    };
    head(
        &mut s,
        format!("Open incidents: {}", r.open_incidents.len()),
    );
    for i in &r.open_incidents {
        let _ = writeln!(s, "  {} {} {} {}", i.id, i.severity, i.status, i.title);
    }
    head(
        &mut s,
        format!("Overdue action items: {}", r.overdue_actions.len()),
    );
    for a in &r.overdue_actions {
        let _ = writeln!(
            s,
            "  {} {} {} → {} ({} days, {})",
            a.incident, a.item.id, a.item.kind, a.item.target, a.days_overdue, a.item.owner
        );
    }
    head(&mut s, format!("Due drills: {}", r.due_drills.len()));
    for x in &r.due_drills {
        let _ = writeln!(s, "  {} ({})", x.drill.id, x.drill.runbook);
    }
    for u in &r.unreadable {
        let _ = writeln!(s, "unreadable: {u}");
    }
    if !r.not_counted.is_empty() {
        let _ = writeln!(
            s,
            "\nNot counted: {} incident(s) whose log breaks the incident order (gate OB803)",
            r.not_counted.len()
        );
        for i in &r.not_counted {
            let first = i.order_violations.first().map_or(String::new(), |v| {
                format!(": event seq {}: {}", v.seq, v.message)
            });
            let _ = writeln!(s, "  {} {} {}{first}", i.id, i.severity, i.status);
        }
    }
    s
}

/// What to put for a check opsbook finds no record for (a template's
/// `FILL_…` placeholder is explained with this).
fn fill_hint(check: &str, id: &str) -> String {
    match check {
        "cause_mitigated" => format!(
            "a bundle sealed after MITIGATING (`opsbook evidence collect --incident {id}` prints its EVB-…), or a URL/file of the decision that names the mitigation"
        ),
        "reconciliation_ok" => "a REC-… report covering the incident's window: `opsbook reconcile fills --internal FILE --exchange FILE` prints it".into(),
        "time_ok" => {
            format!("a TCK-<n> clock check: `opsbook time check --record --incident {id}`")
        }
        "alerts_quiet" => "a file or URL showing no alert of this incident firing (an Alertmanager export, a screenshot)".into(),
        // Verified from ledgers opsbook keeps, never from what is typed.
        "no_split_brain" => "`ledger/lease.jsonl` (opsbook replays it with policy/failover.yaml): take the order writer's lease first, `opsbook lease acquire`, or declare one instance in policy/failover.yaml `fencing.single_instance`".into(),
        "recovering_dwell" => format!(
            "`ledger/safety.jsonl` (opsbook reads the dwell there itself, whatever is typed): move the platform to RECOVERING (from HALTED `opsbook confirm release_halt --target RECOVERING` first), `opsbook safety set RECOVERING --incident {id} --reason TEXT --evidence EVB-…`, and answer after its dwell"
        ),
        _ => "a bundle ID (EVB-…), a file or a URL that shows it".into(),
    }
}

/// The recovery-acceptance checklist (`opsbook incident accept ID` with no
/// answer): each check with what opsbook would accept now, then one
/// command — that works as printed when every check has a record, else a
/// template whose `FILL_…` words are named (and refused if left in).
#[must_use]
pub fn checklist(l: &opsbook_ops::incident::Checklist) -> String {
    let mut s = format!(
        "Recovery acceptance for {} (policy/degraded.yaml): answer every check, each with evidence.\n\n",
        l.incident
    );
    let mut args = Vec::new();
    let mut fills = Vec::new();
    for c in &l.checks {
        let _ = writeln!(s, "  {:<18} {}\n  {:<18} {}", c.id, c.title, "", c.question);
        match (&c.found.evidence, &c.found.problem) {
            (Some(e), _) => {
                let _ = writeln!(s, "  {:<18} evidence opsbook accepts now: {e}", "");
                args.push(format!("--check {}=pass:{e}", c.id));
            }
            (None, p) => {
                if let Some(p) = p {
                    let _ = writeln!(s, "  {:<18} not yet: {p}", "");
                }
                let word = format!(
                    "{}{}",
                    opsbook_ops::acceptance::TEMPLATE_PREFIX,
                    c.id.to_ascii_uppercase()
                );
                let hint = fill_hint(&c.id, &l.incident);
                let _ = writeln!(s, "  {:<18} needs: {hint}", "");
                args.push(format!("--check {}=pass:{word}", c.id));
                fills.push(format!("  {word}: {hint}"));
            }
        }
    }
    if fills.is_empty() {
        s.push_str("\nEvery check has a record opsbook accepts now; run:\n");
    } else {
        let _ = writeln!(
            s,
            "\nA TEMPLATE: replace each FILL_… word with the evidence named for it (opsbook refuses FILL_… as evidence), then run it:\n{}",
            fills.join("\n")
        );
    }
    let _ = writeln!(
        s,
        "opsbook incident accept {} {}",
        l.incident,
        args.join(" ")
    );
    s
}
