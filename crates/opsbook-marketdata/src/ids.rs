//! Sequence checks on IDs: contiguous per-symbol trade IDs (Binance `t`,
//! aggregate `a` with `f` = previous `l` + 1, Coinbase `trade_id`), IDs that
//! only have to increase (Coinbase `sequence`, OKX `tradeId`, Binance
//! `bookTicker` `u`), and streams without IDs (identical rows are "possible
//! duplicates", never deleted).
//!
//! Memory is bounded per stream: a ring of the last [`WINDOW`] payloads (to
//! tell a duplicate from a conflict) and at most [`MAX_PENDING`] open gaps
//! (a late ID that fills a gap turns it into `out_of_order`).

use std::collections::VecDeque;

use crate::report::{Kind, Unit};
use crate::sink::{Loc, Meta, Sink, us_to_ms};

/// Payloads kept per stream to compare a repeated ID with the first one.
pub const WINDOW: usize = 4096;
/// Gaps kept open (fillable by late IDs) per stream; older ones are final.
pub const MAX_PENDING: usize = 4096;

#[derive(Debug, Default, Clone)]
struct Slot {
    id: u64,
    used: bool,
    payload: Vec<u8>,
}

#[derive(Debug)]
struct Pending {
    from: u64,
    to: u64,
    at: Loc,
    t_before: Option<i64>,
    t_after: Option<i64>,
}

/// A run of consecutive records with the same finding, reported once.
#[derive(Debug)]
struct Run {
    kind: Kind,
    at: Loc,
    last_line: u64,
    min: u64,
    max: u64,
    count: u64,
    note: &'static str,
}

/// Contiguous-ID check (gap, duplicate, conflict, out_of_order).
#[derive(Debug)]
pub struct IdChecker {
    meta: Meta,
    unit: Unit,
    first: Option<u64>,
    next: Option<u64>,
    last_time_us: Option<i64>,
    window: Vec<Slot>,
    pending: VecDeque<Pending>,
    run: Option<Run>,
    /// Aggregate trades: the trade ID the next `f` must have.
    next_trade: Option<u64>,
}

impl IdChecker {
    /// A checker for one stream counting in `unit`.
    pub fn new(meta: Meta, unit: Unit) -> IdChecker {
        IdChecker {
            meta,
            unit,
            first: None,
            next: None,
            last_time_us: None,
            window: Vec::new(),
            pending: VecDeque::new(),
            run: None,
            next_trade: None,
        }
    }

    fn store(&mut self, id: u64, payload: &[u8]) {
        if self.window.is_empty() {
            self.window = vec![Slot::default(); WINDOW];
        }
        let s = &mut self.window[(id % WINDOW as u64) as usize];
        s.id = id;
        s.used = true;
        s.payload.clear();
        s.payload.extend_from_slice(payload);
    }

    /// One record: its ID, exchange time (µs) if known, and its payload
    /// (the bytes compared for duplicate vs conflict).
    pub fn record(
        &mut self,
        sink: &mut Sink,
        at: &Loc,
        id: u64,
        time_us: Option<i64>,
        payload: &[u8],
    ) {
        match self.next {
            Some(n) if id == n => {
                if self.run.is_some() {
                    self.flush_run(sink);
                }
                self.next = Some(n + 1);
            }
            None => {
                self.first = Some(id);
                self.next = Some(id + 1);
            }
            Some(n) if id > n => {
                if self.run.is_some() {
                    self.flush_run(sink);
                }
                self.pending.push_back(Pending {
                    from: n,
                    to: id - 1,
                    at: at.clone(),
                    t_before: self.last_time_us,
                    t_after: time_us,
                });
                if self.pending.len() > MAX_PENDING
                    && let Some(p) = self.pending.pop_front()
                {
                    self.emit_gap(sink, p);
                }
                self.next = Some(id + 1);
                self.next_trade = None;
            }
            Some(_) => {
                self.late(sink, at, id, payload);
                return;
            }
        }
        if let Some(t) = time_us {
            self.last_time_us = Some(t);
        }
        self.store(id, payload);
    }

