//! `opsbook coverage`: alert rules joined with the coverage matrix.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use opsbook_core::alerts;
use opsbook_core::ssot::ParsedDoc;
use opsbook_gate::checks::{self, AlertCoverage};

use crate::cli::{CoverageArgs, ListFormat};

fn collect_files(p: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if p.is_dir() {
        let mut found = Vec::new();
        for e in walkdir::WalkDir::new(p) {
            let e = e.with_context(|| format!("cannot read `{}`", p.display()))?;
            let l = e.file_name().to_string_lossy().to_lowercase();
            if e.file_type().is_file() && (l.ends_with(".yaml") || l.ends_with(".yml")) {
                found.push(e.into_path());
            }
        }
        found.sort();
        out.extend(found);
        Ok(())
    } else if p.is_file() {
        out.push(p.to_path_buf());
        Ok(())
    } else {
        bail!("--alerts `{}` does not exist", p.display())
    }
}

/// Summary of a coverage report.
#[derive(Debug, serde::Serialize)]
struct Summary {
    files: usize,
    alerts: usize,
    distinct_alerts: usize,
    covered: usize,
    missing: usize,
    templated: usize,
    deprecated: usize,
    p0_missing: usize,
    by_priority: BTreeMap<String, BTreeMap<String, usize>>,
}

pub fn run(a: &CoverageArgs) -> anyhow::Result<u8> {
    let root = super::resolve_root(&a.root)?;
    let ssot = opsbook_core::ssot::Ssot::load_metadata(&root)?;
    let mut rules = Vec::new();
    let mut nfiles = 0;
    if a.alerts.is_empty() {
        for f in ssot
            .files
            .iter()
            .filter(|f| f.kind == opsbook_core::ssot::FileKind::Alerts)
        {
            nfiles += 1;
            rules.extend(alerts::extract(&f.rel, &f.docs));
        }
    } else {
        let mut files = Vec::new();
        for p in &a.alerts {
            collect_files(p, &mut files)?;
        }
        for p in files {
            nfiles += 1;
            let bytes =
                std::fs::read(&p).with_context(|| format!("cannot read `{}`", p.display()))?;
            let text = opsbook_core::text::decode(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            let docs = opsbook_core::yaml::parse_stream(&text.text).map_err(|e| {
                anyhow::anyhow!(
                    "{}:{}:{}: invalid YAML: {}",
                    p.display(),
                    e.pos.line,
                    e.pos.col,
                    e.message
                )
            })?;
            let docs: Vec<ParsedDoc> = docs
                .into_iter()
                .map(|doc| ParsedDoc {
                    doc,
                    line_offset: 0,
                })
                .collect();
            let shown = p.strip_prefix(&root).map_or_else(
                |_| p.display().to_string(),
                |r| opsbook_core::ssot::rel_path(Path::new(""), r),
            );
            rules.extend(alerts::extract(&shown, &docs));
        }
    }
    if rules.is_empty() {
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
    let cov = checks::alert_coverage(&cx, &rules);
    let count = |s: &str| cov.iter().filter(|c| c.status == s).count();
    let mut by_priority: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for c in &cov {
        *by_priority
            .entry(c.priority.clone())
            .or_default()
            .entry(c.status.clone())
            .or_default() += 1;
    }
    let p0_missing = cov
        .iter()
        .filter(|c| c.priority == "P0" && c.status != "covered")
        .count();
    let summary = Summary {
        files: nfiles,
        alerts: cov.len(),
        distinct_alerts: cov
            .iter()
            .map(|c| c.alert.to_lowercase())
            .collect::<BTreeSet<_>>()
            .len(),
        covered: count("covered"),
        missing: count("missing"),
        templated: count("templated"),
        deprecated: count("deprecated"),
        p0_missing,
        by_priority,
    };
    let text = match a.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({"summary": summary, "alerts": cov}))?
                + "\n"
        }
        ListFormat::Markdown => markdown(&summary, &cov),
        ListFormat::Human => human(&summary, &cov),
    };
    crate::output::emit(&text, a.output.as_deref())?;
    Ok(if p0_missing > 0 {
        crate::exit::FINDINGS
    } else {
        crate::exit::OK
    })
}

fn human(s: &Summary, cov: &[AlertCoverage]) -> String {
    let mut out = String::new();
    // P0 first: the lines that fail the run are the ones to read first.
    let mut open: Vec<&AlertCoverage> = cov.iter().filter(|c| c.status != "covered").collect();
    open.sort_by_key(|c| (c.priority.clone(), c.file.clone(), c.line));
    for c in open {
        let lvl = if c.priority == "P0" {
            "error"
        } else {
            "warning"
        };
        out.push_str(&format!(
            "{lvl}: {} alert `{}` ({}) is {}: {}\n  --> {}:{}\n  runbook_url: {}\n",
            c.priority,
            c.alert,
            c.severity.as_deref().unwrap_or("no severity"),
            c.status,
            c.reason.as_deref().unwrap_or(""),
            c.file,
            c.line,
            c.runbook_url.as_deref().unwrap_or("(none)")
        ));
    }
    out.push_str(&format!(
        "{}{} alert rules ({} distinct names) in {} file{}: {} covered, {} missing, {} templated, {} deprecated; P0 without runbook: {}\n",
        if out.is_empty() { "" } else { "\n" },
        s.alerts,
        s.distinct_alerts,
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.covered,
        s.missing,
        s.templated,
        s.deprecated,
        s.p0_missing
    ));
    for (p, m) in &s.by_priority {
        let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push_str(&format!("  {p}: {}\n", parts.join(", ")));
    }
    out
}

fn markdown(s: &Summary, cov: &[AlertCoverage]) -> String {
    let mut out = format!(
        "## opsbook coverage\n\n| alerts | distinct | covered | missing | templated | deprecated | P0 missing |\n|---:|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {} | {} |\n\n",
        s.alerts, s.distinct_alerts, s.covered, s.missing, s.templated, s.deprecated, s.p0_missing
    );
    let rows: Vec<Vec<String>> = cov
        .iter()
        .map(|c| {
            vec![
                c.alert.clone(),
                c.priority.to_string(),
                c.status.to_string(),
                c.runbook_id.clone().unwrap_or_else(|| "-".into()),
                format!("`{}:{}`", c.file, c.line),
            ]
        })
        .collect();
    out.push_str(&crate::render::markdown_table(
        &["alert", "priority", "status", "runbook", "file"],
        &rows,
    ));
    out
}
