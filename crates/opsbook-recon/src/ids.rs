//! Compact identifiers for millions of rows: interned names and packed IDs.
//!
//! Exchange names, symbols and assets repeat on every row: [`Names`] interns
//! them once per run (a worker keeps a [`LocalNames`] cache in front of the
//! shared table, so the lock is taken only for a name it has not seen).
//! Trade and order IDs are numbers on most venues (Binance `id`/`orderId`)
//! and strings on others (BitMEX `execID` UUIDs): an [`Id`] holds a number
//! inline and a string as a span of an [`Arena`], so a fill row stays small
//! enough for ten million of them to fit in memory (see the fills engine).

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use hashbrown::HashMap;

/// An interned name (exchange, symbol, asset); `0` is the empty name.
pub type Name = u32;

/// The run-wide name table.
#[derive(Debug)]
pub struct Names {
    map: Mutex<HashMap<Box<[u8]>, Name>>,
    list: RwLock<Vec<Arc<str>>>,
}

impl Default for Names {
    fn default() -> Self {
        let mut map = HashMap::new();
        map.insert(Box::<[u8]>::from(&b""[..]), 0);
        Names {
            map: Mutex::new(map),
            list: RwLock::new(vec![Arc::from("")]),
        }
    }
}

impl Names {
    /// Interns a name given as text.
    pub fn intern(&self, s: &str) -> Name {
        self.intern_bytes(s.as_bytes())
    }

    fn intern_bytes(&self, b: &[u8]) -> Name {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&n) = map.get(b) {
            return n;
        }
        let mut list = self.list.write().unwrap_or_else(PoisonError::into_inner);
        let n = Name::try_from(list.len()).unwrap_or(Name::MAX);
        list.push(Arc::from(String::from_utf8_lossy(b).as_ref()));
        map.insert(Box::from(b), n);
        n
    }

    /// The text of an interned name (empty for an unknown one).
    #[must_use]
    pub fn get(&self, n: Name) -> Arc<str> {
        let list = self.list.read().unwrap_or_else(PoisonError::into_inner);
        list.get(n as usize)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    }

    /// The name of text already interned, if it was.
    #[must_use]
    pub fn lookup(&self, s: &str) -> Option<Name> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(s.as_bytes()).copied()
    }
}

/// A worker's cache in front of [`Names`].
#[derive(Debug, Default)]
pub struct LocalNames {
    cache: HashMap<Box<[u8]>, Name>,
    buf: Vec<u8>,
    /// Direct-mapped front cache for (exchange, symbol) pairs.
    pairs: Vec<PairSlot>,
}

const PAIR_SLOTS: usize = 64;

/// (exchange, symbol, name) in the front cache.
type PairSlot = (Box<[u8]>, Box<[u8]>, Name);

#[inline]
fn pair_slot(a: &[u8], b: &[u8]) -> usize {
    let last = |x: &[u8]| x.last().copied().unwrap_or(0) as usize;
    let first = |x: &[u8]| x.first().copied().unwrap_or(0) as usize;
    (b.len() * 31 + last(b) * 7 + first(b) * 3 + a.len() + last(a)) % PAIR_SLOTS
}

impl LocalNames {
    /// Interns `b`, consulting the shared table only on a miss.
    #[inline]
    pub fn intern(&mut self, names: &Names, b: &[u8]) -> Name {
        if b.is_empty() {
            return 0;
        }
        if let Some(&n) = self.cache.get(b) {
            return n;
        }
        let n = names.intern_bytes(b);
        self.cache.insert(Box::from(b), n);
        n
    }

    /// Interns `a \u{1f} b` (an exchange and a symbol) without allocating
    /// once the pair has been seen.
    #[inline]
    pub fn intern_pair(&mut self, names: &Names, a: &[u8], b: &[u8]) -> Name {
        let slot = pair_slot(a, b);
        if let Some((x, y, n)) = self.pairs.get(slot)
            && **x == *a
            && **y == *b
        {
            return *n;
        }
        let n = self.intern_pair_slow(names, a, b);
        if self.pairs.is_empty() {
            self.pairs = vec![(Box::from(&b""[..]), Box::from(&b""[..]), Name::MAX); PAIR_SLOTS];
        }
        self.pairs[slot] = (Box::from(a), Box::from(b), n);
        n
    }

    fn intern_pair_slow(&mut self, names: &Names, a: &[u8], b: &[u8]) -> Name {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(a);
        buf.push(0x1f);
        buf.extend_from_slice(b);
        let n = self.intern(names, &buf);
        self.buf = buf;
        n
    }
}

/// A trade or order identifier: a number inline, or a span of an [`Arena`].
///
/// Digits without a leading zero that fit 63 bits are numbers (`"0042"` stays
/// a string: its zeros may matter). Equality across two arenas goes through
/// [`Id::eq_in`], hashing through [`Id::hash_in`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(u64);

const STR: u64 = 1 << 63;

impl Id {
    /// No identifier (an empty cell).
    pub const NONE: Id = Id(u64::MAX);

    /// Whether this is [`Id::NONE`].
    #[must_use]
    pub fn is_none(self) -> bool {
        self == Id::NONE
    }

    /// The number, for a numeric ID.
    #[must_use]
    pub fn as_num(self) -> Option<u64> {
        (self.0 & STR == 0).then_some(self.0)
    }

