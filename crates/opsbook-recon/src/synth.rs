//! A generator of paired fills with every break class injected at known
//! keys: the ground truth for the class tests and the benchmark.
//!
//! Our side is opsbook CSV (`exchange,symbol,trade_id,order_id,side,qty,price,
//! fee,fee_asset,ts_ms`, decimals without trailing zeros); theirs is a
//! Binance-style CSV (`symbol,id,orderId,side,qty,price,commission,
//! commissionAsset,time`, eight decimals, grouped by symbol as per-symbol
//! exports are). Quantities have 17 significant digits (9 + 8). Also written:
//! cancelled orders (for `fill_after_cancel`) and the previous run's export
//! of the first `previous_rows` rows (for `corrected`).
//!
//! Row `i` has trade ID `1_000_000 + i` and time `start_ms + i × spacing_ms`;
//! `as_of` is the last row's time plus 1 s; the exchange's declared history
//! starts at row 2,000 (so at most 663 breaks a class). Injected keys are spread over the file, never on the
//! same row twice. [`Truth`] lists, per class, the keys the report must show.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::report::Class;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Base rows (one trade each).
    pub rows: u64,
    /// Injected breaks per class.
    pub per_class: u64,
    /// Rows covered by the previous run's export.
    pub previous_rows: u64,
    /// Time of row 0, ms.
    pub start_ms: i64,
    /// Time between rows, ms.
    pub spacing_ms: i64,
    /// Grace window the truth assumes, ms.
    pub grace_ms: i64,
    /// Time tolerance the truth assumes, ms.
    pub tolerance_ms: i64,
    /// PRNG seed.
    pub seed: u64,
}

impl Spec {
    /// A spec with the benchmark's shape: `rows` rows, `per_class` breaks a class.
    #[must_use]
    pub fn new(rows: u64, per_class: u64) -> Spec {
        Spec {
            rows,
            per_class,
            previous_rows: (rows / 10).max(HEAD + per_class * 40),
            start_ms: 1_767_225_600_000,
            spacing_ms: 10,
            grace_ms: 30_000,
            tolerance_ms: 1_000,
            seed: 0x5eed,
        }
    }
}

/// The files written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// Our fills (opsbook CSV).
    pub internal: PathBuf,
    /// Their fills (Binance-style CSV).
    pub exchange: PathBuf,
    /// Cancelled orders (opsbook orders CSV).
    pub orders: PathBuf,
    /// Their export in the previous run (Binance-style CSV).
    pub previous_exchange: PathBuf,
}

/// What a correct reconciliation reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    /// The `as_of` to run with, ms.
    pub as_of_ms: i64,
    /// The exchange's declared history start, ms.
    pub exchange_since_ms: i64,
    /// Keys that match.
    pub matched: u64,
    /// Per class, the keys (as the report's `key` JSON) that must be reported.
    pub breaks: BTreeMap<Class, BTreeSet<String>>,
    /// Rows written on our side and theirs.
    pub rows: (u64, u64),
}

const SYMBOLS: [&str; 8] = [
    "BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT", "TRXUSDT",
];
const HEAD: u64 = 2_000;

/// The injected role of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    MissingExchange,
    MissingInternal,
    ValueDiff,
    FeeAssetDiff,
    DupInternal,
    DupExchange,
    ConflictInternal,
    ConflictExchange,
    AfterCancel,
    Corrected,
    PendingInternal,
    PendingExchange,
    Incomplete,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[derive(Clone, Copy)]
struct Row {
    i: u64,
    order: u64,
    buy: bool,
    qty: (u64, u64),
    price: (u64, u64),
    fee: (u64, u64),
    fee_asset: &'static str,
    ts: i64,
}

