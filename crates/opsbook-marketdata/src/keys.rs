//! Repeated IDs in streams whose IDs are not sequential integers (UUIDs,
//! exchange-specific strings): such IDs cannot show a gap, but an ID seen
//! twice can — `duplicate` when the row is the same, `conflict` when it is
//! not. Consecutive repeats are reported once (a replayed block).
//!
//! Memory is bounded: the last [`KEY_WINDOW`] IDs are remembered (a 64-bit
//! hash of the ID and of the row, and its line: 24 bytes each); a repeat of
//! an older ID is not seen, and the stream says so when the window was
//! exceeded.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;

use crate::report::Kind;
use crate::sink::{Loc, Meta, Sink};

/// IDs remembered per stream.
pub const KEY_WINDOW: usize = 1 << 20;

#[derive(Debug)]
struct Seen {
    payload: u64,
    line: u64,
}

#[derive(Debug)]
struct Run {
    kind: Kind,
    at: Loc,
    last_line: u64,
    count: u64,
    first_key: String,
    first_seen: u64,
}

/// Repeated-ID check for non-sequential IDs.
#[derive(Debug)]
pub struct KeyChecker {
    meta: Meta,
    hasher: std::collections::hash_map::RandomState,
    seen: HashMap<u64, Seen>,
    order: VecDeque<u64>,
    forgotten: u64,
    run: Option<Run>,
}

impl KeyChecker {
    /// A checker for one stream.
    pub fn new(meta: Meta) -> KeyChecker {
        KeyChecker {
            meta,
            hasher: std::collections::hash_map::RandomState::new(),
            seen: HashMap::new(),
            order: VecDeque::new(),
            forgotten: 0,
            run: None,
        }
    }

    fn hash(&self, bytes: &[u8]) -> u64 {
        self.hasher.hash_one(bytes)
    }

    /// One row: its ID (trimmed text) and its bytes. Returns whether the ID
    /// is new (a repeated row is reported here and nowhere else).
    pub fn record(&mut self, sink: &mut Sink, at: &Loc, key: &str, payload: &[u8]) -> bool {
        let k = self.hash(key.as_bytes());
        let p = self.hash(payload);
        if let Some(s) = self.seen.get(&k) {
            let kind = if s.payload == p {
                Kind::Duplicate
            } else {
                Kind::Conflict
            };
            let first_seen = s.line;
            match &mut self.run {
                Some(r) if r.kind == kind && r.at.file == at.file && r.last_line + 1 == at.line => {
                    r.last_line = at.line;
                    r.count += 1;
                }
                _ => {
                    self.flush(sink);
                    self.run = Some(Run {
                        kind,
                        at: at.clone(),
                        last_line: at.line,
                        count: 1,
                        first_key: key.to_string(),
                        first_seen,
                    });
                }
            }
            return false;
        }
        self.flush(sink);
        if self.order.len() == KEY_WINDOW
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
            self.forgotten += 1;
        }
        self.order.push_back(k);
        self.seen.insert(
            k,
            Seen {
                payload: p,
                line: at.line,
            },
        );
        true
    }

    fn flush(&mut self, sink: &mut Sink) {
        let Some(r) = self.run.take() else {
            return;
        };
        let what = if r.kind == Kind::Duplicate {
            "repeated with the same row: consumers must de-duplicate by ID"
        } else {
            "repeated with a different row: keep both, mark the range and re-fetch it from the exchange"
        };
        let message = if r.count == 1 {
            format!(
                "{} ID {} (first at line {}) {what}",
                self.meta.label(),
                r.first_key,
                r.first_seen
            )
        } else {
            format!(
                "{} lines {}–{}: {} IDs {what} (the first, {}, was first at line {})",
                self.meta.label(),
                r.at.line,
                r.last_line,
                r.count,
                r.first_key,
                r.first_seen
            )
        };
        sink.push(
            self.meta
                .finding(r.kind, Some(&r.at), None, None, None, r.count, message),
        );
    }

    /// End of the stream.
    pub fn finish(&mut self, sink: &mut Sink) {
        self.flush(sink);
        if self.forgotten > 0 {
            sink.push(self.meta.finding(
                Kind::NoCheck,
                None,
                None,
                None,
                None,
                self.forgotten,
                format!(
                    "{}: more than {KEY_WINDOW} distinct IDs: a repeat of an ID more than {KEY_WINDOW} rows back is not detected",
                    self.meta.label()
                ),
            ));
        }
    }
}
