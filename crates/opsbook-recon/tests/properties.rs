#![allow(clippy::unwrap_used)]
//! Properties of the fills reconciliation: reordering rows, respelling
//! decimals (`0.5` ↔ `0.500000000` ↔ `5E-1`), splitting a file in several,
//! and the reader's block size and thread count change nothing in the
//! result (classes, keys, IDs, matched count).

use std::path::PathBuf;

use opsbook_recon::{Input, IoOptions, Kind, Params, Report, Request, reconcile};
use proptest::prelude::*;

mod common;
use common::write_rows as write;

const IHEAD: &str = "exchange,symbol,trade_id,order_id,side,qty,price,fee,fee_asset,ts_ms";
const EHEAD: &str = "symbol,id,orderId,side,qty,price,commission,commissionAsset,time";

#[derive(Debug, Clone)]
struct F {
    sym: &'static str,
    id: u64,
    order: u64,
    buy: bool,
    qty: (u64, u64),
    price: (u64, u64),
    fee: u64,
    bnb: bool,
    ts: i64,
}

fn dec((i, f): (u64, u64)) -> String {
    let s = format!("{i}.{f:08}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn fee(f: u64) -> String {
    dec((0, f))
}

fn ours(f: &F) -> String {
    format!(
        "binance,{},{},{},{},{},{},{},{},{}",
        f.sym,
        f.id,
        f.order,
        if f.buy { "buy" } else { "sell" },
        dec(f.qty),
        dec(f.price),
        fee(f.fee),
        if f.bnb { "BNB" } else { "USDT" },
        f.ts
    )
}

/// Their row, with each decimal respelled by `spell`.
fn theirs(f: &F, spell: &dyn Fn(&str, usize) -> String) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{}",
        f.sym,
        f.id,
        f.order,
        if f.buy { "BUY" } else { "SELL" },
        spell(&dec(f.qty), 0),
        spell(&dec(f.price), 1),
        spell(&fee(f.fee), 2),
        if f.bnb { "BNB" } else { "USDT" },
        f.ts
    )
}

/// How one of our fills shows up in their export.
#[derive(Debug, Clone, Copy)]
enum Op {
    Same,
    Drop,
    QtyUp,
    Twice,
}

fn fill() -> impl Strategy<Value = F> {
    (
        prop::sample::select(vec!["BTCUSDT", "ETHBTC", "SOLUSDT"]),
        0u64..1_000,
        any::<bool>(),
        (0u64..1_000_000_000, 0u64..100_000_000),
        (1u64..100_000, 0u64..100_000_000),
        0u64..10_000_000,
        any::<bool>(),
        0i64..10_000_000,
    )
        .prop_map(|(sym, order, buy, qty, price, fee, bnb, ts)| F {
            sym,
            id: 0,
            order,
            buy,
            qty,
            price,
            fee,
            bnb,
            ts: 1_700_000_000_000 + ts,
        })
}

fn case() -> impl Strategy<Value = (Vec<(F, Op)>, Vec<F>)> {
    let op = prop::sample::select(vec![
        Op::Same,
        Op::Same,
        Op::Same,
        Op::Drop,
        Op::QtyUp,
        Op::Twice,
    ]);
    (
        prop::collection::vec((fill(), op), 1..40),
        prop::collection::vec(fill(), 0..5),
    )
        .prop_map(|(mut ours, mut extra)| {
            for (i, (f, _)) in ours.iter_mut().enumerate() {
                f.id = 10_000 + i as u64 * 3;
            }
            for (i, f) in extra.iter_mut().enumerate() {
                f.id = 90_000 + i as u64;
            }
            (ours, extra)
        })
}

fn plain(s: &str, _: usize) -> String {
    s.to_string()
}

fn their_rows(ours: &[(F, Op)], extra: &[F], spell: &dyn Fn(&str, usize) -> String) -> Vec<String> {
    let mut out = Vec::new();
    for (f, op) in ours {
        match op {
            Op::Same => out.push(theirs(f, spell)),
            Op::Drop => {}
            Op::QtyUp => {
                let mut g = f.clone();
                g.qty.1 = (g.qty.1 + 1) % 100_000_000;
                if g.qty.1 == 0 {
                    g.qty.0 += 1;
                }
                out.push(theirs(&g, spell));
            }
            Op::Twice => {
                out.push(theirs(f, spell));
                out.push(theirs(f, spell));
            }
        }
    }
    out.extend(extra.iter().map(|f| theirs(f, spell)));
    out
}

