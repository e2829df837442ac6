//! PowerShell steps: walks the tree-sitter-pwsh syntax tree and rates every
//! command (aliases of both hosts, cmdlets, verbs, native programs),
//! method and static .NET call, assignment and redirection.
//!
//! Over 800 lines because it is one walk: command resolution, the cmdlet
//! handlers and the .NET rules share the walker's state; values, literals
//! and locality live in `pwsh_value.rs`, native programs in `native.rs`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use opsbook_core::model::Tier;
use tree_sitter::Node;

use crate::engine::{Hit, NArg, Verdict, http_verdict};
use crate::native::{classify_native, program_from_path};
use crate::normalize::Normalized;
use crate::pwsh_value::{
    Facts, Locality, Source, children, literal, literal_list, literal_parts, named, type_name,
    unescape, unwrap, var_name,
};
use crate::tables::{Cmdlet, CmdletHandler, Tables};
use crate::{Shell, parse, parse_error_hit, parser_failed};

/// Classifies normalised PowerShell code; hit spans are offsets in `code`.
pub(crate) fn analyse(t: &Tables, code: &str, depth: usize, norm: Option<&Normalized>) -> Vec<Hit> {
    let Some(tree) = parse(code, Shell::PowerShell) else {
        return vec![parser_failed(Shell::PowerShell, code.len())];
    };
    let root = tree.root_node();
    let mut facts = Facts::default();
    prepass(root, code, &mut facts);
    let loc = Locality {
        src: code,
        tables: t,
        facts: &facts,
        memo: RefCell::new(HashMap::new()),
        visiting: RefCell::new(HashSet::new()),
    };
    let mut w = Walker {
        t,
        src: code,
        loc: &loc,
        hits: Vec::new(),
        depth,
        norm,
    };
    if let Some(h) = parse_error_hit(root, code) {
        w.hits.push(h);
    }
    w.walk(root, false);
    w.hits
}

fn prepass<'t>(n: Node<'t>, src: &str, f: &mut Facts<'t>) {
    match n.kind() {
        "function_statement" => {
            if let Some(name) = named(n).into_iter().find(|k| k.kind() == "function_name") {
                f.functions
                    .insert(src[name.byte_range()].to_ascii_lowercase());
            }
        }
        "assignment_expression" => {
            let kids = children(n);
            let value = n.child_by_field_name("value");
            if let Some(left) = kids.first() {
                let mut targets = Vec::new();
                collect_targets(*left, src, &mut targets, f);
                for t in targets {
                    let e = f.vars.entry(t).or_default();
                    match value {
                        Some(v) => e.push(Source::Value(v)),
                        None => e.push(Source::Unknown),
                    }
                }
            }
        }
        "foreach_statement" => {
            let kids = named(n);
            if let (Some(var), Some(pipe)) = (
                kids.iter().find(|k| k.kind() == "variable"),
                kids.iter().find(|k| k.kind() == "pipeline"),
            ) {
                f.vars
                    .entry(var_name(&src[var.byte_range()]))
                    .or_default()
                    .push(Source::Element(*pipe));
            }
        }
        "script_parameter" | "class_method_parameter" => {
            if let Some(var) = named(n).into_iter().find(|k| k.kind() == "variable") {
                f.vars
                    .entry(var_name(&src[var.byte_range()]))
                    .or_default()
                    .push(Source::Unknown);
            }
        }
        "invocation_expression" => {
            let kids = children(n);
            if let (Some(r), Some(m)) = (
                kids.first(),
                kids.iter().find(|k| k.kind() == "member_name"),
            ) {
                let r = unwrap(*r);
                let method = src[m.byte_range()].to_ascii_lowercase();
                if r.kind() == "variable"
                    && !matches!(
                        method.as_str(),
                        "tostring" | "gettype" | "contains" | "containskey" | "trim" | "split"
                    )
                {
                    f.mutated.insert(var_name(&src[r.byte_range()]));
                }
            }
        }
        _ => {}
    }
    let mut c = n.walk();
    for k in n.children(&mut c) {
        prepass(k, src, f);
    }
}

fn collect_targets(n: Node<'_>, src: &str, out: &mut Vec<String>, f: &mut Facts<'_>) {
    let n = unwrap(n);
    match n.kind() {
        "left_assignment_expression" | "array_literal_expression" => {
            for k in named(n) {
                collect_targets(k, src, out, f);
            }
        }
        "variable" => out.push(var_name(&src[n.byte_range()])),
        "cast_expression" => {
            if let Some(v) = named(n).into_iter().find(|k| k.kind() != "type_literal") {
                collect_targets(v, src, out, f);
            }
        }
        "member_access" | "element_access" => {
            if let Some(base) = children(n).first() {
                let b = unwrap(*base);
                if b.kind() == "variable" {
                    f.mutated.insert(var_name(&src[b.byte_range()]));
                }
            }
        }
        _ => {}
    }
}

/// One argument of a command.
#[derive(Debug, Clone)]
enum Arg<'t> {
    /// `-Name` or `-Name:value`; `name` lower-cased without the dash.
    Param {
        name: String,
        text: String,
        node: Node<'t>,
        colon: Option<Node<'t>>,
    },
    /// A value (positional, or the value of the preceding parameter).
    Val(Node<'t>),
    /// `@name`.
    Splat(String),
    /// `--%` and the rest, passed verbatim.
    StopParsing(String),
}

