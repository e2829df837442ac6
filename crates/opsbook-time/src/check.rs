//! One clock check (`opsbook time check`): every source measured in
//! parallel, combined and judged into a [`TimeReport`].
//!
//! **What is judged** (spec/time-integrity.md rule 1: the binding constraint
//! is the exchange): when any `exchange` source is configured, the verdict
//! comes from the exchange sources — each judged on its own, the worst
//! wins — and NTP is measured alongside to tell "our clock is wrong" from
//! "the exchange's clock or path is odd" ([`Diagnosis`]). With NTP servers
//! only, the median across the servers is judged.
//!
//! **Unmeasured is never OK**: if a source the verdict depends on gave no
//! measurement, the verdict is [`Verdict::Unmeasured`] (exit 2) — unless a
//! measured source is already at or above `warn`, whose level then stands
//! (a measured HALT is more useful than "unknown"). Unreachable NTP servers
//! do not affect an exchange-based verdict; they are listed in `notes`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::exchange;
use crate::judge::{
    Action, Actions, Direction, Level, Thresholds, Verdict, direction, median, round_ms, spread,
};
use crate::ntp::{self, Leap};
use crate::sample::{Sample, SourceError, aggregate};

/// One time source, in the shape of `measurement.sources` of
/// `policy/time.yaml` (`kind: ntp | exchange`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// An SNTP server.
    Ntp {
        /// Source ID (`nict`).
        id: String,
        /// `host`, `host:port`, or an IP address (UDP 123 by default).
        host: String,
    },
    /// An exchange's server-time endpoint.
    Exchange {
        /// Source ID (`binance-spot`).
        id: String,
        /// `https://api.binance.com/api/v3/time`.
        url: String,
        /// JSON field holding epoch ms (`serverTime`; dotted paths allowed).
        field: String,
    },
}

impl Source {
    /// The source's ID.
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Source::Ntp { id, .. } | Source::Exchange { id, .. } => id,
        }
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::Ntp { .. } => SourceKind::Ntp,
            Source::Exchange { .. } => SourceKind::Exchange,
        }
    }
}

/// `ntp` or `exchange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// SNTP server.
    Ntp,
    /// Exchange server-time endpoint.
    Exchange,
}

/// Everything a check needs; the CLI fills it from `policy/time.yaml` and
/// its flags. Durations are wall time.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckParams {
    /// The sources to measure (at least one).
    pub sources: Vec<Source>,
    /// Samples per exchange source (`measurement.samples`, 1–20).
    pub samples: u32,
    /// Pause between two samples of one exchange source.
    pub exchange_gap: Duration,
    /// SNTP queries per NTP server (1–20).
    pub ntp_samples: u32,
    /// Pause between two queries to one NTP server (2 s keeps public
    /// servers from answering with a `RATE` kiss-o'-death).
    pub ntp_gap: Duration,
    /// Samples with a longer round trip are discarded (`measurement.max_rtt_ms`).
    pub max_rtt_ms: u64,
    /// How long one query may take.
    pub timeout: Duration,
    /// `thresholds_ms`.
    pub thresholds: Thresholds,
    /// `actions`, to name what to do at the verdict's level.
    pub actions: Option<Actions>,
}

impl CheckParams {
    /// Defaults matching the starter `policy/time.yaml`: 5 exchange samples
    /// 100 ms apart, 3 SNTP queries 2 s apart, `max_rtt_ms` 500, a 3 s
    /// timeout, no actions.
    #[must_use]
    pub fn new(sources: Vec<Source>, thresholds: Thresholds) -> CheckParams {
        CheckParams {
            sources,
            samples: 5,
            exchange_gap: Duration::from_millis(100),
            ntp_samples: 3,
            ntp_gap: Duration::from_secs(2),
            max_rtt_ms: 500,
            timeout: Duration::from_secs(3),
            thresholds,
            actions: None,
        }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// A message naming the bad parameter: no sources, duplicate source
    /// IDs, sample counts outside 1–20, `max_rtt_ms` 0, zero timeout,
    /// thresholds out of order.
    pub fn validate(&self) -> Result<(), String> {
        if self.sources.is_empty() {
            return Err("no time source: give an NTP server or an exchange URL (policy/time.yaml measurement.sources)".into());
        }
        let mut ids: Vec<&str> = self.sources.iter().map(Source::id).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("source id `{}` is given twice", w[0]));
        }
        for (name, n) in [("samples", self.samples), ("ntp_samples", self.ntp_samples)] {
            if !(1..=20).contains(&n) {
                return Err(format!("{name} must be 1-20, got {n}"));
            }
        }
        if self.max_rtt_ms == 0 {
            return Err("max_rtt_ms must be at least 1".into());
        }
        if self.timeout.is_zero() {
            return Err("the timeout must be above zero".into());
        }
        self.thresholds.validate()
    }
}

