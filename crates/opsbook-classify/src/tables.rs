//! The classifier's rule tables: the TOML files under `data/`, embedded,
//! parsed and checked once per process, and indexed for look-up.
//!
//! The files are the documentation of record (each starts with a comment
//! that explains its fields); `docs/tiers.md` is rendered from the same rows
//! (see [`crate::docs`]). A malformed row never panics: loading returns every
//! problem found, and the classifier then fails closed (T2) on every step.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use opsbook_core::model::Tier;
use serde::Deserialize;

/// The embedded `data/powershell.toml`.
pub const POWERSHELL_TOML: &str = include_str!("../data/powershell.toml");
/// The embedded `data/native.toml`.
pub const NATIVE_TOML: &str = include_str!("../data/native.toml");
/// The embedded `data/http.toml`.
pub const HTTP_TOML: &str = include_str!("../data/http.toml");
/// The embedded `data/dotnet.toml`.
pub const DOTNET_TOML: &str = include_str!("../data/dotnet.toml");

// ---------------------------------------------------------------------------
// Raw rows, as written in the files.
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPowerShell {
    pub verbs: Vec<RawVerb>,
    pub cmdlets: Vec<RawCmdlet>,
    pub aliases: Vec<RawAlias>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVerb {
    pub verb: String,
    pub tier: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCmdlet {
    pub name: String,
    pub tier: String,
    pub why: String,
    #[serde(default)]
    pub whatif: bool,
    #[serde(default)]
    pub raise: Vec<(String, String)>,
    #[serde(default)]
    pub unless: Option<(String, String)>,
    #[serde(default)]
    pub session: bool,
    #[serde(default)]
    pub handler: Option<String>,
    #[serde(default)]
    pub data: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlias {
    pub alias: String,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub ps51: Option<String>,
    #[serde(default)]
    pub ps7: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNative {
    pub tools: Vec<RawTool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTool {
    pub names: Vec<String>,
    pub why: String,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub no_args: Option<String>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub handler: Option<String>,
    #[serde(default)]
    pub windows: bool,
    #[serde(default)]
    pub value_options: Vec<String>,
    #[serde(default)]
    pub skip: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    #[serde(default)]
    pub sub: Vec<String>,
    #[serde(default)]
    pub at: Option<usize>,
    #[serde(default)]
    pub prefix: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub with: Vec<String>,
    #[serde(default)]
    pub without: Vec<String>,
    #[serde(default)]
    pub min_args: Option<usize>,
    #[serde(default)]
    pub max_args: Option<usize>,
    pub tier: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttp {
    pub methods: Vec<RawMethod>,
    pub endpoints: Vec<RawEndpoint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMethod {
    pub method: String,
    pub tier: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndpoint {
    pub contains: String,
    pub tier: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDotnet {
    pub accelerators: Vec<RawAccelerator>,
    pub local_types: Vec<String>,
    pub statics: Vec<RawStatic>,
    pub constructors: Vec<RawConstructor>,
    pub methods: Vec<RawMethods>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccelerator {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStatic {
    #[serde(rename = "type")]
    pub ty: String,
    pub member: String,
    pub tier: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConstructor {
    #[serde(rename = "type")]
    pub ty: String,
    pub tier: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMethods {
    pub names: Vec<String>,
    pub tier: String,
    pub why: String,
}

// ---------------------------------------------------------------------------
// Compiled tables.
// ---------------------------------------------------------------------------

/// A tier with the one line that explains it.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub tier: Tier,
    pub why: String,
}

/// A special reading of a cmdlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmdletHandler {
    Http,
    Iex,
    StartProcess,
    ScriptBlockHost,
    ForEach,
    Tee,
    NewObject,
}

#[derive(Debug, Clone)]
pub(crate) struct Cmdlet {
    pub name: String,
    pub tier: Tier,
    pub why: String,
    pub whatif: bool,
    /// Lower-cased parameter name, tier.
    pub raise: Vec<(String, Tier)>,
    /// Lower-cased parameter name, lower-cased value.
    pub unless: Option<(String, String)>,
    pub session: bool,
    pub handler: Option<CmdletHandler>,
    pub data: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Alias {
    /// The meaning on Windows PowerShell 5.1; `None` = the native program.
    pub ps51: Option<String>,
    /// The meaning on PowerShell 7; `None` = the native program.
    pub ps7: Option<String>,
}

/// A special reading of a native program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToolHandler {
    Http,
    ShellC,
    PowerShell,
    Wrapper,
    Find,
    Awk,
    Sed,
    Eval,
    Dd,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// Each entry is one or more consecutive positional words.
    pub sub: Vec<Vec<String>>,
    pub at: usize,
    pub prefix: Vec<String>,
    pub any: Vec<String>,
    pub contains: Vec<String>,
    pub with: Vec<String>,
    pub without: Vec<String>,
    pub min_args: Option<usize>,
    pub max_args: Option<usize>,
    pub tier: Tier,
}

#[derive(Debug, Clone)]
pub(crate) struct Tool {
    pub names: Vec<String>,
    pub why: String,
    pub default: Tier,
    pub no_args: Option<Tier>,
    pub rules: Vec<Rule>,
    pub handler: Option<ToolHandler>,
    pub windows: bool,
    pub value_options: Vec<String>,
    pub skip: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub contains: String,
    pub tier: Tier,
    pub why: String,
}

/// Every table, indexed.
#[derive(Debug)]
pub(crate) struct Tables {
    pub verbs: HashMap<String, (String, Row)>,
    pub cmdlets: HashMap<String, Cmdlet>,
    pub aliases: HashMap<String, Alias>,
    pub tools: Vec<Tool>,
    pub tool_index: HashMap<String, usize>,
    pub http_methods: HashMap<String, Row>,
    pub endpoints: Vec<Endpoint>,
    pub accelerators: HashMap<String, String>,
    pub local_types: HashSet<String>,
    /// (type, member) lower-cased; member `*` = every member.
    pub statics: HashMap<(String, String), Row>,
    pub constructors: HashMap<String, Row>,
    pub methods: HashMap<String, Row>,
}

/// The tables, loaded once per process; `Err` lists every malformed row.
pub(crate) static TABLES: LazyLock<Result<Tables, Vec<String>>> = LazyLock::new(Tables::load);

fn tier(s: &str, at: &str, problems: &mut Vec<String>) -> Tier {
    Tier::parse(s).unwrap_or_else(|| {
        problems.push(format!("{at}: tier `{s}` is not T0, T1 or T2"));
        Tier::T2
    })
}

/// Normalises a .NET type name: lower-cased, a leading `system.` dropped,
/// generic arguments (`[...]`, `` `1 ``) removed.
#[must_use]
pub(crate) fn type_key(name: &str) -> String {
    let mut n = name
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if let Some(i) = n.find(['[', '`']) {
        n.truncate(i);
    }
    let n = n.strip_prefix("system.").map(str::to_string).unwrap_or(n);
    n.trim().to_string()
}

impl Tables {
    fn load() -> Result<Tables, Vec<String>> {
        let mut p = Vec::new();
        let ps: Option<RawPowerShell> = parse("data/powershell.toml", POWERSHELL_TOML, &mut p);
        let native: Option<RawNative> = parse("data/native.toml", NATIVE_TOML, &mut p);
        let http: Option<RawHttp> = parse("data/http.toml", HTTP_TOML, &mut p);
        let dotnet: Option<RawDotnet> = parse("data/dotnet.toml", DOTNET_TOML, &mut p);
        let (Some(ps), Some(native), Some(http), Some(dotnet)) = (ps, native, http, dotnet) else {
            return Err(p);
        };
        let mut t = Tables {
            verbs: HashMap::new(),
            cmdlets: HashMap::new(),
            aliases: HashMap::new(),
            tools: Vec::new(),
            tool_index: HashMap::new(),
            http_methods: HashMap::new(),
            endpoints: Vec::new(),
            accelerators: HashMap::new(),
            local_types: HashSet::new(),
            statics: HashMap::new(),
            constructors: HashMap::new(),
            methods: HashMap::new(),
        };
        for v in &ps.verbs {
            let at = format!("powershell.toml verb `{}`", v.verb);
            nonempty(&at, &v.why, &mut p);
            let row = Row {
                tier: tier(&v.tier, &at, &mut p),
                why: v.why.clone(),
            };
            if t.verbs
                .insert(v.verb.to_ascii_lowercase(), (v.verb.clone(), row))
                .is_some()
            {
                p.push(format!("{at}: listed twice"));
            }
        }
        for c in &ps.cmdlets {
            let at = format!("powershell.toml cmdlet `{}`", c.name);
            nonempty(&at, &c.why, &mut p);
            let handler = c.handler.as_deref().map(|h| match h {
                "http" => Some(CmdletHandler::Http),
                "iex" => Some(CmdletHandler::Iex),
                "start-process" => Some(CmdletHandler::StartProcess),
                "scriptblock-host" => Some(CmdletHandler::ScriptBlockHost),
                "foreach" => Some(CmdletHandler::ForEach),
                "tee" => Some(CmdletHandler::Tee),
                "new-object" => Some(CmdletHandler::NewObject),
                other => {
                    p.push(format!("{at}: unknown handler `{other}`"));
                    None
                }
            });
            let raise = c
                .raise
                .iter()
                .map(|(n, ti)| (n.to_ascii_lowercase(), tier(ti, &at, &mut p)))
                .collect();
            let cmd = Cmdlet {
                name: c.name.clone(),
                tier: tier(&c.tier, &at, &mut p),
                why: c.why.clone(),
                whatif: c.whatif,
                raise,
                unless: c
                    .unless
                    .as_ref()
                    .map(|(a, b)| (a.to_ascii_lowercase(), b.to_ascii_lowercase())),
                session: c.session,
                handler: handler.flatten(),
                data: c.data,
            };
            if c.unless.is_some() && c.raise.is_empty() {
                p.push(format!("{at}: `unless` without `raise`"));
            }
            if t.cmdlets.insert(c.name.to_ascii_lowercase(), cmd).is_some() {
                p.push(format!("{at}: listed twice"));
            }
        }
        for a in &ps.aliases {
            let at = format!("powershell.toml alias `{}`", a.alias);
            let (ps51, ps7) = match (&a.to, &a.ps51, &a.ps7) {
                (Some(to), None, None) => (Some(to.clone()), Some(to.clone())),
                (None, s51, s7) if s51.is_some() || s7.is_some() => (s51.clone(), s7.clone()),
                _ => {
                    p.push(format!("{at}: give either `to` or `ps51`/`ps7`"));
                    (None, None)
                }
            };
            if t.aliases
                .insert(a.alias.to_ascii_lowercase(), Alias { ps51, ps7 })
                .is_some()
            {
                p.push(format!("{at}: listed twice"));
            }
        }
        for tool in &native.tools {
            let at = format!(
                "native.toml tool `{}`",
                tool.names.first().map_or("", String::as_str)
            );
            nonempty(&at, &tool.why, &mut p);
            if tool.names.is_empty() {
                p.push(format!("{at}: no names"));
            }
            let handler = tool.handler.as_deref().and_then(|h| match h {
                "http" => Some(ToolHandler::Http),
                "shell-c" => Some(ToolHandler::ShellC),
                "powershell" => Some(ToolHandler::PowerShell),
                "wrapper" => Some(ToolHandler::Wrapper),
                "find" => Some(ToolHandler::Find),
                "awk" => Some(ToolHandler::Awk),
                "sed" => Some(ToolHandler::Sed),
                "eval" => Some(ToolHandler::Eval),
                "dd" => Some(ToolHandler::Dd),
                other => {
                    p.push(format!("{at}: unknown handler `{other}`"));
                    None
                }
            });
            if handler.is_none() && tool.default.is_none() {
                p.push(format!("{at}: a tool without a handler needs `default`"));
            }
            let fold = |s: &String| {
                if tool.windows {
                    s.to_ascii_lowercase()
                } else {
                    s.clone()
                }
            };
            let mut rules = Vec::new();
            for (i, r) in tool.rules.iter().enumerate() {
                let rat = format!("{at} rule {}", i + 1);
                let has_condition = !r.sub.is_empty()
                    || !r.prefix.is_empty()
                    || !r.any.is_empty()
                    || !r.contains.is_empty()
                    || !r.with.is_empty()
                    || !r.without.is_empty()
                    || r.min_args.is_some()
                    || r.max_args.is_some();
                if !has_condition {
                    p.push(format!("{rat}: no condition (it would always match)"));
                }
                if r.at == Some(0) {
                    p.push(format!("{rat}: `at` is 1-based"));
                }
                rules.push(Rule {
                    sub: r
                        .sub
                        .iter()
                        .map(|s| s.split_whitespace().map(|w| fold(&w.to_string())).collect())
                        .collect(),
                    at: r.at.unwrap_or(1).max(1),
                    prefix: r.prefix.iter().map(fold).collect(),
                    any: r.any.iter().map(fold).collect(),
                    contains: r.contains.iter().map(fold).collect(),
                    with: r.with.iter().map(fold).collect(),
                    without: r.without.iter().map(fold).collect(),
                    min_args: r.min_args,
                    max_args: r.max_args,
                    tier: tier(&r.tier, &rat, &mut p),
                });
            }
            let idx = t.tools.len();
            t.tools.push(Tool {
                names: tool.names.clone(),
                why: tool.why.clone(),
                default: tool
                    .default
                    .as_deref()
                    .map_or(Tier::T2, |d| tier(d, &at, &mut p)),
                no_args: tool.no_args.as_deref().map(|d| tier(d, &at, &mut p)),
                rules,
                handler,
                windows: tool.windows,
                value_options: tool.value_options.iter().map(fold).collect(),
                skip: tool.skip,
            });
            for n in &tool.names {
                if n != &n.to_ascii_lowercase() {
                    p.push(format!("{at}: name `{n}` must be lower-case"));
                }
                if t.tool_index.insert(n.to_ascii_lowercase(), idx).is_some() {
                    p.push(format!("native.toml: tool name `{n}` listed twice"));
                }
            }
        }
        for m in &http.methods {
            let at = format!("http.toml method `{}`", m.method);
            nonempty(&at, &m.why, &mut p);
            if m.method != m.method.to_ascii_uppercase() {
                p.push(format!("{at}: methods are upper-case"));
            }
            let row = Row {
                tier: tier(&m.tier, &at, &mut p),
                why: m.why.clone(),
            };
            if t.http_methods
                .insert(m.method.to_ascii_uppercase(), row)
                .is_some()
            {
                p.push(format!("{at}: listed twice"));
            }
        }
        for e in &http.endpoints {
            let at = format!("http.toml endpoint `{}`", e.contains);
            nonempty(&at, &e.why, &mut p);
            if e.contains.is_empty() || e.contains != e.contains.to_ascii_lowercase() {
                p.push(format!("{at}: `contains` must be non-empty and lower-case"));
            }
            t.endpoints.push(Endpoint {
                contains: e.contains.to_ascii_lowercase(),
                tier: tier(&e.tier, &at, &mut p),
                why: e.why.clone(),
            });
        }
        for a in &dotnet.accelerators {
            if t.accelerators
                .insert(a.name.to_ascii_lowercase(), type_key(&a.ty))
                .is_some()
            {
                p.push(format!(
                    "dotnet.toml accelerator `{}`: listed twice",
                    a.name
                ));
            }
        }
        for l in &dotnet.local_types {
            if !t.local_types.insert(type_key(l)) {
                p.push(format!("dotnet.toml local type `{l}`: listed twice"));
            }
        }
        for s in &dotnet.statics {
            let at = format!("dotnet.toml static `[{}]::{}`", s.ty, s.member);
            nonempty(&at, &s.why, &mut p);
            let row = Row {
                tier: tier(&s.tier, &at, &mut p),
                why: s.why.clone(),
            };
            if t.statics
                .insert((type_key(&s.ty), s.member.to_ascii_lowercase()), row)
                .is_some()
            {
                p.push(format!("{at}: listed twice"));
            }
        }
        for c in &dotnet.constructors {
            let at = format!("dotnet.toml constructor `{}`", c.ty);
            nonempty(&at, &c.why, &mut p);
            let row = Row {
                tier: tier(&c.tier, &at, &mut p),
                why: c.why.clone(),
            };
            if t.constructors.insert(type_key(&c.ty), row).is_some() {
                p.push(format!("{at}: listed twice"));
            }
        }
        for m in &dotnet.methods {
            let at = format!("dotnet.toml methods {}", m.tier);
            nonempty(&at, &m.why, &mut p);
            let ti = tier(&m.tier, &at, &mut p);
            for n in &m.names {
                if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    p.push(format!("{at}: `{n}` is not a method name"));
                }
                let row = Row {
                    tier: ti,
                    why: m.why.clone(),
                };
                if t.methods.insert(n.to_ascii_lowercase(), row).is_some() {
                    p.push(format!("dotnet.toml method `{n}`: listed twice"));
                }
            }
        }
        // Cross-references: every alias meaning resolves.
        for (name, a) in &t.aliases {
            for target in [&a.ps51, &a.ps7].into_iter().flatten() {
                let known = t.cmdlets.contains_key(&target.to_ascii_lowercase())
                    || target
                        .split_once('-')
                        .is_some_and(|(v, _)| t.verbs.contains_key(&v.to_ascii_lowercase()))
                    || t.tool_index
                        .contains_key(target.to_ascii_lowercase().trim_end_matches(".exe"))
                    || target.to_ascii_lowercase().ends_with(".exe");
                if !known {
                    p.push(format!("powershell.toml alias `{name}`: `{target}` is neither a cmdlet, a Verb-Noun name nor a native program"));
                }
            }
        }
        for c in t.cmdlets.values() {
            if c.whatif && c.tier == Tier::T0 && c.raise.is_empty() && c.handler.is_none() {
                // Harmless: -WhatIf cannot lower a T0 cmdlet; kept for the docs.
            }
            if !c.name.contains('-') {
                p.push(format!(
                    "powershell.toml cmdlet `{}`: not a Verb-Noun name",
                    c.name
                ));
            }
        }
        if p.is_empty() { Ok(t) } else { Err(p) }
    }

    /// The alias row for a name, if it is one.
    pub(crate) fn alias(&self, name: &str) -> Option<&Alias> {
        self.aliases.get(&name.to_ascii_lowercase())
    }

    /// The native tool row for a name (lower-case, `.exe`/`.com` dropped).
    pub(crate) fn tool(&self, name: &str) -> Option<&Tool> {
        let n = name.to_ascii_lowercase();
        let n = n
            .strip_suffix(".exe")
            .or_else(|| n.strip_suffix(".com"))
            .unwrap_or(&n);
        self.tool_index.get(n).map(|&i| &self.tools[i])
    }

    /// The canonical key of a .NET type as written (`IO.File`, `datetime`).
    pub(crate) fn resolve_type(&self, written: &str) -> String {
        let k = type_key(written);
        self.accelerators.get(&k).cloned().unwrap_or(k)
    }

    /// The static member row of a type, member-specific first, then `*`.
    pub(crate) fn static_member(&self, ty: &str, member: &str) -> Option<&Row> {
        let m = member.to_ascii_lowercase();
        self.statics
            .get(&(ty.to_string(), m))
            .or_else(|| self.statics.get(&(ty.to_string(), "*".to_string())))
    }
}

fn nonempty(at: &str, why: &str, p: &mut Vec<String>) {
    if why.trim().is_empty() {
        p.push(format!("{at}: `why` is empty"));
    }
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str, p: &mut Vec<String>) -> Option<T> {
    match toml::from_str(text) {
        Ok(v) => Some(v),
        Err(e) => {
            p.push(format!("{file}: {e}"));
            None
        }
    }
}

/// Every problem in the embedded tables (empty when they are well-formed).
#[must_use]
pub fn table_problems() -> Vec<String> {
    match &*TABLES {
        Ok(_) => Vec::new(),
        Err(p) => p.clone(),
    }
}

pub(crate) fn raw_powershell() -> Option<RawPowerShell> {
    toml::from_str(POWERSHELL_TOML).ok()
}
pub(crate) fn raw_native() -> Option<RawNative> {
    toml::from_str(NATIVE_TOML).ok()
}
pub(crate) fn raw_http() -> Option<RawHttp> {
    toml::from_str(HTTP_TOML).ok()
}
pub(crate) fn raw_dotnet() -> Option<RawDotnet> {
    toml::from_str(DOTNET_TOML).ok()
}
