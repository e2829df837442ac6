//! Order-book update chains: Binance diff depth against a REST snapshot (the
//! documented "manage a local order book" procedure) and OKX books with
//! their CRC32 checksum and `seqId`/`prevSeqId`.
//!
//! Binance: events with `u` below the snapshot's `lastUpdateId` are dropped
//! (stale before sync, not findings); the first applied event must bridge
//! it (spot: `U` ≤ lastUpdateId+1 ≤ `u`; futures: `U` ≤ lastUpdateId ≤ `u`);
//! then every `U` = previous `u`+1 (spot) or `pu` = previous `u` (futures).
//! An event that does not bridge is `no_bridge` (re-snapshot, never apply);
//! a break in the chain is a `gap`. State: one snapshot list and the last
//! event per symbol.

use std::collections::BTreeMap;

use crate::report::{Kind, Unit};
use crate::sink::{Loc, Meta, Sink};

#[derive(Debug)]
enum State {
    /// Waiting for the first event that bridges a snapshot.
    Unsynced { dropped: u64 },
    /// Applying: the previous event's `U`/`u`.
    Synced { prev_first: u64, prev_last: u64 },
    /// No snapshot can be bridged: every event is unusable until a newer one.
    Broken {
        at: Loc,
        first: u64,
        last: u64,
        count: u64,
        snapshot: u64,
    },
    /// No snapshot known: the chain is checked between events only.
    Free { prev_first: u64, prev_last: u64 },
}

/// The Binance diff-depth chain of one symbol.
#[derive(Debug)]
pub struct DepthChecker {
    meta: Meta,
    /// `lastUpdateId`s of the snapshots known for this symbol, ascending.
    snapshots: Vec<u64>,
    /// Index of the snapshot the stream is (or will be) synced to.
    current: usize,
    state: State,
    futures: Option<bool>,
    last_payload: Vec<u8>,
    no_snapshot_said: bool,
    last_at: Option<Loc>,
}

impl DepthChecker {
    /// A checker; `snapshots` are `lastUpdateId`s known before the stream.
    pub fn new(meta: Meta, mut snapshots: Vec<u64>) -> DepthChecker {
        snapshots.sort_unstable();
        snapshots.dedup();
        DepthChecker {
            meta,
            state: State::Unsynced { dropped: 0 },
            snapshots,
            current: 0,
            futures: None,
            last_payload: Vec::new(),
            no_snapshot_said: false,
            last_at: None,
        }
    }

    /// A snapshot inside the stream (a re-sync): the chain starts again.
    pub fn snapshot(&mut self, sink: &mut Sink, last_update_id: u64) {
        self.close_broken(sink);
        self.snapshots.retain(|s| *s < last_update_id);
        self.snapshots.push(last_update_id);
        self.current = self.snapshots.len() - 1;
        self.state = State::Unsynced { dropped: 0 };
    }

    /// One diff event `U`..`u` (`pu` on futures) with its payload bytes.
    pub fn event(
        &mut self,
        sink: &mut Sink,
        at: &Loc,
        first: u64,
        last: u64,
        pu: Option<u64>,
        payload: &[u8],
    ) {
        if self.futures.is_none() {
            self.futures = Some(pu.is_some());
        }
        self.last_at = Some(at.clone());
        match self.state {
            State::Unsynced { dropped } => {
                if self.snapshots.is_empty() {
                    if !self.no_snapshot_said {
                        self.no_snapshot_said = true;
                        sink.push(self.meta.finding(
                            Kind::NoCheck,
                            Some(at),
                            Some(Unit::UpdateId),
                            Some(first as i64),
                            None,
                            1,
                            format!(
                                "{}: no REST snapshot for this symbol, so the first event cannot be checked against a book; the chain is checked between events only (give --snapshot FILE)",
                                self.meta.label()
                            ),
                        ));
                    }
                    self.state = State::Free {
                        prev_first: first,
                        prev_last: last,
                    };
                    self.keep(payload);
                    return;
                }
                self.sync(at, first, last, dropped, payload);
            }
            State::Broken { ref mut count, .. } => {
                *count += 1;
                // A newer snapshot (listed ahead) may be bridged by this event.
                if self.current + 1 < self.snapshots.len() {
                    self.close_broken(sink);
                    self.current += 1;
                    self.state = State::Unsynced { dropped: 0 };
                    self.sync(at, first, last, 0, payload);
                }
            }
            State::Synced {
                prev_first,
                prev_last,
            }
            | State::Free {
                prev_first,
                prev_last,
            } => {
                self.chain(
                    sink,
                    at,
                    (prev_first, prev_last),
                    (first, last, pu),
                    payload,
                );
            }
        }
    }

