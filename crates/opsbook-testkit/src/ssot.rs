//! A fresh starter SSOT (what `opsbook init` writes) in a temporary
//! directory, for library tests that work on a real tree.

use std::path::{Path, PathBuf};

/// Writes the starter SSOT into `dir` (created).
///
/// # Panics
/// If a file cannot be written (a test environment problem).
pub fn write_starter(dir: &Path) {
    for (rel, bytes) in opsbook_core::scaffold::files() {
        let p = dir.join(&rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create a directory");
        }
        std::fs::write(&p, bytes).expect("write a starter file");
    }
}

/// Replaces the first `from` in the file at `path` by `to`.
///
/// # Panics
/// If the file does not hold `from` (the test's assumption broke).
pub fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).expect("read");
    assert!(s.contains(from), "`{from}` not in {}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).expect("write");
}

/// Appends `text` to `opsbook.toml` under `root`.
///
/// # Panics
/// If it cannot be read or written.
pub fn append_config(root: &Path, text: &str) {
    let p = root.join("opsbook.toml");
    let mut s = std::fs::read_to_string(&p).expect("read opsbook.toml");
    s.push_str(text);
    std::fs::write(p, s).expect("write opsbook.toml");
}

/// A TOML basic string (Windows paths carry backslashes).
#[must_use]
pub fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The root of a starter SSOT under `base` (`base/ops`).
#[must_use]
pub fn starter_in(base: &Path) -> PathBuf {
    let root = base.join("ops");
    write_starter(&root);
    root
}

/// An answers file for the high-danger confirmation (`opsbook confirm
/// --answers`): a fit operator (`awake` hours up, 7 slept), every checklist
/// answer yes, `target` typed twice, a reason.
#[must_use]
pub fn confirm_answers(target: &str, awake: u32) -> String {
    format!(
        "hours_awake: {awake}\r\nhours_slept: 7\r\nhours_on_incident: 1\r\nchecklist: {{evidence_sealed: yes, backout_read: yes, cause_mitigated: yes, scope_known: yes, freeze_checked: yes}}\r\ntarget: {target}\r\ntarget_again: {target}\r\nreason: reconciliation clean twice\r\n"
    )
}

/// The order writers of the starter `policy/failover.yaml`
/// (`fencing_required`): the leases `no_split_brain` needs held.
pub const ORDER_WRITERS: [&str; 2] = ["order-gateway", "trading-engine"];

/// The `no_split_brain` answer: the lease ledger, which opsbook replays
/// itself (never the operator's word).
pub const NO_SPLIT_BRAIN: &str = "no_split_brain=pass:ledger/lease.jsonl";

/// Every recovery-acceptance check of the starter policy, in policy order,
/// passed with the records opsbook verifies: `reconciliation_ok` with the
/// stored report `report` (a `REC-…` ID, e.g. of a run over
/// [`clean_fills`]), `time_ok` with the recorded clock check `time_check`
/// (`TCK-<n>`, from `time check --record` against an SNTP responder of
/// [`crate::sntp`]), `no_split_brain` with the lease ledger (every
/// [`ORDER_WRITERS`] lease must be held: acquire them first);
/// `cause_mitigated` and `alerts_quiet` with a URL and a file (taken as
/// given), `recovering_dwell` with the safety ledger (read whatever is
/// given).
#[must_use]
pub fn accept_all(report: &str, time_check: &str) -> Vec<String> {
    vec![
        "cause_mitigated=pass:https://wiki.example.invalid/incidents/decision-0215".into(),
        format!("reconciliation_ok=pass:{report}"),
        format!("time_ok=pass:{time_check}"),
        NO_SPLIT_BRAIN.into(),
        "alerts_quiet=pass:alertmanager-0243.json".into(),
        "recovering_dwell=pass:ledger/safety.jsonl".into(),
    ]
}

/// Points the SSOT's local lease store at `dir` (`[lease]` in
/// `opsbook.toml`), unless it already names one: a test's leases never
/// meet another test's in the host's shared store.
///
/// # Panics
/// If `opsbook.toml` cannot be read or written.
pub fn own_lease_store(root: &Path, dir: &Path) {
    let p = root.join("opsbook.toml");
    let s = std::fs::read_to_string(&p).expect("read opsbook.toml");
    if !s.contains("[lease]") {
        append_config(
            root,
            &format!(
                "\n[lease]\nbackend = \"local\"\ndir = {}\n",
                toml_str(&dir.display().to_string())
            ),
        );
    }
}

/// Writes a clean pair of fills exports under `dir`: ours
/// (`clean-ours.csv`, opsbook format) and the exchange's
/// (`clean-theirs.csv`, Binance `myTrades` columns), one BTCUSDT trade at
/// 2026-11-01T00:00:00Z on each side, equal. A reconciliation of the pair
/// run at any later time is clean and covers any incident window after it
/// (its history starts with the first fill).
///
/// # Panics
/// If a file cannot be written.
#[must_use]
pub fn clean_fills(dir: &Path) -> (PathBuf, PathBuf) {
    // 2026-11-01T00:00:00Z in epoch ms.
    const TS: i64 = 1_793_491_200_000;
    let ours = dir.join("clean-ours.csv");
    let theirs = dir.join("clean-theirs.csv");
    std::fs::write(
        &ours,
        format!(
            "exchange,symbol,trade_id,order_id,side,qty,price,fee,fee_asset,ts_ms\r\nbinance,BTCUSDT,1,7,buy,0.5,60000,0.0001,BNB,{TS}\r\n"
        ),
    )
    .expect("write our fills");
    std::fs::write(
        &theirs,
        format!(
            "symbol,id,orderId,side,qty,price,commission,commissionAsset,time\r\nBTCUSDT,1,7,BUY,0.50000000,60000.00000000,0.00010000,BNB,{TS}\r\n"
        ),
    )
    .expect("write the exchange's fills");
    (ours, theirs)
}

/// A postmortem of `id` (P0, reviewed) with one runbook action item.
#[must_use]
pub fn postmortem(id: &str, item: &str, target: &str, status: &str, due: &str) -> String {
    format!(
        "---\r\nincident_id: {id}\r\ntitle:\r\n  en: Orders rejected because the clock ran ahead\r\nseverity: P0\r\nstatus: reviewed\r\nauthors: [Aiko]\r\ncreated: 2026-11-29\r\nsummary: W32Time stopped syncing; Binance rejected signed requests for 40 minutes.\r\nimpact: No orders 02:10-02:50 UTC; unexpected loss USD 0.\r\nroot_cause: A firewall change blocked UDP 123.\r\ndefect_analysis:\r\n  detection: No alert on sync age.\r\n  response: The gateway was restarted first.\r\n  recovery: Resync needed Administrator rights.\r\n  learning: The time drill had never been run.\r\naction_items:\r\n  - id: AI-1\r\n    type: runbook\r\n    target: {target}\r\n    description: \"{item}\"\r\n    owner: Aiko\r\n    due: {due}\r\n    status: {status}\r\n    done_ref: null\r\n---\r\n\r\n# Postmortem\r\n"
    )
}
