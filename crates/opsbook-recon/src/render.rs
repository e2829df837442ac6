//! Renderers over a [`Report`] and a [`Recheck`]: human text (for a tired
//! operator: verdict first, then what to look at), JSON (the report's shape,
//! for `ConvertFrom-Json` and CI), Markdown (for an incident or a CI step
//! summary) and CSV (one line per break field, for a spreadsheet).
//!
//! All are deterministic: the report is already sorted. The CLI picks one
//! and prints it; nothing here prints or exits.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::recheck::{Recheck, Transition};
use crate::report::{Break, Class, Report, Severity, Verdict};

/// The report as pretty JSON, ending with a newline.
#[must_use]
pub fn json(report: &Report) -> String {
    let mut s = report.to_json();
    s.push('\n');
    s
}

/// A recheck as pretty JSON, ending with a newline.
#[must_use]
pub fn recheck_json(rc: &Recheck) -> String {
    let mut s = serde_json::to_string_pretty(rc).unwrap_or_default();
    s.push('\n');
    s
}

fn key_text(k: &Map<String, Value>) -> String {
    k.iter()
        .map(|(name, v)| match v {
            Value::String(s) => format!("{name}={s}"),
            other => format!("{name}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn where_text(r: Option<&Map<String, Value>>) -> Option<String> {
    let r = r?;
    let file = r.get("file")?.as_str()?;
    if file.is_empty() {
        return None;
    }
    Some(match r.get("line").and_then(Value::as_u64) {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    })
}

fn verdict_line(r: &Report) -> String {
    match r.summary.verdict {
        Verdict::Clean => "clean: nothing to act on (exit 0)".to_string(),
        Verdict::PendingOnly => {
            "only pending breaks: run the reconciliation again after the grace window (exit 3)"
                .to_string()
        }
        Verdict::Breaks => {
            "breaks: each one needs a look, a fix or an accepted decision (exit 1)".to_string()
        }
    }
}

fn class_counts(r: &Report) -> String {
    let parts: Vec<String> = r
        .summary
        .classes
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| format!("{} {n}", c.as_str()))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// Human text; at most `per_class` breaks of each class are listed (the
/// rest are counted).
#[must_use]
pub fn human(r: &Report, per_class: usize) -> String {
    let mut o = String::new();
    let run = &r.run;
    let _ = writeln!(
        o,
        "{} reconciliation as of {} (grace {}, time tolerance {})",
        run.kind.as_str(),
        run.as_of,
        duration(run.grace_ms),
        duration(run.tolerance_ms)
    );
    let _ = writeln!(o, "verdict: {}", verdict_line(r));
    let _ = writeln!(
        o,
        "matched {} · breaks {} ({})",
        r.summary.matched,
        r.breaks.len(),
        class_counts(r)
    );
    for i in &run.inputs {
        let _ = writeln!(
            o,
            "  {:<17} {} rows  {} ({}, {}, sha256 {})",
            i.role,
            i.rows,
            i.path,
            i.format,
            i.encoding,
            &i.sha256[..i.sha256.len().min(12)]
        );
    }
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if errors > 0 {
        let _ = writeln!(
            o,
            "  {errors} row(s) could not be read: the reconciliation is incomplete"
        );
    }
    let mut current: Option<Class> = None;
    let mut shown = 0usize;
    let mut hidden = 0usize;
    let flush = |o: &mut String, hidden: &mut usize| {
        if *hidden > 0 {
            let _ = writeln!(o, "  … and {hidden} more of this class");
            *hidden = 0;
        }
    };
    for b in &r.breaks {
        if current != Some(b.class) {
            flush(&mut o, &mut hidden);
            current = Some(b.class);
            shown = 0;
            let n = r.summary.classes.get(&b.class).copied().unwrap_or(0);
            let _ = writeln!(o, "\n{} ({n})", b.class.as_str());
        }
        if shown >= per_class {
            hidden += 1;
            continue;
        }
        shown += 1;
        write_break(&mut o, b);
    }
    flush(&mut o, &mut hidden);
    if !r.findings.is_empty() {
        let _ = writeln!(o, "\nfindings");
        for f in &r.findings {
            let at = match (f.file.as_str(), f.line) {
                ("", _) => String::new(),
                (file, Some(l)) => format!(" {file}:{l}"),
                (file, None) => format!(" {file}"),
            };
            let sev = if f.severity == Severity::Error {
                "error"
            } else {
                "note"
            };
            let _ = writeln!(o, "  {sev} {}{at}: {}", f.role, f.message);
        }
    }
    o
}

fn write_break(o: &mut String, b: &Break) {
    let _ = writeln!(o, "  {}  {}", b.id, key_text(&b.key));
    for f in &b.fields {
        let mut parts = vec![
            format!("ours {}", f.internal.as_deref().unwrap_or("—")),
            format!("theirs {}", f.exchange.as_deref().unwrap_or("—")),
        ];
        if let Some(d) = &f.delta {
            parts.push(format!("Δ {d}"));
        }
        if let Some(p) = &f.previous {
            parts.push(format!("before {p}"));
        }
        let _ = writeln!(o, "      {}: {}", f.field, parts.join(" · "));
    }
    let places: Vec<String> = [
        where_text(b.internal.as_ref()),
        where_text(b.exchange.as_ref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !places.is_empty() {
        let _ = writeln!(o, "      at {}", places.join(" · "));
    }
    if let Some(n) = &b.note {
        let _ = writeln!(o, "      {n}");
    }
}

/// A duration in ms as operators write it (`30s`, `1h 30m`, `0s`).
fn duration(ms: i64) -> String {
    format!("{:#}", jiff::SignedDuration::from_millis(ms))
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown: a summary table, then one table of breaks (at most `limit` rows).
#[must_use]
pub fn markdown(r: &Report, limit: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "## Reconciliation / 照合: {} as of {}\n",
        r.run.kind.as_str(),
        r.run.as_of
    );
    let _ = writeln!(o, "**Verdict:** {}\n", verdict_line(r));
    let _ = writeln!(o, "| class | count |\n|---|---:|");
    let _ = writeln!(o, "| matched | {} |", r.summary.matched);
    for (c, n) in &r.summary.classes {
        let _ = writeln!(o, "| {} | {n} |", c.as_str());
    }
    let _ = writeln!(
        o,
        "\n| input | rows | format | sha256 |\n|---|---:|---|---|"
    );
    for i in &r.run.inputs {
        let _ = writeln!(
            o,
            "| {} `{}` | {} | {} | `{}` |",
            i.role,
            md_cell(&i.path),
            i.rows,
            i.format,
            i.sha256
        );
    }
    if !r.breaks.is_empty() {
        let _ = writeln!(
            o,
            "\n| id | class | key | fields | note |\n|---|---|---|---|---|"
        );
        for b in r.breaks.iter().take(limit) {
            let fields: Vec<String> = b
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {} → {}{}",
                        f.field,
                        f.internal
                            .as_deref()
                            .or(f.previous.as_deref())
                            .unwrap_or("—"),
                        f.exchange.as_deref().unwrap_or("—"),
                        f.delta
                            .as_ref()
                            .map(|d| format!(" (Δ {d})"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} | {} |",
                b.id,
                b.class.as_str(),
                md_cell(&key_text(&b.key)),
                md_cell(&fields.join("; ")),
                md_cell(b.note.as_deref().unwrap_or(""))
            );
        }
        if r.breaks.len() > limit {
            let _ = writeln!(
                o,
                "\n{} more breaks are in the JSON report.",
                r.breaks.len() - limit
            );
        }
    }
    let errors: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(o, "\n{} row(s) could not be read:\n", errors.len());
        for f in errors.iter().take(limit) {
            let _ = writeln!(
                o,
                "- `{}:{}` {}",
                f.file,
                f.line.unwrap_or(0),
                md_cell(&f.message)
            );
        }
    }
    o
}

/// CSV: one line per break field (a break without fields has one line),
/// columns `id,class,key,field,internal,exchange,delta,previous,note`.
#[must_use]
pub fn csv(r: &Report) -> String {
    let mut w = ::csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record([
        "id", "class", "key", "field", "internal", "exchange", "delta", "previous", "note",
    ]);
    for b in &r.breaks {
        let key = key_text(&b.key);
        let note = b.note.clone().unwrap_or_default();
        if b.fields.is_empty() {
            let _ = w.write_record([
                b.id.as_str(),
                b.class.as_str(),
                &key,
                "",
                "",
                "",
                "",
                "",
                &note,
            ]);
        }
        for f in &b.fields {
            let _ = w.write_record([
                b.id.as_str(),
                b.class.as_str(),
                &key,
                &f.field,
                f.internal.as_deref().unwrap_or(""),
                f.exchange.as_deref().unwrap_or(""),
                f.delta.as_deref().unwrap_or(""),
                f.previous.as_deref().unwrap_or(""),
                &note,
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A recheck as human text.
#[must_use]
pub fn recheck_human(rc: &Recheck) -> String {
    let mut o = String::new();
    let counts: Vec<String> = rc
        .counts
        .iter()
        .map(|(t, n)| format!("{} {n}", t.as_str()))
        .collect();
    let _ = writeln!(o, "re-reconciliation: {}", counts.join(", "));
    let _ = writeln!(
        o,
        "verdict now: {} (exit {})",
        match rc.verdict {
            Verdict::Clean => "clean",
            Verdict::Breaks => "breaks",
            Verdict::PendingOnly => "only pending",
        },
        rc.exit_code()
    );
    let mut current: Option<Transition> = None;
    for c in &rc.changes {
        if current != Some(c.transition) {
            current = Some(c.transition);
            let _ = writeln!(o, "\n{}", c.transition.as_str());
        }
        let cls =
            |s: &Option<crate::recheck::BreakState>| s.as_ref().map_or("—", |b| b.class.as_str());
        let id = c
            .current
            .as_ref()
            .or(c.previous.as_ref())
            .map_or("", |b| b.id.as_str());
        let _ = writeln!(
            o,
            "  {id}  {}  {} → {}",
            key_text(&c.key),
            cls(&c.previous),
            cls(&c.current)
        );
    }
    o
}

/// A recheck as CSV: `transition,key,previous_id,previous_class,current_id,current_class`.
#[must_use]
pub fn recheck_csv(rc: &Recheck) -> String {
    let mut w = ::csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record([
        "transition",
        "key",
        "previous_id",
        "previous_class",
        "current_id",
        "current_class",
    ]);
    for c in &rc.changes {
        let p = c.previous.as_ref();
        let n = c.current.as_ref();
        let _ = w.write_record([
            c.transition.as_str(),
            &key_text(&c.key),
            p.map_or("", |b| b.id.as_str()),
            p.map_or("", |b| b.class.as_str()),
            n.map_or("", |b| b.id.as_str()),
            n.map_or("", |b| b.class.as_str()),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A recheck as Markdown.
#[must_use]
pub fn recheck_markdown(rc: &Recheck) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "## Re-reconciliation / 再照合\n\n| transition | count |\n|---|---:|"
    );
    for (t, n) in &rc.counts {
        let _ = writeln!(o, "| {} | {n} |", t.as_str());
    }
    if !rc.changes.is_empty() {
        let _ = writeln!(
            o,
            "\n| transition | key | before | now |\n|---|---|---|---|"
        );
        for c in &rc.changes {
            let s = |b: &Option<crate::recheck::BreakState>| {
                b.as_ref().map_or("—".to_string(), |b| {
                    format!("{} `{}`", b.class.as_str(), b.id)
                })
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                c.transition.as_str(),
                md_cell(&key_text(&c.key)),
                s(&c.previous),
                s(&c.current)
            );
        }
    }
    o
}
