//! Balances (D-DATA-RECON): opening + trades + fees (in the fee asset) +
//! transfers + funding + realised PnL + everything else = closing, per
//! asset (and account, when every record names one); the unexplained
//! remainder per asset is the break.
//!
//! `internal` holds our movements: ledger rows, or fills (a fill moves its
//! base by ±qty, its quote by ∓qty × price, and its fee asset by −fee).
//! `exchange` holds the closing balances: a snapshot, or a ledger with a
//! running balance (the last balance closes; every row is checked against
//! the one before it — `previous + amount = balance`, and a cancelled row
//! must leave it unchanged). `opening` holds opening balances; a snapshot
//! may carry its own (BitMEX `prevAmount`), a ledger with a running balance
//! implies one (first balance − first amount).
//!
//! A remainder with a known opening is `value_diff`; with an unknown opening
//! it is `incomplete_window` (history starts mid-way: not a mismatch); with
//! movements inside the grace window it is `pending`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::decimal::delta;
use crate::engine::{RunCtx, rfc3339};
use crate::profile::RecordKind;
use crate::records::{
    Category, FillBuild, Holding, HoldingBuild, Loc, Movement, MovementBuild, split_inst,
    split_symbol,
};
use crate::report::{Break, Class, FieldDiff, Finding, Kind, Report, Severity};
use crate::{Input, ReconError, Request, Side};

/// Reads the movements of ledger and fills inputs.
pub(crate) fn movements(
    cx: &mut RunCtx<'_>,
    role: &str,
    inputs: &[Input],
) -> Result<Vec<Movement>, ReconError> {
    let mut out = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let file = u8::try_from(i).unwrap_or(u8::MAX);
        if input.profile.kind == RecordKind::Ledger {
            let one = std::slice::from_ref(input);
            let mut ms = cx.collect(role, one, &MovementBuild)?;
            for m in &mut ms {
                m.loc.file = file;
            }
            out.extend(ms);
            continue;
        }
        let names = std::sync::Arc::clone(&cx.names);
        let mut unsplit: BTreeMap<String, u64> = BTreeMap::new();
        let none = |_: &mut crate::batch::Batch<crate::records::Fill>| {};
        cx.stream(role, file, input, &FillBuild, &none, |b| {
            for f in &b.items {
                let inst = names.get(f.inst);
                let (ex, sym) = split_inst(&inst);
                let loc = Loc {
                    file,
                    line: u64::from(f.line),
                };
                let mv = |asset: String, amount: Decimal, category: Category| Movement {
                    exchange: ex.to_string(),
                    account: String::new(),
                    asset,
                    amount,
                    category,
                    operation: Some(format!(
                        "fill {}",
                        f.trade.text(&b.arena).unwrap_or_default()
                    )),
                    balance: None,
                    transfer_id: None,
                    status: None,
                    ts_ms: Some(f.ts_ms),
                    loc,
                };
                let Some((base, quote)) = split_symbol(sym) else {
                    *unsplit.entry(sym.to_string()).or_insert(0) += 1;
                    continue;
                };
                let notional = f.qty * f.price;
                let (db, dq) = if f.side == Side::Buy {
                    (f.qty, -notional)
                } else {
                    (-f.qty, notional)
                };
                out.push(mv(base, db, Category::Trade));
                out.push(mv(quote, dq, Category::Trade));
                if f.flags & crate::records::HAS_FEE != 0 && !f.fee.is_zero() && f.fee_asset != 0 {
                    out.push(mv(
                        names.get(f.fee_asset).to_string(),
                        -f.fee,
                        Category::Fee,
                    ));
                }
            }
            Ok(())
        })?;
        for (sym, n) in unsplit {
            cx.findings.push(Finding::new(
                Severity::Error,
                role,
                &input.path.display().to_string(),
                None,
                format!("{n} fill(s) of `{sym}`: cannot tell base from quote (write the symbol as BASE/QUOTE)"),
            ));
        }
    }
    Ok(out)
}

/// A running-balance break: the row, what the balance should have been.
pub(crate) struct ChainBreak<'a> {
    pub row: &'a Movement,
    pub expected: Decimal,
    pub cancelled: bool,
}

impl ChainBreak<'_> {
    /// The `balance` field: what it should have been, what the row says.
    pub fn diff(&self) -> FieldDiff {
        FieldDiff {
            field: "balance".into(),
            internal: Some(self.expected.to_string()),
            exchange: self.row.balance.map(|x| x.to_string()),
            delta: self.row.balance.and_then(|x| delta(self.expected, x)),
            previous: None,
        }
    }
}

