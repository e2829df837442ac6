#!/usr/bin/env python3
"""Reference figures for opsbook-marketdata's corpus tests.

Independent oracle: plain Python (stdlib; polars only to read Arrow IPC /
Parquet) that shares no code with the Rust crate. It re-implements each
check from the exchanges' documentation, in the simplest way (whole files in
memory), over the real recordings in ../shared/corpus:

  * contiguous trade IDs: a gap is a break `id != previous + 1` with
    `id > previous + 1`; missing = sum of (id - previous - 1);
  * aggregate trades: `a` contiguous and `f == previous l + 1`;
  * Binance diff depth: drop events with `u < L` (futures) / `u <= L` (spot)
    for a snapshot `L`; the first remaining event must satisfy
    `U <= L(+1) <= u`; then `pu == previous u` (futures) / `U == previous u + 1`;
  * OKX books: CRC32 over `bid:size:ask:size:...` of the top 25 levels of the
    book kept from the snapshot, compared as a signed 32-bit integer;
  * candles: slots on the interval grid; a missing 1m slot is "no trade"
    when the 5m candle of its window exists and its volume equals the sum of
    the 1m volumes present in the window;
  * clock: receive time (cryptofeed prefix, Tardis local_timestamp) before
    the exchange time (Binance `E`, Coinbase `time`, OKX `ts`, Tardis
    `timestamp`).

Usage: python3 scripts/marketdata-figures.py [--corpus DIR] [--json-out PATH]
(needs `pip install polars` for the feather / Parquet figures).
"""
from __future__ import annotations

import argparse
import binascii
import csv
import datetime as dt
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = (HERE.parent / ".." / "shared" / "corpus").resolve()


def id_breaks(ids):
    """(gap ranges, missing, duplicates-or-backwards) for a list of ints."""
    gaps, missing, back = 0, 0, 0
    for p, c in zip(ids, ids[1:]):
        if c > p + 1:
            gaps += 1
            missing += c - p - 1
        elif c <= p:
            back += 1
    return gaps, missing, back