fn row(spec: &Spec, i: u64) -> Row {
    let mut r = Rng(spec.seed ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let sym = SYMBOLS[(i % SYMBOLS.len() as u64) as usize];
    Row {
        i,
        order: 5_000_000 + i / 3,
        buy: r.next().is_multiple_of(2),
        qty: (100_000_000 + r.next() % 900_000_000, r.next() % 100_000_000),
        price: (1 + r.next() % 90_000, r.next() % 100_000_000),
        fee: (0, r.next() % 10_000_000),
        fee_asset: if sym.starts_with("BNB") {
            "USDT"
        } else {
            "BNB"
        },
        ts: spec.start_ms + i as i64 * spec.spacing_ms,
    }
}

/// `int.frac` with eight fractional digits, trailing zeros kept or trimmed.
fn dec(w: &mut Vec<u8>, (int, frac): (u64, u64), trim: bool) {
    let _ = write!(w, "{int}");
    if trim {
        if frac != 0 {
            let s = format!("{frac:08}");
            let _ = write!(w, ".{}", s.trim_end_matches('0'));
        }
    } else {
        let _ = write!(w, ".{frac:08}");
    }
}

fn sym(i: u64) -> &'static str {
    SYMBOLS[(i % SYMBOLS.len() as u64) as usize]
}

fn internal_line(w: &mut Vec<u8>, r: &Row) {
    let _ = write!(
        w,
        "binance,{},{},{},{},",
        sym(r.i),
        1_000_000 + r.i,
        r.order,
        if r.buy { "buy" } else { "sell" }
    );
    dec(w, r.qty, true);
    w.push(b',');
    dec(w, r.price, true);
    w.push(b',');
    dec(w, r.fee, true);
    let _ = writeln!(w, ",{},{}", r.fee_asset, r.ts);
}

fn exchange_line(w: &mut Vec<u8>, r: &Row) {
    let _ = write!(
        w,
        "{},{},{},{},",
        sym(r.i),
        1_000_000 + r.i,
        r.order,
        if r.buy { "BUY" } else { "SELL" }
    );
    dec(w, r.qty, false);
    w.push(b',');
    dec(w, r.price, false);
    w.push(b',');
    dec(w, r.fee, false);
    let _ = writeln!(w, ",{},{}", r.fee_asset, r.ts);
}

/// Their version of a row: what an injected role changes (the same in the
/// previous export as now, so those differences are not corrections), plus a
/// time skew within the tolerance on some plain rows now, and another price
/// before for a `Corrected` row.
fn theirs(r: &mut Row, ro: Role, tol: i64, now: bool) {
    match ro {
        Role::ValueDiff => match r.i % 3 {
            0 => r.qty.1 = (r.qty.1 + 1) % 100_000_000,
            1 => r.price.1 = (r.price.1 + 1) % 100_000_000,
            _ => r.ts += tol + 5,
        },
        Role::FeeAssetDiff => {
            r.fee_asset = if r.fee_asset == "BNB" { "USDT" } else { "BNB" };
            r.fee.1 += 1;
        }
        Role::AfterCancel => r.order = 9_000_000 + r.i,
        Role::Corrected if !now => r.price.0 += 1,
        Role::Plain if now && r.i.is_multiple_of(5) && tol > 0 => {
            r.ts += (r.i as i64 % tol).min(tol)
        }
        _ => {}
    }
}