/// Per (account, asset) in time order: opening implied by the first row,
/// and rows whose running balance does not follow.
pub(crate) fn chain<'a>(rows: &[&'a Movement]) -> (Option<Decimal>, Vec<ChainBreak<'a>>) {
    let mut sorted: Vec<&&Movement> = rows.iter().filter(|m| m.balance.is_some()).collect();
    sorted.sort_by_key(|m| (m.ts_ms, m.loc));
    let mut prev: Option<Decimal> = None;
    let mut opening = None;
    let mut out = Vec::new();
    for m in sorted {
        let Some(bal) = m.balance else { continue };
        let cancelled = m.cancelled();
        let moved = if cancelled { Decimal::ZERO } else { m.amount };
        match prev {
            None => opening = Some(bal - moved),
            Some(p) => {
                let want = p + moved;
                if want != bal {
                    out.push(ChainBreak {
                        row: m,
                        expected: want,
                        cancelled,
                    });
                }
            }
        }
        prev = Some(bal);
    }
    (opening, out)
}

pub(crate) fn mv_rec(m: &Movement, path: &str) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("account".into(), m.account.clone().into());
    r.insert("asset".into(), m.asset.clone().into());
    r.insert("amount".into(), m.amount.to_string().into());
    r.insert("category".into(), m.category.as_str().into());
    r.insert(
        "operation".into(),
        m.operation.clone().map_or(Value::Null, Value::from),
    );
    r.insert(
        "balance".into(),
        m.balance.map_or(Value::Null, |b| b.to_string().into()),
    );
    r.insert(
        "status".into(),
        m.status.clone().map_or(Value::Null, Value::from),
    );
    r.insert(
        "time".into(),
        m.ts_ms.map_or(Value::Null, |t| rfc3339(t).into()),
    );
    r.insert("file".into(), path.into());
    r.insert("line".into(), m.loc.line.into());
    r
}

fn key(account: &str, asset: &str) -> Map<String, Value> {
    let mut k = Map::new();
    if !account.is_empty() {
        k.insert("account".into(), account.into());
    }
    k.insert("asset".into(), asset.into());
    k
}

#[derive(Default, Debug, Clone)]
struct Side2 {
    by_cat: BTreeMap<Category, Decimal>,
    rows: u64,
    last_ms: Option<i64>,
}

impl Side2 {
    fn add(&mut self, m: &Movement) {
        if m.cancelled() {
            return;
        }
        *self.by_cat.entry(m.category).or_insert(Decimal::ZERO) += m.amount;
        self.rows += 1;
        if let Some(t) = m.ts_ms {
            self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
        }
    }
    fn total(&self) -> Decimal {
        self.by_cat.values().copied().sum()
    }
    fn json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for c in Category::ALL {
            if let Some(v) = self.by_cat.get(&c) {
                m.insert(c.as_str().into(), v.to_string().into());
            }
        }
        m.insert("total".into(), self.total().to_string().into());
        m.insert("rows".into(), self.rows.into());
        m
    }
}

