//! The step classifier: the code of a runbook step (PowerShell or bash) →
//! the lowest danger tier it may be declared as (T0 read-only, T1
//! reversible, T2 irreversible or wide blast radius; DESIGN §2 "Danger
//! tiers", D-AUTO-BOUNDARY, D-WIN), with the command that forced it.
//!
//! [`classify`] parses the code with tree-sitter (`tree-sitter-pwsh`,
//! `tree-sitter-bash`; one parser per thread, reused), walks every command,
//! pipeline, script block, redirection, .NET call and nested string of code,
//! and rates each by the tables under `data/` (documented there and in
//! `docs/tiers.md`). The step's tier is the highest of them. It fails
//! closed: a parse error, or anything it cannot see (a command name that is
//! not a literal, `iex $code`, `-EncodedCommand`, a script run by path, an
//! unknown program, an unknown .NET member) is T2 with the reason.
//!
//! [`classify_runbook`] does every fenced block of a runbook Markdown file
//! and says which fences are not steps (never executed).

mod bash;
pub mod docs;
mod engine;
mod exitcheck;
mod native;
mod normalize;
mod pwsh;
mod pwsh_value;
mod runbook;
mod tables;

use std::cell::RefCell;

use serde::Serialize;

pub use exitcheck::{ExitCheck, exit_checks, with_exit_checks};
pub use normalize::{Finding, FindingKind};
pub use opsbook_core::model::Tier;
pub use runbook::{Fence, RunbookClassification, Step, classify_blocks, classify_runbook};
pub use tables::table_problems;

use engine::Hit;

/// The shell a step is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    /// Windows PowerShell 5.1 and PowerShell 7 (both hosts' meanings count).
    PowerShell,
    /// bash (also used for `sh`, `shell` and `zsh` fences: POSIX shell code
    /// is read with the bash grammar).
    Bash,
    /// cmd.exe batch code: not parsed, always T2 (fail closed).
    Cmd,
}

impl Shell {
    /// The shell of a fence's info-string language word, case-insensitive:
    /// `powershell`, `pwsh`, `ps1`, `ps`, `posh` → PowerShell; `bash`, `sh`,
    /// `shell`, `zsh`, `ksh`, `dash` → Bash; `cmd`, `bat`, `batch` → Cmd.
    /// Anything else — untagged fences, `console` (a transcript of prompts
    /// and output, not a script), `text`, `output`, `json`, `yaml` … — is
    /// `None`: not a step, never executed.
    #[must_use]
    pub fn from_info_string(lang: &str) -> Option<Shell> {
        let word = lang
            .split(|c: char| c.is_whitespace() || c == '{')
            .next()
            .unwrap_or("");
        match word.to_ascii_lowercase().as_str() {
            "powershell" | "pwsh" | "ps1" | "ps" | "posh" => Some(Shell::PowerShell),
            "bash" | "sh" | "shell" | "zsh" | "ksh" | "dash" => Some(Shell::Bash),
            "cmd" | "bat" | "batch" => Some(Shell::Cmd),
            _ => None,
        }
    }

    /// Parses `powershell` or `bash` (and the other info-string words).
    #[must_use]
    pub fn parse(s: &str) -> Option<Shell> {
        Shell::from_info_string(s)
    }
}

/// A byte range in the classified code, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// The node that forced a step's tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forcing {
    /// The command or node as written (first line, at most 120 characters).
    pub command: String,
    /// 1-based line in the code.
    pub line: usize,
    /// 1-based column (characters) in the code.
    pub column: usize,
    /// Byte offsets in the code.
    pub span: Span,
    /// The rule that rated it, e.g. `verb:Remove`, `native:w32tm:/resync`,
    /// `http:endpoint:/order`, `fail-closed:parse-error`.
    pub rule: String,
}

/// One classified operation of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandInfo {
    /// As written (backtick escapes removed, normalised).
    pub name: String,
    /// What it resolved to (`Remove-Item` for `rm`, `sc.exe`, `[IO.File]::Delete`).
    pub resolved: String,
    /// Its tier.
    pub tier: Tier,
    /// The rule that rated it.
    pub rule: String,
    /// Why, in one line.
    pub reason: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Byte offsets in the code.
    pub span: Span,
}

/// The classifier's answer for one step. JSON (`--format json`):
/// `{"tier": "T2", "forced_by": {...}, "reason": "…", "commands": [...], "findings": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// The lowest tier the step may be declared as.
    pub tier: Tier,
    /// The first node (in source order) that reached `tier`; `None` for a
    /// T0 step with no operation at all.
    pub forced_by: Option<Forcing>,
    /// One line: why the step is `tier`.
    pub reason: String,
    /// The shell the code was read as.
    pub shell: Shell,
    /// Every classified operation, in source order.
    pub commands: Vec<CommandInfo>,
    /// Non-ASCII dashes, quotes and spaces (the gate makes them errors).
    pub findings: Vec<Finding>,
}

