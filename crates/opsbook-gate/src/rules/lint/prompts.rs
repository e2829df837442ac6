//! A step that waits for a person (OB121, D-AUTO-BOUNDARY, D-WIN):
//! `opsbook run` starts PowerShell with `-NonInteractive`, where `Read-Host`,
//! `Get-Credential`, `pause` and the host's `ReadLine` fail, and bash with
//! no terminal on its standard input, where `read` gets end of file. The
//! step stops there; its input has to come from the environment instead.

use opsbook_classify::{RunbookClassification, Shell, Step};
use opsbook_core::markdown::CodeBlock;
use opsbook_core::ssot::SourceFile;

use crate::Finding;
use crate::rules::{Level, Rule};

/// `OB121` `interactive-prompt-in-step`: a step waits for typed input, which fails under `opsbook run`.
pub const INTERACTIVE_PROMPT_IN_STEP: &Rule = &Rule {
    code: "OB121",
    name: "interactive-prompt-in-step",
    level: Level::Error,
    requirement: "D-AUTO-BOUNDARY",
    summary: "a step waits for typed input, which fails under `opsbook run` (-NonInteractive)",
    doc: "## What it does
Reports a prompt inside a PowerShell or bash step: `Read-Host`, `Get-Credential`, `pause`, `$Host.UI.ReadLine()` (and the host's other prompt methods), `[Console]::ReadLine()`/`ReadKey()`, and bash `read`/`select`.

## Why is this bad?
`opsbook run` starts PowerShell with `-NoProfile -NonInteractive`, where every one of these throws (\"PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.\"), and bash without a terminal on its standard input, where `read` gets end of file. The step stops at the prompt, after whatever came before it. Asking is `opsbook run`'s job: it shows a T1 step's code and backout and asks (default No), and runs the one-person confirmation before a T2 step.

## Example
```powershell
$reason = Read-Host 'One-line reason'
opsbook safety set SAFE_MODE --reason $reason
```
Use instead: take the input from the environment and say which variable is missing:
```powershell
if (-not $env:OPSBOOK_REASON) { throw 'OPSBOOK_REASON is not set: one-line reason (--input OPSBOOK_REASON=<value>)' }
opsbook safety set SAFE_MODE --reason $env:OPSBOOK_REASON
```
and run it with `opsbook run RB-ID --input OPSBOOK_REASON=\"clock 640 ms ahead\"`. Secrets only through the environment (`$env:NAME` set in the session, or `Get-Secret`), never `--input`.",
};

/// The prompts of each shell, by the name the classifier resolved.
const PWSH_PROMPTS: &[&str] = &[
    "read-host",
    "get-credential",
    "pause",
    "[console]::readline",
    "[console]::readkey",
    "[console]::read",
    "[system.console]::readline",
    "[system.console]::readkey",
    "[system.console]::read",
];
const HOST_PROMPTS: &[&str] = &[
    "$host.ui.readline",
    "$host.ui.readlineassecurestring",
    "$host.ui.prompt",
    "$host.ui.promptforchoice",
    "$host.ui.promptforcredential",
    "$host.ui.rawui.readkey",
];
const BASH_PROMPTS: &[&str] = &["read", "select"];

/// What the prompt is, when `name` (as resolved by the classifier) is one.
fn prompt(shell: Shell, name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let n = n.trim_end_matches("()");
    match shell {
        Shell::PowerShell => PWSH_PROMPTS.contains(&n) || HOST_PROMPTS.contains(&n),
        Shell::Bash => BASH_PROMPTS.contains(&n),
        Shell::Cmd => false,
    }
}

/// Host prompts the classifier does not list as commands (member calls on
/// `$Host`): found in the code text, outside comments, case-insensitive.
fn host_prompts(code: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (i, line) in code.lines().enumerate() {
        let body = line.split('#').next().unwrap_or("");
        let lower = body.to_ascii_lowercase();
        for p in HOST_PROMPTS {
            let mut from = 0;
            while let Some(at) = lower[from..].find(p) {
                let start = from + at;
                let end = start + p.len();
                // `$host.ui.prompt` is a prefix of `promptforchoice`: the longest wins.
                let longer = lower[end..].starts_with(|c: char| c.is_ascii_alphanumeric());
                if !longer {
                    out.push((
                        i + 1,
                        body[..start].chars().count() + 1,
                        body[start..end].to_string(),
                    ));
                }
                from = end;
            }
        }
    }
    out
}

/// OB121 for every step of one runbook.
pub(crate) fn check(
    f: &SourceFile,
    rc: &RunbookClassification,
    blocks: &[CodeBlock],
    found: &mut Vec<Finding>,
) {
    for s in &rc.steps {
        let mut hits: Vec<(usize, usize, String)> = s
            .classification
            .commands
            .iter()
            .filter(|c| prompt(s.shell, &c.resolved) || prompt(s.shell, &c.name))
            .map(|c| (c.line, c.column, c.name.clone()))
            .collect();
        if s.shell == Shell::PowerShell
            && let Some(b) = blocks.iter().find(|b| b.line == s.line)
        {
            for h in host_prompts(&b.code) {
                if !hits.iter().any(|x| x.0 == h.0 && x.1 == h.1) {
                    hits.push(h);
                }
            }
        }
        hits.sort();
        for (line, column, name) in hits {
            let (line, column) = (s.code_line + line.saturating_sub(1), column);
            let (why, fix) = match s.shell {
                Shell::Bash => (
                    "bash runs without a terminal on its standard input: `read` gets end of file and the step stops here",
                    "take the input from the environment: `: \"${OPSBOOK_NAME:?set OPSBOOK_NAME (--input OPSBOOK_NAME=<value>)}\"`",
                ),
                _ => (
                    "opsbook run starts PowerShell with -NonInteractive and no terminal, where it throws (or reads nothing) and the step stops without its input",
                    "take the input from the environment: `if (-not $env:OPSBOOK_NAME) { throw 'OPSBOOK_NAME is not set (--input OPSBOOK_NAME=<value>)' }`; opsbook run itself asks before T1/T2 steps",
                ),
            };
            found.push(
                Finding::new(
                    INTERACTIVE_PROMPT_IN_STEP,
                    &f.rel,
                    line,
                    column,
                    format!(
                        "{} waits for typed input with `{name}`: {why}",
                        step_name(s)
                    ),
                    fix.into(),
                )
                .spanning(name.chars().count()),
            );
        }
    }
}

/// How a finding names a step: `step N`, or the block when it has no
/// number (shared with the tier rules, which import it from here).
pub(super) fn step_name(s: &Step) -> String {
    s.step.as_deref().map_or_else(
        || format!("the `{}` block", s.lang),
        |n| format!("step {n}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_by_resolved_name() {
        assert!(prompt(Shell::PowerShell, "Read-Host"));
        assert!(prompt(Shell::PowerShell, "[Console]::ReadLine"));
        assert!(prompt(Shell::PowerShell, "pause"));
        assert!(!prompt(Shell::PowerShell, "Write-Host"));
        assert!(prompt(Shell::Bash, "read"));
        assert!(!prompt(Shell::Bash, "Read-Host"));
    }

    #[test]
    fn host_prompts_outside_comments() {
        let h = host_prompts(
            "$a = $Host.UI.ReadLine()\n# $host.ui.readline()\n$Host.UI.PromptForChoice('a','b',$c,0)",
        );
        assert_eq!(
            h,
            [
                (1, 6, "$Host.UI.ReadLine".to_string()),
                (3, 1, "$Host.UI.PromptForChoice".to_string())
            ]
        );
    }
}
