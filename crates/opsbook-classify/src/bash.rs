//! bash steps: walks the tree-sitter-bash syntax tree and rates every
//! command (native programs and builtins by their arguments, native.toml),
//! command substitution, function body and redirection.

use std::collections::HashSet;

use opsbook_core::model::Tier;
use tree_sitter::Node;

use crate::engine::{Hit, NArg, Verdict};
use crate::native::{classify_native, program_from_path};
use crate::pwsh_value::{children, named};
use crate::tables::Tables;
use crate::{Shell, parse, parse_error_hit, parser_failed};

/// Classifies bash code; hit spans are offsets in `code`.
pub(crate) fn analyse(t: &Tables, code: &str, depth: usize) -> Vec<Hit> {
    let safe = ascii_only(code);
    let code = safe.as_str();
    let Some(tree) = parse(code, Shell::Bash) else {
        return vec![parser_failed(Shell::Bash, code.len())];
    };
    let root = tree.root_node();
    let mut functions = HashSet::new();
    collect_functions(root, code, &mut functions);
    let mut w = Walker {
        t,
        src: code,
        functions,
        hits: Vec::new(),
        depth,
    };
    if let Some(h) = parse_error_hit(root, code) {
        w.hits.push(h);
    }
    w.walk(root);
    w.hits
}

/// tree-sitter-bash 0.25.1's scanner calls C `isdigit` on the character
/// after `{` (brace ranges), which reads out of bounds for characters above
/// U+00FF and crashes the process for some (`{` + U+65E20 and above). bash
/// reads every non-ASCII character as part of a word, so each is replaced
/// by as many `_` as it has bytes: offsets stay the same and no word
/// boundary moves. (Non-ASCII dashes and quotes are reported before this.)
fn ascii_only(code: &str) -> String {
    if code.is_ascii() {
        return code.to_string();
    }
    let mut out = String::with_capacity(code.len());
    for c in code.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n('_', c.len_utf8()));
        }
    }
    out
}

fn collect_functions(n: Node<'_>, src: &str, out: &mut HashSet<String>) {
    if n.kind() == "function_definition"
        && let Some(name) = n.child_by_field_name("name")
    {
        out.insert(src[name.byte_range()].to_string());
    }
    for c in children(n) {
        collect_functions(c, src, out);
    }
}

/// The literal text of a word, if it has no expansion or substitution.
fn literal(n: Node<'_>, src: &str) -> Option<String> {
    let text = &src[n.byte_range()];
    match n.kind() {
        "word" | "command_name" if named(n).is_empty() => Some(unescape_word(text)),
        "command_name" => {
            let k = named(n);
            if k.len() == 1 {
                literal(k[0], src)
            } else {
                None
            }
        }
        "number" if named(n).is_empty() => Some(text.to_string()),
        "raw_string" => Some(
            text.trim_start_matches('\'')
                .trim_end_matches('\'')
                .to_string(),
        ),
        "ansi_c_string" => Some(
            text.trim_start_matches("$'")
                .trim_end_matches('\'')
                .replace("\\n", "\n")
                .replace("\\t", "\t"),
        ),
        "string" => {
            let mut out = String::new();
            for k in named(n) {
                if k.kind() != "string_content" {
                    return None;
                }
                out.push_str(&unescape_dq(&src[k.byte_range()]));
            }
            Some(out)
        }
        "concatenation" => {
            let mut out = String::new();
            for k in named(n) {
                out.push_str(&literal(k, src)?);
            }
            Some(out)
        }
        _ => None,
    }
}