struct Walker<'a, 't> {
    t: &'a Tables,
    src: &'a str,
    loc: &'a Locality<'a, 't>,
    hits: Vec<Hit>,
    depth: usize,
    norm: Option<&'a Normalized>,
}

/// How a cmdlet's arguments read after splatting is resolved.
struct Params<'t> {
    args: Vec<Arg<'t>>,
    /// A splat whose hashtable is not a literal: any parameter may be there.
    unknown_splat: bool,
    /// (key lower-cased, value node) from literal splatted hashtables.
    splatted: Vec<(String, Node<'t>)>,
}

impl<'t> Params<'t> {
    /// Whether a parameter is given as `full` or any prefix of it (or one of `aliases`).
    fn has(&self, full: &str, aliases: &[&str]) -> bool {
        self.args
            .iter()
            .any(|a| matches!(a, Arg::Param { name, .. } if matches_param(name, full, aliases)))
            || self
                .splatted
                .iter()
                .any(|(k, _)| matches_param(k, full, aliases))
    }

    /// The value node of a parameter: `-P:v`, `-P v`, or a splatted key.
    fn value(&self, full: &str, aliases: &[&str], switches: &[&str]) -> Option<Node<'t>> {
        for (i, a) in self.args.iter().enumerate() {
            if let Arg::Param { name, colon, .. } = a
                && matches_param(name, full, aliases)
            {
                if colon.is_some() {
                    return *colon;
                }
                if switches.contains(&full) {
                    return None;
                }
                return match self.args.get(i + 1) {
                    Some(Arg::Val(v)) => Some(*v),
                    _ => None,
                };
            }
        }
        self.splatted
            .iter()
            .find(|(k, _)| matches_param(k, full, aliases))
            .map(|(_, v)| *v)
    }

    /// Positional values, given which parameters are switches (take no value).
    fn positionals(&self, switches: &[&str]) -> Vec<Node<'t>> {
        let mut out = Vec::new();
        let mut skip = false;
        for a in &self.args {
            match a {
                Arg::Param { name, colon, .. } => {
                    skip = colon.is_none() && !switches.iter().any(|s| matches_param(name, s, &[]));
                }
                Arg::Val(v) => {
                    if !skip {
                        out.push(*v);
                    }
                    skip = false;
                }
                _ => skip = false,
            }
        }
        out
    }
}

fn matches_param(given: &str, full: &str, aliases: &[&str]) -> bool {
    (!given.is_empty() && full.starts_with(given)) || aliases.contains(&given)
}