/// Writes `buf` out once it holds 1 MiB.
fn spill(w: &mut impl Write, buf: &mut Vec<u8>) -> io::Result<()> {
    if buf.len() > (1 << 20) {
        w.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}

fn key(i: u64, dup: Option<(&str, u32)>) -> String {
    let mut m = serde_json::Map::new();
    m.insert("exchange".into(), "binance".into());
    m.insert("symbol".into(), sym(i).into());
    m.insert("trade_id".into(), (1_000_000 + i).to_string().into());
    if let Some((side, n)) = dup {
        m.insert("side".into(), side.into());
        m.insert("occurrence".into(), n.into());
    }
    serde_json::to_string(&m).unwrap_or_default()
}

fn roles(spec: &Spec) -> BTreeMap<u64, Role> {
    let mut out = BTreeMap::new();
    let m = spec.per_class;
    let grace_rows = (spec.grace_ms / spec.spacing_ms.max(1)) as u64;
    // Spread the middle classes over (HEAD, previous_rows) for `corrected`,
    // the rest over (HEAD, rows - 2 * grace_rows).
    let middle: [Role; 10] = [
        Role::MissingExchange,
        Role::MissingInternal,
        Role::ValueDiff,
        Role::FeeAssetDiff,
        Role::DupInternal,
        Role::DupExchange,
        Role::ConflictInternal,
        Role::ConflictExchange,
        Role::AfterCancel,
        Role::Corrected,
    ];
    let lo = HEAD + 10;
    let hi = spec.rows.saturating_sub(2 * grace_rows + 10);
    let prev_hi = spec.previous_rows.min(hi);
    for (c, role) in middle.iter().enumerate() {
        let (a, b) = if *role == Role::Corrected {
            (lo, prev_hi)
        } else {
            (lo, hi)
        };
        let span = b.saturating_sub(a);
        let step = (span / (m * middle.len() as u64 + 1)).max(1);
        for j in 0..m {
            let i = a + (j * middle.len() as u64 + c as u64) * step + step / 2;
            if i < b {
                out.insert(i, *role);
            }
        }
    }
    for j in 0..m {
        // Inside the grace window: the last grace_rows rows.
        let tail = spec.rows.saturating_sub(grace_rows / 2);
        out.insert(tail + 2 * j, Role::PendingInternal);
        out.insert(tail + 2 * j + 1, Role::PendingExchange);
        out.insert(10 + 3 * j, Role::Incomplete);
    }
    out
}

fn writer(path: &Path) -> io::Result<BufWriter<std::fs::File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path)?,
    ))
}

