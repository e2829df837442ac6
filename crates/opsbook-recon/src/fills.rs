//! Fill-by-fill reconciliation, keyed by (exchange, symbol, trade_id)
//! (Binance trade IDs are unique per symbol) — D-DATA-RECON, D-DATA-RERECON.
//!
//! A hash join built for ten million rows a side in bounded memory: our
//! fills go into a [`FillSet`] (a `Vec` of 88-byte [`Fill`]s plus a hash
//! table of `(hash, index)` words, so growing it never touches the fills);
//! their fills stream past it in parallel blocks, each row looked up and
//! compared in the worker; only what is not a clean match is kept (a
//! per-row hit counter and, when a time tolerance applies, the first
//! match's time skew). Classes, per key:
//!
//! - `corrected`: the row changed since the previous run (given as
//!   `previous_*` inputs), or disappeared from one side;
//! - `fill_after_cancel`: the fill is later than its order's cancel (from
//!   the `orders` inputs) beyond the tolerance;
//! - `value_diff` / `fee_asset_diff`: both sides have the key, values differ
//!   (timestamps within the tolerance are equal; fields absent on one side
//!   are not compared);
//! - one side only: `pending` inside the grace window before `as_of`,
//!   `incomplete_window` before the other side's declared history start,
//!   else `missing_exchange` / `missing_internal`;
//! - a key seen again on the same side: `duplicate` when the row is
//!   identical to the first occurrence, else `conflict`.

use hashbrown::{HashMap, HashSet};

use crate::fillset::{Cancels, FillSet, estimate_rows, fee_asset_differs, identical, same};
use serde_json::{Map, Value};

use crate::batch::Batch;
use crate::decimal;
use crate::engine::{RunCtx, later, rfc3339};
use crate::ids::{Arena, Names};
use crate::profile::RecordKind;
use crate::records::{AFTER_CANCEL, Fill, FillBuild, HAS_FEE, split_inst};
use crate::report::{Break, Class, FieldDiff, Kind, Report};
use crate::{Input, ReconError, Request};

const FOUND: u64 = 1 << 62;
const EQUAL: u64 = 1 << 61;

/// Streams fills of `role` past `int`: `on(row, its arena, Some((index, equal)))`.
fn probe<F>(
    cx: &mut RunCtx<'_>,
    role: &str,
    inputs: &[Input],
    int: &FillSet,
    cancels: &Cancels,
    tol: i64,
    mut on: F,
) -> Result<(), ReconError>
where
    F: FnMut(&Fill, &Arena, Option<(u32, bool)>),
{
    for (i, input) in inputs.iter().enumerate() {
        let par = |b: &mut Batch<Fill>| {
            cancels.mark(b, tol);
            let mut aux = vec![0u64; b.items.len()];
            int.find_many(&b.items, &b.arena, |k, ix| {
                if let Some(ix) = ix {
                    let eq = same(
                        &int.fills[ix as usize],
                        &int.arena,
                        &b.items[k],
                        &b.arena,
                        tol,
                    );
                    aux[k] = FOUND | if eq { EQUAL } else { 0 } | u64::from(ix);
                }
            });
            b.aux = aux;
        };
        cx.stream(
            role,
            u8::try_from(i).unwrap_or(u8::MAX),
            input,
            &FillBuild,
            &par,
            |b| {
                for (f, a) in b.items.iter().zip(&b.aux) {
                    let out = (a & FOUND != 0).then(|| (*a as u32, a & EQUAL != 0));
                    on(f, &b.arena, out);
                }
                Ok(())
            },
        )?;
    }
    Ok(())
}

/// Renders report records and field differences.
struct View<'a> {
    names: &'a Names,
    paths: [Vec<String>; 4],
}

const INT: usize = 0;
const EXC: usize = 1;
const PINT: usize = 2;
const PEXC: usize = 3;

