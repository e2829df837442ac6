//! `opsbook ledger verify|repair|append`: the hash-chained logs.

use std::path::PathBuf;

use anyhow::{Context, bail};
use opsbook_core::ledger::{self, Actor};
use opsbook_core::ssot::FileKind;

use crate::cli::{LedgerCommand, ListFormat};

fn now() -> jiff::Timestamp {
    opsbook_core::clock::now()
}

pub fn run(c: &LedgerCommand) -> anyhow::Result<u8> {
    match c {
        LedgerCommand::Verify {
            paths,
            root,
            format,
        } => {
            let paths: Vec<PathBuf> = if paths.is_empty() {
                let root = super::resolve_root(root)?;
                let ssot = opsbook_core::ssot::Ssot::load_metadata(&root)?;
                ssot.files
                    .iter()
                    .filter(|f| matches!(f.kind, FileKind::Ledger | FileKind::IncidentEvents))
                    .map(|f| root.join(&f.rel))
                    .collect()
            } else {
                paths.clone()
            };
            let mut results = Vec::new();
            for p in &paths {
                if !p.is_file() {
                    bail!("`{}` is not a file", p.display());
                }
                results.push(ledger::verify(p)?);
            }
            let bad = results.iter().filter(|v| !v.ok()).count();
            let text = match format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(&serde_json::json!({
                        "ok": bad == 0,
                        "ledgers": results.iter().map(|v| serde_json::json!({
                            "path": v.path, "ok": v.ok(), "events": v.events, "first_break": v.first_break,
                            "repair": repair_hint(v),
                        })).collect::<Vec<_>>(),
                    }))? + "\n"
                }
                _ => {
                    let mut s = String::new();
                    for v in &results {
                        match &v.first_break {
                            None => {
                                s.push_str(&format!("ok     {} ({} events)\n", v.path, v.events))
                            }
                            Some(b) => {
                                s.push_str(&format!(
                                    "BROKEN {}:{}: {:?}: {} ({} events verified before it)\n",
                                    v.path, b.line, b.damage, b.message, v.events
                                ));
                                if let Some(cmd) = repair_hint(v) {
                                    s.push_str(&format!("       run: {cmd}\n"));
                                }
                            }
                        }
                    }
                    s.push_str(&format!(
                        "{} ledgers verified, {} broken.\n",
                        results.len(),
                        bad
                    ));
                    s
                }
            };
            crate::output::emit(&text, None)?;
            Ok(if bad == 0 {
                crate::EXIT_OK
            } else {
                crate::EXIT_FINDINGS
            })
        }
        LedgerCommand::Repair { paths, root, actor } => {
            let targets: Vec<PathBuf> = if paths.is_empty() {
                // Every ledger of the SSOT that ends in a torn line.
                let root = super::resolve_root(root)?;
                let ssot = opsbook_core::ssot::Ssot::load_metadata(&root)?;
                let mut torn = Vec::new();
                for f in ssot
                    .files
                    .iter()
                    .filter(|f| matches!(f.kind, FileKind::Ledger | FileKind::IncidentEvents))
                {
                    let p = root.join(&f.rel);
                    let v = ledger::verify(&p)?;
                    if v.first_break
                        .as_ref()
                        .is_some_and(|b| b.damage == ledger::Damage::Torn)
                    {
                        torn.push(p);
                    }
                }
                if torn.is_empty() {
                    crate::output::emit(
                        &format!(
                            "No torn ledger in `{}`: nothing to repair.\n",
                            root.display()
                        ),
                        None,
                    )?;
                    return Ok(crate::EXIT_OK);
                }
                torn
            } else {
                match &root.root {
                    Some(r) => paths
                        .iter()
                        .map(|p| {
                            if p.is_relative() {
                                r.join(p)
                            } else {
                                p.clone()
                            }
                        })
                        .collect(),
                    None => paths.clone(),
                }
            };
            let who = Actor::current(actor.clone());
            let mut msg = String::new();
            for path in &targets {
                let r = ledger::repair(path, &who, now())?;
                msg.push_str(&match (&r.set_aside_to, r.event_seq) {
                    (Some(to), Some(seq)) => format!(
                        "`{}`: set aside {} bytes of an incomplete last line into `{to}`; recorded as event seq {seq}. Every complete event is kept.\n",
                        path.display(),
                        r.set_aside_bytes
                    ),
                    _ => format!(
                        "`{}`: nothing to repair, the chain holds.\n",
                        path.display()
                    ),
                });
            }
            crate::output::emit(&msg, None)?;
            Ok(crate::EXIT_OK)
        }
        LedgerCommand::Append {
            path,
            kind,
            data,
            actor,
            repeat,
        } => {
            let data: serde_json::Value = match data {
                Some(d) => {
                    serde_json::from_str(d).with_context(|| format!("--data is not JSON: `{d}`"))?
                }
                None => serde_json::json!({}),
            };
            let who = Actor::current(actor.clone());
            let mut ev = ledger::append(path, &who, kind, data.clone())?;
            for _ in 1..*repeat {
                ev = ledger::append(path, &who, kind, data.clone())?;
            }
            crate::output::emit(&(serde_json::to_string(&ev)? + "\n"), None)?;
            Ok(crate::EXIT_OK)
        }
    }
}

/// The command that repairs a torn ledger, typed as printed in `verify`'s
/// output (same path, quoted for PowerShell when needed).
fn repair_hint(v: &ledger::Verification) -> Option<String> {
    v.first_break
        .as_ref()
        .filter(|b| b.damage == ledger::Damage::Torn)
        .map(|_| format!("opsbook ledger repair {}", super::quote_arg(&v.path)))
}
