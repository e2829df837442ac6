//! Transfers (D-DATA-RECON): the legs of an internal transfer net to
//! exactly zero, a cancelled movement never moves a balance, and — when both
//! sides are given — every transfer is on both.
//!
//! `internal` (and optionally `exchange`) hold ledger rows. Legs are the rows
//! of category `transfer`, grouped by `transfer_id`, or — for exports without
//! one, like Binance's statement — by (time, operation, asset). Per group:
//! Σ legs = 0 is matched; otherwise `value_diff` with the residual (a lone
//! leg inside the grace window is `pending`). Cancelled legs are left out of
//! the sum, and a cancelled row with a running balance must leave it
//! unchanged. With both sides, groups that carry a transfer ID are also
//! matched across sides: one side only is `missing_exchange` /
//! `missing_internal` (`pending` inside the grace window), a different net
//! per asset is `value_diff`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::balances::{chain, movements, mv_rec};
use crate::decimal::delta;
use crate::engine::{RunCtx, rfc3339};
use crate::profile::RecordKind;
use crate::records::{Category, Movement};
use crate::report::{Break, Class, FieldDiff, Kind, Report};
use crate::{ReconError, Request};

/// (transfer, asset) → (net of live legs, every leg).
type Groups<'a> = BTreeMap<(String, String), (Decimal, Vec<&'a Movement>)>;

fn group_key(m: &Movement) -> String {
    match &m.transfer_id {
        Some(t) => format!("id:{t}"),
        None => format!(
            "{}|{}",
            m.ts_ms.map_or_else(String::new, rfc3339),
            m.operation.clone().unwrap_or_default()
        ),
    }
}

fn tkey(side: &str, group: &str, asset: &str) -> Map<String, Value> {
    let mut k = Map::new();
    k.insert("side".into(), side.into());
    k.insert("transfer".into(), group.into());
    k.insert("asset".into(), asset.into());
    k
}

