//! The first draft of a postmortem from the incident's record ([`draft`]):
//! timeline, durations in words ([`human_duration`]), decisions, TODOs.

use serde_json::Value;

use crate::incident::Incident;

pub(crate) fn fmt_ms(ms: Option<i64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) => crate::postmortem::human_duration(ms),
    }
}

/// `1h 05m`, `12m 30s`, `45s`.
#[must_use]
pub fn human_duration(ms: i64) -> String {
    let neg = ms < 0;
    let s = ms.abs() / 1000;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let body = if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else {
        format!("{sec}s")
    };
    if neg { format!("-{body}") } else { body }
}

pub(crate) fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Drafts `postmortem.md` from an incident's events: front matter with what
/// the log knows (ID, title, severity, runbooks, evidence) and `TODO:`
/// placeholders for what only people know, then the timeline, the decision
/// log and the durations detected → acknowledged → mitigated → resolved.
/// The draft deliberately does not pass the gate until the placeholders and
/// a concrete action item are written.
#[must_use]
pub fn draft(inc: &Incident, today: jiff::civil::Date, author: &str) -> String {
    let mut s = String::new();
    s.push_str("---\n");
    s.push_str(&format!(
        "# Postmortem of {} — contract: contracts/postmortem.schema.json.\n",
        inc.id
    ));
    s.push_str(
        "# Drafted by `opsbook postmortem new` from the incident's events; replace every TODO.\n",
    );
    s.push_str(&format!("incident_id: {}\n", inc.id));
    s.push_str(&format!("title:\n  en: {}\n", yaml_str(&inc.title)));
    s.push_str(&format!("severity: {}\n", inc.severity));
    s.push_str("status: draft                      # draft -> reviewed -> final\n");
    s.push_str(&format!("authors: [{}]\n", yaml_str(author)));
    s.push_str(&format!("created: {today}\n"));
    s.push_str("summary: \"TODO: two or three sentences: what happened, impact, how it ended.\"\n");
    s.push_str("impact: \"TODO: who and what was affected, how much (money, time, data), from when to when (UTC).\"\n");
    s.push_str("root_cause: \"TODO: the mechanism, not a person.\"\n");
    s.push_str("contributing_factors: []\n");
    s.push_str("defect_analysis:\n");
    for k in ["detection", "response", "recovery", "learning"] {
        s.push_str(&format!("  {k}: \"TODO\"\n"));
    }
    let related: Vec<&str> = inc.links.iter().map(|l| l.incident_id.as_str()).collect();
    s.push_str(&format!(
        "related_incidents: [{}]\n",
        related
            .iter()
            .map(|r| yaml_str(r))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut runbooks: Vec<String> = inc
        .events
        .iter()
        .filter(|e| e.kind == "runbook_step")
        .filter_map(|e| {
            e.data
                .get("runbook")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    runbooks.sort();
    runbooks.dedup();
    s.push_str(&format!(
        "runbooks_used: [{}]\n",
        runbooks
            .iter()
            .map(|r| yaml_str(r))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.push_str(&format!(
        "evidence_refs: [{}]\n",
        inc.evidence
            .iter()
            .map(|e| yaml_str(&e.reference))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let due = today
        .checked_add(jiff::Span::new().days(14))
        .unwrap_or(today);
    s.push_str("action_items:\n");
    s.push_str("  - id: AI-1\n");
    s.push_str("    type: runbook                  # runbook | policy | test | monitoring | implementation\n");
    s.push_str(
        "    target: TODO                   # a runbook ID, policy, alert, drill ID or file\n",
    );
    s.push_str(
        "    description: \"TODO: the concrete change, specific enough to verify when done.\"\n",
    );
    s.push_str(&format!("    owner: {}\n", yaml_str(author)));
    s.push_str(&format!("    due: {due}\n"));
    s.push_str("    status: open                   # open | in_progress | done (needs done_ref) | wontfix\n");
    s.push_str("    done_ref: null\n");
    s.push_str("---\n\n");
    s.push_str(&format!("# Postmortem: {} / 事後検証\n\n", inc.title));
    s.push_str("Blameless: mechanisms and conditions, not people. Every finding ends in an\n");
    s.push_str("action item that lands in a runbook, policy, test, alert or component.\n\n");
    s.push_str("## Durations / 所要時間\n\n");
    let d = inc.durations();
    let start = inc.detected_at.as_deref().unwrap_or(&inc.opened_at);
    s.push_str("| Milestone | UTC | Since detection |\n|---|---|---|\n");
    s.push_str(&format!("| Detected | {start} | 0s |\n"));
    if let Some(t) = &inc.impact_started_at {
        s.push_str(&format!(
            "| Impact started | {t} | {} |\n",
            fmt_ms(crate::incident::millis_between(start, t))
        ));
    }
    s.push_str(&format!(
        "| Declared (opened) | {} | {} |\n",
        inc.opened_at,
        fmt_ms(crate::incident::millis_between(start, &inc.opened_at))
    ));
    for (name, t, ms) in [
        ("Acknowledged", &inc.acked_at, d.to_ack_ms),
        (
            "Mitigated (MONITORING)",
            &inc.mitigated_at,
            d.to_mitigate_ms,
        ),
        ("Resolved", &inc.resolved_at, d.to_resolve_ms),
    ] {
        s.push_str(&format!(
            "| {name} | {} | {} |\n",
            t.as_deref().unwrap_or("—"),
            fmt_ms(ms)
        ));
    }
    s.push_str("\n## Timeline / タイムライン\n\n");
    for e in &inc.events {
        s.push_str(&format!(
            "- {} #{} {}: {}\n",
            e.ts,
            e.seq,
            e.kind,
            crate::incident::describe(e)
        ));
    }
    s.push_str("\n## Decision log / 意思決定ログ\n\n");
    for dcs in &inc.decisions {
        s.push_str(&format!(
            "- {} #{} {} — {}{}\n",
            dcs.ts,
            dcs.seq,
            dcs.decision,
            dcs.reason.as_deref().unwrap_or("(no reason)"),
            if dcs.alternatives.is_empty() {
                String::new()
            } else {
                format!(" (rejected: {})", dcs.alternatives.join("; "))
            }
        ));
    }
    s.push_str("\n## Root cause / 根本原因\n\nTODO\n\n## What went well / うまくいったこと\n\nTODO\n\n## Action items / 是正処置\n\nSee `action_items` above; `opsbook actions` tracks them.\n");
    s
}
