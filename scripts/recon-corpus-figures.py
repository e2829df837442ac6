#!/usr/bin/env python3
"""Reference figures for opsbook-recon's corpus tests (../shared/corpus).

An independent oracle: plain Python (csv, json, gzip, decimal), sharing no
code or parser with the Rust crate. It states only what each file plainly
shows; the Rust tests (crates/opsbook-recon/tests/corpus.rs) compare the
reconciliation engine's output with these figures.

Usage:
    python3 scripts/recon-corpus-figures.py [--corpus DIR] [--json-out PATH]

Figures:

rotki binance_history.csv (Binance account statement)
  * rows: data lines after the header; readable rows have a time (UTC_Time),
    a coin and a Change that is a decimal number (Python Decimal, so E-05
    notation is exact); the others are listed with their 1-based line.
  * short_rows: rows with 6 cells instead of 7 (no Remark): still readable.
  * sums: per (Account, Coin), the exact sum of Change over readable rows.
  * identical_lines: lines that appear more than once, verbatim (kept: a
    statement has no row ID, and several fills of one order look alike).
  * transfers: rows whose Operation starts with "Transfer Between", grouped
    by (UTC_Time, Operation, Coin); groups whose Change sums to exactly 0.
  * operations: each distinct Operation with its first line and count.

rotki coinbasepro.csv (ledger with a running balance)
  * per unit: opening = first Balance - first Amount, closing = last
    Balance, the sum of Amount per Type, and the rows where
    previous Balance + Amount != Balance (expected: none).

nautilus BitMEX http_get_{orders,executions,positions,wallet}.json
  * per orderID: executions (execType Trade), the sum of lastQty, the exact
    VWAP sum(lastQty*lastPx)/sum(lastQty); the order's cumQty, avgPx,
    ordStatus, orderQty.
  * per symbol: the signed sum of executions (Buy +, Sell -), the first
    execution time; the position's currentQty, openingQty, openingTimestamp.
  * wallet: amount - prevAmount, the delta of deposits, withdrawals and
    transfers, the remainder they leave unexplained, and the position's
    prevRealisedPnl.

freqtrade XRP_ETH-trades.json.gz (rows [ts,id,type,side,price,amount,cost])
and XRP_OLD-trades.json.gz (ccxt trade dicts with the raw aggTrade `info`)
  * trade counts, ids unique, the number of ids in both, and how many trades
    agree on (timestamp, side, price, amount) by exact decimal value, also
    against `info` (p, q, T, and side = sell when m is true).

sha256: of every file above, as stored (what a report must record).
"""
from __future__ import annotations

import argparse
import collections
import csv
import gzip
import hashlib
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path


def dec(s: str) -> Decimal | None:
    try:
        d = Decimal(s.strip())
    except (InvalidOperation, AttributeError):
        return None
    return d if d.is_finite() else None


def s(d: Decimal) -> str:
    """Canonical text of a decimal (no exponent, no trailing zeros)."""
    d = d.normalize()
    t = format(d, "f")
    return "0" if t in ("-0", "0") else t


