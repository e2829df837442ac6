//! Report renderers: human (rustc-style, via annotate-snippets), JSON,
//! SARIF 2.1.0 (checked against the `serde-sarif` model generated from the
//! official schema), JUnit XML (`quick-junit`), GitHub workflow annotations
//! and a Markdown step summary.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use annotate_snippets::{AnnotationKind, Level as ALevel, Origin, Renderer, Snippet};
use serde_json::json;

use crate::rules::{self, Level};
use crate::{Finding, Report};

/// Output formats of `opsbook gate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// rustc-style diagnostics with source snippets.
    Human,
    /// The JSON report.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
    /// GitHub Actions workflow commands (`::error file=…`).
    Github,
    /// Markdown (for `$GITHUB_STEP_SUMMARY`).
    Markdown,
}

/// Reads the source lines of files that have findings (for snippets).
fn source_lines(root: &Path, findings: &[Finding]) -> HashMap<String, Vec<String>> {
    let mut m = HashMap::new();
    let files = findings
        .iter()
        .flat_map(|f| std::iter::once(&f.file).chain(f.related.iter().map(|l| &l.file)));
    for file in files {
        if m.contains_key(file) {
            continue;
        }
        let lines = std::fs::read(root.join(file))
            .ok()
            .filter(|b| b.len() <= 4 * 1024 * 1024)
            .and_then(|b| opsbook_core::text::decode(&b).ok())
            .map(|d| d.text.lines().map(str::to_string).collect())
            .unwrap_or_default();
        m.insert(file.clone(), lines);
    }
    m
}

/// The byte offset of 1-based character `column` in `text` (its length
/// past the end).
fn byte_at(text: &str, column: usize) -> usize {
    text.char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i)
}

/// Renders findings rustc-style (one block each, with the source line when
/// it can be read under `root`), without the summary: what `human` prints
/// before its verdict, and what the rule fixtures snapshot.
#[must_use]
pub fn diagnostics(findings: &[Finding], root: &Path, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let sources = source_lines(root, findings);
    let mut out = String::new();
    for f in findings {
        let level = match f.level {
            Level::Error => ALevel::ERROR,
            Level::Warn => ALevel::WARNING,
            Level::Info => ALevel::INFO,
        };
        let title = format!("{} [{}]", f.message, f.name);
        let line_text = sources
            .get(&f.file)
            .and_then(|l| l.get(f.line - 1))
            .cloned();
        let path = f.file.clone();
        let title = level.primary_title(title.as_str()).id(f.code.as_str());
        let help = ALevel::HELP.message(f.help.as_str());
        // The primary window: the start line, or the lines up to the end
        // of a span that runs over several (at most 12).
        let window = line_text
            .as_ref()
            .filter(|t| !t.trim().is_empty() && t.len() < 400)
            .map(|text| {
                let lines = sources.get(&f.file).map(Vec::as_slice).unwrap_or_default();
                match f.end {
                    Some(e) if e.line > f.line && e.line - f.line < 12 && e.line <= lines.len() => {
                        let joined = lines[f.line - 1..e.line].join("\n");
                        let last = joined.len() - lines[e.line - 1].len();
                        let stop = last + byte_at(&lines[e.line - 1], e.column);
                        (joined, Some(stop))
                    }
                    Some(e) if e.line == f.line => {
                        let stop = byte_at(text, e.column);
                        (text.clone(), Some(stop))
                    }
                    _ => (text.clone(), None),
                }
            });
        let related: Vec<(&crate::Label, Option<&String>)> = f
            .related
            .iter()
            .map(|l| {
                let text = sources
                    .get(&l.file)
                    .and_then(|ls| ls.get(l.line - 1))
                    .filter(|t| !t.trim().is_empty() && t.len() < 400);
                (l, text)
            })
            .collect();
        let mut group = match &window {
            Some((text, stop)) => {
                let start = text.char_indices().nth(f.column - 1).map_or(0, |(i, _)| i);
                let start = if text[start..].trim().is_empty() {
                    text.len() - text.trim_start().len()
                } else {
                    start
                };
                let end = match stop {
                    Some(stop) => (*stop).clamp(start + 1, text.len().max(start + 1)),
                    None => text
                        .trim_end()
                        .len()
                        .clamp(start + 1, text.len().max(start + 1)),
                }
                .min(text.len());
                let snippet = Snippet::source(text.as_str())
                    .line_start(f.line)
                    .path(path.as_str())
                    .annotation(AnnotationKind::Primary.span(start..end.max(start)));
                title.element(snippet)
            }
            // No source line to show (undecodable or oversized file, or a
            // whole-file finding): still say where, `--> file:line:col`.
            None => {
                let origin = Origin::path(path.as_str())
                    .line(f.line)
                    .char_column(f.column);
                title.element(origin)
            }
        };
        for (l, text) in &related {
            group = match text {
                Some(text) => {
                    let start = byte_at(text, l.column).min(text.trim_end().len());
                    let end = match l.end {
                        Some(e) if e.line == l.line => byte_at(text, e.column),
                        _ => text.trim_end().len(),
                    }
                    .max(start + 1)
                    .min(text.len());
                    group.element(
                        Snippet::source(text.as_str())
                            .line_start(l.line)
                            .path(l.file.as_str())
                            .annotation(
                                AnnotationKind::Context
                                    .span(start..end.max(start))
                                    .label(l.message.as_str()),
                            ),
                    )
                }
                None => group.element(
                    ALevel::NOTE
                        .message(format!("{}:{}:{}: {}", l.file, l.line, l.column, l.message)),
                ),
            };
        }
        let report_groups = [group.element(help)];
        let rendered = renderer.render(&report_groups);
        out.push_str(&rendered);
        out.push_str("\n\n");
    }
    out
}

