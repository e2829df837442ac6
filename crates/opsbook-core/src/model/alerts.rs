//! Prometheus alerting rules and their runbook links (D-GATE-COVERAGE).
//!
//! Reads plain rule files (`groups:`), Kubernetes `PrometheusRule`
//! manifests (`spec.groups`) and `kind: List` of them, multi-document YAML
//! included, and checks where each alert's runbook link leads
//! ([`Resolver::check`], [`LinkStatus`]): absolute URLs under the runbook
//! base, repo-relative paths, directories (their `_index.md`/`index.md`/
//! `README.md`), the original paths recorded by `adopt`, and whether a
//! `#fragment` is a heading or anchor of the page. Templated links
//! (`{{ $labels.x }}`) are reported as templated, never as covered.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

use crate::ssot::{ParsedDoc, Ssot};

/// One alerting rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertRule {
    /// The alert name.
    pub alert: String,
    /// File relative to the SSOT root (or as given).
    pub file: String,
    /// 1-based line of the `alert:` key.
    pub line: usize,
    /// `labels.severity`, if any.
    pub severity: Option<String>,
    /// The runbook link (`runbook_url` or `runbook`, in annotations or labels).
    pub runbook_url: Option<String>,
    /// `annotations.summary` and `annotations.description` (what the page
    /// shows the operator; searched by `opsbook find`, not reported).
    #[serde(skip)]
    pub text: Vec<String>,
}

/// Extracts alerting rules (not recording rules) from parsed YAML documents.
#[must_use]
pub fn extract(file: &str, docs: &[ParsedDoc]) -> Vec<AlertRule> {
    let mut out = Vec::new();
    for d in docs {
        // A `kind: List` of manifests (`kubectl get -o yaml`): each item.
        let roots: Vec<(&Value, String)> = match d.doc.value.get("items").and_then(Value::as_array)
        {
            Some(items) if d.doc.value.get("kind").and_then(Value::as_str) == Some("List") => items
                .iter()
                .enumerate()
                .map(|(i, v)| (v, format!("/items/{i}")))
                .collect(),
            _ => vec![(&d.doc.value, String::new())],
        };
        for (v, root) in roots {
            extract_one(file, d, v, &root, &mut out);
        }
    }
    out
}

