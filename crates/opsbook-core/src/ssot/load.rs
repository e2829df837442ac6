//! SSOT discovery and loading.
//!
//! [`discover`] finds the root (the nearest directory holding `opsbook.toml`);
//! [`Ssot::load`] walks it, classifies every file ([`FileKind`]), decodes and
//! parses them in parallel, and keeps every problem it meets as a
//! [`Problem`] with file and line rather than stopping: the gate reports them
//! all at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use serde_json::Value;

use crate::model::RunbookMeta;
use crate::syntax::markdown::{self, Body};
use crate::syntax::text;
use crate::syntax::yaml::{self, Document, Pos};

pub use crate::ssot::layout::CONFIG_FILE;

/// Runbooks larger than this are reported, not parsed (bytes).
pub const MAX_RUNBOOK_BYTES: u64 = 2 * 1024 * 1024;
/// Any other SSOT file larger than this is reported, not parsed (bytes).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Finds the SSOT root: `start` or the nearest ancestor with `opsbook.toml`.
#[must_use]
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(CONFIG_FILE).is_file() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// What a file in the SSOT is, decided by its path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// `opsbook.toml`.
    Config,
    /// `runbooks/**/*.md`.
    Runbook,
    /// `runbooks/templates/**`.
    Template,
    /// `runbooks/runbooks.yaml`.
    Registry,
    /// `runbooks/coverage_matrix.yaml`.
    CoverageMatrix,
    /// `runbooks/drills.yaml`.
    Drills,
    /// `policy/<name>.yaml`.
    Policy(String),
    /// `plans/<name>.yaml`.
    Plan(String),
    /// `incidents/<ID>/postmortem.md`.
    Postmortem,
    /// `incidents/<ID>/events.jsonl`.
    IncidentEvents,
    /// `contracts/*.schema.json`.
    Contract,
    /// `spec/**/*.md`.
    Spec,
    /// A Prometheus rule file named by `[gate] alerts`.
    Alerts,
    /// `ledger/*.jsonl`.
    Ledger,
    /// Excluded by `[gate] exclude`.
    Excluded,
    /// Anything else (README, images, …): not checked.
    Other,
}

impl FileKind {
    /// The contract (schema name) a file of this kind is validated against.
    #[must_use]
    pub fn contract(&self) -> Option<String> {
        Some(match self {
            FileKind::Config => "opsbook-toml".into(),
            FileKind::Runbook => "runbook".into(),
            FileKind::Registry => "runbooks".into(),
            FileKind::CoverageMatrix => "coverage-matrix".into(),
            FileKind::Drills => "drills".into(),
            FileKind::Policy(n) => format!("policy-{n}"),
            FileKind::Plan(n) => format!("plan-{n}"),
            FileKind::Postmortem => "postmortem".into(),
            FileKind::IncidentEvents => "incident-event".into(),
            _ => return None,
        })
    }
}

/// The parts of `opsbook.toml` the engines read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `[gate] baseline`: path of the baseline file, relative to the root.
    pub baseline: Option<String>,
    /// `[gate] alerts`: globs of Prometheus rule files, relative to the root;
    /// an entry starting with `!` excludes (`"!alerts/**/*_test.yaml"`,
    /// promtool's unit tests). `[gate] exclude` removes files too.
    pub alerts: Vec<String>,
    /// `[gate] runbook_url_base`.
    pub runbook_url_base: Option<String>,
    /// `[gate] exclude`: globs not checked (runbooks, alert rule files, …);
    /// `!` re-includes.
    pub exclude: Vec<String>,
    /// `[gate.levels]`: rule code or name → level.
    pub levels: BTreeMap<String, String>,
    /// `[ids] incident`: the incident ID convention (default
    /// `INC-{yyyymmdd}-{seq:3}`).
    pub incident_id: Option<String>,
    /// `[incidents] action_overdue_error_days`: days an overdue action item
    /// stays a warning before it is an error (default 14).
    pub action_overdue_error_days: Option<u32>,
    /// `[safety.hooks.STATE]`: the command that switches the platform into STATE.
    pub hooks: BTreeMap<String, crate::safety::hook::Hook>,
    /// `[lease]`: where `opsbook lease` keeps the leases.
    pub lease: LeaseConfig,
    /// `[project] name`: the SSOT's name for people (evidence manifests).
    pub project_name: Option<String>,
    /// `[run]`: defaults of `opsbook run`.
    pub run: RunConfig,
}

/// `[run]` of `opsbook.toml` (D-AUTO-BOUNDARY): defaults of `opsbook run`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunConfig {
    /// `ask_t0`: ask before T0 steps too (as `--ask-t0`).
    pub ask_t0: bool,
    /// `environment`: this host's environment (`dev`, `stage`, `prod`) when
    /// neither `--environment` nor `OPSBOOK_ENVIRONMENT` says it.
    pub environment: Option<String>,
    /// `trading_mode`: this host's trading mode (`paper`, `shadow`, `live`)
    /// when neither `--trading-mode` nor `OPSBOOK_TRADING_MODE` says it.
    pub trading_mode: Option<String>,
}

