//! Human text of the integrity reports of issue 16: a clock check, a lease
//! and its status, the failover and failback conditions, and what a
//! market-data mark, quarantine or version switch did. JSON is the outcome
//! itself.

use std::fmt::Write as _;

use opsbook_ops::failover::{Checked as FailoverChecked, CondStatus, Condition, FailedBack};
use opsbook_ops::lease::{Lease, Release, Status};
use opsbook_ops::marketdata::{Marked, Quarantined, Switched};
use opsbook_ops::time::Checked as TimeChecked;

use super::when;

/// A serde enum's name (`halt_new_orders`).
fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn ms(v: Option<i64>) -> String {
    v.map_or_else(|| "unknown".into(), |o| format!("{o:+} ms"))
}

/// `opsbook time check`.
#[must_use]
pub fn time_check(c: &TimeChecked) -> String {
    let r = &c.report;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "clock: {} — offset {}{} (warn {} ms, SAFE_MODE {} ms, HALT {} ms)",
        r.verdict.as_str().to_uppercase(),
        ms(r.offset_ms),
        r.judged_source
            .as_deref()
            .map(|j| format!(" by {j}"))
            .unwrap_or_default(),
        r.thresholds_ms.warn,
        r.thresholds_ms.halt_new_orders,
        r.thresholds_ms.critical,
    );
    for src in &r.sources {
        let _ = writeln!(
            s,
            "  {:<20} {:<8} offset {:>10}  rtt {:>8}{}{}",
            src.id,
            name(&src.kind),
            ms(src.offset_ms),
            src.rtt_ms.map_or_else(|| "-".into(), |v| format!("{v} ms")),
            src.stratum
                .map(|v| format!("  stratum {v}"))
                .unwrap_or_default(),
            src.error
                .as_ref()
                .map(|e| format!("  error: {}", e.message))
                .unwrap_or_default(),
        );
    }
    if let Some(n) = &r.ntp {
        let _ = writeln!(
            s,
            "  NTP: {}/{} measured, median {}, spread {}",
            n.measured,
            n.servers,
            ms(n.median_offset_ms),
            n.spread_ms
                .map_or_else(|| "-".into(), |v| format!("{v} ms"))
        );
    }
    let _ = writeln!(s, "  diagnosis: {}", name(&r.diagnosis));
    if let Some(a) = &r.action {
        let _ = writeln!(
            s,
            "  policy action: {}notify {}",
            a.safety_state
                .as_deref()
                .map(|x| format!("safety state {x}; "))
                .unwrap_or_default(),
            a.notify
        );
    }
    for n in &r.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    match &c.recorded {
        Some(id) if r.verdict == opsbook_ops::time::Verdict::Ok => {
            let _ = writeln!(
                s,
                "recorded as {id} in ledger/time.jsonl (the time_ok check accepts `time_ok=pass:{id}`)"
            );
        }
        // Only an `ok` check answers time_ok: never advertise another.
        Some(id) => {
            let _ = writeln!(
                s,
                "recorded as {id} in ledger/time.jsonl as evidence; the time_ok check does not accept it ({}: only a check whose verdict is ok passes)",
                r.verdict.as_str()
            );
        }
        None => s.push_str("not recorded (add --record to keep it as evidence)\n"),
    }
    s
}

/// A lease granted or renewed.
#[must_use]
pub fn lease(verb: &str, l: &Lease) -> String {
    let mut s = format!(
        "{verb} {} for {}: token {}, until {} (valid {} ms from the request), store {}\n",
        l.name,
        l.holder,
        l.token,
        when(&l.expires_at.to_string()),
        l.valid_for_ms,
        l.store
    );
    if let Some(p) = &l.took_over {
        let _ = writeln!(
            s,
            "  took over from {} (token {}, expired {})",
            p.holder,
            p.token,
            when(&p.expires_at.to_string())
        );
    }
    s
}

/// A lease released.
#[must_use]
pub fn release(r: &Release) -> String {
    if r.already_released {
        return format!(
            "{} was already released by {} (token {})\n",
            r.name, r.holder, r.token
        );
    }
    format!(
        "released {} by {} (token {}){}\n",
        r.name,
        r.holder,
        r.token,
        if r.was_expired {
            " — it had expired before"
        } else {
            ""
        }
    )
}