impl<'a, 't> Walker<'a, 't> {
    fn text(&self, n: Node<'_>) -> &'a str {
        &self.src[n.byte_range()]
    }

    fn hit(&mut self, n: Node<'_>, v: Verdict, name: &str, resolved: &str) {
        self.hits.push(Hit {
            tier: v.tier,
            rule: v.rule,
            reason: v.reason,
            name: name.to_string(),
            resolved: resolved.to_string(),
            span: (n.start_byte(), n.end_byte()),
        });
    }

    /// Attaches hits of code nested in a string to the node that runs it.
    fn attach(&mut self, n: Node<'_>, nested: Vec<Hit>, via: &str) {
        for mut h in nested {
            h.span = (n.start_byte(), n.end_byte());
            h.rule = format!("{via}>{}", h.rule);
            self.hits.push(h);
        }
    }

    fn walk(&mut self, n: Node<'t>, under: bool) {
        match n.kind() {
            "comment" => {}
            "pipeline_chain" => {
                let mut out = under;
                for c in named(n) {
                    if c.kind() == "command" {
                        self.command(c, out);
                        self.walk_command_children(c, out);
                        out = self.loc.command_output(c, out);
                    } else {
                        self.walk(c, under);
                        out = self.loc.value(c, under);
                    }
                }
            }
            "command" => {
                self.command(n, under);
                self.walk_command_children(n, under);
            }
            "invocation_expression"
            | "invocation_foreach_expression"
            | "invocation_where_expression" => {
                self.invocation(n, under);
                self.walk_children(n, under);
            }
            "assignment_expression" => {
                self.assignment(n, under);
                self.walk_children(n, under);
            }
            "redirection" => self.redirection(n),
            _ => self.walk_children(n, under),
        }
    }

    fn walk_children(&mut self, n: Node<'t>, under: bool) {
        for c in children(n) {
            self.walk(c, under);
        }
    }

    fn walk_command_children(&mut self, cmd: Node<'t>, under: bool) {
        if let Some(name) = cmd.child_by_field_name("command_name")
            && name.kind() == "command_name_expr"
        {
            self.walk(name, under);
        }
        if let Some(el) = cmd.child_by_field_name("command_elements") {
            for c in named(el) {
                self.walk(c, under);
            }
        }
    }

    fn args(&self, cmd: Node<'t>) -> Vec<Arg<'t>> {
        let mut out = Vec::new();
        let Some(el) = cmd.child_by_field_name("command_elements") else {
            return out;
        };
        let kids: Vec<Node<'t>> = named(el)
            .into_iter()
            .filter(|k| !matches!(k.kind(), "command_argument_sep" | "redirection" | "comment"))
            .collect();
        let mut i = 0;
        while i < kids.len() {
            let k = kids[i];
            match k.kind() {
                "command_parameter" => {
                    let text = self.text(k);
                    let has_colon = text.ends_with(':')
                        || children(k).iter().any(|c| c.kind() == ":")
                        || self.src[k.end_byte()..].starts_with(':');
                    let name = text
                        .trim_start_matches('-')
                        .trim_end_matches(':')
                        .to_ascii_lowercase();
                    let colon = if has_colon {
                        i += 1;
                        kids.get(i).copied()
                    } else {
                        None
                    };
                    out.push(Arg::Param {
                        name,
                        text: text.trim_end_matches(':').to_string(),
                        node: k,
                        colon,
                    });
                }
                "stop_parsing" => out.push(Arg::StopParsing(
                    self.text(k).trim_start_matches("--%").to_string(),
                )),
                _ => {
                    let u = unwrap(k);
                    let t = self.text(u);
                    if u.kind() == "variable" && t.starts_with('@') {
                        out.push(Arg::Splat(var_name(t)));
                    } else {
                        out.push(Arg::Val(k));
                    }
                }
            }
            i += 1;
        }
        out
    }

    fn params(&self, args: Vec<Arg<'t>>) -> Params<'t> {
        let mut p = Params {
            args,
            unknown_splat: false,
            splatted: Vec::new(),
        };
        for a in &p.args {
            if let Arg::Splat(name) = a {
                match self.loc.splat_hash(name) {
                    Some(h) => {
                        for entry in named(h).into_iter().flat_map(named) {
                            if entry.kind() != "hash_entry" {
                                continue;
                            }
                            let ek = named(entry);
                            let key =
                                ek.iter()
                                    .find(|x| x.kind() == "key_expression")
                                    .and_then(|x| {
                                        literal(*x, self.src)
                                            .or_else(|| Some(self.text(*x).to_string()))
                                    });
                            let val = ek.iter().find(|x| x.kind() == "pipeline").copied();
                            match (key, val) {
                                (Some(k), Some(v)) => p
                                    .splatted
                                    .push((k.trim_matches(['\'', '"']).to_ascii_lowercase(), v)),
                                _ => p.unknown_splat = true,
                            }
                        }
                    }
                    None => p.unknown_splat = true,
                }
            }
        }
        p
    }

    /// Native-call arguments of a command.
    fn native_args(&self, args: &[Arg<'t>]) -> Vec<NArg> {
        let mut out = Vec::new();
        for a in args {
            match a {
                Arg::Param {
                    text, colon: None, ..
                } => out.push(NArg::lit(text.clone())),
                Arg::Param {
                    text,
                    colon: Some(v),
                    ..
                } => match literal(*v, self.src) {
                    Some(l) => out.push(NArg::lit(format!("{text}:{l}"))),
                    None => out.push(NArg::dynamic(format!("{text}:"))),
                },
                Arg::Val(v) => {
                    let u = unwrap(*v);
                    if u.kind() == "script_block_expression" {
                        out.push(NArg::lit(self.text(u).to_string()));
                    } else if let Some(list) = (u.kind() == "array_literal_expression")
                        .then(|| literal_list(u, self.src))
                        .flatten()
                    {
                        out.push(NArg::lit(list.join(",")));
                    } else {
                        match literal(*v, self.src) {
                            Some(l) => out.push(NArg::lit(l)),
                            None => out.push(NArg::dynamic(literal_parts(*v, self.src).0)),
                        }
                    }
                }
                Arg::Splat(..) => out.push(NArg::dynamic(String::new())),
                Arg::StopParsing(rest) => out.extend(rest.split_whitespace().map(NArg::lit)),
            }
        }
        out
    }

    fn command(&mut self, cmd: Node<'t>, under: bool) {
        let Some(name_node) = cmd.child_by_field_name("command_name") else {
            return;
        };
        let args = self.args(cmd);
        let written: String;
        if name_node.kind() == "command_name_expr" {
            let inner = unwrap(name_node);
            match inner.kind() {
                "script_block_expression" => return,
                "variable" => {
                    let v = var_name(self.text(inner));
                    if self.loc.script_block_var(&v) {
                        let verdict = Verdict::new(
                            Tier::T0,
                            "script-block-variable",
                            format!(
                                "runs `${v}`, a script block defined in this step (its body is classified)"
                            ),
                        );
                        self.hit(cmd, verdict, self.text(inner), "script block");
                        return;
                    }
                    if let Some(names) = self.loc.string_var(&v) {
                        let mut worst: Option<(Verdict, String)> = None;
                        for n in names {
                            let (vd, res) = self.resolve(&n, &args, cmd, under);
                            if worst.as_ref().is_none_or(|(w, _)| vd.tier > w.tier) {
                                worst = Some((vd, res));
                            }
                        }
                        if let Some((vd, res)) = worst {
                            self.hit(cmd, vd, self.text(inner), &res);
                        }
                        return;
                    }
                    let verdict = Verdict::new(
                        Tier::T2,
                        "fail-closed:dynamic-command",
                        format!(
                            "runs `{}`, a command held in a variable: the classifier cannot see it",
                            self.text(inner)
                        ),
                    );
                    self.hit(cmd, verdict, self.text(inner), "?");
                    return;
                }
                _ => match literal(inner, self.src) {
                    Some(l) => written = l,
                    None => return self.computed_name(cmd, inner),
                },
            }
        } else {
            match literal(name_node, self.src) {
                Some(l) => written = l,
                None => return self.computed_name(cmd, name_node),
            }
        }
        if is_number_expression(&written) {
            // tree-sitter-pwsh reads `1..5` in some positions as a command
            // name; PowerShell reads a leading number as an expression.
            return;
        }
        let (verdict, resolved) = self.resolve(&written, &args, cmd, under);
        self.hit(cmd, verdict, &written, &resolved);
    }

    /// A command whose name is computed at run time: T2.
    fn computed_name(&mut self, cmd: Node<'t>, name: Node<'t>) {
        let text = self.text(name);
        let verdict = Verdict::new(
            Tier::T2,
            "fail-closed:dynamic-command",
            format!(
                "runs `{text}`, a command name computed at run time: the classifier cannot see it"
            ),
        );
        self.hit(cmd, verdict, text, "?");
    }

    /// Resolves a written command name and rates the call.
    fn resolve(
        &mut self,
        written: &str,
        args: &[Arg<'t>],
        cmd: Node<'t>,
        under: bool,
    ) -> (Verdict, String) {
        let name = unescape(written.trim());
        if name.contains(['\\', '/']) {
            let (module, rest) = name.rsplit_once(['\\', '/']).unwrap_or(("", &name));
            let is_module = !module.is_empty()
                && module
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                && module
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && rest.contains('-')
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if is_module {
                let (v, r) = self.resolve_name(rest, args, cmd, under);
                return (v, r);
            }
            return match program_from_path(&name) {
                Ok(base) => {
                    let mut extra = Vec::new();
                    let v = classify_native(
                        self.t,
                        &base,
                        &self.native_args(args),
                        self.depth,
                        &mut extra,
                    );
                    self.attach(cmd, extra, "native");
                    (v, base)
                }
                Err(why) => (
                    Verdict::new(Tier::T2, "fail-closed:path", why),
                    name.clone(),
                ),
            };
        }
        let lower = name.to_ascii_lowercase();
        if [".ps1", ".psm1", ".bat", ".cmd", ".vbs", ".js", ".sh", ".py"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            return (
                Verdict::new(
                    Tier::T2,
                    "fail-closed:script-file",
                    format!("`{name}` is a script file: the classifier cannot see what it does"),
                ),
                name,
            );
        }
        if self.loc.facts.functions.contains(&lower) {
            return (
                Verdict::new(
                    Tier::T0,
                    "function",
                    format!("`{name}` is a function defined in this step (its body is classified)"),
                ),
                name,
            );
        }
        if let Some(a) = self.t.alias(&lower).cloned() {
            let mut meanings: Vec<(Verdict, String, &str)> = Vec::new();
            let both = if a.ps51 == a.ps7 {
                vec![(a.ps51.clone(), "both")]
            } else {
                vec![
                    (a.ps51.clone(), "Windows PowerShell 5.1"),
                    (a.ps7.clone(), "PowerShell 7"),
                ]
            };
            for (m, host) in both {
                let (v, r) = match m {
                    Some(target) => self.resolve_name(&target, args, cmd, under),
                    None => {
                        let mut extra = Vec::new();
                        let v = classify_native(
                            self.t,
                            &lower,
                            &self.native_args(args),
                            self.depth,
                            &mut extra,
                        );
                        self.attach(cmd, extra, "native");
                        (v, format!("{lower}.exe"))
                    }
                };
                meanings.push((v, r, host));
            }
            let (v51, r51, _) = meanings[0].clone();
            let (v7, r7, _) = meanings
                .last()
                .cloned()
                .unwrap_or_else(|| meanings[0].clone());
            let same = r51 == r7;
            let (worse, wr) = if v7.tier > v51.tier {
                (v7, r7.clone())
            } else {
                (v51, r51.clone())
            };
            let what = if same {
                format!("`{name}` is an alias of {r51}")
            } else {
                format!(
                    "`{name}` is {r51} on Windows PowerShell 5.1 and {r7} on PowerShell 7 (the worse counts)"
                )
            };
            return (
                Verdict::new(
                    worse.tier,
                    format!("alias:{lower}>{}", worse.rule),
                    format!("{what}: {}", worse.reason),
                ),
                wr,
            );
        }
        self.resolve_name(&name, args, cmd, under)
    }

    /// Rates a resolved name: cmdlet row, native program, verb, or unknown.
    fn resolve_name(
        &mut self,
        name: &str,
        args: &[Arg<'t>],
        cmd: Node<'t>,
        under: bool,
    ) -> (Verdict, String) {
        let lower = name.to_ascii_lowercase();
        if let Some(c) = self.t.cmdlets.get(&lower).cloned() {
            let v = self.cmdlet(&c, args, cmd, under);
            return (v, c.name.clone());
        }
        if self.t.tool(&lower).is_some() {
            let mut extra = Vec::new();
            let v = classify_native(
                self.t,
                &lower,
                &self.native_args(args),
                self.depth,
                &mut extra,
            );
            self.attach(cmd, extra, "native");
            return (v, lower);
        }
        if let Some((verb, _noun)) = name.split_once('-')
            && !verb.is_empty()
        {
            return match self.t.verbs.get(&verb.to_ascii_lowercase()) {
                Some((vname, row)) => (
                    Verdict::new(
                        row.tier,
                        format!("verb:{vname}"),
                        format!("`{name}`: the verb {vname} {}", row.why),
                    ),
                    name.to_string(),
                ),
                None => (
                    Verdict::new(
                        Tier::T2,
                        "fail-closed:unknown-verb",
                        format!("`{name}`: the verb `{verb}` is not in the verb table"),
                    ),
                    name.to_string(),
                ),
            };
        }
        (
            Verdict::new(
                Tier::T2,
                "fail-closed:unknown-command",
                format!(
                    "`{name}` is not a known cmdlet, alias or program: the classifier cannot see what it does"
                ),
            ),
            name.to_string(),
        )
    }

    fn cmdlet(&mut self, c: &Cmdlet, args: &[Arg<'t>], cmd: Node<'t>, under: bool) -> Verdict {
        let p = self.params(args.to_vec());
        let id = format!("cmdlet:{}", c.name);
        let mut v = Verdict::new(c.tier, id.clone(), format!("`{}` {}", c.name, c.why));
        if let Some(h) = c.handler {
            v = self.handler(h, c, &p, cmd, under, v);
        }
        // Parameters that raise the tier.
        let unless = c.unless.as_ref().is_some_and(|(param, value)| {
            let names: Vec<&str> = param.split('|').collect();
            !p.unknown_splat
                && names.iter().any(|n| {
                    p.value(n, &[], &[])
                        .and_then(|x| literal(x, self.src))
                        .is_some_and(|l| l.eq_ignore_ascii_case(value))
                })
        });
        if !unless {
            for (param, tier) in &c.raise {
                if *tier > v.tier && (p.unknown_splat || p.has(param, &[])) {
                    let how = if p.has(param, &[]) {
                        format!("-{param}")
                    } else {
                        "a splatted hashtable that is not a literal (it may hold -".to_string()
                            + param
                            + ")"
                    };
                    v = Verdict::new(
                        *tier,
                        format!("{id}:-{param}"),
                        format!("`{}` with {how}: {}", c.name, c.why),
                    );
                }
            }
        }
        if v.tier == Tier::T0 {
            return v;
        }
        // Session-only drives.
        if c.session && !p.unknown_splat {
            let mut paths: Vec<Node<'t>> = Vec::new();
            for full in ["path", "literalpath"] {
                if let Some(x) = p.value(full, &["pspath", "lp"], &[]) {
                    paths.push(x);
                }
            }
            if paths.is_empty()
                && let Some(x) = p
                    .positionals(&[
                        "force",
                        "recurse",
                        "whatif",
                        "confirm",
                        "passthru",
                        "nonewline",
                    ])
                    .first()
            {
                paths.push(*x);
            }
            let session = !paths.is_empty()
                && paths.iter().all(|x| {
                    literal_list(*x, self.src).is_some_and(|l| {
                        l.iter().all(|s| {
                            let s = s.to_ascii_lowercase();
                            ["env:", "variable:", "function:", "alias:"]
                                .iter()
                                .any(|d| s.starts_with(d))
                        })
                    })
                });
            if session {
                return Verdict::new(
                    Tier::T0,
                    format!("{id}:session-drive"),
                    format!(
                        "`{}` on a session-only drive (env:, variable:, function:, alias:) changes nothing outside",
                        c.name
                    ),
                );
            }
        }
        // -WhatIf, literally, on a cmdlet that honours ShouldProcess.
        if c.whatif {
            for a in &p.args {
                if let Arg::Param {
                    name, node, colon, ..
                } = a
                    && name == "whatif"
                {
                    let value_ok = match colon {
                        None => true,
                        Some(x) => self.text(unwrap(*x)).eq_ignore_ascii_case("$true"),
                    };
                    let dash_odd = self
                        .norm
                        .is_some_and(|n| n.touches(node.start_byte(), node.end_byte()));
                    if value_ok && !dash_odd {
                        return Verdict::new(
                            Tier::T0,
                            format!("{id}:-WhatIf"),
                            format!("`{}` -WhatIf only shows what it would do", c.name),
                        );
                    }
                }
            }
        }
        v
    }

    fn handler(
        &mut self,
        h: CmdletHandler,
        c: &Cmdlet,
        p: &Params<'t>,
        cmd: Node<'t>,
        under: bool,
        base: Verdict,
    ) -> Verdict {
        let id = format!("cmdlet:{}", c.name);
        match h {
            CmdletHandler::Http => {
                const SW: &[&str] = &[
                    "usebasicparsing",
                    "usedefaultcredentials",
                    "disablekeepalive",
                    "skipcertificatecheck",
                    "passthru",
                    "resume",
                    "skipheadervalidation",
                    "skiphttperrorcheck",
                    "allowunencryptedauthentication",
                    "noproxy",
                    "preserveauthorizationonredirect",
                    "allowinsecureredirect",
                    "proxyusedefaultcredentials",
                    "followrellink",
                ];
                if p.unknown_splat {
                    return Verdict::new(
                        Tier::T2,
                        format!("{id}:splat"),
                        format!(
                            "`{}` with a splatted hashtable that is not a literal: its method and URL cannot be seen",
                            c.name
                        ),
                    );
                }
                let method_node = p
                    .value("method", &[], SW)
                    .or_else(|| p.value("custommethod", &[], SW));
                let method: Option<String> = match method_node {
                    None if p.has("method", &[]) || p.has("custommethod", &[]) => None,
                    None => Some("GET".into()),
                    Some(m) => literal(m, self.src),
                };
                let uri = p
                    .value("uri", &["ur"], SW)
                    .or_else(|| p.positionals(SW).first().copied());
                let (full, parts) = match uri {
                    Some(u) => (literal(u, self.src), literal_parts(u, self.src).1),
                    None => (None, String::new()),
                };
                http_verdict(self.t, &c.name, method.as_deref(), full.as_deref(), &parts)
            }
            CmdletHandler::Iex => {
                let code = p
                    .value("command", &[], &[])
                    .or_else(|| p.positionals(&[]).first().copied());
                match code.map(|n| (n, literal(n, self.src))) {
                    Some((_, Some(code))) => {
                        let hits = crate::nested(self.t, &code, Shell::PowerShell, self.depth + 1);
                        let max = hits.iter().map(|h| h.tier).max().unwrap_or(Tier::T0);
                        let first = hits
                            .iter()
                            .find(|h| h.tier == max)
                            .map(|h| (h.name.clone(), h.rule.clone(), h.reason.clone()));
                        self.attach(cmd, hits, &id);
                        match first {
                            Some((n, r, why)) => Verdict::new(
                                max,
                                format!("{id}:literal>{r}"),
                                format!("`{}` of a literal string that runs `{n}`: {why}", c.name),
                            ),
                            None => Verdict::new(
                                Tier::T0,
                                format!("{id}:literal"),
                                format!("`{}` of a literal string with no command", c.name),
                            ),
                        }
                    }
                    _ => Verdict::new(
                        Tier::T2,
                        "fail-closed:dynamic-code",
                        format!(
                            "`{}` of code that is not a literal string: the classifier cannot see it",
                            c.name
                        ),
                    ),
                }
            }
            CmdletHandler::StartProcess => {
                const SW: &[&str] = &[
                    "nonewwindow",
                    "passthru",
                    "wait",
                    "usenewenvironment",
                    "loaduserprofile",
                    "whatif",
                    "confirm",
                ];
                let file = p
                    .value("filepath", &["path", "pspath", "lp"], SW)
                    .or_else(|| p.positionals(SW).first().copied());
                let Some(prog) = file.and_then(|f| literal(f, self.src)) else {
                    return Verdict::new(
                        Tier::T2,
                        "fail-closed:dynamic-command",
                        "`Start-Process` of a program that is not a literal",
                    );
                };
                let arg_node = p
                    .value("argumentlist", &["args"], SW)
                    .or_else(|| p.positionals(SW).get(1).copied());
                let nargs: Vec<NArg> = match arg_node {
                    None => Vec::new(),
                    Some(a) => match literal_list(a, self.src) {
                        Some(list) => list
                            .iter()
                            .flat_map(|s| split_command_line(s))
                            .map(NArg::lit)
                            .collect(),
                        None => vec![NArg::dynamic("")],
                    },
                };
                let prog_name = if prog.contains(['\\', '/']) {
                    match program_from_path(&prog) {
                        Ok(b) => b,
                        Err(why) => return Verdict::new(Tier::T2, "fail-closed:path", why),
                    }
                } else {
                    prog.clone()
                };
                let mut extra = Vec::new();
                let inner = classify_native(self.t, &prog_name, &nargs, self.depth + 1, &mut extra);
                self.attach(cmd, extra, &id);
                let mut v = Verdict::new(
                    inner.tier,
                    format!("{id}>{}", inner.rule),
                    format!("`Start-Process {prog_name}`: {}", inner.reason),
                );
                if p.has("redirectstandardoutput", &["rso"])
                    || p.has("redirectstandarderror", &["rse"])
                {
                    v = v.max(Verdict::new(
                        Tier::T1,
                        format!("{id}:redirect"),
                        "`Start-Process -RedirectStandardOutput` writes a file",
                    ));
                }
                v
            }
            CmdletHandler::ScriptBlockHost => {
                if p.has("filepath", &["path", "pspath"]) {
                    return Verdict::new(
                        Tier::T2,
                        "fail-closed:script-file",
                        format!(
                            "`{} -FilePath` runs a script file the classifier cannot see",
                            c.name
                        ),
                    );
                }
                if p.unknown_splat {
                    return Verdict::new(
                        Tier::T2,
                        format!("{id}:splat"),
                        format!(
                            "`{}` with a splatted hashtable that is not a literal",
                            c.name
                        ),
                    );
                }
                let sb = p.value("scriptblock", &["command", "sb"], &[]).or_else(|| {
                    p.positionals(&[
                        "asjob",
                        "hidecomputername",
                        "noNewScope",
                        "inDisconnectedSession",
                        "enablenetworkaccess",
                        "runasadministrator",
                        "remotedebug",
                        "usessl",
                    ])
                    .into_iter()
                    .find(|x| matches!(unwrap(*x).kind(), "script_block_expression" | "variable"))
                });
                match sb.map(unwrap) {
                    Some(x) if x.kind() == "variable" => {
                        let name = var_name(self.text(x));
                        if self.loc.script_block_var(&name) {
                            base
                        } else {
                            Verdict::new(
                                Tier::T2,
                                "fail-closed:dynamic-code",
                                format!(
                                    "`{}` runs `{}`, which is not a script block written in this step",
                                    c.name,
                                    self.text(x)
                                ),
                            )
                        }
                    }
                    Some(x) if x.kind() != "script_block_expression" => Verdict::new(
                        Tier::T2,
                        "fail-closed:dynamic-code",
                        format!("`{}` runs code that is not a script block literal", c.name),
                    ),
                    _ => base,
                }
            }
            CmdletHandler::ForEach => {
                let member = p.value("membername", &[], &[]).or_else(|| {
                    p.positionals(&["parallel-none"])
                        .into_iter()
                        .find(|x| unwrap(*x).kind() != "script_block_expression")
                });
                match member {
                    None => base,
                    Some(m) => match literal(m, self.src) {
                        Some(name) if under => Verdict::new(
                            Tier::T0,
                            format!("{id}:member"),
                            format!("`ForEach-Object {name}` on values made in this step"),
                        ),
                        Some(name) => {
                            let v = self.method_verdict(&name);
                            Verdict::new(
                                v.tier,
                                format!("{id}:member>{}", v.rule),
                                format!(
                                    "`ForEach-Object {name}` calls it on every input: {}",
                                    v.reason
                                ),
                            )
                        }
                        None => Verdict::new(
                            Tier::T2,
                            "fail-closed:dynamic-member",
                            "`ForEach-Object` of a member name that is not a literal",
                        ),
                    },
                }
            }
            CmdletHandler::Tee => {
                let file = p.has("filepath", &["path"])
                    || p.has("literalpath", &[])
                    || !p.positionals(&["append"]).is_empty();
                if file || p.unknown_splat {
                    Verdict::new(
                        Tier::T1,
                        format!("{id}:file"),
                        "`Tee-Object` to a file writes it",
                    )
                } else {
                    base
                }
            }
            CmdletHandler::NewObject => {
                if p.has("comobject", &["com"]) {
                    return Verdict::new(
                        Tier::T0,
                        format!("{id}:com"),
                        "`New-Object -ComObject` makes an object; its methods are classified",
                    );
                }
                let ty = p
                    .value("typename", &[], &["strict"])
                    .or_else(|| p.positionals(&["strict"]).first().copied());
                match ty.and_then(|x| literal(x, self.src)) {
                    Some(tn) => self.constructor(&tn),
                    None => Verdict::new(
                        Tier::T2,
                        "fail-closed:dynamic-type",
                        "`New-Object` of a type that is not a literal",
                    ),
                }
            }
        }
    }

    fn constructor(&self, written: &str) -> Verdict {
        let k = self.t.resolve_type(written);
        match self.t.constructors.get(&k) {
            Some(r) => Verdict::new(
                r.tier,
                format!("dotnet:new:{written}"),
                format!("`[{written}]::new` {}", r.why),
            ),
            None => Verdict::new(
                Tier::T0,
                "dotnet:new",
                format!("constructing a `[{written}]` changes nothing outside"),
            ),
        }
    }

    /// A method called on a value of unknown type.
    fn method_verdict(&self, name: &str) -> Verdict {
        match self.t.methods.get(&name.to_ascii_lowercase()) {
            Some(r) => Verdict::new(
                r.tier,
                format!("method:{name}"),
                format!("`.{name}()` {}", r.why),
            ),
            None => Verdict::new(
                Tier::T2,
                "fail-closed:unknown-method",
                format!(
                    "`.{name}()` on a value of unknown type is not in the method table: the classifier cannot see what it does"
                ),
            ),
        }
    }

    fn invocation(&mut self, n: Node<'t>, under: bool) {
        let kids = children(n);
        // `.ForEach('Name')` / `.Where(...)`
        if matches!(
            n.kind(),
            "invocation_foreach_expression" | "invocation_where_expression"
        ) {
            let receiver = kids.first().copied();
            let arg = named(n)
                .into_iter()
                .find(|k| k.kind() == "argument_list")
                .and_then(|a| named(a).into_iter().flat_map(named).next());
            if n.kind() == "invocation_foreach_expression"
                && let Some(a) = arg
                && unwrap(a).kind() != "script_block_expression"
            {
                let local = receiver.is_some_and(|r| self.loc.value(r, under));
                let v = match literal(a, self.src) {
                    Some(_) if local => Verdict::new(
                        Tier::T0,
                        "method:ForEach",
                        "`.ForEach(name)` on values made in this step",
                    ),
                    Some(m) => {
                        let v = self.method_verdict(&m);
                        Verdict::new(
                            v.tier,
                            format!("method:ForEach>{}", v.rule),
                            format!("`.ForEach('{m}')` calls it on every element: {}", v.reason),
                        )
                    }
                    None => Verdict::new(
                        Tier::T2,
                        "fail-closed:dynamic-member",
                        "`.ForEach()` of a member name that is not a literal",
                    ),
                };
                self.hit(n, v, ".ForEach", ".ForEach");
            }
            return;
        }
        if kids.iter().any(|k| {
            matches!(
                k.kind(),
                "invocation_foreach_expression" | "invocation_where_expression"
            )
        }) {
            return;
        }
        let Some(receiver) = kids.first().copied() else {
            return;
        };
        let Some(member) = kids.iter().find(|k| k.kind() == "member_name").copied() else {
            return;
        };
        let is_static = kids.iter().any(|k| k.kind() == "::");
        let mname = self.text(member).trim().to_string();
        if named(member).iter().any(|k| k.kind() != "simple_name") {
            let v = Verdict::new(
                Tier::T2,
                "fail-closed:dynamic-member",
                format!("calls `.{mname}`, a member name computed at run time"),
            );
            self.hit(n, v, &mname, "?");
            return;
        }
        if is_static && receiver.kind() == "type_literal" {
            let written = type_name(receiver, self.src);
            let key = self.t.resolve_type(&written);
            let v = if mname.eq_ignore_ascii_case("new") {
                self.constructor(&written)
            } else {
                match self.t.static_member(&key, &mname) {
                    Some(r) => Verdict::new(
                        r.tier,
                        format!("dotnet:[{written}]::{mname}"),
                        format!("`[{written}]::{mname}` {}", r.why),
                    ),
                    None => Verdict::new(
                        Tier::T2,
                        "fail-closed:unknown-static",
                        format!(
                            "`[{written}]::{mname}()` is not in the .NET table: the classifier cannot see what it does"
                        ),
                    ),
                }
            };
            let shown = format!("[{written}]::{mname}");
            self.hit(n, v, &shown, &shown);
            return;
        }
        let r = unwrap(receiver);
        let v = if r.kind() == "script_block_expression"
            || (r.kind() == "variable" && self.loc.script_block_var(&var_name(self.text(r))))
        {
            if matches!(
                mname.to_ascii_lowercase().as_str(),
                "invoke" | "invokereturnasis" | "getnewclosure" | "tostring"
            ) {
                Verdict::new(
                    Tier::T0,
                    "method:script-block",
                    format!(
                        "`.{mname}()` of a script block written in this step (its body is classified)"
                    ),
                )
            } else {
                self.method_verdict(&mname)
            }
        } else if self.loc.value(receiver, under) {
            Verdict::new(
                Tier::T0,
                "method:local",
                format!("`.{mname}()` on a value made in memory in this step"),
            )
        } else {
            self.method_verdict(&mname)
        };
        self.hit(n, v, &format!(".{mname}"), &format!(".{mname}()"));
    }

    fn assignment(&mut self, n: Node<'t>, under: bool) {
        let Some(left) = children(n).first().copied() else {
            return;
        };
        let target = unwrap(left);
        let target = if target.kind() == "left_assignment_expression" {
            unwrap(named(target).first().copied().unwrap_or(target))
        } else {
            target
        };
        match target.kind() {
            "member_access" => {
                let kids = children(target);
                let Some(base) = kids.first().copied() else {
                    return;
                };
                let member = kids
                    .iter()
                    .find(|k| k.kind() == "member_name")
                    .map(|m| self.text(*m).to_string())
                    .unwrap_or_default();
                if base.kind() == "type_literal" {
                    let written = type_name(base, self.src);
                    let key = self.t.resolve_type(&written);
                    let v = match self.t.static_member(&key, &member) {
                        Some(r) => Verdict::new(
                            r.tier,
                            format!("dotnet:[{written}]::{member}="),
                            format!("setting `[{written}]::{member}` {}", r.why),
                        ),
                        None => Verdict::new(
                            Tier::T2,
                            "fail-closed:unknown-static",
                            format!(
                                "setting `[{written}]::{member}`, which the .NET table does not list"
                            ),
                        ),
                    };
                    self.hit(
                        target,
                        v,
                        &format!("[{written}]::{member}"),
                        "static property",
                    );
                } else if !self.loc.value(base, under) {
                    let v = Verdict::new(
                        Tier::T1,
                        "property-set",
                        format!(
                            "setting `.{member}` on a value not made in this step may change a file, service or registry key (e.g. `$file.IsReadOnly`)"
                        ),
                    );
                    self.hit(target, v, &format!(".{member}"), "property");
                }
            }
            "variable" => {
                let name = var_name(self.text(target));
                if let Some((drive, _)) = name.split_once(':')
                    && !matches!(
                        drive,
                        "env"
                            | "function"
                            | "alias"
                            | "variable"
                            | "global"
                            | "local"
                            | "script"
                            | "private"
                            | "using"
                            | "workflow"
                    )
                {
                    let v = Verdict::new(
                        Tier::T1,
                        "provider-write",
                        format!(
                            "assigning `{}` writes an item of the {drive}: drive",
                            self.text(target)
                        ),
                    );
                    self.hit(target, v, self.text(target), "provider write");
                }
            }
            _ => {}
        }
    }

    fn redirection(&mut self, n: Node<'t>) {
        let kids = named(n);
        if kids
            .iter()
            .any(|k| k.kind() == "merging_redirection_operator")
        {
            return;
        }
        let Some(file) = kids.iter().find(|k| k.kind() == "redirected_file_name") else {
            return;
        };
        let target = self.text(*file).trim();
        if target.eq_ignore_ascii_case("$null") {
            return;
        }
        let op = kids
            .iter()
            .find(|k| k.kind() == "file_redirection_operator")
            .map_or(">", |o| self.text(*o));
        let v = Verdict::new(
            Tier::T1,
            "redirect:file",
            format!("`{op} {target}` writes a file"),
        );
        self.hit(n, v, &format!("{op} {target}"), "redirection");
    }
}

/// Splits a command line the way Start-Process arguments are joined.
fn split_command_line(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a "command name" is a number or a range of numbers (`1..5`,
/// `0x10`, `2.5`), which PowerShell reads as an expression.
fn is_number_expression(s: &str) -> bool {
    let num = |x: &str| {
        let x = x.strip_prefix('-').unwrap_or(x);
        !x.is_empty()
            && x.chars().next().is_some_and(|c| c.is_ascii_digit())
            && (x.chars().all(|c| c.is_ascii_digit() || c == '.')
                || (x.len() > 2
                    && x.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"))
                    && x.get(2..)
                        .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()))))
    };
    match s.split_once("..") {
        Some((a, b)) => num(a) && num(b),
        None => num(s) && s.matches('.').count() <= 1,
    }
}