/// Writes the four files into `dir` and returns them with the truth.
///
/// # Errors
/// The I/O error of writing.
#[allow(clippy::too_many_lines)]
pub fn generate(spec: &Spec, dir: &Path) -> io::Result<(Files, Truth)> {
    let files = Files {
        internal: dir.join("internal.csv"),
        exchange: dir.join("exchange.csv"),
        orders: dir.join("orders.csv"),
        previous_exchange: dir.join("previous-exchange.csv"),
    };
    let roles = roles(spec);
    let role = |i: u64| roles.get(&i).copied().unwrap_or(Role::Plain);
    let tol = spec.tolerance_ms;
    let mut truth = Truth {
        as_of_ms: spec.start_ms + spec.rows as i64 * spec.spacing_ms + 1_000,
        exchange_since_ms: spec.start_ms + HEAD as i64 * spec.spacing_ms,
        matched: 0,
        breaks: Class::BREAKS
            .iter()
            .map(|c| (*c, BTreeSet::new()))
            .collect(),
        rows: (0, 0),
    };
    let mut add = |c: Class, k: String| {
        truth.breaks.entry(c).or_default().insert(k);
    };
    // Ours.
    let mut w = writer(&files.internal)?;
    w.write_all(b"exchange,symbol,trade_id,order_id,side,qty,price,fee,fee_asset,ts_ms\n")?;
    let mut buf = Vec::with_capacity(1 << 20);
    let mut rows_int = 0u64;
    for i in 0..spec.rows {
        let mut r = row(spec, i);
        let ro = role(i);
        if matches!(ro, Role::MissingInternal | Role::PendingExchange) {
            continue;
        }
        if ro == Role::AfterCancel {
            r.order = 9_000_000 + i;
        }
        internal_line(&mut buf, &r);
        rows_int += 1;
        match ro {
            Role::DupInternal => {
                internal_line(&mut buf, &r);
                rows_int += 1;
            }
            Role::ConflictInternal => {
                let mut c = r;
                c.qty.1 = (c.qty.1 + 1) % 100_000_000;
                internal_line(&mut buf, &c);
                rows_int += 1;
            }
            _ => {}
        }
        spill(&mut w, &mut buf)?;
    }
    w.write_all(&buf)?;
    w.flush()?;
    buf.clear();
    // Theirs, grouped by symbol.
    let mut w = writer(&files.exchange)?;
    w.write_all(b"symbol,id,orderId,side,qty,price,commission,commissionAsset,time\n")?;
    let mut rows_ex = 0u64;
    let k = SYMBOLS.len() as u64;
    for s in 0..k {
        let mut i = s;
        while i < spec.rows {
            let mut r = row(spec, i);
            let ro = role(i);
            i += k;
            if matches!(
                ro,
                Role::MissingExchange | Role::PendingInternal | Role::Incomplete
            ) {
                continue;
            }
            theirs(&mut r, ro, tol, true);
            exchange_line(&mut buf, &r);
            rows_ex += 1;
            match ro {
                Role::DupExchange => {
                    exchange_line(&mut buf, &r);
                    rows_ex += 1;
                }
                Role::ConflictExchange => {
                    let mut c = r;
                    c.price.1 = (c.price.1 + 7) % 100_000_000;
                    exchange_line(&mut buf, &c);
                    rows_ex += 1;
                }
                _ => {}
            }
            spill(&mut w, &mut buf)?;
        }
    }
    w.write_all(&buf)?;
    w.flush()?;
    buf.clear();
    // Cancelled orders: each `AfterCancel` fill's order was cancelled 5 s before it.
    let mut w = writer(&files.orders)?;
    w.write_all(b"exchange,symbol,order_id,side,qty,price,status,executed_qty,avg_price,ts_ms,update_ts_ms\n")?;
    for (&i, _) in roles.iter().filter(|(_, r)| **r == Role::AfterCancel) {
        let r = row(spec, i);
        writeln!(
            w,
            "binance,{},{},{},1,1,CANCELED,0,,{},{}",
            sym(i),
            9_000_000 + i,
            if r.buy { "buy" } else { "sell" },
            r.ts - 60_000,
            r.ts - 5_000
        )?;
    }
    w.flush()?;
    // The previous run's export: the first `previous_rows` rows, with the
    // `Corrected` rows at another price.
    let mut w = writer(&files.previous_exchange)?;
    w.write_all(b"symbol,id,orderId,side,qty,price,commission,commissionAsset,time\n")?;
    for i in 0..spec.previous_rows.min(spec.rows) {
        let mut r = row(spec, i);
        let ro = role(i);
        if matches!(
            ro,
            Role::MissingExchange | Role::Incomplete | Role::PendingInternal
        ) {
            continue;
        }
        theirs(&mut r, ro, tol, false);
        exchange_line(&mut buf, &r);
        spill(&mut w, &mut buf)?;
    }
    w.write_all(&buf)?;
    w.flush()?;

    let mut broken = 0u64;
    for (&i, &ro) in &roles {
        let cls = match ro {
            Role::MissingExchange => Some(Class::MissingExchange),
            Role::MissingInternal => Some(Class::MissingInternal),
            Role::ValueDiff => Some(Class::ValueDiff),
            Role::FeeAssetDiff => Some(Class::FeeAssetDiff),
            Role::AfterCancel => Some(Class::FillAfterCancel),
            Role::Corrected => Some(Class::Corrected),
            Role::PendingInternal | Role::PendingExchange => Some(Class::Pending),
            Role::Incomplete => Some(Class::IncompleteWindow),
            Role::DupInternal => {
                add(Class::Duplicate, key(i, Some(("internal", 2))));
                None
            }
            Role::DupExchange => {
                add(Class::Duplicate, key(i, Some(("exchange", 2))));
                None
            }
            Role::ConflictInternal => {
                add(Class::Conflict, key(i, Some(("internal", 2))));
                None
            }
            Role::ConflictExchange => {
                add(Class::Conflict, key(i, Some(("exchange", 2))));
                None
            }
            Role::Plain => None,
        };
        if let Some(c) = cls {
            add(c, key(i, None));
            broken += 1;
        }
    }
    truth.matched = spec.rows - broken;
    truth.rows = (rows_int, rows_ex);
    Ok((files, truth))
}