    /// One aggregate trade: `a` plus its first and last trade IDs `f`/`l`.
    pub fn record_agg(
        &mut self,
        sink: &mut Sink,
        at: &Loc,
        agg: (u64, u64, u64),
        time_us: Option<i64>,
        payload: &[u8],
    ) {
        let (a, f, l) = agg;
        let contiguous = self.next == Some(a);
        let expect = self.next_trade;
        self.record(sink, at, a, time_us, payload);
        if !contiguous && self.next != Some(a + 1) {
            return;
        }
        if contiguous
            && let Some(e) = expect
            && f != e
        {
            let (kind, msg) = if f > e {
                (
                    Kind::Gap,
                    format!(
                        "aggregate trade {a} starts at trade ID {f}, but the previous one ended at {}: trade IDs {e} to {} are in no aggregate",
                        e - 1,
                        f - 1
                    ),
                )
            } else {
                (
                    Kind::Conflict,
                    format!(
                        "aggregate trade {a} starts at trade ID {f}, inside the previous aggregate (which ended at {})",
                        e - 1
                    ),
                )
            };
            let (from, to) = if f > e { (e, f - 1) } else { (f, e - 1) };
            sink.push(self.meta.finding(
                kind,
                Some(at),
                Some(Unit::TradeId),
                Some(from as i64),
                Some(to as i64),
                to - from + 1,
                msg,
            ));
        }
        self.next_trade = Some(l.max(f) + 1);
    }

    fn late(&mut self, sink: &mut Sink, at: &Loc, id: u64, payload: &[u8]) {
        // A late ID inside an open gap: it arrived out of order.
        if let Some(i) = self.pending.iter().position(|p| p.from <= id && id <= p.to) {
            let p = &mut self.pending[i];
            if p.from == p.to {
                self.pending.remove(i);
            } else if id == p.from {
                p.from += 1;
            } else if id == p.to {
                p.to -= 1;
            } else {
                let tail = Pending {
                    from: id + 1,
                    to: p.to,
                    at: p.at.clone(),
                    t_before: p.t_before,
                    t_after: p.t_after,
                };
                p.to = id - 1;
                self.pending.insert(i + 1, tail);
            }
            self.extend_run(sink, at, Kind::OutOfOrder, id, "");
            self.store(id, payload);
            return;
        }
        if self.first.is_some_and(|f| id < f) {
            self.extend_run(
                sink,
                at,
                Kind::OutOfOrder,
                id,
                " (lower than the first ID of the stream)",
            );
            return;
        }
        let slot = self
            .window
            .get((id % WINDOW as u64) as usize)
            .filter(|s| s.used && s.id == id);
        match slot {
            Some(s) if s.payload == payload => self.extend_run(sink, at, Kind::Duplicate, id, ""),
            Some(_) => self.extend_run(sink, at, Kind::Conflict, id, ""),
            None => self.extend_run(
                sink,
                at,
                Kind::Duplicate,
                id,
                " (first seen too long before to compare the payload)",
            ),
        }
    }

    fn extend_run(&mut self, sink: &mut Sink, at: &Loc, kind: Kind, id: u64, note: &'static str) {
        if let Some(r) = &mut self.run
            && r.kind == kind
            && r.note == note
            && r.at.file == at.file
            && r.last_line + 1 == at.line
        {
            r.last_line = at.line;
            r.min = r.min.min(id);
            r.max = r.max.max(id);
            r.count += 1;
            return;
        }
        self.flush_run(sink);
        self.run = Some(Run {
            kind,
            at: at.clone(),
            last_line: at.line,
            min: id,
            max: id,
            count: 1,
            note,
        });
    }

    fn flush_run(&mut self, sink: &mut Sink) {
        let Some(r) = self.run.take() else { return };
        let what = match r.kind {
            Kind::Duplicate => "repeated with the same payload",
            Kind::Conflict => "repeated with a different payload",
            _ => "arrived after a higher ID",
        };
        let lines = if r.count == 1 {
            format!("line {}", r.at.line)
        } else {
            format!("lines {}–{}", r.at.line, r.last_line)
        };
        let ids = if r.min == r.max {
            format!("ID {}", r.min)
        } else {
            format!("IDs {} to {}", r.min, r.max)
        };
        let hint = match r.kind {
            Kind::Conflict => ": keep both, mark the range and re-fetch it from the exchange",
            Kind::Duplicate => ": consumers must de-duplicate by (exchange, symbol, ID)",
            _ => ": sort by ID before use",
        };
        let msg = format!(
            "{} {ids} {what}{} ({} record(s), {lines}){hint}",
            self.meta.label(),
            r.note,
            r.count
        );
        sink.push(self.meta.finding(
            r.kind,
            Some(&r.at),
            Some(self.unit),
            Some(r.min as i64),
            Some(r.max as i64),
            r.count,
            msg,
        ));
    }

    fn emit_gap(&self, sink: &mut Sink, p: Pending) {
        let count = p.to - p.from + 1;
        let when = match (p.t_before, p.t_after) {
            (Some(a), Some(b)) => format!(" between {} and {}", fmt_us(a), fmt_us(b)),
            _ => String::new(),
        };
        let ids = if count == 1 {
            format!("missing ID {}", p.from)
        } else {
            format!("missing {count} IDs, {} to {}", p.from, p.to)
        };
        let msg = format!(
            "{} {ids}{when}: mark the range, then backfill it",
            self.meta.label(),
        );
        let mut f = self.meta.finding(
            Kind::Gap,
            Some(&p.at),
            Some(self.unit),
            Some(p.from as i64),
            Some(p.to as i64),
            count,
            msg,
        );
        if let (Some(a), Some(b)) = (p.t_before, p.t_after) {
            f.time_ms = Some([us_to_ms(a), us_to_ms(b)]);
        }
        sink.push(f);
    }