fn extract_one(file: &str, d: &ParsedDoc, v: &Value, root: &str, out: &mut Vec<AlertRule>) {
    {
        let (groups, prefix) = match (v.get("groups"), v.get("spec").and_then(|s| s.get("groups")))
        {
            (Some(g), _) => (g, format!("{root}/groups")),
            (None, Some(g)) => (g, format!("{root}/spec/groups")),
            _ => return,
        };
        let Some(groups) = groups.as_array() else {
            return;
        };
        for (gi, g) in groups.iter().enumerate() {
            let Some(rules) = g.get("rules").and_then(Value::as_array) else {
                continue;
            };
            for (ri, r) in rules.iter().enumerate() {
                let Some(name) = r.get("alert").and_then(Value::as_str) else {
                    continue;
                };
                let pick = |k: &str| -> Option<String> {
                    for section in ["annotations", "labels"] {
                        if let Some(s) = r
                            .get(section)
                            .and_then(|a| a.get(k))
                            .and_then(Value::as_str)
                            && !s.trim().is_empty()
                        {
                            return Some(s.trim().to_string());
                        }
                    }
                    None
                };
                let ptr = format!("{prefix}/{gi}/rules/{ri}/alert");
                out.push(AlertRule {
                    alert: name.to_string(),
                    file: file.to_string(),
                    line: d.key_pos(&ptr).line,
                    severity: r
                        .get("labels")
                        .and_then(|l| l.get("severity"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    runbook_url: pick("runbook_url").or_else(|| pick("runbook")),
                    text: ["summary", "description"]
                        .iter()
                        .filter_map(|k| {
                            r.get("annotations")
                                .and_then(|a| a.get(*k))
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        })
                        .collect(),
                });
            }
        }
    }
}

/// An alert rule file that could not be read: a finding with its place;
/// the other files are still checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unreadable {
    /// The file as shown (relative to the SSOT root when inside it).
    pub file: String,
    /// 1-based line (1 when the whole file is concerned).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// The rule files under `paths`: a file as given, a directory's `*.yaml`
/// and `*.yml` files (recursively, sorted), minus those matching an
/// `exclude` glob (matched against the path below the directory given, and
/// against the file name: `*_test.yaml` leaves promtool's tests out).
///
/// # Errors
/// A message naming a path that does not exist, a directory that cannot be
/// read, or an invalid glob.
pub fn rule_files(paths: &[PathBuf], exclude: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut b = globset::GlobSetBuilder::new();
    for g in exclude {
        let glob = globset::Glob::new(g.trim_start_matches('!'))
            .map_err(|e| format!("invalid --exclude glob `{g}`: {}", e.kind()))?;
        b.add(glob);
    }
    let ex = b.build().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else if p.is_dir() {
            for e in walkdir::WalkDir::new(p).sort_by_file_name() {
                let e = e.map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
                let l = e.file_name().to_string_lossy().to_lowercase();
                if !e.file_type().is_file() || !(l.ends_with(".yaml") || l.ends_with(".yml")) {
                    continue;
                }
                let below = crate::ssot::rel_path(p, e.path());
                if ex.is_match(&below) || ex.is_match(e.file_name()) {
                    continue;
                }
                out.push(e.into_path());
            }
        } else {
            return Err(format!("--alerts `{}` does not exist", p.display()));
        }
    }
    Ok(out)
}

/// Reads one rule file (UTF-8/UTF-16, BOM, CRLF; YAML as Prometheus loads it,
/// [`crate::syntax::yaml::parse_stream_compat`]) and extracts its alerting rules.
/// `shown` names the file in the rules and in the error.
///
/// # Errors
/// [`Unreadable`] with the line when the file cannot be read, decoded or parsed.
pub fn read_rules(path: &Path, shown: &str) -> Result<Vec<AlertRule>, Unreadable> {
    let bytes = std::fs::read(path).map_err(|e| Unreadable {
        file: shown.to_string(),
        line: 1,
        column: 1,
        message: format!("cannot read: {e}"),
    })?;
    let text = crate::syntax::text::decode(&bytes).map_err(|e| Unreadable {
        file: shown.to_string(),
        line: e.line,
        column: 1,
        message: format!("not decodable text at byte {}: {}", e.offset, e.reason),
    })?;
    let docs = crate::syntax::yaml::parse_stream_compat(&text.text).map_err(|e| Unreadable {
        file: shown.to_string(),
        line: e.pos.line.max(1),
        column: e.pos.col.max(1),
        message: format!("invalid YAML: {}", e.message),
    })?;
    let docs: Vec<ParsedDoc> = docs
        .into_iter()
        .map(|doc| ParsedDoc {
            doc,
            line_offset: 0,
        })
        .collect();
    Ok(extract(shown, &docs))
}

/// What an alert's runbook link leads to (D-GATE-COVERAGE). The operator
/// woken at 3 a.m. clicks the link, so the link itself must lead to the
/// procedure; the coverage matrix naming a runbook is a separate fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkStatus {
    /// The link leads to a registered runbook (and to its `#fragment`).
    Ok,
    /// No `runbook_url` / `runbook` annotation or label.
    Missing,
    /// Under the runbook base (or relative), but no registered runbook there.
    Dead,
    /// An absolute URL outside `runbook_url_base`: nothing opsbook can check.
    Foreign,
    /// The page is there, its `#fragment` is not (no heading slug or anchor).
    AnchorMissing,
    /// Found only when letter case is ignored: a case-sensitive server
    /// (GitHub, S3, most web servers) answers 404.
    CaseMismatch,
    /// `{{ … }}` in the link: cannot be resolved statically.
    Templated,
}

