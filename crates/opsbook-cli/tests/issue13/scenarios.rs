//! The proof of issue 13: the three nights it was found on, replayed from
//! the starter SSOT (`opsbook init`) to CLOSED as a tired operator types
//! them — Binance -1021 at 03:10 from clock drift, a suspected API key leak,
//! a BTCUSDT market-data gap — with a fake clock (`OPSBOOK_NOW`), stand-in
//! hooks and stand-in runbook commands on `PATH`. Each asserts the safety
//! state, the incident, the ledgers, the evidence the runbook asked for
//! (and what it could not collect), and that a fake exchange key typed into
//! a title, a note, a decision and printed by a hook is in no ledger and
//! no postmortem.
//!
//! The recovery acceptance is one helper, [`accept`]: `time_ok` names a
//! recorded clock check (`TCK-…`, against a local SNTP responder),
//! `no_split_brain` the lease ledger (both order writers held), and
//! `reconciliation_ok` a stored reconciliation — all verified by opsbook,
//! none taken on the operator's word.

#![cfg(unix)]

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::super::{init_ssot, opsbook, outcome};

/// The fake exchange key the operator pastes everywhere.
const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

/// One night: the SSOT, a working directory (the runbooks' `D:\trading\…`
/// paths are relative files there), stand-ins on `PATH`, a machine data
/// directory (the default spool), the lease store and the evidence share.
struct Night {
    _t: tempfile::TempDir,
    dir: PathBuf,
    cwd: PathBuf,
    bin: PathBuf,
    data: PathBuf,
    leases: PathBuf,
    share: PathBuf,
}

impl Night {
    fn new() -> Night {
        let (t, dir) = init_ssot();
        let base = t.path().to_path_buf();
        let n = Night {
            cwd: base.join("host"),
            bin: base.join("bin"),
            data: base.join("data"),
            leases: base.join("leases"),
            share: base.join("share"),
            dir,
            _t: t,
        };
        for d in [&n.cwd, &n.bin, &n.data, &n.share] {
            std::fs::create_dir_all(d).unwrap();
        }
        // The platform's kill switch and safe mode: they print what an
        // engine prints, the key included.
        let platform = base.join("platform.log");
        let mut toml = std::fs::read_to_string(n.dir.join("opsbook.toml")).unwrap();
        for state in ["HALTED", "SAFE_MODE"] {
            toml.push_str(&format!(
                "\n[safety.hooks.{state}]\ncommand = [\"sh\", \"-c\", \"echo {state} >> '{}'; echo 'engine: {state} acknowledged, X-MBX-APIKEY: {KEY}'\"]\ntimeout_seconds = 20\n",
                platform.display()
            ));
        }
        std::fs::write(n.dir.join("opsbook.toml"), toml).unwrap();
        // The runbooks' read-only commands, as stand-ins.
        n.stand_in(
            "w32tm",
            "echo 'Leap Indicator: 0(no warning)'; echo 'Source: time.windows.com'; echo 'Phase Offset: -1.2000000s'",
        );
        n.stand_in(
            "opsbook",
            &format!("exec '{}' \"$@\"", env!("CARGO_BIN_EXE_opsbook")),
        );
        n
    }

    fn stand_in(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let p = self.bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A file of the host at a runbook's Windows path: here, a file of
    /// that very name (backslashes included) in the working directory.
    fn host_file(&self, windows_path: &str, text: &str) {
        std::fs::write(self.cwd.join(windows_path), text).unwrap();
    }

    /// `opsbook ARGS --root DIR` at `now`; (exit, stdout, stderr).
    fn run(&self, now: &str, args: &[&str]) -> (i32, String, String) {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = opsbook()
            .current_dir(&self.cwd)
            .env("PATH", path)
            .env("OPSBOOK_NOW", now)
            .env("OPSBOOK_ACTOR", "Aiko")
            .env("TZ", "UTC")
            .env("XDG_DATA_HOME", &self.data)
            .env("OPSBOOK_LEASE_DIR", &self.leases)
            .env("OPSBOOK_CLOCK_REFERENCE", "none")
            .env_remove("OPSBOOK_SPOOL")
            // The runbooks' `opsbook …` commands find the SSOT from here.
            .env("OPSBOOK_ROOT", &self.dir)
            .env_remove("OPSBOOK_INCIDENT")
            .env_remove("OPSBOOK_EVIDENCE_SIGNING_KEY")
            .args(args)
            .arg("--root")
            .arg(&self.dir)
            .output()
            .unwrap();
        outcome(&out)
    }

    fn ok(&self, now: &str, args: &[&str]) -> String {
        let (c, out, err) = self.run(now, args);
        assert_eq!(c, 0, "{args:?}: {out}{err}");
        out
    }

    fn json(&self, now: &str, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(now, &a)).unwrap()
    }