    /// End of the stream: open gaps become final.
    pub fn finish(&mut self, sink: &mut Sink) {
        self.flush_run(sink);
        while let Some(p) = self.pending.pop_front() {
            self.emit_gap(sink, p);
        }
    }
}

/// RFC 3339 UTC for messages.
pub fn fmt_us(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| us.to_string())
}

/// IDs that must increase but may skip (Coinbase `sequence` when not every
/// channel is recorded, OKX `tradeId`, Binance `bookTicker` `u`).
#[derive(Debug)]
pub struct MonoChecker {
    meta: Meta,
    unit: Unit,
    last: Option<u64>,
    last_payload: Vec<u8>,
    stale: Option<(Loc, u64, u64)>,
}

impl MonoChecker {
    /// A checker for one stream.
    pub fn new(meta: Meta, unit: Unit) -> MonoChecker {
        MonoChecker {
            meta,
            unit,
            last: None,
            last_payload: Vec::new(),
            stale: None,
        }
    }

    /// One record.
    pub fn record(&mut self, sink: &mut Sink, at: &Loc, id: u64, payload: &[u8]) {
        match self.last {
            Some(l) if id == l => {
                if payload == self.last_payload.as_slice() {
                    sink.push(self.meta.finding(
                        Kind::Duplicate,
                        Some(at),
                        Some(self.unit),
                        Some(id as i64),
                        Some(id as i64),
                        1,
                        format!(
                            "{} ID {id} repeated with the same payload",
                            self.meta.label()
                        ),
                    ));
                } else {
                    match &mut self.stale {
                        Some((_, _, n)) => *n += 1,
                        None => self.stale = Some((at.clone(), id, 1)),
                    }
                }
                return;
            }
            Some(l) if id < l => {
                sink.push(self.meta.finding(
                    Kind::OutOfOrder,
                    Some(at),
                    Some(self.unit),
                    Some(id as i64),
                    Some(l as i64),
                    1,
                    format!(
                        "{} ID {id} after {l}: the stream went backwards",
                        self.meta.label()
                    ),
                ));
                return;
            }
            _ => {}
        }
        self.flush_stale(sink);
        self.last = Some(id);
        self.last_payload.clear();
        self.last_payload.extend_from_slice(payload);
    }

    fn flush_stale(&mut self, sink: &mut Sink) {
        if let Some((at, id, n)) = self.stale.take() {
            sink.push(self.meta.finding(
                Kind::Stale,
                Some(&at),
                Some(self.unit),
                Some(id as i64),
                Some(id as i64),
                n,
                format!(
                    "{} ID {id} did not advance for {n} message(s) with a changed payload (not a gap)",
                    self.meta.label()
                ),
            ));
        }
    }

    /// End of the stream.
    pub fn finish(&mut self, sink: &mut Sink) {
        self.flush_stale(sink);
    }
}

/// Streams without IDs: time must not go backwards; identical rows at the
/// same time are possible duplicates (reported, never deleted).
#[derive(Debug)]
pub struct NoIdChecker {
    meta: Meta,
    last_time: Option<i64>,
    same_time: Vec<Vec<u8>>,
    run: Option<(Loc, u64, u64)>,
}

/// Rows kept per timestamp to spot identical rows.
const SAME_TIME_CAP: usize = 1024;

impl NoIdChecker {
    /// A checker for one stream.
    pub fn new(meta: Meta) -> NoIdChecker {
        NoIdChecker {
            meta,
            last_time: None,
            same_time: Vec::new(),
            run: None,
        }
    }

    /// One row: its time (µs) and its bytes.
    pub fn record(&mut self, sink: &mut Sink, at: &Loc, time_us: i64, payload: &[u8]) {
        match self.last_time {
            Some(t) if time_us < t => {
                self.flush(sink);
                sink.push(self.meta.finding(
                    Kind::OutOfOrder,
                    Some(at),
                    Some(Unit::Ms),
                    Some(us_to_ms(time_us)),
                    Some(us_to_ms(t)),
                    1,
                    format!(
                        "{} time {} after {}: the rows are not in time order",
                        self.meta.label(),
                        fmt_us(time_us),
                        fmt_us(t)
                    ),
                ));
                return;
            }
            Some(t) if time_us == t => {
                if self.same_time.iter().any(|p| p == payload) {
                    match &mut self.run {
                        Some((l, last, n)) if l.file == at.file && *last + 1 == at.line => {
                            *last = at.line;
                            *n += 1;
                        }
                        _ => {
                            self.flush(sink);
                            self.run = Some((at.clone(), at.line, 1));
                        }
                    }
                    return;
                }
            }
            _ => {
                self.same_time.clear();
                self.last_time = Some(time_us);
            }
        }
        self.flush(sink);
        if self.same_time.len() < SAME_TIME_CAP {
            self.same_time.push(payload.to_vec());
        }
    }

