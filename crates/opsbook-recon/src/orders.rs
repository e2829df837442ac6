//! Orders against their fills (D-DATA-RECON): Σ fills = executed quantity,
//! VWAP = average price, status consistent with what was filled, and no fill
//! after a cancel.
//!
//! `internal` holds fills (ours or the exchange's executions), `exchange` the
//! orders. Per order, key (exchange, symbol, order_id):
//! - `executed_qty`: Σ fill quantities must equal the order's executed
//!   quantity; fewer fills while the order changed inside the grace window is
//!   `pending` (fills not yet exported);
//! - `cum_quote`: Σ qty × price must equal the executed quote quantity
//!   exactly (Binance `cummulativeQuoteQty`);
//! - `avg_price`: the exact VWAP, rounded half away from zero to the
//!   precision the exchange writes the average price with, must equal it;
//! - `status`: `filled` ⇔ executed = ordered; `new`/`rejected` ⇒ nothing
//!   filled; `partially_filled` ⇒ 0 < executed < ordered; `canceled`/`expired`
//!   ⇒ executed < ordered (executed as the order states it, else Σ fills);
//! - `fill_after_cancel`: a fill later than the cancel (the order's last
//!   update) beyond the time tolerance.
//!
//! Fills of an order the export does not list are `missing_exchange` (or
//! `pending` inside the grace window); an order with an executed quantity
//! and no fill is `missing_internal` (`incomplete_window` when it was
//! created before our declared history start).

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value};

use crate::decimal::delta;
use crate::engine::{RunCtx, later, rfc3339};
use crate::profile::RecordKind;
use crate::records::{FillBuild, OrderBuild, OrderRec, OrderStatus, split_inst};
use crate::report::{Break, Class, FieldDiff, Kind, Report};
use crate::{ReconError, Request, Side};

#[derive(Debug, Default, Clone)]
struct Agg {
    qty: Decimal,
    quote: Decimal,
    fills: u64,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    sides: (bool, bool),
    times: Vec<(i64, u64)>,
    overflow: bool,
}

fn okey(exchange: &str, symbol: &str, order: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("exchange".into(), exchange.into());
    m.insert("symbol".into(), symbol.into());
    m.insert("order_id".into(), order.into());
    m
}

fn order_rec(o: &OrderRec, path: &str) -> Map<String, Value> {
    let d = |x: Option<Decimal>| x.map_or(Value::Null, |v| v.to_string().into());
    let mut m = okey(&o.exchange, &o.symbol, &o.order_id);
    m.insert(
        "side".into(),
        o.side.map_or(Value::Null, |s| s.as_str().into()),
    );
    m.insert("qty".into(), d(o.qty));
    m.insert("price".into(), d(o.price));
    m.insert("executed_qty".into(), d(o.executed));
    m.insert("avg_price".into(), d(o.avg_price));
    m.insert("cum_quote".into(), d(o.cum_quote));
    m.insert(
        "status".into(),
        o.status_text.clone().map_or(Value::Null, Value::from),
    );
    m.insert(
        "update_ms".into(),
        o.update_ms.map_or(Value::Null, Value::from),
    );
    m.insert("file".into(), path.into());
    m.insert("line".into(), o.loc.line.into());
    m
}

fn agg_rec(a: &Agg) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("fills".into(), a.fills.into());
    m.insert("executed_qty".into(), a.qty.to_string().into());
    m.insert("cum_quote".into(), a.quote.to_string().into());
    if !a.qty.is_zero()
        && let Some(v) = a.quote.checked_div(a.qty)
    {
        m.insert("vwap".into(), v.normalize().to_string().into());
    }
    m.insert(
        "first".into(),
        a.first_ms.map_or(Value::Null, |t| rfc3339(t).into()),
    );
    m.insert(
        "last".into(),
        a.last_ms.map_or(Value::Null, |t| rfc3339(t).into()),
    );
    m
}

fn diff(field: &str, ours: Decimal, theirs: Decimal) -> FieldDiff {
    FieldDiff {
        field: field.into(),
        internal: Some(ours.to_string()),
        exchange: Some(theirs.to_string()),
        delta: delta(ours, theirs),
        previous: None,
    }
}

/// The status the fills imply, given the ordered quantity.
fn implied(executed: Decimal, ordered: Option<Decimal>) -> &'static str {
    match ordered {
        _ if executed.is_zero() => "new",
        Some(q) if executed == q => "filled",
        Some(q) if executed < q => "partially_filled",
        Some(_) => "overfilled",
        None => "partially_filled",
    }
}