/// Steps remembered per thread: runbooks repeat snippets (`opsbook safety
/// status`, the same evidence command), and classification is a pure
/// function of the code, the shell and the embedded tables.
const CACHE_ENTRIES: usize = 4096;

thread_local! {
    static CACHE: RefCell<std::collections::HashMap<(Shell, String), Classification>> = RefCell::new(std::collections::HashMap::new());
    static PWSH: RefCell<Option<tree_sitter::Parser>> = const { RefCell::new(None) };
    static BASH: RefCell<Option<tree_sitter::Parser>> = const { RefCell::new(None) };
}

/// Parses `code` with this thread's parser for `shell` (created once).
/// `None` when the grammar cannot be loaded (ABI mismatch) or parsing fails.
pub(crate) fn parse(code: &str, shell: Shell) -> Option<tree_sitter::Tree> {
    let cell = match shell {
        Shell::PowerShell => &PWSH,
        Shell::Bash => &BASH,
        Shell::Cmd => return None,
    };
    cell.with(|p| {
        let mut p = p.borrow_mut();
        if p.is_none() {
            let lang: tree_sitter::Language = match shell {
                Shell::PowerShell => tree_sitter_pwsh::LANGUAGE.into(),
                _ => tree_sitter_bash::LANGUAGE.into(),
            };
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang).ok()?;
            *p = Some(parser);
        }
        p.as_mut()?.parse(code, None)
    })
}

/// Whether the grammar of `shell` loads in this build (an ABI mismatch
/// between the tree-sitter core and a grammar only shows at run time).
#[must_use]
pub fn grammar_loads(shell: Shell) -> bool {
    parse("x", shell).is_some()
}

/// Classifies the code of one step (D-AUTO-BOUNDARY).
///
/// `code` is the text inside the fence (`\n` line endings; `\r\n` is
/// accepted). Never panics: malformed code is T2 with
/// `fail-closed:parse-error`. Line and column numbers are 1-based and count
/// from the first line of `code`; columns count characters.
/// Results are remembered per thread (up to 4,096 distinct steps) so that a
/// snippet repeated across runbooks is parsed once.
#[must_use]
pub fn classify(code: &str, shell: Shell) -> Classification {
    if let Some(c) = CACHE.with(|c| c.borrow().get(&(shell, code.to_string())).cloned()) {
        return c;
    }
    let c = classify_uncached(code, shell);
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert((shell, code.to_string()), c.clone());
    });
    c
}

/// [`classify`] without the per-thread cache (for benchmarks).
#[must_use]
pub fn classify_uncached(code: &str, shell: Shell) -> Classification {
    let (findings, norm) = normalize::scan(code, shell == Shell::PowerShell);
    let mut hits = match &*tables::TABLES {
        Err(problems) => vec![Hit {
            tier: Tier::T2,
            rule: "fail-closed:tables".into(),
            reason: format!(
                "the classifier's tables are malformed ({}): every step is T2",
                problems.len()
            ),
            name: String::new(),
            resolved: String::new(),
            span: (0, 0),
        }],
        Ok(t) => match shell {
            Shell::PowerShell => pwsh::analyse(t, &norm.text, 0, Some(&norm)),
            Shell::Bash => bash::analyse(t, code, 0),
            Shell::Cmd => cmd_hits(code),
        },
    };
    if shell == Shell::PowerShell {
        for h in &mut hits {
            h.span = (norm.original(h.span.0), norm.original(h.span.1));
        }
    }
    assemble(code, shell, hits, findings)
}

fn cmd_hits(code: &str) -> Vec<Hit> {
    if code.trim().is_empty() {
        return Vec::new();
    }
    let first = code.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let start = code.find(first).unwrap_or(0);
    vec![Hit {
        tier: Tier::T2,
        rule: "fail-closed:cmd".into(),
        reason: "cmd.exe batch code is not parsed: write the step in PowerShell".into(),
        name: first.trim().to_string(),
        resolved: "cmd.exe".into(),
        span: (start, start + first.len()),
    }]
}