impl LinkStatus {
    /// The kebab-case name used in reports (`ok`, `dead`, `anchor-missing`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Ok => "ok",
            LinkStatus::Missing => "missing",
            LinkStatus::Dead => "dead",
            LinkStatus::Foreign => "foreign",
            LinkStatus::AnchorMissing => "anchor-missing",
            LinkStatus::CaseMismatch => "case-mismatch",
            LinkStatus::Templated => "templated",
        }
    }

    /// Whether the operator who clicks the link reaches the runbook's page
    /// (`ok`, or `case-mismatch`, which still names the runbook and is
    /// reported as a warning).
    #[must_use]
    pub fn reaches_page(self) -> bool {
        matches!(self, LinkStatus::Ok | LinkStatus::CaseMismatch)
    }
}

/// One link checked: its status, the runbook it reaches, and why when not `ok`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCheck {
    /// What the link leads to.
    pub status: LinkStatus,
    /// The runbook the link names (`ok`, `anchor-missing`, `case-mismatch`).
    pub runbook: Option<String>,
    /// Why, for every status but `ok`.
    pub detail: Option<String>,
}

impl LinkCheck {
    fn new(status: LinkStatus, runbook: Option<String>, detail: Option<String>) -> LinkCheck {
        LinkCheck {
            status,
            runbook,
            detail,
        }
    }
}

/// Resolves runbook links to registered runbook IDs and checks their
/// fragments against the runbook's headings and anchors.
///
/// A link resolves when, after the runbook base (absolute URLs) or as
/// written (relative links), its path is `runbooks/<registry path>` or the
/// runbook's `original_path` (recorded by `adopt`) — or, when the base
/// itself ends in `/runbooks/`, the registry path. Extensions (`.md`,
/// `.html` for a `page.html.md(.erb)` source, `.md.erb`, `.mdx`) and
/// directory index pages (`_index.md`, `index.md`, `README.md`) do not
/// matter. A URL that drops a leading part of that path (the runbooks'
/// prefix) does not resolve. Letter case: a path with a Markdown extension
/// names a file and must match exactly; a rendered-page URL may be all lower
/// case (Hugo lower-cases URLs); any other case-only difference is
/// [`LinkStatus::CaseMismatch`].
#[derive(Debug, Default)]
pub struct Resolver {
    /// `scheme://host/path` of the base, lower-cased, without trailing `/`.
    base: Option<String>,
    /// normalised path (case kept) → runbook IDs
    exact: HashMap<String, Vec<String>>,
    /// normalised path, lower case → runbook IDs
    folded: HashMap<String, Vec<String>>,
    /// lower-case ID → ID
    ids: HashMap<String, String>,
    /// ID → runbook file, for fragment checks
    files: HashMap<String, PathBuf>,
    /// ID → the page's anchors (read on first use; `None`: unreadable)
    anchors: Mutex<HashMap<String, Option<BTreeSet<String>>>>,
}

/// Markdown source extensions: a link ending in one names a file.
use crate::syntax::markdown::MARKDOWN_EXTS as SOURCE_EXTS;
/// Rendered-page extensions.
const PAGE_EXTS: &[&str] = &[".html", ".htm"];

/// A link path normalised for lookup: no fragment or query, `\` as `/`, no
/// leading `./` or `/`, no trailing `/`, no Markdown or HTML extension, no
/// directory index page; letter case kept. Returns the path and whether it
/// named a Markdown source file (extension present).
fn normalize_keep_case(p: &str) -> (String, bool) {
    let p = p.split(['#', '?']).next().unwrap_or("");
    let mut p = p.replace('\\', "/");
    while let Some(r) = p.strip_prefix("./") {
        p = r.to_string();
    }
    let mut p = p.trim_matches('/').to_string();
    let lower = p.to_ascii_lowercase();
    let mut file = false;
    if let Some(ext) = SOURCE_EXTS.iter().find(|e| lower.ends_with(*e)) {
        p.truncate(p.len() - ext.len());
        file = true;
    } else if let Some(ext) = PAGE_EXTS.iter().find(|e| lower.ends_with(*e)) {
        p.truncate(p.len() - ext.len());
    }
    // A directory's page: `dir/_index`, `dir/index`, `dir/readme` → `dir`.
    for idx in ["/_index", "/index", "/readme"] {
        if p.to_ascii_lowercase().ends_with(idx) {
            p.truncate(p.len() - idx.len());
        }
    }
    if ["_index", "index", "readme"].contains(&p.to_ascii_lowercase().as_str()) {
        p.clear();
    }
    (p, file)
}

