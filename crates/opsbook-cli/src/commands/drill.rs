//! `opsbook drill due|record`: parse → `opsbook_ops::drill` → render.

use opsbook_ops::drill::{self as ops, RecordRequest};

use super::{context, emit, op, parse_as_of};
use crate::cli::{DrillCommand, DrillResult};
use crate::exit::{self, Outcome};

pub fn run(c: &DrillCommand) -> Outcome {
    match c {
        DrillCommand::Due {
            root,
            as_of,
            format,
        } => {
            let cx = context(root, None)?;
            let as_of = parse_as_of(as_of.as_deref())?;
            let d = op(&cx, |cx| ops::due(cx, as_of))?;
            let mut s = String::new();
            for x in &d.due {
                let when = match &x.due_since {
                    None => "never run".to_string(),
                    Some(since) if x.days_overdue == 0 => format!("due today ({since})"),
                    Some(since) => format!("due since {since}, {} days overdue", x.days_overdue),
                };
                s.push_str(&format!(
                    "{:<26} {:<30} {when}\n",
                    x.drill.id, x.drill.runbook
                ));
            }
            s.push_str(&format!(
                "{} drill{} due as of {as_of}. Record one with `opsbook drill record DRILL --result pass --evidence REF`.\n",
                d.due.len(),
                if d.due.len() == 1 { "" } else { "s" }
            ));
            emit(*format, &d, &s)?;
            Ok(exit::OK)
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
            let cx = context(root, actor.as_deref())?;
            let date = parse_as_of(date.as_deref())?;
            let passed = *result == DrillResult::Pass;
            let r = op(&cx, |cx| {
                ops::record(
                    cx,
                    &RecordRequest {
                        drill: drill.clone(),
                        passed,
                        evidence: evidence.clone(),
                        date,
                        notes: notes.clone(),
                    },
                )
            })?;
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
            Ok(exit::OK)
        }
    }
}