/// The result of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceResult {
    /// Source ID.
    pub id: String,
    /// `ntp` or `exchange`.
    pub kind: SourceKind,
    /// Host or URL asked.
    pub target: String,
    /// Whether the verdict depends on this source.
    pub judged: bool,
    /// Median offset of the kept samples, ms (positive: local clock behind).
    pub offset_ms: Option<i64>,
    /// Median RTT of the kept samples, ms.
    pub rtt_ms: Option<i64>,
    /// The offset's level.
    pub level: Option<Level>,
    /// Every sample, kept or discarded.
    pub samples: Vec<Sample>,
    /// NTP stratum (NTP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<u8>,
    /// NTP leap indicator (NTP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leap: Option<Leap>,
    /// Why there is no measurement.
    pub error: Option<SourceError>,
}

/// The NTP servers taken together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NtpSummary {
    /// Servers asked.
    pub servers: usize,
    /// Servers measured.
    pub measured: usize,
    /// Median of the measured servers' offsets, ms.
    pub median_offset_ms: Option<i64>,
    /// Largest minus smallest server offset, ms.
    pub spread_ms: Option<i64>,
    /// The median's level.
    pub level: Option<Level>,
}

/// Whose clock is likely wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Diagnosis {
    /// Exchange and NTP agree with the local clock within `warn`.
    Consistent,
    /// The local clock is off: the exchange and NTP both say so, in the same
    /// direction (fix Windows Time: runbooks/platform/time-drift.md).
    LocalClock,
    /// The exchange's offset is over `warn` but NTP agrees with the local
    /// clock: the exchange's clock or an asymmetric network path.
    ExchangeOrPath,
    /// The exchange agrees with the local clock but NTP does not: suspect
    /// the NTP servers (smearing, a bad server) before the clock.
    NtpDisagrees,
    /// Not enough was measured to tell.
    Unknown,
}

/// What the verdict is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Exchange server time (at least one exchange source configured).
    Exchange,
    /// The median of the NTP servers (no exchange source configured).
    Ntp,
}

/// The outcome of a check, for `--format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeReport {
    /// When the check finished, UTC RFC 3339 ms (the local clock).
    pub measured_at: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What it is based on.
    pub basis: Basis,
    /// The judged offset, ms: the judged source with the largest |offset|,
    /// or the NTP median. Positive: local clock behind.
    pub offset_ms: Option<i64>,
    /// Which way the local clock is off.
    pub direction: Option<Direction>,
    /// The source the judged offset comes from (`ntp-median` for NTP).
    pub judged_source: Option<String>,
    /// The thresholds applied.
    pub thresholds_ms: Thresholds,
    /// What `policy/time.yaml` says to do at the verdict's level.
    pub action: Option<Action>,
    /// Every source.
    pub sources: Vec<SourceResult>,
    /// The NTP servers taken together (when any was asked).
    pub ntp: Option<NtpSummary>,
    /// Whose clock is likely wrong.
    pub diagnosis: Diagnosis,
    /// Things the operator should know (unreachable informational sources,
    /// disagreeing servers, leap seconds, plain HTTP).
    pub notes: Vec<String>,
}

/// A compact record of a check for evidence and the incident timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeEvidence {
    /// When measured (UTC RFC 3339 ms).
    pub measured_at: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The judged offset, ms (positive: local clock behind).
    pub offset_ms: Option<i64>,
    /// Where it comes from.
    pub judged_source: Option<String>,
    /// `warn` threshold applied, ms.
    pub warn_ms: u64,
    /// Per source: `id`, offset, RTT, or the error.
    pub sources: Vec<EvidenceSource>,
}

