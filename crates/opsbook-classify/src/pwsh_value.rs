//! PowerShell values as the classifier sees them: literal text of an
//! argument, the variables a step assigns, and whether a value lives in
//! memory only (a literal, parsed data, a string) so that its methods cannot
//! reach outside.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use crate::tables::Tables;

/// Where a variable's value comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'t> {
    /// `$x = <value>` (the assignment_value node).
    Value(Node<'t>),
    /// `foreach ($x in <pipeline>)`: one element of it.
    Element(Node<'t>),
    /// A parameter or anything else the step does not show.
    Unknown,
}

/// What the pre-pass learns about a step.
#[derive(Debug, Default)]
pub(crate) struct Facts<'t> {
    /// Lower-cased names of functions the step defines.
    pub functions: HashSet<String>,
    /// Lower-cased variable name → every assignment.
    pub vars: HashMap<String, Vec<Source<'t>>>,
    /// Variables changed through a member, an index or a method
    /// (`$p.Method = …`, `$p['x'] = …`, `$p.Add(…)`).
    pub mutated: HashSet<String>,
}

/// The canonical name of a variable node's text: sigil, braces and scope
/// dropped, lower-cased (`$Global:X` → `x`, `${env:Path}` → `env:path`).
pub(crate) fn var_name(text: &str) -> String {
    let t = text.trim_start_matches(['$', '@']);
    let t = t
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(t);
    let l = t.to_ascii_lowercase();
    for scope in [
        "global:",
        "local:",
        "script:",
        "private:",
        "using:",
        "variable:",
    ] {
        if let Some(r) = l.strip_prefix(scope) {
            return r.to_string();
        }
    }
    l
}

/// Removes PowerShell backtick escapes from bareword text (`` Re`move `` →
/// `Remove`; `` `n `` → newline, as the tokenizer reads them).
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '`' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('a') => out.push('\u{7}'),
                Some('b') => out.push('\u{8}'),
                Some('e') => out.push('\u{1b}'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some('\n') => {}
                Some(x) => out.push(x),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The named children of a node.
pub(crate) fn named<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut c = n.walk();
    n.named_children(&mut c).collect()
}

/// All children of a node.
pub(crate) fn children<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut c = n.walk();
    n.children(&mut c).collect()
}

/// Unwraps single-child wrappers (unary_expression, argument_expression, …).
pub(crate) fn unwrap(mut n: Node<'_>) -> Node<'_> {
    loop {
        let k = n.kind();
        let wrapper = matches!(
            k,
            "unary_expression"
                | "argument_expression"
                | "pipeline_chain"
                | "assignment_value"
                | "pipeline"
                | "expression_with_unary_operator"
                | "command_name_expr"
                | "path_command_name"
        );
        let kids = named(n);
        if wrapper && kids.len() == 1 && n.child_count() == 1 {
            n = kids[0];
        } else {
            return n;
        }
    }
}

/// The literal text of an argument or expression, if it has no variable,
/// sub-expression or other dynamic part.
pub(crate) fn literal(n: Node<'_>, src: &str) -> Option<String> {
    let n = unwrap(n);
    let text = &src[n.byte_range()];
    match n.kind() {
        "generic_token" | "command_name" | "path_command_name_token" | "simple_name" => {
            if named(n)
                .iter()
                .any(|k| matches!(k.kind(), "variable" | "sub_expression"))
            {
                None
            } else {
                Some(unescape(text))
            }
        }
        "integer_literal"
        | "real_literal"
        | "decimal_integer_literal"
        | "hexadecimal_integer_literal" => Some(text.to_string()),
        "string_literal" => named(n).first().and_then(|c| literal(*c, src)),
        "verbatim_string_characters" => {
            let inner = text
                .strip_prefix('\'')
                .and_then(|t| t.strip_suffix('\''))
                .unwrap_or(text);
            Some(inner.replace("''", "'"))
        }
        "verbatim_here_string_characters" => Some(here_body(text)),
        "expandable_string_literal" => {
            if named(n)
                .iter()
                .any(|k| matches!(k.kind(), "variable" | "sub_expression"))
            {
                return None;
            }
            let inner = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text);
            Some(unescape(&inner.replace("\"\"", "\"")))
        }
        "expandable_here_string_literal" => {
            if named(n)
                .iter()
                .any(|k| matches!(k.kind(), "variable" | "sub_expression"))
            {
                return None;
            }
            Some(unescape(&here_body(text)))
        }
        "expandable_bareword" | "concatenated_command_argument" => {
            let mut out = String::new();
            for k in named(n) {
                out.push_str(&literal(k, src)?);
            }
            if named(n).is_empty() {
                Some(unescape(text))
            } else {
                Some(out)
            }
        }
        "command_parameter" => Some(text.trim_end_matches(':').to_string()),
        "escape_character" => Some(unescape(text)),
        _ => None,
    }
}

