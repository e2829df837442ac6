#!/usr/bin/env python3
"""Generate a synthetic opsbook SSOT for benchmarking `opsbook gate`.

Usage:
    gen-synthetic-ssot.py OUT_DIR --runbooks N [--seed 42] [--faults K]
                          [--single-kind | --no-single-kind]
                          [--frontmatter | --no-frontmatter]
                          [--skip-if-current]

Writes (all paths relative to OUT_DIR; file formats per docs/formats.md):

    opsbook.toml                 minimal: [project] name, schema_version = 1
    policy/*.yaml                the starter policies, copied byte for byte
                                 from the repository's scaffold/policy/ (data,
                                 not code: without them every run reports 4
                                 OB009 policy-unusable errors that no other
                                 tool has an equivalent of)
    runbooks/<category>/<id>.md  N runbooks, about 4 KB each
    runbooks/runbooks.yaml       registry (every runbook except planted
                                 "unregistered" faults)
    runbooks/coverage_matrix.yaml
    runbooks/drills.yaml         one drill per clean `maturity: drilled` runbook
                                 (the drills contract needs a non-empty list;
                                 `drills: []` only when there is none)
    PLANTED.txt                  the planted faults, one per line
    .markdownlint-cli2.jsonc     markdownlint-cli2 config (MD043 = the required
                                 headings of the most common kind)
    frontmatter/<id>.yaml        each runbook's front matter alone, for
                                 check-jsonschema (which validates whole YAML
                                 files, not Markdown front matter). Extracting
                                 it is a cost paid for that tool only; it is
                                 done here, before any timing starts.
    .gen-stamp                   parameters + generator hash (used by
                                 --skip-if-current and scripts/bench-gate)

Every runbook is clean per docs/formats.md except the K planted faults
(default: 5 per 1000 runbooks, at least 3), cycling through:
    missing-section      a required section removed
    t1-without-backout   a T1 dangerous op whose `backout:` key is removed
    unregistered         a runbook file with no entry in runbooks.yaml
    expired-verification last_verified more than 200 days before 2026-11-29
Faulty runbooks are never linked to (Related / related), never in the coverage
matrix, so each fault should produce findings only in its own file.

Output is deterministic for a given (N, seed, faults, single-kind) and
generator version. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import shutil
import sys
from pathlib import Path

AS_OF = dt.date(2026, 11, 29)
GENERATOR_VERSION = 1

# --------------------------------------------------------------------------
# formats.md: sections and kinds
# --------------------------------------------------------------------------

SECTIONS = [  # (key, heading text) in the glossary's order
    ("prerequisites", "Prerequisites / 前提条件"),
    ("triage", "Triage / トリアージ"),
    ("safety", "Safety / 安全確保"),
    ("evidence", "Evidence / 証跡"),
    ("mitigation", "Mitigation / 緩和"),
    ("recovery", "Recovery / 復旧"),
    ("validation", "Validation / 検証"),
    ("backout", "Backout / 切り戻し"),
    ("watch", "Post-Recovery Watch / 復旧後監視"),
    ("related", "Related / 関連"),
    ("donotdo", "Do-Not-Do / やってはいけないこと"),
]
HEADING = dict(SECTIONS)
ALL11 = [k for k, _ in SECTIONS]
REQUIRED = {
    "TRIAGE": ALL11,
    "MITIGATION": ALL11,
    "RECOVERY": ALL11,
    "DRILL": ["prerequisites", "safety", "evidence", "validation", "backout",
              "related", "donotdo"],
    "GOVERNANCE": ["prerequisites", "evidence", "validation", "related",
                   "donotdo"],
}
# --no-single-kind distribution (weights)
KIND_WEIGHTS = [("TRIAGE", 40), ("MITIGATION", 25), ("RECOVERY", 20),
                ("DRILL", 10), ("GOVERNANCE", 5)]

CATEGORIES = ["quick", "platform", "execution", "marketdata", "security",
              "windows"]
CAT_CODE = {"quick": "QUICK", "platform": "PLAT", "execution": "EXEC",
            "marketdata": "MD", "security": "SEC", "windows": "WIN"}
OWNERS = ["ops-oncall", "platform-team", "execution-desk", "marketdata-team",
          "security-team", "windows-admins"]

# Where the affected host runs: varies titles so they are not all identical.
SITES = [("Tokyo primary", "東京プライマリ"), ("Tokyo standby", "東京スタンバイ"),
         ("Osaka DR", "大阪DR"), ("Singapore", "シンガポール"), ("Frankfurt", "フランクフルト"),
         ("lab", "検証環境"), ("VPS 1", "VPS 1"), ("VPS 2", "VPS 2")]

FAULT_TYPES = ["missing-section", "t1-without-backout", "unregistered",
               "expired-verification"]

# --------------------------------------------------------------------------
# Scenario pool. T0 commands use only read-only verbs (Get/Test/Measure/
# Select/Where/Sort/Resolve/Compare, w32tm /query); T1 commands use reversible
# verbs (Restart/Start/Stop/Set/Enable/Disable, w32tm /resync). No T2 verbs
# (Remove/Clear/Reset/Format/Revoke, -Force) appear anywhere.
# --------------------------------------------------------------------------

T = dict  # brevity

TOPICS = [
    T(cat="platform", slug="TIME-DRIFT",
      en="Clock drift on the trading host", ja="取引ホストの時計ズレ",
      applies=["trading-host", "order-gateway"],
      symptoms=["Binance -1021 INVALID_TIMESTAMP errors",
                "Bybit 10002 recv_window errors in the order log"],
      alerts=["ClockDriftHigh"],
      evidence=["w32tm /query /status /verbose output",
                "w32tm /stripchart samples against the NTP peer",
                "exchange serverTime versus local time"],
      t0=["w32tm /query /status /verbose",
          "w32tm /query /peers",
          "w32tm /stripchart /computer:time.example.net /samples:5 /dataonly",
          "Get-Date -Format o"],
      op="resync-clock", t1="w32tm /resync /rediscover",
      backout="Backout section: restore the previous peer list with w32tm /config",
      confirm="Type the host name back before resyncing"),
    T(cat="platform", slug="DISK-FULL",
      en="Log volume nearly full on the trading host", ja="取引ホストのログ領域逼迫",
      applies=["trading-host"],
      symptoms=["Log writes failing with 'There is not enough space on the disk'"],
      alerts=["DiskSpaceLow"],
      evidence=["Get-Volume output for all fixed drives",
                "Largest files under the log directory"],
      t0=["Get-Volume | Where-Object DriveType -eq 'Fixed' | Select-Object DriveLetter, SizeRemaining, Size",
          "Get-ChildItem -Path 'D:\\logs' -Recurse -File | Sort-Object Length -Descending | Select-Object -First 20 FullName, Length",
          "Get-PSDrive -PSProvider FileSystem"],
      op="stop-log-shipper", t1="Stop-Service -Name 'LogShipper'",
      backout="Backout section: Start-Service -Name 'LogShipper' and confirm the queue drains",
      confirm="Read the service name aloud and confirm no shipment is mid-flight"),
    T(cat="execution", slug="ORDER-GW-DISCONNECT",
      en="Order gateway disconnected from the exchange", ja="注文ゲートウェイの取引所切断",
      applies=["order-gateway"],
      symptoms=["Order submissions time out", "REST 5XX with execution status unknown"],
      alerts=["OrderGatewayDown", "OrderLatencyHigh"],
      evidence=["Gateway service status and last 200 log lines",
                "Open orders queried by clientOrderId"],
      t0=["Get-Service -Name 'OrderGateway' | Select-Object Name, Status, StartType",
          "Get-Content -Path 'D:\\logs\\order-gateway.log' -Tail 200",
          "Test-NetConnection -ComputerName api.exchange.example -Port 443"],
      op="restart-order-gateway", t1="Restart-Service -Name 'OrderGateway'",
      backout="Backout section: Stop-Service -Name 'OrderGateway' and keep the safety state at HALTED",
      confirm="Confirm open orders were reconciled by clientOrderId before restart"),
    T(cat="execution", slug="RATE-LIMIT-429",
      en="Exchange rate limit (429) reached", ja="取引所レート制限（429）到達",
      applies=["order-gateway", "strategy-runner"],
      symptoms=["HTTP 429 with Retry-After", "X-MBX-USED-WEIGHT close to the limit"],
      alerts=["ExchangeRateLimited"],
      evidence=["Last 500 responses with usage headers",
                "Per-strategy request counts for the last hour"],
      t0=["Select-String -Path 'D:\\logs\\order-gateway.log' -Pattern 'HTTP 429' | Select-Object -Last 50",
          "Get-Content -Path 'D:\\logs\\usage-headers.log' -Tail 100",
          "Get-Process -Name 'strategy-*' | Select-Object Name, Id, StartTime"],
      op="pause-strategy-runner", t1="Stop-Service -Name 'StrategyRunner'",
      backout="Backout section: Start-Service -Name 'StrategyRunner' after Retry-After has elapsed",
      confirm="Confirm the Retry-After deadline and type PAUSE"),
    T(cat="execution", slug="RECON-MISMATCH",
      en="Position reconciliation mismatch", ja="ポジション照合の不一致",
      applies=["reconciler", "order-gateway"],
      symptoms=["Reconciler reports fills not in the local ledger"],
      alerts=["ReconciliationMismatch"],
      evidence=["Reconciler report for the affected symbols",
                "Exchange fills for the window, keyed by (exchange, symbol, tradeId)"],
      t0=["Get-Content -Path 'D:\\recon\\latest-report.json' -Raw",
          "Select-String -Path 'D:\\recon\\*.log' -Pattern 'MISMATCH'",
          "Get-Service -Name 'Reconciler' | Select-Object Name, Status"],
      op="restart-reconciler", t1="Restart-Service -Name 'Reconciler'",
      backout="Backout section: Stop-Service -Name 'Reconciler' and mark the window for re-reconciliation",
      confirm="Confirm that no replay or reprocess is scheduled for the window"),
    T(cat="marketdata", slug="FEED-STALE",
      en="Market data feed stale", ja="マーケットデータ配信の停滞",
      applies=["md-feed-handler"],
      symptoms=["No book updates for more than 5 s", "Candles missing for active symbols"],
      alerts=["MarketDataStale"],
      evidence=["Feed handler status and last sequence numbers",
                "Gap report from the sequence checker"],
      t0=["Get-Service -Name 'MdFeedHandler' | Select-Object Name, Status",
          "Get-Content -Path 'D:\\logs\\md-feed.log' -Tail 200",
          "Measure-Object -InputObject (Get-ChildItem -Path 'D:\\md\\spool' -File)"],
      op="restart-feed-handler", t1="Restart-Service -Name 'MdFeedHandler'",
      backout="Backout section: Stop-Service -Name 'MdFeedHandler' and switch strategies to degraded mode",
      confirm="Confirm strategies are in DEGRADED before restarting the feed"),
    T(cat="marketdata", slug="SEQ-GAP",
      en="Order book sequence gap", ja="板情報のシーケンス欠損",
      applies=["md-feed-handler", "book-builder"],
      symptoms=["prevSeqId does not match the last applied seqId",
                "Depth update U is not previous u + 1"],
      alerts=["BookSequenceGap"],
      evidence=["Sequence checker output for the affected symbol",
                "Snapshot lastUpdateId and buffered events"],
      t0=["Select-String -Path 'D:\\logs\\book-builder.log' -Pattern 'SEQ_GAP' | Select-Object -Last 20",
          "Get-Content -Path 'D:\\md\\checker\\gaps.json' -Raw",
          "Get-Service -Name 'BookBuilder' | Select-Object Name, Status"],
      op="resnapshot-book", t1="Restart-Service -Name 'BookBuilder'",
      backout="Backout section: Stop-Service -Name 'BookBuilder' and quarantine the affected symbols",
      confirm="Confirm the affected symbols are quarantined from trading"),
    T(cat="security", slug="API-KEY-EXPIRY",
      en="Exchange API key close to expiry", ja="取引所APIキーの有効期限切れ間近",
      applies=["order-gateway", "secrets-vault"],
      symptoms=["Signed requests rejected with an invalid key error"],
      alerts=["ApiKeyExpiring"],
      evidence=["Key metadata (fingerprint only, never the secret)",
                "Last successful signed request time"],
      t0=["Get-Content -Path 'D:\\secrets\\key-metadata.json' -Raw",
          "Select-String -Path 'D:\\logs\\order-gateway.log' -Pattern 'invalid api-key'",
          "Get-Date -Format o"],
      op="disable-key-consumer", t1="Disable-ScheduledTask -TaskName 'KeyConsumerSync'",
      backout="Backout section: Enable-ScheduledTask -TaskName 'KeyConsumerSync'",
      confirm="Confirm the key fingerprint with a second operator"),
    T(cat="security", slug="CERT-EXPIRY",
      en="TLS certificate close to expiry", ja="TLS証明書の有効期限切れ間近",
      applies=["ops-api", "web-dashboard"],
      symptoms=["Browsers warn about an expiring certificate"],
      alerts=["CertificateExpiringSoon"],
      evidence=["Certificate thumbprint, subject and NotAfter"],
      t0=["Get-ChildItem -Path Cert:\\LocalMachine\\My | Select-Object Subject, Thumbprint, NotAfter",
          "Test-NetConnection -ComputerName ops.example.internal -Port 443"],
      op="restart-ops-api", t1="Restart-Service -Name 'OpsApi'",
      backout="Backout section: rebind the previous thumbprint and Restart-Service -Name 'OpsApi'",
      confirm="Type the new thumbprint's last 8 characters"),
    T(cat="windows", slug="PENDING-REBOOT",
      en="Windows Update reboot pending on the trading host", ja="取引ホストでWindows Update再起動が保留",
      applies=["trading-host"],
      symptoms=["Update notification asks for a restart during trading hours"],
      alerts=["RebootPending"],
      evidence=["Pending reboot registry keys", "Installed hotfix list"],
      t0=["Test-Path -Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired'",
          "Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 10",
          "Get-Service -Name 'wuauserv' | Select-Object Name, Status, StartType"],
      op="pause-windows-update", t1="Stop-Service -Name 'wuauserv'",
      backout="Backout section: Start-Service -Name 'wuauserv' after the trading session",
      confirm="Confirm the change-freeze window with the on-call lead"),
    T(cat="windows", slug="EVENTLOG-FLOOD",
      en="Event log flooded by a failing service", ja="障害サービスによるイベントログ氾濫",
      applies=["trading-host"],
      symptoms=["System log grows by thousands of events per minute"],
      alerts=["EventLogFlood"],
      evidence=["Top event IDs of the last hour", "Source service status"],
      t0=["Get-WinEvent -LogName System -MaxEvents 500 | Group-Object Id | Sort-Object Count -Descending | Select-Object -First 10 Name, Count",
          "Get-Service | Where-Object Status -eq 'Stopped' | Select-Object Name, StartType"],
      op="disable-failing-task", t1="Disable-ScheduledTask -TaskName 'HealthProbe'",
      backout="Backout section: Enable-ScheduledTask -TaskName 'HealthProbe'",
      confirm="Confirm the task name against the event source"),
    T(cat="quick", slug="HALT-EVIDENCE",
      en="Halt trading and preserve evidence", ja="取引停止と証跡保全",
      applies=["strategy-runner", "order-gateway"],
      symptoms=["Unexplained position change", "Operator in doubt about system state"],
      alerts=["PnlAnomaly"],
      evidence=["Safety state and last transitions", "Open orders and positions snapshot"],
      t0=["Get-Content -Path 'D:\\opsbook\\ledger\\safety.jsonl' -Tail 20",
          "Get-Service -Name 'StrategyRunner', 'OrderGateway' | Select-Object Name, Status",
          "Get-Date -Format o"],
      op="stop-strategies", t1="Stop-Service -Name 'StrategyRunner'",
      backout="Backout section: Start-Service -Name 'StrategyRunner' only after recovery acceptance",
      confirm="Say HALT aloud and type the incident ID"),
    T(cat="quick", slug="DNS-FAILURE",
      en="DNS resolution failing for exchange endpoints", ja="取引所エンドポイントの名前解決失敗",
      applies=["trading-host"],
      symptoms=["Requests fail with 'No such host is known'"],
      alerts=["DnsResolutionFailing"],
      evidence=["Resolve-DnsName output per resolver", "Client DNS cache"],
      t0=["Resolve-DnsName -Name api.exchange.example -Type A",
          "Get-DnsClientServerAddress | Select-Object InterfaceAlias, ServerAddresses",
          "Get-DnsClientCache | Select-Object -First 20"],
      op="restart-dns-client", t1="Restart-Service -Name 'Dnscache'",
      backout="Backout section: restore the previous resolver list with Set-DnsClientServerAddress",
      confirm="Confirm the resolver addresses with the network owner"),
    T(cat="platform", slug="MEMORY-LEAK",
      en="Strategy process memory growth", ja="戦略プロセスのメモリ増加",
      applies=["strategy-runner"],
      symptoms=["Working set grows steadily over the session"],
      alerts=["ProcessMemoryHigh"],
      evidence=["Working set samples over 10 minutes", "Process start time"],
      t0=["Get-Process -Name 'strategy-*' | Select-Object Name, Id, WorkingSet64, StartTime",
          "Get-Counter -Counter '\\Process(strategy*)\\Working Set' -SampleInterval 5 -MaxSamples 12"],
      op="restart-strategy-runner", t1="Restart-Service -Name 'StrategyRunner'",
      backout="Backout section: Stop-Service -Name 'StrategyRunner' and stay in SAFE_MODE",
      confirm="Confirm flat positions before the restart"),
]

CAT_TOPICS: dict[str, list[dict]] = {c: [] for c in CATEGORIES}
for _t in TOPICS:
    CAT_TOPICS[_t["cat"]].append(_t)

# Bilingual prose pools: each entry (en, ja).
PREREQ = [
    ("Access to the trading host over the jump box with an operator account.",
     "踏み台経由で運用者アカウントにより取引ホストへアクセスできること。"),
    ("An open incident in the ledger; record every step in the timeline.",
     "台帳にインシデントが起票済みであること。全手順をタイムラインに記録する。"),
    ("The current safety state is known (NORMAL, DEGRADED, SAFE_MODE or HALTED).",
     "現在の安全状態（NORMAL / DEGRADED / SAFE_MODE / HALTED）を把握していること。"),
    ("A second operator is reachable for high-danger final confirmation.",
     "高危険操作の最終確認のため、二人目の運用者に連絡がつくこと。"),
    ("PowerShell 7 or Windows PowerShell 5.1 in an elevated session.",
     "管理者権限の PowerShell 7 または Windows PowerShell 5.1 を使用すること。"),
]
SAFETY = [
    ("If positions are open and the cause is unknown, escalate to SAFE_MODE before any change.",
     "ポジションが残り原因不明の場合は、変更前に SAFE_MODE へ昇格する。"),
    ("In doubt: HALT, then evidence, then rest.",
     "迷ったらHALT→証跡→休む。"),
    ("Check the change freeze; a change during a freeze needs a recorded freeze exception.",
     "変更凍結を確認する。凍結中の変更には記録された凍結例外が必要。"),
    ("Never resend an order whose execution status is unknown; query by clientOrderId first.",
     "約定状態が不明な注文は再送しない。まず clientOrderId で照会する。"),
]
WATCH = [
    ("Watch the alert for 30 minutes after recovery; re-open the incident if it fires again.",
     "復旧後30分はアラートを監視し、再発したらインシデントを再オープンする。"),
    ("Compare error rates with the previous trading session.",
     "前回の取引セッションとエラー率を比較する。"),
    ("Run a re-reconciliation at the end of the session.",
     "セッション終了時に再照合を実行する。"),
]
DONOT = [
    ("Do not delete logs or evidence to free space.", "容量確保のためにログや証跡を削除しない。"),
    ("Do not resend orders whose status is unknown.", "状態不明の注文を再送しない。"),
    ("Do not release HALT without recovery acceptance.", "復旧判定なしに HALT を解除しない。"),
    ("Do not paste secrets or API keys into the timeline.", "シークレットやAPIキーをタイムラインに貼らない。"),
    ("Do not run steps from memory; follow the numbered steps.", "記憶で手順を実行しない。番号付き手順に従う。"),
]


# --------------------------------------------------------------------------
# YAML helpers (hand-written emitter: keeps the generator stdlib-only)
# --------------------------------------------------------------------------

def q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def flow(items: list[str], quote: bool = False) -> str:
    return "[" + ", ".join(q(i) if quote else i for i in items) + "]"


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------

class RB:
    __slots__ = ("idx", "id", "cat", "topic", "kind", "path", "steps", "ops",
                 "maturity", "last_verified", "last_drilled", "related",
                 "fault", "fault_detail", "owner", "envs", "trading",
                 "symptoms", "alerts", "evidence", "sections", "site")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


def days_ago(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


def pick_kind(rng: random.Random, single: bool) -> str:
    if single:
        return "TRIAGE"
    r = rng.randrange(sum(w for _, w in KIND_WEIGHTS))
    for k, w in KIND_WEIGHTS:
        if r < w:
            return k
        r -= w
    raise AssertionError


def plan(n: int, seed: int, k_faults: int, single: bool) -> list[RB]:
    rng = random.Random(seed)
    width = max(5, len(str(n - 1)))
    rbs: list[RB] = []
    for i in range(n):
        cat = CATEGORIES[i % len(CATEGORIES)]
        topic = rng.choice(CAT_TOPICS[cat])
        kind = pick_kind(rng, single)
        rid = f"RB-{CAT_CODE[cat]}-{topic['slug']}-{i:0{width}d}"
        has_t1 = rng.random() < 0.6 and kind != "GOVERNANCE"
        # T1 steps need a section to live in: Mitigation, else Safety (DRILL).
        if has_t1 and "mitigation" not in REQUIRED[kind] and "safety" not in REQUIRED[kind]:
            has_t1 = False
        maturity = rng.choices(["draft", "reviewed", "verified", "drilled"],
                               weights=[5, 35, 40, 20])[0]
        rb = RB(idx=i, id=rid, cat=cat, topic=topic, kind=kind,
                path=f"{cat}/{rid}.md", maturity=maturity,
                last_verified=days_ago(rng.randrange(30)),
                last_drilled=days_ago(rng.randrange(30)) if maturity == "drilled" else None,
                owner=OWNERS[CATEGORIES.index(cat)] if rng.random() < 0.7 else "ops-oncall",
                envs=rng.choice([["dev", "stage", "prod"], ["stage", "prod"], ["prod"]]),
                trading=rng.choice([["paper", "shadow", "live"], ["shadow", "live"], ["live"]]),
                symptoms=topic["symptoms"][: rng.randint(1, len(topic["symptoms"]))],
                alerts=topic["alerts"][: rng.randint(1, len(topic["alerts"]))],
                evidence=topic["evidence"], fault=None, fault_detail="",
                site=SITES[i % len(SITES)])
        # Steps: 2-4 powershell blocks. (section, tier, op, command)
        n_steps = rng.randint(2, 4)
        t0cmds = topic["t0"][:]
        rng.shuffle(t0cmds)
        steps = []
        t0_sections = ["triage", "evidence", "validation"]
        if kind in ("DRILL", "GOVERNANCE"):
            t0_sections = ["evidence", "validation", "evidence"]
        n_t0 = n_steps - (1 if has_t1 else 0)
        for s in range(n_t0):
            steps.append((t0_sections[min(s, len(t0_sections) - 1)], "T0", None,
                          t0cmds[s % len(t0cmds)]))
        if has_t1:
            sec = "mitigation" if "mitigation" in REQUIRED[kind] else "safety"
            steps.append((sec, "T1", topic["op"], topic["t1"]))
        order = {k: j for j, k in enumerate(ALL11)}
        steps.sort(key=lambda st: order[st[0]])  # numbered in document order
        rb.steps = steps
        rb.ops = ([dict(id=topic["op"], tier="T1", backout=topic["backout"],
                        confirmation=topic["confirm"])] if has_t1 else [])
        rb.sections = list(REQUIRED[kind])
        rbs.append(rb)

    # ---- faults: distinct runbooks, deterministic ------------------------
    k_faults = min(k_faults, n)
    fault_idx = rng.sample(range(n), k_faults) if k_faults else []
    for j, fi in enumerate(fault_idx):
        rb = rbs[fi]
        ftype = FAULT_TYPES[j % len(FAULT_TYPES)]
        rb.fault = ftype
        if rb.maturity == "drilled":  # keep faulty runbooks out of drills.yaml
            rb.maturity, rb.last_drilled = "verified", None
        if ftype == "missing-section":
            step_secs = {s[0] for s in rb.steps}
            cands = [s for s in rb.sections
                     if s not in step_secs and s not in ("related", "backout")]
            gone = rng.choice(cands)
            rb.sections = [s for s in rb.sections if s != gone]
            rb.fault_detail = f'section="{HEADING[gone]}"'
        elif ftype == "t1-without-backout":
            if not rb.ops:  # force a T1 op into this runbook
                t = rb.topic
                sec = "mitigation" if "mitigation" in rb.sections else (
                    "safety" if "safety" in rb.sections else "evidence")
                rb.steps = rb.steps[:3] + [(sec, "T1", t["op"], t["t1"])]
                order = {k: j2 for j2, k in enumerate(ALL11)}
                rb.steps.sort(key=lambda st: order[st[0]])
                rb.ops = [dict(id=t["op"], tier="T1", backout=t["backout"],
                               confirmation=t["confirm"])]
            del rb.ops[0]["backout"]
            rb.fault_detail = f'op="{rb.ops[0]["id"]}"'
        elif ftype == "unregistered":
            rb.fault_detail = "not in runbooks/runbooks.yaml"
        elif ftype == "expired-verification":
            rb.last_verified = days_ago(rng.randint(201, 400))
            if rb.maturity in ("draft", "reviewed"):
                rb.maturity = "verified"
            age = (AS_OF - rb.last_verified).days
            rb.fault_detail = f"last_verified={rb.last_verified.isoformat()} ({age} days before {AS_OF.isoformat()})"

    # ---- related links: only to clean runbooks ---------------------------
    clean = [rb for rb in rbs if rb.fault is None]
    for rb in rbs:
        k = rng.randint(1, 3)
        rel = []
        for _ in range(k * 3):
            if len(rel) >= k or len(clean) < 2:
                break
            other = clean[rng.randrange(len(clean))]
            if other is not rb and other not in rel:
                rel.append(other)
        rb.related = rel
    return rbs


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

def front_matter(rb: RB) -> str:
    t = rb.topic
    tiers = [s[1] for s in rb.steps] + [o["tier"] for o in rb.ops]
    label = ("irreversible" if "T2" in tiers else
             "reversible" if "T1" in tiers else "read_only")
    out = ["---",
           f"runbook_id: {rb.id}",
           "title:",
           f"  en: {q(t['en'] + ' (' + rb.site[0] + ')')}",
           f"  ja: {q(t['ja'] + '（' + rb.site[1] + '）')}",
           f"kind: {rb.kind}",
           f"category: {rb.cat}",
           f"applies_to: {flow(t['applies'])}",
           "triggers:",
           f"  symptoms: {flow(rb.symptoms, quote=True)}",
           f"  alerts: {flow(rb.alerts)}",
           "required_evidence:"]
    out += [f"  - {q(e)}" for e in rb.evidence]
    if rb.ops:
        out.append("dangerous_ops:")
        for o in rb.ops:
            out.append(f"  - id: {o['id']}")
            out.append(f"    tier: {o['tier']}")
            if "backout" in o:
                out.append(f"    backout: {q(o['backout'])}")
            out.append(f"    confirmation: {q(o['confirmation'])}")
    else:
        out.append("dangerous_ops: []")
    out += ["platform: windows_powershell",
            "supported_modes:",
            f"  environments: {flow(rb.envs)}",
            f"  trading: {flow(rb.trading)}",
            f"owner: {rb.owner}",
            f"maturity: {rb.maturity}",
            f"last_verified: {rb.last_verified.isoformat()}",
            f"last_drilled: {rb.last_drilled.isoformat() if rb.last_drilled else 'null'}",
            f"safety_label: {label}",
            "status: active",
            "replaced_by: null",
            f"related: {flow([r.id for r in rb.related])}",
            "---"]
    return "\n".join(out) + "\n"


def rel_link(src: RB, dst: RB) -> str:
    if src.cat == dst.cat:
        return f"{dst.id}.md"
    return f"../{dst.cat}/{dst.id}.md"


def render(rb: RB, rng: random.Random) -> str:
    t = rb.topic
    comp = ", ".join(f"`{a}`" for a in t["applies"])
    steps_by_sec: dict[str, list[tuple[int, str, str | None, str]]] = {}
    for n, (sec, tier, op, cmd) in enumerate(rb.steps, start=1):
        steps_by_sec.setdefault(sec, []).append((n, tier, op, cmd))
    t1_step = next((n for n, s in enumerate(rb.steps, 1) if s[1] == "T1"), None)
    val_step = next((n for n, s in enumerate(rb.steps, 1) if s[0] == "validation"), None)

    def step_blocks(sec: str) -> str:
        out = []
        for n, tier, op, cmd in steps_by_sec.get(sec, []):
            attrs = f"step={n} tier={tier}" + (f" op={op}" if op else "")
            if tier == "T0":
                out.append(f"Step {n} is read-only (T0). / 手順{n}は参照のみ（T0）。\n")
            else:
                out.append(f"Step {n} changes state (T1, op `{op}`): confirm first. "
                           f"/ 手順{n}は状態を変更する（T1）。先に最終確認を取る。\n")
            out.append(f"```powershell {{{attrs}}}\n{cmd}\n```\n")
        return "\n".join(out)

    body: dict[str, str] = {}
    pre = rng.sample(PREREQ, 2)
    body["prerequisites"] = "".join(f"- {e}\n  {j}\n" for e, j in pre)
    body["triage"] = (
        f"Decide whether this runbook applies: the symptom is "
        f"\"{rb.symptoms[0]}\" on {comp}.\n"
        f"この手順書の対象か判断する。症状は {comp} における「{rb.symptoms[0]}」。\n\n"
        + step_blocks("triage"))
    s1, s2 = rng.sample(SAFETY, 2)
    body["safety"] = (f"- {s1[0]}\n  {s1[1]}\n- {s2[0]}\n  {s2[1]}\n"
                      + ("\n" + step_blocks("safety") if "safety" in steps_by_sec else ""))
    ev_rows = "".join(f"| {i} | {e} |\n" for i, e in enumerate(rb.evidence, 1))
    body["evidence"] = (
        "Collect before changing anything; attach to the incident as an evidence bundle.\n"
        "変更前に収集し、証跡バンドルとしてインシデントに添付する。\n\n"
        "| # | Evidence / 証跡 |\n| --- | --- |\n" + ev_rows
        + ("\n" + step_blocks("evidence") if "evidence" in steps_by_sec else ""))
    if "mitigation" in steps_by_sec:
        body["mitigation"] = (
            f"Apply the reversible fix for {comp}.\n{comp} に対し可逆な緩和策を適用する。\n\n"
            + step_blocks("mitigation"))
    else:
        body["mitigation"] = ("Not applicable / 該当なし — this runbook only observes; "
                              "escalate to the owner for any change.\n")
    body["recovery"] = (
        "Return the safety state one level at a time (HALTED → SAFE_MODE → DEGRADED → NORMAL), "
        "recording each transition.\n"
        "安全状態を一段階ずつ戻し（HALTED → SAFE_MODE → DEGRADED → NORMAL）、各遷移を記録する。\n")
    body["validation"] = (
        f"The symptom \"{rb.symptoms[0]}\" no longer occurs for 15 minutes and the alert "
        f"`{rb.alerts[0]}` is resolved.\n"
        f"症状が15分間再発せず、アラート `{rb.alerts[0]}` が解消していること。\n"
        + ("\n" + step_blocks("validation") if "validation" in steps_by_sec else ""))
    if rb.ops:
        again = f"; then re-run step {val_step} to validate" if val_step else ""
        body["backout"] = (
            f"If step {t1_step} made things worse: {t['backout'].split(': ', 1)[1]}{again}.\n"
            f"手順{t1_step}で悪化した場合は切り戻す。実施内容をタイムラインに記録する。\n")
    else:
        body["backout"] = ("Not applicable / 該当なし — every step is read-only (T0); "
                           "nothing to roll back.\n")
    w = rng.sample(WATCH, 2)
    body["watch"] = "".join(f"- {e}\n  {j}\n" for e, j in w)
    if rb.related:
        body["related"] = "".join(f"- [{r.id}]({rel_link(rb, r)}) — {r.topic['en']}\n"
                                  for r in rb.related)
    else:
        body["related"] = "None / なし\n"
    d = rng.sample(DONOT, 2)
    body["donotdo"] = "".join(f"- {e}\n  {j}\n" for e, j in d)

    label_ja = {"read_only": "参照のみ", "reversible": "可逆", "irreversible": "不可逆"}
    tiers = [s[1] for s in rb.steps]
    label = "reversible" if "T1" in tiers else "read_only"
    out = [front_matter(rb).rstrip("\n"), "",
           f"# {t['en']} ({rb.site[0]}) / {t['ja']}（{rb.site[1]}）", "",
           f"> {rb.id} — kind {rb.kind}, safety label {label} / 安全ラベル: {label_ja[label]}; "
           f"owner `{rb.owner}`.", ""]
    for sec in rb.sections:
        out.append(f"## {HEADING[sec]}")
        out.append("")
        out.append(body[sec].rstrip("\n"))
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------
# Other files
# --------------------------------------------------------------------------

def registry(rbs: list[RB]) -> str:
    out = ["# Registry: every runbook, exactly once (synthetic benchmark SSOT).",
           "runbooks:"]
    for rb in rbs:
        if rb.fault == "unregistered":
            continue
        out += [f"  - id: {rb.id}", f"    path: {rb.path}", "    status: active"]
    return "\n".join(out) + "\n"


def coverage(rbs: list[RB], rng: random.Random) -> str:
    out = ["# Coverage matrix: symptom/alert -> runbook(s).", "entries:"]
    clean = [rb for rb in rbs if rb.fault is None]
    n = 0
    for rb in clean:
        if rng.random() >= 0.25:
            continue
        n += 1
        # P0 only for drilled runbooks (a P0 runbook must have been drilled).
        sev = "P0" if rb.maturity == "drilled" else rng.choice(["P1", "P2"])
        rbl = [rb.id]
        out += [f"  - id: COV-{rb.topic['slug']}-{n:05d}",
                f"    symptom: {q(rb.symptoms[0])}",
                f"    alerts: {flow(rb.alerts)}",
                f"    severity: {sev}",
                f"    runbooks: {flow(rbl)}"]
    if n == 0:
        out[-1] = "entries: []"
    return "\n".join(out) + "\n"


def drills(rbs: list[RB]) -> str:
    """One drill per drilled runbook (contracts/drills.schema.json wants a
    non-empty list); last_run and the one result match its last_drilled."""
    out = ["# Drill registry (synthetic benchmark SSOT).", "drills:"]
    n = 0
    for rb in rbs:
        if rb.maturity != "drilled" or rb.fault is not None:
            continue
        n += 1
        d = rb.last_drilled.isoformat()
        out += [f"  - id: DR-{rb.topic['slug']}-{rb.idx:05d}",
                f"    runbook: {rb.id}",
                f"    scenario: {q('Stage: simulate ' + rb.symptoms[0] + ' on ' + rb.topic['applies'][0])}",
                "    interval_days: 90",
                "    acceptance:",
                f"      - {q('Alert ' + rb.alerts[0] + ' fires within 60 s of the injected fault')}",
                f"      - {q('Validation step passes within 15 min')}",
                f"    last_run: {d}",
                "    results:",
                f"      - date: {d}",
                "        result: pass",
                f"        evidence: EVB-{d.replace('-', '')}-{rb.idx:05d}",
                f"        notes: {q('Completed in stage; no deviation from the runbook')}"]
    if n == 0:
        out[-1] = "drills: []"
    return "\n".join(out) + "\n"


def markdownlint_config(most_common_kind: str) -> str:
    headings = ["?"] + [f"## {HEADING[s]}" for s in REQUIRED[most_common_kind]]
    cfg = {
        "config": {
            "default": True,
            # MD043 required-headings: the exact heading list opsbook requires
            # for this kind ("?" = the one H1 title before the sections).
            "MD043": {"headings": headings, "match_case": True},
            # Would flood: long bilingual lines and commands.
            "MD013": False,
            # The front matter has a `title:` map; the Markdown H1 is the title.
            "MD025": {"front_matter_title": ""},
            "MD041": {"front_matter_title": ""},
        },
        "globs": [],
        "noProgress": True,
    }
    return ("// Generated by scripts/gen-synthetic-ssot.py. MD043 is configured with\n"
            f"// the required sections of kind {most_common_kind} (formats.md, D-RB-SECTIONS).\n"
            + json.dumps(cfg, ensure_ascii=False, indent=2) + "\n")


def script_hash() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


SCAFFOLD_POLICY = Path(__file__).resolve().parent.parent / "scaffold" / "policy"


def policy_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(SCAFFOLD_POLICY.glob("*.yaml")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def stamp_dict(args) -> dict:
    return {"generator_version": GENERATOR_VERSION, "generator_sha": script_hash(),
            "policy_sha": policy_hash(),
            "runbooks": args.runbooks, "seed": args.seed, "faults": args.faults,
            "single_kind": args.single_kind, "frontmatter": args.frontmatter}


def stamp_is_current(out: Path, want: dict) -> bool:
    try:
        have = json.loads((out / ".gen-stamp").read_text())
    except (OSError, ValueError):
        return False
    keys = [k for k in want if k != "frontmatter"]
    if any(have.get(k) != want[k] for k in keys):
        return False
    # A tree with front matter files serves a request without them too.
    return have.get("frontmatter") or not want["frontmatter"]


# --------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate a synthetic opsbook SSOT for benchmarking `opsbook gate`.",
        epilog="See the module docstring (head of this file) for the layout.")
    ap.add_argument("out_dir", metavar="OUT_DIR")
    ap.add_argument("--runbooks", "-n", type=int, required=True, metavar="N")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--faults", type=int, default=None, metavar="K",
                    help="faults to plant (default: 5 per 1000 runbooks, at least 3)")
    ap.add_argument("--single-kind", action=argparse.BooleanOptionalAction, default=True,
                    help="all runbooks of kind TRIAGE, all 11 sections, so markdownlint's "
                         "MD043 checks exactly what opsbook checks (default: on)")
    ap.add_argument("--frontmatter", action=argparse.BooleanOptionalAction, default=True,
                    help="also write frontmatter/<id>.yaml for check-jsonschema (default: on)")
    ap.add_argument("--skip-if-current", action="store_true",
                    help="do nothing if OUT_DIR/.gen-stamp matches these parameters")
    args = ap.parse_args(argv)
    if args.runbooks < 1:
        ap.error("--runbooks must be at least 1")
    if args.faults is None:
        args.faults = min(args.runbooks, max(3, round(args.runbooks * 5 / 1000)))
    if args.faults < 0:
        ap.error("--faults must be >= 0")
    if args.faults > args.runbooks:
        ap.error("--faults cannot exceed --runbooks")

    out = Path(args.out_dir)
    want = stamp_dict(args)
    if args.skip_if_current and stamp_is_current(out, want):
        print(f"{out}: up to date (N={args.runbooks}, seed={args.seed}, "
              f"faults={args.faults}), not regenerated")
        return 0
    if out.exists():
        if (out / ".gen-stamp").is_file():
            shutil.rmtree(out)  # our own earlier output
        elif any(out.iterdir()):
            print(f"error: {out} exists, is not empty and was not made by this "
                  "generator (no .gen-stamp); refusing to overwrite", file=sys.stderr)
            return 2
    out.mkdir(parents=True, exist_ok=True)

    rbs = plan(args.runbooks, args.seed, args.faults, args.single_kind)
    text_rng = random.Random(args.seed * 7919 + 1)

    (out / "opsbook.toml").write_text(
        '[project]\nname = "synthetic"\nschema_version = 1\n', encoding="utf-8")
    (out / "policy").mkdir()
    for p in sorted(SCAFFOLD_POLICY.glob("*.yaml")):
        shutil.copyfile(p, out / "policy" / p.name)
    rbdir = out / "runbooks"
    for c in CATEGORIES:
        (rbdir / c).mkdir(parents=True, exist_ok=True)
    fmdir = out / "frontmatter"
    if args.frontmatter:
        fmdir.mkdir()
    total_bytes = 0
    for rb in rbs:
        text = render(rb, text_rng)
        data = text.encode("utf-8")
        total_bytes += len(data)
        with open(rbdir / rb.path, "wb") as f:
            f.write(data)
        if args.frontmatter:
            fm = front_matter(rb)
            fm = fm[len("---\n"): -len("---\n")]
            with open(fmdir / f"{rb.id}.yaml", "w", encoding="utf-8") as f:
                f.write(fm)
    (rbdir / "runbooks.yaml").write_text(registry(rbs), encoding="utf-8")
    (rbdir / "coverage_matrix.yaml").write_text(
        coverage(rbs, random.Random(args.seed * 31 + 7)), encoding="utf-8")
    (rbdir / "drills.yaml").write_text(drills(rbs), encoding="utf-8")

    kinds: dict[str, int] = {}
    for rb in rbs:
        kinds[rb.kind] = kinds.get(rb.kind, 0) + 1
    most = max(kinds.items(), key=lambda kv: (kv[1], kv[0]))[0]
    (out / ".markdownlint-cli2.jsonc").write_text(markdownlint_config(most), encoding="utf-8")

    faults = [rb for rb in rbs if rb.fault]
    faults.sort(key=lambda rb: (FAULT_TYPES.index(rb.fault), rb.idx))
    lines = [f"# Planted faults: {len(faults)} in {len(rbs)} runbooks "
             f"(seed {args.seed}, as of {AS_OF.isoformat()})",
             "# fault-type<TAB>runbook-id<TAB>path (relative to OUT_DIR)<TAB>detail"]
    lines += [f"{rb.fault}\t{rb.id}\trunbooks/{rb.path}\t{rb.fault_detail}" for rb in faults]
    counts = {ft: sum(1 for rb in faults if rb.fault == ft) for ft in FAULT_TYPES}
    lines.append("# counts: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    (out / "PLANTED.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / ".gen-stamp").write_text(json.dumps(want, indent=2) + "\n", encoding="utf-8")

    print(f"{out}: {len(rbs)} runbooks ({total_bytes / len(rbs) / 1024:.1f} KiB avg, "
          f"{total_bytes / 1e6:.1f} MB), {len(faults)} planted faults "
          f"({', '.join(f'{k}={v}' for k, v in counts.items())}), kinds {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