/// One source in [`TimeEvidence`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceSource {
    /// Source ID.
    pub id: String,
    /// Offset, ms.
    pub offset_ms: Option<i64>,
    /// RTT, ms.
    pub rtt_ms: Option<i64>,
    /// Why unmeasured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TimeReport {
    /// The process exit code: see [`Verdict::exit_code`].
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        self.verdict.exit_code()
    }

    /// The compact evidence form.
    #[must_use]
    pub fn evidence(&self) -> TimeEvidence {
        TimeEvidence {
            measured_at: self.measured_at.clone(),
            verdict: self.verdict,
            offset_ms: self.offset_ms,
            judged_source: self.judged_source.clone(),
            warn_ms: self.thresholds_ms.warn,
            sources: self
                .sources
                .iter()
                .map(|s| EvidenceSource {
                    id: s.id.clone(),
                    offset_ms: s.offset_ms,
                    rtt_ms: s.rtt_ms,
                    error: s.error.as_ref().map(|e| e.message.clone()),
                })
                .collect(),
        }
    }

    /// |offset| in ms for the severity fact `clock_offset_ms`
    /// (`policy/severity.yaml`); `None` when unmeasured.
    #[must_use]
    pub fn clock_offset_fact(&self) -> Option<u64> {
        self.offset_ms.map(i64::unsigned_abs)
    }

    /// Whether the recovery-acceptance check `time_ok` passes: measured and
    /// below `warn` (spec/recovery-acceptance.md).
    #[must_use]
    pub fn time_ok(&self) -> bool {
        self.verdict == Verdict::Ok
    }
}

/// Measures one source.
fn measure(s: &Source, p: &CheckParams) -> SourceResult {
    let (target, mut samples, stratum, leap, fatal) = match s {
        Source::Ntp { host, .. } => {
            let o = ntp::query(host, p.ntp_samples, p.ntp_gap, p.timeout);
            (host.clone(), o.samples, o.stratum, o.leap, o.fatal)
        }
        Source::Exchange { url, field, .. } => {
            let o = exchange::query(url, field, p.samples, p.exchange_gap, p.timeout);
            (url.clone(), o.samples, None, None, o.fatal)
        }
    };
    let agg = aggregate(&mut samples, p.max_rtt_ms);
    let (offset, rtt, error) = match (fatal, agg) {
        (Some(e), _) => {
            samples.iter_mut().for_each(|x| x.kept = false);
            (None, None, Some(e))
        }
        (None, Ok(m)) => (Some(round_ms(m.offset_ms)), Some(round_ms(m.rtt_ms)), None),
        (None, Err(e)) => (None, None, Some(e)),
    };
    SourceResult {
        id: s.id().to_string(),
        kind: s.kind(),
        target,
        judged: false,
        offset_ms: offset,
        rtt_ms: rtt,
        level: offset.map(|o| p.thresholds.level(o)),
        samples,
        stratum,
        leap,
        error,
    }
}

/// Runs a check: measures every source in parallel and judges.
///
/// # Errors
/// Invalid parameters ([`CheckParams::validate`]). Unreachable or failing
/// sources are not errors: they are in the report, and make the verdict
/// [`Verdict::Unmeasured`] when the verdict depends on them.
pub fn check(p: &CheckParams) -> Result<TimeReport, String> {
    p.validate()?;
    let results: Vec<SourceResult> = std::thread::scope(|sc| {
        let handles: Vec<_> = p
            .sources
            .iter()
            .map(|s| sc.spawn(move || measure(s, p)))
            .collect();
        handles
            .into_iter()
            .zip(&p.sources)
            .map(|(h, s)| {
                h.join().unwrap_or_else(|_| SourceResult {
                    id: s.id().to_string(),
                    kind: s.kind(),
                    target: String::new(),
                    judged: false,
                    offset_ms: None,
                    rtt_ms: None,
                    level: None,
                    samples: Vec::new(),
                    stratum: None,
                    leap: None,
                    error: Some(SourceError::new(
                        crate::sample::ErrorKind::Protocol,
                        "the measurement thread panicked",
                    )),
                })
            })
            .collect()
    });
    Ok(judge_sources(
        results,
        p,
        opsbook_core::ledger::format_ts(jiff::Timestamp::now()),
    ))
}

