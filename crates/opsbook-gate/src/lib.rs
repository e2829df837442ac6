//! opsbook-gate: the quality gate of an opsbook SSOT (seed §4.1.6, DESIGN §3.1).
//!
//! [`run`] loads nothing itself: give it a loaded [`Ssot`] and it runs every
//! check of [`checks`], applies the levels from `opsbook.toml` and the
//! baseline, and returns a [`Report`] that [`render`] turns into human text,
//! JSON, SARIF 2.1.0, JUnit XML, GitHub annotations or a Markdown summary.
//! Rules, their codes and their docs are in [`rules`], one folder per family.

pub mod baseline;
pub mod changes;
pub mod checks;
pub mod coverage;
pub mod render;
pub mod rules;
pub mod span;

use std::collections::BTreeMap;

use opsbook_core::contracts::Contracts;
use opsbook_core::ssot::{FileKind, LoadError, Ssot};

pub use rules::{Level, Rule};

/// One finding: a rule that fired at a place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// Rule code, e.g. `OB101`.
    pub code: String,
    /// Rule name, e.g. `missing-section`.
    pub name: String,
    /// Effective level after configuration.
    pub level: Level,
    /// File relative to the SSOT root, `/`-separated.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong (one line, no trailing period).
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// Where the span ends (1-based line, 1-based column just past the last
    /// character), when the rule knows it; without it the span runs to the
    /// end of the start line. Absent from the JSON when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Point>,
    /// Other places the finding points at (the first of two duplicates).
    /// Absent from the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Label>,
    /// What the span covers, when its end is to be found in the source
    /// ([`span::resolve`], once the checks are done). Never serialised.
    #[serde(skip)]
    pub(crate) extent: span::Extent,
}

/// A place in a file: 1-based line and 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Point {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// A secondary place of a finding, with what it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Label {
    /// File relative to the SSOT root, `/`-separated.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is there, e.g. `first defined here`.
    pub message: String,
    /// Where it ends (as [`Finding::end`]). Absent from the JSON when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Point>,
    /// What it covers, to be found in the source. Never serialised.
    #[serde(skip)]
    pub(crate) extent: span::Extent,
}

impl Finding {
    /// A finding of `rule` at its default level. Only a registered
    /// `&'static Rule` can make a finding, so no check can emit a code that
    /// `opsbook explain` does not know.
    #[must_use]
    pub fn new(
        rule: &'static Rule,
        file: &str,
        line: usize,
        column: usize,
        message: String,
        help: String,
    ) -> Finding {
        Finding {
            code: rule.code.to_string(),
            name: rule.name.to_string(),
            level: rule.level,
            file: file.to_string(),
            line: line.max(1),
            column: column.max(1),
            message,
            help,
            end: None,
            related: Vec::new(),
            extent: span::Extent::Known,
        }
    }

    /// The span is `extent`, found in the source line once the checks are
    /// done ([`span::resolve`]); unknown (as before) when it is not there.
    #[must_use]
    pub(crate) fn covering(mut self, extent: span::Extent) -> Finding {
        self.extent = extent;
        self
    }

    /// The span is the YAML (or TOML) key or scalar at the position.
    #[must_use]
    pub(crate) fn token(self) -> Finding {
        self.covering(span::Extent::Token)
    }

    /// The span is `text`, on the start line.
    #[must_use]
    pub(crate) fn text(self, text: &str) -> Finding {
        self.covering(span::Extent::Text(text.to_string()))
    }

    /// The span ends at `line`, `column` (just past its last character).
    #[must_use]
    pub fn ending_at(mut self, line: usize, column: usize) -> Finding {
        self.end = Some(Point {
            line: line.max(self.line),
            column: column.max(1),
        });
        self
    }

    /// The span covers `chars` characters of the start line.
    #[must_use]
    pub fn spanning(self, chars: usize) -> Finding {
        let (line, column) = (self.line, self.column + chars.max(1));
        self.ending_at(line, column)
    }

