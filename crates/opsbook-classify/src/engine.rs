//! What both shells share: the list of classified operations a walk
//! collects (hits), native programs by their arguments (native.toml) and
//! HTTP calls by method and URL (http.toml).

use opsbook_core::model::Tier;

use crate::tables::{Rule, Tables, Tool};

/// Deepest nesting of code-in-a-string (`iex '…'`, `bash -c '…'`) that is
/// followed; deeper is T2.
pub(crate) const MAX_DEPTH: usize = 6;

/// One classified operation: a command, a method call, a redirection or a
/// parse error, with the byte span in the code being walked.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub tier: Tier,
    pub rule: String,
    pub reason: String,
    /// As written (normalised text).
    pub name: String,
    /// What it resolved to (`Remove-Item`, `sc.exe`, `[IO.File]::Delete`).
    pub resolved: String,
    pub span: (usize, usize),
}

/// A verdict before it is attached to a node.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub tier: Tier,
    pub rule: String,
    pub reason: String,
}

impl Verdict {
    pub(crate) fn new(tier: Tier, rule: impl Into<String>, reason: impl Into<String>) -> Verdict {
        Verdict {
            tier,
            rule: rule.into(),
            reason: reason.into(),
        }
    }

    /// The worse of two verdicts (the first on a tie).
    #[must_use]
    pub(crate) fn max(self, other: Verdict) -> Verdict {
        if other.tier > self.tier { other } else { self }
    }
}

/// An argument of a native program: its literal text when it is all
/// literal, else the literal text before the first dynamic part.
#[derive(Debug, Clone)]
pub(crate) struct NArg {
    pub lit: Option<String>,
    pub prefix: String,
}

impl NArg {
    pub(crate) fn lit(s: impl Into<String>) -> NArg {
        let s = s.into();
        NArg {
            prefix: s.clone(),
            lit: Some(s),
        }
    }
    pub(crate) fn dynamic(prefix: impl Into<String>) -> NArg {
        NArg {
            lit: None,
            prefix: prefix.into(),
        }
    }
}

/// What a rule condition evaluates to when some arguments are not literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Yes,
    No,
    Maybe,
}

impl Tri {
    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Maybe,
        }
    }
}

/// One argument as the rules see it.
#[derive(Debug, Clone)]
enum Word {
    /// A literal word (folded for Windows tools) and its option word (the
    /// part before `:`/`=`).
    Lit { full: String, opt: String },
    /// Not literal; `opt` is a literal option word before `:`/`=` if the
    /// dynamic part only follows it (`/manualpeerlist:"$peers"`).
    Dyn { opt: Option<String> },
}

/// The arguments of a native call, split into words and positionals.
struct Words {
    words: Vec<Word>,
    /// Indices into `words` of positional arguments (dynamic ones included).
    positional: Vec<usize>,
    /// A dynamic word that could be anything (an option or a positional).
    any_dynamic: bool,
}

fn option_word(s: &str, windows: bool) -> String {
    let cut = if windows {
        s.find([':', '='])
    } else {
        s.find('=')
    };
    match cut {
        Some(i) if i > 0 && (s.starts_with('-') || s.starts_with('/')) => s[..i].to_string(),
        _ => s.to_string(),
    }
}

fn split_words(tool: &Tool, args: &[NArg]) -> Words {
    let fold = |s: &str| {
        if tool.windows {
            s.to_ascii_lowercase()
        } else {
            s.to_string()
        }
    };
    let is_opt =
        |s: &str| s.len() > 1 && (s.starts_with('-') || (tool.windows && s.starts_with('/')));
    let mut words = Vec::new();
    let mut positional = Vec::new();
    let mut any_dynamic = false;
    let mut options_done = false;
    let mut skip_value = false;
    for a in args {
        if skip_value {
            skip_value = false;
            continue;
        }
        match &a.lit {
            Some(l) => {
                let full = fold(l);
                if !tool.windows && full == "--" && !options_done {
                    options_done = true;
                    continue;
                }
                let opt = option_word(&full, tool.windows);
                let option = !options_done && is_opt(&full);
                if option && tool.value_options.iter().any(|v| v == &full) {
                    skip_value = true;
                }
                if !option {
                    positional.push(words.len());
                }
                // A cluster of short POSIX options counts as each of them.
                if option
                    && !tool.windows
                    && !full.starts_with("--")
                    && full.len() > 2
                    && !full.contains('=')
                {
                    for c in full[1..].chars() {
                        words.push(Word::Lit {
                            full: format!("-{c}"),
                            opt: format!("-{c}"),
                        });
                    }
                }
                words.push(Word::Lit { full, opt });
            }
            None => {
                let p = fold(&a.prefix);
                let opt = if is_opt(&p) && (p.contains('=') || (tool.windows && p.contains(':'))) {
                    Some(option_word(&p, tool.windows))
                } else {
                    None
                };
                if opt.is_none() {
                    any_dynamic = true;
                    positional.push(words.len());
                }
                words.push(Word::Dyn { opt });
            }
        }
    }
    Words {
        words,
        positional,
        any_dynamic,
    }
}

