//! `opsbook severity classify`: P0/P1/P2 from stated facts, by policy.

use anyhow::{Context, bail};
use opsbook_core::severity::{Facts, Policy};

use crate::cli::{ListFormat, SeverityCommand};

pub fn run(c: &SeverityCommand) -> anyhow::Result<u8> {
    let SeverityCommand::Classify {
        root,
        facts,
        facts_file,
        format,
    } = c;
    let root = super::resolve_root(root)?;
    let path = root.join("policy").join("severity.yaml");
    let bytes =
        std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let doc = opsbook_core::yaml::parse(&text.text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let policy =
        Policy::from_value(&doc.value).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut stated = Facts::new();
    if let Some(f) = facts_file {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read `{}`", f.display()))?;
        let text = opsbook_core::text::decode(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        let doc = opsbook_core::yaml::parse(&text.text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        let Some(obj) = doc.value.as_object() else {
            bail!(
                "`{}` must hold an object of facts, e.g. {{\"mode\": \"live\", \"unexpected_loss_usd\": 1200}}",
                f.display()
            );
        };
        let given: Facts = obj.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        stated.extend(
            policy
                .check_facts(&given)
                .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
        );
    }
    for kv in facts {
        let (k, v) = policy.parse_fact(kv)?;
        stated.insert(k, v);
    }
    if stated.is_empty() {
        bail!("state at least one fact: --fact KEY=VALUE (repeatable) or --facts FILE");
    }
    let c = policy.classify(&stated);
    let text = match format {
        ListFormat::Json => {
            serde_json::to_string_pretty(
                &serde_json::json!({"facts": stated, "classification": c}),
            )? + "\n"
        }
        _ => {
            let mut s = match &c.rule {
                Some(r) => format!("{} (rule {r})\n", c.severity),
                None => format!("{} (no rule matched: default_severity)\n", c.severity),
            };
            if let Some(why) = &c.rationale {
                s.push_str(&format!("  why: {why}\n"));
            }
            if !c.assumed.is_empty() {
                s.push_str(&format!(
                    "  assumed true because not stated: {} (state them to lower the severity)\n",
                    c.assumed.join(", ")
                ));
            }
            for m in c.matches.iter().skip(1).take(5) {
                s.push_str(&format!("  also matched: {} ({})\n", m.rule, m.severity));
            }
            if c.matches.len() > 6 {
                s.push_str(&format!(
                    "  … and {} more (--format json lists them)\n",
                    c.matches.len() - 6
                ));
            }
            s
        }
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}
