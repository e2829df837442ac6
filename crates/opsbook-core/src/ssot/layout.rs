//! The SSOT layout: the one place that knows where every file of an SSOT
//! lives (DESIGN §2). Everything else asks it for a path instead of joining
//! `policy`, `ledger` or `incidents` by hand.
//!
//! ```text
//! opsbook.toml
//! policy/<name>.yaml              PolicyFile
//! plans/<name>.yaml
//! runbooks/runbooks.yaml          registry; coverage_matrix.yaml, drills.yaml
//! contracts/<name>.schema.json
//! ledger/<name>.jsonl             LedgerFile (safety, freeze, custody, …)
//! incidents/<ID>/events.jsonl     one incident's hash-chained log
//! incidents/<ID>/postmortem.md
//! recon/profiles/<name>.yaml      column-mapping profiles (contract recon-profile)
//! recon/reports/<ID>.json         stored reconciliation reports
//! ```

use std::path::{Path, PathBuf};

/// Name of the root configuration file.
pub const CONFIG_FILE: &str = "opsbook.toml";

/// A policy file of `policy/` (D-POLICY-*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyFile {
    /// `policy/severity.yaml`.
    Severity,
    /// `policy/degraded.yaml`: the safety state machine.
    Degraded,
    /// `policy/safety-matrix.yaml`: state × action, and the confirmation.
    SafetyMatrix,
    /// `policy/change-freeze.yaml`.
    ChangeFreeze,
    /// `policy/evidence.yaml`.
    Evidence,
    /// `policy/time.yaml`.
    Time,
    /// `policy/failover.yaml`.
    Failover,
    /// `policy/notification.yaml`.
    Notification,
    /// `policy/alert-noise.yaml`.
    AlertNoise,
}

impl PolicyFile {
    /// Every policy file.
    pub const ALL: [PolicyFile; 9] = [
        PolicyFile::Severity,
        PolicyFile::Degraded,
        PolicyFile::SafetyMatrix,
        PolicyFile::ChangeFreeze,
        PolicyFile::Evidence,
        PolicyFile::Time,
        PolicyFile::Failover,
        PolicyFile::Notification,
        PolicyFile::AlertNoise,
    ];

    /// The name: `degraded` for `policy/degraded.yaml`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            PolicyFile::Severity => "severity",
            PolicyFile::Degraded => "degraded",
            PolicyFile::SafetyMatrix => "safety-matrix",
            PolicyFile::ChangeFreeze => "change-freeze",
            PolicyFile::Evidence => "evidence",
            PolicyFile::Time => "time",
            PolicyFile::Failover => "failover",
            PolicyFile::Notification => "notification",
            PolicyFile::AlertNoise => "alert-noise",
        }
    }

    /// The path relative to the root, `/`-separated: `policy/degraded.yaml`.
    #[must_use]
    pub fn rel(self) -> String {
        format!("policy/{}.yaml", self.name())
    }

    /// The contract that validates it: `policy-degraded`.
    #[must_use]
    pub fn contract(self) -> String {
        format!("policy-{}", self.name())
    }
}

/// A hash-chained ledger of `ledger/` (D-INC-LEDGER).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerFile {
    /// `ledger/safety.jsonl`: safety-state transitions and hook runs.
    Safety,
    /// `ledger/freeze.jsonl`: change freeze on/off and exceptions.
    Freeze,
    /// `ledger/custody.jsonl`: evidence chain of custody.
    Custody,
    /// `ledger/confirmations.jsonl`: high-danger confirmations.
    Confirmations,
    /// `ledger/drills.jsonl`: drill results.
    Drills,
    /// `ledger/reconciliation.jsonl`: stored reconciliation reports and
    /// accepted breaks (D-DATA-RECON, D-DATA-RERECON).
    Reconciliation,
    /// `ledger/lease.jsonl`: lease grants, renewals, expiries, releases,
    /// takeovers and refused claims (written by `opsbook-lease`).
    Lease,
    /// `ledger/time.jsonl`: recorded clock checks (`TCK-<seq>`).
    Time,
    /// `ledger/data.jsonl`: market-data marks, quarantines and version
    /// switches.
    Data,
    /// `ledger/runs.jsonl`: runbook runs (`opsbook run`), step by step.
    Runs,
}

impl LedgerFile {
    /// The file name without `.jsonl`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LedgerFile::Safety => "safety",
            LedgerFile::Freeze => "freeze",
            LedgerFile::Custody => "custody",
            LedgerFile::Confirmations => "confirmations",
            LedgerFile::Drills => "drills",
            LedgerFile::Reconciliation => "reconciliation",
            LedgerFile::Lease => "lease",
            LedgerFile::Time => "time",
            LedgerFile::Data => "data",
            LedgerFile::Runs => "runs",
        }
    }

    /// The path relative to the root: `ledger/safety.jsonl`.
    #[must_use]
    pub fn rel(self) -> String {
        format!("ledger/{}.jsonl", self.name())
    }
}

