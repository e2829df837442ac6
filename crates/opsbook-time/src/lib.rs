//! opsbook-time: time integrity (spec/time-integrity.md, `policy/time.yaml`;
//! seed §4.1.1 Time Integrity, §5.1 時計ズレ確認の標準化; D-RULES).
//!
//! A check asks several SNTP servers ([`ntp`]) and the exchanges' own
//! server-time endpoints ([`exchange`]) at once, filters samples by RTT and
//! takes medians ([`sample`]), and judges the offset by the policy's
//! thresholds ([`judge`]) into a [`TimeReport`] whose verdict maps to an exit
//! code (0 ok, 1 at or above warn, 2 could not measure) and whose
//! [`TimeReport::evidence`] form is recorded in evidence and timelines.
//!
//! **Sign convention, everywhere in opsbook**: `offset_ms = reference −
//! local clock`; positive = the local clock is **behind**, negative = it is
//! **ahead** (the same as `clock_offset_ms` in evidence manifests).
//!
//! The CLI stays thin: build [`CheckParams`] from the typed policy and the
//! flags, call [`check`], render the report, exit with
//! [`TimeReport::exit_code`]. This crate never reads files and never prints.

mod check;
pub mod exchange;
pub mod judge;
pub mod ntp;
pub mod sample;

pub use check::{
    Basis, CheckParams, Diagnosis, EvidenceSource, NtpSummary, Source, SourceKind, SourceResult,
    TimeEvidence, TimeReport, check, judge_sources,
};
pub use judge::{Action, Actions, Direction, Level, Thresholds, Verdict};