    fn sync(&mut self, at: &Loc, first: u64, last: u64, dropped: u64, payload: &[u8]) {
        let futures = self.futures == Some(true);
        loop {
            let l = self.snapshots[self.current];
            let target = if futures { l } else { l + 1 };
            let stale = if futures { last < l } else { last <= l };
            if stale {
                self.state = State::Unsynced {
                    dropped: dropped + 1,
                };
                return;
            }
            if first <= target && target <= last {
                self.state = State::Synced {
                    prev_first: first,
                    prev_last: last,
                };
                self.keep(payload);
                return;
            }
            // The snapshot is older than the stream: try a newer one.
            if self.current + 1 < self.snapshots.len() {
                self.current += 1;
                continue;
            }
            self.state = State::Broken {
                at: at.clone(),
                first,
                last,
                count: 1,
                snapshot: l,
            };
            return;
        }
    }

    fn close_broken(&mut self, sink: &mut Sink) {
        if let State::Broken {
            ref at,
            first,
            last,
            count,
            snapshot,
        } = self.state
        {
            let rule = if self.futures == Some(true) {
                "U ≤ lastUpdateId ≤ u"
            } else {
                "U ≤ lastUpdateId+1 ≤ u"
            };
            sink.push(self.meta.finding(
                Kind::NoBridge,
                Some(at),
                Some(Unit::UpdateId),
                Some(snapshot as i64),
                Some(first as i64),
                count,
                format!(
                    "{}: update {first}..{last} does not connect to the snapshot (lastUpdateId {snapshot}; the first applied event needs {rule}); {count} event(s) cannot be applied: re-snapshot, never apply",
                    self.meta.label()
                ),
            ));
            self.state = State::Unsynced { dropped: 0 };
        }
    }

    fn keep(&mut self, payload: &[u8]) {
        self.last_payload.clear();
        self.last_payload.extend_from_slice(payload);
    }

    fn chain(
        &mut self,
        sink: &mut Sink,
        at: &Loc,
        prev: (u64, u64),
        ev: (u64, u64, Option<u64>),
        payload: &[u8],
    ) {
        let (pf, pl) = prev;
        let (first, last, pu) = ev;
        let synced = matches!(self.state, State::Synced { .. });
        let set = |s: &mut Self| {
            s.state = if synced {
                State::Synced {
                    prev_first: first,
                    prev_last: last,
                }
            } else {
                State::Free {
                    prev_first: first,
                    prev_last: last,
                }
            };
            s.keep(payload);
        };
        let repeat = first == pf && last == pl;
        if repeat || last < pl || (last == pl && first != pf) {
            let (kind, what) = if repeat {
                let same = payload == self.last_payload.as_slice();
                (
                    if same {
                        Kind::Duplicate
                    } else {
                        Kind::Conflict
                    },
                    "received twice".to_string(),
                )
            } else {
                (
                    if last == pl {
                        Kind::Stale
                    } else {
                        Kind::OutOfOrder
                    },
                    format!("after {pf}..{pl}: it does not advance the book"),
                )
            };
            let msg = format!("{}: event {first}..{last} {what}", self.meta.label());
            sink.push(self.meta.finding(
                kind,
                Some(at),
                Some(Unit::UpdateId),
                Some(first as i64),
                Some(last as i64),
                1,
                msg,
            ));
            return;
        }
        let (ok, from, to) = match pu {
            Some(pu) => (pu == pl, pl + 1, pu.max(pl + 1)),
            None => (first == pl + 1, pl + 1, first.saturating_sub(1).max(pl + 1)),
        };
        if !ok {
            let rule = match pu {
                Some(pu) => format!("pu {pu} ≠ previous u {pl}"),
                None => format!("U {first} ≠ previous u {pl} + 1"),
            };
            sink.push(self.meta.finding(
                Kind::Gap,
                Some(at),
                Some(Unit::UpdateId),
                Some(from as i64),
                Some(to as i64),
                to - from + 1,
                format!(
                    "{}: {rule}: update events are missing and the local book is wrong from here: re-snapshot",
                    self.meta.label()
                ),
            ));
        }
        set(self);
    }

