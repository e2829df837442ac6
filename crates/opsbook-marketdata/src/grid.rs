//! Time-grid checks: candles (klines) and other fixed-interval series
//! (funding rates, marks) must have one row per slot. Missing slots are
//! gaps (never interpolated); a missing candle that a coarser series of the
//! same symbol proves was quiet (the coarse candle's volume equals the sum of
//! the fine candles present in its window) is `no_trade`. Timestamps may
//! jitter around the grid within a tolerance (funding times land a few ms
//! late); beyond it they are reported as `clock`.
//!
//! The receive-versus-exchange time check lives here too ([`ClockChecker`]).

use std::collections::HashMap;

use crate::ids::fmt_us;
use crate::report::{Kind, Unit};
use crate::sink::{Loc, Meta, Sink, us_to_ms};

/// Slots walked per gap when resolving no-trade proofs (larger gaps stay gaps).
const MAX_PROOF_SLOTS: i64 = 1_000_000;

#[derive(Debug)]
struct GridGap {
    from: i64,
    to: i64,
    at: Loc,
    before: i64,
    after: i64,
}

/// One fixed-interval series.
#[derive(Debug)]
pub struct GridChecker {
    meta: Meta,
    interval: i64,
    tol: i64,
    /// A repeated slot is an update of the same candle (live kline streams).
    updates: bool,
    anchor: Option<i64>,
    prev_slot: Option<i64>,
    prev_time: i64,
    prev_payload: Vec<u8>,
    off_grid: Option<(Loc, u64, i64)>,
    gaps: Vec<GridGap>,
    /// Coarser intervals (µs) of the same symbol in this scan.
    coarse: Vec<i64>,
    /// Per coarse interval: the current window and the volume summed in it.
    cur: Vec<(i64, f64)>,
    /// Volume sums of fine candles in windows touched by a gap.
    tracked: HashMap<(i64, i64), f64>,
    /// Coarse volumes per (interval, window) handed over by coarser series.
    proofs: HashMap<(i64, i64), f64>,
    /// When this series is itself a coarse one: the finer series' gap
    /// ranges (µs, inclusive), sorted and disjoint.
    pub interest: Vec<(i64, i64)>,
    /// Volumes of this series' candles inside `interest`, by open time (µs).
    pub volumes: HashMap<i64, f64>,
}

impl GridChecker {
    /// A grid of `interval_us` with `tolerance_us` jitter; `coarse` lists the
    /// coarser intervals of the same symbol that can prove quiet slots.
    pub fn new(
        meta: Meta,
        interval_us: i64,
        tolerance_us: i64,
        updates: bool,
        coarse: Vec<i64>,
    ) -> GridChecker {
        let n = coarse.len();
        GridChecker {
            meta,
            interval: interval_us.max(1),
            tol: tolerance_us,
            updates,
            anchor: None,
            prev_slot: None,
            prev_time: 0,
            prev_payload: Vec::new(),
            off_grid: None,
            gaps: Vec::new(),
            coarse,
            cur: vec![(i64::MIN, 0.0); n],
            tracked: HashMap::new(),
            proofs: HashMap::new(),
            interest: Vec::new(),
            volumes: HashMap::new(),
        }
    }

    /// The interval in µs.
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// Gap ranges (open times in µs, inclusive) for a coarser series to prove.
    pub fn gap_ranges(&self) -> Vec<(i64, i64)> {
        self.gaps.iter().map(|g| (g.from, g.to)).collect()
    }

    /// Hands over a coarser series' volumes for this series' gaps.
    pub fn add_proofs(&mut self, coarse_interval: i64, volumes: &HashMap<i64, f64>) {
        for (w, v) in volumes {
            self.proofs.insert((coarse_interval, *w), *v);
        }
    }