fn unescape_word(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(n) = it.next()
                && n != '\n'
            {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape_dq(s: &str) -> String {
    s.replace("\\\"", "\"")
        .replace("\\$", "$")
        .replace("\\`", "`")
        .replace("\\\\", "\\")
}

/// Literal text before the first dynamic part of a word.
fn prefix(n: Node<'_>, src: &str) -> String {
    if let Some(l) = literal(n, src) {
        return l;
    }
    let mut out = String::new();
    if matches!(n.kind(), "concatenation" | "string") {
        for k in named(n) {
            match literal(k, src)
                .or_else(|| (k.kind() == "string_content").then(|| src[k.byte_range()].to_string()))
            {
                Some(l) => out.push_str(&l),
                None => break,
            }
        }
    }
    out
}

struct Walker<'a> {
    t: &'a Tables,
    src: &'a str,
    functions: HashSet<String>,
    hits: Vec<Hit>,
    depth: usize,
}

impl Walker<'_> {
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

    fn walk(&mut self, n: Node<'_>) {
        match n.kind() {
            "comment" | "heredoc_start" | "heredoc_end" => {}
            "command" => {
                self.command(n);
                for c in children(n) {
                    if c.kind() != "command_name" {
                        self.walk(c);
                    } else {
                        for k in named(c) {
                            self.walk(k);
                        }
                    }
                }
            }
            "file_redirect" => self.redirect(n),
            _ => {
                for c in children(n) {
                    self.walk(c);
                }
            }
        }
    }

    fn command(&mut self, cmd: Node<'_>) {
        let Some(name_node) = cmd.child_by_field_name("name") else {
            return;
        };
        let mut args: Vec<NArg> = Vec::new();
        let mut c = cmd.walk();
        for a in cmd.children_by_field_name("argument", &mut c) {
            match literal(a, self.src) {
                Some(l) => args.push(NArg::lit(l)),
                None => args.push(NArg::dynamic(prefix(a, self.src))),
            }
        }
        let Some(name) = literal(name_node, self.src) else {
            let text = &self.src[name_node.byte_range()];
            let v = Verdict::new(
                Tier::T2,
                "fail-closed:dynamic-command",
                format!(
                    "runs `{text}`, a command computed at run time: the classifier cannot see it"
                ),
            );
            self.hit(cmd, v, text, "?");
            return;
        };
        if self.functions.contains(&name) {
            let v = Verdict::new(
                Tier::T0,
                "function",
                format!("`{name}` is a function defined in this step (its body is classified)"),
            );
            self.hit(cmd, v, &name, &name);
            return;
        }
        let prog = if name.contains('/') {
            match program_from_path(&name) {
                Ok(b) => b,
                Err(why) => {
                    self.hit(
                        cmd,
                        Verdict::new(Tier::T2, "fail-closed:path", why),
                        &name,
                        &name,
                    );
                    return;
                }
            }
        } else {
            name.clone()
        };
        if [".sh", ".bash", ".py", ".pl", ".rb", ".ps1"]
            .iter()
            .any(|e| prog.ends_with(e))
        {
            let v = Verdict::new(
                Tier::T2,
                "fail-closed:script-file",
                format!("`{name}` is a script file: the classifier cannot see what it does"),
            );
            self.hit(cmd, v, &name, &name);
            return;
        }
        let mut extra = Vec::new();
        let v = classify_native(self.t, &prog, &args, self.depth, &mut extra);
        for mut h in extra {
            h.span = (cmd.start_byte(), cmd.end_byte());
            h.rule = format!("native:{prog}>{}", h.rule);
            self.hits.push(h);
        }
        self.hit(cmd, v, &name, &prog);
    }

    fn redirect(&mut self, n: Node<'_>) {
        let op: String = children(n)
            .iter()
            .filter(|k| !k.is_named())
            .map(|k| &self.src[k.byte_range()])
            .collect::<Vec<_>>()
            .join("");
        if op.starts_with('<') && !op.contains('>') {
            return;
        }
        let Some(dest) = n.child_by_field_name("destination") else {
            return;
        };
        let d = literal(dest, self.src);
        let harmless = match d.as_deref() {
            Some("/dev/null" | "/dev/stderr" | "/dev/stdout" | "/dev/tty" | "-") => true,
            Some(x) if op.ends_with('&') || op == ">&" || op == "<&" => {
                x.chars().all(|c| c.is_ascii_digit()) || x == "-"
            }
            _ => false,
        };
        if harmless {
            return;
        }
        let shown = format!("{op} {}", &self.src[dest.byte_range()]);
        let v = Verdict::new(
            Tier::T1,
            "redirect:file",
            format!("`{shown}` writes a file"),
        );
        self.hit(n, v, &shown, "redirection");
    }
}
