//! `opsbook severity classify`: P0/P1/P2 from stated facts, by policy.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use opsbook_core::severity::{Classification, Facts, Policy};

use crate::cli::{ListFormat, SeverityCommand};

/// Reads a YAML/JSON file (any encoding Windows writes) as a value.
pub fn read_value(path: &Path) -> anyhow::Result<serde_json::Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let doc = opsbook_core::yaml::parse(&text.text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(doc.value)
}

/// `policy/severity.yaml` of the SSOT.
pub fn load_policy(root: &Path) -> anyhow::Result<Policy> {
    let path = root.join("policy").join("severity.yaml");
    Policy::from_value(&read_value(&path)?).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Facts from `--facts FILE` and `--fact KEY=VALUE` (the latter win), typed by the policy.
pub fn collect_facts(
    policy: &Policy,
    facts: &[String],
    file: Option<&PathBuf>,
) -> anyhow::Result<Facts> {
    let mut stated = Facts::new();
    if let Some(f) = file {
        let v = read_value(f)?;
        let Some(obj) = v.as_object() else {
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
    let mut given = std::collections::BTreeMap::new();
    for kv in facts {
        let (k, v) = policy.parse_fact(kv)?;
        if let Some(prev) = given.insert(k.clone(), v.clone())
            && prev != v
        {
            bail!("fact `{k}` is stated twice ({prev} and {v}): state it once");
        }
        stated.insert(k, v);
    }
    Ok(stated)
}

/// Human lines for a classification.
pub fn describe(c: &Classification) -> String {
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
    s
}

pub fn run(c: &SeverityCommand) -> anyhow::Result<u8> {
    let SeverityCommand::Classify {
        root,
        facts,
        facts_file,
        format,
    } = c;
    let root = super::resolve_root(root)?;
    let policy = load_policy(&root)?;
    let stated = collect_facts(&policy, facts, facts_file.as_ref())?;
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
            let mut s = describe(&c);
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