    /// Adds a secondary label at `file`:`line`:`column`.
    #[must_use]
    pub fn with_related(
        mut self,
        file: &str,
        line: usize,
        column: usize,
        message: String,
    ) -> Finding {
        self.related.push(Label {
            file: file.to_string(),
            line: line.max(1),
            column: column.max(1),
            message,
            end: None,
            extent: span::Extent::Known,
        });
        self
    }

    /// Adds a secondary label covering `extent` on `file`:`line` (from
    /// `column`), found in the source like the finding's own span.
    #[must_use]
    pub(crate) fn with_related_covering(
        mut self,
        file: &str,
        line: usize,
        column: usize,
        message: String,
        extent: span::Extent,
    ) -> Finding {
        self = self.with_related(file, line, column, message);
        if let Some(l) = self.related.last_mut() {
            l.extent = extent;
        }
        self
    }

    /// The rule of this finding (`None` only for a finding deserialised
    /// from a report of another opsbook version).
    #[must_use]
    pub fn rule(&self) -> Option<&'static Rule> {
        rules::lookup(&self.code)
    }
}

impl Finding {
    /// The message with every run of digits replaced by `#`: the identity of
    /// a finding across days and edits (`last verified 2025-01-15, 684 days
    /// ago` and `… 685 days ago` are the same finding). Baselines and SARIF
    /// fingerprints match on (code, file, this).
    #[must_use]
    pub fn stable_message(&self) -> String {
        mask_digits(&self.message)
    }
}

/// Replaces every run of ASCII digits with `#`.
#[must_use]
pub fn mask_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

/// A changed file against `--base` (D-GATE-SUMMARY).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// added | modified | deleted | renamed | copied | type-changed.
    pub status: String,
    /// Path relative to the SSOT root.
    pub path: String,
    /// Previous path for renames.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// What the file is: runbook, policy, plan, registry, …
    pub kind: String,
}

/// Totals of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Findings at error level (the gate fails when > 0).
    pub errors: usize,
    /// Findings at warning level.
    pub warnings: usize,
    /// Findings at info level.
    pub infos: usize,
    /// Files the gate read and checked.
    pub files_checked: usize,
    /// Runbooks among them.
    pub runbooks: usize,
    /// Findings suppressed by the baseline.
    pub baselined: usize,
    /// The date expiry was judged against (UTC, `YYYY-MM-DD`).
    pub as_of: String,
}

/// The result of a gate run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// Totals.
    pub summary: Summary,
    /// Findings, sorted by file, line, column, code.
    pub findings: Vec<Finding>,
    /// Changed files against `--base`, when asked.
    pub changes: Vec<Change>,
}

impl Report {
    /// Whether the gate fails (any finding at error level).
    #[must_use]
    pub fn failed(&self) -> bool {
        self.summary.errors > 0
    }
}

/// Options for [`run`].
#[derive(Debug, Clone)]
pub struct Options {
    /// The date expiry is judged against (UTC).
    pub as_of: jiff::civil::Date,
    /// Runbook URL base for alert links (overrides `runbook_url_base`).
    pub runbook_base: Option<String>,
    /// Findings to suppress.
    pub baseline: Option<baseline::Baseline>,
}

/// Resolves `[gate.levels]` into code → level (`None` = off), reporting
/// unknown keys and values as findings on `opsbook.toml`.
fn levels(ssot: &Ssot, out: &mut Vec<Finding>) -> BTreeMap<&'static str, Option<Level>> {
    let mut m = BTreeMap::new();
    let cfg = ssot.file_of(&FileKind::Config);
    for (key, value) in &ssot.config.levels {
        let pos = cfg
            .and_then(|f| f.doc())
            .map_or(opsbook_core::yaml::Pos { line: 1, col: 1 }, |d| {
                d.pos(&format!("/gate/levels/{key}"))
            });
        let Some(rule) = rules::lookup(key) else {
            let hint =
                rules::suggest(key).map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
            out.push(
                Finding::new(
                    rules::schema::SCHEMA_VIOLATION,
                    opsbook_core::ssot::CONFIG_FILE,
                    pos.line,
                    pos.col,
                    format!("`[gate.levels]` names unknown rule `{key}`{hint}"),
                    "run `opsbook explain --all` for the list of rules".into(),
                )
                .text(key),
            );
            continue;
        };
        match Level::parse(value) {
            Some(l) => {
                m.insert(rule.code, l);
            }
            None => out.push(
                Finding::new(
                    rules::schema::SCHEMA_VIOLATION,
                    opsbook_core::ssot::CONFIG_FILE,
                    pos.line,
                    pos.col,
                    format!("`[gate.levels] {key} = \"{value}\"` is not a level"),
                    "use \"error\", \"warn\", \"info\" or \"off\"".into(),
                )
                .token(),
            ),
        }
    }
    m
}

