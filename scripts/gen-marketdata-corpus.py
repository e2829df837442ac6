#!/usr/bin/env python3
"""Generate Binance-format CSV for scripts/bench-marketdata.

trades/SYM-trades-2025-01-01.csv  data.binance.vision spot trades, headerless:
    id,price,qty,quoteQty,time(us),isBuyerMaker,isBestMatch
depth/SYM-depth-2025-01-01.csv    USD-M depth rows with a header:
    symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu
    (a `snap` block first, then `set` events of 1-8 rows chained by pu = previous u)

Each file gets planted damage so that both tools have work to report:
trades: one gap of 3 IDs, one duplicated row, one conflicting row (same ID,
other price), one swapped pair; depth: one dropped event.
PLANTED.json lists them. Usage:
    gen-marketdata-corpus.py OUT --mb MB [--symbols N] [--seed S]
(MB = 10^6 bytes per data set.)
"""
import argparse
import json
import random
from pathlib import Path


def trades(path: Path, sym: str, target: int, rng: random.Random, planted: list):
    n_est = target // 68
    gap_at, dup_at, conf_at, swap_at = (int(n_est * f) for f in (0.2, 0.4, 0.6, 0.8))
    written = 0
    i = 0
    tid = 10_000_000
    t = 1_735_689_600_000_000
    price = 95_000.0
    with open(path, "w", newline="\n") as f:
        while written < target:
            chunk = []
            for _ in range(100_000):
                i += 1
                if i == gap_at:
                    planted.append({"file": path.name, "kind": "gap", "from": tid, "to": tid + 2})
                    tid += 3
                price += rng.choice((-0.01, 0.0, 0.01))
                qty = rng.randint(1, 99_999) / 100_000
                t += rng.randint(0, 3_000)
                row = f"{tid},{price:.2f},{qty:.5f},{price * qty:.8f},{t},{'True' if tid % 3 else 'False'},True"
                chunk.append(row)
                if i == dup_at:
                    chunk.append(row)
                    planted.append({"file": path.name, "kind": "duplicate", "id": tid})
                if i == conf_at:
                    chunk.append(f"{tid},{price + 1:.2f},{qty:.5f},{price * qty:.8f},{t},True,True")
                    planted.append({"file": path.name, "kind": "conflict", "id": tid})
                if i == swap_at + 1:
                    chunk[-1], chunk[-2] = chunk[-2], chunk[-1]
                    planted.append({"file": path.name, "kind": "out_of_order", "id": tid - 1})
                tid += 1
            s = "\n".join(chunk) + "\n"
            f.write(s)
            written += len(s)
    return written


def depth(path: Path, sym: str, target: int, rng: random.Random, planted: list):
    written = 0
    u = 2_098_041_000_000
    t = 1_667_346_579_146
    with open(path, "w", newline="\n") as f:
        head = "symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n"
        snap = "".join(f"{sym},{t},{u},{u},{'b' if k < 10 else 'a'},snap,{20377.0 + (k - 10) / 10:.2f},{rng.randint(1, 9999) / 1000:.3f},-1\n" for k in range(20))
        f.write(head + snap)
        written += len(head) + len(snap)
        # The first event straddles the snapshot (U <= lastUpdateId <= u).
        first, last = u - 5, u + 10
        s = "".join(f"{sym},{t},{first},{last},b,set,20376.90,0.{k}01,{u - 6}\n" for k in range(3))
        f.write(s)
        written += len(s)
        prev_u = last
        n_events_est = target // (60 * 4)
        drop_at = n_events_est // 2
        ev = 0
        while written < target:
            chunk = []
            for _ in range(20_000):
                ev += 1
                first = prev_u + 1 + rng.randint(0, 40)
                last = first + rng.randint(0, 60)
                t += rng.randint(0, 50)
                rows = [
                    f"{sym},{t},{first},{last},{rng.choice('ab')},set,{20300 + rng.randint(0, 2000) / 10:.2f},{rng.randint(0, 9999) / 1000:.3f},{prev_u}"
                    for _ in range(rng.randint(1, 8))
                ]
                if ev == drop_at:
                    planted.append({"file": path.name, "kind": "gap", "dropped_event": [first, last]})
                else:
                    chunk.extend(rows)
                prev_u = last
            s = "\n".join(chunk) + "\n"
            f.write(s)
            written += len(s)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--mb", type=int, default=1000)
    ap.add_argument("--symbols", type=int, default=4)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    planted = []
    sizes = {}
    per = a.mb * 1_000_000 // a.symbols
    for kind, fn in (("trades", trades), ("depth", depth)):
        d = a.out / kind
        d.mkdir(parents=True, exist_ok=True)
        total = 0
        for k in range(a.symbols):
            sym = f"SYM{k}USDT"
            total += fn(d / f"{sym}-{kind}-2025-01-01.csv", sym, per, rng, planted)
        sizes[kind] = total
    (a.out / "PLANTED.json").write_text(json.dumps({"params": vars(a) | {"out": str(a.out)}, "bytes": sizes, "planted": planted}, indent=1))


if __name__ == "__main__":
    main()