/// `[lease]` of `opsbook.toml` (D-SW-SPLITBRAIN): the lease store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaseConfig {
    /// `backend`: `local` (one host) or `s3` (shared); `None`: local.
    pub backend: Option<String>,
    /// `dir`: the local store's directory (`%VAR%` expanded; default the
    /// per-machine `%ProgramData%\opsbook\leases`; `OPSBOOK_LEASE_DIR` overrides).
    pub dir: Option<String>,
    /// `[lease.s3]`: the shared store.
    pub s3: Option<LeaseS3Config>,
}

/// `[lease.s3]`: an S3-compatible bucket with conditional writes. Never a
/// secret: `credentials_ref = "env:NAME"` names the variables, as for
/// evidence destinations (`opsbook_core::s3env`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaseS3Config {
    /// Bucket.
    pub bucket: String,
    /// Key prefix (may be empty).
    pub prefix: String,
    /// Endpoint URL; `None`: `AWS_ENDPOINT_URL` or AWS.
    pub endpoint: Option<String>,
    /// Region; `None`: `AWS_REGION` or `us-east-1`.
    pub region: Option<String>,
    /// `env:NAME`; `None`: the standard `AWS_*` variables.
    pub credentials_ref: Option<String>,
}

impl Config {
    /// Reads the configuration from the TOML file as JSON.
    #[must_use]
    pub fn from_value(v: &Value) -> Config {
        let gate = v.get("gate");
        let strs = |k: &str| -> Vec<String> {
            gate.and_then(|g| g.get(k))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        Config {
            baseline: gate
                .and_then(|g| g.get("baseline"))
                .and_then(Value::as_str)
                .map(str::to_string),
            alerts: strs("alerts"),
            runbook_url_base: gate
                .and_then(|g| g.get("runbook_url_base"))
                .and_then(Value::as_str)
                .map(str::to_string),
            exclude: strs("exclude"),
            levels: gate
                .and_then(|g| g.get("levels"))
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            project_name: v
                .pointer("/project/name")
                .and_then(Value::as_str)
                .map(str::to_string),
            incident_id: v
                .pointer("/ids/incident")
                .and_then(Value::as_str)
                .map(str::to_string),
            action_overdue_error_days: v
                .pointer("/incidents/action_overdue_error_days")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            hooks: v
                .pointer("/safety/hooks")
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(state, h)| {
                            let command = match h.get("command") {
                                Some(Value::Array(a)) => a
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect(),
                                Some(Value::String(s)) => vec![s.clone()],
                                _ => Vec::new(),
                            };
                            (
                                state.clone(),
                                crate::safety::hook::Hook {
                                    command,
                                    timeout_seconds: h
                                        .get("timeout_seconds")
                                        .and_then(Value::as_u64)
                                        .unwrap_or(30),
                                    manual_runbook: h
                                        .get("manual_runbook")
                                        .and_then(Value::as_str)
                                        .map(str::to_string),
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            lease: lease_config(v.get("lease")),
            run: RunConfig {
                ask_t0: v
                    .pointer("/run/ask_t0")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                environment: v
                    .pointer("/run/environment")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                trading_mode: v
                    .pointer("/run/trading_mode")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            },
        }
    }
}

fn lease_config(v: Option<&Value>) -> LeaseConfig {
    let Some(v) = v else {
        return LeaseConfig::default();
    };
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    LeaseConfig {
        backend: s(v, "backend"),
        dir: s(v, "dir"),
        s3: v.get("s3").map(|t| LeaseS3Config {
            bucket: s(t, "bucket").unwrap_or_default(),
            prefix: s(t, "prefix").unwrap_or_default(),
            endpoint: s(t, "endpoint"),
            region: s(t, "region"),
            credentials_ref: s(t, "credentials_ref"),
        }),
    }
}

/// What kind of problem loading met. The gate maps each to a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// The file could not be read (permissions, vanished, …).
    Io,
    /// The directory walk failed (symlink loop, unreadable directory).
    Walk,
    /// The bytes are not text in a supported encoding.
    Decode,
    /// The file is over the size limit.
    TooLarge,
    /// The file is empty (or only whitespace).
    Empty,
    /// A runbook or postmortem without front matter.
    FrontMatterMissing,
    /// Front matter not closed, or not a mapping.
    FrontMatterInvalid,
    /// YAML syntax or structure error (incl. duplicate keys, tabs).
    Yaml,
    /// TOML syntax error.
    Toml,
    /// JSON syntax error.
    Json,
}

/// A problem met while loading, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The kind of problem.
    pub kind: ProblemKind,
    /// File path relative to the root, `/`-separated.
    pub file: String,
    /// 1-based line (1 when the whole file is concerned).
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A parsed YAML/JSON/TOML document inside a file.
#[derive(Debug, Clone)]
pub struct ParsedDoc {
    /// The document with node positions (relative to the document start).
    pub doc: Document,
    /// Line offset to add to document positions to get file lines.
    pub line_offset: usize,
}

impl ParsedDoc {
    /// The file position of a JSON pointer.
    #[must_use]
    pub fn pos(&self, pointer: &str) -> Pos {
        let p = self.doc.pos_of(pointer);
        Pos {
            line: p.line + self.line_offset,
            col: p.col,
        }
    }

    /// The file position of the key of a mapping entry.
    #[must_use]
    pub fn key_pos(&self, pointer: &str) -> Pos {
        let p = self.doc.key_pos_of(pointer);
        Pos {
            line: p.line + self.line_offset,
            col: p.col,
        }
    }
}

/// One file of the SSOT after loading.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the root, `/`-separated.
    pub rel: String,
    /// Absolute (or root-joined) path; empty for a runbook released by
    /// [`Ssot::load_streaming`] (use `root.join(rel)`).
    pub path: PathBuf,
    /// Kind by path.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Parsed documents: the front matter for Markdown, each document of a
    /// YAML stream, each line of a JSONL file.
    pub docs: Vec<ParsedDoc>,
    /// The Markdown body structure (runbooks, postmortems, specs, templates).
    pub body: Option<Box<Body>>,
    /// Whether parsing succeeded far enough for content checks.
    pub parsed: bool,
}

impl SourceFile {
    /// The first document (front matter or the YAML file itself).
    #[must_use]
    pub fn doc(&self) -> Option<&ParsedDoc> {
        self.docs.first()
    }

    /// The first document's value.
    #[must_use]
    pub fn value(&self) -> Option<&Value> {
        self.docs.first().map(|d| &d.doc.value)
    }
}

/// A runbook: its file index and its typed front matter.
#[derive(Debug, Clone)]
pub struct Runbook {
    /// Index into [`Ssot::files`].
    pub file: usize,
    /// Path relative to `runbooks/` (what the registry stores).
    pub registry_path: String,
    /// Typed front matter (empty when it did not parse). Boxed: a large
    /// SSOT holds one per runbook, moved several times while loading.
    pub meta: Box<RunbookMeta>,
    /// File positions of the front-matter fields that cross-file checks
    /// point at (`/runbook_id`, `/status`, `/replaced_by`, `/related/N`), kept
    /// when the parsed file itself is released by [`Ssot::load_streaming`].
    pub positions: Vec<(Box<str>, Pos)>,
}

impl Runbook {
    /// The file position of a front-matter pointer kept in [`Runbook::positions`]
    /// (line 1 when unknown).
    #[must_use]
    pub fn pos(&self, pointer: &str) -> Pos {
        self.positions
            .iter()
            .find(|(k, _)| &**k == pointer)
            .map_or(Pos { line: 1, col: 1 }, |(_, p)| *p)
    }
}

fn runbook_of(index: usize, f: &SourceFile) -> Runbook {
    let meta = Box::new(f.value().map(RunbookMeta::from_value).unwrap_or_default());
    let mut positions = Vec::new();
    if let Some(d) = f.doc() {
        let mut keep = vec![
            "/runbook_id".to_string(),
            "/status".to_string(),
            "/replaced_by".to_string(),
        ];
        keep.extend((0..meta.related.len()).map(|i| format!("/related/{i}")));
        for k in keep {
            let p = d.pos(&k);
            positions.push((k.into_boxed_str(), p));
        }
    }
    Runbook {
        file: index,
        registry_path: f
            .rel
            .strip_prefix("runbooks/")
            .unwrap_or(&f.rel)
            .to_string(),
        meta,
        positions,
    }
}

/// A loaded SSOT.
#[derive(Debug)]
pub struct Ssot {
    /// The root directory.
    pub root: PathBuf,
    /// The configuration (defaults when `opsbook.toml` is invalid).
    pub config: Config,
    /// Every file walked, sorted by relative path.
    pub files: Vec<SourceFile>,
    /// Runbooks (indices into `files`).
    pub runbooks: Vec<Runbook>,
    /// Problems met while loading, sorted by file and line.
    pub problems: Vec<Problem>,
}

/// Why an SSOT could not be loaded at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The root has no `opsbook.toml`.
    #[error("`{0}` is not an opsbook SSOT: no opsbook.toml there")]
    NotAnSsot(PathBuf),
    /// The root cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `opsbook.toml` is not valid: commands that act on it refuse to guess.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong (with the line).
        message: String,
    },
}

