//! `opsbook adopt SRC --into DIR [--write]`.

use anyhow::Context;
use opsbook_core::adopt::{self, Options};

use crate::cli::{AdoptArgs, ListFormat};

pub fn run(a: &AdoptArgs) -> anyhow::Result<u8> {
    let opts = Options {
        skip: a.skip.clone(),
        category: a.category.clone(),
        runbook_base: a.runbook_base.clone(),
    };
    let plan = adopt::plan(&a.src, &a.into, &opts)?;
    let text = match a.format {
        ListFormat::Json => serde_json::to_string_pretty(&plan)? + "\n",
        _ => human(&plan),
    };
    crate::output::emit(&text, None)?;
    if a.write {
        adopt::apply(&plan, &a.into)
            .context("adoption stopped before writing anything it could not finish")?;
        if a.format != ListFormat::Json {
            crate::output::emit(
                &format!(
                    "Wrote {} runbooks{} into `{}`. Next: opsbook gate --root {}\n",
                    plan.items.len(),
                    if plan.assets.is_empty() {
                        String::new()
                    } else {
                        format!(" and {} linked files", plan.assets.len())
                    },
                    a.into.display(),
                    super::quote_arg(&a.into.display().to_string())
                ),
                None,
            )?;
        }
    } else if a.format != ListFormat::Json {
        let msg = if plan.conflicts.is_empty() {
            "Nothing written (plan only). Run again with --write to apply it.\n".to_string()
        } else {
            format!(
                "Nothing written (plan only). --write would refuse: {} destination files already exist (listed above).\n",
                plan.conflicts.len()
            )
        };
        crate::output::emit(&msg, None)?;
    }
    Ok(crate::exit::OK)
}

fn human(p: &adopt::Plan) -> String {
    let mut s = format!(
        "Adoption plan: {} runbooks from `{}` into `{}`{}\n\n",
        p.items.len(),
        p.source,
        p.into,
        if p.creates_ssot {
            " (new SSOT: starter config, policies, plans and contracts, no example runbooks)"
        } else {
            ""
        }
    );
    for i in &p.items {
        s.push_str(&format!(
            "{}  {}\n  from {}\n  kind {}, category {}",
            i.runbook_id, i.dest, i.original_path, i.kind, i.category
        ));
        if i.status != "active" {
            s.push_str(&format!(
                ", {} (replaced by {})",
                i.status,
                i.replaced_by.as_deref().unwrap_or("?")
            ));
        }
        if let Some(v) = &i.last_verified {
            s.push_str(&format!(", last_verified {v}"));
        }
        if let Some(r) = &i.review_in {
            s.push_str(&format!(", review every {r}"));
        }
        s.push('\n');
        if !i.sections.is_empty() {
            let moves: Vec<String> = i
                .sections
                .iter()
                .map(|m| {
                    format!(
                        "{} → {}{}",
                        m.from,
                        m.to,
                        if m.by_name { "" } else { " (follows)" }
                    )
                })
                .collect();
            s.push_str(&format!("  sections: {}\n", moves.join("; ")));
        }
        if let Some(ja) = &i.title_ja {
            s.push_str(&format!("  title: {} / {ja}\n", i.title));
        }
        if !i.missing_sections.is_empty() {
            s.push_str(&format!("  missing: {}\n", i.missing_sections.join(", ")));
        }
        if !i.empty_sections.is_empty() {
            s.push_str(&format!("  empty: {}\n", i.empty_sections.join(", ")));
        }
        if i.links_rewritten > 0 {
            s.push_str(&format!(
                "  links: {} rewritten to reach what they reached in the source\n",
                i.links_rewritten
            ));
        }
        for n in &i.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
    }
    if !p.conflicts.is_empty() {
        s.push_str(&format!(
            "\nConflicts: {} destination files already exist and are never overwritten:\n",
            p.conflicts.len()
        ));
        for c in p.conflicts.iter().take(20) {
            s.push_str(&format!("  {c}\n"));
        }
        if p.conflicts.len() > 20 {
            s.push_str(&format!("  … and {} more\n", p.conflicts.len() - 20));
        }
    }
    if !p.assets.is_empty() {
        s.push_str(&format!(
            "\nLinked files copied under `assets/` ({}):\n",
            p.assets.len()
        ));
        for a in p.assets.iter().take(20) {
            s.push_str(&format!("  {} → {}\n", a.from, a.to));
        }
        if p.assets.len() > 20 {
            s.push_str(&format!("  … and {} more\n", p.assets.len() - 20));
        }
    }
    if !p.skipped.is_empty() {
        s.push_str(&format!("\nSkipped {} files:\n", p.skipped.len()));
        for k in &p.skipped {
            s.push_str(&format!("  {}: {}\n", k.path, k.reason));
        }
    }
    s
}