/// Renders the human report. `color` adds ANSI styles.
#[must_use]
pub fn human(report: &Report, root: &Path, color: bool) -> String {
    let mut out = diagnostics(&report.findings, root, color);
    let s = &report.summary;
    out.push_str(&summary_line(report));
    if s.baselined > 0 {
        out.push_str(&format!("; {} grandfathered by the baseline", s.baselined));
    }
    out.push('\n');
    out.push_str(&errors_first(&report.findings));
    if report.findings.len() > 1 {
        let mut by_rule: BTreeMap<(&str, &str, Level), usize> = BTreeMap::new();
        for f in &report.findings {
            *by_rule
                .entry((f.code.as_str(), f.name.as_str(), f.level))
                .or_default() += 1;
        }
        out.push_str("by rule:\n");
        for ((code, name, level), n) in by_rule {
            out.push_str(&format!("  {n:>6}  {code} {name} ({level})\n"));
        }
    }
    if !report.changes.is_empty() {
        out.push_str(&format!("changed files ({}):\n", report.changes.len()));
        for c in &report.changes {
            out.push_str(&format!("  {:<9} {:<16} {}\n", c.status, c.kind, c.path));
        }
    }
    out
}

/// At most this many errors are repeated under the verdict.
const ERRORS_REPEATED: usize = 20;

/// The errors again, one line each (`file:line:col CODE message`), under
/// the verdict, when warnings or infos sit among them: an error that blocks
/// the gate must not hide in file order among findings that do not. Empty
/// when there is no error or nothing else.
#[must_use]
pub fn errors_first(findings: &[Finding]) -> String {
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .collect();
    if errors.is_empty() || errors.len() == findings.len() {
        return String::new();
    }
    let mut out = format!(
        "errors ({}, among {} other finding{}) — these fail the gate:\n",
        errors.len(),
        findings.len() - errors.len(),
        if findings.len() - errors.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    for f in errors.iter().take(ERRORS_REPEATED) {
        out.push_str(&format!(
            "  {}:{}:{}  {} {}\n",
            f.file, f.line, f.column, f.code, f.message
        ));
    }
    if errors.len() > ERRORS_REPEATED {
        out.push_str(&format!(
            "  … and {} more (`--format json` lists them all)\n",
            errors.len() - ERRORS_REPEATED
        ));
    }
    out
}

/// The one-line verdict: `opsbook gate: FAIL: 2 errors, 1 warning, …`.
#[must_use]
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let verdict = if report.failed() { "FAIL" } else { "PASS" };
    format!(
        "opsbook gate: {verdict}: {} error{}, {} warning{}, {} info in {} file{} ({} runbook{}), as of {}",
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        s.infos,
        s.files_checked,
        if s.files_checked == 1 { "" } else { "s" },
        s.runbooks,
        if s.runbooks == 1 { "" } else { "s" },
        s.as_of
    )
}