fn has_word(w: &Words, list: &[String]) -> Tri {
    let mut r = Tri::No;
    for word in &w.words {
        match word {
            Word::Lit { full, opt } => {
                if list.iter().any(|x| x == full || x == opt) {
                    return Tri::Yes;
                }
            }
            Word::Dyn { opt: Some(o) } => {
                if list.iter().any(|x| x == o) {
                    return Tri::Yes;
                }
            }
            Word::Dyn { opt: None } => r = Tri::Maybe,
        }
    }
    r
}

fn positional_at(w: &Words, at: usize) -> Option<&Word> {
    w.positional.get(at - 1).map(|&i| &w.words[i])
}

fn rule_matches(rule: &Rule, w: &Words, nargs: usize) -> Tri {
    let mut r = Tri::Yes;
    if !rule.sub.is_empty() {
        let mut best = Tri::No;
        for seq in &rule.sub {
            let mut m = Tri::Yes;
            for (k, want) in seq.iter().enumerate() {
                m = m.and(match positional_at(w, rule.at + k) {
                    Some(Word::Lit { full, .. }) => {
                        if full == want {
                            Tri::Yes
                        } else {
                            Tri::No
                        }
                    }
                    Some(Word::Dyn { .. }) => Tri::Maybe,
                    None => Tri::No,
                });
            }
            best = match (best, m) {
                (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
                (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
                _ => Tri::No,
            };
        }
        r = r.and(best);
    }
    if !rule.prefix.is_empty() {
        r = r.and(match positional_at(w, rule.at) {
            Some(Word::Lit { full, .. }) => {
                if rule.prefix.iter().any(|p| full.starts_with(p.as_str())) {
                    Tri::Yes
                } else {
                    Tri::No
                }
            }
            Some(Word::Dyn { .. }) => Tri::Maybe,
            None => Tri::No,
        });
    }
    if !rule.any.is_empty() {
        r = r.and(has_word(w, &rule.any));
    }
    if !rule.with.is_empty() {
        r = r.and(has_word(w, &rule.with));
    }
    if !rule.without.is_empty() {
        r = r.and(match has_word(w, &rule.without) {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Maybe => Tri::Maybe,
        });
    }
    if !rule.contains.is_empty() {
        let mut c = Tri::No;
        for word in &w.words {
            match word {
                Word::Lit { full, .. }
                    if rule.contains.iter().any(|x| full.contains(x.as_str())) =>
                {
                    c = Tri::Yes;
                    break;
                }
                Word::Dyn { .. } => c = Tri::Maybe,
                Word::Lit { .. } => {}
            }
        }
        r = r.and(c);
    }
    if let Some(min) = rule.min_args
        && nargs < min
    {
        r = Tri::No;
    }
    if let Some(max) = rule.max_args
        && nargs > max
    {
        r = Tri::No;
    }
    r
}

/// Applies a tool's rules to its arguments (no handler).
pub(crate) fn tool_rules(tool: &Tool, name: &str, args: &[NArg]) -> Verdict {
    let rule_id = format!("native:{}", tool.names[0]);
    if args.is_empty() {
        let t = tool.no_args.unwrap_or(tool.default);
        return Verdict::new(
            t,
            rule_id,
            format!("`{name}` without arguments: {}", tool.why),
        );
    }
    let w = split_words(tool, args);
    let mut best: Option<(Tier, usize, Tri)> = None;
    let mut any_yes = false;
    for (i, rule) in tool.rules.iter().enumerate() {
        let m = rule_matches(rule, &w, args.len());
        if m == Tri::No {
            continue;
        }
        any_yes |= m == Tri::Yes;
        if best.is_none_or(|(t, _, _)| rule.tier > t) {
            best = Some((rule.tier, i, m));
        }
    }
    let default = if any_yes { None } else { Some(tool.default) };
    match (best, default) {
        (Some((t, i, m)), d) if d.is_none_or(|d| t >= d) => {
            let how = if m == Tri::Maybe {
                " (an argument that is not a literal could make it match)"
            } else {
                ""
            };
            let label =
                matched_label(&tool.rules[i], &w).unwrap_or_else(|| rule_label(&tool.rules[i]));
            Verdict::new(
                t,
                format!("{rule_id}:{label}"),
                format!("`{name} {label}`{how}: {}", tool.why),
            )
        }
        (_, Some(d)) => {
            let how = if w.any_dynamic && any_yes {
                " (an argument is not a literal: the worst case is taken)"
            } else {
                ""
            };
            Verdict::new(
                d,
                format!("{rule_id}:default"),
                format!("`{name}` with these arguments{how}: {}", tool.why),
            )
        }
        (None, None) => Verdict::new(tool.default, format!("{rule_id}:default"), tool.why.clone()),
        (Some((t, i, _)), None) => Verdict::new(
            t,
            format!("{rule_id}:{}", rule_label(&tool.rules[i])),
            tool.why.clone(),
        ),
    }
}

/// The literal words that made a rule match (`restart`, `/query`).
fn matched_label(r: &Rule, w: &Words) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    for seq in &r.sub {
        let ok = seq.iter().enumerate().all(|(k, want)| matches!(positional_at(w, r.at + k), Some(Word::Lit { full, .. }) if full == want));
        if ok {
            out.push(seq.join(" "));
            break;
        }
    }
    if !r.prefix.is_empty()
        && let Some(Word::Lit { full, .. }) = positional_at(w, r.at)
    {
        out.push(full.clone());
    }
    for list in [&r.any, &r.with] {
        if let Some(x) = w.words.iter().find_map(|word| match word {
            Word::Lit { full, opt } => list.iter().find(|x| *x == full || *x == opt).cloned(),
            Word::Dyn { opt: Some(o) } => list.iter().find(|x| *x == o).cloned(),
            Word::Dyn { opt: None } => None,
        }) {
            out.push(x);
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(out.join(" "))
    }
}

/// A short label of a rule for reasons and rule IDs (`stop`, `/query`).
pub(crate) fn rule_label(r: &Rule) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !r.sub.is_empty() {
        parts.push(
            r.sub
                .iter()
                .map(|s| s.join(" "))
                .collect::<Vec<_>>()
                .join("|"),
        );
    }
    if !r.prefix.is_empty() {
        parts.push(format!("{}…", r.prefix.join("…|")));
    }
    if !r.any.is_empty() {
        parts.push(r.any.join("|"));
    }
    if !r.contains.is_empty() {
        parts.push(format!("*{}*", r.contains.join("*|*")));
    }
    if !r.with.is_empty() {
        parts.push(format!("with {}", r.with.join("|")));
    }
    if !r.without.is_empty() {
        parts.push(format!("without {}", r.without.join("|")));
    }
    if let Some(m) = r.min_args {
        parts.push(format!("≥{m} args"));
    }
    if let Some(m) = r.max_args {
        parts.push(format!("≤{m} args"));
    }
    parts.join(" ")
}

/// The tier of an HTTP call. `method` is `None` when it is not a literal;
/// `url` is the URL's literal text with `None` when some part is dynamic
/// (`url_lit` then holds the literal parts joined).
pub(crate) fn http_verdict(
    t: &Tables,
    tool: &str,
    method: Option<&str>,
    url: Option<&str>,
    url_lit: &str,
) -> Verdict {
    let Some(method) = method else {
        return Verdict::new(
            Tier::T2,
            "http:method-not-literal",
            format!(
                "`{tool}` with an HTTP method that is not a literal: it could be DELETE or an order"
            ),
        );
    };
    let m = method.to_ascii_uppercase();
    let Some(row) = t.http_methods.get(&m) else {
        return Verdict::new(
            Tier::T2,
            "http:unknown-method",
            format!("`{tool}` with HTTP method {m}, which http.toml does not list"),
        );
    };
    let base = Verdict::new(
        row.tier,
        format!("http:{m}"),
        format!("`{tool}` {m}: {}", row.why),
    );
    if row.tier == Tier::T0 {
        return base;
    }
    let hay = url.unwrap_or(url_lit).to_ascii_lowercase();
    for e in &t.endpoints {
        if hay.contains(&e.contains) && e.tier > base.tier {
            return Verdict::new(
                e.tier,
                format!("http:endpoint:{}", e.contains),
                format!(
                    "`{tool}` {m} to a URL containing `{}`: {}",
                    e.contains, e.why
                ),
            );
        }
    }
    if url.is_none() {
        return Verdict::new(
            Tier::T2,
            "http:url-not-literal",
            format!(
                "`{tool}` {m} to a URL that is not a literal: an order or cancel endpoint cannot be ruled out"
            ),
        );
    }
    base
}

/// curl and wget by their arguments.
pub(crate) fn http_tool(t: &Tables, name: &str, args: &[NArg]) -> Verdict {
    let curl = !name.starts_with("wget");
    let mut method: Option<Option<String>> = None;
    let mut implied: Option<&str> = None;
    let mut urls: Vec<&NArg> = Vec::new();
    let mut writes: Option<String> = if curl {
        None
    } else {
        Some("a download writes a file".into())
    };
    let mut unknown_dynamic = false;
    let mut i = 0;
    // curl short options that take a value.
    const CURL_VAL: &str = "XdHouFTAebcDKmwxErYyzCPQ";
    while i < args.len() {
        let a = &args[i];
        let Some(s) = a.lit.as_deref() else {
            if a.prefix.starts_with('-') {
                unknown_dynamic = true;
            } else {
                urls.push(a);
            }
            i += 1;
            continue;
        };
        let next = args.get(i + 1);
        let next_lit = next.and_then(|n| n.lit.clone());
        let mut take_next = false;
        if curl {
            if let Some(long) = s.strip_prefix("--") {
                let (k, v) = match long.split_once('=') {
                    Some((k, v)) => (k, Some(v.to_string())),
                    None => (long, None),
                };
                let val = |take: &mut bool| {
                    v.clone().or_else(|| {
                        *take = true;
                        next_lit.clone()
                    })
                };
                match k {
                    "request" => method = Some(val(&mut take_next)),
                    "data" | "data-raw" | "data-binary" | "data-urlencode" | "data-ascii"
                    | "json" | "form" | "form-string" => {
                        implied = Some("POST");
                        let _ = val(&mut take_next);
                    }
                    "upload-file" => {
                        implied = Some("PUT");
                        let _ = val(&mut take_next);
                    }
                    "head" => implied = Some("HEAD"),
                    "get" => implied = Some("GET-FORCED"),
                    "output" | "dump-header" | "cookie-jar" | "trace" | "trace-ascii"
                    | "stderr" | "etag-save" | "hsts" | "alt-svc" => {
                        let v = val(&mut take_next);
                        if !matches!(v.as_deref(), Some("/dev/null" | "-" | "NUL" | "nul")) {
                            writes = Some(format!("--{k} writes a file"));
                        }
                    }
                    "remote-name" | "remote-name-all" | "remote-header-name" | "create-dirs" => {
                        writes = Some(format!("--{k} writes a file"))
                    }
                    "config" | "quote" => {
                        return Verdict::new(
                            Tier::T2,
                            "http:curl-config",
                            format!(
                                "`{name} --{k}` reads options or runs server commands the classifier cannot see"
                            ),
                        );
                    }
                    "url" => {
                        if let Some(n) = next {
                            urls.push(n);
                        }
                        take_next = v.is_none();
                    }
                    _ => {
                        if v.is_none()
                            && matches!(
                                k,
                                "header"
                                    | "user"
                                    | "user-agent"
                                    | "referer"
                                    | "cookie"
                                    | "max-time"
                                    | "connect-timeout"
                                    | "write-out"
                                    | "proxy"
                                    | "cert"
                                    | "key"
                                    | "cacert"
                                    | "retry"
                                    | "range"
                                    | "resolve"
                                    | "interface"
                                    | "limit-rate"
                                    | "oauth2-bearer"
                                    | "connect-to"
                                    | "retry-max-time"
                                    | "retry-delay"
                                    | "expect100-timeout"
                                    | "max-filesize"
                                    | "netrc-file"
                            )
                        {
                            take_next = true;
                        }
                    }
                }
            } else if let Some(cluster) = s.strip_prefix('-').filter(|c| !c.is_empty()) {
                for (k, c) in cluster.char_indices() {
                    if CURL_VAL.contains(c) {
                        let rest = &cluster[k + c.len_utf8()..];
                        let v = if rest.is_empty() {
                            take_next = true;
                            next_lit.clone()
                        } else {
                            Some(rest.to_string())
                        };
                        match c {
                            'X' => method = Some(v),
                            'd' | 'F' => implied = Some("POST"),
                            'T' => implied = Some("PUT"),
                            'o' | 'D' | 'c'
                                if !matches!(
                                    v.as_deref(),
                                    Some("/dev/null" | "-" | "NUL" | "nul")
                                ) =>
                            {
                                writes = Some(format!("-{c} writes a file"));
                            }
                            'K' | 'Q' => {
                                return Verdict::new(
                                    Tier::T2,
                                    "http:curl-config",
                                    format!(
                                        "`{name} -{c}` reads options or runs server commands the classifier cannot see"
                                    ),
                                );
                            }
                            _ => {}
                        }
                        break;
                    }
                    match c {
                        'I' => implied = Some("HEAD"),
                        'G' => implied = Some("GET-FORCED"),
                        'O' | 'J' => writes = Some(format!("-{c} writes a file")),
                        _ => {}
                    }
                }
            } else {
                urls.push(a);
            }
        } else {
            // wget
            let (k, v) = match s.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (s, None),
            };
            let val = |take: &mut bool| {
                v.clone().or_else(|| {
                    *take = true;
                    next_lit.clone()
                })
            };
            match k {
                "--method" => method = Some(val(&mut take_next)),
                "--post-data" | "--post-file" => {
                    implied = Some("POST");
                    let _ = val(&mut take_next);
                }
                "--body-data" | "--body-file" => {
                    let _ = val(&mut take_next);
                }
                "--spider" => writes = None,
                "-O" | "--output-document" => {
                    let v = val(&mut take_next);
                    writes = if matches!(v.as_deref(), Some("-" | "/dev/null")) {
                        None
                    } else {
                        Some("-O writes a file".into())
                    };
                }
                "-qO-" | "-qO" | "-O-" => writes = None,
                "-o" | "-a" | "--output-file" | "--append-output" | "-P" | "--directory-prefix"
                | "-U" | "--user-agent" | "--header" | "-t" | "--tries" | "-T" | "--timeout"
                | "-e" | "--execute" | "-i" | "--input-file" => {
                    if k == "-e" || k == "--execute" || k == "-i" || k == "--input-file" {
                        return Verdict::new(
                            Tier::T2,
                            "http:wget-input",
                            format!("`{name} {k}` takes commands or URLs from elsewhere"),
                        );
                    }
                    let _ = val(&mut take_next);
                }
                _ if s.starts_with('-') => {}
                _ => urls.push(a),
            }
        }
        i += if take_next { 2 } else { 1 };
    }
    let m: Option<String> = match method {
        Some(Some(m)) => Some(m),
        Some(None) => None,
        None => Some(match implied {
            Some("GET-FORCED") | None => "GET".to_string(),
            Some(x) => x.to_string(),
        }),
    };
    let m = if unknown_dynamic { None } else { m };
    let url_lit: String = urls
        .iter()
        .map(|u| u.prefix.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let url_full: Option<String> = if urls.iter().all(|u| u.lit.is_some()) {
        Some(url_lit.clone())
    } else {
        None
    };
    let v = http_verdict(t, name, m.as_deref(), url_full.as_deref(), &url_lit);
    match writes {
        Some(w) if v.tier < Tier::T1 => Verdict::new(
            Tier::T1,
            format!("native:{name}:writes"),
            format!("`{name}`: {w}"),
        ),
        _ => v,
    }
}