/// Runs a balances reconciliation.
#[allow(clippy::too_many_lines)]
pub(crate) fn run(req: &Request) -> Result<Report, ReconError> {
    let mut cx = RunCtx::new(req);
    cx.check_kind(
        "internal",
        &req.internal,
        &[RecordKind::Ledger, RecordKind::Fills],
    )?;
    cx.check_kind(
        "exchange",
        &req.exchange,
        &[RecordKind::Balances, RecordKind::Ledger],
    )?;
    cx.check_kind("opening", &req.opening, &[RecordKind::Balances])?;
    if req.internal.is_empty() && req.exchange.is_empty() {
        return Err(ReconError::Usage(
            "a balances reconciliation needs movements (internal) or balances (exchange)".into(),
        ));
    }
    let p = &req.params;
    let grace = i64::try_from(p.grace.as_millis()).unwrap_or(i64::MAX);
    let pending_from = p.as_of.as_millisecond().saturating_sub(grace);
    let r = cx.req;
    let ours = movements(&mut cx, "internal", &r.internal)?;
    let mut snaps: Vec<Holding> = Vec::new();
    let mut theirs: Vec<Movement> = Vec::new();
    for input in &r.exchange {
        let one = std::slice::from_ref(input);
        if input.profile.kind == RecordKind::Ledger {
            theirs.extend(movements(&mut cx, "exchange", one)?);
        } else {
            snaps.extend(cx.collect("exchange", one, &HoldingBuild(RecordKind::Balances))?);
        }
    }
    let openings = cx.collect("opening", &r.opening, &HoldingBuild(RecordKind::Balances))?;
    let by_account = ours.iter().all(|m| !m.account.is_empty())
        && theirs.iter().all(|m| !m.account.is_empty())
        && snaps.iter().all(|s| !s.account.is_empty())
        && openings.iter().all(|s| !s.account.is_empty());
    let k = |account: &str, asset: &str| -> (String, String) {
        (
            if by_account {
                account.to_string()
            } else {
                String::new()
            },
            asset.to_string(),
        )
    };
    let path_of = |role: &str, l: Loc| {
        let list = if role == "internal" {
            &r.internal
        } else {
            &r.exchange
        };
        list.get(l.file as usize)
            .map(|i| i.path.display().to_string())
            .unwrap_or_default()
    };

    let mut keys: BTreeMap<(String, String), ()> = BTreeMap::new();
    let mut int: BTreeMap<(String, String), Side2> = BTreeMap::new();
    for m in &ours {
        let kk = k(&m.account, &m.asset);
        int.entry(kk.clone()).or_default().add(m);
        keys.insert(kk, ());
    }
    let mut ext: BTreeMap<(String, String), Side2> = BTreeMap::new();
    let mut ext_rows: BTreeMap<(String, String), Vec<&Movement>> = BTreeMap::new();
    for m in &theirs {
        let kk = k(&m.account, &m.asset);
        ext.entry(kk.clone()).or_default().add(m);
        ext_rows.entry(kk.clone()).or_default().push(m);
        keys.insert(kk, ());
    }
    let mut closing: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut opening: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for s in &snaps {
        let kk = k(&s.account, &s.item);
        *closing.entry(kk.clone()).or_insert(Decimal::ZERO) += s.qty;
        if let Some(o) = s.opening {
            *opening.entry(kk.clone()).or_insert(Decimal::ZERO) += o;
        }
        keys.insert(kk, ());
    }
    for s in &openings {
        let kk = k(&s.account, &s.item);
        *opening.entry(kk.clone()).or_insert(Decimal::ZERO) += s.qty;
        keys.insert(kk, ());
    }

    let kind = Kind::Balances;
    let mut breaks = Vec::new();
    let mut matched = 0u64;
    let mut details = Vec::new();
    for (kk, ()) in &keys {
        let rows = ext_rows.get(kk).cloned().unwrap_or_default();
        let (implied_open, chain_breaks) = chain(&rows);
        for cb in &chain_breaks {
            let mut bkey = key(&kk.0, &kk.1);
            bkey.insert("line".into(), cb.row.loc.line.into());
            let mut b = Break::new(kind, Class::ValueDiff, bkey);
            b.fields.push(cb.diff());
            b.exchange = Some(mv_rec(cb.row, &path_of("exchange", cb.row.loc)));
            b.note = Some(if cb.cancelled {
                "a cancelled movement changed the running balance".into()
            } else {
                "the running balance does not follow from the previous row and this amount".into()
            });
            breaks.push(b);
        }
        let last_balance = {
            let mut with: Vec<&&Movement> = rows.iter().filter(|m| m.balance.is_some()).collect();
            with.sort_by_key(|m| (m.ts_ms, m.loc));
            with.last().and_then(|m| m.balance)
        };
        // An opening snapshot lists what was held: an asset it does not
        // list was at zero. With no opening at all, the opening is unknown.
        let open = opening
            .get(kk)
            .copied()
            .or(implied_open)
            .or((!opening.is_empty()).then_some(Decimal::ZERO));
        let i_side = int.get(kk).cloned().unwrap_or_default();
        let e_side = ext.get(kk).cloned().unwrap_or_default();
        let close = closing.get(kk).copied().or(last_balance);
        // What we expect at the close: opening + our movements (or, with no
        // movements of ours, the exchange's own movements).
        let has_int = !r.internal.is_empty();
        let moves = if has_int {
            i_side.total()
        } else {
            e_side.total()
        };
        let expected = open.unwrap_or(Decimal::ZERO) + moves;
        let mut d = key(&kk.0, &kk.1);
        d.insert(
            "opening".into(),
            open.map_or(Value::Null, |o| o.to_string().into()),
        );
        d.insert("internal".into(), Value::Object(i_side.json()));
        d.insert("exchange".into(), Value::Object(e_side.json()));
        d.insert("expected_closing".into(), expected.to_string().into());
        d.insert(
            "closing".into(),
            close.map_or(Value::Null, |c| c.to_string().into()),
        );
        let unexplained = close.map(|c| c - expected);
        d.insert(
            "unexplained".into(),
            unexplained.map_or(Value::Null, |u| u.to_string().into()),
        );
        details.push(Value::Object(d.clone()));
        let Some(u) = unexplained else {
            continue;
        };
        if u.is_zero() {
            matched += 1;
            continue;
        }
        let recent = i_side.last_ms.is_some_and(|t| t > pending_from)
            || e_side.last_ms.is_some_and(|t| t > pending_from);
        let class = if recent {
            Class::Pending
        } else if open.is_none() {
            Class::IncompleteWindow
        } else {
            Class::ValueDiff
        };
        let mut b = Break::new(kind, class, key(&kk.0, &kk.1));
        b.fields.push(FieldDiff {
            field: "closing".into(),
            internal: Some(expected.to_string()),
            exchange: close.map(|c| c.to_string()),
            delta: Some(u.to_string()),
            previous: None,
        });
        b.internal = Some(d);
        b.note = Some(match class {
            Class::Pending => "movements inside the grace window: run again later".into(),
            Class::IncompleteWindow => {
                "no opening balance: the history may start mid-way; give one (opening) to judge it"
                    .into()
            }
            _ => format!("{u} {} unexplained", kk.1),
        });
        breaks.push(b);
    }
    let start = if opening.is_empty() {
        None
    } else {
        cx.side_start("internal").or(cx.side_start("exchange"))
    };
    Ok(cx.finish(kind, matched, breaks, Some(Value::Array(details)), start))
}