/// Renders the JSON report (pretty, trailing newline).
#[must_use]
pub fn json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// Renders SARIF 2.1.0. The document is built as JSON and round-tripped
/// through the `serde-sarif` model, so a field that does not fit the schema
/// fails in tests rather than in a code-scanning upload.
#[must_use]
pub fn sarif(report: &Report, prefix: &str) -> String {
    let all: Vec<&rules::Rule> = rules::all().collect();
    let index: HashMap<&str, usize> = all.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
    let rules_json: Vec<_> = all
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.doc.lines().nth(1).unwrap_or(r.summary)},
                "help": {"text": r.summary, "markdown": r.doc},
                "defaultConfiguration": {"level": sarif_level(r.level)},
                "properties": {"requirement": r.requirement}
            })
        })
        .collect();
    let results: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let uri = |file: &str| {
                if prefix.is_empty() {
                    file.to_string()
                } else {
                    format!("{}/{}", prefix.trim_end_matches('/'), file)
                }
            };
            // The span's end when the rule knows it (SARIF: endColumn is
            // just past the last character, as `Finding::end` is).
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": index.get(f.code.as_str()).copied().unwrap_or(0),
                "level": sarif_level(f.level),
                "message": {"text": format!("{} (help: {})", f.message, f.help)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f.file)},
                        "region": region(f.line, f.column, f.end)
                    }
                }],
                "partialFingerprints": {"opsbook/v1": fingerprint(f)}
            });
            if !f.related.is_empty() {
                result["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        json!({
                            "id": i + 1,
                            "message": {"text": l.message},
                            "physicalLocation": {
                                "artifactLocation": {"uri": uri(&l.file)},
                                "region": region(l.line, l.column, l.end)
                            }
                        })
                    })
                    .collect();
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "opsbook",
                "informationUri": "https://example.invalid/opsbook",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules_json
            }},
            "results": results,
            "columnKind": "unicodeCodePoints"
        }]
    });
    let typed: Result<serde_sarif::sarif::Sarif, _> = serde_json::from_value(doc.clone());
    let out = match typed {
        Ok(t) => serde_json::to_value(&t).unwrap_or(doc),
        Err(_) => doc,
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}

/// A SARIF region: the start, and the end when the rule knows it (SARIF's
/// `endColumn` is just past the last character, as [`crate::Point`] is).
fn region(line: usize, column: usize, end: Option<crate::Point>) -> serde_json::Value {
    let mut region = json!({"startLine": line, "startColumn": column});
    if let Some(e) = end {
        region["endLine"] = json!(e.line);
        region["endColumn"] = json!(e.column);
    }
    region
}

fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warn => "warning",
        Level::Info => "note",
    }
}