impl View<'_> {
    fn key(&self, f: &Fill, arena: &Arena) -> Map<String, Value> {
        let inst = self.names.get(f.inst);
        let (ex, sym) = split_inst(&inst);
        let mut m = Map::new();
        m.insert("exchange".into(), ex.into());
        m.insert("symbol".into(), sym.into());
        m.insert(
            "trade_id".into(),
            f.trade.text(arena).unwrap_or_default().into(),
        );
        m
    }

    fn rec(&self, f: &Fill, arena: &Arena, side: usize) -> Map<String, Value> {
        let mut m = self.key(f, arena);
        m.insert(
            "order_id".into(),
            f.order.text(arena).map_or(Value::Null, Value::from),
        );
        m.insert("side".into(), f.side.as_str().into());
        m.insert("qty".into(), f.qty.to_string().into());
        m.insert("price".into(), f.price.to_string().into());
        m.insert(
            "fee".into(),
            if f.flags & HAS_FEE != 0 {
                f.fee.to_string().into()
            } else {
                Value::Null
            },
        );
        m.insert(
            "fee_asset".into(),
            if f.fee_asset == 0 {
                Value::Null
            } else {
                self.names.get(f.fee_asset).as_ref().into()
            },
        );
        m.insert("ts_ms".into(), f.ts_ms.into());
        m.insert("time".into(), rfc3339(f.ts_ms).into());
        let path = self.paths[side]
            .get(f.file as usize)
            .cloned()
            .unwrap_or_default();
        m.insert("file".into(), path.into());
        m.insert("line".into(), f.line.into());
        m
    }

    /// Differing fields: `a` in the first column, `b` in the second (or in
    /// `previous` and the second when `prev_mode`).
    fn diffs(
        &self,
        a: &Fill,
        aa: &Arena,
        b: &Fill,
        ba: &Arena,
        tol: i64,
    ) -> Vec<(String, String, String, Option<String>)> {
        let mut out = Vec::new();
        let ta = a.order.text(aa);
        let tb = b.order.text(ba);
        if ta.is_some() && tb.is_some() && ta != tb {
            out.push((
                "order_id".into(),
                ta.unwrap_or_default(),
                tb.unwrap_or_default(),
                None,
            ));
        }
        if a.side != b.side {
            out.push((
                "side".into(),
                a.side.as_str().into(),
                b.side.as_str().into(),
                None,
            ));
        }
        for (name, x, y) in [("qty", a.qty, b.qty), ("price", a.price, b.price)] {
            if x != y {
                out.push((
                    name.into(),
                    x.to_string(),
                    y.to_string(),
                    decimal::delta(x, y),
                ));
            }
        }
        if a.flags & b.flags & HAS_FEE != 0 && a.fee != b.fee {
            out.push((
                "fee".into(),
                a.fee.to_string(),
                b.fee.to_string(),
                decimal::delta(a.fee, b.fee),
            ));
        }
        if fee_asset_differs(a, b) {
            out.push((
                "fee_asset".into(),
                self.names.get(a.fee_asset).to_string(),
                self.names.get(b.fee_asset).to_string(),
                None,
            ));
        }
        if (a.ts_ms - b.ts_ms).abs() > tol {
            out.push((
                "ts_ms".into(),
                a.ts_ms.to_string(),
                b.ts_ms.to_string(),
                Some((b.ts_ms - a.ts_ms).to_string()),
            ));
        }
        out
    }
}

fn as_fields(d: Vec<(String, String, String, Option<String>)>) -> Vec<FieldDiff> {
    d.into_iter()
        .map(|(field, i, e, delta)| FieldDiff {
            field,
            internal: Some(i),
            exchange: Some(e),
            delta,
            previous: None,
        })
        .collect()
}

/// For `corrected` and same-side conflicts: the earlier value in
/// `previous`, the current one in the column of `side`.
fn as_changes(
    d: Vec<(String, String, String, Option<String>)>,
    side_is_internal: bool,
) -> Vec<FieldDiff> {
    d.into_iter()
        .map(|(field, before, now, delta)| FieldDiff {
            field,
            internal: side_is_internal.then(|| now.clone()),
            exchange: (!side_is_internal).then_some(now),
            delta,
            previous: Some(before),
        })
        .collect()
}

fn with_dup(mut key: Map<String, Value>, side: &str, occurrence: u32) -> Map<String, Value> {
    key.insert("side".into(), side.into());
    key.insert("occurrence".into(), occurrence.into());
    key
}

