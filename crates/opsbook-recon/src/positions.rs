//! Positions against fills (D-DATA-RECON): the net quantity the fills give
//! must equal the exchange's position, within the instrument's precision.
//!
//! `internal` holds fills, `exchange` position snapshots, `opening` optional
//! opening positions. Per instrument (exchange, symbol):
//! expected = opening + Σ signed fills (buy +, sell −) after the opening time
//! (and up to the snapshot time). The opening is the `opening` input's, else
//! the snapshot's own (`opening_qty` at `opening_ts`, as BitMEX reports it).
//!
//! Whether a difference is a break depends on whether our fills cover the
//! position's whole life: with a declared history start (`internal_since`)
//! at or before the opening time (or, with no opening, the position flat
//! before it), a difference beyond the precision step is `value_diff`
//! (`missing_exchange` when the exchange lists no position);
//! without one, the fills may start mid-position and the difference is
//! `incomplete_window` — not a mismatch, and the report says how to judge it.
//! A difference while fills arrived inside the grace window is `pending`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::decimal::delta;
use crate::engine::{RunCtx, later, rfc3339};
use crate::profile::RecordKind;
use crate::records::{FillBuild, Holding, HoldingBuild, split_inst};
use crate::report::{Break, Class, FieldDiff, Kind, Report};
use crate::{ReconError, Request, Side};

#[derive(Debug, Default, Clone)]
struct Net {
    fills: Vec<(i64, Decimal)>,
    last_ms: Option<i64>,
}

fn pkey(exchange: &str, symbol: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("exchange".into(), exchange.into());
    m.insert("symbol".into(), symbol.into());
    m
}

fn pos_rec(p: &Holding, path: &str) -> Map<String, Value> {
    let mut m = pkey(&p.exchange, &p.item);
    m.insert("qty".into(), p.qty.to_string().into());
    m.insert(
        "opening_qty".into(),
        p.opening.map_or(Value::Null, |d| d.to_string().into()),
    );
    m.insert(
        "opening".into(),
        p.opening_ms.map_or(Value::Null, |t| rfc3339(t).into()),
    );
    m.insert(
        "time".into(),
        p.ts_ms.map_or(Value::Null, |t| rfc3339(t).into()),
    );
    m.insert("file".into(), path.into());
    m.insert("line".into(), p.loc.line.into());
    m
}