    /// End of the stream.
    pub fn finish(&mut self, sink: &mut Sink) {
        if let State::Unsynced { dropped } = self.state
            && dropped > 0
            && let Some(at) = self.last_at.clone()
        {
            let l = self.snapshots.get(self.current).copied().unwrap_or(0);
            sink.push(self.meta.finding(
                Kind::NoBridge,
                Some(&at),
                Some(Unit::UpdateId),
                Some(l as i64),
                None,
                dropped,
                format!(
                    "{}: all {dropped} event(s) after the snapshot (lastUpdateId {l}) end at or before it: the stream never reached the snapshot",
                    self.meta.label()
                ),
            ));
        }
        self.close_broken(sink);
    }
}

/// A price level key ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Px(f64);
impl Eq for Px {}
impl PartialOrd for Px {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Px {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// Levels covered by the OKX checksum (top 25 per side).
pub const OKX_CHECKSUM_DEPTH: usize = 25;

/// An OKX book (`books`, `books-l2-tbt`, …) kept to verify each message's
/// CRC32 checksum over the top 25 levels, plus `seqId`/`prevSeqId`.
#[derive(Debug)]
pub struct OkxBook {
    meta: Meta,
    bids: BTreeMap<Px, (String, String)>,
    asks: BTreeMap<Px, (String, String)>,
    synced: bool,
    seq: Option<i64>,
    failing: Option<(Loc, u64, i64)>,
    zero_checksums: u64,
    checked: u64,
    first_at: Option<Loc>,
}

/// One OKX book message, as the recorder parsed it.
#[derive(Debug)]
pub struct OkxMessage<'a> {
    /// `snapshot` or `update`.
    pub snapshot: bool,
    /// `[price, size, …]` strings as received.
    pub bids: Vec<(&'a str, &'a str)>,
    /// `[price, size, …]` strings as received.
    pub asks: Vec<(&'a str, &'a str)>,
    /// The message's `checksum` (signed 32-bit), if any.
    pub checksum: Option<i64>,
    /// `seqId` / `prevSeqId` when present.
    pub seq: Option<(i64, i64)>,
    /// Exchange time, µs.
    pub ts_us: Option<i64>,
}

impl OkxBook {
    /// An empty book for one instrument.
    pub fn new(meta: Meta) -> OkxBook {
        OkxBook {
            meta,
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            synced: false,
            seq: None,
            failing: None,
            zero_checksums: 0,
            checked: 0,
            first_at: None,
        }
    }