/// A stable fingerprint of a finding: SHA-256 of code, file and
/// [`Finding::stable_message`], first 16 hex digits.
#[must_use]
pub fn fingerprint(f: &Finding) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for part in [
        f.code.as_str(),
        f.file.as_str(),
        f.stable_message().as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Renders JUnit XML: one test suite, one test case per file with findings
/// (failing when any is at error level) plus a summary case.
#[must_use]
pub fn junit(report: &Report) -> String {
    use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
    let mut r = JReport::new("opsbook gate");
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    let mut suite = TestSuite::new("opsbook gate");
    for (file, fs) in &by_file {
        let errors: Vec<&&Finding> = fs.iter().filter(|f| f.level == Level::Error).collect();
        let status = if errors.is_empty() {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("{} error(s)", errors.len()));
            s.set_type("opsbook");
            s.set_description(
                fs.iter()
                    .map(|f| {
                        format!(
                            "{}:{}:{}: {}[{}] {} (help: {})",
                            f.file, f.line, f.column, f.level, f.code, f.message, f.help
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            s
        };
        let mut tc = TestCase::new(*file, status);
        tc.set_classname("opsbook.gate");
        if errors.is_empty() {
            tc.set_system_out(
                fs.iter()
                    .map(|f| {
                        format!(
                            "{}:{}:{}: {}[{}] {}",
                            f.file, f.line, f.column, f.level, f.code, f.message
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        suite.add_test_case(tc);
    }
    let mut summary_case = TestCase::new(
        "summary",
        if report.failed() {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!(
                "{} error(s), {} warning(s)",
                report.summary.errors, report.summary.warnings
            ));
            s
        } else {
            TestCaseStatus::success()
        },
    );
    summary_case.set_classname("opsbook.gate");
    summary_case.set_system_out(format!(
        "{} files checked, {} runbooks, as of {}",
        report.summary.files_checked, report.summary.runbooks, report.summary.as_of
    ));
    suite.add_test_case(summary_case);
    r.add_test_suite(suite);
    r.to_string().unwrap_or_default()
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders GitHub Actions workflow commands, one per finding.
/// `prefix` is the SSOT root relative to the repository root (may be empty).
#[must_use]
pub fn github(report: &Report, prefix: &str) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let cmd = match f.level {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "notice",
        };
        let file = if prefix.is_empty() {
            f.file.clone()
        } else {
            format!("{}/{}", prefix.trim_end_matches('/'), f.file)
        };
        out.push_str(&format!(
            "::{cmd} file={},line={},col={},title={}::{}\n",
            gh_escape_prop(&file),
            f.line,
            f.column,
            gh_escape_prop(&format!("{} {}", f.code, f.name)),
            gh_escape_data(&format!("{} (help: {})", f.message, f.help))
        ));
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders a Markdown summary (for `$GITHUB_STEP_SUMMARY` and PR comments).
#[must_use]
pub fn markdown(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let verdict = if report.failed() {
        "❌ FAIL"
    } else {
        "✅ PASS"
    };
    out.push_str(&format!("## opsbook gate: {verdict}\n\n"));
    out.push_str("| errors | warnings | info | files checked | runbooks | baselined | as of |\n|---:|---:|---:|---:|---:|---:|---|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} | {} |\n\n",
        s.errors, s.warnings, s.infos, s.files_checked, s.runbooks, s.baselined, s.as_of
    ));
    if !report.changes.is_empty() {
        out.push_str(&format!(
            "### Changed files ({})\n\n| status | kind | path |\n|---|---|---|\n",
            report.changes.len()
        ));
        for c in &report.changes {
            let path = match &c.from {
                Some(f) => format!("`{}` → `{}`", md_cell(f), md_cell(&c.path)),
                None => format!("`{}`", md_cell(&c.path)),
            };
            out.push_str(&format!("| {} | {} | {} |\n", c.status, c.kind, path));
        }
        out.push('\n');
    }
    if !report.findings.is_empty() {
        out.push_str(
            "### Findings\n\n| level | code | location | message | help |\n|---|---|---|---|---|\n",
        );
        for f in &report.findings {
            out.push_str(&format!(
                "| {} | `{}` {} | `{}:{}:{}` | {} | {} |\n",
                f.level,
                f.code,
                f.name,
                md_cell(&f.file),
                f.line,
                f.column,
                md_cell(&f.message),
                md_cell(&f.help)
            ));
        }
    }
    out
}

/// Renders in the given format. `root` is used by the human format for
/// snippets; `prefix` by the GitHub format.
#[must_use]
pub fn render(report: &Report, format: Format, root: &Path, color: bool, prefix: &str) -> String {
    match format {
        Format::Human => human(report, root, color),
        Format::Json => json(report),
        Format::Sarif => sarif(report, prefix),
        Format::Junit => junit(report),
        Format::Github => github(report, prefix),
        Format::Markdown => markdown(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Summary;

    fn sample() -> Report {
        Report {
            summary: Summary {
                errors: 1,
                warnings: 1,
                infos: 0,
                files_checked: 2,
                runbooks: 1,
                baselined: 0,
                as_of: "2026-11-29".into(),
            },
            findings: vec![
                Finding::new(
                    crate::rules::lint::MISSING_SECTION,
                    "runbooks/a.md",
                    5,
                    1,
                    "missing section `Backout`".into(),
                    "add `## Backout / 切り戻し`".into(),
                ),
                {
                    let mut f = Finding::new(
                        crate::rules::expiry::VERIFICATION_EXPIRING,
                        "runbooks/a.md",
                        7,
                        16,
                        "last verified 2026-01-01, 332 days ago (limit 90 days)".into(),
                        "verify it".into(),
                    );
                    f.level = Level::Warn;
                    f
                },
            ],
            changes: vec![],
        }
    }

    #[test]
    fn sarif_round_trips_through_the_schema_model() {
        let s = sarif(&sample(), "");
        let typed: serde_sarif::sarif::Sarif = serde_json::from_str(&s).expect("valid SARIF model");
        let v = serde_json::to_value(&typed).unwrap();
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["runs"][0]["results"][0]["ruleId"], "OB101");
        assert_eq!(v["runs"][0]["results"][1]["level"], "warning");
        assert_eq!(
            v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            5
        );
    }

    #[test]
    fn sarif_carries_the_span_end_and_related_locations() {
        let mut r = sample();
        r.findings[0] = r.findings[0].clone().spanning(19).with_related(
            "runbooks/a.md",
            2,
            3,
            "first here".into(),
        );
        let s = sarif(&r, "ops");
        let typed: serde_sarif::sarif::Sarif = serde_json::from_str(&s).expect("valid SARIF model");
        let v = serde_json::to_value(&typed).unwrap();
        let res = &v["runs"][0]["results"];
        assert_eq!(
            res[0]["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 20})
        );
        assert_eq!(
            res[0]["relatedLocations"],
            json!([{
                "id": 1,
                "message": {"text": "first here"},
                "physicalLocation": {
                    "artifactLocation": {"uri": "ops/runbooks/a.md"},
                    "region": {"startLine": 2, "startColumn": 3}
                }
            }])
        );
        assert!(
            res[1]["locations"][0]["physicalLocation"]["region"]
                .get("endLine")
                .is_none()
        );
        assert!(res[1].get("relatedLocations").is_none());
    }

    #[test]
    fn json_adds_end_and_related_only_when_known() {
        let mut r = sample();
        let plain: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        let f0 = plain["findings"][0].as_object().unwrap();
        assert_eq!(
            f0.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "code", "name", "level", "file", "line", "column", "message", "help"
            ]
        );
        r.findings[0] = r.findings[0].clone().spanning(19).with_related(
            "runbooks/a.md",
            2,
            1,
            "first here".into(),
        );
        let v: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(v["findings"][0]["end"], json!({"line": 5, "column": 20}));
        assert_eq!(
            v["findings"][0]["related"],
            json!([{"file": "runbooks/a.md", "line": 2, "column": 1, "message": "first here"}])
        );
        assert_eq!(v["findings"][0]["line"], 5);
        assert!(v["findings"][1].get("end").is_none());
    }

    #[test]
    fn human_underlines_the_span_and_shows_the_related_place() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("runbooks")).unwrap();
        std::fs::write(
            t.path().join("runbooks/a.md"),
            "# A\nrunbook_id: RB-A-B   # the ID\n\n\nstep: RB-A-B and more\n",
        )
        .unwrap();
        let f = Finding::new(
            crate::rules::registry::DUPLICATE_RUNBOOK_ID,
            "runbooks/a.md",
            5,
            7,
            "`RB-A-B` used twice".into(),
            "give each its own ID".into(),
        )
        .spanning(6)
        .with_related("runbooks/a.md", 2, 13, "first used here".into());
        let out = diagnostics(&[f], t.path(), false);
        assert!(
            out.contains("5 | step: RB-A-B and more\n  |       ^^^^^^\n"),
            "{out}"
        );
        assert!(
            out.contains("  |             ----------------- first used here"),
            "{out}"
        );
    }

    #[test]
    fn github_escapes() {
        let mut r = sample();
        r.findings[0].message = "a,b:c\nd%".into();
        let g = github(&r, "ops");
        assert!(g.starts_with("::error file=ops/runbooks/a.md,line=5,col=1,title=OB101 missing-section::a,b:c%0Ad%25"), "{g}");
    }

    #[test]
    fn junit_is_xml_with_failure() {
        let x = junit(&sample());
        assert!(x.starts_with("<?xml"), "{x}");
        assert!(x.contains("<failure"), "{x}");
        assert!(x.contains("runbooks/a.md"), "{x}");
    }
}
