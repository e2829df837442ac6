//! The build side of the fills join: [`FillSet`] (fills plus a
//! [`JoinIndex`] on (instrument, trade ID)), the row comparisons, and the
//! cancel times of orders ([`Cancels`]) for `fill_after_cancel`.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

use crate::ReconError;
use crate::batch::Batch;
use crate::engine::RunCtx;
use crate::ids::{Arena, Id, Name};
use crate::join::{GROUP, JoinIndex};
use crate::records::{AFTER_CANCEL, Fill, HAS_FEE, OrderBuild, OrderStatus};

const SEED: u64 = 0x6f70_7362_6f6f_6b21;

/// Fills with a hash index on (instrument, trade ID).
pub(crate) struct FillSet {
    pub fills: Vec<Fill>,
    pub arena: Arena,
    index: JoinIndex,
    state: foldhash::fast::FixedState,
}

#[inline]
fn key_eq(a: &Fill, aa: &Arena, b: &Fill, ba: &Arena) -> bool {
    a.inst == b.inst && a.trade.eq_in(aa, b.trade, ba)
}

impl FillSet {
    pub fn new() -> FillSet {
        FillSet {
            fills: Vec::new(),
            arena: Arena::default(),
            index: JoinIndex::default(),
            state: foldhash::fast::FixedState::with_seed(SEED),
        }
    }

    #[inline]
    fn hash(&self, f: &Fill, arena: &Arena) -> u32 {
        let mut h = self.state.build_hasher();
        h.write_u32(f.inst);
        f.trade.hash_in(arena, &mut h);
        (h.finish() >> 32) as u32
    }

    /// The index of the fill with `f`'s key (`f`'s IDs live in `arena`).
    #[inline]
    pub fn find(&self, f: &Fill, arena: &Arena) -> Option<u32> {
        let h = self.hash(f, arena);
        self.index.find(h, |i| {
            key_eq(&self.fills[i as usize], &self.arena, f, arena)
        })
    }

    /// Looks up every fill of a batch, a group at a time (see [`JoinIndex`]),
    /// and calls `on(position, index)` while the group's fills are in cache.
    pub fn find_many(&self, batch: &[Fill], arena: &Arena, mut on: impl FnMut(usize, Option<u32>)) {
        let mut hashes = [0u32; GROUP];
        let mut res = [None; GROUP];
        for (c, chunk) in batch.chunks(GROUP).enumerate() {
            for (h, f) in hashes.iter_mut().zip(chunk) {
                *h = self.hash(f, arena);
            }
            self.index.find_group(
                &hashes[..chunk.len()],
                |i| {
                    let f = &self.fills[i as usize];
                    f.ts_ms as u64 ^ u64::from(f.flags) ^ u64::from(f.inst)
                },
                |k, i| key_eq(&self.fills[i as usize], &self.arena, &chunk[k], arena),
                &mut res[..chunk.len()],
            );
            for (k, r) in res[..chunk.len()].iter().enumerate() {
                on(c * GROUP + k, *r);
            }
        }
    }

    /// Adds `f` (IDs already in this set's arena): `Ok(index)`, or
    /// `Err(index of the first fill with that key)`.
    pub fn push(&mut self, f: Fill) -> Result<u32, u32> {
        let h = self.hash(&f, &self.arena);
        self.push_h(h, f)
    }

    fn push_h(&mut self, h: u32, f: Fill) -> Result<u32, u32> {
        let idx = u32::try_from(self.fills.len()).map_err(|_| u32::MAX)?;
        let FillSet {
            fills,
            arena,
            index,
            ..
        } = self;
        index.insert(h, idx, |o| key_eq(&fills[o as usize], arena, &f, arena))?;
        fills.push(f);
        Ok(idx)
    }

    /// Adds a batch (IDs already in this set's arena), a group at a time;
    /// `dup(first, fill)` receives each fill whose key is already present.
    pub fn push_many(&mut self, batch: Vec<Fill>, mut dup: impl FnMut(u32, Fill)) {
        self.reserve(batch.len());
        let mut hashes = [0u32; GROUP];
        for chunk in batch.chunks(GROUP) {
            for (h, f) in hashes.iter_mut().zip(chunk) {
                *h = self.hash(f, &self.arena);
            }
            self.index.prefetch(&hashes[..chunk.len()]);
            for (h, f) in hashes.iter().zip(chunk) {
                if let Err(first) = self.push_h(*h, *f) {
                    dup(first, *f);
                }
            }
        }
    }

    /// Adds a fill whose IDs live in `from`, copying string IDs.
    pub fn push_from(&mut self, f: &Fill, from: &Arena) -> Result<u32, u32> {
        let mut g = *f;
        g.trade = f.trade.copy_to(from, &mut self.arena);
        g.order = f.order.copy_to(from, &mut self.arena);
        self.push(g)
    }

    /// Makes room for `n` more fills.
    pub fn reserve(&mut self, n: usize) {
        self.fills.reserve(n);
        self.index.reserve(n);
    }
}

/// Rows in a plain-text input, estimated from its size and its first
/// 256 KiB (for sizing the index once; `None` for gzip and UTF-16).
pub(crate) fn estimate_rows(path: &std::path::Path) -> Option<usize> {
    use std::io::Read;
    let len = std::fs::metadata(path).ok()?.len();
    let mut head = Vec::with_capacity(1 << 18);
    std::fs::File::open(path)
        .ok()?
        .take(1 << 18)
        .read_to_end(&mut head)
        .ok()?;
    if head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
    {
        return None;
    }
    let lines = head.iter().filter(|b| **b == b'\n').count().max(1);
    let per = (head.len() / lines).max(1) as u64;
    usize::try_from(len / per + len / per / 50 + 16).ok()
}

