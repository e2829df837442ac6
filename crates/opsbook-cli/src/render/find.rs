//! `opsbook find` as text: each runbook with its severity, why it was
//! found, its first step and the commands that open and run it.

use std::fmt::Write as _;
use std::path::Path;

use opsbook_ops::find::Found;

use opsbook_core::text::quote_arg;

/// Longest part of a step's purpose or code line shown in the text.
const SHOWN: usize = 110;

fn cut(s: &str) -> String {
    if s.chars().count() <= SHOWN {
        return s.to_string();
    }
    let mut t: String = s.chars().take(SHOWN - 1).collect();
    t.push('…');
    t
}

/// The text report. `root` is `--root` as given: it is repeated in the
/// printed commands so that they work as printed.
#[must_use]
pub fn human(f: &Found, root: Option<&Path>) -> String {
    let mut o = String::new();
    let root_arg = root
        .map(|r| format!(" --root {}", quote_arg(&r.display().to_string())))
        .unwrap_or_default();
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
                let _ = writeln!(o, "          {}", cut(l.trim()));
            }
        }
        let _ = writeln!(o, "   file:  {}", h.file);
        let _ = writeln!(o, "   steps: opsbook run {} --plan{root_arg}", h.runbook);
        let _ = writeln!(
            o,
            "   run:   opsbook run {}{root_arg}    # steps go on $env:OPSBOOK_INCIDENT's timeline",
            h.runbook
        );
    }
    if !f.unmatched.is_empty() {
        let _ = writeln!(o, "\nnot found anywhere: {}", f.unmatched.join(", "));
    }
    o
}