/// Loads the SSOT at `root` and runs every check, streaming the runbooks:
/// each is parsed, checked and released, so memory stays bounded by the
/// number of runbooks' metadata, not their text.
///
/// # Errors
/// [`LoadError`] when `root` is not an SSOT or cannot be read.
pub fn check(
    root: &std::path::Path,
    contracts: &Contracts,
    opts: &Options,
) -> Result<(Ssot, Report), LoadError> {
    let (ssot, per_runbook) = Ssot::load_streaming(
        root,
        |partial| checks::FileChecks::new(partial, contracts, opts.as_of),
        |fc, file, meta| fc.runbook(file, meta),
    )?;
    let report = finish(
        &ssot,
        contracts,
        opts,
        per_runbook.into_iter().flatten().collect(),
    );
    Ok((ssot, report))
}

/// Runs every check on an SSOT loaded whole with [`Ssot::load`].
///
/// Checks: load problems (OB0xx), contracts (OB2xx), runbook lint (OB1xx),
/// registry (OB3xx), coverage matrix and alert rules (OB4xx), expiry (OB5xx),
/// deprecation (OB6xx), links and the safety model (OB7xx). Levels from
/// `[gate.levels]` apply, then the baseline removes grandfathered findings.
#[must_use]
pub fn run(ssot: &Ssot, contracts: &Contracts, opts: &Options) -> Report {
    let fc = checks::FileChecks::new(ssot, contracts, opts.as_of);
    let per_runbook = ssot
        .runbooks
        .iter()
        .flat_map(|rb| fc.runbook(ssot.runbook_file(rb), &rb.meta))
        .collect();
    finish(ssot, contracts, opts, per_runbook)
}

fn finish(ssot: &Ssot, contracts: &Contracts, opts: &Options, per_runbook: Vec<Finding>) -> Report {
    let mut cx = checks::Ctx::new(ssot, opts.runbook_base.as_deref());
    checks::run_all(&mut cx, contracts, opts.as_of);
    let mut findings = cx.out;
    findings.extend(per_runbook);
    let lv = levels(ssot, &mut findings);
    findings.retain_mut(|f| match lv.get(f.code.as_str()) {
        Some(None) => false,
        Some(Some(l)) => {
            f.level = *l;
            true
        }
        None => true,
    });
    span::resolve(&mut findings, &ssot.root);
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.code, &a.message)
            .cmp(&(&b.file, b.line, b.column, &b.code, &b.message))
    });
    findings.dedup();
    let mut baselined = 0;
    if let Some(b) = &opts.baseline {
        let before = findings.len();
        findings = b.filter(findings);
        baselined = before - findings.len();
    }
    let files_checked = ssot
        .files
        .iter()
        .filter(|f| !matches!(f.kind, FileKind::Other | FileKind::Excluded))
        .count();
    let count = |l: Level| findings.iter().filter(|f| f.level == l).count();
    Report {
        summary: Summary {
            errors: count(Level::Error),
            warnings: count(Level::Warn),
            infos: count(Level::Info),
            files_checked,
            runbooks: ssot.runbooks.len(),
            baselined,
            as_of: opts.as_of.to_string(),
        },
        findings,
        changes: Vec::new(),
    }
}
