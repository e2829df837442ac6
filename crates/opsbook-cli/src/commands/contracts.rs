//! `opsbook contracts export|list`.

use anyhow::Context;

use crate::cli::{ContractsCommand, ListFormat};

/// What each contract applies to.
fn applies_to(name: &str) -> String {
    match name {
        "opsbook-toml" => "opsbook.toml".into(),
        "runbook" => "front matter of runbooks/**/*.md".into(),
        "runbooks" => "runbooks/runbooks.yaml".into(),
        "coverage-matrix" => "runbooks/coverage_matrix.yaml".into(),
        "drills" => "runbooks/drills.yaml".into(),
        "postmortem" => "front matter of incidents/<ID>/postmortem.md".into(),
        "incident-event" => "each line of incidents/<ID>/events.jsonl".into(),
        n => {
            if let Some(p) = n.strip_prefix("policy-") {
                format!("policy/{p}.yaml")
            } else if let Some(p) = n.strip_prefix("plan-") {
                format!("plans/{p}.yaml")
            } else {
                "-".into()
            }
        }
    }
}

pub fn run(c: &ContractsCommand) -> anyhow::Result<u8> {
    match c {
        ContractsCommand::Export { dir } => {
            if dir.exists() && !dir.is_dir() {
                anyhow::bail!(
                    "`{}` exists and is not a directory; give a directory to write the contracts into",
                    dir.display()
                );
            }
            let written = opsbook_core::contracts::export(dir)
                .with_context(|| format!("cannot export contracts into `{}`", dir.display()))?;
            crate::output::emit(
                &format!(
                    "Wrote {} contracts (JSON Schema 2020-12) into `{}`.\n",
                    written.len(),
                    dir.display()
                ),
                None,
            )?;
        }
        ContractsCommand::List { format } => {
            let list: Vec<(String, String)> = opsbook_core::contracts::embedded()
                .into_iter()
                .map(|(f, _)| {
                    let name = f.trim_end_matches(".schema.json").to_string();
                    let a = applies_to(&name);
                    (name, a)
                })
                .collect();
            let text = match format {
                ListFormat::Json => {
                    let v: Vec<_> = list
                        .iter()
                        .map(|(n, a)| serde_json::json!({"name": n, "file": format!("{n}.schema.json"), "applies_to": a}))
                        .collect();
                    serde_json::to_string_pretty(&v)? + "\n"
                }
                _ => list.iter().map(|(n, a)| format!("{n:<26} {a}\n")).collect(),
            };
            crate::output::emit(&text, None)?;
        }
    }
    Ok(crate::exit::OK)
}
