#!/usr/bin/env python3
"""The peer of `opsbook marketdata scan` for scripts/bench-marketdata: the
same checks written with polars (lazy CSV scan, streaming engine), as a data
engineer would write them today.

trades DIR: per file (one symbol), headerless data.binance.vision trades;
    gap = id - previous id > 1 (missing = sum of the excess), duplicate =
    same id as the previous row with the same row hash, conflict = same id
    with another row hash, out of order = id below the previous one.
depth DIR: per file, the `snap` rows give lastUpdateId L; `set` rows form
    events (consecutive rows with the same first/last update id); events
    with u < L are dropped, the first must satisfy U <= L <= u, then every
    pu must equal the previous u (USD-M futures rule).
Prints one JSON object of counts.
"""
import json
import sys
from pathlib import Path

import polars as pl

TRADES = {
    "id": pl.Int64,
    "price": pl.Float64,
    "qty": pl.Float64,
    "quote_qty": pl.Float64,
    "time": pl.Int64,
    "is_buyer_maker": pl.String,
    "is_best_match": pl.String,
}


def trades(d: Path):
    out = {"gap": 0, "missing": 0, "duplicate": 0, "conflict": 0, "out_of_order": 0}
    for f in sorted(d.glob("*.csv")):
        lf = pl.scan_csv(f, has_header=False, schema=TRADES)
        bad = (
            lf.with_columns(
                d=pl.col("id").diff(),
                h=pl.struct(pl.all()).hash(),
            )
            .with_columns(ph=pl.col("h").shift(1))
            .filter(pl.col("d") != 1)
            .select("d", "h", "ph")
            .collect(engine="streaming")
        )
        for d_, h, ph in bad.iter_rows():
            if d_ is None:
                continue
            if d_ > 1:
                out["gap"] += 1
                out["missing"] += d_ - 1
            elif d_ == 0:
                out["duplicate" if h == ph else "conflict"] += 1
            else:
                out["out_of_order"] += 1
    # An isolated swapped pair (5, 7, 6, 8) reads as a gap of 1, a step back
    # and another gap of 1; count it as out of order only, as opsbook does.
    out["gap"] -= 2 * out["out_of_order"]
    out["missing"] -= 2 * out["out_of_order"]
    return out


def depth(d: Path):
    out = {"gap": 0, "no_bridge": 0, "events": 0}
    for f in sorted(d.glob("*.csv")):
        lf = pl.scan_csv(f, schema_overrides={"first_update_id": pl.Int64, "last_update_id": pl.Int64, "pu": pl.Int64})
        snap = lf.filter(pl.col("update_type") == "snap").select(pl.col("last_update_id").max()).collect(engine="streaming").item()
        ev = (
            lf.filter(pl.col("update_type") == "set")
            .select("first_update_id", "last_update_id", "pu")
            .filter(
                (pl.col("first_update_id") != pl.col("first_update_id").shift(1))
                | (pl.col("last_update_id") != pl.col("last_update_id").shift(1))
                | pl.col("first_update_id").shift(1).is_null()
            )
            .filter(pl.col("last_update_id") >= snap)
            .with_columns(prev_u=pl.col("last_update_id").shift(1), n=pl.int_range(pl.len()))
        )
        first = ev.head(1).collect(engine="streaming")
        if first.height == 0 or not (first["first_update_id"][0] <= snap <= first["last_update_id"][0]):
            out["no_bridge"] += 1
            continue
        res = ev.select(
            events=pl.len(),
            gaps=((pl.col("pu") != pl.col("prev_u")) & (pl.col("n") > 0)).sum(),
        ).collect(engine="streaming")
        out["events"] += res["events"][0]
        out["gap"] += res["gaps"][0]
    return out


if __name__ == "__main__":
    mode, d = sys.argv[1], Path(sys.argv[2])
    print(json.dumps(trades(d) if mode == "trades" else depth(d)))