const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules", ".opsbook-cache"];

/// A list of globs where an entry starting with `!` excludes what the
/// others include (gitignore style): `["alerts/**/*.yaml", "!**/*_test.yaml"]`.
#[derive(Debug, Clone)]
struct Globs {
    include: GlobSet,
    exclude: GlobSet,
}

impl Globs {
    fn is_match(&self, rel: &str) -> bool {
        self.include.is_match(rel) && !self.exclude.is_match(rel)
    }
}

/// Builds [`Globs`]; invalid globs are left out and returned as messages.
fn build_globs(globs: &[String]) -> (Globs, Vec<String>) {
    let mut inc = GlobSetBuilder::new();
    let mut exc = GlobSetBuilder::new();
    let mut errors = Vec::new();
    for g in globs {
        let (b, pat) = match g.strip_prefix('!') {
            Some(p) => (&mut exc, p),
            None => (&mut inc, g.as_str()),
        };
        match Glob::new(pat) {
            Ok(glob) => {
                b.add(glob);
            }
            Err(e) => errors.push(format!("invalid glob `{g}`: {}", e.kind())),
        }
    }
    let globs = Globs {
        include: inc.build().unwrap_or_else(|_| GlobSet::empty()),
        exclude: exc.build().unwrap_or_else(|_| GlobSet::empty()),
    };
    (globs, errors)
}

