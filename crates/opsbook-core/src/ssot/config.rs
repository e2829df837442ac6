//! `opsbook.toml`, typed: the parts the engines read ([`Config`]), read
//! leniently — a setting of the wrong type is its default, and the
//! `opsbook-toml` contract reports it (the gate), so that one bad setting
//! does not hide the rest. Unknown keys are accepted (the contract decides).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::syntax::lenient;

/// The parts of `opsbook.toml` the engines read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `[gate] baseline`: path of the baseline file, relative to the root.
    pub baseline: Option<String>,
    /// `[gate] alerts`: globs of Prometheus rule files, relative to the root;
    /// an entry starting with `!` excludes (`"!alerts/**/*_test.yaml"`,
    /// promtool's unit tests). `[gate] exclude` removes files too.
    pub alerts: Vec<String>,
    /// `[gate] runbook_url_base`.
    pub runbook_url_base: Option<String>,
    /// `[gate] exclude`: globs not checked (runbooks, alert rule files, …);
    /// `!` re-includes.
    pub exclude: Vec<String>,
    /// `[gate.levels]`: rule code or name → level.
    pub levels: BTreeMap<String, String>,
    /// `[ids] incident`: the incident ID convention (default
    /// `INC-{yyyymmdd}-{seq:3}`).
    pub incident_id: Option<String>,
    /// `[incidents] action_overdue_error_days`: days an overdue action item
    /// stays a warning before it is an error (default 14).
    pub action_overdue_error_days: Option<u32>,
    /// `[safety.hooks.STATE]`: the command that switches the platform into STATE.
    pub hooks: BTreeMap<String, Hook>,
    /// `[lease]`: where `opsbook lease` keeps the leases.
    pub lease: LeaseConfig,
    /// `[project] name`: the SSOT's name for people (evidence manifests).
    pub project_name: Option<String>,
    /// `[run]`: defaults of `opsbook run`.
    pub run: RunConfig,
}

/// A configured platform hook (`[safety.hooks.STATE]` in `opsbook.toml`,
/// D-SAFE-SM): run by [`crate::safety::hook`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    /// argv; the first element is the program (a lone string is one
    /// element).
    #[serde(default, deserialize_with = "lenient::one_or_many")]
    pub command: Vec<String>,
    /// Timeout, seconds (default 30).
    #[serde(default = "thirty", deserialize_with = "timeout_seconds")]
    pub timeout_seconds: u64,
    /// Runbook with the manual steps, shown when the hook fails.
    #[serde(default, deserialize_with = "lenient::lenient")]
    pub manual_runbook: Option<String>,
}

impl Default for Hook {
    /// No command, 30 s.
    fn default() -> Hook {
        Hook {
            command: Vec::new(),
            timeout_seconds: thirty(),
            manual_runbook: None,
        }
    }
}

fn thirty() -> u64 {
    30
}

fn timeout_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    lenient::lenient(d).map(|s| s.unwrap_or_else(thirty))
}

/// `[run]` of `opsbook.toml` (D-AUTO-BOUNDARY): defaults of `opsbook run`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RunConfig {
    /// `ask_t0`: ask before T0 steps too (as `--ask-t0`).
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub ask_t0: bool,
    /// `environment`: this host's environment (`dev`, `stage`, `prod`) when
    /// neither `--environment` nor `OPSBOOK_ENVIRONMENT` says it.
    #[serde(default, deserialize_with = "lenient::lenient")]
    pub environment: Option<String>,
    /// `trading_mode`: this host's trading mode (`paper`, `shadow`, `live`)
    /// when neither `--trading-mode` nor `OPSBOOK_TRADING_MODE` says it.
    #[serde(default, deserialize_with = "lenient::lenient")]
    pub trading_mode: Option<String>,
}

/// `[lease]` of `opsbook.toml` (D-SW-SPLITBRAIN): the lease store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LeaseConfig {
    /// `backend`: `local` (one host) or `s3` (shared); `None`: local.
    #[serde(default, deserialize_with = "lenient::lenient")]
    pub backend: Option<String>,
    /// `dir`: the local store's directory (`%VAR%` expanded; default the
    /// per-machine `%ProgramData%\opsbook\leases`; `OPSBOOK_LEASE_DIR` overrides).
    #[serde(default, deserialize_with = "lenient::lenient")]
    pub dir: Option<String>,
    /// `[lease.s3]`: the shared store (present, even with no usable field,
    /// when the section is written).
    #[serde(default, deserialize_with = "lenient::present")]
    pub s3: Option<LeaseS3Config>,
}

/// `[lease.s3]`: an S3-compatible bucket with conditional writes. Never a
/// secret: `credentials_ref = "env:NAME"` names the variables, as for
/// evidence destinations (`opsbook_core::s3env`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LeaseS3Config {
    /// Bucket.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub bucket: String,
    /// Key prefix (may be empty).
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub prefix: String,
    /// Endpoint URL; `None`: `AWS_ENDPOINT_URL` or AWS.
    #[serde(default, deserialize_with = "lenient::lenient")]
    pub endpoint: Option<String>,
    /// Region; `None`: `AWS_REGION` or `us-east-1`.
    #[serde(default, deserialize_with = "lenient::lenient")]
    pub region: Option<String>,
    /// `env:NAME`; `None`: the standard `AWS_*` variables.
    #[serde(default, deserialize_with = "lenient::lenient")]
    pub credentials_ref: Option<String>,
}

