//! Time integrity (seed §4.1.1 Time Integrity, §5.1 時計ズレ確認の標準化;
//! spec/time-integrity.md): the clock check judged by `policy/time.yaml`
//! ([`check`]), recorded in the hash-chained `ledger/time.jsonl` as
//! `TCK-<seq>` (and noted on an incident's timeline), and the `time_ok`
//! recovery-acceptance check that opsbook verifies itself
//! ([`verify_time_ok`]).

use std::path::Path;

use opsbook_core::event::{IncidentEvent, TimeEvent, incident as iev, time as tev};
use opsbook_core::incident::Incident;
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::{self, Event};
use opsbook_core::next::NextStep;
use opsbook_core::policy::Time;
use opsbook_time::{CheckParams, Source, Thresholds};

/// The report and its verdict, as the clock-check engine defines them.
pub use opsbook_time::{TimeReport, Verdict};
use serde::Serialize;

use crate::{Context, OpsError};

/// A recorded check counts for `time_ok` (and `failover check`) only when
/// it is at most this old (minutes).
pub const FRESH_MINUTES: i64 = 30;

/// What to measure.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// SNTP servers (`host`, `host:port`); with `exchanges`, replaces the
    /// policy's sources.
    pub servers: Vec<String>,
    /// Server-time URLs in the Binance `/api/v3/time` shape (a policy
    /// source with the same URL gives its field).
    pub exchanges: Vec<String>,
    /// Record the result in `ledger/time.jsonl` (`TCK-<seq>`).
    pub record: bool,
    /// The incident to record it for (implies `record`; its timeline gets a note).
    pub incident: Option<String>,
}

/// A check's report, and its record. Serialises as the report (the shape
/// of `opsbook_time::TimeReport`) plus `recorded`.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// The report.
    #[serde(flatten)]
    pub report: TimeReport,
    /// `TCK-<seq>` when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<String>,
    /// The events written (time ledger, incident).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
}

fn thresholds(p: &Time) -> Result<Thresholds, OpsError> {
    let t = p.thresholds_ms;
    let u = |v: i64, k: &str| {
        u64::try_from(v).map_err(|_| {
            OpsError::invalid(format!(
                "policy/time.yaml thresholds_ms.{k} is {v}: thresholds are ms at or above 1"
            ))
        })
    };
    let t = Thresholds {
        warn: u(t.warn, "warn")?,
        halt_new_orders: u(t.halt_new_orders, "halt_new_orders")?,
        critical: u(t.critical, "critical")?,
    };
    t.validate()
        .map_err(|e| OpsError::invalid(format!("policy/time.yaml: {e}")))?;
    Ok(t)
}

fn actions(p: &Time) -> opsbook_time::Actions {
    let a = |x: &opsbook_core::policy::time::TimeAction| opsbook_time::Action {
        safety_state: x.safety_state.clone(),
        notify: x.notify.clone(),
    };
    opsbook_time::Actions {
        warn: a(&p.actions.warn),
        halt_new_orders: a(&p.actions.halt_new_orders),
        critical: a(&p.actions.critical),
    }
}

/// `https://api.binance.com/api/v3/time` → `api.binance.com`.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or(rest)
        .rsplit('@')
        .next()
        .unwrap_or(rest)
        .to_string()
}