fn classify(rel: &str, exclude: &Globs, alerts: &Globs) -> FileKind {
    let lower = rel.to_ascii_lowercase();
    let is_yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
    let stem = |s: &str| -> String {
        let name = s.rsplit('/').next().unwrap_or(s);
        name.trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .to_string()
    };
    if rel == CONFIG_FILE {
        return FileKind::Config;
    }
    if alerts.is_match(rel) && !exclude.is_match(rel) {
        return FileKind::Alerts;
    }
    if let Some(r) = rel.strip_prefix("runbooks/") {
        return match r {
            "runbooks.yaml" => FileKind::Registry,
            "coverage_matrix.yaml" => FileKind::CoverageMatrix,
            "drills.yaml" => FileKind::Drills,
            _ if r.starts_with("templates/") => FileKind::Template,
            _ if exclude.is_match(rel) => FileKind::Excluded,
            _ if lower.ends_with(".md")
                || lower.ends_with(".markdown")
                || lower.ends_with(".mdx") =>
            {
                FileKind::Runbook
            }
            _ => FileKind::Other,
        };
    }
    if exclude.is_match(rel) {
        return FileKind::Excluded;
    }
    if let Some(r) = rel.strip_prefix("policy/")
        && is_yaml
        && !r.contains('/')
    {
        return FileKind::Policy(stem(r));
    }
    if let Some(r) = rel.strip_prefix("plans/")
        && is_yaml
        && !r.contains('/')
    {
        return FileKind::Plan(stem(r));
    }
    if let Some(r) = rel.strip_prefix("incidents/") {
        let parts: Vec<&str> = r.split('/').collect();
        if parts.len() == 2 {
            match parts[1] {
                "postmortem.md" => return FileKind::Postmortem,
                "events.jsonl" => return FileKind::IncidentEvents,
                _ => {}
            }
        }
    }
    if let Some(r) = rel.strip_prefix("contracts/")
        && r.ends_with(".schema.json")
        && !r.contains('/')
    {
        return FileKind::Contract;
    }
    if rel.starts_with("spec/") && lower.ends_with(".md") {
        return FileKind::Spec;
    }
    if rel.starts_with("ledger/") && lower.ends_with(".jsonl") {
        return FileKind::Ledger;
    }
    FileKind::Other
}