/// Combines measured sources into a report (separate from [`check`] so the
/// rules can be tested without a network).
#[must_use]
pub fn judge_sources(
    mut sources: Vec<SourceResult>,
    p: &CheckParams,
    measured_at: String,
) -> TimeReport {
    let t = p.thresholds;
    let basis = if sources.iter().any(|s| s.kind == SourceKind::Exchange) {
        Basis::Exchange
    } else {
        Basis::Ntp
    };
    let mut notes = Vec::new();
    // NTP taken together.
    let ntp_offsets: Vec<f64> = sources
        .iter()
        .filter(|s| s.kind == SourceKind::Ntp)
        .filter_map(|s| s.offset_ms)
        .map(|o| o as f64)
        .collect();
    let ntp_servers = sources.iter().filter(|s| s.kind == SourceKind::Ntp).count();
    let ntp = (ntp_servers > 0).then(|| {
        let med = median(&ntp_offsets).map(round_ms);
        NtpSummary {
            servers: ntp_servers,
            measured: ntp_offsets.len(),
            median_offset_ms: med,
            spread_ms: spread(&ntp_offsets).map(round_ms),
            level: med.map(|m| t.level(m)),
        }
    });
    if let Some(sp) = ntp.as_ref().and_then(|n| n.spread_ms)
        && sp.unsigned_abs() >= t.warn
    {
        notes.push(format!(
            "the NTP servers disagree by {sp} ms (at or above warn {} ms): one of them is wrong or smearing leap seconds; the median is used",
            t.warn
        ));
    }
    for s in &mut sources {
        s.judged = match basis {
            Basis::Exchange => s.kind == SourceKind::Exchange,
            Basis::Ntp => true,
        };
        if let (Some(e), false) = (&s.error, s.judged) {
            notes.push(format!(
                "{} ({}) not measured: {}",
                s.id, s.target, e.message
            ));
        }
        if let Some(l @ (Leap::Insert | Leap::Delete)) = s.leap {
            notes.push(format!(
                "{} announces a leap second ({}) at the end of this UTC day: expect a 1 s step or smear",
                s.id,
                if l == Leap::Insert { "inserted" } else { "deleted" }
            ));
        }
        let lower = s.target.to_ascii_lowercase();
        if s.kind == SourceKind::Exchange
            && lower.starts_with("http://")
            && !["http://127.", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| lower.starts_with(p))
        {
            notes.push(format!(
                "{} uses plain HTTP: its answer is not authenticated; use https://",
                s.id
            ));
        }
    }
    let ex: Vec<f64> = sources
        .iter()
        .filter(|s| s.kind == SourceKind::Exchange)
        .filter_map(|s| s.offset_ms)
        .map(|o| o as f64)
        .collect();
    if let Some(sp) = spread(&ex).map(round_ms)
        && sp.unsigned_abs() >= t.warn
    {
        notes.push(format!(
            "the exchanges' clocks disagree by {sp} ms: judge each venue by its own offset"
        ));
    }
    // The judged offset and the verdict.
    let (offset, judged_source, any_unmeasured) = match basis {
        Basis::Exchange => {
            let judged: Vec<&SourceResult> = sources.iter().filter(|s| s.judged).collect();
            let worst = judged
                .iter()
                .filter_map(|s| s.offset_ms.map(|o| (o, s.id.clone())))
                .max_by_key(|(o, _)| o.unsigned_abs());
            let missing = judged.iter().any(|s| s.offset_ms.is_none());
            match worst {
                Some((o, id)) => (Some(o), Some(id), missing),
                None => (None, None, true),
            }
        }
        Basis::Ntp => {
            let med = ntp.as_ref().and_then(|n| n.median_offset_ms);
            let missing = sources.iter().any(|s| s.offset_ms.is_none());
            (med, med.map(|_| "ntp-median".to_string()), missing)
        }
    };
    let level = offset.map(|o| t.level(o));
    let verdict = match (level, any_unmeasured) {
        (Some(l), false) => Verdict::from(l),
        (Some(l), true) if l > Level::Ok => Verdict::from(l),
        _ => Verdict::Unmeasured,
    };
    let diagnosis = diagnose(
        basis,
        offset,
        ntp.as_ref().and_then(|n| n.median_offset_ms),
        t,
    );
    TimeReport {
        measured_at,
        verdict,
        basis,
        offset_ms: offset,
        direction: offset.map(direction),
        judged_source,
        thresholds_ms: t,
        action: verdict
            .level()
            .and_then(|l| p.actions.as_ref().and_then(|a| a.for_level(l)).cloned()),
        sources,
        ntp,
        diagnosis,
        notes,
    }
}

fn diagnose(basis: Basis, judged: Option<i64>, ntp: Option<i64>, t: Thresholds) -> Diagnosis {
    let over = |o: i64| o.unsigned_abs() >= t.warn;
    match (basis, judged, ntp) {
        (Basis::Ntp, Some(n), _) => {
            if over(n) {
                Diagnosis::LocalClock
            } else {
                Diagnosis::Consistent
            }
        }
        (Basis::Exchange, Some(e), Some(n)) => match (over(e), over(n)) {
            (false, false) => Diagnosis::Consistent,
            (true, true) if e.signum() == n.signum() => Diagnosis::LocalClock,
            (true, _) => Diagnosis::ExchangeOrPath,
            (false, true) => Diagnosis::NtpDisagrees,
        },
        _ => Diagnosis::Unknown,
    }
}