    /// One row at `time_us`, with its volume when the series has one.
    pub fn record(
        &mut self,
        sink: &mut Sink,
        at: &Loc,
        time_us: i64,
        volume: Option<f64>,
        payload: &[u8],
    ) {
        let anchor = *self.anchor.get_or_insert(time_us);
        let rel = time_us - anchor;
        let slot = (rel + self.interval / 2).div_euclid(self.interval);
        let off = rel - slot * self.interval;
        if off.abs() > self.tol {
            match &mut self.off_grid {
                Some((_, n, m)) => {
                    *n += 1;
                    *m = (*m).max(off.abs());
                }
                None => self.off_grid = Some((at.clone(), 1, off.abs())),
            }
        }
        let grid_time = anchor + slot * self.interval;
        if !self.interest.is_empty()
            && let Some(v) = volume
            && self
                .interest
                .iter()
                .any(|(a, b)| grid_time <= *b && *a < grid_time + self.interval)
        {
            self.volumes.insert(grid_time, v);
        }
        match self.prev_slot {
            Some(p) if slot == p => {
                if !self.updates {
                    let same = payload == self.prev_payload.as_slice();
                    let kind = if same {
                        Kind::Duplicate
                    } else {
                        Kind::Conflict
                    };
                    sink.push(self.meta.finding(
                        kind,
                        Some(at),
                        Some(Unit::Ms),
                        Some(us_to_ms(grid_time)),
                        Some(us_to_ms(grid_time)),
                        1,
                        format!(
                            "{} slot {} appears twice{}",
                            self.meta.label(),
                            fmt_us(grid_time),
                            if same {
                                " with the same values"
                            } else {
                                " with different values: keep both, re-fetch the slot"
                            }
                        ),
                    ));
                }
                return;
            }
            Some(p) if slot < p => {
                sink.push(self.meta.finding(
                    Kind::OutOfOrder,
                    Some(at),
                    Some(Unit::Ms),
                    Some(us_to_ms(grid_time)),
                    Some(us_to_ms(anchor + p * self.interval)),
                    1,
                    format!(
                        "{} slot {} after {}: rows are not in time order",
                        self.meta.label(),
                        fmt_us(grid_time),
                        fmt_us(anchor + p * self.interval)
                    ),
                ));
                return;
            }
            Some(p) if slot > p + 1 => {
                let from = anchor + (p + 1) * self.interval;
                let to = anchor + (slot - 1) * self.interval;
                self.track_gap(from, to);
                self.gaps.push(GridGap {
                    from,
                    to,
                    at: at.clone(),
                    before: self.prev_time,
                    after: time_us,
                });
            }
            _ => {}
        }
        if let Some(v) = volume {
            for (i, c) in self.coarse.iter().enumerate() {
                let w = grid_time - grid_time.rem_euclid(*c);
                let cur = &mut self.cur[i];
                if cur.0 != w {
                    *cur = (w, 0.0);
                }
                cur.1 += v;
                if let Some(t) = self.tracked.get_mut(&(*c, w)) {
                    *t = cur.1;
                }
            }
        }
        self.prev_slot = Some(slot);
        self.prev_time = time_us;
        self.prev_payload.clear();
        self.prev_payload.extend_from_slice(payload);
    }

    fn track_gap(&mut self, from: i64, to: i64) {
        for (i, c) in self.coarse.iter().enumerate() {
            let wa = from - from.rem_euclid(*c);
            let wb = to - to.rem_euclid(*c);
            let cur = self.cur[i];
            let sum_a = if cur.0 == wa { cur.1 } else { 0.0 };
            self.tracked.entry((*c, wa)).or_insert(sum_a);
            self.tracked.entry((*c, wb)).or_insert(0.0);
        }
    }

    /// Whether a missing slot is proven quiet: `Some(true)` quiet, `Some(false)`
    /// the coarse candle shows trades that the fine series lacks, `None`
    /// no coarse candle to judge by.
    fn proven_quiet(&self, slot_time: i64) -> Option<bool> {
        for c in &self.coarse {
            let w = slot_time - slot_time.rem_euclid(*c);
            let Some(v) = self.proofs.get(&(*c, w)) else {
                continue;
            };
            let sum = self.tracked.get(&(*c, w)).copied().unwrap_or(0.0);
            let tol = 1e-9 * v.abs().max(sum.abs()).max(1e-12);
            return Some((v - sum).abs() <= tol);
        }
        None
    }

