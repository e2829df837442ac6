//! The safety state, its history, the matrix and the freeze, for people.

use std::fmt::Write as _;

use opsbook_core::event::SafetyEvent;
use opsbook_core::event::safety::Switched;
use opsbook_core::ledger::Event;
use opsbook_core::postmortem::human_duration;
use opsbook_ops::{freeze, safety};

use super::{markdown_table, when};

/// `safety status`.
#[must_use]
pub fn status(st: &safety::Status) -> String {
    let mut s = st.state.clone();
    match &st.since {
        Some(t) => {
            let _ = write!(s, " since {}", when(t));
            if let Some(r) = &st.reason {
                let _ = write!(s, " — {r}");
            }
        }
        None => s.push_str(" (initial state; no transition recorded)"),
    }
    s.push('\n');
    // A state opsbook did not switch through a hook is only what an
    // operator recorded: say so, or HALTED reads as "trading stopped".
    match st.switched {
        Some(Switched::Manual) => {
            let _ = writeln!(
                s,
                "  switched       by hand, as recorded (opsbook ran no hook): check the platform itself"
            );
        }
        Some(Switched::NoHook) => {
            let _ = writeln!(
                s,
                "  switched       NOT by opsbook: no hook is configured for {}; this is what was recorded, check the platform itself",
                st.state
            );
        }
        Some(Switched::Hook) | None => {}
    }
    if let Some(i) = &st.incident {
        let _ = writeln!(s, "  incident       {i}");
    }
    if let Some(a) = &st.deescalate_after
        && st.min_dwell_minutes > 0
    {
        let _ = writeln!(
            s,
            "  de-escalate    not before {a} (min dwell {} min)",
            st.min_dwell_minutes
        );
    }
    for t in &st.next {
        let _ = writeln!(
            s,
            "  → {:<12} {}{}",
            t.to,
            if t.direction == "escalate" {
                "escalate"
            } else {
                "de-escalate"
            },
            if t.requires.is_empty() {
                String::new()
            } else {
                format!(", needs {}", t.requires.join(" + "))
            }
        );
    }
    if let Some(p) = &st.pending_hook {
        let _ = writeln!(
            s,
            "  WARNING        a hook attempt to {p} has no recorded result: check the platform's actual mode"
        );
    }
    if let Some(w) = &st.watch {
        let _ = writeln!(s, "  watch          post-recovery watch until {}", w.until);
    }
    let _ = writeln!(
        s,
        "  freeze         {}",
        if st.frozen {
            "ON (`opsbook freeze status`)"
        } else {
            "off"
        }
    );
    s
}

/// One line of `safety history`.
fn history_line(e: &Event) -> String {
    let Some(typed) = opsbook_core::event::parse::<SafetyEvent>(e) else {
        return e.kind.replace('_', " ");
    };
    match typed {
        SafetyEvent::StateEntered(d) => format!(
            "entered {} from {} ({}) — {}",
            d.state, d.from, d.source, d.reason
        ),
        SafetyEvent::StateExited(d) => format!(
            "left {} after {}",
            d.state,
            d.dwell_ms.map_or("—".into(), human_duration)
        ),
        SafetyEvent::HookAttempt(d) => format!("hook for {} started", d.to),
        SafetyEvent::HookResult(d) => format!(
            "hook for {}: {}",
            d.to,
            if d.outcome.get("ok").and_then(serde_json::Value::as_bool) == Some(true) {
                "ok"
            } else {
                "FAILED"
            }
        ),
        SafetyEvent::TransitionRefused(d) => {
            format!("refused {} → {} ({}): {}", d.from, d.to, d.source, d.why)
        }
        SafetyEvent::WatchStarted(d) => format!("post-recovery watch until {}", d.until),
        SafetyEvent::WatchEnded(d) => {
            format!("post-recovery watch ended: {} — {}", d.result, d.reason)
        }
    }
}

/// `safety history`.
#[must_use]
pub fn history(events: &[Event]) -> String {
    let mut s = String::new();
    for e in events {
        let _ = writeln!(s, "{:>4}  {}  {}", e.seq, when(&e.ts), history_line(e));
    }
    if events.is_empty() {
        s.push_str("no safety transitions recorded: the platform is in the initial state\n");
    }
    s
}

/// `safety matrix`.
#[must_use]
pub fn matrix(m: &safety::MatrixView, md: bool) -> String {
    if md {
        let mut header = vec!["action", "tier"];
        header.extend(m.states.iter().map(String::as_str));
        let rows: Vec<Vec<String>> = m
            .rows
            .iter()
            .map(|(a, cells)| {
                let mut r = vec![a.id.clone(), a.tier.clone()];
                r.extend(cells.iter().map(|c| c.as_str().to_string()));
                r
            })
            .collect();
        return markdown_table(&header, &rows);
    }
    let mut s = String::new();
    let _ = write!(s, "{:<28} {:<4}", "action", "tier");
    for st in &m.states {
        let _ = write!(s, " {st:<10}");
    }
    s.push('\n');
    for (a, cells) in &m.rows {
        let _ = write!(s, "{:<28} {:<4}", a.id, a.tier);
        for c in cells {
            let _ = write!(s, " {:<10}", c.as_str());
        }
        s.push('\n');
    }
    s
}

/// `freeze status`.
#[must_use]
pub fn freeze_status(st: &freeze::Status) -> String {
    let mut s = if st.frozen {
        let mut s = match (&st.since, &st.scheduled) {
            (Some(t), _) => format!("FROZEN since {}\n", when(t)),
            (None, Some(w)) => format!("FROZEN by the scheduled window {w}\n"),
            (None, None) => "FROZEN\n".to_string(),
        };
        for r in &st.reasons {
            let _ = writeln!(
                s,
                "  #{} {}{}",
                r.seq,
                r.reason,
                r.incident
                    .as_deref()
                    .map(|i| format!(" ({i})"))
                    .unwrap_or_default()
            );
        }
        if let (Some(w), true) = (&st.scheduled, st.since.is_some()) {
            let _ = writeln!(s, "  also inside the scheduled window {w}");
        }
        s
    } else {
        "not frozen\n".to_string()
    };
    for x in &st.exceptions {
        let _ = writeln!(
            s,
            "  exception {} until {}: {} — {} (approver {})",
            x.id,
            x.expires_at,
            x.actions.join(", "),
            x.reason,
            x.approver
        );
    }
    if st.by_ledger {
        if st.lift_unmet.is_empty() {
            s.push_str("  every lift condition holds: `opsbook freeze off --reason …`\n");
        } else {
            let _ = writeln!(s, "  lifts only when: {}", st.lift_unmet.join("; "));
        }
    }
    s
}