/// Runs a transfers reconciliation.
#[allow(clippy::too_many_lines)]
pub(crate) fn run(req: &Request) -> Result<Report, ReconError> {
    let mut cx = RunCtx::new(req);
    cx.check_kind("internal", &req.internal, &[RecordKind::Ledger])?;
    cx.check_kind("exchange", &req.exchange, &[RecordKind::Ledger])?;
    if req.internal.is_empty() {
        return Err(ReconError::Usage(
            "a transfers reconciliation needs ledger rows (internal)".into(),
        ));
    }
    let p = &req.params;
    let grace = i64::try_from(p.grace.as_millis()).unwrap_or(i64::MAX);
    let pending_from = p.as_of.as_millisecond().saturating_sub(grace);
    let r = cx.req;
    let sides = [
        ("internal", movements(&mut cx, "internal", &r.internal)?),
        ("exchange", movements(&mut cx, "exchange", &r.exchange)?),
    ];
    let kind = Kind::Transfers;
    let mut breaks = Vec::new();
    let mut matched = 0u64;
    // (side, group, asset) → (net, legs)
    let mut nets: [Groups<'_>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for (si, (side, rows)) in sides.iter().enumerate() {
        let path = |m: &Movement| {
            let list = if si == 0 { &r.internal } else { &r.exchange };
            list.get(m.loc.file as usize)
                .map(|i| i.path.display().to_string())
                .unwrap_or_default()
        };
        // Cancelled rows must not move a running balance.
        let mut by_asset: BTreeMap<(String, String), Vec<&Movement>> = BTreeMap::new();
        for m in rows {
            by_asset
                .entry((m.account.clone(), m.asset.clone()))
                .or_default()
                .push(m);
        }
        for rows in by_asset.values() {
            for cb in chain(rows).1.into_iter().filter(|c| c.cancelled) {
                let mut b = Break::new(
                    kind,
                    Class::ValueDiff,
                    tkey(side, &group_key(cb.row), &cb.row.asset),
                );
                b.fields.push(cb.diff());
                let rec = mv_rec(cb.row, &path(cb.row));
                if si == 0 {
                    b.internal = Some(rec);
                } else {
                    b.exchange = Some(rec);
                }
                b.note = Some("a cancelled movement changed the balance".into());
                breaks.push(b);
            }
        }
        for m in rows.iter().filter(|m| m.category == Category::Transfer) {
            let e = nets[si]
                .entry((group_key(m), m.asset.clone()))
                .or_insert((Decimal::ZERO, Vec::new()));
            if !m.cancelled() {
                e.0 += m.amount;
            }
            e.1.push(m);
        }
        for ((group, asset), (net, legs)) in &nets[si] {
            let live: Vec<&&Movement> = legs.iter().filter(|m| !m.cancelled()).collect();
            if net.is_zero() {
                matched += 1;
                continue;
            }
            let has_id = legs.iter().any(|m| m.transfer_id.is_some());
            // Two sides with IDs: a one-legged transfer is normal (a deposit
            // or withdrawal seen from one account); compared across sides below.
            if has_id && !r.exchange.is_empty() {
                continue;
            }
            let recent = live
                .iter()
                .any(|m| m.ts_ms.is_some_and(|t| t > pending_from));
            let class = if recent && live.len() == 1 {
                Class::Pending
            } else {
                Class::ValueDiff
            };
            let mut b = Break::new(kind, class, tkey(side, group, asset));
            b.fields.push(FieldDiff {
                field: "net".into(),
                internal: (si == 0).then(|| net.to_string()),
                exchange: (si == 1).then(|| net.to_string()),
                delta: Some(net.to_string()),
                previous: None,
            });
            let mut legs_json = Map::new();
            legs_json.insert(
                "legs".into(),
                Value::Array(
                    legs.iter()
                        .map(|m| Value::Object(mv_rec(m, &path(m))))
                        .collect(),
                ),
            );
            if si == 0 {
                b.internal = Some(legs_json);
            } else {
                b.exchange = Some(legs_json);
            }
            b.note = Some(if live.len() == 1 {
                "one leg only: the other account's leg is missing".into()
            } else {
                format!("the legs do not net to zero: {net} {asset} left over")
            });
            breaks.push(b);
        }
    }
    // Across sides, by transfer ID.
    if !r.exchange.is_empty() {
        // Cancelled-only transfers never moved anything: nothing to find on
        // the other side.
        let ids = |i: usize| -> BTreeMap<(String, String), Decimal> {
            nets[i]
                .iter()
                .filter(|((g, _), (_, legs))| {
                    g.starts_with("id:") && legs.iter().any(|m| !m.cancelled())
                })
                .map(|(k, (n, _))| (k.clone(), *n))
                .collect()
        };
        let (a, b_) = (ids(0), ids(1));
        let mut all: Vec<&(String, String)> = a.keys().chain(b_.keys()).collect();
        all.sort();
        all.dedup();
        for k in all {
            let (x, y) = (a.get(k), b_.get(k));
            let last = |i: usize| {
                nets[i]
                    .get(k)
                    .and_then(|(_, legs)| legs.iter().filter_map(|m| m.ts_ms).max())
            };
            let class = match (x, y) {
                (Some(x), Some(y)) if x == y => {
                    matched += 1;
                    continue;
                }
                (Some(_), Some(_)) => Class::ValueDiff,
                (Some(_), None) if last(0).is_some_and(|t| t > pending_from) => Class::Pending,
                (Some(_), None) => Class::MissingExchange,
                (None, Some(_)) if last(1).is_some_and(|t| t > pending_from) => Class::Pending,
                _ => Class::MissingInternal,
            };
            let mut b = Break::new(kind, class, tkey("both", &k.0, &k.1));
            b.fields.push(FieldDiff {
                field: "net".into(),
                internal: x.map(|v| v.to_string()),
                exchange: y.map(|v| v.to_string()),
                delta: match (x, y) {
                    (Some(x), Some(y)) => delta(*x, *y),
                    _ => None,
                },
                previous: None,
            });
            breaks.push(b);
        }
    }
    let start = cx.side_start("internal");
    Ok(cx.finish(kind, matched, breaks, None, start))
}