    /// End of the series: gaps (split into proven-quiet and missing runs) and
    /// off-grid times.
    pub fn finish(&mut self, sink: &mut Sink) {
        let gaps = std::mem::take(&mut self.gaps);
        for g in gaps {
            let slots = (g.to - g.from) / self.interval + 1;
            if self.proofs.is_empty() || slots > MAX_PROOF_SLOTS {
                self.emit(sink, &g, g.from, g.to, None);
                continue;
            }
            let mut run_start = g.from;
            let mut run_state = self.proven_quiet(g.from);
            let mut t = g.from + self.interval;
            while t <= g.to {
                let st = self.proven_quiet(t);
                if st != run_state {
                    self.emit(sink, &g, run_start, t - self.interval, run_state);
                    run_start = t;
                    run_state = st;
                }
                t += self.interval;
            }
            self.emit(sink, &g, run_start, g.to, run_state);
        }
        if let Some((at, n, max)) = self.off_grid.take() {
            sink.push(self.meta.finding(
                Kind::Clock,
                Some(&at),
                Some(Unit::Message),
                None,
                None,
                n,
                format!(
                    "{}: {n} timestamp(s) off the {} grid by more than {} ms (up to {} ms)",
                    self.meta.label(),
                    fmt_interval(self.interval),
                    self.tol / 1000,
                    max / 1000
                ),
            ));
        }
    }

    fn emit(&self, sink: &mut Sink, g: &GridGap, from: i64, to: i64, quiet: Option<bool>) {
        let n = ((to - from) / self.interval + 1) as u64;
        let span = format!("{} slot(s) {} to {}", n, fmt_us(from), fmt_us(to));
        let (kind, msg) = match quiet {
            Some(true) => (
                Kind::NoTrade,
                format!(
                    "{}: {span} missing, and the coarser series proves no trades then (its volume equals the candles present): mark as no-trade, never interpolate",
                    self.meta.label()
                ),
            ),
            Some(false) => (
                Kind::Gap,
                format!(
                    "{}: {span} missing although the coarser series shows trades then: data was lost, backfill it",
                    self.meta.label()
                ),
            ),
            None => (
                Kind::Gap,
                format!(
                    "{}: {span} missing (no trades or lost data: no coarser series proves which); mark it, never interpolate",
                    self.meta.label()
                ),
            ),
        };
        let mut f = self.meta.finding(
            kind,
            Some(&g.at),
            Some(Unit::Ms),
            Some(us_to_ms(from)),
            Some(us_to_ms(to)),
            n,
            msg,
        );
        f.time_ms = Some([us_to_ms(g.before), us_to_ms(g.after)]);
        sink.push(f);
    }
}

/// `1m`, `8h`, `1d`, or seconds.
pub fn fmt_interval(us: i64) -> String {
    let s = us / 1_000_000;
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if s >= n && s % n == 0 {
            return format!("{}{unit}", s / n);
        }
    }
    format!("{s}s")
}