    /// Builds an ID from cell bytes, appending a string ID to `arena`.
    ///
    /// # Errors
    /// A string ID longer than 65,535 bytes, or an arena beyond 2^47 bytes.
    #[inline]
    pub fn parse(b: &[u8], arena: &mut Arena) -> Result<Id, &'static str> {
        if b.is_empty() {
            return Ok(Id::NONE);
        }
        if let Some(n) = numeric(b) {
            return Ok(Id(n));
        }
        arena.push(b)
    }

    /// The bytes of this ID (`None` for [`Id::NONE`]); numbers are rendered.
    #[must_use]
    pub fn text(self, arena: &Arena) -> Option<String> {
        if self.is_none() {
            return None;
        }
        match self.as_num() {
            Some(n) => Some(n.to_string()),
            None => Some(String::from_utf8_lossy(arena.bytes_of(self)).into_owned()),
        }
    }

    /// Equality of two IDs that live in (possibly) different arenas.
    #[inline]
    #[must_use]
    pub fn eq_in(self, a: &Arena, other: Id, b: &Arena) -> bool {
        match (self.as_num(), other.as_num()) {
            (Some(x), Some(y)) => x == y,
            (None, None) => {
                if self.is_none() || other.is_none() {
                    return self.is_none() && other.is_none();
                }
                a.bytes_of(self) == b.bytes_of(other)
            }
            _ => false,
        }
    }

    /// A value to hash that is the same for equal IDs in any arena.
    #[inline]
    pub fn hash_in<H: std::hash::Hasher>(self, arena: &Arena, h: &mut H) {
        match self.as_num() {
            Some(n) => h.write_u64(n),
            None if self.is_none() => h.write_u8(0xFF),
            None => h.write(arena.bytes_of(self)),
        }
    }

    /// Moves a string ID by `base` bytes (when its arena is appended to another).
    #[must_use]
    pub fn rebased(self, base: u64) -> Id {
        if self.as_num().is_some() || self.is_none() {
            self
        } else {
            Id(self.0 + (base << 16))
        }
    }

    /// Copies a string ID from `from` into `to` (numbers and NONE are kept).
    #[must_use]
    pub fn copy_to(self, from: &Arena, to: &mut Arena) -> Id {
        if self.as_num().is_some() || self.is_none() {
            self
        } else {
            to.push(from.bytes_of(self)).unwrap_or(Id::NONE)
        }
    }
}

#[inline]
fn numeric(b: &[u8]) -> Option<u64> {
    if b.len() > 19 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    (n & STR == 0).then_some(n)
}

/// Bytes of string IDs, appended in row order.
#[derive(Debug, Default, Clone)]
pub struct Arena {
    bytes: Vec<u8>,
}

impl Arena {
    fn push(&mut self, b: &[u8]) -> Result<Id, &'static str> {
        let len = u64::try_from(b.len()).map_err(|_| "an ID longer than 65,535 bytes")?;
        if len > 0xFFFF {
            return Err("an ID longer than 65,535 bytes");
        }
        let off = self.bytes.len() as u64;
        if off >= 1 << 47 {
            return Err("more than 2^47 bytes of string IDs");
        }
        self.bytes.extend_from_slice(b);
        Ok(Id(STR | (off << 16) | len))
    }

    fn bytes_of(&self, id: Id) -> &[u8] {
        let off = ((id.0 & !STR) >> 16) as usize;
        let len = (id.0 & 0xFFFF) as usize;
        self.bytes.get(off..off + len).unwrap_or(&[])
    }

    /// Bytes held.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Whether no string ID was stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Appends another arena; IDs from it must be [`Id::rebased`] by the
    /// returned base.
    pub fn append(&mut self, other: &Arena) -> u64 {
        let base = self.len();
        self.bytes.extend_from_slice(&other.bytes);
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_inline_strings_in_the_arena() {
        let mut a = Arena::default();
        let mut b = Arena::default();
        let n = Id::parse(b"28457", &mut a).expect("n");
        assert_eq!(n.as_num(), Some(28457));
        let z = Id::parse(b"0042", &mut a).expect("z");
        assert_eq!(z.as_num(), None);
        assert_eq!(z.text(&a).as_deref(), Some("0042"));
        let u1 = Id::parse(b"550e8400-e29b", &mut a).expect("u");
        let _pad = Id::parse(b"x", &mut b).expect("pad");
        let u2 = Id::parse(b"550e8400-e29b", &mut b).expect("u");
        assert!(u1.eq_in(&a, u2, &b));
        assert!(!u1.eq_in(&a, z, &a));
        assert!(Id::NONE.eq_in(&a, Id::NONE, &b));
        assert!(!Id::NONE.eq_in(&a, u1, &a));
        assert_eq!(Id::parse(b"", &mut a).expect("e"), Id::NONE);
        // Appending an arena moves its string IDs by the base.
        let base = a.append(&b);
        assert_eq!(u2.rebased(base).text(&a).as_deref(), Some("550e8400-e29b"));
        assert_eq!(n.rebased(base), n);
        let big = Id::parse(b"99999999999999999999", &mut a).expect("20 digits");
        assert_eq!(big.as_num(), None);
    }

    #[test]
    fn names_are_shared_and_cached() {
        let names = Names::default();
        let mut l1 = LocalNames::default();
        let mut l2 = LocalNames::default();
        let a = l1.intern(&names, b"BTCUSDT");
        let b = l2.intern(&names, b"BTCUSDT");
        assert_eq!(a, b);
        assert_ne!(a, 0);
        assert_eq!(l1.intern(&names, b""), 0);
        assert_eq!(&*names.get(a), "BTCUSDT");
        assert_eq!(names.lookup("BTCUSDT"), Some(a));
    }
}