fn status_ok(st: OrderStatus, executed: Decimal, ordered: Option<Decimal>) -> bool {
    match st {
        OrderStatus::New | OrderStatus::Rejected => executed.is_zero(),
        OrderStatus::PartiallyFilled => !executed.is_zero() && ordered.is_none_or(|q| executed < q),
        OrderStatus::Filled => ordered.is_none_or(|q| executed == q) && !executed.is_zero(),
        OrderStatus::Canceled | OrderStatus::Expired | OrderStatus::PendingCancel => {
            ordered.is_none_or(|q| executed < q)
        }
    }
}

/// Runs an orders reconciliation.
#[allow(clippy::too_many_lines)]
pub(crate) fn run(req: &Request) -> Result<Report, ReconError> {
    let mut cx = RunCtx::new(req);
    cx.check_kind("internal", &req.internal, &[RecordKind::Fills])?;
    cx.check_kind("exchange", &req.exchange, &[RecordKind::Orders])?;
    if req.internal.is_empty() || req.exchange.is_empty() {
        return Err(ReconError::Usage(
            "an orders reconciliation needs fills (internal) and orders (exchange)".into(),
        ));
    }
    let p = &req.params;
    let tol = i64::try_from(p.tolerance.as_millis()).unwrap_or(i64::MAX);
    let grace = i64::try_from(p.grace.as_millis()).unwrap_or(i64::MAX);
    let pending_from = p.as_of.as_millisecond().saturating_sub(grace);
    let int_since = p.internal_since.map(|t| t.as_millisecond());

    // Σ per order, streaming.
    let mut aggs: BTreeMap<(String, String, String), Agg> = BTreeMap::new();
    for (i, input) in req.internal.iter().enumerate() {
        let names = std::sync::Arc::clone(&cx.names);
        let file = u8::try_from(i).unwrap_or(u8::MAX);
        let none = |_: &mut crate::batch::Batch<crate::records::Fill>| {};
        cx.stream("internal", file, input, &FillBuild, &none, |b| {
            for f in &b.items {
                let inst = names.get(f.inst);
                let (ex, sym) = split_inst(&inst);
                let order = f.order.text(&b.arena).unwrap_or_default();
                let a = aggs
                    .entry((ex.to_string(), sym.to_string(), order))
                    .or_default();
                a.qty += f.qty;
                match f
                    .qty
                    .checked_mul(f.price)
                    .and_then(|v| a.quote.checked_add(v))
                {
                    Some(v) => a.quote = v,
                    None => a.overflow = true,
                }
                a.fills += 1;
                a.first_ms = Some(a.first_ms.map_or(f.ts_ms, |x| x.min(f.ts_ms)));
                a.last_ms = Some(a.last_ms.map_or(f.ts_ms, |x| x.max(f.ts_ms)));
                match f.side {
                    Side::Buy => a.sides.0 = true,
                    Side::Sell => a.sides.1 = true,
                }
                a.times.push((f.ts_ms, u64::from(f.line)));
            }
            Ok(())
        })?;
    }
    let req_ref = cx.req;
    let orders = cx.collect("exchange", &req_ref.exchange, &OrderBuild)?;
    let opath = |o: &OrderRec| {
        req.exchange
            .get(o.loc.file as usize)
            .map(|i| i.path.display().to_string())
            .unwrap_or_default()
    };
    let kind = Kind::Orders;
    let mut breaks = Vec::new();
    let mut matched = 0u64;
    let mut seen: BTreeMap<(String, String, String), (OrderRec, u32)> = BTreeMap::new();
    for o in &orders {
        let k = (o.exchange.clone(), o.symbol.clone(), o.order_id.clone());
        if let Some((first, n)) = seen.get_mut(&k) {
            *n += 1;
            let same = first.qty == o.qty
                && first.executed == o.executed
                && first.avg_price == o.avg_price
                && first.cum_quote == o.cum_quote
                && first.status == o.status
                && first.update_ms == o.update_ms;
            let class = if same {
                Class::Duplicate
            } else {
                Class::Conflict
            };
            let mut key = okey(&o.exchange, &o.symbol, &o.order_id);
            key.insert("side".into(), "exchange".into());
            key.insert("occurrence".into(), (*n).into());
            let mut b = Break::new(kind, class, key);
            b.exchange = Some(order_rec(o, &opath(o)));
            b.previous = Some(order_rec(first, &opath(first)));
            b.note = Some(format!(
                "the order appears again (first on line {})",
                first.loc.line
            ));
            breaks.push(b);
            continue;
        }
        seen.insert(k, (o.clone(), 1));
    }
    for (k, (o, _)) in &seen {
        let a = aggs.remove(k).unwrap_or_default();
        let changed_ms = o.update_ms.or(o.ts_ms);
        let recent = changed_ms.is_some_and(|t| t > pending_from)
            || a.last_ms.is_some_and(|t| t > pending_from);
        let mut b = Break::new(
            kind,
            Class::ValueDiff,
            okey(&o.exchange, &o.symbol, &o.order_id),
        );
        b.exchange = Some(order_rec(o, &opath(o)));
        b.internal = Some(agg_rec(&a));
        // Fills after the cancel.
        if matches!(o.status, Some(OrderStatus::Canceled | OrderStatus::Expired))
            && let Some(c) = o.update_ms
        {
            let late: Vec<_> = a
                .times
                .iter()
                .filter(|(t, _)| *t > c.saturating_add(tol))
                .collect();
            if !late.is_empty() {
                b.class = Class::FillAfterCancel;
                b.fields.push(FieldDiff {
                    field: "last_fill_ms".into(),
                    internal: a.last_ms.map(|t| t.to_string()),
                    exchange: Some(c.to_string()),
                    delta: a.last_ms.map(|t| (c - t).to_string()),
                    previous: None,
                });
                b.note = Some(format!(
                    "{} fill(s) later than the cancel at {} (first on line {})",
                    late.len(),
                    rfc3339(c),
                    late.iter().map(|(_, l)| *l).min().unwrap_or(0)
                ));
                b.id = crate::report::break_id(kind, b.class, &b.key);
                breaks.push(b);
                continue;
            }
        }
        if a.overflow {
            b.note = Some("Σ qty × price overflows the exact decimal range".into());
        }
        if let Some(ex) = o.executed
            && ex != a.qty
        {
            b.fields.push(diff("executed_qty", a.qty, ex));
        }
        if let Some(cq) = o.cum_quote
            && cq != a.quote
            && !a.qty.is_zero()
        {
            b.fields.push(diff("cum_quote", a.quote, cq));
        }
        if let Some(avg) = o.avg_price
            && !a.qty.is_zero()
            && let Some(vwap) = a.quote.checked_div(a.qty)
        {
            let r = vwap.round_dp_with_strategy(
                avg.scale().max(avg.normalize().scale()),
                RoundingStrategy::MidpointAwayFromZero,
            );
            if r != avg {
                b.fields.push(diff("avg_price", r, avg));
            }
        }
        // The status must agree with what the order says it executed (or,
        // when it does not say, with what the fills add up to).
        let executed = o.executed.unwrap_or(a.qty);
        if let Some(st) = o.status
            && !status_ok(st, executed, o.qty)
        {
            b.fields.push(FieldDiff {
                field: "status".into(),
                internal: Some(implied(executed, o.qty).into()),
                exchange: Some(st.as_str().into()),
                delta: None,
                previous: None,
            });
        }
        if b.fields.is_empty() {
            matched += 1;
            continue;
        }
        let only_short = b.fields.iter().all(|f| f.field != "status") && a.qty < executed;
        if a.fills == 0 && !executed.is_zero() {
            b.class = if recent {
                Class::Pending
            } else if int_since.is_some_and(|s| o.ts_ms.or(o.update_ms).is_some_and(|t| t < s)) {
                Class::IncompleteWindow
            } else {
                Class::MissingInternal
            };
        } else if only_short && recent {
            b.class = Class::Pending;
        }
        b.note = Some(
            match b.class {
                Class::Pending => "fills missing for an order that changed inside the grace window: run again later",
                Class::MissingInternal => "the order has an executed quantity but no fill",
                Class::IncompleteWindow => "the order predates our history start",
                _ => "the fills do not add up to the order",
            }
            .into(),
        );
        b.id = crate::report::break_id(kind, b.class, &b.key);
        breaks.push(b);
    }
    // Fills of orders the export does not list.
    for ((ex, sym, order), a) in aggs {
        let class = if a.last_ms.is_some_and(|t| t > pending_from) {
            Class::Pending
        } else {
            Class::MissingExchange
        };
        let mut b = Break::new(kind, class, okey(&ex, &sym, &order));
        b.internal = Some(agg_rec(&a));
        b.note = Some(if order.is_empty() {
            "fills without an order ID".into()
        } else {
            "fills of an order the export does not list".into()
        });
        breaks.push(b);
    }
    let start = later(cx.side_start("internal"), cx.side_start("exchange"));
    Ok(cx.finish(kind, matched, breaks, None, start))
}