/// Whether two rows of the same key agree: times within `tol` ms, fields
/// absent on one side not compared.
#[inline]
pub(crate) fn same(a: &Fill, aa: &Arena, b: &Fill, ba: &Arena, tol: i64) -> bool {
    a.side == b.side
        && a.qty == b.qty
        && a.price == b.price
        && (a.flags & b.flags & HAS_FEE == 0 || a.fee == b.fee)
        && (a.fee_asset == 0 || b.fee_asset == 0 || a.fee_asset == b.fee_asset)
        && (a.order.is_none() || b.order.is_none() || a.order.eq_in(aa, b.order, ba))
        && (a.ts_ms - b.ts_ms).abs() <= tol
}

/// Whether two rows on the same side are the same row (values equal, time equal).
pub(crate) fn identical(a: &Fill, aa: &Arena, b: &Fill, ba: &Arena) -> bool {
    a.side == b.side
        && a.qty == b.qty
        && a.price == b.price
        && (a.flags & HAS_FEE) == (b.flags & HAS_FEE)
        && a.fee == b.fee
        && a.fee_asset == b.fee_asset
        && a.order.eq_in(aa, b.order, ba)
        && a.ts_ms == b.ts_ms
}

pub(crate) fn fee_asset_differs(a: &Fill, b: &Fill) -> bool {
    a.fee_asset != 0 && b.fee_asset != 0 && a.fee_asset != b.fee_asset
}

/// Cancel times of orders: (instrument, order ID) → earliest cancel, ms.
pub(crate) struct Cancels {
    table: HashTable<(Name, Id, i64)>,
    arena: Arena,
    state: foldhash::fast::FixedState,
    /// One bit per numeric order ID hash: most fills are rejected here.
    numeric: Vec<u64>,
    any_string: bool,
}

fn order_bit(n: u64) -> usize {
    (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize
}

impl Cancels {
    fn hash(&self, inst: Name, id: Id, arena: &Arena) -> u64 {
        let mut h = self.state.build_hasher();
        h.write_u32(inst);
        id.hash_in(arena, &mut h);
        h.finish()
    }

    pub(crate) fn get(&self, inst: Name, id: Id, arena: &Arena) -> Option<i64> {
        if self.table.is_empty() || id.is_none() {
            return None;
        }
        if let Some(n) = id.as_num() {
            let b = order_bit(n);
            if self
                .numeric
                .get(b / 64)
                .is_none_or(|w| w & (1 << (b % 64)) == 0)
            {
                return None;
            }
        } else if !self.any_string {
            return None;
        }
        self.table
            .find(self.hash(inst, id, arena), |(i, o, _)| {
                *i == inst && o.eq_in(&self.arena, id, arena)
            })
            .map(|e| e.2)
    }

    pub(crate) fn mark(&self, b: &mut Batch<Fill>, tol: i64) {
        if self.table.is_empty() {
            return;
        }
        for f in &mut b.items {
            if let Some(c) = self.get(f.inst, f.order, &b.arena)
                && f.ts_ms > c.saturating_add(tol)
            {
                f.flags |= AFTER_CANCEL;
            }
        }
    }

    pub(crate) fn load(cx: &mut RunCtx<'_>) -> Result<Cancels, ReconError> {
        let mut c = Cancels {
            table: HashTable::new(),
            arena: Arena::default(),
            state: foldhash::fast::FixedState::with_seed(SEED),
            numeric: vec![0; 1024],
            any_string: false,
        };
        let req = cx.req;
        let orders = cx.collect("orders", &req.orders, &OrderBuild)?;
        for o in orders {
            if !matches!(o.status, Some(OrderStatus::Canceled | OrderStatus::Expired)) {
                continue;
            }
            let Some(at) = o.update_ms.or(o.ts_ms) else {
                continue;
            };
            let inst = cx
                .names
                .intern(&format!("{}\u{1f}{}", o.exchange, o.symbol));
            let Ok(id) = Id::parse(o.order_id.as_bytes(), &mut c.arena) else {
                continue;
            };
            match id.as_num() {
                Some(n) => {
                    let b = order_bit(n);
                    c.numeric[b / 64] |= 1 << (b % 64);
                }
                None => c.any_string = true,
            }
            let h = c.hash(inst, id, &c.arena);
            let Cancels {
                table,
                arena,
                state,
                ..
            } = &mut c;
            let arena: &Arena = arena;
            match table.find_mut(h, |(i, x, _)| *i == inst && x.eq_in(arena, id, arena)) {
                Some(e) => e.2 = e.2.min(at),
                None => {
                    table.insert_unique(h, (inst, id, at), |(i, x, _)| {
                        let mut hh = state.build_hasher();
                        hh.write_u32(*i);
                        x.hash_in(arena, &mut hh);
                        hh.finish()
                    });
                }
            }
        }
        Ok(c)
    }
}

impl Cancels {
    pub(crate) fn empty() -> Cancels {
        Cancels {
            table: HashTable::new(),
            arena: Arena::default(),
            state: foldhash::fast::FixedState::with_seed(SEED),
            numeric: Vec::new(),
            any_string: false,
        }
    }
}
