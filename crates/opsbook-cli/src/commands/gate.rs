//! `opsbook gate`: run every check and report.

use std::io::Write;

use anyhow::Context;
use opsbook_core::contracts::Contracts;
use opsbook_gate::baseline::Baseline;
use opsbook_gate::render::{self, Format};

use crate::cli::{GateArgs, GateFormat};

pub fn run(a: &GateArgs) -> anyhow::Result<u8> {
    let root = super::resolve_root(&a.root)?;
    let as_of = super::parse_as_of(a.as_of.as_deref())?;
    let contracts = Contracts::load(Some(&root));
    let config = opsbook_core::ssot::Ssot::load_config(&root)?;
    let baseline_path = a
        .baseline
        .clone()
        .or_else(|| config.baseline.as_ref().map(|b| root.join(b)));
    let baseline = match (&baseline_path, a.no_baseline || a.write_baseline) {
        (Some(p), false) if p.exists() => Some(Baseline::read(p)?),
        (Some(p), false) if a.baseline.is_some() => {
            anyhow::bail!(
                "baseline `{}` does not exist (create it with --write-baseline)",
                p.display()
            )
        }
        _ => None,
    };
    let opts = opsbook_gate::Options {
        as_of,
        runbook_base: a.runbook_base.clone(),
        baseline,
    };
    let (ssot, mut report) = opsbook_gate::check(&root, &contracts, &opts)?;
    if let Some(base) = &a.base {
        report.changes = opsbook_gate::changes::changed_files(&root, base, |p| ssot.kind_of(p)).map_err(|e| {
            anyhow::anyhow!(
                "{e}\n  hint: --base needs a git work tree and a ref that exists there (in shallow CI clones, fetch it first: `git fetch --depth=1 origin main`)"
            )
        })?;
    }
    if a.write_baseline {
        let p = baseline_path
            .unwrap_or_else(|| opsbook_core::layout::Layout::new(&root).default_baseline());
        let b = Baseline::from_findings(&report.findings);
        opsbook_core::fsutil::write_atomic(&p, b.to_json().as_bytes())
            .with_context(|| format!("cannot write baseline `{}`", p.display()))?;
        crate::output::emit(
            &format!(
                "Wrote {} findings to the baseline `{}`; later runs fail only on new findings{}.\n",
                b.findings.len(),
                p.display(),
                if ssot.config.baseline.is_none() {
                    format!(
                        " when given `--baseline {}` or `[gate] baseline` in opsbook.toml",
                        p.display()
                    )
                } else {
                    String::new()
                }
            ),
            None,
        )?;
        return Ok(crate::exit::OK);
    }
    let format = match a.format {
        GateFormat::Human => Format::Human,
        GateFormat::Json => Format::Json,
        GateFormat::Sarif => Format::Sarif,
        GateFormat::Junit => Format::Junit,
        GateFormat::Github => Format::Github,
        GateFormat::Markdown => Format::Markdown,
    };
    let color = crate::output::color(a.color, a.output.is_some());
    let prefix = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            let abs = std::fs::canonicalize(&root).ok()?;
            let cwd = std::fs::canonicalize(cwd).ok()?;
            abs.strip_prefix(&cwd)
                .ok()
                .map(|p| opsbook_core::ssot::rel_path(std::path::Path::new(""), p))
        })
        .unwrap_or_default();
    let text = render::render(&report, format, &root, color, &prefix);
    let summary_line = render::summary_line(&report);
    crate::output::emit(&text, a.output.as_deref())?;
    if let Some(out) = a.output.as_deref().filter(|p| p.as_os_str() != "-") {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{summary_line} (report written to {})", out.display());
        }
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        let md = render::markdown(&report);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .with_context(|| {
                format!(
                    "cannot append to $GITHUB_STEP_SUMMARY `{}`",
                    summary.to_string_lossy()
                )
            })?;
        f.write_all(md.as_bytes())?;
        f.write_all(b"\n")?;
    }
    Ok(if report.failed() {
        crate::exit::FINDINGS
    } else {
        crate::exit::OK
    })
}
