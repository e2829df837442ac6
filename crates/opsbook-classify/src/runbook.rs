//! Every fenced block of a runbook: steps (PowerShell, bash, cmd) are
//! classified and compared with the tier their info string declares
//! (```` ```powershell {step=3 tier=T1 op=resync} ````); other fences
//! (untagged, `console`, `text`, `output` …) are listed as never executed.

use opsbook_core::markdown::{CodeBlock, FrontMatterError, parse_body, split_front_matter};
use serde::Serialize;

use crate::{Classification, Shell, Tier, classify};

/// One step of a runbook and what the classifier says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// 1-based line of the opening fence in the file.
    pub line: usize,
    /// 1-based line of the first line of code in the file (`line + 1`):
    /// add `classification.*.line - 1` to get a file line.
    pub code_line: usize,
    /// The fence's language word (`powershell`).
    pub lang: String,
    /// The shell it is read as.
    pub shell: Shell,
    /// The `step=` attribute, if any.
    pub step: Option<String>,
    /// The `tier=` attribute as written, if any.
    pub declared_raw: Option<String>,
    /// The declared tier, if `tier=` is T0, T1 or T2.
    pub declared: Option<Tier>,
    /// The `op=` attribute (a `dangerous_ops` ID), if any.
    pub op: Option<String>,
    /// The classifier's answer (lines and columns relative to the code).
    pub classification: Classification,
    /// File line of the forcing node, if any.
    pub forced_by_line: Option<usize>,
    /// True when the declared tier is below the computed one (a gate error).
    pub declared_below_computed: bool,
}

/// A fenced block that is not a step: it never runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fence {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The language word, empty when untagged.
    pub lang: String,
    /// Why it is not a step.
    pub reason: String,
}

/// Every fenced block of a runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunbookClassification {
    /// The highest computed tier of any step (T0 without steps).
    pub tier: Tier,
    /// Steps in file order.
    pub steps: Vec<Step>,
    /// Fences that are not steps, in file order.
    pub not_steps: Vec<Fence>,
}

/// Classifies the code blocks of an already parsed runbook body
/// (`opsbook_core::markdown::parse_body`), so that the gate parses each
/// file once.
#[must_use]
pub fn classify_blocks(blocks: &[CodeBlock]) -> RunbookClassification {
    let mut steps = Vec::new();
    let mut not_steps = Vec::new();
    for b in blocks {
        let Some(shell) = Shell::from_info_string(&b.lang) else {
            let reason = if b.lang.is_empty() {
                "untagged fence: never executed (tag it `powershell {step=N tier=T0}` to make it a step)".to_string()
            } else {
                format!("`{}` fence: not a shell step, never executed", b.lang)
            };
            not_steps.push(Fence {
                line: b.line,
                lang: b.lang.clone(),
                reason,
            });
            continue;
        };
        let classification = classify(&b.code, shell);
        let declared_raw = b.attr("tier").map(str::to_string);
        let declared = declared_raw.as_deref().and_then(Tier::parse);
        let code_line = b.line + 1;
        let forced_by_line = classification
            .forced_by
            .as_ref()
            .map(|f| code_line + f.line - 1);
        steps.push(Step {
            line: b.line,
            code_line,
            lang: b.lang.clone(),
            shell,
            step: b.attr("step").map(str::to_string),
            declared_below_computed: declared.is_some_and(|d| d < classification.tier),
            declared_raw,
            declared,
            op: b.attr("op").map(str::to_string),
            forced_by_line,
            classification,
        });
    }
    let tier = steps
        .iter()
        .map(|s| s.classification.tier)
        .max()
        .unwrap_or(Tier::T0);
    RunbookClassification {
        tier,
        steps,
        not_steps,
    }
}

/// Classifies every fenced block of a runbook's Markdown text (decoded,
/// `\n` line endings: see `opsbook_core::text::decode`).
///
/// # Errors
/// [`FrontMatterError`] when the text opens with `---` and the front matter
/// is never closed.
pub fn classify_runbook(text: &str) -> Result<RunbookClassification, FrontMatterError> {
    let split = split_front_matter(text)?;
    let body = parse_body(split.body, split.body_line);
    Ok(classify_blocks(&body.code_blocks))
}