/// Reads and decodes one file, with a size limit.
fn read_text(path: &Path, rel: &str, limit: u64, size: u64) -> Result<String, Problem> {
    if size > limit {
        return Err(Problem {
            kind: ProblemKind::TooLarge,
            file: rel.to_string(),
            line: 1,
            col: 1,
            message: format!(
                "file is {size} bytes, over the limit of {limit} bytes for this kind of file"
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Problem {
        kind: ProblemKind::Io,
        file: rel.to_string(),
        line: 1,
        col: 1,
        message: format!("cannot read: {e}"),
    })?;
    text::decode(&bytes).map(|d| d.text).map_err(|e| Problem {
        kind: ProblemKind::Decode,
        file: rel.to_string(),
        line: e.line,
        col: 1,
        message: format!("not decodable text at byte {}: {}", e.offset, e.reason),
    })
}

fn yaml_problem(rel: &str, e: &yaml::YamlError, line_offset: usize) -> Problem {
    Problem {
        kind: ProblemKind::Yaml,
        file: rel.to_string(),
        line: e.pos.line.max(1) + line_offset,
        col: e.pos.col.max(1),
        message: match e.first {
            Some(first) => format!(
                "invalid YAML: {} (first defined at line {})",
                e.message,
                first.line + line_offset
            ),
            None => format!("invalid YAML: {}", e.message),
        },
    }
}

/// Loads a Markdown file with front matter: the front matter document and the body.
fn load_markdown(
    rel: &str,
    text: &str,
    needs_front_matter: bool,
    problems: &mut Vec<Problem>,
) -> (Vec<ParsedDoc>, Option<Body>, bool) {
    let split = match markdown::split_front_matter(text) {
        Ok(s) => s,
        Err(e) => {
            problems.push(Problem {
                kind: ProblemKind::FrontMatterInvalid,
                file: rel.to_string(),
                line: e.line,
                col: 1,
                message: e.message,
            });
            return (Vec::new(), None, false);
        }
    };
    let body = markdown::parse_body(split.body, split.body_line);
    let Some(fm) = split.front_matter else {
        if needs_front_matter {
            // Say what is there when it is almost front matter.
            let first = text
                .lines()
                .enumerate()
                .find(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| (i + 1, l.trim_end()));
            let message = match first {
                Some((1, "+++")) => "TOML front matter (`+++`) is not read: opsbook runbooks carry YAML between `---` lines (`opsbook adopt` converts it)".to_string(),
                Some((n, "---" | "+++")) => format!(
                    "front matter starts on line {n}, after blank lines: `---` must be on line 1"
                ),
                _ => "no YAML front matter: expected `---` on line 1, the metadata, and a closing `---`".to_string(),
            };
            problems.push(Problem {
                kind: ProblemKind::FrontMatterMissing,
                file: rel.to_string(),
                line: first.map_or(1, |(n, _)| n),
                col: 1,
                message,
            });
        }
        return (Vec::new(), Some(body), false);
    };
    let line_offset = split.front_matter_line - 1;
    match yaml::parse(fm) {
        Ok(doc) => {
            if !doc.value.is_object() {
                problems.push(Problem {
                    kind: ProblemKind::FrontMatterInvalid,
                    file: rel.to_string(),
                    line: split.front_matter_line,
                    col: 1,
                    message: "front matter is not a YAML mapping of `key: value` lines".into(),
                });
                return (Vec::new(), Some(body), false);
            }
            (vec![ParsedDoc { doc, line_offset }], Some(body), true)
        }
        Err(e) => {
            problems.push(yaml_problem(rel, &e, line_offset));
            (Vec::new(), Some(body), false)
        }
    }
}

/// A TOML value as JSON (dates as their RFC 3339 text).
pub(crate) fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Number(i.into()),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Positions for a TOML document from the parser's spans: each key (and
/// each array element) at its line and column, under its JSON pointer.
fn toml_positions(text: &str, value: &Value) -> Document {
    let mut doc = Document {
        value: value.clone(),
        ..Document::default()
    };
    doc.positions.insert(String::new(), Pos { line: 1, col: 1 });
    let pos = |offset: usize| {
        let before = &text[..offset.min(text.len())];
        Pos {
            line: before.matches('\n').count() + 1,
            col: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        }
    };
    fn walk(
        v: &toml::de::DeValue<'_>,
        pointer: &str,
        pos: &dyn Fn(usize) -> Pos,
        doc: &mut Document,
    ) {
        match v {
            toml::de::DeValue::Table(t) => {
                for (k, v) in t.iter() {
                    let p = format!(
                        "{pointer}/{}",
                        k.get_ref().replace('~', "~0").replace('/', "~1")
                    );
                    let at = pos(k.span().start);
                    doc.positions.insert(p.clone(), at);
                    doc.key_positions.insert(p.clone(), at);
                    walk(v.get_ref(), &p, pos, doc);
                }
            }
            toml::de::DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    let p = format!("{pointer}/{i}");
                    doc.positions.insert(p.clone(), pos(v.span().start));
                    walk(v.get_ref(), &p, pos, doc);
                }
            }
            _ => {}
        }
    }
    if let Ok(t) = toml::de::DeTable::parse(text) {
        walk(
            &toml::de::DeValue::Table(t.into_inner()),
            "",
            &pos,
            &mut doc,
        );
    }
    doc
}

fn load_file(
    path: &Path,
    rel: &str,
    kind: &FileKind,
    size: u64,
    problems: &mut Vec<Problem>,
) -> SourceFile {
    let mut f = SourceFile {
        rel: rel.to_string(),
        path: path.to_path_buf(),
        kind: kind.clone(),
        size,
        docs: Vec::new(),
        body: None,
        parsed: false,
    };
    let limit = if matches!(kind, FileKind::Runbook | FileKind::Template) {
        MAX_RUNBOOK_BYTES
    } else {
        MAX_FILE_BYTES
    };
    // Ledgers and incident logs are read once, by the ledger checks, which
    // verify the chain and (incidents) the contract per event: not read here.
    let checked = !matches!(
        kind,
        FileKind::Other
            | FileKind::Excluded
            | FileKind::Contract
            | FileKind::Ledger
            | FileKind::IncidentEvents
    );
    if !checked {
        return f;
    }
    let text = match read_text(path, rel, limit, size) {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return f;
        }
    };
    if text.trim().is_empty() {
        problems.push(Problem {
            kind: ProblemKind::Empty,
            file: rel.to_string(),
            line: 1,
            col: 1,
            message: "file is empty".into(),
        });
        return f;
    }
    match kind {
        FileKind::Runbook | FileKind::Postmortem => {
            let (docs, body, ok) = load_markdown(rel, &text, true, problems);
            f.docs = docs;
            f.body = body.map(Box::new);
            f.parsed = ok;
        }
        FileKind::Template | FileKind::Spec => {
            let (docs, body, ok) = load_markdown(rel, &text, false, problems);
            f.docs = docs;
            f.body = body.map(Box::new);
            f.parsed = ok || f.body.is_some();
        }
        FileKind::Config => match toml::from_str::<toml::Value>(&text) {
            Ok(v) => {
                let json = toml_to_json(v);
                f.docs = vec![ParsedDoc {
                    doc: toml_positions(&text, &json),
                    line_offset: 0,
                }];
                f.parsed = true;
            }
            Err(e) => {
                let (line, col) = e.span().map_or((1, 1), |s| {
                    let before = &text[..s.start.min(text.len())];
                    (
                        before.matches('\n').count() + 1,
                        before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                    )
                });
                problems.push(Problem {
                    kind: ProblemKind::Toml,
                    file: rel.to_string(),
                    line,
                    col,
                    message: format!("invalid TOML: {}", e.message()),
                });
            }
        },
        // Other tools' YAML: what Prometheus (Go, libyaml rules) loads must load.
        FileKind::Alerts => match yaml::parse_stream_compat(&text) {
            Ok(docs) => {
                f.docs = docs
                    .into_iter()
                    .map(|doc| ParsedDoc {
                        doc,
                        line_offset: 0,
                    })
                    .collect();
                f.parsed = true;
            }
            Err(e) => problems.push(yaml_problem(rel, &e, 0)),
        },
        _ => match yaml::parse(&text) {
            Ok(doc) => {
                f.docs = vec![ParsedDoc {
                    doc,
                    line_offset: 0,
                }];
                f.parsed = true;
            }
            Err(e) => problems.push(yaml_problem(rel, &e, 0)),
        },
    }
    f
}

