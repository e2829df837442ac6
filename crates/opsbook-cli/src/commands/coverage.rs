//! `opsbook coverage`: alert rules joined with their runbook links and the
//! coverage matrix.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::bail;
use opsbook_core::alerts::{self, Unreadable};
use opsbook_core::ssot::{FileKind, ProblemKind};
use opsbook_gate::checks::{self, AlertCoverage};
use opsbook_gate::coverage::{self, Report};

use crate::cli::{CoverageArgs, ListFormat};

pub fn run(a: &CoverageArgs) -> anyhow::Result<u8> {
    let root = super::resolve_root(&a.root)?;
    let ssot = opsbook_core::ssot::Ssot::load_metadata(&root)?;
    let mut rules = Vec::new();
    let mut unreadable = Vec::new();
    let mut nfiles = 0;
    if a.alerts.is_empty() {
        for f in ssot.files.iter().filter(|f| f.kind == FileKind::Alerts) {
            nfiles += 1;
            rules.extend(alerts::extract(&f.rel, &f.docs));
        }
        // Rule files the load could not read or parse: findings, not a stop.
        for p in &ssot.problems {
            if ssot.kind_of(&p.file) == FileKind::Alerts
                && !matches!(p.kind, ProblemKind::Walk | ProblemKind::Empty)
            {
                unreadable.push(Unreadable {
                    file: p.file.clone(),
                    line: p.line,
                    column: p.col,
                    message: p.message.clone(),
                });
            }
        }
    } else {
        let files = alerts::rule_files(&a.alerts, &a.exclude).map_err(anyhow::Error::msg)?;
        for p in files {
            nfiles += 1;
            let shown = p.strip_prefix(&root).map_or_else(
                |_| p.display().to_string(),
                |r| opsbook_core::ssot::rel_path(Path::new(""), r),
            );
            match alerts::read_rules(&p, &shown) {
                Ok(r) => rules.extend(r),
                Err(u) => unreadable.push(u),
            }
        }
    }
    if rules.is_empty() && unreadable.is_empty() {
        let from = if a.alerts.is_empty() {
            "the files of `[gate] alerts` in opsbook.toml".to_string()
        } else {
            a.alerts
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        bail!(
            "no alerting rules (`alert:` entries under `groups`) found in {from} ({nfiles} YAML files read)"
        );
    }
    let cx = checks::Ctx::new(&ssot, a.runbook_base.as_deref());
    let report = coverage::report(&cx, nfiles, &rules, unreadable);
    let text = match a.format {
        ListFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        ListFormat::Markdown => markdown(&report),
        ListFormat::Human => human(&report),
    };
    crate::output::emit(&text, a.output.as_deref())?;
    Ok(if report.failed() {
        crate::exit::FINDINGS
    } else {
        crate::exit::OK
    })
}

fn matrix_fact(c: &AlertCoverage) -> String {
    match &c.matrix {
        Some(id) => format!("maps it to {id}"),
        None => "does not map it".to_string(),
    }
}

fn human(r: &Report) -> String {
    let s = &r.summary;
    let mut out = String::new();
    for u in &r.unreadable {
        let _ = writeln!(
            out,
            "error: alert rules not read: {}\n  --> {}:{}:{}\n",
            u.message, u.file, u.line, u.column
        );
    }
    // P0 first: the lines that fail the run are the ones to read first.
    let mut open: Vec<&AlertCoverage> = r
        .alerts
        .iter()
        .filter(|c| coverage::needs_attention(c))
        .collect();
    open.sort_by_key(|c| (c.priority.clone(), c.file.clone(), c.line));
    for c in open {
        let lvl = if c.priority == "P0" && c.status != "covered" {
            "error"
        } else {
            "warning"
        };
        let what = match c.status.as_str() {
            "covered" => "leads to its runbook".to_string(),
            "templated" => "has a templated link".to_string(),
            "deprecated" => "links a deprecated runbook".to_string(),
            _ => "does not lead to its runbook".to_string(),
        };
        let sev = match (&c.severity, c.severity_mapped) {
            (Some(s), true) => s.clone(),
            (Some(s), false) => format!("{s}: not in alert_severity_map, treated as P0"),
            (None, _) => "no severity: treated as P0".to_string(),
        };
        let _ = writeln!(
            out,
            "{lvl}: {} alert `{}` ({sev}) {what}\n  --> {}:{}\n  link: {}{}\n  coverage matrix: {}\n  runbook_url: {}\n",
            c.priority,
            c.alert,
            c.file,
            c.line,
            c.link.as_str(),
            c.reason
                .as_deref()
                .map_or_else(String::new, |r| format!(" — {r}")),
            matrix_fact(c),
            c.runbook_url.as_deref().unwrap_or("(none)")
        );
    }
    let _ = writeln!(
        out,
        "{} alert rules ({} distinct names) in {} file{}: {} covered, {} missing, {} templated, {} deprecated; P0 without runbook: {}",
        s.alerts,
        s.distinct_alerts,
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.covered,
        s.missing,
        s.templated,
        s.deprecated,
        s.p0_missing
    );
    if s.unreadable > 0 {
        let _ = writeln!(
            out,
            "  {} rule file{} not read (see above): their alerts are not counted",
            s.unreadable,
            if s.unreadable == 1 { "" } else { "s" }
        );
    }
    let links: Vec<String> = s.links.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(out, "  links: {}", links.join(", "));
    let _ = writeln!(
        out,
        "  coverage matrix: {} mapped, {} not mapped",
        s.in_matrix, s.not_in_matrix
    );
    if s.severity_unmapped > 0 {
        let _ = writeln!(
            out,
            "  severity not in alert_severity_map (treated as P0): {}",
            s.severity_unmapped
        );
    }
    for (p, m) in &s.by_priority {
        let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(out, "  {p}: {}", parts.join(", "));
    }
    out
}

fn markdown(r: &Report) -> String {
    let s = &r.summary;
    let mut out = format!(
        "## opsbook coverage\n\n| alerts | distinct | covered | missing | templated | deprecated | P0 missing | files not read |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {} | {} | {} |\n\n",
        s.alerts,
        s.distinct_alerts,
        s.covered,
        s.missing,
        s.templated,
        s.deprecated,
        s.p0_missing,
        s.unreadable
    );
    for u in &r.unreadable {
        let _ = writeln!(
            out,
            "- **not read**: `{}:{}:{}` {}",
            u.file, u.line, u.column, u.message
        );
    }
    if !r.unreadable.is_empty() {
        out.push('\n');
    }
    let rows: Vec<Vec<String>> = r
        .alerts
        .iter()
        .map(|c| {
            vec![
                c.alert.clone(),
                c.priority.to_string(),
                c.status.to_string(),
                c.link.as_str().to_string(),
                c.matrix.clone().unwrap_or_else(|| "-".into()),
                c.runbook_id.clone().unwrap_or_else(|| "-".into()),
                format!("`{}:{}`", c.file, c.line),
            ]
        })
        .collect();
    out.push_str(&crate::render::markdown_table(
        &[
            "alert",
            "priority",
            "status",
            "link",
            "coverage matrix",
            "runbook",
            "file",
        ],
        &rows,
    ));
    out
}