/// Runs a positions reconciliation.
#[allow(clippy::too_many_lines)]
pub(crate) fn run(req: &Request) -> Result<Report, ReconError> {
    let mut cx = RunCtx::new(req);
    cx.check_kind("internal", &req.internal, &[RecordKind::Fills])?;
    cx.check_kind("exchange", &req.exchange, &[RecordKind::Positions])?;
    cx.check_kind("opening", &req.opening, &[RecordKind::Positions])?;
    if req.internal.is_empty() || req.exchange.is_empty() {
        return Err(ReconError::Usage(
            "a positions reconciliation needs fills (internal) and positions (exchange)".into(),
        ));
    }
    let p = &req.params;
    let grace = i64::try_from(p.grace.as_millis()).unwrap_or(i64::MAX);
    let pending_from = p.as_of.as_millisecond().saturating_sub(grace);
    let since = p.internal_since.map(|t| t.as_millisecond());

    let mut nets: BTreeMap<(String, String), Net> = BTreeMap::new();
    for (i, input) in req.internal.iter().enumerate() {
        let names = std::sync::Arc::clone(&cx.names);
        let none = |_: &mut crate::batch::Batch<crate::records::Fill>| {};
        cx.stream(
            "internal",
            u8::try_from(i).unwrap_or(u8::MAX),
            input,
            &FillBuild,
            &none,
            |b| {
                for f in &b.items {
                    let inst = names.get(f.inst);
                    let (ex, sym) = split_inst(&inst);
                    let n = nets.entry((ex.to_string(), sym.to_string())).or_default();
                    let q = if f.side == Side::Buy { f.qty } else { -f.qty };
                    n.fills.push((f.ts_ms, q));
                    n.last_ms = Some(n.last_ms.map_or(f.ts_ms, |t| t.max(f.ts_ms)));
                }
                Ok(())
            },
        )?;
    }
    let r = cx.req;
    let snaps = cx.collect(
        "exchange",
        &r.exchange,
        &HoldingBuild(RecordKind::Positions),
    )?;
    let openings = cx.collect("opening", &r.opening, &HoldingBuild(RecordKind::Positions))?;
    let opening_of: BTreeMap<(String, String), &Holding> = openings
        .iter()
        .map(|o| ((o.exchange.clone(), o.item.clone()), o))
        .collect();
    let path = |x: &Holding| {
        req.exchange
            .get(x.loc.file as usize)
            .map(|i| i.path.display().to_string())
            .unwrap_or_default()
    };
    let kind = Kind::Positions;
    let mut breaks = Vec::new();
    let mut matched = 0u64;
    let mut details = Vec::new();
    let mut seen: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut judge = |k: &(String, String), snap: Option<&Holding>, breaks: &mut Vec<Break>| {
        let net = nets.get(k).cloned().unwrap_or_default();
        let step = p.precision.get(&k.1).copied().unwrap_or(Decimal::ZERO);
        // The opening: ours, else the snapshot's own.
        let (open_qty, open_ms) = match opening_of.get(k) {
            Some(o) => (Some(o.qty), o.ts_ms),
            None => match snap {
                Some(s) => (s.opening, s.opening_ms),
                None => (None, None),
            },
        };
        let upto = snap.and_then(|s| s.ts_ms);
        let in_range = |t: i64| open_ms.is_none_or(|o| t > o) && upto.is_none_or(|u| t <= u);
        let sum_after: Decimal = net
            .fills
            .iter()
            .filter(|(t, _)| in_range(*t))
            .map(|(_, q)| *q)
            .sum();
        let sum_all: Decimal = net.fills.iter().map(|(_, q)| *q).sum();
        let theirs = snap.map_or(Decimal::ZERO, |s| s.qty);
        // Our fills cover the position's life when our declared history
        // starts at or before its opening (with no opening: flat before it).
        let covered = since.is_some_and(|s| open_ms.is_none_or(|o| s <= o));
        let expected = open_qty.map_or(sum_all, |o| o + sum_after);
        let diff = theirs - expected;
        let within = if step.is_zero() {
            diff.is_zero()
        } else {
            diff.abs() < step
        };
        let mut d = pkey(&k.0, &k.1);
        d.insert("fills".into(), net.fills.len().into());
        d.insert("fills_net".into(), sum_all.to_string().into());
        d.insert(
            "opening_qty".into(),
            open_qty.map_or(Value::Null, |q| q.to_string().into()),
        );
        d.insert("expected".into(), expected.to_string().into());
        d.insert(
            "position".into(),
            snap.map_or(Value::Null, |s| s.qty.to_string().into()),
        );
        d.insert("covered".into(), covered.into());
        details.push(Value::Object(d.clone()));
        if within {
            return true;
        }
        let recent = net.last_ms.is_some_and(|t| t > pending_from);
        let class = if recent {
            Class::Pending
        } else if !covered {
            Class::IncompleteWindow
        } else if snap.is_none() {
            Class::MissingExchange
        } else {
            Class::ValueDiff
        };
        let mut b = Break::new(kind, class, pkey(&k.0, &k.1));
        b.fields.push(FieldDiff {
            field: "qty".into(),
            internal: Some(expected.to_string()),
            exchange: Some(theirs.to_string()),
            delta: delta(expected, theirs),
            previous: None,
        });
        b.internal = Some(d);
        b.exchange = snap.map(|s| pos_rec(s, &path(s)));
        b.note = Some(match class {
            Class::Pending => "fills arrived inside the grace window: run again later".into(),
            Class::IncompleteWindow => format!(
                "our fills may start after the position opened; declare where our history starts (internal_since{}) to judge it",
                open_ms
                    .map(|o| format!(" at or before {}", rfc3339(o)))
                    .unwrap_or_default()
            ),
            Class::MissingExchange => "we hold a position the exchange does not list".into(),
            _ => format!(
                "the net of our fills{} differs from the position beyond the precision step {step}",
                if open_qty.is_some() {
                    " and the opening"
                } else {
                    ""
                }
            ),
        });
        breaks.push(b);
        false
    };
    for s in &snaps {
        let k = (s.exchange.clone(), s.item.clone());
        let n = seen.entry(k.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let mut key = pkey(&k.0, &k.1);
            key.insert("side".into(), "exchange".into());
            key.insert("occurrence".into(), (*n).into());
            let mut b = Break::new(kind, Class::Conflict, key);
            b.exchange = Some(pos_rec(s, &path(s)));
            b.note = Some("the instrument appears again in the position export".into());
            breaks.push(b);
            continue;
        }
        if judge(&k, Some(s), &mut breaks) {
            matched += 1;
        }
    }
    let listed: Vec<(String, String)> = seen.keys().cloned().collect();
    for k in nets.keys().cloned().collect::<Vec<_>>() {
        if listed.contains(&k) {
            continue;
        }
        if judge(&k, None, &mut breaks) {
            matched += 1;
        }
    }
    let start = since.or_else(|| later(cx.side_start("internal"), cx.side_start("exchange")));
    Ok(cx.finish(kind, matched, breaks, Some(Value::Array(details)), start))
}