    /// Applies one message and checks it.
    pub fn message(&mut self, sink: &mut Sink, at: &Loc, m: &OkxMessage<'_>) {
        if self.first_at.is_none() {
            self.first_at = Some(at.clone());
        }
        if m.snapshot {
            self.close_failing(sink);
            self.bids.clear();
            self.asks.clear();
            self.synced = true;
        } else if !self.synced {
            sink.push(self.meta.finding(
                Kind::NoBridge,
                Some(at),
                Some(Unit::Message),
                m.ts_us.map(|t| t / 1000),
                None,
                1,
                format!(
                    "{}: update before any snapshot: re-subscribe for a snapshot, never apply",
                    self.meta.label()
                ),
            ));
            return;
        }
        if let (Some((seq, prev)), false) = (m.seq, m.snapshot) {
            if let Some(last) = self.seq
                && prev != last
                && seq >= prev
            {
                sink.push(self.meta.finding(
                    Kind::Gap,
                    Some(at),
                    Some(Unit::SeqId),
                    Some(last),
                    Some(prev),
                    1,
                    format!(
                        "{}: prevSeqId {prev} ≠ last seqId {last}: messages are missing, re-subscribe for a snapshot",
                        self.meta.label()
                    ),
                ));
            } else if seq == prev {
                sink.push(self.meta.finding(
                    Kind::Stale,
                    Some(at),
                    Some(Unit::SeqId),
                    Some(seq),
                    Some(seq),
                    1,
                    format!(
                        "{}: seqId {seq} = prevSeqId: no change to the book (not a gap)",
                        self.meta.label()
                    ),
                ));
            }
        }
        if let Some((seq, _)) = m.seq {
            self.seq = Some(seq);
        }
        for (side, levels) in [(&mut self.bids, &m.bids), (&mut self.asks, &m.asks)] {
            for (px, sz) in levels {
                let Ok(p) = px.parse::<f64>() else { continue };
                if sz.parse::<f64>().is_ok_and(|s| s == 0.0) {
                    side.remove(&Px(p));
                } else {
                    side.insert(Px(p), ((*px).to_string(), (*sz).to_string()));
                }
            }
        }
        let Some(expected) = m.checksum else { return };
        if expected == 0 {
            self.zero_checksums += 1;
            return;
        }
        self.checked += 1;
        let got = self.checksum();
        if i64::from(got) == expected {
            self.close_failing(sink);
        } else {
            match &mut self.failing {
                Some((_, n, _)) => *n += 1,
                None => self.failing = Some((at.clone(), 1, expected)),
            }
        }
    }

    /// CRC32 (as a signed 32-bit integer) of `bid1px:bid1sz:ask1px:ask1sz:…`
    /// over the top 25 levels of each side, as OKX documents it.
    pub fn checksum(&self) -> i32 {
        let mut h = crc32fast::Hasher::new();
        let mut b = self.bids.iter().rev().take(OKX_CHECKSUM_DEPTH);
        let mut a = self.asks.iter().take(OKX_CHECKSUM_DEPTH);
        let mut first = true;
        let mut put = |h: &mut crc32fast::Hasher, s: &(String, String)| {
            if !first {
                h.update(b":");
            }
            first = false;
            h.update(s.0.as_bytes());
            h.update(b":");
            h.update(s.1.as_bytes());
        };
        loop {
            let (x, y) = (b.next(), a.next());
            if x.is_none() && y.is_none() {
                break;
            }
            if let Some((_, l)) = x {
                put(&mut h, l);
            }
            if let Some((_, l)) = y {
                put(&mut h, l);
            }
        }
        h.finalize() as i32
    }

    fn close_failing(&mut self, sink: &mut Sink) {
        if let Some((at, n, expected)) = self.failing.take() {
            sink.push(self.meta.finding(
                Kind::Checksum,
                Some(&at),
                Some(Unit::Message),
                None,
                None,
                n,
                format!(
                    "{}: book checksum fails from this message (expected {expected}), {n} message(s) failed until the next snapshot or a matching book: the local book is wrong, re-subscribe for a snapshot",
                    self.meta.label()
                ),
            ));
        }
    }

    /// End of the stream.
    pub fn finish(&mut self, sink: &mut Sink) {
        self.close_failing(sink);
        if self.checked == 0 && self.zero_checksums > 0 {
            sink.push(self.meta.finding(
                Kind::NoCheck,
                self.first_at.as_ref(),
                Some(Unit::Message),
                None,
                None,
                self.zero_checksums,
                format!(
                    "{}: every checksum is 0 ({} message(s)): nothing to verify the book against",
                    self.meta.label(),
                    self.zero_checksums
                ),
            ));
        }
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
            stream: "depth".into(),
        }
    }