    fn safety(&self, now: &str) -> String {
        self.json(now, &["safety", "status"])["state"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Collects the evidence `runbook` names; returns the manifest.
    fn collect(&self, now: &str, id: &str, runbook: &str) -> (Value, Value) {
        let share = self.share.display().to_string();
        let c = self.json(
            now,
            &[
                "evidence",
                "collect",
                "--incident",
                id,
                "--runbook",
                runbook,
                "--dest",
                &share,
            ],
        );
        let zip = PathBuf::from(c["path"].as_str().unwrap());
        assert!(zip.starts_with(&self.share), "{c}");
        (c, manifest(&zip))
    }

    /// Every file under the ledgers and the incidents (postmortems included).
    fn records(&self) -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        for top in ["ledger", "incidents"] {
            for e in walkdir(&self.dir.join(top)) {
                out.push((e.clone(), std::fs::read_to_string(&e).unwrap()));
            }
        }
        out
    }

    /// The fake key is nowhere in a ledger or a postmortem; it was there
    /// to be found (redacted) in each record the operator typed it into.
    fn no_key_anywhere(&self) {
        let recs = self.records();
        assert!(recs.iter().any(|(p, _)| p.ends_with("postmortem.md")));
        for (p, text) in &recs {
            assert!(!text.contains(KEY), "the key is in {}", p.display());
        }
        let redacted = recs
            .iter()
            .filter(|(_, t)| t.contains("[REDACTED:"))
            .count();
        assert!(redacted >= 2, "nothing was redacted: the key was not typed");
    }
}

fn walkdir(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walkdir(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn manifest(zip: &Path) -> Value {
    use std::io::Read as _;
    let mut a = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut s = String::new();
    a.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

/// The manifest's `not_collected` sources.
fn not_collected(m: &Value) -> Vec<String> {
    m["not_collected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["source"].as_str().unwrap().to_string())
        .collect()
}

/// The manifest's file names (`command:NAME` or the path).
fn originals(m: &Value) -> Vec<String> {
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["original"].as_str().unwrap().to_string())
        .collect()
}

/// The event types of a ledger, in order.
fn types(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The recovery acceptance at `now`, every check verified by opsbook: a
/// clock check recorded against a local SNTP responder (`TCK-…`), both
/// order writers' leases (the lease ledger), a stored clean reconciliation,
/// the dwell from the safety ledger. (Kept in this one helper: what counts
/// as verified evidence for `time_ok`/`no_split_brain` may tighten.)
fn accept(n: &Night, now: &str, id: &str) {
    let (near, _) = opsbook_testkit::sntp::scripted(vec![opsbook_testkit::sntp::Reply::at(8)]);
    let t = n.json(now, &["time", "check", "--server", &near, "--incident", id]);
    let tck = t["recorded"].as_str().unwrap().to_string();
    for writer in ["order-gateway", "trading-engine"] {
        n.ok(now, &["lease", "acquire", writer, "--holder", "node-a"]);
    }
    let (ours, theirs) = opsbook_testkit::ssot::clean_fills(&n.cwd);
    let rec = n.json(
        now,
        &[
            "reconcile",
            "fills",
            "--internal",
            ours.to_str().unwrap(),
            "--exchange",
            theirs.to_str().unwrap(),
        ],
    );
    let rid = rec["stored"]["id"].as_str().unwrap().to_string();
    let checks = [
        "cause_mitigated=pass:https://wiki.example.invalid/incidents/decision".to_string(),
        format!("reconciliation_ok=pass:{rid}"),
        format!("time_ok=pass:{tck}"),
        "no_split_brain=pass:ledger/lease.jsonl".to_string(),
        "alerts_quiet=pass:alertmanager-silences.json".to_string(),
        "recovering_dwell=pass:ledger/safety.jsonl".to_string(),
    ];
    let mut args = vec!["incident", "accept", id];
    for c in &checks {
        args.extend(["--check", c.as_str()]);
    }
    n.ok(now, &args);
}

/// RECOVERING (from `since`) → accepted after the 30-minute dwell →
/// NORMAL → watched → RESOLVED → postmortem drafted from the events and
/// reviewed → CLOSED → freeze lifted. Times are minutes after `t0`.
fn recover_and_close(n: &Night, t0: jiff::Timestamp, id: &str, severity: &str) {
    let at = |min: i64| (t0 + jiff::SignedDuration::from_mins(min)).to_string();
    n.ok(
        &at(5),
        &[
            "incident",
            "status",
            id,
            "MONITORING",
            "--reason",
            "watching the fix",
        ],
    );
    // 20 minutes of RECOVERING are not its 30: refused, nothing recorded.
    let (c, _, err) = n.run(&at(20), &["incident", "resolve", id, "--reason", "early"]);
    assert_eq!(c, 1, "{err}");
    accept(n, &at(31), id);
    n.ok(
        &at(32),
        &[
            "safety",
            "set",
            "NORMAL",
            "--reason",
            "recovery accepted",
            "--evidence",
            "acceptance recorded on the incident",
            "--incident",
            id,
        ],
    );
    assert_eq!(n.safety(&at(33)), "NORMAL");
    n.ok(
        &at(95),
        &[
            "safety",
            "watch-end",
            "--result",
            "ok",
            "--reason",
            "quiet for an hour",
        ],
    );
    n.ok(
        &at(96),
        &[
            "incident",
            "resolve",
            id,
            "--reason",
            "accepted and watched",
        ],
    );
    n.ok(&at(97), &["postmortem", "new", id]);
    let pm = n.dir.join("incidents").join(id).join("postmortem.md");
    let draft = std::fs::read_to_string(&pm).unwrap();
    // The drafted timeline stays (redacted); the review fills the rest.
    let body = draft
        .splitn(3, "---")
        .nth(2)
        .unwrap_or_default()
        .replace("TODO", "Reviewed");
    let head = opsbook_testkit::ssot::postmortem(
        id,
        "Add the check that caught it to the runbook",
        "RB-QUICK-P0-FIRST-TEN",
        "open",
        "2026-12-13",
    )
    .replace("severity: P0", &format!("severity: {severity}"));
    let head = head.split("\r\n---\r\n").next().unwrap();
    std::fs::write(&pm, format!("{head}\r\n---{body}")).unwrap();
    n.ok(
        &at(98),
        &["incident", "close", id, "--reason", "postmortem reviewed"],
    );
    n.ok(
        &at(99),
        &["freeze", "off", "--reason", "recovered, watched, reviewed"],
    );
    let show = n.json(&at(100), &["incident", "show", id]);
    assert_eq!(show["status"], "CLOSED", "{show}");
    assert_eq!(n.safety(&at(100)), "NORMAL");
    n.ok(&at(101), &["ledger", "verify"]);
    // The hook ran once (into HALTED or SAFE_MODE), then RECOVERING,
    // NORMAL and its watch: nothing else, nothing twice.
    assert_eq!(
        types(&n.dir.join("ledger/safety.jsonl")),
        [
            "hook_attempt",
            "hook_result",
            "state_exited",
            "state_entered",
            "state_exited",
            "state_entered",
            "state_exited",
            "state_entered",
            "watch_started",
            "watch_ended"
        ]
    );
    let hooked = std::fs::read_to_string(n._t.path().join("platform.log")).unwrap();
    assert_eq!(hooked.lines().count(), 1, "{hooked}");
    assert_eq!(
        types(&n.dir.join("ledger/time.jsonl")),
        ["time_checked"],
        "the clock check time_ok names"
    );
    assert!(types(&n.dir.join("ledger/lease.jsonl")).len() >= 2);
    assert_eq!(
        types(&n.dir.join("ledger/freeze.jsonl"))
            .last()
            .map(String::as_str),
        Some("freeze_off")
    );
    n.no_key_anywhere();
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

/// Binance -1021 at 03:10: the clock ran ahead. HALT first, the time-drift
/// runbook's evidence (the stand-in `w32tm`), resync, the kill switch
/// released through the high-danger confirmation, recovery verified.
#[test]
fn night_1021_clock_drift_from_halt_to_closed() {
    let n = Night::new();
    n.host_file(
        r"D:\trading\logs\gateway.log",
        "03:10:02 -1021 Timestamp for this request was 1000ms ahead of the server's time.\n",
    );
    let h = n.json(
        "2026-11-29T03:10:00Z",
        &["halt", "--reason", "-1021 on every signed request"],
    );
    assert_eq!(h["state"], "HALTED");
    let id = h["incident"].as_str().unwrap().to_string();
    assert_eq!(n.safety("2026-11-29T03:10:30Z"), "HALTED");
    n.ok("2026-11-29T03:11:00Z", &["incident", "ack", &id]);
    n.ok(
        "2026-11-29T03:12:00Z",
        &[
            "incident",
            "log",
            &id,
            &format!("pasted from the gateway: X-MBX-APIKEY: {KEY} -1021"),
        ],
    );
    let (c, m) = n.collect("2026-11-29T03:13:00Z", &id, "RB-PLAT-TIME-DRIFT");
    assert_eq!(c["spooled"], false);
    let files = originals(&m);
    assert!(
        files.iter().any(|f| f == "command:w32tm-status"),
        "{files:?}"
    );
    let nc = not_collected(&m);
    // Prose-only items are listed as not collected, with the reason.
    assert!(
        nc.iter()
            .any(|s| s.starts_with("Offset against the exchange clock")),
        "{nc:?}"
    );
    assert_eq!(m["ssot"]["name"], "example-trading-ops");
    n.ok(
        "2026-11-29T03:15:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--decision",
            &format!("-resync W32Time first; the key X-MBX-APIKEY: {KEY} was not exposed"),
            "--reason",
            "cheapest safe step",
        ],
    );
    n.ok(
        "2026-11-29T03:20:00Z",
        &[
            "incident",
            "status",
            &id,
            "MITIGATING",
            "--reason",
            "-w32tm /resync done",
        ],
    );
    let answers = n.cwd.join("answers.yaml");
    std::fs::write(
        &answers,
        opsbook_testkit::ssot::confirm_answers("RECOVERING", 9),
    )
    .unwrap();
    n.ok(
        "2026-11-29T03:41:00Z",
        &[
            "confirm",
            "release_halt",
            "--target",
            "RECOVERING",
            "--incident",
            &id,
            "--answers",
            answers.to_str().unwrap(),
            "--override-reason",
            "the clock is fixed; a second operator is not on call tonight",
        ],
    );
    // HALTED holds at least 30 minutes (the anti-flap dwell).
    n.ok(
        "2026-11-29T03:45:00Z",
        &[
            "safety",
            "set",
            "RECOVERING",
            "--reason",
            "offset 8 ms after resync",
            "--evidence",
            c["bundle_id"].as_str().unwrap(),
            "--incident",
            &id,
        ],
    );
    assert_eq!(n.safety("2026-11-29T03:46:00Z"), "RECOVERING");
    recover_and_close(&n, ts("2026-11-29T03:45:00Z"), &id, "P0");
}

/// A suspected API key leak: a P0 from the stated facts, HALTED by the
/// decision itself, the key-leak runbook's evidence (its platform command
/// fails here and is listed as not collected), a new key, recovery.
#[test]
fn night_suspected_key_leak_from_open_to_closed() {
    let n = Night::new();
    n.host_file(
        r"D:\trading\logs\gateway.log",
        "03:40 POST /api/v3/order 200\n",
    );
    let open = n.json(
        "2026-11-29T03:40:00Z",
        &[
            "incident",
            "open",
            "--title",
            &format!("API key seen in the team chat: X-MBX-APIKEY: {KEY}"),
            "--fact",
            "mode=live",
            "--fact",
            "security_suspected=true",
        ],
    );
    let id = open["id"].as_str().unwrap().to_string();
    assert_eq!(open["severity"], "P0", "{open}");
    n.ok("2026-11-29T03:40:30Z", &["incident", "ack", &id]);
    n.ok(
        "2026-11-29T03:41:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--safety",
            "HALTED",
            "--decision",
            &format!("-stop trading until X-MBX-APIKEY: {KEY} is revoked"),
            "--reason",
            "unknown orders possible",
        ],
    );
    assert_eq!(n.safety("2026-11-29T03:41:30Z"), "HALTED");
    let (_, m) = n.collect("2026-11-29T03:42:00Z", &id, "RB-SEC-KEY-LEAK");
    let files = originals(&m);
    assert!(
        files.iter().any(|f| f == r"D:\trading\logs\gateway.log"),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f == "command:opsbook-safety-status"),
        "{files:?}"
    );
    let nc = not_collected(&m);
    // `Invoke-RestMethod` is no command here: it failed, and says so.
    assert!(nc.iter().any(|s| s == "command:open-orders"), "{nc:?}");
    assert!(
        nc.iter()
            .any(|s| s.starts_with("GET /sapi/v1/capital/withdraw/history")),
        "{nc:?}"
    );
    n.ok(
        "2026-11-29T03:50:00Z",
        &[
            "incident",
            "log",
            &id,
            "key revoked in the exchange UI; new key installed from the vault",
        ],
    );
    n.ok(
        "2026-11-29T03:51:00Z",
        &[
            "incident",
            "status",
            &id,
            "MITIGATING",
            "--reason",
            "new key installed",
        ],
    );
    let answers = n.cwd.join("answers.yaml");
    std::fs::write(
        &answers,
        opsbook_testkit::ssot::confirm_answers("RECOVERING", 9),
    )
    .unwrap();
    n.ok(
        "2026-11-29T04:12:00Z",
        &[
            "confirm",
            "release_halt",
            "--target",
            "RECOVERING",
            "--incident",
            &id,
            "--answers",
            answers.to_str().unwrap(),
            "--override-reason",
            "new key verified; no unknown orders",
        ],
    );
    n.ok(
        "2026-11-29T04:16:00Z",
        &[
            "safety",
            "set",
            "RECOVERING",
            "--reason",
            "new key verified",
            "--evidence",
            "apiRestrictions output of the new key",
            "--incident",
            &id,
        ],
    );
    recover_and_close(&n, ts("2026-11-29T04:16:00Z"), &id, "P0");
}

/// A BTCUSDT market-data gap: a P1, SAFE_MODE by decision (the hook), the
/// gap runbook's evidence (the feed log; the admin query fails here), the
/// stream repaired, recovery.
#[test]
fn night_btcusdt_market_data_gap_from_open_to_closed() {
    let n = Night::new();
    n.host_file(
        r"D:\trading\logs\mdfeed.log",
        "04:10:05 BTCUSDT depth gap: lastUpdateId 100 -> 180, resync\n",
    );
    let open = n.json(
        "2026-11-29T04:10:00Z",
        &[
            "incident",
            "open",
            "--title",
            "BTCUSDT market-data gap 04:10-04:14",
            "--severity",
            "P1",
            "--reason",
            "-stale book on one symbol",
        ],
    );
    let id = open["id"].as_str().unwrap().to_string();
    n.ok("2026-11-29T04:10:30Z", &["incident", "ack", &id]);
    n.ok(
        "2026-11-29T04:11:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--safety",
            "SAFE_MODE",
            "--decision",
            "reduce only while the book resyncs",
            "--reason",
            &format!("feed debug line had X-MBX-APIKEY: {KEY}"),
        ],
    );
    assert_eq!(n.safety("2026-11-29T04:11:30Z"), "SAFE_MODE");
    let (_, m) = n.collect("2026-11-29T04:12:00Z", &id, "RB-MD-GAP-REPAIR");
    let files = originals(&m);
    assert!(
        files.iter().any(|f| f == r"D:\trading\logs\mdfeed.log"),
        "{files:?}"
    );
    let nc = not_collected(&m);
    assert!(nc.iter().any(|s| s == "command:md-status"), "{nc:?}");
    n.ok(
        "2026-11-29T04:20:00Z",
        &[
            "incident",
            "status",
            &id,
            "MITIGATING",
            "--reason",
            "stream resynced",
        ],
    );
    // SAFE_MODE holds at least 15 minutes.
    n.ok(
        "2026-11-29T04:27:00Z",
        &[
            "safety",
            "set",
            "RECOVERING",
            "--reason",
            "book healthy for 5 minutes",
            "--evidence",
            "md status after resync",
            "--incident",
            &id,
        ],
    );
    recover_and_close(&n, ts("2026-11-29T04:27:00Z"), &id, "P1");
}