/// The sources: those given, else the policy's.
fn sources(p: &Time, req: &CheckRequest) -> Result<Vec<Source>, OpsError> {
    let mut out: Vec<Source> = Vec::new();
    let unique = |out: &[Source], id: String| {
        let mut n = 1;
        let mut cand = id.clone();
        while out.iter().any(|s| s.id() == cand) {
            n += 1;
            cand = format!("{id}#{n}");
        }
        cand
    };
    if req.servers.is_empty() && req.exchanges.is_empty() {
        let mut v = Vec::new();
        for s in &p.measurement.sources {
            match (s.kind.as_str(), &s.url, &s.host) {
                ("exchange", Some(url), _) => v.push(Source::Exchange {
                    id: s.id.clone(),
                    url: url.clone(),
                    field: s.field.clone().unwrap_or_else(|| "serverTime".into()),
                }),
                ("ntp", _, Some(host)) => v.push(Source::Ntp {
                    id: s.id.clone(),
                    host: host.clone(),
                }),
                (k, _, _) => {
                    return Err(OpsError::invalid(format!(
                        "policy/time.yaml measurement.sources `{}`: kind `{k}` needs {}",
                        s.id,
                        if k == "ntp" {
                            "host"
                        } else {
                            "kind exchange with url, or kind ntp with host"
                        }
                    )));
                }
            }
        }
        return Ok(v);
    }
    for url in &req.exchanges {
        let known = p
            .measurement
            .sources
            .iter()
            .find(|s| s.url.as_deref() == Some(url.as_str()));
        let id = unique(&out, known.map_or_else(|| host_of(url), |s| s.id.clone()));
        out.push(Source::Exchange {
            id,
            url: url.clone(),
            field: known
                .and_then(|s| s.field.clone())
                .unwrap_or_else(|| "serverTime".into()),
        });
    }
    for host in &req.servers {
        let id = unique(&out, host.clone());
        out.push(Source::Ntp {
            id,
            host: host.clone(),
        });
    }
    Ok(out)
}

/// The time policy: the SSOT's, or the starter one (with a warning) when
/// there is no `policy/time.yaml` (a check run outside an SSOT).
///
/// # Errors
/// A policy that exists but is broken (its thresholds decide).
pub fn policy(ctx: &Context) -> Result<Time, OpsError> {
    match ctx.policy_optional::<Time>()? {
        Some(p) => Ok(p),
        None => {
            ctx.warn(
                "warning: no policy/time.yaml here: the starter thresholds apply (warn 250 ms, SAFE_MODE 500 ms, HALT 1000 ms)",
            );
            Ok(opsbook_core::policy::builtin::<Time>()?)
        }
    }
}

/// Measures the clock against the sources (the policy's, or those given)
/// and judges the offset by `policy/time.yaml` (T0). With `record` or an
/// incident, the result goes into `ledger/time.jsonl` as `TCK-<seq>`, and
/// the incident's timeline gets a note.
///
/// # Errors
/// A broken policy, bad sources; an unknown or closed incident; the
/// ledgers. Unreachable sources are not errors: the verdict is
/// `unmeasured`.
pub fn check(ctx: &Context, req: &CheckRequest) -> Result<Checked, OpsError> {
    let p = policy(ctx)?;
    let inc = match &req.incident {
        Some(i) => {
            let st = ctx.store()?;
            let id = st.resolve(i)?;
            if st.load(&id)?.status.is_terminal() {
                return Err(OpsError::refused(
                    format!("{id} is closed: record the check without --incident"),
                    None,
                ));
            }
            Some(id)
        }
        None => None,
    };
    let mut params = CheckParams::new(sources(&p, req)?, thresholds(&p)?);
    if p.measurement.samples > 0 {
        params.samples = p.measurement.samples;
    }
    if p.measurement.max_rtt_ms > 0 {
        params.max_rtt_ms = p.measurement.max_rtt_ms;
    }
    params.actions = Some(actions(&p));
    let mut report = opsbook_time::check(&params).map_err(OpsError::Invalid)?;
    report.measured_at = ledger::format_ts(ctx.now());
    let mut out = Checked {
        report,
        recorded: None,
        events: Vec::new(),
    };
    if req.record || inc.is_some() {
        let r = &out.report;
        let ev = ctx.append(
            &ctx.layout.ledger(LedgerFile::Time),
            &TimeEvent::TimeChecked(tev::TimeChecked {
                verdict: r.verdict.as_str().to_string(),
                offset_ms: r.offset_ms,
                measured_at: r.measured_at.clone(),
                judged_source: r.judged_source.clone(),
                warn_ms: r.thresholds_ms.warn,
                incident: inc.clone(),
                report: serde_json::to_value(r).map_err(|e| OpsError::Other(e.to_string()))?,
            }),
        )?;
        let id = format!("TCK-{}", ev.seq);
        ctx.warn_clock(std::slice::from_ref(&ev), "the last clock check");
        out.events.push(ev);
        if let Some(i) = &inc {
            let text = format!(
                "clock check {id}: {}, offset {} ms{} (warn {} ms)",
                r.verdict.as_str(),
                r.offset_ms
                    .map_or_else(|| "unknown".into(), |o| format!("{o:+}")),
                r.judged_source
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
                r.thresholds_ms.warn
            );
            out.events.extend(
                ctx.store()?
                    .transact(ctx.clock.as_ref(), i, &ctx.actor, |_| {
                        Ok::<_, OpsError>(vec![IncidentEvent::Note(iev::Note { text })])
                    })?,
            );
        }
        out.recorded = Some(id);
    }
    Ok(out)
}