/// Where the files of the SSOT at `root` are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout of the SSOT at `root`.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    /// The root directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `opsbook.toml`.
    #[must_use]
    pub fn config(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// `policy/<name>.yaml`.
    #[must_use]
    pub fn policy(&self, p: PolicyFile) -> PathBuf {
        self.root.join("policy").join(format!("{}.yaml", p.name()))
    }

    /// `plans/<name>.yaml`.
    #[must_use]
    pub fn plan(&self, name: &str) -> PathBuf {
        self.root.join("plans").join(format!("{name}.yaml"))
    }

    /// `ledger/<name>.jsonl`.
    #[must_use]
    pub fn ledger(&self, l: LedgerFile) -> PathBuf {
        self.root.join("ledger").join(format!("{}.jsonl", l.name()))
    }

    /// `incidents/`.
    #[must_use]
    pub fn incidents(&self) -> PathBuf {
        self.root.join("incidents")
    }

    /// `incidents/<ID>/`.
    #[must_use]
    pub fn incident(&self, id: &str) -> PathBuf {
        self.incidents().join(id)
    }

    /// `incidents/<ID>/events.jsonl`.
    #[must_use]
    pub fn incident_events(&self, id: &str) -> PathBuf {
        self.incident(id).join("events.jsonl")
    }

    /// `incidents/<ID>/postmortem.md`.
    #[must_use]
    pub fn postmortem(&self, id: &str) -> PathBuf {
        self.incident(id).join("postmortem.md")
    }

    /// `incidents/<ID>/postmortem.md` relative to the root, `/`-separated
    /// (as recorded in events and shown to people).
    #[must_use]
    pub fn postmortem_rel(id: &str) -> String {
        format!("incidents/{id}/postmortem.md")
    }

    /// `runbooks/`.
    #[must_use]
    pub fn runbooks(&self) -> PathBuf {
        self.root.join("runbooks")
    }

    /// `runbooks/runbooks.yaml`: the registry.
    #[must_use]
    pub fn registry(&self) -> PathBuf {
        self.runbooks().join("runbooks.yaml")
    }

    /// `runbooks/coverage_matrix.yaml`.
    #[must_use]
    pub fn coverage_matrix(&self) -> PathBuf {
        self.runbooks().join("coverage_matrix.yaml")
    }

    /// `runbooks/drills.yaml`.
    #[must_use]
    pub fn drills(&self) -> PathBuf {
        self.runbooks().join("drills.yaml")
    }

    /// `contracts/`.
    #[must_use]
    pub fn contracts(&self) -> PathBuf {
        self.root.join("contracts")
    }

    /// `recon/`: reconciliation profiles and reports.
    #[must_use]
    pub fn recon(&self) -> PathBuf {
        self.root.join("recon")
    }

    /// `recon/profiles/<name>.yaml`: a column-mapping profile (contract
    /// `recon-profile`), found by `--exchange-format NAME`.
    #[must_use]
    pub fn recon_profile(&self, name: &str) -> PathBuf {
        self.recon().join("profiles").join(format!("{name}.yaml"))
    }

    /// `recon/reports/`.
    #[must_use]
    pub fn recon_reports(&self) -> PathBuf {
        self.recon().join("reports")
    }

    /// `recon/reports/<ID>.json`: a stored reconciliation report.
    #[must_use]
    pub fn recon_report(&self, id: &str) -> PathBuf {
        self.recon_reports().join(format!("{id}.json"))
    }

    /// `recon/reports/<ID>.json` relative to the root, `/`-separated (as
    /// recorded in events and shown to people).
    #[must_use]
    pub fn recon_report_rel(id: &str) -> String {
        format!("recon/reports/{id}.json")
    }

    /// `runs/<RUN-ID>/`: the redacted step transcripts of one `opsbook run`.
    #[must_use]
    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.root.join("runs").join(run_id)
    }

    /// `.opsbook/baseline.json`, the default gate baseline.
    #[must_use]
    pub fn default_baseline(&self) -> PathBuf {
        self.root.join(".opsbook").join("baseline.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_under_the_root() {
        let l = Layout::new("ops");
        assert_eq!(
            l.policy(PolicyFile::SafetyMatrix),
            Path::new("ops/policy/safety-matrix.yaml")
        );
        assert_eq!(PolicyFile::SafetyMatrix.contract(), "policy-safety-matrix");
        assert_eq!(
            l.ledger(LedgerFile::Confirmations),
            Path::new("ops/ledger/confirmations.jsonl")
        );
        assert_eq!(LedgerFile::Custody.rel(), "ledger/custody.jsonl");
        assert_eq!(
            LedgerFile::Reconciliation.rel(),
            "ledger/reconciliation.jsonl"
        );
        assert_eq!(
            l.recon_report("REC-1"),
            Path::new("ops/recon/reports/REC-1.json")
        );
        assert_eq!(
            Layout::recon_report_rel("REC-1"),
            "recon/reports/REC-1.json"
        );
        assert_eq!(
            l.recon_profile("kraken"),
            Path::new("ops/recon/profiles/kraken.yaml")
        );
        assert_eq!(
            l.incident_events("INC-1"),
            Path::new("ops/incidents/INC-1/events.jsonl")
        );
        assert_eq!(
            Layout::postmortem_rel("INC-1"),
            "incidents/INC-1/postmortem.md"
        );
        // Every policy the starter SSOT ships is named here, and nothing else.
        let mut shipped: Vec<String> = crate::ssot::scaffold::files()
            .into_iter()
            .filter_map(|(p, _)| p.strip_prefix("policy/").map(str::to_string))
            .collect();
        shipped.sort();
        let mut named: Vec<String> = PolicyFile::ALL
            .iter()
            .map(|p| format!("{}.yaml", p.name()))
            .collect();
        named.sort();
        assert_eq!(named, shipped);
    }
}