/// Who holds a lease.
#[must_use]
pub fn status(st: &Status) -> String {
    let mut s = format!("{}: {}", st.name, name(&st.state));
    if let Some(h) = &st.holder {
        let _ = write!(s, ", holder {h}");
    }
    if let Some(t) = st.token {
        let _ = write!(s, ", token {t}");
    }
    if let Some(h) = &st.host {
        let _ = write!(s, " on {h}");
    }
    s.push('\n');
    for (k, v) in [
        ("since", &st.since),
        ("renewed", &st.renewed_at),
        ("expires", &st.expires_at),
        ("may be taken over", &st.takeover_at),
        ("released", &st.released_at),
    ] {
        if let Some(t) = v {
            let _ = writeln!(s, "  {k}: {}", when(&t.to_string()));
        }
    }
    let _ = writeln!(s, "  store: {}", st.store);
    s
}

fn condition(s: &mut String, c: &Condition) {
    let mark = match c.status {
        CondStatus::Pass => "ok     ",
        CondStatus::Fail => "FAIL   ",
        CondStatus::Unknown => "UNKNOWN",
    };
    let _ = writeln!(
        s,
        "    {mark} {}: {}{}",
        c.id,
        c.detail,
        c.missing
            .as_deref()
            .map(|m| format!(" — {m}"))
            .unwrap_or_default()
    );
}

/// `opsbook failover check`.
#[must_use]
pub fn failover(c: &FailoverChecked) -> String {
    let mut s = String::new();
    for a in &c.components {
        let _ = writeln!(
            s,
            "{} (policy: {}): {}",
            a.component,
            name(&a.policy_mode),
            if a.ok {
                "failover MAY proceed"
            } else {
                "failover may NOT proceed"
            }
        );
        for m in &a.modes {
            let _ = writeln!(
                s,
                "  {}{}: {}",
                name(&m.mode),
                if m.permitted {
                    ""
                } else {
                    " (not permitted by policy)"
                },
                if m.holds {
                    "conditions hold"
                } else {
                    "conditions do not hold"
                }
            );
            for x in &m.conditions {
                condition(&mut s, x);
            }
        }
    }
    match &c.time_check {
        Some(t) => {
            let _ = writeln!(s, "clock: {t}");
        }
        None => {
            s.push_str("clock: no fresh clock check of this host (`opsbook time check --record`)\n")
        }
    }
    s
}

/// `opsbook failover failback`.
#[must_use]
pub fn failback(f: &FailedBack) -> String {
    let mut s = format!(
        "failback of {} approved ({} used): move the role as the runbook says\n",
        f.assessment.component, f.confirmation
    );
    for x in &f.assessment.conditions {
        condition(&mut s, x);
    }
    s
}

/// `opsbook marketdata mark`.
#[must_use]
pub fn marked(m: &Marked) -> String {
    let mut s = format!("{} finding(s) in the report\n", m.findings);
    for f in &m.files {
        let _ = writeln!(
            s,
            "  {}: {} added, {} already there",
            f.sidecar.display(),
            f.added,
            f.kept
        );
    }
    if m.events.is_empty() {
        s.push_str("nothing new to mark\n");
    }
    s
}

/// `opsbook marketdata quarantine`.
#[must_use]
pub fn quarantined(q: &Quarantined) -> String {
    let mut s = String::new();
    for e in &q.entries {
        let _ = writeln!(
            s,
            "  {} -> {} ({} bytes, {})",
            e.original,
            e.quarantined,
            e.bytes,
            name(&e.mode)
        );
    }
    if q.entries.is_empty() {
        s.push_str("no file with a defect: nothing set aside\n");
    } else {
        let _ = writeln!(
            s,
            "{} file(s) set aside; manifest {}",
            q.entries.len(),
            q.manifest
        );
    }
    s
}

/// `opsbook marketdata switch-version`.
#[must_use]
pub fn switched(w: &Switched) -> String {
    let prev = if w.switch.previous.is_empty() {
        "(none)"
    } else {
        &w.switch.previous
    };
    format!(
        "{}: {prev} -> {} ({}; evidence {})\nbackout: `opsbook marketdata switch-version {} {prev} --incident ID --reason …` after a new confirmation\n",
        w.switch.pointer.display(),
        w.switch.current,
        w.confirmation,
        w.evidence,
        w.switch.pointer.display(),
    )
}