fn run(internal: &[PathBuf], exchange: &[PathBuf], io: IoOptions) -> Report {
    let mut p = Params::new(opsbook_recon::parse_time("2026-01-01T00:00:00Z").unwrap());
    p.io = io;
    let mut req = Request::new(Kind::Fills, p);
    req.internal = internal
        .iter()
        .map(|x| Input::new(x, "opsbook", None).unwrap())
        .collect();
    req.exchange = exchange
        .iter()
        .map(|x| Input::new(x, "binance-mytrades", None).unwrap())
        .collect();
    reconcile(&req).unwrap()
}

/// What must not change: breaks (ID, class, key), matched, rows read.
fn outcome(r: &Report) -> (Vec<(String, String, String)>, u64, u64, u64) {
    let mut b: Vec<_> = r
        .breaks
        .iter()
        .map(|b| {
            (
                b.id.clone(),
                b.class.as_str().to_string(),
                serde_json::to_string(&b.key).unwrap(),
            )
        })
        .collect();
    b.sort();
    (
        b,
        r.summary.matched,
        r.summary.rows["internal"],
        r.summary.rows["exchange"],
    )
}

fn shuffle<T: Clone>(v: &[T], seed: u64) -> Vec<T> {
    let mut out = v.to_vec();
    let mut s = seed | 1;
    for i in (1..out.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        out.swap(i, (s % (i as u64 + 1)) as usize);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn reordering_respelling_splitting_and_block_sizes_change_nothing(
        (ours, extra) in case(),
        seed in any::<u64>(),
        parts in 1usize..4,
        block in 16usize..300,
        workers in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let our_rows: Vec<String> = ours.iter().map(|(f, _)| ours_line(f)).collect();
        let base_i = write(dir.path(), "i.csv", IHEAD, &our_rows);
        let base_e = write(dir.path(), "e.csv", EHEAD, &their_rows(&ours, &extra, &plain));
        let base = run(std::slice::from_ref(&base_i), std::slice::from_ref(&base_e), IoOptions::default());
        let want = outcome(&base);
        // The generator's own count: every `Same` and `Twice` matches.
        let same = ours.iter().filter(|(_, op)| matches!(op, Op::Same | Op::Twice)).count() as u64;
        prop_assert_eq!(want.1, same);

        // Reordered rows.
        let ri = write(dir.path(), "ri.csv", IHEAD, &shuffle(&our_rows, seed));
        let re = write(dir.path(), "re.csv", EHEAD, &shuffle(&their_rows(&ours, &extra, &plain), seed.rotate_left(7)));
        prop_assert_eq!(outcome(&run(&[ri], &[re], IoOptions::default())), want.clone());

        // Respelled decimals: trailing zeros, exponent notation.
        let respell = |s: &str, k: usize| -> String {
            match (seed as usize + k) % 3 {
                0 => if s.contains('.') { format!("{s}000000000") } else { format!("{s}.000000000") },
                1 => {
                    let (i, f) = s.split_once('.').unwrap_or((s, ""));
                    let digits = format!("{i}{f}");
                    format!("{digits}E-{}", f.len())
                }
                _ => format!("{s}E0"),
            }
        };
        let se = write(dir.path(), "se.csv", EHEAD, &their_rows(&ours, &extra, &respell));
        prop_assert_eq!(outcome(&run(std::slice::from_ref(&base_i), &[se], IoOptions::default())), want.clone());

        // Split files.
        let split = |rows: &[String], head: &str, name: &str| -> Vec<PathBuf> {
            let n = rows.len().div_ceil(parts).max(1);
            rows.chunks(n)
                .enumerate()
                .map(|(k, c)| write(dir.path(), &format!("{name}{k}.csv"), head, c))
                .collect()
        };
        let si = split(&our_rows, IHEAD, "si");
        let sx = split(&their_rows(&ours, &extra, &plain), EHEAD, "sx");
        prop_assert_eq!(outcome(&run(&si, &sx, IoOptions::default())), want.clone());

        // Tiny blocks, any number of parser threads.
        let io = IoOptions { workers, block_bytes: block };
        prop_assert_eq!(outcome(&run(&[base_i], &[base_e], io)), want);
    }
}

fn ours_line(f: &F) -> String {
    ours(f)
}
