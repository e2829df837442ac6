//! The fills join's hash index: open addressing over `u64` words, looked up
//! in groups so that the cache misses of a group overlap.
//!
//! Why not `hashbrown`: at ten million keys every lookup is two cache
//! misses (the slot, then the fill it names), and a lookup at a time waits
//! for each in turn. Here a caller hands a group of hashes: the slots of the
//! whole group are loaded first (independent loads the CPU overlaps), then
//! each candidate is resolved. A slot is `hash32 << 32 | (index + 1)`
//! (0 = empty), so growing the table never reads the fills, and most
//! non-matching candidates are rejected without touching them.

/// Lookups resolved per group.
pub(crate) const GROUP: usize = 16;

/// Slot index → fill index, keyed by a 32-bit hash.
#[derive(Debug, Clone)]
pub(crate) struct JoinIndex {
    slots: Vec<u64>,
    mask: usize,
    len: usize,
}

impl Default for JoinIndex {
    fn default() -> Self {
        JoinIndex::with_capacity(0)
    }
}

impl JoinIndex {
    /// An index sized for `n` keys without growing.
    pub fn with_capacity(n: usize) -> JoinIndex {
        let cap = (n.saturating_mul(4) / 3 + 1).next_power_of_two().max(16);
        JoinIndex {
            slots: vec![0; cap],
            mask: cap - 1,
            len: 0,
        }
    }

    /// Keys held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Makes room for `more` keys (grows at 3/4 load).
    pub fn reserve(&mut self, more: usize) {
        let want = self.len + more;
        if want * 4 <= self.slots.len() * 3 {
            return;
        }
        let mut bigger = JoinIndex::with_capacity(want.max(self.slots.len()));
        for &s in &self.slots {
            if s != 0 {
                bigger.put(s);
            }
        }
        bigger.len = self.len;
        *self = bigger;
    }

    fn put(&mut self, word: u64) {
        let mut i = (word >> 32) as usize & self.mask;
        while self.slots[i] != 0 {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = word;
    }

    /// The first slot word of each hash (loads issued together).
    #[inline]
    fn touch(&self, hashes: &[u32], out: &mut [u64; GROUP]) {
        for (o, h) in out.iter_mut().zip(hashes) {
            *o = self.slots[*h as usize & self.mask];
        }
    }

    /// Finds the index whose key `eq` accepts, for one hash.
    #[inline]
    pub fn find(&self, h: u32, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let mut i = h as usize & self.mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            if (s >> 32) as u32 == h {
                let idx = (s as u32).wrapping_sub(1);
                if eq(idx) {
                    return Some(idx);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Looks up a group of hashes: `touch_fill(idx)` is called for the
    /// first candidate of each (to load it), then `eq(k, idx)` decides.
    pub fn find_group(
        &self,
        hashes: &[u32],
        mut touch_fill: impl FnMut(u32) -> u64,
        mut eq: impl FnMut(usize, u32) -> bool,
        out: &mut [Option<u32>],
    ) {
        let mut first = [0u64; GROUP];
        self.touch(hashes, &mut first);
        let mut sink = 0u64;
        for (k, &w) in first.iter().enumerate().take(hashes.len()) {
            if w != 0 && (w >> 32) as u32 == hashes[k] {
                sink ^= touch_fill((w as u32).wrapping_sub(1));
            }
        }
        std::hint::black_box(sink);
        for (k, &h) in hashes.iter().enumerate() {
            out[k] = self.find(h, |idx| eq(k, idx));
        }
    }

    /// Inserts `idx` under `h` unless `eq` accepts an existing index: returns
    /// `Err(existing)` then.
    pub fn insert(&mut self, h: u32, idx: u32, mut eq: impl FnMut(u32) -> bool) -> Result<(), u32> {
        self.reserve(1);
        let mut i = h as usize & self.mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                self.slots[i] = (u64::from(h) << 32) | u64::from(idx + 1);
                self.len += 1;
                return Ok(());
            }
            if (s >> 32) as u32 == h {
                let old = (s as u32).wrapping_sub(1);
                if eq(old) {
                    return Err(old);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Loads the first slot of each hash of a group (before inserting them).
    pub fn prefetch(&self, hashes: &[u32]) {
        let mut first = [0u64; GROUP];
        self.touch(hashes, &mut first);
        std::hint::black_box(first);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_and_grow_with_colliding_hashes() {
        let keys: Vec<u64> = (0..10_000).map(|i| i * 7 + 3).collect();
        // A bad hash: many keys share one (only 64 distinct values).
        let h = |k: u64| ((k % 64) as u32).wrapping_mul(0x9E37_79B9);
        let mut ix = JoinIndex::with_capacity(10);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                ix.insert(h(*k), i as u32, |o| keys[o as usize] == *k),
                Ok(())
            );
        }
        assert_eq!(ix.len(), keys.len());
        // A second insert of a key names the first.
        assert_eq!(
            ix.insert(h(keys[77]), 99_999, |o| keys[o as usize] == keys[77]),
            Err(77)
        );
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(ix.find(h(*k), |o| keys[o as usize] == *k), Some(i as u32));
        }
        assert_eq!(ix.find(h(5), |o| keys[o as usize] == 5), None);
        let hs: Vec<u32> = keys[..GROUP].iter().map(|k| h(*k)).collect();
        let mut out = [None; GROUP];
        ix.find_group(
            &hs,
            |o| keys[o as usize],
            |k, o| keys[o as usize] == keys[k],
            &mut out,
        );
        for (k, o) in out.iter().enumerate() {
            assert_eq!(*o, Some(k as u32));
        }
    }
}