    fn feed(snap: Vec<u64>, events: &[(u64, u64, Option<u64>)]) -> Vec<crate::report::Finding> {
        let mut c = DepthChecker::new(meta(), snap);
        let mut s = Sink::default();
        let f: Arc<str> = Arc::from("d");
        for (i, (a, b, pu)) in events.iter().enumerate() {
            let at = Loc {
                file: f.clone(),
                line: i as u64 + 1,
            };
            c.event(&mut s, &at, *a, *b, *pu, format!("{a}-{b}").as_bytes());
        }
        c.finish(&mut s);
        s.findings
    }

    #[test]
    fn spot_procedure() {
        // Stale event dropped, bridging event, contiguous chain.
        assert!(
            feed(
                vec![100],
                &[(95, 100, None), (99, 103, None), (104, 110, None)]
            )
            .is_empty()
        );
        // A dropped event after sync: gap at the next line.
        let f = feed(vec![100], &[(99, 103, None), (111, 120, None)]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].kind, f[0].line, f[0].from, f[0].to),
            (Kind::Gap, Some(2), Some(104), Some(110))
        );
        // U must not pass lastUpdateId+1: an event starting at L+2 skips update L+1.
        let f = feed(vec![100], &[(102, 110, None)]);
        assert_eq!(
            f.iter().map(|x| x.kind).collect::<Vec<_>>(),
            vec![Kind::NoBridge]
        );
        // Snapshot older than the stream: no bridge.
        let f = feed(vec![100], &[(150, 160, None), (161, 170, None)]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].kind, f[0].line, f[0].count),
            (Kind::NoBridge, Some(1), 2)
        );
    }

    #[test]
    fn futures_pu_chain() {
        assert!(
            feed(
                vec![100],
                &[
                    (90, 99, Some(80)),
                    (95, 105, Some(99)),
                    (107, 109, Some(105))
                ]
            )
            .is_empty()
        );
        let f = feed(vec![100], &[(95, 105, Some(99)), (120, 130, Some(110))]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, Kind::Gap);
    }

    #[test]
    fn okx_seq_ids_chain_and_stale_messages() {
        let mut b = OkxBook::new(meta());
        let mut s = Sink::default();
        let msg = |snapshot, seq| OkxMessage {
            snapshot,
            bids: vec![],
            asks: vec![],
            checksum: None,
            seq: Some(seq),
            ts_us: None,
        };
        let at = |l| Loc {
            file: Arc::from("o"),
            line: l,
        };
        b.message(&mut s, &at(1), &msg(true, (10, -1)));
        b.message(&mut s, &at(2), &msg(false, (15, 10)));
        b.message(&mut s, &at(3), &msg(false, (15, 15)));
        b.message(&mut s, &at(4), &msg(false, (30, 20)));
        b.finish(&mut s);
        let got: Vec<_> = s.findings.iter().map(|f| (f.kind, f.line)).collect();
        assert_eq!(got, vec![(Kind::Stale, Some(3)), (Kind::Gap, Some(4))]);
    }

    #[test]
    fn okx_checksum_of_a_known_book() {
        // Worked example from OKX's documentation of the checksum string.
        let mut b = OkxBook::new(meta());
        let mut s = Sink::default();
        let at = Loc {
            file: Arc::from("o"),
            line: 1,
        };
        let m = OkxMessage {
            snapshot: true,
            bids: vec![("3366.1", "7"), ("3366", "6")],
            asks: vec![("3366.8", "9"), ("3368", "8"), ("3372", "8")],
            checksum: None,
            seq: None,
            ts_us: None,
        };
        b.message(&mut s, &at, &m);
        let mut h = crc32fast::Hasher::new();
        h.update(b"3366.1:7:3366.8:9:3366:6:3368:8:3372:8");
        assert_eq!(b.checksum(), h.finalize() as i32);
    }
}
