//! `opsbook find` as text: each runbook with its severity, why it was
//! found, its first step and the commands that open and run it.

use std::fmt::Write as _;
use std::path::Path;

use opsbook_ops::find::Found;

use opsbook_core::text::quote_arg;

/// Longest part of a step's purpose or code line shown in the text.
const SHOWN: usize = 110;

/// `s` cut to [`SHOWN`] characters at a word boundary (a space), with `…`;
/// text without spaces (Japanese) is cut at a character.
fn cut(s: &str) -> String {
    if s.chars().count() <= SHOWN {
        return s.to_string();
    }
    let head: String = s.chars().take(SHOWN - 1).collect();
    let at = head
        .rfind(' ')
        .filter(|&i| head[..i].chars().count() >= SHOWN / 2)
        .unwrap_or(head.len());
    format!("{}…", head[..at].trim_end())
}

/// A code line cut to [`SHOWN`] characters at a character, with `…`: code
/// is not prose, a space inside a quoted pattern is no word boundary.
fn cut_code(s: &str) -> String {
    if s.chars().count() <= SHOWN {
        return s.to_string();
    }
    let mut t: String = s.chars().take(SHOWN - 1).collect();
    t.push('…');
    t
}

/// The commands that open a hit, as printed (`--root` repeated so that they
/// work as printed): `opsbook run RB --plan`, then `opsbook run RB`.
fn commands(runbook: &str, root_arg: &str) -> (String, String) {
    (
        format!("opsbook run {runbook} --plan{root_arg}"),
        format!("opsbook run {runbook}{root_arg}"),
    )
}

fn root_arg(root: Option<&Path>) -> String {
    root.map(|r| format!(" --root {}", quote_arg(&r.display().to_string())))
        .unwrap_or_default()
}

/// The JSON report: [`Found`] with each hit's `commands` (`plan`, `run`),
/// as the text prints them.
///
/// # Errors
/// Serialisation (never for this shape).
pub fn json(f: &Found, root: Option<&Path>) -> Result<String, serde_json::Error> {
    let root_arg = root_arg(root);
    let mut v = serde_json::to_value(f)?;
    if let Some(hits) = v.get_mut("hits").and_then(serde_json::Value::as_array_mut) {
        for (h, hit) in hits.iter_mut().zip(&f.hits) {
            let (plan, run) = commands(&hit.runbook, &root_arg);
            h["commands"] = serde_json::json!({"plan": plan, "run": run});
        }
    }
    super::json(&v)
}

/// The Markdown report: one table row per hit (rank, runbook, severity,
/// title, first step, the command that lists its steps), then what matched
/// nothing.
#[must_use]
pub fn markdown(f: &Found, root: Option<&Path>) -> String {
    let root_arg = root_arg(root);
    let mut o = format!("## opsbook find `{}`\n\n", f.query);
    if f.hits.is_empty() {
        let _ = writeln!(o, "No runbook found (searched: {}).", f.terms.join(", "));
        return o;
    }
    let rows: Vec<Vec<String>> = f
        .hits
        .iter()
        .map(|h| {
            let title = match (&h.title_en, &h.title_ja) {
                (Some(e), Some(j)) => format!("{e} / {j}"),
                (Some(t), None) | (None, Some(t)) => t.clone(),
                (None, None) => String::new(),
            };
            let first = h.first_step.as_ref().map_or(String::new(), |s| {
                format!("step {} {}", s.step, s.tier).trim_end().to_string()
            });
            vec![
                h.rank.to_string(),
                format!("`{}`", h.runbook),
                h.severity.clone().unwrap_or_default(),
                title,
                first,
                format!("`{}`", commands(&h.runbook, &root_arg).0),
            ]
        })
        .collect();
    o.push_str(&super::markdown_table(
        &["#", "runbook", "severity", "title", "first step", "steps"],
        &rows,
    ));
    if f.weak > 0 {
        let _ = writeln!(o, "\n{} weaker match(es) not shown.", f.weak);
    }
    if !f.unmatched.is_empty() {
        let _ = writeln!(o, "\nNot found anywhere: {}", f.unmatched.join(", "));
    }
    o
}

/// The text report. `root` is `--root` as given: it is repeated in the
/// printed commands so that they work as printed.
#[must_use]
pub fn human(f: &Found, root: Option<&Path>) -> String {
    let mut o = String::new();
    let root_arg = root_arg(root);
    if f.hits.is_empty() {
        let _ = writeln!(
            o,
            "no runbook found for `{}` (searched: {}).\nNot sure? P0 first ten steps: opsbook run RB-QUICK-P0-FIRST-TEN --plan{root_arg}\nEvery runbook by symptom: runbooks/coverage_matrix.yaml",
            f.query,
            f.terms.join(", ")
        );
        return o;
    }
    let _ = writeln!(
        o,
        "`{}`: {} runbook{} found{}, best first",
        f.query,
        f.total,
        if f.total == 1 { "" } else { "s" },
        if f.total > f.hits.len() {
            format!(" ({} shown; --limit N for more)", f.hits.len())
        } else {
            String::new()
        }
    );
    for h in &f.hits {
        let title = match (&h.title_en, &h.title_ja) {
            (Some(e), Some(j)) => format!("{e} / {j}"),
            (Some(t), None) | (None, Some(t)) => t.clone(),
            (None, None) => String::new(),
        };
        let sev = match (&h.severity, &h.severity_from) {
            (Some(s), Some(e)) => format!("{s} ({e})"),
            _ => "severity: not in the coverage matrix".into(),
        };
        let _ = writeln!(o, "\n{}. {}  {}  {title}", h.rank, h.runbook, sev);
        for r in h.reasons.iter().take(3) {
            let what = match r.source {
                "id" => "runbook ID".to_string(),
                "alert" => format!("alert {}", r.text),
                "related" => format!("related to {}", r.text),
                "coverage" => format!("coverage {}", cut(&r.text)),
                "alert-text" => format!("alert {}", cut(&r.text)),
                other => format!("{other}: {}", cut(&r.text)),
            };
            let _ = writeln!(o, "   why: {what}");
        }
        if let Some(s) = &h.first_step {
            let tier = if s.tier.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.tier)
            };
            // The paragraph usually begins with "Step N — ": said already.
            let purpose = s
                .purpose
                .strip_prefix(&format!("Step {} ", s.step))
                .map_or(s.purpose.as_str(), |r| {
                    r.trim_start_matches(['—', '-', ':', ' '])
                });
            let _ = writeln!(o, "   first: step {}{tier}: {}", s.step, cut(purpose));
            if let Some(l) = s.code.lines().find(|l| !l.trim().is_empty()) {
                let _ = writeln!(o, "          {}", cut_code(l.trim()));
            }
        }
        let (plan, run) = commands(&h.runbook, &root_arg);
        let _ = writeln!(o, "   file:  {}", h.file);
        let _ = writeln!(o, "   steps: {plan}");
        let _ = writeln!(
            o,
            "   run:   {run}    # steps go on $env:OPSBOOK_INCIDENT's timeline"
        );
    }
    if f.weak > 0 {
        let _ = writeln!(
            o,
            "\n{} weaker match{} not shown (scored below a quarter of the best)",
            f.weak,
            if f.weak == 1 { "" } else { "es" }
        );
    }
    if !f.unmatched.is_empty() {
        let _ = writeln!(o, "\nnot found anywhere: {}", f.unmatched.join(", "));
    }
    o
}