/// Converts a path under `root` into a `/`-separated relative path.
#[must_use]
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

impl Ssot {
    /// Reads only `opsbook.toml` (defaults when it is malformed: the full load
    /// reports that as a finding).
    ///
    /// # Errors
    /// As [`Ssot::load`].
    pub fn load_config(root: &Path) -> Result<Config, LoadError> {
        let p = root.join(CONFIG_FILE);
        if !root.is_dir() || !p.is_file() {
            return Err(LoadError::NotAnSsot(root.to_path_buf()));
        }
        let size = std::fs::metadata(&p)
            .map_err(|source| LoadError::Io {
                path: p.clone(),
                source,
            })?
            .len();
        let f = load_file(&p, CONFIG_FILE, &FileKind::Config, size, &mut Vec::new());
        Ok(f.value().map(Config::from_value).unwrap_or_default())
    }

    /// Reads `opsbook.toml` and refuses an invalid one (for commands that act
    /// on the platform, where a silently ignored setting — a hook — is
    /// dangerous).
    ///
    /// # Errors
    /// [`LoadError::NotAnSsot`], [`LoadError::Config`] naming the line.
    pub fn load_config_strict(root: &Path) -> Result<Config, LoadError> {
        let p = root.join(CONFIG_FILE);
        if !root.is_dir() || !p.is_file() {
            return Err(LoadError::NotAnSsot(root.to_path_buf()));
        }
        let size = std::fs::metadata(&p)
            .map_err(|source| LoadError::Io {
                path: p.clone(),
                source,
            })?
            .len();
        let mut problems = Vec::new();
        let f = load_file(&p, CONFIG_FILE, &FileKind::Config, size, &mut problems);
        if let Some(pr) = problems.first() {
            return Err(LoadError::Config {
                path: p,
                message: format!("line {}: {}; fix it first", pr.line, pr.message),
            });
        }
        Ok(f.value().map(Config::from_value).unwrap_or_default())
    }

    /// Loads the SSOT at `root`, keeping every parsed file in memory.
    ///
    /// Every file under the root is walked (except `.git`, `target`,
    /// `node_modules`), classified, read, decoded and parsed in parallel.
    /// Problems with single files are collected in [`Ssot::problems`].
    ///
    /// # Errors
    /// [`LoadError::NotAnSsot`] when `root/opsbook.toml` does not exist;
    /// [`LoadError::Io`] when the root cannot be read.
    pub fn load(root: &Path) -> Result<Ssot, LoadError> {
        Ssot::load_inner(root, |_| (), |(), _, _| (), false).map(|(s, _)| s)
    }

    /// Loads the SSOT keeping, for runbooks, only their metadata (see
    /// [`Ssot::load_streaming`]): for commands that do not read runbook bodies.
    ///
    /// # Errors
    /// As [`Ssot::load`].
    pub fn load_metadata(root: &Path) -> Result<Ssot, LoadError> {
        Ssot::load_inner(root, |_| (), |(), _, _| (), true).map(|(s, _)| s)
    }

    /// Loads the SSOT in two phases so that memory stays bounded however many
    /// runbooks there are: first every file that is not a runbook; then
    /// `prepare` builds a context from that partial SSOT; then each runbook is
    /// parsed, handed to `per_runbook` (in parallel), and released — only its
    /// [`RunbookMeta`] and the positions in [`Runbook::positions`] are kept.
    /// Returns the SSOT (runbook files without `docs`/`body`) and the
    /// per-runbook results in file order.
    ///
    /// # Errors
    /// As [`Ssot::load`].
    pub fn load_streaming<C, T, P, F>(
        root: &Path,
        prepare: P,
        per_runbook: F,
    ) -> Result<(Ssot, Vec<T>), LoadError>
    where
        C: Sync,
        T: Send,
        P: FnOnce(&Ssot) -> C,
        F: Fn(&C, &SourceFile, &RunbookMeta) -> T + Sync,
    {
        Ssot::load_inner(root, prepare, per_runbook, true)
    }

