//! What every reconciliation kind shares: reading an input while recording
//! its hash, rows and findings, and assembling the [`Report`].

use std::collections::BTreeMap;

use crate::batch::{Batch, Build};
use crate::ids::Names;
use crate::profile::RecordKind;
use crate::records::{Fill, Holding, Movement, OrderRec};
use crate::report::{
    Break, Finding, InputRecord, Kind, Report, Run, Severity, Summary, Verdict, Window,
};
use crate::stream;
use crate::{Input, ReconError, Request, TOOL, VERSION};

/// Rows listed one by one per input before the rest are summarised.
const MAX_LISTED: usize = 1000;

/// Records that carry a time.
pub(crate) trait Dated {
    fn ts_ms(&self) -> Option<i64>;
}

impl Dated for Fill {
    fn ts_ms(&self) -> Option<i64> {
        Some(self.ts_ms)
    }
}
impl Dated for OrderRec {
    fn ts_ms(&self) -> Option<i64> {
        self.update_ms.or(self.ts_ms)
    }
}
impl Dated for Holding {
    fn ts_ms(&self) -> Option<i64> {
        self.ts_ms
    }
}
impl Dated for Movement {
    fn ts_ms(&self) -> Option<i64> {
        self.ts_ms
    }
}

/// One run's shared state.
pub(crate) struct RunCtx<'r> {
    pub req: &'r Request,
    pub names: std::sync::Arc<Names>,
    pub findings: Vec<Finding>,
    pub inputs: Vec<InputRecord>,
}

impl<'r> RunCtx<'r> {
    pub fn new(req: &'r Request) -> RunCtx<'r> {
        RunCtx {
            req,
            names: std::sync::Arc::new(Names::default()),
            findings: Vec::new(),
            inputs: Vec::new(),
        }
    }

    /// Refuses inputs whose profile reads another kind of record.
    pub fn check_kind(
        &self,
        role: &str,
        inputs: &[Input],
        want: &[RecordKind],
    ) -> Result<(), ReconError> {
        if inputs.len() > 255 {
            return Err(ReconError::Usage(format!("more than 255 {role} inputs")));
        }
        for i in inputs {
            if !want.contains(&i.profile.kind) {
                let w: Vec<_> = want.iter().map(|k| k.as_str()).collect();
                return Err(ReconError::Usage(format!(
                    "{}: the {role} input of a {} reconciliation must be {} records, but format `{}` reads {} records",
                    i.path.display(),
                    self.req.kind.as_str(),
                    w.join(" or "),
                    i.profile.name,
                    i.profile.kind.as_str()
                )));
            }
        }
        Ok(())
    }

    /// Streams one input: `par` runs per batch in the workers, `seq` in file order.
    pub fn stream<B, P, S>(
        &mut self,
        role: &str,
        file: u8,
        input: &Input,
        builder: &B,
        par: &P,
        mut seq: S,
    ) -> Result<(), ReconError>
    where
        B: Build,
        B::Out: Dated,
        P: Fn(&mut Batch<B::Out>) + Sync,
        S: FnMut(Batch<B::Out>) -> Result<(), crate::batch::StreamError>,
    {
        let path = input.path.display().to_string();
        let mut rows = 0u64;
        let mut rejected = 0u64;
        let mut filtered = 0u64;
        let mut first: Option<i64> = None;
        let mut last: Option<i64> = None;
        let mut listed: Vec<(u64, String)> = Vec::new();
        let mut notes: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let info = stream::stream(
            &input.path,
            &input.profile,
            file,
            &self.names,
            self.req.params.io,
            builder,
            par,
            &mut |batch: Batch<B::Out>| {
                rows += batch.items.len() as u64;
                rejected += batch.rejects.len() as u64;
                filtered += batch.filtered;
                for it in &batch.items {
                    if let Some(t) = it.ts_ms() {
                        first = Some(first.map_or(t, |f: i64| f.min(t)));
                        last = Some(last.map_or(t, |l: i64| l.max(t)));
                    }
                }
                for r in &batch.rejects {
                    if listed.len() < MAX_LISTED {
                        listed.push((r.line, r.message.clone()));
                    }
                }
                for (line, n) in &batch.notes {
                    let e = notes.entry(n.clone()).or_insert((*line, 0));
                    e.1 += 1;
                }
                seq(batch)
            },
        )
        .map_err(|e| ReconError::Input {
            path: path.clone(),
            line: e.line,
            message: e.message,
        })?;
        for (line, m) in listed {
            self.findings
                .push(Finding::new(Severity::Error, role, &path, Some(line), m));
        }
        if rejected > MAX_LISTED as u64 {
            self.findings.push(Finding::new(
                Severity::Error,
                role,
                &path,
                None,
                format!(
                    "{} more rows could not be read (the first {MAX_LISTED} are listed)",
                    rejected - MAX_LISTED as u64
                ),
            ));
        }
        for (m, (line, n)) in notes {
            let m = if n > 1 {
                format!("{m} ({n} rows; the first is on this line)")
            } else {
                m
            };
            self.findings
                .push(Finding::new(Severity::Note, role, &path, Some(line), m));
        }
        if info.preamble > 0 {
            self.findings.push(Finding::new(
                Severity::Note,
                role,
                &path,
                Some(info.header_line as u64),
                format!(
                    "skipped {} line{} before the header",
                    info.preamble,
                    if info.preamble == 1 { "" } else { "s" }
                ),
            ));
        }
        self.inputs.push(InputRecord {
            role: role.to_string(),
            path,
            format: input.profile.name.clone(),
            profile: input.profile.origin.clone(),
            profile_sha256: input.profile.sha256.clone(),
            sha256: info.digest.sha256,
            bytes: info.digest.bytes,
            rows,
            rejected,
            filtered,
            layout: match info.layout {
                crate::profile::Layout::Json => "json",
                crate::profile::Layout::Jsonl => "jsonl",
                _ => "csv",
            }
            .to_string(),
            encoding: info.stored.to_string(),
            preamble_lines: info.preamble,
            first_ms: first,
            last_ms: last,
        });
        Ok(())
    }

    /// Reads every input of a role into memory (small kinds).
    pub fn collect<B>(
        &mut self,
        role: &str,
        inputs: &[Input],
        builder: &B,
    ) -> Result<Vec<B::Out>, ReconError>
    where
        B: Build,
        B::Out: Dated,
    {
        let mut out = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let file = u8::try_from(i).unwrap_or(u8::MAX);
            self.stream(
                role,
                file,
                input,
                builder,
                &|_: &mut Batch<B::Out>| {},
                |b| {
                    out.extend(b.items);
                    Ok(())
                },
            )?;
        }
        Ok(out)
    }

