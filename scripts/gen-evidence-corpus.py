#!/usr/bin/env python3
"""Generate a trading-platform log corpus with planted FAKE secrets, for
benchmarking `opsbook evidence scan` / `collect` (scripts/bench-evidence).

Usage:
    gen-evidence-corpus.py OUT_DIR [--mb 1000] [--files 100] [--seed 42]
                           [--secrets-per-file 24] [--no-clean]
                           [--jobs N] [--skip-if-current]

Writes (paths relative to OUT_DIR):

    logs/NNN-<kind>.log   --files files, --mb MB (10^6 bytes) in total, of
                          log lines as a Windows trading host writes them:
                          engine/order logs (ISO timestamps, order IDs,
                          symbols, prices), JSON lines, HTTP access lines,
                          exchange REST client debug lines, PowerShell
                          transcripts (CRLF), Windows paths (D:\\trading\\...).
                          --secrets-per-file lines per file carry one planted
                          fake secret each (PEM blocks span several lines).
    PLANTED.tsv           file <TAB> line <TAB> class <TAB> variant <TAB> lines,
                          one row per planted secret (line is 1-based; for a
                          multi-line PEM block, the BEGIN line; lines = how
                          many lines the secret spans, BEGIN..END for PEM).
    clean/NNN-<kind>.log  the same number of files and bytes, same generator,
                          no planted secret (the "logs without secrets"
                          throughput); skipped with --no-clean.
    .gen-stamp            parameters + generator hash (--skip-if-current).

Planted classes (the built-in rule classes of
crates/opsbook-evidence/src/redact.rs), each in a few realistic contexts
("variant" column):
    labelled_secret      api_key=, "api_secret": "...", password: (config
                         dump), PowerShell Format-List `ApiSecret : ...`,
                         ?token= in a URL, OKX "passphrase"
    x_mbx_apikey         X-MBX-APIKEY: <64 alnum> request header dump, and
                         the same header in a JSON headers map
    request_signature    &signature=<64 hex> in a signed Binance URL and body
    bearer_token         Authorization: Bearer <token> (header line, JSON)
    jwt                  a JWT (HS256 header, base64url JSON payload)
    pem_private_key      multi-line RSA / EC / PKCS#8 / OpenSSH private key
    postgres_url         postgres[ql]://user:pass@host:5432/db
    aws_access_key_id    AKIA + 16 (config line, JSON, S3 presigned URL)
    telegram_bot_token   digits:35 (alert config line, Bot API URL)
    slack_webhook        https://hooks.slack.com/services/T../B../...
    github_token         ghp_ + 36 (env line, token in a git remote URL)

Every secret is random and fake, but format-valid. Output is deterministic
for a given (mb, files, seed, secrets-per-file) and generator version; files
are generated in parallel (--jobs) from per-file seeds. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import string
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

GENERATOR_VERSION = 1

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "_-"

SYMBOLS = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT",
           "DOGEUSDT", "ETHBTC", "BTC-USDT-SWAP", "ETH-USDT-SWAP", "BTCJPY",
           "ETHJPY", "USDJPY", "7203.T", "6758.T", "9984.T"]
VENUES = ["binance", "okx", "bybit", "bitflyer", "kabu", "gmo"]
COMPONENTS = ["engine", "oms", "risk", "md-feed", "gateway", "recon",
              "scheduler", "pnl", "hedger", "watchdog"]
LEVELS = ["INFO"] * 14 + ["DEBUG"] * 6 + ["WARN"] * 2 + ["ERROR"]
STATUSES = ["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "REJECTED", "EXPIRED"]
HTTP_PATHS = ["/api/v3/order", "/api/v3/openOrders", "/api/v3/account",
              "/api/v5/trade/order", "/v5/order/create", "/fapi/v1/positionRisk",
              "/api/v3/depth", "/healthz", "/metrics"]
KINDS = ["engine", "oms-json", "gateway-http", "restclient", "powershell"]


def rstr(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choices(alphabet, k=n))


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# --------------------------------------------------------------------------
# ordinary lines
# --------------------------------------------------------------------------

class Clock:
    """Monotonic fake timestamps: 2026-11-29 from 00:00, a few ms per line."""

    def __init__(self, rng: random.Random, start_ms: int) -> None:
        self.rng = rng
        self.ms = start_ms

    def tick(self) -> str:
        self.ms += self.rng.randint(0, 7)
        ms = self.ms % 86_400_000
        h, r = divmod(ms, 3_600_000)
        m, r = divmod(r, 60_000)
        s, f = divmod(r, 1000)
        return f"2026-11-29T{h:02d}:{m:02d}:{s:02d}.{f:03d}Z"


def order_id(rng: random.Random) -> str:
    return str(rng.randint(10**10, 10**11))


def client_id(rng: random.Random) -> str:
    return "ob-" + rstr(rng, HEX, 12)


def price(rng: random.Random) -> str:
    return f"{rng.uniform(0.1, 99000):.2f}"


def engine_line(rng: random.Random, ts: str) -> str:
    r = rng.random()
    lvl = rng.choice(LEVELS)
    comp = rng.choice(COMPONENTS)
    sym = rng.choice(SYMBOLS)
    if r < 0.35:
        return (f"{ts} {lvl:5s} [{comp}] order {order_id(rng)} clientOrderId={client_id(rng)} "
                f"{sym} {rng.choice(('BUY', 'SELL'))} qty={rng.randint(1, 5000) / 1000:.3f} "
                f"px={price(rng)} status={rng.choice(STATUSES)}")
    if r < 0.55:
        return (f"{ts} {lvl:5s} [{comp}] fill {sym} execId={rng.randint(10**8, 10**9)} "
                f"lastPx={price(rng)} lastQty={rng.randint(1, 900) / 100:.2f} "
                f"commission={rng.random() / 100:.6f} USDT latency_us={rng.randint(80, 9000)}")
    if r < 0.68:
        return (f"{ts} {lvl:5s} [risk] {sym} position={rng.uniform(-3, 3):.4f} "
                f"notional={rng.uniform(0, 250000):.2f} limit=250000.00 util={rng.random() * 100:.1f}% ok")
    if r < 0.78:
        return (f"{ts} {lvl:5s} [{comp}] writing snapshot to D:\\trading\\state\\{sym.lower()}-"
                f"{rng.randint(0, 99999):05d}.bin ({rng.randint(1000, 900000)} bytes)")
    if r < 0.86:
        return (f"{ts} {lvl:5s} [md-feed] {rng.choice(VENUES)} ws {sym}@depth20 seq={rng.randint(10**9, 10**10)} "
                f"gap=0 bid={price(rng)} ask={price(rng)} lag_ms={rng.randint(0, 400)}")
    if r < 0.92:
        return (f"{ts} {lvl:5s} [scheduler] job recon-{rng.randint(1, 40)} done in {rng.randint(1, 9000)} ms, "
                f"log D:\\trading\\logs\\recon\\{rng.randint(20260101, 20261129)}.log")
    if r < 0.96:
        return (f"{ts} WARN  [gateway] {rng.choice(VENUES)} rate limit weight {rng.randint(100, 1200)}/1200, "
                f"token bucket refill in {rng.randint(1, 60)} s")
    return (f"{ts} {lvl:5s} [watchdog] heartbeat pid={rng.randint(1000, 65000)} rss_mb={rng.randint(100, 4000)} "
            f"cpu={rng.random() * 100:.1f}% sha256={rstr(rng, HEX, 64)}")


def json_line(rng: random.Random, ts: str) -> str:
    sym = rng.choice(SYMBOLS)
    d = {"ts": ts, "level": rng.choice(LEVELS).lower(), "component": rng.choice(COMPONENTS),
         "event": rng.choice(("order.ack", "order.fill", "order.cancel", "risk.check", "pnl.mark")),
         "symbol": sym, "orderId": int(order_id(rng)), "clientOrderId": client_id(rng),
         "price": float(price(rng)), "qty": rng.randint(1, 5000) / 1000,
         "venue": rng.choice(VENUES), "path": f"D:\\trading\\logs\\{sym.lower()}.jsonl"}
    return json.dumps(d, separators=(",", ":"))


def http_line(rng: random.Random, ts: str) -> str:
    ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    path = rng.choice(HTTP_PATHS)
    q = f"?symbol={rng.choice(SYMBOLS)}&limit={rng.choice((5, 20, 100, 500))}" if rng.random() < 0.5 else ""
    return (f'{ip} - - [{ts}] "{rng.choice(("GET", "POST", "DELETE"))} {path}{q} HTTP/1.1" '
            f'{rng.choice((200, 200, 200, 200, 201, 400, 429, 503))} {rng.randint(40, 90000)} "-" '
            f'"opsbook-gw/2.{rng.randint(0, 9)} (Windows NT 10.0; Win64; x64)" {rng.randint(1, 900)}ms')


def restclient_line(rng: random.Random, ts: str) -> str:
    sym = rng.choice(SYMBOLS)
    r = rng.random()
    if r < 0.5:
        return (f"{ts} DEBUG [restclient] GET https://api.binance.com/api/v3/depth?symbol={sym}&limit=100 "
                f"-> 200 in {rng.randint(3, 400)} ms, used weight {rng.randint(1, 1200)}")
    if r < 0.8:
        return (f"{ts} DEBUG [restclient] response {{\"symbol\":\"{sym}\",\"orderId\":{order_id(rng)},"
                f"\"status\":\"{rng.choice(STATUSES)}\",\"executedQty\":\"{rng.randint(0, 900) / 100:.2f}\"}}")
    return (f"{ts} DEBUG [restclient] recvWindow=5000 timestamp=17{rng.randint(10**10, 10**11 - 1)} "
            f"clock_offset_ms={rng.randint(-300, 300)}")


def powershell_line(rng: random.Random, ts: str) -> str:
    r = rng.random()
    if r < 0.35:
        return (f"{rng.choice(('opsbook-engine', 'md-feed', 'svchost', 'pwsh', 'TradeGateway')):<16} "
                f"{rng.randint(200, 99999):>7} {rng.uniform(0, 9000):>10.2f} {rng.randint(10000, 9000000):>10} "
                f"{rng.randint(0, 2):>3}")
    if r < 0.6:
        return (f"-a---        29/11/2026     {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
                f"     {rng.randint(100, 99999999):>12} D:\\trading\\logs\\{rng.choice(COMPONENTS)}-"
                f"{rng.randint(1, 999):03d}.log")
    if r < 0.75:
        return f"PS D:\\trading> Get-Service opsbook-{rng.choice(COMPONENTS)} | Format-List"
    if r < 0.9:
        return (f"Status   : {rng.choice(('Running', 'Stopped'))}    Name : opsbook-{rng.choice(COMPONENTS)}"
                f"    StartType : Automatic")
    return f"**********************  Transcript started, output file is D:\\trading\\transcripts\\{ts[:10]}.txt"


LINE = {"engine": engine_line, "oms-json": json_line, "gateway-http": http_line,
        "restclient": restclient_line, "powershell": powershell_line}


# --------------------------------------------------------------------------
# planted secrets: (class, variant, lines)
# --------------------------------------------------------------------------

def fake_pw(rng: random.Random) -> str:
    return rstr(rng, ALNUM, rng.randint(12, 20)) + rng.choice("!#%_-.") + rstr(rng, ALNUM, 3)


def jwt(rng: random.Random) -> str:
    head = b64url(b'{"alg":"HS256","typ":"JWT"}')
    body = b64url(json.dumps({"sub": f"trader{rng.randint(1, 99)}", "iat": 1796000000 + rng.randint(0, 10**6),
                              "scope": "trade read", "jti": rstr(rng, HEX, 16)}, separators=(",", ":")).encode())
    return f"{head}.{body}.{b64url(rng.randbytes(32))}"


def tg_token(rng: random.Random) -> str:
    return f"{rng.randint(10**8, 10**10 - 1)}:AA{rstr(rng, URLSAFE, 33)}"


def pem(rng: random.Random) -> tuple[str, list[str]]:
    kind = rng.choice(("RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY"))
    n = {"RSA PRIVATE KEY": 25, "EC PRIVATE KEY": 3, "PRIVATE KEY": 16, "OPENSSH PRIVATE KEY": 6}[kind]
    body = base64.b64encode(rng.randbytes(48 * n)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return kind, [f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"]


def secret_lines(cls: str, rng: random.Random, ts: str) -> tuple[str, list[str], int]:
    """Returns (variant, lines, index of the line that counts) for one secret."""
    v = rng.random()
    if cls == "labelled_secret":
        if v < 0.2:
            return "kv_api_key", [f"{ts} INFO  [gateway] connecting binance account=main api_key={rstr(rng, ALNUM, 64)} testnet=false"], 0
        if v < 0.4:
            return "json_api_secret", [json.dumps({"ts": ts, "level": "debug", "event": "config.loaded",
                                                   "venue": "okx", "api_secret": rstr(rng, HEX, 32).upper()},
                                                  separators=(",", ":"))], 0
        if v < 0.55:
            return "yaml_password", [f"  password: {fake_pw(rng)}"], 0
        if v < 0.7:
            return "ps_format_list", [f"ApiSecret      : {rstr(rng, ALNUM, 40)}"], 0
        if v < 0.85:
            return "url_token_param", [f"{ts} DEBUG [restclient] GET https://internal-pnl.corp.local/export?format=csv&token={rstr(rng, HEX, 40)} -> 200"], 0
        return "okx_passphrase", [f'{ts} DEBUG [gateway] okx login args {{"apiKey":"{rng.randbytes(16).hex()[:8]}-{rstr(rng, HEX, 4)}","passphrase":"{fake_pw(rng)}"}}'], 0
    if cls == "x_mbx_apikey":
        k = rstr(rng, ALNUM, 64)
        if v < 0.6:
            return "header_line", [f"X-MBX-APIKEY: {k}"], 0
        return "json_headers", [f'{ts} DEBUG [restclient] request headers {{"Content-Type":"application/x-www-form-urlencoded","X-MBX-APIKEY":"{k}"}}'], 0
    if cls == "request_signature":
        q = (f"symbol={rng.choice(SYMBOLS)}&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0{rng.randint(10, 99)}"
             f"&price={price(rng)}&recvWindow=5000&timestamp=17{rng.randint(10**10, 10**11 - 1)}&signature={rstr(rng, HEX, 64)}")
        if v < 0.6:
            return "signed_url", [f"{ts} DEBUG [restclient] POST https://api.binance.com/api/v3/order?{q} -> 200"], 0
        return "signed_body", [f"{ts} DEBUG [restclient] body: {q}"], 0
    if cls == "bearer_token":
        t = rstr(rng, URLSAFE, 43)
        if v < 0.6:
            return "header_line", [f"Authorization: Bearer {t}"], 0
        return "json_header", [f'{ts} DEBUG [http] outgoing {{"method":"GET","url":"https://risk-api.corp.local/v1/limits","authorization":"Bearer {t}"}}'], 0
    if cls == "jwt":
        if v < 0.5:
            return "cookie", [f"{ts} DEBUG [ui-api] cookie session={jwt(rng)}; Path=/; HttpOnly"], 0
        return "json_field", [json.dumps({"ts": ts, "event": "ws.auth", "jwt": jwt(rng)}, separators=(",", ":"))], 0
    if cls == "pem_private_key":
        kind, lines = pem(rng)
        return kind.lower().replace(" ", "_"), [f"{ts} DEBUG [config] loaded signing key from D:\\trading\\keys\\ed25519.pem:", *lines], 1
    if cls == "postgres_url":
        u = f"{rng.choice(('postgres', 'postgresql'))}://{rng.choice(('trader', 'recon', 'oms_rw'))}:{fake_pw(rng)}@db{rng.randint(1, 9):02d}.corp.local:5432/{rng.choice(('orders', 'pnl', 'positions'))}"
        if v < 0.5:
            return "dsn_line", [f"{ts} INFO  [recon] connecting to {u}?sslmode=require"], 0
        return "json_dsn", [json.dumps({"ts": ts, "level": "error", "event": "db.connect_failed", "dsn": u}, separators=(",", ":"))], 0
    if cls == "aws_access_key_id":
        k = "AKIA" + rstr(rng, UPPER_DIGITS, 16)
        if v < 0.35:
            return "config_line", [f"aws_access_key_id = {k}"], 0
        if v < 0.7:
            return "json_field", [f'{ts} DEBUG [backup] credentials {{"AccessKeyId":"{k}","Expiration":"2026-11-30T00:00:00Z"}}'], 0
        return "presigned_url", [f"{ts} INFO  [backup] upload https://trading-archive.s3.ap-northeast-1.amazonaws.com/logs/2026-11-29.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={k}%2F20261129%2Fap-northeast-1%2Fs3%2Faws4_request&X-Amz-Expires=900"], 0
    if cls == "telegram_bot_token":
        t = tg_token(rng)
        if v < 0.5:
            return "alert_config", [f"{ts} INFO  [alerting] telegram channel=-100{rng.randint(10**9, 10**10)} bot {t} ready"], 0
        return "bot_api_url", [f"{ts} DEBUG [alerting] POST https://api.telegram.org/bot{t}/sendMessage -> 200"], 0
    if cls == "slack_webhook":
        u = f"https://hooks.slack.com/services/T{rstr(rng, UPPER_DIGITS, 8)}/B{rstr(rng, UPPER_DIGITS, 10)}/{rstr(rng, ALNUM, 24)}"
        return "webhook_url", [f"{ts} INFO  [alerting] posting incident summary to {u}"], 0
    if cls == "github_token":
        t = "ghp_" + rstr(rng, ALNUM, 36)
        if v < 0.5:
            return "env_line", [f"GH_DEPLOY={t}"], 0
        return "remote_url", [f"PS D:\\trading\\deploy> git fetch https://{t}@github.com/example-trading/strategies.git"], 0
    raise ValueError(cls)


CLASSES = ["labelled_secret", "x_mbx_apikey", "request_signature", "bearer_token", "jwt",
           "pem_private_key", "postgres_url", "aws_access_key_id", "telegram_bot_token",
           "slack_webhook", "github_token"]


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------

def file_name(i: int) -> str:
    return f"{i:03d}-{KINDS[i % len(KINDS)]}.log"


def gen_file(task: tuple) -> list[tuple[str, int, str, str]]:
    path, idx, size, seed, n_secrets, plant = task
    kind = KINDS[idx % len(KINDS)]
    # Same line stream for logs/ and clean/ up to the secrets: the clean copy
    # differs only in having no planted lines.
    rng = random.Random(f"{seed}:{idx}:lines")
    srng = random.Random(f"{seed}:{idx}:secrets")
    clock = Clock(rng, rng.randint(0, 3_600_000))
    eol = "\r\n" if kind == "powershell" else "\n"
    line_fn = LINE[kind]
    # Spread the secrets evenly over the file's bytes (positions by byte offset).
    marks = sorted(srng.randint(0, size - 1) for _ in range(n_secrets)) if plant else []
    planted = []
    out: list[str] = []
    written = 0
    lineno = 0
    mi = 0
    cls_base = idx * n_secrets
    while written < size:
        if mi < len(marks) and written >= marks[mi]:
            cls = CLASSES[(cls_base + mi) % len(CLASSES)]
            variant, lines, at = secret_lines(cls, srng, clock.tick())
            planted.append((cls, variant, lineno + 1 + at, len(lines) - at))
            mi += 1
        else:
            lines = [line_fn(rng, clock.tick())]
        for ln in lines:
            out.append(ln)
            written += len(ln) + len(eol)  # ASCII only: chars == bytes
            lineno += 1
    # Any marks beyond the end (tiny files) go on the last lines.
    while mi < len(marks):
        cls = CLASSES[(cls_base + mi) % len(CLASSES)]
        variant, lines, at = secret_lines(cls, srng, clock.tick())
        planted.append((cls, variant, lineno + 1 + at, len(lines) - at))
        out.extend(lines)
        lineno += len(lines)
        mi += 1
    data = eol.join(out) + eol
    with open(path, "w", encoding="ascii", newline="") as f:
        f.write(data)
    name = Path(path).name
    return [(name, ln, cls, variant, span) for cls, variant, ln, span in planted]


def stamp_dict(args: argparse.Namespace) -> dict:
    src = Path(__file__).read_bytes()
    return {"generator_version": GENERATOR_VERSION, "generator_sha256": hashlib.sha256(src).hexdigest(),
            "mb": args.mb, "files": args.files, "seed": args.seed,
            "secrets_per_file": args.secrets_per_file, "clean": not args.no_clean}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring (head of this file) for the output layout.")
    ap.add_argument("out_dir")
    ap.add_argument("--mb", type=int, default=1000, help="total size of logs/ (and of clean/), in MB of 10^6 bytes (default 1000)")
    ap.add_argument("--files", type=int, default=100, help="number of log files (default 100)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--secrets-per-file", type=int, default=24, help="planted secrets per file (default 24)")
    ap.add_argument("--no-clean", action="store_true", help="do not write the clean/ corpus")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--skip-if-current", action="store_true",
                    help="do nothing if OUT_DIR/.gen-stamp matches these parameters")
    args = ap.parse_args(argv)
    if args.mb < 1 or args.files < 1 or args.secrets_per_file < 0 or args.jobs < 1:
        ap.error("--mb, --files and --jobs must be >= 1, --secrets-per-file >= 0")

    out = Path(args.out_dir)
    want = stamp_dict(args)
    stamp = out / ".gen-stamp"
    if args.skip_if_current and stamp.is_file():
        try:
            if json.loads(stamp.read_text()) == want:
                print(f"{out}: up to date ({args.mb} MB in {args.files} files, seed {args.seed})", file=sys.stderr)
                return 0
        except (OSError, ValueError):
            pass
    if out.exists():
        for sub in ("logs", "clean"):
            shutil.rmtree(out / sub, ignore_errors=True)
        for f in (stamp, out / "PLANTED.tsv"):
            f.unlink(missing_ok=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    if not args.no_clean:
        (out / "clean").mkdir(parents=True, exist_ok=True)

    total = args.mb * 1_000_000
    sizes = [total // args.files + (1 if i < total % args.files else 0) for i in range(args.files)]
    tasks = [(str(out / "logs" / file_name(i)), i, sizes[i], args.seed, args.secrets_per_file, True)
             for i in range(args.files)]
    if not args.no_clean:
        tasks += [(str(out / "clean" / file_name(i)), i, sizes[i], args.seed, 0, False)
                  for i in range(args.files)]
    rows: list[tuple[str, int, str, str, int]] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as ex:
        for r in ex.map(gen_file, tasks):
            rows.extend(r)
    with open(out / "PLANTED.tsv", "w", encoding="ascii", newline="\n") as f:
        f.write("# file\tline\tclass\tvariant\tlines\n")
        for name, ln, cls, variant, span in rows:
            f.write(f"logs/{name}\t{ln}\t{cls}\t{variant}\t{span}\n")
    stamp.write_text(json.dumps(want, indent=1) + "\n")
    print(f"{out}: {args.mb} MB in {args.files} files, {len(rows)} planted secrets"
          f"{'' if args.no_clean else ', plus clean/'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