    fn load_inner<C, T, P, F>(
        root: &Path,
        prepare: P,
        per_runbook: F,
        release: bool,
    ) -> Result<(Ssot, Vec<T>), LoadError>
    where
        C: Sync,
        T: Send,
        P: FnOnce(&Ssot) -> C,
        F: Fn(&C, &SourceFile, &RunbookMeta) -> T + Sync,
    {
        let meta = std::fs::metadata(root).map_err(|source| LoadError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        if !meta.is_dir() || !root.join(CONFIG_FILE).is_file() {
            return Err(LoadError::NotAnSsot(root.to_path_buf()));
        }
        let mut problems = Vec::new();
        // Configuration first: it decides how other files are classified.
        let cfg_path = root.join(CONFIG_FILE);
        let cfg_size = std::fs::metadata(&cfg_path).map(|m| m.len()).unwrap_or(0);
        let cfg_file = load_file(
            &cfg_path,
            CONFIG_FILE,
            &FileKind::Config,
            cfg_size,
            &mut problems,
        );
        let config = cfg_file.value().map(Config::from_value).unwrap_or_default();
        let (exclude, bad_exclude) = build_globs(&config.exclude);
        let (alerts, bad_alerts) = build_globs(&config.alerts);
        for (key, bad) in [("exclude", bad_exclude), ("alerts", bad_alerts)] {
            let pos = cfg_file
                .doc()
                .map_or(Pos { line: 1, col: 1 }, |d| d.pos(&format!("/gate/{key}")));
            for message in bad {
                problems.push(Problem {
                    kind: ProblemKind::Toml,
                    file: CONFIG_FILE.to_string(),
                    line: pos.line,
                    col: pos.col,
                    message: format!("`[gate] {key}`: {message}"),
                });
            }
        }

        let mut entries: Vec<(PathBuf, String, u64, FileKind)> = Vec::new();
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !SKIP_DIRS.iter().any(|s| e.file_name() == *s));
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_file() {
                        let rel = rel_path(root, e.path());
                        if rel == CONFIG_FILE {
                            continue;
                        }
                        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                        let kind = classify(&rel, &exclude, &alerts);
                        entries.push((e.path().to_path_buf(), rel, size, kind));
                    }
                }
                Err(err) => {
                    let rel = err.path().map_or_else(String::new, |p| rel_path(root, p));
                    let message = if err.loop_ancestor().is_some() {
                        format!(
                            "symbolic link loop: `{rel}` points back to its ancestor `{}`",
                            err.loop_ancestor()
                                .map(|a| rel_path(root, a))
                                .unwrap_or_default()
                        )
                    } else {
                        format!("cannot walk: {err}")
                    };
                    problems.push(Problem {
                        kind: ProblemKind::Walk,
                        file: rel,
                        line: 1,
                        col: 1,
                        message,
                    });
                }
            }
        }
        let (runbook_entries, other_entries): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .partition(|(_, _, _, k)| *k == FileKind::Runbook);
        // Phase 1: everything but runbooks.
        let loaded: Vec<(SourceFile, Vec<Problem>)> = other_entries
            .par_iter()
            .map(|(path, rel, size, kind)| {
                let mut p = Vec::new();
                let f = load_file(path, rel, kind, *size, &mut p);
                (f, p)
            })
            .collect();
        let mut files = vec![cfg_file];
        for (f, p) in loaded {
            files.push(f);
            problems.extend(p);
        }
        let mut ssot = Ssot {
            root: root.to_path_buf(),
            config,
            files,
            runbooks: Vec::new(),
            problems,
        };
        let cx = prepare(&ssot);
        // Phase 2: runbooks, each checked and (when streaming) released.
        let done: Vec<(SourceFile, Runbook, T, Vec<Problem>)> = runbook_entries
            .par_iter()
            .map(|(path, rel, size, kind)| {
                let mut p = Vec::new();
                let mut f = load_file(path, rel, kind, *size, &mut p);
                let mut rb = runbook_of(0, &f);
                let out = per_runbook(&cx, &f, &rb.meta);
                if release {
                    f.docs = Vec::new();
                    f.body = None;
                    f.path = PathBuf::new();
                    rb.meta.slim();
                }
                (f, rb, out, p)
            })
            .collect();
        // Merge the two path-sorted lists (no second copy of either), pointing
        // each runbook at its file.
        let mut done = done;
        done.sort_by(|a, b| a.0.rel.cmp(&b.0.rel));
        let mut others = std::mem::take(&mut ssot.files);
        others.sort_by(|a, b| a.rel.cmp(&b.rel));
        let mut files = Vec::with_capacity(others.len() + done.len());
        let mut runbooks = Vec::with_capacity(done.len());
        let mut results = Vec::with_capacity(done.len());
        let mut others = others.into_iter().peekable();
        for (f, mut rb, out, p) in done {
            while let Some(o) = others.next_if(|o| o.rel < f.rel) {
                files.push(o);
            }
            rb.file = files.len();
            files.push(f);
            runbooks.push(rb);
            results.push(out);
            ssot.problems.extend(p);
        }
        files.extend(others);
        ssot.files = files;
        ssot.runbooks = runbooks;
        ssot.problems
            .sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
        Ok((ssot, results))
    }

    /// The kind of a path relative to the root, by this SSOT's configuration.
    #[must_use]
    pub fn kind_of(&self, rel: &str) -> FileKind {
        classify(
            rel,
            &build_globs(&self.config.exclude).0,
            &build_globs(&self.config.alerts).0,
        )
    }

    /// The first file of a kind.
    #[must_use]
    pub fn file_of(&self, kind: &FileKind) -> Option<&SourceFile> {
        self.files.iter().find(|f| &f.kind == kind)
    }

    /// A policy document by name (`degraded`, `safety-matrix`, …).
    #[must_use]
    pub fn policy(&self, name: &str) -> Option<&SourceFile> {
        self.file_of(&FileKind::Policy(name.to_string()))
    }

    /// A plan document by name (`verification`, `coverage`, …).
    #[must_use]
    pub fn plan(&self, name: &str) -> Option<&SourceFile> {
        self.file_of(&FileKind::Plan(name.to_string()))
    }

    /// The file of a runbook.
    #[must_use]
    pub fn runbook_file(&self, rb: &Runbook) -> &SourceFile {
        &self.files[rb.file]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_positions_come_from_the_parsers_spans() {
        let text = "# c\n[gate]\nbaseline = \"x\"\n  alerts = [\"a\", \"b\"]\n[safety.hooks.HALTED]\ncommand = [\"a\",\n  \"b\"]\n";
        let v = toml_to_json(toml::from_str::<toml::Value>(text).unwrap());
        let d = toml_positions(text, &v);
        let at = |p: &str| {
            let x = d.pos_of(p);
            (x.line, x.col)
        };
        assert_eq!(at("/gate"), (2, 2));
        assert_eq!(at("/gate/baseline"), (3, 1));
        assert_eq!(at("/gate/alerts"), (4, 3));
        assert_eq!(at("/gate/alerts/1"), (4, 18));
        assert_eq!(at("/safety/hooks/HALTED/command"), (6, 1));
        assert_eq!(at("/safety/hooks/HALTED/command/1"), (7, 3));
    }

    #[test]
    fn classification() {
        let (ex, _) = build_globs(&["runbooks/legacy/**".to_string()]);
        let (al, _) = build_globs(&[
            "alerts/**/*.yaml".to_string(),
            "!alerts/**/*_test.yaml".to_string(),
            "!alerts/**/*_tests.yaml".to_string(),
        ]);
        assert_eq!(
            classify("runbooks/platform/a.md", &ex, &al),
            FileKind::Runbook
        );
        assert_eq!(
            classify("runbooks/legacy/a.md", &ex, &al),
            FileKind::Excluded
        );
        assert_eq!(
            classify("runbooks/templates/runbook.md", &ex, &al),
            FileKind::Template
        );
        assert_eq!(
            classify("runbooks/runbooks.yaml", &ex, &al),
            FileKind::Registry
        );
        assert_eq!(
            classify("policy/safety-matrix.yaml", &ex, &al),
            FileKind::Policy("safety-matrix".into())
        );
        assert_eq!(
            classify("plans/verification.yml", &ex, &al),
            FileKind::Plan("verification".into())
        );
        assert_eq!(
            classify("incidents/INC-1/events.jsonl", &ex, &al),
            FileKind::IncidentEvents
        );
        assert_eq!(classify("alerts/x.yaml", &ex, &al), FileKind::Alerts);
        assert_eq!(classify("alerts/k8s/x.yaml", &ex, &al), FileKind::Alerts);
        assert_eq!(
            classify("alerts/k8s/x_tests.yaml", &ex, &al),
            FileKind::Other,
            "promtool's test files are excluded by `!`"
        );
        let (_, bad) = build_globs(&["alerts/[.yaml".to_string()]);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(classify("README.md", &ex, &al), FileKind::Other);
        assert_eq!(
            FileKind::Policy("time".into()).contract().as_deref(),
            Some("policy-time")
        );
    }

    #[test]
    fn toml_positions_find_keys() {
        let t = "[project]\nname = \"x\"\n\n[gate.levels]\nOB101 = \"warn\"\n";
        let v = toml_to_json(toml::from_str(t).unwrap());
        let d = toml_positions(t, &v);
        assert_eq!(d.pos_of("/gate/levels/OB101").line, 5);
        assert_eq!(d.pos_of("/project/name").line, 2);
    }
}