/// Line and column (1-based, characters) of a byte offset.
pub(crate) fn line_col(code: &str, off: usize) -> (usize, usize) {
    let off = floor_char(code, off.min(code.len()));
    let before = &code[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn snippet(code: &str, span: (usize, usize)) -> String {
    let (s, e) = (
        floor_char(code, span.0.min(code.len())),
        floor_char(code, span.1.min(code.len())),
    );
    let text = code[s..e.max(s)].lines().next().unwrap_or("").trim();
    let mut out: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        out.push('…');
    }
    out
}

fn assemble(
    code: &str,
    shell: Shell,
    mut hits: Vec<Hit>,
    findings: Vec<Finding>,
) -> Classification {
    hits.sort_by_key(|h| (h.span.0, std::cmp::Reverse(h.span.1)));
    let tier = hits.iter().map(|h| h.tier).max().unwrap_or(Tier::T0);
    let commands: Vec<CommandInfo> = hits
        .iter()
        .map(|h| {
            let (line, column) = line_col(code, h.span.0);
            CommandInfo {
                name: if h.name.is_empty() {
                    snippet(code, h.span)
                } else {
                    h.name.clone()
                },
                resolved: h.resolved.clone(),
                tier: h.tier,
                rule: h.rule.clone(),
                reason: h.reason.clone(),
                line,
                column,
                span: Span {
                    start: h.span.0,
                    end: h.span.1,
                },
            }
        })
        .collect();
    let forcing = hits.iter().find(|h| h.tier == tier);
    let (forced_by, reason) = match forcing {
        Some(h) => {
            let (line, column) = line_col(code, h.span.0);
            (
                Some(Forcing {
                    command: snippet(code, h.span),
                    line,
                    column,
                    span: Span {
                        start: h.span.0,
                        end: h.span.1,
                    },
                    rule: h.rule.clone(),
                }),
                format!("{} (line {line})", h.reason),
            )
        }
        None => (None, "no command: nothing runs".to_string()),
    };
    Classification {
        tier,
        forced_by,
        reason,
        shell,
        commands,
        findings,
    }
}

/// Classifies code nested in a string (`iex '…'`, `bash -c '…'`) at
/// `depth`, returning its hits relative to that code.
pub(crate) fn nested(t: &tables::Tables, code: &str, shell: Shell, depth: usize) -> Vec<Hit> {
    if depth > engine::MAX_DEPTH {
        return vec![Hit {
            tier: Tier::T2,
            rule: "fail-closed:too-deep".into(),
            reason: "code nested in strings too deeply to follow".into(),
            name: String::new(),
            resolved: String::new(),
            span: (0, code.len()),
        }];
    }
    match shell {
        Shell::PowerShell => {
            let (_, norm) = normalize::scan(code, true);
            let mut h = pwsh::analyse(t, &norm.text, depth, Some(&norm));
            for x in &mut h {
                x.span = (norm.original(x.span.0), norm.original(x.span.1));
            }
            h
        }
        Shell::Bash => bash::analyse(t, code, depth),
        Shell::Cmd => cmd_hits(code),
    }
}

/// The hit when a grammar cannot be loaded or the parser gives up: T2.
pub(crate) fn parser_failed(shell: Shell, len: usize) -> Hit {
    Hit {
        tier: Tier::T2,
        rule: "fail-closed:parser".into(),
        reason: format!("the {shell:?} grammar could not be loaded or the parser failed"),
        name: String::new(),
        resolved: String::new(),
        span: (0, len),
    }
}

/// A parse-error hit for the first ERROR or MISSING node under `root`.
pub(crate) fn parse_error_hit(root: tree_sitter::Node<'_>, code: &str) -> Option<Hit> {
    if !root.has_error() {
        return None;
    }
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            let (line, col) = line_col(code, n.start_byte());
            let what = if n.is_missing() {
                format!("missing `{}`", n.kind())
            } else {
                "unexpected text".to_string()
            };
            return Some(Hit {
                tier: Tier::T2,
                rule: "fail-closed:parse-error".into(),
                reason: format!(
                    "the code does not parse ({what} at line {line}, column {col}): the classifier cannot see what it does"
                ),
                name: String::new(),
                resolved: String::new(),
                span: (n.start_byte(), n.end_byte().max(n.start_byte())),
            });
        }
        let mut c = n.walk();
        let kids: Vec<_> = n
            .children(&mut c)
            .filter(|k| k.has_error() || k.is_missing())
            .collect();
        stack.extend(kids.into_iter().rev());
    }
    Some(Hit {
        tier: Tier::T2,
        rule: "fail-closed:parse-error".into(),
        reason: "the code does not parse: the classifier cannot see what it does".into(),
        name: String::new(),
        resolved: String::new(),
        span: (0, code.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_from_info_strings() {
        for w in [
            "powershell",
            "PowerShell",
            "pwsh",
            "ps1",
            "ps",
            "posh",
            "powershell {step=1}",
        ] {
            assert_eq!(Shell::from_info_string(w), Some(Shell::PowerShell), "{w}");
        }
        for w in ["bash", "sh", "shell", "zsh"] {
            assert_eq!(Shell::from_info_string(w), Some(Shell::Bash), "{w}");
        }
        for w in ["", "console", "text", "output", "yaml", "json", "Output"] {
            assert_eq!(Shell::from_info_string(w), None, "{w}");
        }
        assert_eq!(Shell::from_info_string("cmd"), Some(Shell::Cmd));
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("ab\ncdé f", 7), (2, 4));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