/// The recorded checks, oldest first: `(event, check)`.
///
/// # Errors
/// A broken time ledger.
pub fn recorded(ctx: &Context) -> Result<Vec<(Event, tev::TimeChecked)>, OpsError> {
    Ok(
        opsbook_core::event::read::<TimeEvent>(&ctx.layout.ledger(LedgerFile::Time))?
            .into_iter()
            .map(|(e, TimeEvent::TimeChecked(t))| (e, t))
            .collect(),
    )
}

/// When the incident's recovery began, and which moment that is: the later
/// of its first MITIGATING (else its opening) and the platform's entry into
/// RECOVERING for it ([`crate::recovery::recovery_began`]); a `time_ok`
/// check must be measured and recorded after it.
///
/// # Errors
/// The policy or the safety ledger cannot be read.
pub fn recovery_began(
    ctx: &Context,
    inc: &Incident,
) -> Result<(Option<jiff::Timestamp>, String), OpsError> {
    let mitigating = recovery_start(inc);
    let label = if inc.mitigating_at.is_some() {
        "MITIGATING".to_string()
    } else {
        "the incident's opening".to_string()
    };
    Ok(
        match (mitigating, crate::recovery::recovery_began(ctx, inc)?) {
            (Some(m), Some((r, seq))) if r > m => (
                Some(r),
                format!("the platform entered RECOVERING, ledger/safety.jsonl #{seq},"),
            ),
            (None, Some((r, seq))) => (
                Some(r),
                format!("the platform entered RECOVERING, ledger/safety.jsonl #{seq},"),
            ),
            (m, _) => (m, format!("{} reached {label}", inc.id)),
        },
    )
}

/// When the incident's recovery started: its first MITIGATING, else its
/// opening.
#[must_use]
pub fn recovery_start(inc: &Incident) -> Option<jiff::Timestamp> {
    inc.mitigating_at
        .as_deref()
        .unwrap_or(&inc.opened_at)
        .parse()
        .ok()
}

fn refuse(incident: &Incident, msg: String) -> OpsError {
    OpsError::refused(
        format!("time_ok is not verified: {msg}"),
        Some(NextStep::CheckTime {
            incident: Some(incident.id.clone()),
        }),
    )
}

