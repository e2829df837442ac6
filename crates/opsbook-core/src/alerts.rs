//! Prometheus alerting rules and their runbook links (D-GATE-COVERAGE).
//!
//! Reads plain rule files (`groups:`) and Kubernetes `PrometheusRule`
//! manifests (`spec.groups`), multi-document YAML included, and resolves each
//! alert's runbook link against the SSOT's registry: absolute URLs under a
//! base, repo-relative paths, directories (their `_index.md`/`index.md`/
//! `README.md`), `#anchors`, and the original paths recorded by `adopt`.
//! Templated links (`{{ $labels.x }}`) are reported as templated, never as
//! covered.

use std::collections::{BTreeMap, HashMap};

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
}

/// Extracts alerting rules (not recording rules) from parsed YAML documents.
#[must_use]
pub fn extract(file: &str, docs: &[ParsedDoc]) -> Vec<AlertRule> {
    let mut out = Vec::new();
    for d in docs {
        let v = &d.doc.value;
        let (groups, prefix) = match (v.get("groups"), v.get("spec").and_then(|s| s.get("groups")))
        {
            (Some(g), _) => (g, "/groups"),
            (None, Some(g)) => (g, "/spec/groups"),
            _ => continue,
        };
        let Some(groups) = groups.as_array() else {
            continue;
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
                });
            }
        }
    }
    out
}

/// How an alert's link resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Resolution {
    /// The link names a registered runbook.
    Runbook(String),
    /// The link is templated and cannot be resolved statically.
    Templated,
    /// The link is absolute but not under the configured base.
    External,
    /// The link resolves to nothing registered.
    NotFound,
    /// No link at all.
    NoLink,
}

/// Resolves runbook links to registered runbook IDs.
#[derive(Debug, Default)]
pub struct Resolver {
    base: Option<String>,
    /// normalised full path → runbook IDs
    full: HashMap<String, Vec<String>>,
    /// every proper suffix (by segments) of a normalised path → runbook IDs
    suffix: HashMap<String, Vec<String>>,
    ids: HashMap<String, String>,
}

/// Normalises a link path: no fragment or query, no leading `./` or `/`, no
/// trailing `/`, no `.md`/`.html`/`.md.erb` extension, lower case, `\` as `/`.
#[must_use]
pub fn normalize_path(p: &str) -> String {
    let p = p.split(['#', '?']).next().unwrap_or("");
    let mut p = p.replace('\\', "/").to_lowercase();
    while let Some(r) = p.strip_prefix("./") {
        p = r.to_string();
    }
    let mut p = p.trim_matches('/').to_string();
    for ext in [".html.md.erb", ".md.erb", ".markdown", ".md", ".html"] {
        if let Some(r) = p.strip_suffix(ext) {
            p = r.to_string();
            break;
        }
    }
    // A directory's page: `dir/_index`, `dir/index`, `dir/readme` → `dir`.
    for idx in ["/_index", "/index", "/readme"] {
        if let Some(r) = p.strip_suffix(idx) {
            p = r.to_string();
        }
    }
    p
}

impl Resolver {
    /// Builds a resolver from the SSOT's registry and runbook files.
    ///
    /// `base` is the URL prefix under which runbook links live
    /// (`--runbook-base`, else `runbook_url_base` in `opsbook.toml`).
    #[must_use]
    pub fn new(ssot: &Ssot, base: Option<&str>) -> Resolver {
        let mut r = Resolver {
            base: base.map(|b| b.trim_end_matches('/').to_lowercase()),
            ..Resolver::default()
        };
        let registry = ssot
            .file_of(&crate::ssot::FileKind::Registry)
            .and_then(|f| f.value())
            .map(crate::model::registry_entries)
            .unwrap_or_default();
        let add = |r: &mut Resolver, path: &str, id: &str| {
            let n = normalize_path(path);
            if n.is_empty() {
                return;
            }
            push_unique(r.full.entry(n.clone()).or_default(), id);
            let segs: Vec<&str> = n.split('/').collect();
            for i in 1..segs.len() {
                push_unique(r.suffix.entry(segs[i..].join("/")).or_default(), id);
            }
        };
        for e in &registry {
            if e.id.is_empty() {
                continue;
            }
            add(&mut r, &e.path, &e.id);
            add(&mut r, &format!("runbooks/{}", e.path), &e.id);
            if let Some(o) = &e.original_path {
                add(&mut r, o, &e.id);
            }
            r.ids.insert(e.id.to_lowercase(), e.id.clone());
        }
        for rb in &ssot.runbooks {
            if let Some(id) = &rb.meta.id {
                add(&mut r, &rb.registry_path, id);
                r.ids.insert(id.to_lowercase(), id.clone());
            }
        }
        r
    }

    /// Resolves one link.
    #[must_use]
    pub fn resolve(&self, link: Option<&str>) -> Resolution {
        let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) else {
            return Resolution::NoLink;
        };
        if link.contains("{{") || link.contains("{%") {
            return Resolution::Templated;
        }
        let lower = link.to_lowercase();
        let rest = if let Some(scheme_end) = lower.find("://") {
            match &self.base {
                Some(base) if lower.starts_with(base.as_str()) => lower[base.len()..].to_string(),
                Some(_) => return Resolution::External,
                None => {
                    let after = &lower[scheme_end + 3..];
                    after
                        .find('/')
                        .map_or(String::new(), |i| after[i..].to_string())
                }
            }
        } else {
            lower
        };
        let n = normalize_path(&rest);
        if n.is_empty() {
            return Resolution::NotFound;
        }
        let unique = |v: Option<&Vec<String>>| v.filter(|v| v.len() == 1).map(|v| v[0].clone());
        if let Some(id) = unique(self.full.get(&n)) {
            return Resolution::Runbook(id);
        }
        if let Some(id) = unique(self.suffix.get(&n)) {
            return Resolution::Runbook(id);
        }
        let segs: Vec<&str> = n.split('/').collect();
        for i in 1..segs.len() {
            if let Some(id) = unique(self.full.get(&segs[i..].join("/"))) {
                return Resolution::Runbook(id);
            }
        }
        if let Some(id) = segs.last().and_then(|l| self.ids.get(*l)) {
            return Resolution::Runbook(id.clone());
        }
        Resolution::NotFound
    }
}

fn push_unique(v: &mut Vec<String>, id: &str) {
    if !v.iter().any(|x| x == id) {
        v.push(id.to_string());
    }
}

/// Maps an alert's `severity` label to P0/P1/P2 (`alert_severity_map` in
/// `policy/severity.yaml`; defaults critical/page → P0, warning → P1, else P2).
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

    /// The priority for a severity label (`P2` when unknown or absent).
    #[must_use]
    pub fn priority(&self, severity: Option<&str>) -> String {
        severity
            .and_then(|s| self.0.get(&s.to_lowercase()))
            .cloned()
            .unwrap_or_else(|| "P2".to_string())
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
        let docs: Vec<ParsedDoc> = crate::yaml::parse_stream(src)
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