    fn flush(&mut self, sink: &mut Sink) {
        if let Some((at, last, n)) = self.run.take() {
            let t = self.last_time.unwrap_or_default();
            let lines = if n == 1 {
                format!("line {}", at.line)
            } else {
                format!("lines {}–{last}", at.line)
            };
            sink.push(self.meta.finding(
                Kind::PossibleDuplicate,
                Some(&at),
                Some(Unit::Ms),
                Some(us_to_ms(t)),
                Some(us_to_ms(t)),
                n,
                format!(
                    "{} {n} row(s) identical to an earlier row at {} ({lines}): without trade IDs this may be two real trades; kept, not deleted",
                    self.meta.label(),
                    fmt_us(t)
                ),
            ));
        }
    }

    /// End of the stream.
    pub fn finish(&mut self, sink: &mut Sink) {
        self.flush(sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn meta() -> Meta {
        Meta {
            venue: String::new(),
            symbol: Some("BTCUSDT".into()),
            stream: "trades".into(),
        }
    }

    fn run(ids: &[(u64, &str)]) -> Vec<crate::report::Finding> {
        let mut c = IdChecker::new(meta(), Unit::TradeId);
        let mut s = Sink::default();
        let file: Arc<str> = Arc::from("t.csv");
        for (i, (id, p)) in ids.iter().enumerate() {
            let at = Loc {
                file: file.clone(),
                line: i as u64 + 1,
            };
            c.record(&mut s, &at, *id, Some(*id as i64 * 1000), p.as_bytes());
        }
        c.finish(&mut s);
        s.findings
    }

    #[test]
    fn contiguous_is_clean() {
        assert!(run(&[(1, "a"), (2, "b"), (3, "c")]).is_empty());
    }

    #[test]
    fn dropped_ids_are_a_gap_at_the_next_line() {
        let f = run(&[(1, "a"), (2, "b"), (5, "e"), (6, "f")]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::Gap);
        assert_eq!(
            (f[0].line, f[0].from, f[0].to, f[0].count),
            (Some(3), Some(3), Some(4), 2)
        );
    }

    #[test]
    fn swapped_rows_are_out_of_order_not_a_gap() {
        let f = run(&[(1, "a"), (2, "b"), (4, "d"), (3, "c"), (5, "e")]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, Kind::OutOfOrder);
        assert_eq!(f[0].line, Some(4));
    }

    #[test]
    fn late_id_splits_a_gap() {
        let f = run(&[(1, "a"), (10, "j"), (5, "e")]);
        let gaps: Vec<_> = f.iter().filter(|x| x.kind == Kind::Gap).collect();
        assert_eq!(gaps.len(), 2);
        assert_eq!((gaps[0].from, gaps[0].to), (Some(2), Some(4)));
        assert_eq!((gaps[1].from, gaps[1].to), (Some(6), Some(9)));
    }

    #[test]
    fn duplicate_vs_conflict_and_runs() {
        let f = run(&[(1, "a"), (2, "b"), (3, "c"), (2, "b"), (3, "c"), (3, "X")]);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].kind, Kind::Duplicate);
        assert_eq!((f[0].line, f[0].count), (Some(4), 2));
        assert_eq!(f[1].kind, Kind::Conflict);
        assert_eq!(f[1].line, Some(6));
    }

    #[test]
    fn aggregate_trade_ids_must_chain() {
        let mut c = IdChecker::new(meta(), Unit::AggTradeId);
        let mut s = Sink::default();
        let file: Arc<str> = Arc::from("a.csv");
        let rows = [(1, 10, 12), (2, 13, 13), (3, 15, 16)];
        for (i, r) in rows.iter().enumerate() {
            let at = Loc {
                file: file.clone(),
                line: i as u64 + 1,
            };
            c.record_agg(&mut s, &at, *r, None, b"x");
        }
        c.finish(&mut s);
        assert_eq!(s.findings.len(), 1);
        assert_eq!(s.findings[0].unit, Some(Unit::TradeId));
        assert_eq!(
            (s.findings[0].from, s.findings[0].line),
            (Some(14), Some(3))
        );
    }
}