def rotki_statement(p: Path) -> dict:
    rows, bad, short = 0, [], 0
    sums: dict[tuple[str, str], Decimal] = collections.defaultdict(Decimal)
    counts: dict[tuple[str, str], int] = collections.Counter()
    lines_seen = collections.Counter()
    ops: dict[str, list] = {}
    groups: dict[tuple[str, str, str], Decimal] = collections.defaultdict(Decimal)
    raw = p.read_text(encoding="utf-8").splitlines()
    for line in raw[1:]:
        if line.strip():
            lines_seen[line] += 1
    with p.open(newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = next(r)
        assert header[:6] == ["User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change"], header
        for cells in r:
            if not cells:
                continue
            line = r.line_num
            rows += 1
            if len(cells) == 6:
                short += 1
            cells = cells + [""] * (7 - len(cells))
            _, t, account, op, coin, change, _remark = cells[:7]
            amount = dec(change) if change.strip() else None
            if not t.strip() or not coin.strip() or amount is None:
                bad.append(line)
                continue
            sums[(account, coin)] += amount
            counts[(account, coin)] += 1
            ops.setdefault(op, [line, 0])[1] += 1
            if op.startswith("Transfer Between"):
                groups[(t, op, coin)] += amount
    return {
        "rows": rows,
        "readable": rows - len(bad),
        "unreadable_lines": bad,
        "short_rows": short,
        "sums": {f"{a}|{c}": s(v) for (a, c), v in sorted(sums.items())},
        "counts": {f"{a}|{c}": n for (a, c), n in sorted(counts.items())},
        "identical_lines": sum(n - 1 for n in lines_seen.values() if n > 1),
        "transfer_groups": len(groups),
        "transfer_groups_net_zero": sum(1 for v in groups.values() if v == 0),
        "operations": {op: {"first_line": v[0], "count": v[1]} for op, v in sorted(ops.items())},
    }


def coinbase_ledger(p: Path) -> dict:
    per: dict[str, dict] = {}
    with p.open(newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        for row in r:
            unit = row["Amount/balance unit"]
            amount, bal = Decimal(row["Amount"]), Decimal(row["Balance"])
            u = per.setdefault(unit, {"rows": 0, "by_type": collections.defaultdict(Decimal), "breaks": []})
            if u["rows"] == 0:
                u["opening"] = bal - amount
            elif u["last"] + amount != bal:
                u["breaks"].append(r.line_num)
            u["last"] = bal
            u["rows"] += 1
            u["by_type"][row["Type"]] += amount
    out = {}
    for unit, u in sorted(per.items()):
        out[unit] = {
            "rows": u["rows"],
            "opening": s(u["opening"]),
            "closing": s(u["last"]),
            "by_type": {k: s(v) for k, v in sorted(u["by_type"].items())},
            "chain_breaks": u["breaks"],
        }
    return out


def bitmex(d: Path) -> dict:
    # parse_float=Decimal: numbers as written, exactly.
    load = lambda n: json.loads((d / n).read_text(), parse_float=Decimal, parse_int=Decimal)  # noqa: E731
    orders, execs, positions, wallet = (
        load("http_get_orders.json"), load("http_get_executions.json"),
        load("http_get_positions.json"), load("http_get_wallet.json"),
    )
    trades = [e for e in execs if e["execType"] == "Trade"]
    per_order = {}
    for o in orders:
        mine = [e for e in trades if e["orderID"] == o["orderID"]]
        q = sum((e["lastQty"] for e in mine), Decimal(0))
        notional = sum((e["lastQty"] * e["lastPx"] for e in mine), Decimal(0))
        per_order[o["orderID"]] = {
            "executions": len(mine),
            "sum_qty": s(q),
            "vwap": s(notional / q) if q else None,
            "cumQty": s(o["cumQty"]),
            "avgPx": s(o["avgPx"]) if o["avgPx"] is not None else None,
            "orderQty": s(o["orderQty"]),
            "ordStatus": o["ordStatus"],
        }
    per_symbol = {}
    for pos in positions:
        mine = [e for e in trades if e["symbol"] == pos["symbol"]]
        signed = sum((e["lastQty"] if e["side"] == "Buy" else -e["lastQty"] for e in mine), Decimal(0))
        per_symbol[pos["symbol"]] = {
            "executions": len(mine),
            "signed_sum": s(signed),
            "first_execution": min(e["transactTime"] for e in mine) if mine else None,
            "currentQty": s(pos["currentQty"]),
            "openingQty": s(pos["openingQty"]),
            "openingTimestamp": pos["openingTimestamp"],
            "difference": s(pos["currentQty"] - pos["openingQty"] - signed),
            "prevRealisedPnl": s(pos["prevRealisedPnl"]),
            "currency": pos["currency"],
        }
    w = wallet[0] if isinstance(wallet, list) else wallet
    flows = w["deltaDeposited"] - w["deltaWithdrawn"] + w["deltaTransferIn"] - w["deltaTransferOut"]
    return {
        "orders": per_order,
        "positions": per_symbol,
        "wallet": {
            "currency": w["currency"],
            "account": s(w["account"]),
            "prevAmount": s(w["prevAmount"]),
            "amount": s(w["amount"]),
            "flows": s(flows),
            "unexplained": s(w["amount"] - w["prevAmount"] - flows),
        },
    }


def freqtrade(d: Path) -> dict:
    rows = json.loads(gzip.decompress((d / "XRP_ETH-trades.json.gz").read_bytes()), parse_float=Decimal)
    dicts = json.loads(gzip.decompress((d / "XRP_OLD-trades.json.gz").read_bytes()), parse_float=Decimal)
    a = {str(r[1]): (int(r[0]), r[3], Decimal(str(r[4])), Decimal(str(r[5]))) for r in rows}
    b = {str(t["id"]): (int(t["timestamp"]), t["side"], Decimal(str(t["price"])), Decimal(str(t["amount"]))) for t in dicts}
    info = {
        str(t["info"]["a"]): (
            int(t["info"]["T"]), "sell" if t["info"]["m"] else "buy", Decimal(t["info"]["p"]), Decimal(t["info"]["q"])
        )
        for t in dicts
    }
    both = set(a) & set(b)
    return {
        "rows_trades": len(rows),
        "rows_unique_ids": len(a),
        "dicts_trades": len(dicts),
        "dicts_unique_ids": len(b),
        "ids_in_both": len(both),
        "agree_rows_vs_dicts": sum(1 for k in both if a[k] == b[k]),
        "agree_rows_vs_info": sum(1 for k in set(a) & set(info) if a[k] == info[k]),
        "symbols": sorted({t["symbol"] for t in dicts}),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    here = Path(__file__).resolve().parent.parent
    ap.add_argument("--corpus", default=str(here.parent / "shared" / "corpus"))
    ap.add_argument("--json-out")
    args = ap.parse_args()
    c = Path(args.corpus)
    figures = {
        "rotki_binance_statement": rotki_statement(c / "rotki-testdata/rotkehlchen/tests/data/binance_history.csv"),
        "rotki_coinbasepro": coinbase_ledger(c / "rotki-testdata/rotkehlchen/tests/data/coinbasepro.csv"),
        "bitmex": bitmex(c / "nautilus-trader-testdata/crates/adapters/bitmex/test_data"),
        "freqtrade": freqtrade(c / "freqtrade-testdata/tests/testdata"),
    }
    figures["sha256"] = {
        rel: hashlib.sha256((c / rel).read_bytes()).hexdigest()
        for rel in (
            "rotki-testdata/rotkehlchen/tests/data/binance_history.csv",
            "rotki-testdata/rotkehlchen/tests/data/coinbasepro.csv",
            "nautilus-trader-testdata/crates/adapters/bitmex/test_data/http_get_orders.json",
            "nautilus-trader-testdata/crates/adapters/bitmex/test_data/http_get_executions.json",
            "nautilus-trader-testdata/crates/adapters/bitmex/test_data/http_get_positions.json",
            "nautilus-trader-testdata/crates/adapters/bitmex/test_data/http_get_wallet.json",
            "freqtrade-testdata/tests/testdata/XRP_ETH-trades.json.gz",
            "freqtrade-testdata/tests/testdata/XRP_OLD-trades.json.gz",
        )
    }
    text = json.dumps(figures, indent=2, sort_keys=True) + "\n"
    if args.json_out:
        Path(args.json_out).write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
