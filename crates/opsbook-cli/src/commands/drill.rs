//! `opsbook drill due|record`.

use opsbook_core::drills;
use opsbook_core::ledger::Actor;
use opsbook_core::ssot::Ssot;

use crate::cli::{DrillCommand, DrillResult, ListFormat};

pub fn run(c: &DrillCommand) -> anyhow::Result<u8> {
    match c {
        DrillCommand::Due {
            root,
            as_of,
            format,
        } => {
            let root = super::resolve_root(root)?;
            let as_of = super::parse_as_of(as_of.as_deref())?;
            let ssot = Ssot::load_metadata(&root)?;
            let due = drills::due(&drills::drills(&ssot), as_of);
            let text = match format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(
                        &serde_json::json!({"as_of": as_of.to_string(), "due": due}),
                    )? + "\n"
                }
                _ => {
                    let mut s = String::new();
                    for d in &due {
                        let when = match &d.due_since {
                            None => "never run".to_string(),
                            Some(since) if d.days_overdue == 0 => format!("due today ({since})"),
                            Some(since) => {
                                format!("due since {since}, {} days overdue", d.days_overdue)
                            }
                        };
                        s.push_str(&format!(
                            "{:<26} {:<30} {when}\n",
                            d.drill.id, d.drill.runbook
                        ));
                    }
                    s.push_str(&format!(
                        "{} drill{} due as of {as_of}. Record one with `opsbook drill record DRILL --result pass --evidence REF`.\n",
                        due.len(),
                        if due.len() == 1 { "" } else { "s" }
                    ));
                    s
                }
            };
            crate::output::emit(&text, None)?;
            Ok(crate::EXIT_OK)
        }
        DrillCommand::Record {
            root,
            drill,
            result,
            evidence,
            date,
            notes,
            actor,
        } => {
            let root = super::resolve_root(root)?;
            let date = super::parse_as_of(date.as_deref())?;
            let ssot = Ssot::load(&root)?;
            let passed = *result == DrillResult::Pass;
            let r = drills::record(
                &ssot,
                drill,
                passed,
                evidence,
                notes.as_deref(),
                date,
                &Actor::current(actor.clone()),
            )?;
            let mut s = format!(
                "Recorded drill {drill}: {} on {date} (ledger/drills.jsonl seq {}).\n",
                if passed { "pass" } else { "fail" },
                r.seq
            );
            for u in &r.updated {
                s.push_str(&format!("  updated {u}\n"));
            }
            if !passed {
                s.push_str("  a failed drill does not change last_drilled: fix the runbook and drill it again.\n");
            }
            crate::output::emit(&s, None)?;
            Ok(crate::EXIT_OK)
        }
    }
}
