//! `opsbook explain CODE`: the documentation page of a rule.

use anyhow::bail;
use opsbook_gate::rules;

use crate::cli::{ExplainArgs, ListFormat};

pub fn run(a: &ExplainArgs) -> anyhow::Result<u8> {
    let selected: Vec<&rules::Rule> = if a.all {
        rules::all().collect()
    } else {
        let key = a.code.as_deref().unwrap_or_default();
        match rules::lookup(key) {
            Some(r) => vec![r],
            None => {
                let hint = rules::suggest(key)
                    .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
                bail!("unknown rule `{key}`{hint}; `opsbook explain --all` lists every rule");
            }
        }
    };
    let text = match a.format {
        ListFormat::Json => {
            let mut s = serde_json::to_string_pretty(&if a.all {
                serde_json::to_value(&selected)?
            } else {
                serde_json::to_value(selected[0])?
            })?;
            s.push('\n');
            s
        }
        ListFormat::Human if a.all => {
            let mut s = String::new();
            for r in &selected {
                s.push_str(&format!(
                    "{}  {:<34} {:<7} {}\n",
                    r.code,
                    r.name,
                    r.level.as_str(),
                    r.summary
                ));
            }
            s.push_str("\nSee one rule with `opsbook explain CODE`; change levels in opsbook.toml under [gate.levels].\n");
            s
        }
        ListFormat::Human | ListFormat::Markdown => {
            let mut s = String::new();
            for r in &selected {
                // Suggest a level other than the default, spelt as the
                // gate prints levels; the comment lists the rest.
                let levels = ["error", "warning", "info", "off"];
                let default = r.level.as_str();
                let suggest = if default == "error" {
                    "warning"
                } else {
                    "error"
                };
                let others: Vec<String> = levels
                    .iter()
                    .filter(|l| **l != suggest)
                    .map(|l| format!("\"{l}\""))
                    .collect();
                s.push_str(&format!(
                    "# {} ({})\n\nDefault level: {}. Requirement: {}.\n{}\n\n{}\n\nChange its level in opsbook.toml, in its `[gate.levels]` table (the starter opsbook.toml has one: add the line there; a second header is a TOML error):\n\n```toml\n[gate.levels]\n{} = \"{suggest}\"   # or {}\n```\n\n",
                    r.name,
                    r.code,
                    default,
                    r.requirement,
                    r.summary,
                    r.doc,
                    r.code,
                    others.join(", ")
                ));
            }
            s
        }
    };
    crate::output::emit(&text, None)?;
    Ok(crate::exit::OK)
}