    /// Where a side's history starts: declared, else its earliest record.
    pub fn side_start(&self, role: &str) -> Option<i64> {
        let declared = match role {
            "internal" => self.req.params.internal_since,
            "exchange" => self.req.params.exchange_since,
            _ => None,
        };
        if let Some(d) = declared {
            return Some(d.as_millisecond());
        }
        self.inputs
            .iter()
            .filter(|i| i.role == role)
            .filter_map(|i| i.first_ms)
            .min()
    }

    /// Rows read per role, plus `rejected` and `filtered`.
    pub fn row_counts(&self) -> BTreeMap<String, u64> {
        let mut rows: BTreeMap<String, u64> = BTreeMap::new();
        for i in &self.inputs {
            *rows.entry(i.role.clone()).or_insert(0) += i.rows;
            *rows.entry("rejected".into()).or_insert(0) += i.rejected;
            *rows.entry("filtered".into()).or_insert(0) += i.filtered;
        }
        rows
    }

    /// Assembles the report.
    pub fn finish(
        self,
        kind: Kind,
        matched: u64,
        breaks: Vec<Break>,
        details: Option<serde_json::Value>,
        window_start: Option<i64>,
    ) -> Report {
        let p = &self.req.params;
        let rows = self.row_counts();
        let mut report = Report {
            summary: Summary {
                kind,
                rows,
                matched,
                classes: BTreeMap::new(),
                verdict: Verdict::Clean,
            },
            breaks,
            findings: self.findings,
            details,
            run: Run {
                tool: TOOL.to_string(),
                version: VERSION.to_string(),
                kind,
                as_of: p.as_of.to_string(),
                as_of_ms: p.as_of.as_millisecond(),
                grace_ms: i64::try_from(p.grace.as_millis()).unwrap_or(i64::MAX),
                tolerance_ms: i64::try_from(p.tolerance.as_millis()).unwrap_or(i64::MAX),
                internal_since_ms: p.internal_since.map(|t| t.as_millisecond()),
                exchange_since_ms: p.exchange_since.map(|t| t.as_millisecond()),
                precision: p
                    .precision
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect(),
                inputs: self.inputs,
                window: Window {
                    start_ms: window_start,
                    end_ms: p.as_of.as_millisecond(),
                },
            },
        };
        report.finish();
        report
    }
}

/// A time in ms as RFC 3339 (UTC, ms precision).
pub(crate) fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| format!("{t:.3}"))
}

/// The later of two optional starts, `None` when either is unknown.
pub(crate) fn later(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    Some(a?.max(b?))
}