/// Normalises a link path as [`Resolver`] compares paths, lower-cased.
#[must_use]
pub fn normalize_path(p: &str) -> String {
    normalize_keep_case(p).0.to_lowercase()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

impl Resolver {
    /// Builds a resolver from the SSOT's registry and runbook files.
    ///
    /// `base` is the URL prefix under which runbook links live
    /// (`--runbook-base`, else `runbook_url_base` in `opsbook.toml`).
    #[must_use]
    pub fn new(ssot: &Ssot, base: Option<&str>) -> Resolver {
        let base = base
            .map(|b| b.trim().trim_end_matches('/').to_lowercase())
            .filter(|b| !b.is_empty());
        let base_is_runbooks = base
            .as_deref()
            .and_then(|b| b.rsplit('/').next())
            .is_some_and(|last| last == "runbooks");
        let mut r = Resolver {
            base,
            ..Resolver::default()
        };
        let registry = ssot
            .file_of(&crate::ssot::FileKind::Registry)
            .and_then(|f| f.value())
            .map(crate::model::registry_entries)
            .unwrap_or_default();
        let add = |r: &mut Resolver, path: &str, id: &str| {
            let (n, _) = normalize_keep_case(path);
            if n.is_empty() {
                return;
            }
            push_unique(r.folded.entry(n.to_lowercase()).or_default(), id);
            push_unique(r.exact.entry(n).or_default(), id);
        };
        let add_runbook = |r: &mut Resolver, registry_path: &str, id: &str| {
            add(r, &format!("runbooks/{registry_path}"), id);
            if base_is_runbooks {
                add(r, registry_path, id);
            }
            r.ids.insert(id.to_lowercase(), id.to_string());
        };
        for e in &registry {
            if e.id.is_empty() {
                continue;
            }
            add_runbook(&mut r, &e.path, &e.id);
            if let Some(o) = &e.original_path {
                add(&mut r, o, &e.id);
            }
        }
        for rb in &ssot.runbooks {
            if let Some(id) = &rb.meta.id {
                add_runbook(&mut r, &rb.registry_path, id);
                r.files
                    .entry(id.clone())
                    .or_insert_with(|| ssot.root.join("runbooks").join(&rb.registry_path));
            }
        }
        r
    }

    /// Checks one link: where it leads, and whether its `#fragment` exists.
    #[must_use]
    pub fn check(&self, link: Option<&str>) -> LinkCheck {
        let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) else {
            return LinkCheck::new(
                LinkStatus::Missing,
                None,
                Some("no runbook_url or runbook annotation".into()),
            );
        };
        if link.contains("{{") || link.contains("{%") {
            return LinkCheck::new(
                LinkStatus::Templated,
                None,
                Some("templated link cannot be resolved statically".into()),
            );
        }
        let (before_fragment, fragment) = match link.split_once('#') {
            Some((a, f)) => (a, Some(f)),
            None => (link, None),
        };
        let without_query = before_fragment.split('?').next().unwrap_or("");
        // (path after the base or as written, may carry extra leading segments)
        let (rest, anywhere) = if let Some(scheme_end) = without_query.find("://") {
            match &self.base {
                Some(base) => {
                    let lower = without_query.to_lowercase();
                    let under = lower.starts_with(base.as_str())
                        && matches!(lower.as_bytes().get(base.len()), None | Some(b'/'));
                    if !under {
                        return LinkCheck::new(
                            LinkStatus::Foreign,
                            None,
                            Some(format!("link is not under the runbook base `{base}/`")),
                        );
                    }
                    (without_query[base.len()..].to_string(), false)
                }
                None => {
                    let after = &without_query[scheme_end + 3..];
                    (
                        after
                            .find('/')
                            .map_or(String::new(), |i| after[i..].to_string()),
                        true,
                    )
                }
            }
        } else if without_query.contains(':') && !without_query.contains('/') {
            return LinkCheck::new(
                LinkStatus::Foreign,
                None,
                Some("link is not a runbook page (a URI of another scheme)".into()),
            );
        } else {
            (without_query.to_string(), false)
        };
        let (path, file_link) = normalize_keep_case(&percent_decode(&rest));
        if path.is_empty() {
            return LinkCheck::new(
                LinkStatus::Dead,
                None,
                Some("the link names the runbook site's root, not a runbook".into()),
            );
        }
        let found = self.lookup(&path, anywhere, file_link);
        let (id, case_note) = match found {
            Lookup::Found(id, exact) => (id, exact),
            Lookup::Ambiguous(ids) => {
                return LinkCheck::new(
                    LinkStatus::Dead,
                    None,
                    Some(format!(
                        "the link matches several runbooks ({}); link one of them exactly",
                        ids.join(", ")
                    )),
                );
            }
            Lookup::None => {
                let why = match &self.base {
                    None if anywhere => {
                        "no registered runbook at that link (no `runbook_url_base` is configured)"
                            .to_string()
                    }
                    _ => "no registered runbook at that link".to_string(),
                };
                return LinkCheck::new(LinkStatus::Dead, None, Some(why));
            }
        };
        if let Some(f) = fragment.filter(|f| !f.is_empty())
            && !self.page_has(&id, f)
        {
            return LinkCheck::new(
                LinkStatus::AnchorMissing,
                Some(id.clone()),
                Some(format!(
                    "`#{f}` is not a heading or anchor of `{id}`: the page opens at its top"
                )),
            );
        }
        match case_note {
            None => LinkCheck::new(LinkStatus::Ok, Some(id), None),
            Some(actual) => LinkCheck::new(
                LinkStatus::CaseMismatch,
                Some(id),
                Some(format!(
                    "the link finds the runbook only ignoring letter case (the page is `{actual}`)"
                )),
            ),
        }
    }

    fn lookup(&self, path: &str, anywhere: bool, file_link: bool) -> Lookup {
        // Candidate keys: the path, and with `anywhere` (absolute URL, no
        // base known) every tail of it.
        let segs: Vec<&str> = path.split('/').collect();
        let tails: Vec<String> = if anywhere {
            (0..segs.len()).map(|i| segs[i..].join("/")).collect()
        } else {
            vec![path.to_string()]
        };
        for key in &tails {
            match self.exact.get(key).map(Vec::as_slice) {
                Some([id]) => return Lookup::Found(id.clone(), None),
                Some(ids) if ids.len() > 1 => return Lookup::Ambiguous(ids.to_vec()),
                _ => {}
            }
            let lower = key.to_lowercase();
            match self.folded.get(&lower).map(Vec::as_slice) {
                Some([id]) => {
                    // A rendered page's URL all in lower case is how Hugo
                    // publishes it; anything else differing in case is not.
                    let site_lower = !file_link && *key == lower;
                    let note = if site_lower {
                        None
                    } else {
                        Some(self.page_name(id, &lower))
                    };
                    return Lookup::Found(id.clone(), note);
                }
                Some(ids) if ids.len() > 1 => return Lookup::Ambiguous(ids.to_vec()),
                _ => {}
            }
        }
        if let Some(id) = segs.last().and_then(|l| self.ids.get(&l.to_lowercase())) {
            return Lookup::Found(id.clone(), None);
        }
        Lookup::None
    }

    /// The registered spelling of a path that matched ignoring case.
    fn page_name(&self, id: &str, lower: &str) -> String {
        self.exact
            .iter()
            .find(|(k, ids)| k.to_lowercase() == lower && ids.iter().any(|i| i == id))
            .map_or_else(|| id.to_string(), |(k, _)| k.clone())
    }

    fn page_has(&self, id: &str, fragment: &str) -> bool {
        let Ok(mut cache) = self.anchors.lock() else {
            return false;
        };
        let anchors = cache.entry(id.to_string()).or_insert_with(|| {
            let path = self.files.get(id)?;
            let bytes = std::fs::read(path).ok()?;
            let text = crate::syntax::text::decode(&bytes).ok()?.text;
            let split = crate::syntax::markdown::split_front_matter(&text).ok()?;
            let body = crate::syntax::markdown::parse_body(split.body, split.body_line);
            Some(crate::syntax::anchors::anchors(&body))
        });
        anchors
            .as_ref()
            .is_some_and(|a| crate::syntax::anchors::has_fragment(a, fragment))
    }
}

