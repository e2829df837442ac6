//! Where a PowerShell step must check `$LASTEXITCODE` (D-WIN): after each
//! statement that runs a native program. Windows PowerShell 5.1 never
//! turns a native program's non-zero exit code into an error (only 7.3+
//! can, with `$PSNativeCommandUseErrorActionPreference`), so the step
//! runner inserts a check after each such statement, for both hosts.
//!
//! A statement is one child of a statement list (the script's, or the body
//! of an `if`, a loop, a `try`, a script block, a subexpression): the check
//! goes after the innermost statement holding the native call. It is left
//! out where the author reads the exit code: when the same statement, after
//! the call, or the next statement of the same list mentions
//! `$LASTEXITCODE` (`opsbook safety can X` then `if ($LASTEXITCODE -notin
//! 0, 3) …`).

use tree_sitter::Node;

use crate::{Shell, classify, parse};

/// A place where the runner inserts an exit-code check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitCheck {
    /// Byte offset in the code just after the statement.
    pub after: usize,
    /// The native program the statement runs (as written).
    pub program: String,
    /// 1-based line of the call in the code.
    pub line: usize,
}

/// Rules of the classifier that mean "a native program runs here".
fn is_native(rule: &str) -> bool {
    rule.starts_with("native:")
        || matches!(
            rule,
            "fail-closed:unknown-program" | "fail-closed:encoded-command"
        )
}

/// The exit-code checks a PowerShell step needs, in source order, one per
/// statement. Empty when the code does not parse (the classifier makes it
/// T2 and the gate reports it) or runs no native program.
#[must_use]
pub fn exit_checks(code: &str) -> Vec<ExitCheck> {
    let c = classify(code, Shell::PowerShell);
    let natives: Vec<_> = c.commands.iter().filter(|x| is_native(&x.rule)).collect();
    if natives.is_empty() {
        return Vec::new();
    }
    let Some(tree) = parse(code, Shell::PowerShell) else {
        return Vec::new();
    };
    if tree.root_node().has_error() {
        return Vec::new();
    }
    let root = tree.root_node();
    let mut out: Vec<ExitCheck> = Vec::new();
    for n in natives {
        let Some(node) = root.descendant_for_byte_range(n.span.start, n.span.end) else {
            continue;
        };
        let Some(stmt) = statement_of(node) else {
            continue;
        };
        if out.iter().any(|x| x.after == stmt.end_byte()) {
            continue;
        }
        let rest_of_stmt = &code[n.span.end.min(stmt.end_byte())..stmt.end_byte()];
        let mut sib = stmt.next_named_sibling();
        while let Some(s) = sib.filter(|s| s.kind() == "comment") {
            sib = s.next_named_sibling();
        }
        let next = sib.map_or("", |s| &code[s.byte_range()]);
        if mentions_exit_code(rest_of_stmt) || mentions_exit_code(next) {
            continue;
        }
        out.push(ExitCheck {
            after: stmt.end_byte(),
            program: n.resolved.clone(),
            line: n.line,
        });
    }
    out.sort_by_key(|x| x.after);
    out
}

/// The innermost ancestor (or `n`) that is a statement of a statement list.
fn statement_of(n: Node<'_>) -> Option<Node<'_>> {
    let mut cur = n;
    loop {
        let parent = cur.parent()?;
        if parent.kind() == "statement_list" {
            return Some(cur);
        }
        cur = parent;
    }
}

fn mentions_exit_code(s: &str) -> bool {
    s.to_ascii_lowercase().contains("lastexitcode")
}

/// The code with a check inserted after each statement of [`exit_checks`]:
/// `; if ($global:LASTEXITCODE -ne 0) { throw "<program> exited … (line N of the step)" }`
/// on the same line, so that line numbers in errors stay the step's.
#[must_use]
pub fn with_exit_checks(code: &str) -> String {
    let checks = exit_checks(code);
    let mut out = String::with_capacity(code.len() + checks.len() * 96);
    let mut last = 0;
    for c in checks {
        out.push_str(&code[last..c.after]);
        let program: String = c
            .program
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_'))
            .collect();
        out.push_str(&format!(
            "; if ($global:LASTEXITCODE -ne 0) {{ throw \"{program} exited $($global:LASTEXITCODE) (line {} of the step)\" }}",
            c.line
        ));
        last = c.after;
    }
    out.push_str(&code[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_after_each_native_statement() {
        let code = "w32tm /query /status\nGet-Service w32time\nw32tm /resync | Out-String\n";
        let c = exit_checks(code);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(&code[..c[0].after], "w32tm /query /status");
        assert_eq!(c[1].line, 3);
        assert_eq!(
            with_exit_checks("w32tm /query\n"),
            "w32tm /query; if ($global:LASTEXITCODE -ne 0) { throw \"w32tm exited $($global:LASTEXITCODE) (line 1 of the step)\" }\n"
        );
    }

    #[test]
    fn none_where_the_author_reads_the_exit_code() {
        assert!(
            exit_checks("opsbook safety can x\nif ($LASTEXITCODE -notin 0, 3) { throw 'no' }")
                .is_empty()
        );
        assert!(exit_checks("$c = opsbook time check --format json | ConvertFrom-Json\nif ($LASTEXITCODE -ne 0) { throw 'x' }").is_empty());
        assert!(exit_checks("Get-Service w32time\n$x = 1").is_empty());
    }

    #[test]
    fn inside_blocks_after_the_inner_statement() {
        let code = "foreach ($s in 'a', 'b') {\n  w32tm /query /source\n  \"done $s\"\n}\n";
        let c = exit_checks(code);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            &code[..c[0].after],
            "foreach ($s in 'a', 'b') {\n  w32tm /query /source"
        );
    }
}