/// Parses an interval token (`1s`, `1m`, `15m`, `1h`, `8h`, `1d`, `3d`, `1w`) to µs.
/// `1mo`/`1M` (months are not a fixed length) gives `None`.
pub fn parse_interval(tok: &str) -> Option<i64> {
    let digits = tok.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n: i64 = tok[..digits].parse().ok()?;
    let unit = match &tok[digits..] {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    Some(n * unit * 1_000_000)
}

/// Messages counted into one finding: where the first was, how many, the
/// largest amount (µs) and the first and last exchange times (µs).
#[derive(Debug)]
struct Tally {
    at: Loc,
    count: u64,
    max: i64,
    first: i64,
    last: i64,
}

impl Tally {
    fn add(slot: &mut Option<Tally>, at: &Loc, amount: i64, exch_us: i64) {
        match slot {
            Some(t) => {
                t.count += 1;
                t.max = t.max.max(amount);
                t.last = exch_us;
            }
            None => {
                *slot = Some(Tally {
                    at: at.clone(),
                    count: 1,
                    max: amount,
                    first: exch_us,
                    last: exch_us,
                });
            }
        }
    }

    fn finding(self, meta: &Meta, message: String) -> crate::report::Finding {
        meta.finding(
            Kind::Clock,
            Some(&self.at),
            Some(Unit::Message),
            Some(us_to_ms(self.first)),
            Some(us_to_ms(self.last)),
            self.count,
            message,
        )
    }
}

/// Receive time against exchange time for one stream.
#[derive(Debug)]
pub struct ClockChecker {
    meta: Meta,
    tol: i64,
    stall: i64,
    behind: Option<Tally>,
    stalled: Option<Tally>,
}

impl ClockChecker {
    /// `tolerance_us`: how far receive may precede exchange time before it
    /// counts; `stall_us`: delivery later than this is a stall.
    pub fn new(meta: Meta, tolerance_us: i64, stall_us: i64) -> ClockChecker {
        ClockChecker {
            meta,
            tol: tolerance_us,
            stall: stall_us,
            behind: None,
            stalled: None,
        }
    }

    /// One message: exchange time and local receive time, µs.
    pub fn record(&mut self, sink: &mut Sink, at: &Loc, exch_us: i64, recv_us: i64) {
        let lag = recv_us - exch_us;
        if lag < -self.tol {
            Tally::add(&mut self.behind, at, -lag, exch_us);
        }
        if lag > self.stall {
            Tally::add(&mut self.stalled, at, lag, exch_us);
        } else if self.stalled.is_some() {
            self.flush_stall(sink);
        }
    }

    fn flush_stall(&mut self, sink: &mut Sink) {
        if let Some(t) = self.stalled.take() {
            let msg = format!(
                "{}: delivery stalled: {} message(s) received more than {} ms after their exchange time (up to {:.1} ms): the feed or the recorder fell behind",
                self.meta.label(),
                t.count,
                self.stall / 1000,
                t.max as f64 / 1000.0
            );
            sink.push(t.finding(&self.meta, msg));
        }
    }

    /// End of the stream.
    pub fn finish(&mut self, sink: &mut Sink) {
        self.flush_stall(sink);
        if let Some(t) = self.behind.take() {
            let msg = format!(
                "{}: {} message(s) received before their exchange time (up to {:.3} ms): the recording host's clock was behind; check it with `opsbook time check`",
                self.meta.label(),
                t.count,
                t.max as f64 / 1000.0
            );
            sink.push(t.finding(&self.meta, msg));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const M: i64 = 60_000_000;

    fn meta() -> Meta {
        Meta {
            venue: String::new(),
            symbol: Some("X".into()),
            stream: "candles_1m".into(),
        }
    }

    fn at(l: u64) -> Loc {
        Loc {
            file: Arc::from("c"),
            line: l,
        }
    }

    #[test]
    fn missing_slot_is_a_gap_and_jitter_is_tolerated() {
        let mut g = GridChecker::new(meta(), M, 1_000_000, false, vec![]);
        let mut s = Sink::default();
        for (i, t) in [0, M + 19_000, 3 * M].iter().enumerate() {
            g.record(&mut s, &at(i as u64 + 1), *t, None, b"x");
        }
        g.finish(&mut s);
        assert_eq!(s.findings.len(), 1);
        assert_eq!(
            (s.findings[0].kind, s.findings[0].line, s.findings[0].count),
            (Kind::Gap, Some(3), 1)
        );
    }

    #[test]
    fn coarse_volume_proves_a_quiet_minute() {
        let five = 5 * M;
        let mut fine = GridChecker::new(meta(), M, 0, false, vec![five]);
        let mut s = Sink::default();
        // 0..4 with minute 2 missing; 5..9 with minute 7 missing.
        let rows = [
            (0, 1.0),
            (1, 2.0),
            (3, 3.0),
            (4, 4.0),
            (5, 1.0),
            (6, 1.0),
            (8, 1.0),
            (9, 1.0),
        ];
        for (i, (m, v)) in rows.iter().enumerate() {
            fine.record(&mut s, &at(i as u64 + 1), m * M, Some(*v), b"x");
        }
        let mut coarse = GridChecker::new(meta(), five, 0, false, vec![]);
        coarse.interest = fine.gap_ranges();
        coarse.record(&mut s, &at(1), 0, Some(10.0), b"a");
        coarse.record(&mut s, &at(2), five, Some(9.0), b"b");
        fine.add_proofs(five, &coarse.volumes);
        fine.finish(&mut s);
        let kinds: Vec<_> = s.findings.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![Kind::NoTrade, Kind::Gap], "{:?}", s.findings);
    }

    #[test]
    fn receive_before_exchange_time_is_a_clock_finding() {
        let mut c = ClockChecker::new(meta(), 0, 10_000_000);
        let mut s = Sink::default();
        c.record(&mut s, &at(1), 1_000, 2_000);
        c.record(&mut s, &at(2), 5_000, 400);
        c.finish(&mut s);
        assert_eq!(s.findings.len(), 1);
        assert_eq!((s.findings[0].line, s.findings[0].count), (Some(2), 1));
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("8h"), Some(8 * 3_600_000_000));
        assert_eq!(parse_interval("1mo"), None);
        assert_eq!(fmt_interval(300_000_000), "5m");
    }
}