/// The `time_ok` recovery-acceptance check, verified by opsbook
/// (spec/recovery-acceptance.md: "exchange clock offset below warn in the
/// last measurement"). `reference` is a recorded check `TCK-<seq>`, or a
/// time report file (`opsbook time check --format json`) attached to the
/// incident with its SHA-256. It passes only when the record exists and is
/// intact (the ledger's hash chain; the file's hash as attached), the
/// verdict is `ok`, it was measured after the incident's recovery started
/// and at most [`FRESH_MINUTES`] ago, and no later recorded check says
/// otherwise. Returns the note to record with the answer.
///
/// # Errors
/// [`OpsError::Refused`] with the reason (next: record a check); a broken
/// ledger.
pub fn verify_time_ok(ctx: &Context, inc: &Incident, reference: &str) -> Result<String, OpsError> {
    let reference = reference.trim();
    let checks = recorded(ctx).map_err(|e| refuse(inc, format!("ledger/time.jsonl: {e}")))?;
    let mut recorded_ts: Option<String> = None;
    let (verdict, offset, warn, source, measured, what) = if let Some(n) = reference
        .strip_prefix("TCK-")
        .and_then(|n| n.parse::<u64>().ok())
    {
        let Some((e, t)) = checks.iter().find(|(e, _)| e.seq == n) else {
            return Err(refuse(
                inc,
                format!("{reference} is not a clock check recorded in ledger/time.jsonl"),
            ));
        };
        recorded_ts = Some(e.ts.clone());
        (
            t.verdict.clone(),
            t.offset_ms,
            t.warn_ms,
            t.judged_source.clone(),
            t.measured_at.clone(),
            reference.to_string(),
        )
    } else if Path::new(reference).is_file() {
        let path = Path::new(reference);
        let sha = opsbook_evidence::bundle::file_sha256(path)?;
        if !inc.evidence.iter().any(|e| e.sha256 == sha) {
            return Err(refuse(
                inc,
                format!(
                    "`{reference}` (SHA-256 {sha}) is not attached to {} with that hash: a report must be attached before it counts",
                    inc.id
                ),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| OpsError::io(path, e))?;
        let text = opsbook_core::text::decode(&bytes)
            .map(|d| d.text)
            .map_err(|e| refuse(inc, format!("`{reference}`: {e}")))?;
        let r: TimeReport = serde_json::from_str(&text).map_err(|e| {
            refuse(
                inc,
                format!(
                    "`{reference}` is not a time report of `opsbook time check --format json`: {e}"
                ),
            )
        })?;
        (
            r.verdict.as_str().to_string(),
            r.offset_ms,
            r.thresholds_ms.warn,
            r.judged_source,
            r.measured_at,
            format!("{reference} (SHA-256 {sha}, attached)"),
        )
    } else {
        return Err(refuse(
            inc,
            format!(
                "`{reference}` is neither a recorded clock check (TCK-N) nor a time report file attached to {}",
                inc.id
            ),
        ));
    };
    if verdict != Verdict::Ok.as_str() {
        return Err(refuse(
            inc,
            format!(
                "{what} says `{verdict}` (offset {} ms, warn {warn} ms)",
                offset.map_or_else(|| "unknown".into(), |o| o.to_string())
            ),
        ));
    }
    let Ok(at) = measured.parse::<jiff::Timestamp>() else {
        return Err(refuse(
            inc,
            format!("{what}: measured_at `{measured}` is not a time"),
        ));
    };
    // Measured (and, for a TCK, recorded) after recovery began: the later
    // of the incident's MITIGATING and the platform's RECOVERING for it
    // (issue 13): a check taken while the platform was still held says
    // nothing about the clock it recovers with.
    let (start, began) = recovery_began(ctx, inc)?;
    let recorded_at = recorded_ts
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok());
    if let Some(start) = start
        && (at < start || recorded_at.is_some_and(|r| r < start))
    {
        return Err(refuse(
            inc,
            format!(
                "{what} was measured at {measured}{}, before {}'s recovery began ({began} at {}): measure again now",
                recorded_ts
                    .as_deref()
                    .filter(|r| *r != measured)
                    .map(|r| format!(" (recorded {r})"))
                    .unwrap_or_default(),
                inc.id,
                ledger::format_ts(start)
            ),
        ));
    }
    let now = ctx.now();
    let age_min = (now.as_millisecond() - at.as_millisecond()) / 60_000;
    if age_min > FRESH_MINUTES {
        return Err(refuse(
            inc,
            format!(
                "{what} was measured at {measured}, {age_min} min ago (at most {FRESH_MINUTES} min): measure again"
            ),
        ));
    }
    if let Some((e, t)) = checks.iter().rev().find(|(_, t)| {
        t.measured_at
            .parse::<jiff::Timestamp>()
            .is_ok_and(|m| m > at)
            && t.verdict != Verdict::Ok.as_str()
    }) {
        return Err(refuse(
            inc,
            format!(
                "a later check, TCK-{} at {}, says `{}`: the last measurement decides",
                e.seq, t.measured_at, t.verdict
            ),
        ));
    }
    Ok(format!(
        "verified by opsbook: {what} ok, offset {} ms{} at {measured}, below warn {warn} ms",
        offset.map_or_else(|| "?".into(), |o| format!("{o:+}")),
        source.map(|s| format!(" ({s})")).unwrap_or_default()
    ))
}
