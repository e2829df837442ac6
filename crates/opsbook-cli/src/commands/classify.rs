//! `opsbook classify [--shell powershell|bash] FILE|-` (D-AUTO-BOUNDARY):
//! the danger tier of a step's code, or of every step of a runbook.

use std::io::Read;

use opsbook_ops::run::Shell;

use super::emit;
use crate::cli::ClassifyArgs;
use crate::exit::{self, Outcome};
use crate::render::run as render;

pub fn run(a: &ClassifyArgs) -> Outcome {
    let stdin = a.file.as_os_str() == "-";
    let bytes = if stdin {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| exit::usage(format!("cannot read stdin: {e}")))?;
        b
    } else {
        std::fs::read(&a.file)
            .map_err(|e| exit::usage(format!("cannot read `{}`: {e}", a.file.display())))?
    };
    let name = if stdin {
        "-".to_string()
    } else {
        a.file.display().to_string()
    };
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| exit::usage(format!("{name}: {e}")))?
        .text;
    let ext = a
        .file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if a.shell.is_none() && matches!(ext.as_str(), "md" | "markdown") {
        let rc = opsbook_ops::run::classify_runbook(&text)
            .map_err(|e| exit::usage(format!("{name}: {e}")))?;
        let view = render::runbook_json(&rc);
        emit(a.format, &view, &render::runbook_human(&name, &rc))?;
        let below = rc.steps.iter().any(|s| s.declared_below_computed);
        return Ok(super::ok_or_findings(!below));
    }
    let shell = match a.shell.as_deref() {
        Some(s) => Shell::parse(s).unwrap_or(Shell::PowerShell),
        None if matches!(ext.as_str(), "sh" | "bash") => Shell::Bash,
        None => Shell::PowerShell,
    };
    let c = opsbook_ops::run::classify_code(&text, shell);
    emit(
        a.format,
        &render::step_json(&c),
        &render::step_human(&name, &c),
    )?;
    Ok(exit::OK)
}