def freqtrade(c: Path, out: dict):
    t = c / "freqtrade-testdata/tests/testdata"
    rows = list(csv.DictReader(open(t / "orderflow/public_trades_list.csv", newline="")))
    ids = [int(r["id"]) for r in rows]
    out["ft_public_trades"] = {"rows": len(rows), "first": ids[0], "last": ids[-1], "breaks": id_breaks(ids)}

    arr = json.load(gzip.open(t / "XRP_ETH-trades.json.gz"))
    ids = [int(r[1]) for r in arr]
    g, m, b = id_breaks(ids)
    out["ft_xrp_eth_json"] = {"rows": len(arr), "gaps": g, "missing": m, "backwards": b}

    old = json.load(gzip.open(t / "XRP_OLD-trades.json.gz"))
    a = [r["info"]["a"] for r in old]
    g, m, b = id_breaks(a)
    fbreak = 0
    for p, q in zip(old, old[1:]):
        if q["info"]["a"] == p["info"]["a"] + 1 and q["info"]["f"] != p["info"]["l"] + 1:
            fbreak += 1
    out["ft_xrp_old_json"] = {"rows": len(old), "gaps": g, "missing": m, "backwards": b, "f_chain_breaks": fbreak}

    kr = [l.rstrip("\n") for l in open(t / "kraken/trades_csv/BCHEUR.csv") if l.strip()]
    out["kraken_bcheur"] = kraken(kr)
    kr2 = [l.rstrip("\n") for l in open(t / "kraken/trades_csv/incremental_q2/BCHEUR.csv") if l.strip()]
    out["kraken_bcheur_q2"] = kraken(kr2)

    candles = json.load(open(t / "UNITTEST_BTC-1m.json"))
    ts = [r[0] for r in candles]
    out["unittest_btc_1m"] = {"rows": len(ts), **grid_gaps(ts, 60_000)}

    try:
        import polars as pl
    except ImportError:
        print("polars missing: feather/parquet figures skipped", file=sys.stderr)
        return
    pq = pl.read_parquet(t / "XRP_ETH-trades.parquet")
    ids = [int(x) for x in pq["id"].to_list()]
    g, m, b = id_breaks(ids)
    out["ft_xrp_eth_parquet"] = {"rows": pq.height, "gaps": g, "missing": m, "backwards": b}

    one = pl.read_ipc(t / "XRP_ETH-1m.feather")
    five = pl.read_ipc(t / "XRP_ETH-5m.feather")
    ts1 = [x // 1_000_000 for x in one["date"].cast(pl.Int64).to_list()]
    ts5 = [x // 1_000_000 for x in five["date"].cast(pl.Int64).to_list()]
    v1 = dict(zip(ts1, one["volume"].to_list()))
    v5 = dict(zip(ts5, five["volume"].to_list()))
    missing = []
    for p, q in zip(ts1, ts1[1:]):
        missing.extend(range(p + 60_000, q, 60_000))
    quiet = lost = unproven = 0
    status = []
    for s in missing:
        w = s - s % 300_000
        if w not in v5:
            unproven += 1
            status.append((s, "gap"))
            continue
        sm = sum(v1.get(w + k * 60_000, 0.0) for k in range(5))
        if abs(sm - v5[w]) <= 1e-9 * max(abs(v5[w]), abs(sm), 1e-12):
            quiet += 1
            status.append((s, "no_trade"))
        else:
            lost += 1
            status.append((s, "gap"))
    # Findings are runs of consecutive slots with the same status inside one gap.
    runs = {"no_trade": 0, "gap": 0}
    prev = None
    for s, st in status:
        if prev is None or s != prev[0] + 60_000 or st != prev[1]:
            runs[st] += 1
        prev = (s, st)
    out["ft_xrp_eth_1m_5m"] = {
        "rows_1m": len(ts1),
        "rows_5m": len(ts5),
        "missing_1m_slots": len(missing),
        "proven_no_trade": quiet,
        "coarse_shows_trades": lost,
        "no_coarse_candle": unproven,
        "no_trade_findings": runs["no_trade"],
        "gap_findings_1m": runs["gap"],
        "gaps_5m": grid_gaps(ts5, 300_000),
    }

    fr = pl.read_ipc(t / "futures/XRP_USDT_USDT-8h-funding_rate.feather")
    tsf = [x // 1_000_000 for x in fr["date"].cast(pl.Int64).to_list()]
    h8 = 8 * 3_600_000
    offs = [(x - tsf[0]) % h8 for x in tsf]
    offs = [o if o < h8 / 2 else o - h8 for o in offs]
    out["ft_funding_8h"] = {
        "rows": len(tsf),
        "max_jitter_ms": max(abs(o) for o in offs),
        "jitter_over_10ms": sum(1 for o in offs if abs(o) > 10),
        **grid_gaps(tsf, h8, tol=1000),
    }


def kraken(lines):
    rows = [l.split(",") for l in lines]
    back = sum(1 for p, q in zip(rows, rows[1:]) if int(q[0]) < int(p[0]))
    # Identical to an earlier row with the same timestamp (rows of one timestamp are adjacent).
    dup = 0
    runs = 0
    seen = set()
    last_t = None
    prev_dup_line = None
    for i, r in enumerate(lines, start=1):
        t = r.split(",")[0]
        if t != last_t:
            seen = set()
            last_t = t
        if r in seen:
            dup += 1
            if prev_dup_line != i - 1:
                runs += 1
            prev_dup_line = i
        else:
            seen.add(r)
    return {"rows": len(lines), "backwards": back, "identical_rows": dup, "identical_runs": runs}


def grid_gaps(ts, step, tol=0):
    gaps = missing = 0
    for p, q in zip(ts, ts[1:]):
        k = round((q - p) / step)
        if k > 1:
            gaps += 1
            missing += k - 1
    return {"gap_ranges": gaps, "missing_slots": missing}


def nautilus(c: Path, out: dict):
    t = c / "nautilus-trader-testdata/tests/test_data"
    bars = list(csv.DictReader(open(t / "btc-perp-20211231-20220201_1m.csv", newline="")))
    ts = [int(dt.datetime.fromisoformat(r["timestamp"]).replace(tzinfo=dt.timezone.utc).timestamp() * 1000) for r in bars]
    out["nautilus_bars"] = {"rows": len(ts), **grid_gaps(ts, 60_000)}

    snap = list(csv.DictReader(open(t / "binance/btcusdt-depth-snap.csv", newline="")))
    upd = list(csv.DictReader(open(t / "binance/btcusdt-depth-update.csv", newline="")))
    L = {int(r["last_update_id"]) for r in snap}
    events = []
    for r in upd:
        k = (int(r["first_update_id"]), int(r["last_update_id"]), int(r["pu"]))
        if not events or events[-1] != k:
            events.append(k)
    (l,) = L
    first_applicable = [e for e in events if not e[1] < l]
    bridges = bool(first_applicable) and first_applicable[0][0] <= l <= first_applicable[0][1]
    out["nautilus_depth"] = {
        "snapshot_rows": len(snap),
        "last_update_id": l,
        "update_rows": len(upd),
        "events": len(events),
        "first_event": list(events[0]),
        "bridges": bridges,
    }

    try:
        import polars as pl
    except ImportError:
        return
    tr = pl.read_parquet(t / "binance/btcusdt-trades.parquet")
    ids = tr["trade_id"].to_list()
    g, m, b = id_breaks(ids)
    out["nautilus_trades_parquet"] = {"rows": tr.height, "gaps": g, "missing": m, "backwards": b}

    tardis = {}
    for f in sorted((t / "tardis").glob("*.csv")):
        rows = list(csv.DictReader(open(f, newline="")))
        behind = sum(1 for r in rows if int(r["local_timestamp"]) < int(r["timestamp"]))
        tardis[f.name] = {"rows": len(rows), "local_before_exchange": behind}
    out["tardis"] = tardis


def cryptofeed(c: Path, out: dict):
    d = c / "cryptofeed-sample-data/sample_data"
    res = {}
    for venue in ["BINANCE", "BINANCE_FUTURES", "BINANCE_DELIVERY"]:
        snaps = defaultdict(list)
        for line in open(d / f"{venue}.http.0.0"):
            if " -> " not in line:
                continue
            url, rest = line.split(" -> ", 1)
            body = rest.split(": ", 1)[1]
            sym = url.split("symbol=")[1].split("&")[0]
            snaps[sym.upper()].append(json.loads(body)["lastUpdateId"])
        msgs = []
        for line in open(d / f"{venue}.ws.1.0"):
            line = line.strip()
            if not line or line.startswith("wss://"):
                continue
            recv, body = line.split(": ", 1)
            msgs.append((float(recv), json.loads(body)["data"]))
        futures = venue != "BINANCE"
        depth = defaultdict(list)
        agg = defaultdict(list)
        bt = defaultdict(list)
        behind = defaultdict(int)
        stalls = defaultdict(int)
        for recv, m in msgs:
            e = m.get("e") or ("bookTicker" if "b" in m and "u" in m else "?")
            s = m.get("s")
            if e == "depthUpdate":
                depth[s].append((m["U"], m["u"], m.get("pu")))
            elif e == "aggTrade":
                agg[s].append((m["a"], m["f"], m["l"]))
            elif e == "bookTicker":
                bt[s].append(m["u"])
            if "E" in m and recv * 1e6 - m["E"] * 1000 > 10_000_000:
                stalls[s] += 1
            if "E" in m and recv * 1e6 < m["E"] * 1000:
                name = {"depthUpdate": "depth", "aggTrade": "aggTrades", "bookTicker": "bookTicker"}.get(e, e)
                if e == "kline":
                    name = "klines_" + m["k"]["i"]
                behind[f"{s} {name}"] += 1
        dres = {}
        for s, evs in sorted(depth.items()):
            ls = sorted(snaps.get(s, []))
            dres[s] = depth_chain(evs, ls, futures)
        ares = {}
        for s, rows in sorted(agg.items()):
            a = [r[0] for r in rows]
            g, m_, b = id_breaks(a)
            fb = sum(1 for p, q in zip(rows, rows[1:]) if q[0] == p[0] + 1 and q[1] != p[2] + 1)
            ares[s] = {"n": len(rows), "gaps": g, "missing": m_, "backwards": b, "f_chain_breaks": fb}
        bres = {}
        for s, us in sorted(bt.items()):
            bres[s] = {
                "n": len(us),
                "backwards": sum(1 for p, q in zip(us, us[1:]) if q < p),
                "equal": sum(1 for p, q in zip(us, us[1:]) if q == p),
            }
        res[venue] = {"messages": len(msgs), "depth": dres, "aggTrades": ares, "bookTicker": bres, "clock_behind": dict(sorted(behind.items())), "stalled_messages": sum(stalls.values())}
    res["COINBASE"] = coinbase(d / "COINBASE.ws.28.0")
    res["OKX"] = okx(d / "OKX.ws.1.0")
    out["cryptofeed"] = res


def depth_chain(evs, snaps, futures):
    """Follows Binance's procedure; returns counts of dropped/bridge/gaps."""
    if not snaps:
        return {"events": len(evs), "snapshot": None}
    L = snaps[0]
    dropped = 0
    i = 0
    while i < len(evs) and (evs[i][1] < L if futures else evs[i][1] <= L):
        dropped += 1
        i += 1
    if i == len(evs):
        return {"events": len(evs), "snapshot": L, "dropped": dropped, "bridged": False, "never_reached": True}
    U, u, _ = evs[i]
    target = L if futures else L + 1
    if not (U <= target <= u):
        return {"events": len(evs), "snapshot": L, "dropped": dropped, "bridged": False, "no_bridge_at_event": i, "unapplied": len(evs) - i}
    gaps = 0
    prev = evs[i]
    for e in evs[i + 1 :]:
        ok = e[2] == prev[1] if futures else e[0] == prev[1] + 1
        if not ok:
            gaps += 1
        prev = e
    return {"events": len(evs), "snapshot": L, "dropped": dropped, "bridged": True, "gaps": gaps}


def coinbase(path: Path):
    matches = defaultdict(list)
    l2 = set()
    behind = defaultdict(int)
    stalled = defaultdict(int)
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("wss://"):
            continue
        recv, body = line.split(": ", 1)
        m = json.loads(body)
        ty = m.get("type")
        if ty in ("match", "last_match"):
            matches[m["product_id"]].append(m["trade_id"])
        if ty in ("l2update", "snapshot"):
            l2.add(m["product_id"])
        if ty in ("match", "ticker", "l2update") and "time" in m:
            t = dt.datetime.fromisoformat(m["time"].replace("Z", "+00:00")).timestamp()
            exch_us = round(t * 1e6)
            if round(float(recv) * 1e6) - exch_us > 10_000_000:
                stalled[(m["product_id"], ty)] += 1
            if round(float(recv) * 1e6) < exch_us:
                behind[(m["product_id"], {"match": "matches", "l2update": "level2"}.get(ty, ty))] += 1
    res = {}
    for p, ids in sorted(matches.items()):
        g, mi, b = id_breaks(ids)
        res[p] = {"n": len(ids), "gaps": g, "missing": mi, "backwards": b}
    return {
        "matches": res,
        "level2_products": len(l2),
        "clock_behind_streams": len(behind),
        "clock_behind_messages": sum(behind.values()),
        "stalled_messages": sum(stalled.values()),
    }


def okx(path: Path):
    books = {}
    fails = defaultdict(int)
    checked = defaultdict(int)
    first_fail = {}
    trades = defaultdict(list)
    for n, line in enumerate(open(path), start=1):
        line = line.strip()
        if not line or line.startswith("wss://"):
            continue
        recv, body = line.split(": ", 1)
        m = json.loads(body)
        arg = m.get("arg", {})
        if arg.get("channel") == "books" and "data" in m:
            inst = arg["instId"]
            d = m["data"][0]
            if m.get("action") == "snapshot":
                books[inst] = ({}, {})
            bids, asks = books[inst]
            for side, key in ((bids, "bids"), (asks, "asks")):
                for lv in d.get(key, []):
                    if float(lv[1]) == 0:
                        side.pop(float(lv[0]), None)
                    else:
                        side[float(lv[0])] = (lv[0], lv[1])
            b = [bids[k] for k in sorted(bids, reverse=True)[:25]]
            a = [asks[k] for k in sorted(asks)[:25]]
            parts = []
            for i in range(max(len(a), len(b))):
                if i < len(b):
                    parts += list(b[i])
                if i < len(a):
                    parts += list(a[i])
            crc = binascii.crc32(":".join(parts).encode()) & 0xFFFFFFFF
            if crc >= 2**31:
                crc -= 2**32
            checked[inst] += 1
            if crc != d["checksum"]:
                fails[inst] += 1
                first_fail.setdefault(inst, n)
        if arg.get("channel") == "trades" and "data" in m:
            for t in m["data"]:
                trades[t["instId"]].append(int(t["tradeId"]))
    tr = {}
    for k, ids in sorted(trades.items()):
        g, mi, b = id_breaks(ids)
        tr[k] = {"n": len(ids), "gaps": g, "missing": mi, "backwards": b}
    return {"book_messages": dict(checked), "checksum_failures": dict(fails), "first_failure_line": first_fail, "trades": tr}


def binance_public(c: Path, out: dict):
    rows = list(csv.reader(open(c / "binance-public-data/updates/2022-10-04_aggregate_trade_updates.csv", newline="")))
    out["republished"] = {"files": len(rows) - 1, "first": rows[1][0], "first_new": rows[1][2].split()[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    ap.add_argument("--json-out", type=Path)
    a = ap.parse_args()
    out: dict = {}
    freqtrade(a.corpus, out)
    nautilus(a.corpus, out)
    cryptofeed(a.corpus, out)
    binance_public(a.corpus, out)
    text = json.dumps(out, indent=1, sort_keys=True)
    print(text)
    if a.json_out:
        a.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