fn here_body(text: &str) -> String {
    let t = text.get(2..text.len().saturating_sub(2)).unwrap_or("");
    let t = t
        .strip_prefix("\r\n")
        .or_else(|| t.strip_prefix('\n'))
        .unwrap_or(t);
    t.strip_suffix("\r\n")
        .or_else(|| t.strip_suffix('\n'))
        .unwrap_or(t)
        .to_string()
}

/// The literal text of an argument up to its first dynamic part
/// (`/manualpeerlist:"$peers"` → `/manualpeerlist:`), and its literal parts
/// joined (for URL matching).
pub(crate) fn literal_parts(n: Node<'_>, src: &str) -> (String, String) {
    if let Some(l) = literal(n, src) {
        return (l.clone(), l);
    }
    let n = unwrap(n);
    let mut prefix = String::new();
    let mut all = String::new();
    let mut dynamic_seen = false;
    let mut push = |s: &str, dynamic: bool, prefix: &mut String, all: &mut String| {
        if dynamic {
            dynamic_seen = true;
            all.push('\u{0}');
        } else {
            if !dynamic_seen {
                prefix.push_str(s);
            }
            all.push_str(s);
        }
    };
    match n.kind() {
        "string_literal" => {
            return named(n)
                .first()
                .map_or((String::new(), String::new()), |c| literal_parts(*c, src));
        }
        "expandable_string_literal" | "expandable_here_string_literal" => {
            let text = &src[n.byte_range()];
            let skip = if n.kind() == "expandable_string_literal" {
                1
            } else {
                2
            };
            let mut pos = n.start_byte() + skip;
            for k in named(n) {
                if k.start_byte() > pos {
                    push(&src[pos..k.start_byte()], false, &mut prefix, &mut all);
                }
                push("", true, &mut prefix, &mut all);
                pos = k.end_byte();
            }
            let end = n.end_byte().saturating_sub(skip).max(pos);
            push(&src[pos..end], false, &mut prefix, &mut all);
            let _ = text;
        }
        "concatenated_command_argument" | "expandable_bareword" => {
            for k in named(n) {
                let (p, a) = literal_parts(k, src);
                match literal(k, src) {
                    Some(l) => push(&l, false, &mut prefix, &mut all),
                    None => {
                        push(&p, false, &mut prefix, &mut all);
                        push("", true, &mut prefix, &mut all);
                        all.push_str(a.trim_start_matches(p.as_str()));
                    }
                }
            }
        }
        _ => push("", true, &mut prefix, &mut all),
    }
    (prefix, all)
}

/// The strings of a literal list argument (`'a', 'b'` or `'a'`).
pub(crate) fn literal_list(n: Node<'_>, src: &str) -> Option<Vec<String>> {
    let n = unwrap(n);
    if n.kind() == "array_literal_expression" {
        named(n).into_iter().map(|k| literal(k, src)).collect()
    } else {
        literal(n, src).map(|s| vec![s])
    }
}

/// The .NET type name written in a type literal (`[System.IO.File]` → `System.IO.File`).
pub(crate) fn type_name(n: Node<'_>, src: &str) -> String {
    src[n.byte_range()]
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .to_string()
}