enum Lookup {
    /// The runbook, and (for a case-only match) the page's real spelling.
    Found(String, Option<String>),
    Ambiguous(Vec<String>),
    None,
}

fn push_unique(v: &mut Vec<String>, id: &str) {
    if !v.iter().any(|x| x == id) {
        v.push(id.to_string());
    }
}

/// An alert's priority and how it was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priority {
    /// P0 | P1 | P2.
    pub level: String,
    /// Whether the `severity` label is in `alert_severity_map`. When not
    /// (absent, or e.g. `high`), the level follows the policy's rule for
    /// unknowns (`missing_facts`): it escalates to P0, never a silent P2.
    pub mapped: bool,
}

/// Maps an alert's `severity` label to P0/P1/P2 (`alert_severity_map` in
/// `policy/severity.yaml`; defaults critical/page → P0, error/warning → P1,
/// info/none → P2). A label missing from the map, or no label, escalates to
/// P0 as the policy's `missing_facts` rule says of unknowns (`escalate`, the
/// default; `fail` refuses to guess, which for an alert that may page at
/// night is the same P0).
#[derive(Debug, Clone)]
pub struct SeverityMap(BTreeMap<String, String>);

impl SeverityMap {
    /// Reads the map from the severity policy, or the defaults.
    #[must_use]
    pub fn from_policy(policy: Option<&Value>) -> SeverityMap {
        let mut m: BTreeMap<String, String> = [
            ("critical", "P0"),
            ("page", "P0"),
            ("error", "P1"),
            ("warning", "P1"),
            ("info", "P2"),
            ("none", "P2"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        if let Some(map) = policy
            .and_then(|p| p.get("alert_severity_map"))
            .and_then(Value::as_object)
        {
            for (k, v) in map {
                if let Some(v) = v.as_str() {
                    m.insert(k.to_lowercase(), v.to_string());
                }
            }
        }
        SeverityMap(m)
    }

    /// The priority for a severity label (P0 when unknown or absent).
    #[must_use]
    pub fn priority(&self, severity: Option<&str>) -> Priority {
        match severity.and_then(|s| self.0.get(&s.trim().to_lowercase())) {
            Some(level) => Priority {
                level: level.clone(),
                mapped: true,
            },
            None => Priority {
                level: "P0".to_string(),
                mapped: false,
            },
        }
    }

    /// The mapped label values, sorted (for messages).
    #[must_use]
    pub fn labels(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        assert_eq!(
            normalize_path("./Alerts/Foo/BarAlert.md#diagnosis"),
            "alerts/foo/baralert"
        );
        assert_eq!(normalize_path("/runbooks/node/_index.md"), "runbooks/node");
        assert_eq!(normalize_path("source/x.html.md.erb"), "source/x");
        assert_eq!(normalize_path("dir/"), "dir");
    }

    #[test]
    fn extract_from_prometheus_rule_manifest() {
        let src = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups:\n  - name: g\n    rules:\n    - record: x\n      expr: y\n    - alert: Foo\n      labels: {severity: critical}\n      annotations: {runbook_url: 'https://r/x/foo'}\n    - alert: Bar\n      labels: {severity: warning, runbook: 'rb/bar.md'}\n---\ngroups:\n- name: h\n  rules:\n  - alert: Baz\n";
        let docs: Vec<ParsedDoc> = crate::syntax::yaml::parse_stream(src)
            .unwrap()
            .into_iter()
            .map(|doc| ParsedDoc {
                doc,
                line_offset: 0,
            })
            .collect();
        let rules = extract("a.yaml", &docs);
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].alert, "Foo");
        assert_eq!(rules[0].line, 9);
        assert_eq!(rules[0].runbook_url.as_deref(), Some("https://r/x/foo"));
        assert_eq!(rules[1].runbook_url.as_deref(), Some("rb/bar.md"));
        assert_eq!(rules[2].severity, None);
        assert_eq!(rules[2].line, 18, "positions are absolute in the stream");
    }
}