/// `opsbook.toml` as written: one type per table.
#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default, deserialize_with = "lenient::table")]
    gate: GateTable,
    #[serde(default, deserialize_with = "lenient::table")]
    project: ProjectTable,
    #[serde(default, deserialize_with = "lenient::table")]
    ids: IdsTable,
    #[serde(default, deserialize_with = "lenient::table")]
    incidents: IncidentsTable,
    #[serde(default, deserialize_with = "lenient::table")]
    safety: SafetyTable,
    #[serde(default, deserialize_with = "lenient::table")]
    lease: LeaseConfig,
    #[serde(default, deserialize_with = "lenient::table")]
    run: RunConfig,
}

/// `[gate]`.
#[derive(Debug, Default, Deserialize)]
struct GateTable {
    #[serde(default, deserialize_with = "lenient::lenient")]
    baseline: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    alerts: Vec<String>,
    #[serde(default, deserialize_with = "lenient::lenient")]
    runbook_url_base: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    exclude: Vec<String>,
    #[serde(default, deserialize_with = "lenient::string_map")]
    levels: BTreeMap<String, String>,
}

/// `[project]`.
#[derive(Debug, Default, Deserialize)]
struct ProjectTable {
    #[serde(default, deserialize_with = "lenient::lenient")]
    name: Option<String>,
}

/// `[ids]`.
#[derive(Debug, Default, Deserialize)]
struct IdsTable {
    #[serde(default, deserialize_with = "lenient::lenient")]
    incident: Option<String>,
}

/// `[incidents]`.
#[derive(Debug, Default, Deserialize)]
struct IncidentsTable {
    #[serde(default, deserialize_with = "lenient::lenient")]
    action_overdue_error_days: Option<u32>,
}

/// `[safety]`.
#[derive(Debug, Default, Deserialize)]
struct SafetyTable {
    #[serde(default, deserialize_with = "lenient::map_of_tables")]
    hooks: BTreeMap<String, Hook>,
}

impl From<ConfigFile> for Config {
    fn from(f: ConfigFile) -> Config {
        Config {
            baseline: f.gate.baseline,
            alerts: f.gate.alerts,
            runbook_url_base: f.gate.runbook_url_base,
            exclude: f.gate.exclude,
            levels: f.gate.levels,
            incident_id: f.ids.incident,
            action_overdue_error_days: f.incidents.action_overdue_error_days,
            hooks: f.safety.hooks,
            lease: f.lease,
            project_name: f.project.name,
            run: f.run,
        }
    }
}

impl Config {
    /// Reads the configuration from the TOML file as JSON: a setting of the
    /// wrong type is its default (the `opsbook-toml` contract reports it).
    #[must_use]
    pub fn from_value(v: &Value) -> Config {
        lenient::read::<ConfigFile>(v).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_read_and_a_wrong_type_is_its_default() {
        let text = r#"
[project]
name = "desk"
[gate]
baseline = "b.json"
alerts = ["alerts/**/*.yaml", 3, "!x"]
exclude = "not a list"
levels = { OB101 = "warn", OB102 = 2 }
[ids]
incident = "INC-{seq}"
[incidents]
action_overdue_error_days = -1
[safety.hooks]
BROKEN = "not a table"
[safety.hooks.HALTED]
command = "halt.ps1"
[safety.hooks.DEGRADED]
command = ["pwsh", "-File", "d.ps1"]
timeout_seconds = "ten"
manual_runbook = "RB-1"
[lease]
backend = "s3"
s3 = { bucket = "b", region = 1 }
[run]
ask_t0 = true
trading_mode = "paper"
"#;
        let v: Value = serde_json::to_value(toml::from_str::<toml::Value>(text).unwrap()).unwrap();
        let c = Config::from_value(&v);
        assert_eq!(c.project_name.as_deref(), Some("desk"));
        assert_eq!(c.baseline.as_deref(), Some("b.json"));
        assert_eq!(c.alerts, ["alerts/**/*.yaml", "!x"]);
        assert!(c.exclude.is_empty());
        assert_eq!(c.levels.len(), 1);
        assert_eq!(c.incident_id.as_deref(), Some("INC-{seq}"));
        assert_eq!(c.action_overdue_error_days, None);
        assert_eq!(c.hooks["HALTED"].command, ["halt.ps1"]);
        assert_eq!(c.hooks["HALTED"].timeout_seconds, 30);
        assert_eq!(c.hooks["DEGRADED"].command.len(), 3);
        assert_eq!(c.hooks["DEGRADED"].timeout_seconds, 30);
        assert_eq!(c.hooks["DEGRADED"].manual_runbook.as_deref(), Some("RB-1"));
        assert_eq!(c.hooks["BROKEN"], Hook::default());
        let s3 = c.lease.s3.unwrap();
        assert_eq!((s3.bucket.as_str(), s3.region), ("b", None));
        assert!(c.run.ask_t0);
        assert_eq!(c.run.trading_mode.as_deref(), Some("paper"));
        assert_eq!(Config::from_value(&Value::Null), Config::default());
    }
}