/// Automatic variables whose values are data (strings, numbers, host info).
const DATA_AUTOMATIC: &[&str] = &[
    "true",
    "false",
    "null",
    "psversiontable",
    "host",
    "error",
    "matches",
    "pwd",
    "psscriptroot",
    "pscommandpath",
    "home",
    "pid",
    "lastexitcode",
    "psculture",
    "psuiculture",
    "?",
    "ofs",
    "shellid",
    "nestedpromptlevel",
    "pshome",
    "profile",
    "iswindows",
    "islinux",
    "ismacos",
    "iscoreclr",
    "psedition",
    "erroractionpreference",
    "verbosepreference",
    "debugpreference",
    "warningpreference",
    "informationpreference",
    "confirmpreference",
    "whatifpreference",
    "progresspreference",
    "psstyle",
    "outputencoding",
    "psdefaultparametervalues",
    "maximumhistorycount",
    "psitem-none",
];

/// Whether values live in memory only.
pub(crate) struct Locality<'a, 't> {
    pub src: &'a str,
    pub tables: &'a Tables,
    pub facts: &'a Facts<'t>,
    pub memo: std::cell::RefCell<HashMap<String, bool>>,
    pub visiting: std::cell::RefCell<HashSet<String>>,
}

impl<'t> Locality<'_, 't> {
    /// A variable: automatic data, or every assignment in the step is local.
    pub(crate) fn var(&self, name: &str, under: bool) -> bool {
        if name == "_" || name == "psitem" {
            return under;
        }
        if name.starts_with("env:") || DATA_AUTOMATIC.contains(&name) {
            return true;
        }
        if let Some(&m) = self.memo.borrow().get(name) {
            return m;
        }
        if !self.visiting.borrow_mut().insert(name.to_string()) {
            return true;
        }
        let result = match self.facts.vars.get(name) {
            None => false,
            Some(sources) => sources.iter().all(|s| match s {
                Source::Value(v) | Source::Element(v) => self.value(*v, false),
                Source::Unknown => false,
            }),
        };
        self.visiting.borrow_mut().remove(name);
        self.memo.borrow_mut().insert(name.to_string(), result);
        result
    }

    /// Whether a type's objects live in memory only.
    pub(crate) fn local_type(&self, written: &str) -> bool {
        let k = self.tables.resolve_type(written);
        self.tables.local_types.contains(&k)
            || self
                .tables
                .static_member(&k, "*")
                .is_some_and(|r| r.tier == opsbook_core::model::Tier::T0)
    }

    /// Whether the value of an expression or pipeline lives in memory only.
    /// `under` is whether `$_` does.
    pub(crate) fn value(&self, n: Node<'t>, under: bool) -> bool {
        let k = n.kind();
        match k {
            "assignment_value"
            | "pipeline"
            | "pipeline_chain"
            | "parenthesized_expression"
            | "statement_list" => self.pipeline(n, under),
            "sub_expression" | "array_expression" => named(n).iter().all(|c| self.value(*c, under)),
            "string_literal"
            | "integer_literal"
            | "real_literal"
            | "hash_literal_expression"
            | "script_block_expression"
            | "type_literal"
            | "comparison_expression"
            | "logical_expression"
            | "format_expression"
            | "range_expression"
            | "bitwise_expression"
            | "comparison_argument_expression"
            | "logical_argument_expression"
            | "format_argument_expression"
            | "range_argument_expression"
            | "pre_increment_expression"
            | "pre_decrement_expression"
            | "post_increment_expression"
            | "post_decrement_expression"
            | "empty_statement"
            | "comment" => true,
            "unary_expression" | "argument_expression" | "expression_with_unary_operator" => {
                let kids = named(n);
                if kids.len() == 1 && n.child_count() == 1 {
                    self.value(kids[0], under)
                } else {
                    // An operator in front (-not, -join, -split, !, +, -) makes a value.
                    true
                }
            }
            "array_literal_expression"
            | "additive_expression"
            | "multiplicative_expression"
            | "additive_argument_expression"
            | "multiplicative_argument_expression"
            | "ternary_expression"
            | "null_coalesce_expression"
            | "ternary_argument_expression"
            | "null_coalesce_argument_expression" => named(n).iter().all(|c| self.value(*c, under)),
            "cast_expression" => {
                let kids = named(n);
                kids.first().is_some_and(|t| {
                    t.kind() == "type_literal" && self.local_type(&type_name(*t, self.src))
                })
            }
            "variable" => self.var(&var_name(&self.src[n.byte_range()]), under),
            "member_access" | "element_access" => {
                let kids = children(n);
                match kids.first() {
                    Some(t) if t.kind() == "type_literal" => {
                        self.local_type(&type_name(*t, self.src))
                    }
                    Some(r) => self.value(*r, under),
                    None => false,
                }
            }
            "invocation_expression" => {
                let kids = children(n);
                match kids.first() {
                    Some(t) if t.kind() == "type_literal" => {
                        self.local_type(&type_name(*t, self.src))
                    }
                    Some(r)
                        if matches!(
                            r.kind(),
                            "invocation_foreach_expression" | "invocation_where_expression"
                        ) =>
                    {
                        self.value(*r, under)
                    }
                    Some(r) => self.value(*r, under),
                    None => false,
                }
            }
            "invocation_foreach_expression" | "invocation_where_expression" => {
                named(n).first().is_some_and(|r| self.value(*r, under))
            }
            "command" => self.command_output(n, under),
            _ => false,
        }
    }

    fn pipeline(&self, n: Node<'t>, under: bool) -> bool {
        match n.kind() {
            "pipeline_chain" => {
                let mut out = under;
                let mut first = true;
                for c in named(n) {
                    if matches!(c.kind(), "pipeline_chain_tail" | "comment" | "redirections") {
                        continue;
                    }
                    out = if c.kind() == "command" {
                        self.command_output(c, out)
                    } else {
                        self.value(c, under)
                    };
                    first = false;
                }
                !first && out
            }
            _ => {
                let kids: Vec<_> = named(n)
                    .into_iter()
                    .filter(|c| !matches!(c.kind(), "comment" | "empty_statement"))
                    .collect();
                !kids.is_empty() && kids.iter().all(|c| self.value(*c, under))
            }
        }
    }

    /// Whether a command's output is data: `data` cmdlets, and commands that
    /// pass their input through when it is data.
    pub(crate) fn command_output(&self, cmd: Node<'t>, input: bool) -> bool {
        let Some(name) = cmd
            .child_by_field_name("command_name")
            .and_then(|c| literal(c, self.src))
        else {
            return false;
        };
        let mut lower = name.to_ascii_lowercase();
        if let Some(i) = lower.rfind('\\') {
            lower = lower[i + 1..].to_string();
        }
        if let Some(a) = self.tables.alias(&lower) {
            match (&a.ps51, &a.ps7) {
                (Some(x), Some(y)) if x == y => lower = x.to_ascii_lowercase(),
                _ => return false,
            }
        }
        if self.facts.functions.contains(&lower) {
            return false;
        }
        if matches!(
            lower.as_str(),
            "where-object"
                | "sort-object"
                | "select-object"
                | "get-unique"
                | "tee-object"
                | "write-output"
                | "out-default"
                | "format-table"
                | "format-list"
        ) {
            return input;
        }
        self.tables.cmdlets.get(&lower).is_some_and(|c| c.data)
    }

    /// Whether every assignment of a variable is a script block literal.
    pub(crate) fn script_block_var(&self, name: &str) -> bool {
        match self.facts.vars.get(name) {
            Some(s) if !s.is_empty() => s.iter().all(
                |s| matches!(s, Source::Value(v) if unwrap(*v).kind() == "script_block_expression"),
            ),
            _ => false,
        }
    }

    /// The literal strings a variable is ever assigned, if every assignment is one.
    pub(crate) fn string_var(&self, name: &str) -> Option<Vec<String>> {
        match self.facts.vars.get(name) {
            Some(s) if !s.is_empty() => s
                .iter()
                .map(|s| match s {
                    Source::Value(v) => literal(*v, self.src),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// The hash literal a splatted variable holds, if it is one literal the
    /// step never changes.
    pub(crate) fn splat_hash(&self, name: &str) -> Option<Node<'t>> {
        if self.facts.mutated.contains(name) {
            return None;
        }
        match self.facts.vars.get(name).map(Vec::as_slice) {
            Some([Source::Value(v)]) => {
                let u = unwrap(*v);
                if u.kind() == "hash_literal_expression" {
                    Some(u)
                } else if u.kind() == "cast_expression" {
                    named(u)
                        .into_iter()
                        .map(unwrap)
                        .find(|k| k.kind() == "hash_literal_expression")
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}
