#!/usr/bin/env python3
"""The fills reconciliation job done with DuckDB or polars, for scripts/bench-recon.

The same job as `opsbook-recon` on the same files (written by the
`recon-gen` example): our fills (opsbook CSV) against a Binance-style export,
exact decimals (DECIMAL(18,8): the files' quantities have 17 digits, 8 of
them fractional), duplicates and conflicts found on both sides (same key
again: identical row or not), a full outer join on (exchange, symbol,
trade_id), then per key: corrected (against the previous export),
fill_after_cancel (against cancelled orders), pending (one side only, inside
the grace window), incomplete_window (ours only, before the exchange's
history start), missing_exchange / missing_internal, matched (times within
the tolerance), fee_asset_diff, value_diff. Writes every break to a CSV and
prints the counts per class as JSON (the bench checks them against the
generator's truth).

Usage:
    recon-bench-jobs.py duckdb DIR OUT.csv
    recon-bench-jobs.py polars DIR OUT.csv
    recon-bench-jobs.py check DIR COUNTS.json        (exit 1 on a mismatch)
    recon-bench-jobs.py opsbook-counts REPORT.json   (counts of an opsbook report)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

GRACE_MS = 30_000
TOL_MS = 1_000
KEY = ["exchange", "symbol", "trade_id"]


def truth(d: Path) -> dict:
    return json.loads((d / "truth.json").read_text())


def duckdb_job(d: Path, out: Path) -> dict:
    import duckdb

    t = truth(d)
    pending_from = t["as_of_ms"] - GRACE_MS
    since = t["exchange_since_ms"]
    con = duckdb.connect()
    dec = "DECIMAL(18,8)"
    icols = (
        "{'exchange':'VARCHAR','symbol':'VARCHAR','trade_id':'BIGINT','order_id':'BIGINT',"
        f"'side':'VARCHAR','qty':'{dec}','price':'{dec}','fee':'{dec}','fee_asset':'VARCHAR','ts_ms':'BIGINT'}}"
    )
    ecols = (
        "{'symbol':'VARCHAR','id':'BIGINT','orderId':'BIGINT','side':'VARCHAR',"
        f"'qty':'{dec}','price':'{dec}','commission':'{dec}','commissionAsset':'VARCHAR','time':'BIGINT'}}"
    )
    ocols = (
        "{'exchange':'VARCHAR','symbol':'VARCHAR','order_id':'BIGINT','side':'VARCHAR','qty':'VARCHAR',"
        "'price':'VARCHAR','status':'VARCHAR','executed_qty':'VARCHAR','avg_price':'VARCHAR',"
        "'ts_ms':'BIGINT','update_ts_ms':'BIGINT'}"
    )

    def ex_select(path: Path) -> str:
        return (
            "SELECT 'binance' AS exchange, symbol, id AS trade_id, orderId AS order_id, lower(side) AS side, "
            "qty, price, commission AS fee, commissionAsset AS fee_asset, time AS ts_ms "
            f"FROM read_csv('{path}', header=true, columns={ecols})"
        )

    con.execute(f"CREATE TABLE i AS SELECT * FROM read_csv('{d / 'internal.csv'}', header=true, columns={icols})")
    con.execute(f"CREATE TABLE e AS {ex_select(d / 'exchange.csv')}")
    con.execute(f"CREATE TABLE p AS {ex_select(d / 'previous-exchange.csv')}")
    con.execute(
        f"CREATE TABLE o AS SELECT exchange, symbol, order_id, min(update_ts_ms) AS cancel_ms "
        f"FROM read_csv('{d / 'orders.csv'}', header=true, columns={ocols}) "
        "WHERE upper(status) IN ('CANCELED','CANCELLED','EXPIRED') GROUP BY ALL"
    )
    k = ", ".join(KEY)
    for t_ in ("i", "e", "p"):
        con.execute(
            f"CREATE TABLE {t_}2 AS SELECT *, row_number() OVER (PARTITION BY {k} ORDER BY rowid) AS occ FROM {t_}"
        )
    same_row = (
        "x.side = f.side AND x.qty = f.qty AND x.price = f.price AND x.fee IS NOT DISTINCT FROM f.fee "
        "AND x.fee_asset IS NOT DISTINCT FROM f.fee_asset AND x.order_id IS NOT DISTINCT FROM f.order_id "
        "AND x.ts_ms = f.ts_ms"
    )
    con.execute(
        "CREATE TABLE dups AS "
        + " UNION ALL ".join(
            f"SELECT '{side}' AS side, x.exchange, x.symbol, x.trade_id, x.occ, "
            f"CASE WHEN {same_row} THEN 'duplicate' ELSE 'conflict' END AS class "
            f"FROM {t_}2 x JOIN {t_}2 f ON x.exchange = f.exchange AND x.symbol = f.symbol "
            "AND x.trade_id = f.trade_id AND f.occ = 1 WHERE x.occ > 1"
            for side, t_ in (("internal", "i"), ("exchange", "e"))
        )
    )

    def eq(a: str, b: str) -> str:
        return (
            f"{a}.side = {b}.side AND {a}.qty = {b}.qty AND {a}.price = {b}.price "
            f"AND ({a}.fee IS NULL OR {b}.fee IS NULL OR {a}.fee = {b}.fee) "
            f"AND ({a}.fee_asset IS NULL OR {b}.fee_asset IS NULL OR {a}.fee_asset = {b}.fee_asset) "
            f"AND ({a}.order_id IS NULL OR {b}.order_id IS NULL OR {a}.order_id = {b}.order_id) "
            f"AND abs({a}.ts_ms - {b}.ts_ms) <= {TOL_MS}"
        )

    con.execute(
        f"""
        CREATE TABLE j AS
        SELECT coalesce(a.exchange, b.exchange) AS exchange, coalesce(a.symbol, b.symbol) AS symbol,
               coalesce(a.trade_id, b.trade_id) AS trade_id,
               a.qty AS i_qty, b.qty AS e_qty, a.price AS i_price, b.price AS e_price,
               a.fee AS i_fee, b.fee AS e_fee, a.fee_asset AS i_fee_asset, b.fee_asset AS e_fee_asset,
               a.ts_ms AS i_ts, b.ts_ms AS e_ts,
               CASE
                 WHEN pv.trade_id IS NOT NULL AND (b.trade_id IS NULL OR NOT ({eq('pv', 'b')})) THEN 'corrected'
                 WHEN (ca.cancel_ms IS NOT NULL AND a.ts_ms > ca.cancel_ms + {TOL_MS})
                   OR (cb.cancel_ms IS NOT NULL AND b.ts_ms > cb.cancel_ms + {TOL_MS}) THEN 'fill_after_cancel'
                 WHEN a.trade_id IS NULL AND b.ts_ms > {pending_from} THEN 'pending'
                 WHEN a.trade_id IS NULL THEN 'missing_internal'
                 WHEN b.trade_id IS NULL AND a.ts_ms > {pending_from} THEN 'pending'
                 WHEN b.trade_id IS NULL AND a.ts_ms < {since} THEN 'incomplete_window'
                 WHEN b.trade_id IS NULL THEN 'missing_exchange'
                 WHEN {eq('a', 'b')} THEN 'matched'
                 WHEN a.fee_asset <> b.fee_asset THEN 'fee_asset_diff'
                 ELSE 'value_diff'
               END AS class
        FROM (SELECT * FROM i2 WHERE occ = 1) a
        FULL OUTER JOIN (SELECT * FROM e2 WHERE occ = 1) b
          ON a.exchange = b.exchange AND a.symbol = b.symbol AND a.trade_id = b.trade_id
        LEFT JOIN (SELECT * FROM p2 WHERE occ = 1) pv
          ON pv.exchange = coalesce(a.exchange, b.exchange) AND pv.symbol = coalesce(a.symbol, b.symbol)
         AND pv.trade_id = coalesce(a.trade_id, b.trade_id)
        LEFT JOIN o ca ON ca.exchange = a.exchange AND ca.symbol = a.symbol AND ca.order_id = a.order_id
        LEFT JOIN o cb ON cb.exchange = b.exchange AND cb.symbol = b.symbol AND cb.order_id = b.order_id
        """
    )
    con.execute(
        f"""
        COPY (
          SELECT class, exchange, symbol, trade_id, NULL AS side, NULL AS occ,
                 i_qty, e_qty, i_price, e_price, i_fee, e_fee, i_fee_asset, e_fee_asset, i_ts, e_ts
          FROM j WHERE class <> 'matched'
          UNION ALL
          SELECT class, exchange, symbol, trade_id, side, occ,
                 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
          FROM dups
          ORDER BY class, exchange, symbol, trade_id, side, occ
        ) TO '{out}' (HEADER)
        """
    )
    counts = dict(con.execute("SELECT class, count(*) FROM j GROUP BY class").fetchall())
    for cls, n in con.execute("SELECT class, count(*) FROM dups GROUP BY class").fetchall():
        counts[cls] = counts.get(cls, 0) + n
    return counts


def polars_job(d: Path, out: Path) -> dict:
    import polars as pl

    t = truth(d)
    pending_from = t["as_of_ms"] - GRACE_MS
    since = t["exchange_since_ms"]
    D = pl.Decimal(18, 8)
    i = pl.scan_csv(
        d / "internal.csv",
        schema={
            "exchange": pl.String, "symbol": pl.String, "trade_id": pl.Int64, "order_id": pl.Int64,
            "side": pl.String, "qty": D, "price": D, "fee": D, "fee_asset": pl.String, "ts_ms": pl.Int64,
        },
    )
    eschema = {
        "symbol": pl.String, "id": pl.Int64, "orderId": pl.Int64, "side": pl.String, "qty": D,
        "price": D, "commission": D, "commissionAsset": pl.String, "time": pl.Int64,
    }

    def ex(path: Path) -> pl.LazyFrame:
        return pl.scan_csv(path, schema=eschema).select(
            pl.lit("binance").alias("exchange"), "symbol", pl.col("id").alias("trade_id"),
            pl.col("orderId").alias("order_id"), pl.col("side").str.to_lowercase(), "qty", "price",
            pl.col("commission").alias("fee"), pl.col("commissionAsset").alias("fee_asset"),
            pl.col("time").alias("ts_ms"),
        )

    e = ex(d / "exchange.csv")
    p = ex(d / "previous-exchange.csv")
    o = (
        pl.scan_csv(d / "orders.csv", infer_schema=False)
        .filter(pl.col("status").str.to_uppercase().is_in(["CANCELED", "CANCELLED", "EXPIRED"]))
        .select("exchange", "symbol", pl.col("order_id").cast(pl.Int64),
                pl.col("update_ts_ms").cast(pl.Int64).alias("cancel_ms"))
        .group_by("exchange", "symbol", "order_id").agg(pl.col("cancel_ms").min())
        .collect()
    )

    def occ(lf: pl.LazyFrame) -> pl.DataFrame:
        return (
            lf.with_row_index("rn")
            .with_columns(pl.col("rn").rank("ordinal").over(KEY).alias("occ"))
            .collect()
        )

    i2, e2, p2 = occ(i), occ(e), occ(p)
    payload = ["side", "qty", "price", "fee", "fee_asset", "order_id", "ts_ms"]
    dups = []
    for side, df in (("internal", i2), ("exchange", e2)):
        first = df.filter(pl.col("occ") == 1).select(KEY + payload)
        extra = df.filter(pl.col("occ") > 1)
        if extra.height:
            m = extra.join(first, on=KEY, suffix="_f")
            same = pl.lit(True)
            for c in payload:
                same = same & pl.col(c).eq_missing(pl.col(c + "_f"))
            dups.append(
                m.select(
                    pl.lit(side).alias("side"), *KEY, "occ",
                    pl.when(same).then(pl.lit("duplicate")).otherwise(pl.lit("conflict")).alias("class"),
                )
            )
    a = i2.filter(pl.col("occ") == 1).drop("rn", "occ")
    b = e2.filter(pl.col("occ") == 1).drop("rn", "occ")
    pv = p2.filter(pl.col("occ") == 1).drop("rn", "occ")
    j = a.join(b, on=KEY, how="full", suffix="_e", coalesce=True, nulls_equal=False)
    # `_e` columns are theirs; the key columns are coalesced.
    j = j.join(
        pv.rename({c: c + "_p" for c in payload}), on=KEY, how="left"
    ).join(
        o.rename({"order_id": "order_id", "cancel_ms": "cancel_a"}), on=["exchange", "symbol", "order_id"], how="left"
    ).join(
        o.rename({"order_id": "order_id_e", "cancel_ms": "cancel_b"}), on=["exchange", "symbol", "order_id_e"], how="left"
    )
    has_a = pl.col("ts_ms").is_not_null()
    has_b = pl.col("ts_ms_e").is_not_null()
    has_p = pl.col("ts_ms_p").is_not_null()

    def eq(x: str, y: str) -> pl.Expr:
        c = lambda n, s: pl.col(n + s)  # noqa: E731
        return (
            (c("side", x) == c("side", y)) & (c("qty", x) == c("qty", y)) & (c("price", x) == c("price", y))
            & (c("fee", x).is_null() | c("fee", y).is_null() | (c("fee", x) == c("fee", y)))
            & (c("fee_asset", x).is_null() | c("fee_asset", y).is_null() | (c("fee_asset", x) == c("fee_asset", y)))
            & (c("order_id", x).is_null() | c("order_id", y).is_null() | (c("order_id", x) == c("order_id", y)))
            & ((c("ts_ms", x) - c("ts_ms", y)).abs() <= TOL_MS)
        )

    cls = (
        pl.when(has_p & (~has_b | ~eq("_p", "_e").fill_null(False))).then(pl.lit("corrected"))
        .when((pl.col("cancel_a").is_not_null() & (pl.col("ts_ms") > pl.col("cancel_a") + TOL_MS))
              | (pl.col("cancel_b").is_not_null() & (pl.col("ts_ms_e") > pl.col("cancel_b") + TOL_MS)))
        .then(pl.lit("fill_after_cancel"))
        .when(~has_a & (pl.col("ts_ms_e") > pending_from)).then(pl.lit("pending"))
        .when(~has_a).then(pl.lit("missing_internal"))
        .when(~has_b & (pl.col("ts_ms") > pending_from)).then(pl.lit("pending"))
        .when(~has_b & (pl.col("ts_ms") < since)).then(pl.lit("incomplete_window"))
        .when(~has_b).then(pl.lit("missing_exchange"))
        .when(eq("", "_e")).then(pl.lit("matched"))
        .when(pl.col("fee_asset") != pl.col("fee_asset_e")).then(pl.lit("fee_asset_diff"))
        .otherwise(pl.lit("value_diff"))
    )
    j = j.with_columns(cls.alias("class"))
    breaks = j.filter(pl.col("class") != "matched").select(
        "class", *KEY, pl.col("qty").cast(pl.String).alias("i_qty"), pl.col("qty_e").cast(pl.String).alias("e_qty"),
        pl.col("price").cast(pl.String).alias("i_price"), pl.col("price_e").cast(pl.String).alias("e_price"),
        "ts_ms", "ts_ms_e",
    )
    breaks.sort("class", *KEY).write_csv(out)
    counts = dict(j.group_by("class").len().iter_rows())
    for df in dups:
        for c, n in df.group_by("class").len().iter_rows():
            counts[c] = counts.get(c, 0) + n
    if dups:
        pl.concat(dups).sort("class", *KEY).write_csv(str(out) + ".dups.csv")
    return counts


def check(d: Path, counts: dict) -> list[str]:
    t = truth(d)
    want = {c: len(keys) for c, keys in t["breaks"].items() if keys}
    want["matched"] = t["matched"]
    got = {c: n for c, n in counts.items() if n}
    problems = []
    for c in sorted(set(want) | set(got)):
        if want.get(c, 0) != got.get(c, 0):
            problems.append(f"{c}: expected {want.get(c, 0)}, got {got.get(c, 0)}")
    return problems


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = sys.argv[1]
    if cmd in ("duckdb", "polars"):
        d, out = Path(sys.argv[2]), Path(sys.argv[3])
        counts = duckdb_job(d, out) if cmd == "duckdb" else polars_job(d, out)
        print(json.dumps(counts, sort_keys=True))
        return 0
    if cmd == "opsbook-counts":
        r = json.loads(Path(sys.argv[2]).read_text())
        counts = {c: n for c, n in r["summary"]["classes"].items()}
        counts["matched"] = r["summary"]["matched"]
        print(json.dumps(counts, sort_keys=True))
        return 0
    if cmd == "check":
        d, counts = Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text())
        problems = check(d, counts)
        for p in problems:
            print(p)
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
