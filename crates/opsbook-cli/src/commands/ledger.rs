//! `opsbook ledger verify|repair|append`: the hash-chained logs as files.

use std::path::PathBuf;

use opsbook_core::clock::SystemClock;
use opsbook_core::ledger::Actor;
use opsbook_ops::ledger as ops;

use super::resolve_root;
use crate::cli::{LedgerCommand, ListFormat};
use crate::exit::{self, Outcome};

pub fn run(c: &LedgerCommand) -> Outcome {
    match c {
        LedgerCommand::Verify {
            paths,
            root,
            format,
        } => {
            let paths: Vec<PathBuf> = if paths.is_empty() {
                ops::all(&resolve_root(root)?)?
            } else {
                paths.clone()
            };
            let results = ops::verify(&paths)?;
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
                                s.push_str(&format!("ok     {} ({} events)\n", v.path, v.events));
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
            Ok(super::ok_or_findings(bad == 0))
        }
        LedgerCommand::Repair { paths, root, actor } => {
            let targets: Vec<PathBuf> = if paths.is_empty() {
                // Every ledger of the SSOT that ends in a torn line.
                let root = resolve_root(root)?;
                let torn = ops::torn(&root)?;
                if torn.is_empty() {
                    crate::output::emit(
                        &format!(
                            "No torn ledger in `{}`: nothing to repair.\n",
                            root.display()
                        ),
                        None,
                    )?;
                    return Ok(exit::OK);
                }
                torn
            } else {
                // Paths are relative to --root when it is given.
                paths
                    .iter()
                    .map(|p| match &root.root {
                        Some(r) if p.is_relative() => r.join(p),
                        _ => p.clone(),
                    })
                    .collect()
            };
            let clock = SystemClock::default();
            let who = Actor::current(actor.clone());
            let mut msg = String::new();
            for path in &targets {
                let r = ops::repair(path, &clock, &who)?;
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
            Ok(exit::OK)
        }
        LedgerCommand::Append {
            path,
            kind,
            data,
            actor,
            repeat,
        } => {
            let ev = ops::append_raw(
                path,
                &SystemClock::default(),
                &Actor::current(actor.clone()),
                kind,
                data.as_deref(),
                *repeat,
            )?;
            crate::output::emit(&(serde_json::to_string(&ev)? + "\n"), None)?;
            Ok(exit::OK)
        }
    }
}

/// The command that repairs a torn ledger, typed as printed in `verify`'s
/// output (same path, quoted for PowerShell when needed).
fn repair_hint(v: &opsbook_core::ledger::Verification) -> Option<String> {
    ops::next(v).as_ref().and_then(crate::render::command)
}