/// Runs a fills reconciliation.
#[allow(clippy::too_many_lines)]
pub(crate) fn run(req: &Request) -> Result<Report, ReconError> {
    let mut cx = RunCtx::new(req);
    cx.check_kind("internal", &req.internal, &[RecordKind::Fills])?;
    cx.check_kind("exchange", &req.exchange, &[RecordKind::Fills])?;
    cx.check_kind("orders", &req.orders, &[RecordKind::Orders])?;
    cx.check_kind(
        "previous_internal",
        &req.previous_internal,
        &[RecordKind::Fills],
    )?;
    cx.check_kind(
        "previous_exchange",
        &req.previous_exchange,
        &[RecordKind::Fills],
    )?;
    if req.internal.is_empty() || req.exchange.is_empty() {
        return Err(ReconError::Usage(
            "a fills reconciliation needs at least one internal and one exchange input".into(),
        ));
    }
    let p = &req.params;
    let tol = i64::try_from(p.tolerance.as_millis()).unwrap_or(i64::MAX);
    let grace = i64::try_from(p.grace.as_millis()).unwrap_or(i64::MAX);
    let pending_from = p.as_of.as_millisecond().saturating_sub(grace);
    let int_since = p.internal_since.map(|t| t.as_millisecond());
    let ex_since = p.exchange_since.map(|t| t.as_millisecond());

    let cancels = Cancels::load(&mut cx)?;

    // Ours: the build side, sized once from the files' sizes.
    let mut int = FillSet::new();
    let estimate: usize = req
        .internal
        .iter()
        .filter_map(|i| estimate_rows(&i.path))
        .sum();
    int.reserve(estimate);
    let mut int_extras: Vec<(u32, Fill)> = Vec::new();
    for (i, input) in req.internal.iter().enumerate() {
        let par = |b: &mut Batch<Fill>| cancels.mark(b, tol);
        let file = u8::try_from(i).unwrap_or(u8::MAX);
        cx.stream("internal", file, input, &FillBuild, &par, |mut b| {
            let base = int.arena.append(&b.arena);
            if base > 0 {
                for f in &mut b.items {
                    f.trade = f.trade.rebased(base);
                    f.order = f.order.rebased(base);
                }
            }
            int.push_many(b.items, |first, f| int_extras.push((first, f)));
            Ok(())
        })?;
    }
    let n = int.fills.len();

    // Our previous run: rows that changed, and rows that disappeared.
    let mut int_prev: HashMap<u32, Fill> = HashMap::new();
    let mut int_prev_arena = Arena::default();
    let mut int_removed = FillSet::new();
    if !req.previous_internal.is_empty() {
        let mut seen: HashSet<u32> = HashSet::new();
        probe(
            &mut cx,
            "previous_internal",
            &req.previous_internal,
            &int,
            &Cancels::empty(),
            tol,
            |f, arena, out| match out {
                Some((ix, eq)) => {
                    if seen.insert(ix) && !eq {
                        let mut g = *f;
                        g.trade = f.trade.copy_to(arena, &mut int_prev_arena);
                        g.order = f.order.copy_to(arena, &mut int_prev_arena);
                        int_prev.insert(ix, g);
                    }
                }
                None => {
                    let _ = int_removed.push_from(f, arena);
                }
            },
        )?;
    }

    // Their previous run: per our row, equal (1) or different (2, kept).
    let mut prev_state: Vec<u8> = Vec::new();
    let mut ex_prev: HashMap<u32, Fill> = HashMap::new();
    let mut ex_prev_arena = Arena::default();
    let mut ex_prev_only = FillSet::new();
    if !req.previous_exchange.is_empty() {
        prev_state = vec![0u8; n];
        probe(
            &mut cx,
            "previous_exchange",
            &req.previous_exchange,
            &int,
            &Cancels::empty(),
            tol,
            |f, arena, out| match out {
                Some((ix, eq)) => {
                    let s = &mut prev_state[ix as usize];
                    if *s == 0 {
                        *s = if eq { 1 } else { 2 };
                        if !eq {
                            let mut g = *f;
                            g.trade = f.trade.copy_to(arena, &mut ex_prev_arena);
                            g.order = f.order.copy_to(arena, &mut ex_prev_arena);
                            ex_prev.insert(ix, g);
                        }
                    }
                }
                None => {
                    let _ = ex_prev_only.push_from(f, arena);
                }
            },
        )?;
    }

    // Theirs: the probe side.
    let mut hits = vec![0u8; n];
    let mut first_delta: Vec<i32> = if tol > 0 { vec![0; n] } else { Vec::new() };
    let mut ex_arena = Arena::default();
    let mut diffs: HashMap<u32, Fill> = HashMap::new();
    let mut ex_cancel: HashSet<u32> = HashSet::new();
    let mut extras: Vec<(u32, Fill)> = Vec::new();
    let mut ex_only = FillSet::new();
    let mut ex_only_extras: Vec<(u32, Fill)> = Vec::new();
    probe(
        &mut cx,
        "exchange",
        &req.exchange,
        &int,
        &cancels,
        tol,
        |f, arena, out| match out {
            Some((ix, eq)) => {
                let h = hits[ix as usize];
                hits[ix as usize] = h.saturating_add(1);
                let copy = |ex_arena: &mut Arena| {
                    let mut g = *f;
                    g.trade = f.trade.copy_to(arena, ex_arena);
                    g.order = f.order.copy_to(arena, ex_arena);
                    g
                };
                if h == 0 {
                    if eq {
                        if tol > 0 {
                            let d = f.ts_ms - int.fills[ix as usize].ts_ms;
                            first_delta[ix as usize] = i32::try_from(d).unwrap_or(0);
                        }
                        if f.flags & AFTER_CANCEL != 0 {
                            ex_cancel.insert(ix);
                        }
                    } else {
                        diffs.insert(ix, copy(&mut ex_arena));
                    }
                } else {
                    extras.push((ix, copy(&mut ex_arena)));
                }
            }
            None => {
                let mut g = *f;
                g.trade = f.trade.copy_to(arena, &mut ex_only.arena);
                g.order = f.order.copy_to(arena, &mut ex_only.arena);
                if let Err(first) = ex_only.push(g) {
                    ex_only_extras.push((first, g));
                }
            }
        },
    )?;

    let view = View {
        names: &cx.names,
        paths: [
            req.internal
                .iter()
                .map(|i| i.path.display().to_string())
                .collect(),
            req.exchange
                .iter()
                .map(|i| i.path.display().to_string())
                .collect(),
            req.previous_internal
                .iter()
                .map(|i| i.path.display().to_string())
                .collect(),
            req.previous_exchange
                .iter()
                .map(|i| i.path.display().to_string())
                .collect(),
        ],
    };
    let kind = Kind::Fills;
    let mut breaks: Vec<Break> = Vec::new();
    let mut matched = 0u64;
    let ia = &int.arena;

    for (ix, f) in int.fills.iter().enumerate() {
        let ixu = ix as u32;
        if let Some(p) = int_prev.get(&ixu) {
            let mut b = Break::new(kind, Class::Corrected, view.key(f, ia));
            b.fields = as_changes(view.diffs(p, &int_prev_arena, f, ia, tol), true);
            b.internal = Some(view.rec(f, ia, INT));
            b.exchange = match diffs.get(&ixu) {
                Some(e) => Some(view.rec(e, &ex_arena, EXC)),
                None if hits[ix] > 0 => Some(view.rec(f, ia, INT)).map(|mut m| {
                    m.insert("note".into(), "equal to ours".into());
                    m
                }),
                None => None,
            };
            b.previous = Some(view.rec(p, &int_prev_arena, PINT));
            b.note = Some("our record changed since the previous run".into());
            breaks.push(b);
            continue;
        }
        let pstate = prev_state.get(ix).copied().unwrap_or(0);
        let cur = diffs.get(&ixu);
        if hits[ix] == 0 {
            if pstate != 0 {
                let mut b = Break::new(kind, Class::Corrected, view.key(f, ia));
                b.internal = Some(view.rec(f, ia, INT));
                b.previous = Some(match ex_prev.get(&ixu) {
                    Some(pv) => view.rec(pv, &ex_prev_arena, PEXC),
                    None => view.rec(f, ia, INT),
                });
                b.note = Some("the exchange no longer lists this fill (it did in the previous run): a bust or an amendment".into());
                breaks.push(b);
                continue;
            }
            let class = if f.flags & AFTER_CANCEL != 0 {
                Class::FillAfterCancel
            } else if f.ts_ms > pending_from {
                Class::Pending
            } else if ex_since.is_some_and(|s| f.ts_ms < s) {
                Class::IncompleteWindow
            } else {
                Class::MissingExchange
            };
            let mut b = Break::new(kind, class, view.key(f, ia));
            b.internal = Some(view.rec(f, ia, INT));
            b.note = Some(
                match class {
                    Class::FillAfterCancel => "ours only, and later than its order's cancel",
                    Class::Pending => "ours only, inside the grace window: run again later",
                    Class::IncompleteWindow => {
                        "ours only, before the exchange export's history starts"
                    }
                    _ => "ours only",
                }
                .into(),
            );
            breaks.push(b);
            continue;
        }
        // Both sides have the key.
        let corrected = match (pstate, cur) {
            (1, Some(_)) => Some(None),
            (2, None) => Some(ex_prev.get(&ixu)),
            (2, Some(c)) => ex_prev
                .get(&ixu)
                .filter(|pv| !same(pv, &ex_prev_arena, c, &ex_arena, tol))
                .map(Some),
            _ => None,
        };
        if let Some(prev) = corrected {
            let mut b = Break::new(kind, Class::Corrected, view.key(f, ia));
            let (now, now_arena) = match cur {
                Some(c) => (c, &ex_arena),
                None => (f, ia),
            };
            let (before, before_arena) = match prev {
                Some(pv) => (pv, &ex_prev_arena),
                None => (f, ia),
            };
            b.fields = as_changes(view.diffs(before, before_arena, now, now_arena, tol), false);
            b.internal = Some(view.rec(f, ia, INT));
            b.exchange = Some(match cur {
                Some(c) => view.rec(c, &ex_arena, EXC),
                None => view.rec(f, ia, INT),
            });
            b.previous = Some(match prev {
                Some(pv) => view.rec(pv, &ex_prev_arena, PEXC),
                None => view.rec(f, ia, INT),
            });
            b.note = Some(
                if cur.is_none() {
                    "the exchange corrected this fill since the previous run; it now agrees with ours"
                } else {
                    "the exchange changed this fill since the previous run"
                }
                .into(),
            );
            breaks.push(b);
            continue;
        }
        let after_cancel = f.flags & AFTER_CANCEL != 0
            || ex_cancel.contains(&ixu)
            || cur.is_some_and(|c| c.flags & AFTER_CANCEL != 0);
        match cur {
            None if !after_cancel => matched += 1,
            _ => {
                let class = if after_cancel {
                    Class::FillAfterCancel
                } else if cur.is_some_and(|c| fee_asset_differs(f, c)) {
                    Class::FeeAssetDiff
                } else {
                    Class::ValueDiff
                };
                let mut b = Break::new(kind, class, view.key(f, ia));
                b.internal = Some(view.rec(f, ia, INT));
                match cur {
                    Some(c) => {
                        b.fields = as_fields(view.diffs(f, ia, c, &ex_arena, tol));
                        b.exchange = Some(view.rec(c, &ex_arena, EXC));
                    }
                    None => {
                        let mut m = view.rec(f, ia, INT);
                        m.insert("note".into(), "equal to ours".into());
                        b.exchange = Some(m);
                    }
                }
                if class == Class::FillAfterCancel {
                    b.note = Some("the fill is later than its order's cancel".into());
                }
                breaks.push(b);
            }
        }
    }

    // Same-key rows on our side.
    let mut occ: HashMap<(usize, u32), u32> = HashMap::new();
    for (first, f) in &int_extras {
        let o = occ.entry((INT, *first)).or_insert(1);
        *o += 1;
        let g = &int.fills[*first as usize];
        let dup = identical(g, ia, f, ia);
        let class = if dup {
            Class::Duplicate
        } else {
            Class::Conflict
        };
        let mut b = Break::new(kind, class, with_dup(view.key(f, ia), "internal", *o));
        if !dup {
            b.fields = as_changes(view.diffs(g, ia, f, ia, 0), true);
        }
        b.internal = Some(view.rec(f, ia, INT));
        b.previous = Some(view.rec(g, ia, INT));
        b.note = Some(format!("our key appears again (first on line {})", g.line));
        breaks.push(b);
    }
    // Same-key rows on their side, for keys we have.
    for (ix, f) in &extras {
        let o = occ.entry((EXC, *ix)).or_insert(1);
        *o += 1;
        let ours = &int.fills[*ix as usize];
        let (first, first_arena) = match diffs.get(ix) {
            Some(c) => (*c, &ex_arena),
            None => {
                let mut g = *ours;
                g.ts_ms += first_delta.get(*ix as usize).copied().map_or(0, i64::from);
                (g, ia)
            }
        };
        let dup = if diffs.contains_key(ix) {
            identical(&first, first_arena, f, &ex_arena)
        } else {
            same(&first, first_arena, f, &ex_arena, 0)
        };
        let class = if dup {
            Class::Duplicate
        } else {
            Class::Conflict
        };
        let mut b = Break::new(
            kind,
            class,
            with_dup(view.key(f, &ex_arena), "exchange", *o),
        );
        if !dup {
            b.fields = as_changes(view.diffs(&first, first_arena, f, &ex_arena, 0), false);
        }
        b.internal = Some(view.rec(ours, ia, INT));
        b.exchange = Some(view.rec(f, &ex_arena, EXC));
        b.note = Some("their key appears again in the export".into());
        breaks.push(b);
    }

    // Theirs only.
    let ea = &ex_only.arena;
    for g in &ex_only.fills {
        let removed_ours = int_removed.find(g, ea);
        let prev = ex_prev_only
            .find(g, ea)
            .map(|j| &ex_prev_only.fills[j as usize])
            .filter(|pv| !same(pv, &ex_prev_only.arena, g, ea, tol));
        if let Some(r) = removed_ours {
            let pv = &int_removed.fills[r as usize];
            let mut b = Break::new(kind, Class::Corrected, view.key(g, ea));
            b.exchange = Some(view.rec(g, ea, EXC));
            b.previous = Some(view.rec(pv, &int_removed.arena, PINT));
            b.note = Some(
                "we no longer have this fill (we did in the previous run); the exchange does"
                    .into(),
            );
            breaks.push(b);
            continue;
        }
        if let Some(pv) = prev {
            let mut b = Break::new(kind, Class::Corrected, view.key(g, ea));
            b.fields = as_changes(view.diffs(pv, &ex_prev_only.arena, g, ea, tol), false);
            b.exchange = Some(view.rec(g, ea, EXC));
            b.previous = Some(view.rec(pv, &ex_prev_only.arena, PEXC));
            b.note = Some(
                "the exchange changed this fill since the previous run; we do not have it".into(),
            );
            breaks.push(b);
            continue;
        }
        let class = if g.flags & AFTER_CANCEL != 0 {
            Class::FillAfterCancel
        } else if g.ts_ms > pending_from {
            Class::Pending
        } else if int_since.is_some_and(|s| g.ts_ms < s) {
            Class::IncompleteWindow
        } else {
            Class::MissingInternal
        };
        let mut b = Break::new(kind, class, view.key(g, ea));
        b.exchange = Some(view.rec(g, ea, EXC));
        b.note = Some(
            match class {
                Class::FillAfterCancel => "theirs only, and later than its order's cancel",
                Class::Pending => "theirs only, inside the grace window: run again later",
                Class::IncompleteWindow => "theirs only, before our history starts",
                _ => "theirs only",
            }
            .into(),
        );
        breaks.push(b);
    }
    for (first, g) in &ex_only_extras {
        let o = occ.entry((PEXC, *first)).or_insert(1);
        *o += 1;
        let f0 = &ex_only.fills[*first as usize];
        let dup = identical(f0, ea, g, ea);
        let class = if dup {
            Class::Duplicate
        } else {
            Class::Conflict
        };
        let mut b = Break::new(kind, class, with_dup(view.key(g, ea), "exchange", *o));
        if !dup {
            b.fields = as_changes(view.diffs(f0, ea, g, ea, 0), false);
        }
        b.exchange = Some(view.rec(g, ea, EXC));
        b.note = Some(format!(
            "their key appears again (first on line {})",
            f0.line
        ));
        breaks.push(b);
    }
    // Rows that disappeared and are nowhere now.
    for pv in &int_removed.fills {
        if ex_only.find(pv, &int_removed.arena).is_some() {
            continue;
        }
        let mut b = Break::new(kind, Class::Corrected, view.key(pv, &int_removed.arena));
        b.previous = Some(view.rec(pv, &int_removed.arena, PINT));
        b.note = Some("we no longer have this fill (we did in the previous run)".into());
        breaks.push(b);
    }
    for pv in &ex_prev_only.fills {
        if ex_only.find(pv, &ex_prev_only.arena).is_some()
            || int_removed.find(pv, &ex_prev_only.arena).is_some()
        {
            continue;
        }
        let mut b = Break::new(kind, Class::Corrected, view.key(pv, &ex_prev_only.arena));
        b.previous = Some(view.rec(pv, &ex_prev_only.arena, PEXC));
        b.note = Some(
            "the exchange no longer lists this fill (it did in the previous run); we never had it"
                .into(),
        );
        breaks.push(b);
    }

    let start = later(cx.side_start("internal"), cx.side_start("exchange"));
    Ok(cx.finish(kind, matched, breaks, None, start))
}
