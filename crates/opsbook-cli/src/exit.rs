//! Exit codes and the one error type of the CLI — the only place both are
//! defined. Every command returns `Ok(code)` for an answer (0, 1, 3) or a
//! [`CliError`], which renders itself on stderr the same way every time and
//! knows its code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success; no finding at error level; ALLOW |
//! | 1 | findings at error level, or refused (a guard, a policy, DENY) |
//! | 2 | usage, configuration or I/O error |
//! | 3 | needs the high-danger confirmation first (`safety can`: CONFIRM); for `reconcile`: only `pending` breaks left, run again after the grace window |
//! | 4 | the platform hook failed; the recorded state is unchanged |
//!
//! A closed pipe (`opsbook … | Select-Object -First 5`) is not an error.

use opsbook_core::incident::{GuardError, IncidentError};
use opsbook_ops::OpsError;

/// Success, no finding at error level, ALLOW.
pub const OK: u8 = 0;
/// Findings at error level, or a refusal (a guard, a policy, DENY).
pub const FINDINGS: u8 = 1;
/// Usage, configuration or I/O error.
pub const ERROR: u8 = 2;
/// CONFIRM: the high-danger confirmation is needed first.
pub const CONFIRM: u8 = 3;
/// `reconcile`: only `pending` breaks left (inside the grace window): run
/// again later. The same number as [`CONFIRM`]; no command returns both.
pub const PENDING: u8 = 3;
/// The platform hook failed; the recorded state is unchanged.
pub const HOOK_FAILED: u8 = 4;

/// The exit code of a reconciliation verdict: 0 clean, 1 breaks,
/// 3 only `pending` left ([`PENDING`]).
#[must_use]
pub fn reconciliation(v: opsbook_ops::reconcile::engine::Verdict) -> u8 {
    use opsbook_ops::reconcile::engine::Verdict;
    match v {
        Verdict::Clean => OK,
        Verdict::Breaks => FINDINGS,
        Verdict::PendingOnly => PENDING,
    }
}

/// The exit codes as `--help` and the README list them.
pub const HELP: &str = "Exit status: 0 success (ALLOW); 1 findings at error level, or refused (DENY, a guard); 2 usage, configuration or I/O error; 3 CONFIRM (run `opsbook confirm` first), or for `reconcile` only pending breaks left (run again later); 4 the platform hook failed (state unchanged).";

/// Why a command did not produce its answer.
#[derive(Debug)]
pub enum CliError {
    /// An operation's error.
    Ops(OpsError),
    /// Bad usage or input, found by the CLI itself.
    Usage(String),
    /// Writing the output failed.
    Io(std::io::Error),
    /// A failure of a command that runs no operation (gate, adopt, init,
    /// coverage, contracts), with its causes.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> CliError {
        // A closed pipe deep inside is still a closed pipe.
        if let Some(io) = e
            .chain()
            .find_map(|c| c.downcast_ref::<std::io::Error>())
            .filter(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        {
            return CliError::Io(std::io::Error::new(io.kind(), io.to_string()));
        }
        CliError::Other(e)
    }
}

impl From<OpsError> for CliError {
    fn from(e: OpsError) -> CliError {
        CliError::Ops(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> CliError {
        CliError::Io(e)
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> CliError {
        CliError::Usage(e.to_string())
    }
}

impl From<opsbook_core::ssot::LoadError> for CliError {
    fn from(e: opsbook_core::ssot::LoadError) -> CliError {
        CliError::Ops(e.into())
    }
}

impl From<opsbook_core::ledger::LedgerError> for CliError {
    fn from(e: opsbook_core::ledger::LedgerError) -> CliError {
        CliError::Ops(e.into())
    }
}

impl From<opsbook_core::incident::IncidentError> for CliError {
    fn from(e: opsbook_core::incident::IncidentError) -> CliError {
        CliError::Ops(e.into())
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Ops(e) => write!(f, "{e}"),
            CliError::Usage(m) => f.write_str(m),
            CliError::Io(e) => write!(f, "{e}"),
            CliError::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for CliError {}

/// A usage error.
pub fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

impl CliError {
    /// Its exit code.
    #[must_use]
    pub fn code(&self) -> u8 {
        match self {
            CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => OK,
            CliError::Ops(OpsError::HookFailed(_)) => HOOK_FAILED,
            CliError::Ops(e) if e.is_refusal() => FINDINGS,
            _ => ERROR,
        }
    }

    /// What stderr shows: `refused: …`, `hook failed: …` or `error: …`,
    /// with the way forward as a command that works as printed.
    #[must_use]
    pub fn render(&self) -> String {
        match self {
            CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => String::new(),
            CliError::Io(e) => format!("error: {e}"),
            CliError::Usage(m) => format!("error: {m}"),
            CliError::Other(e) => {
                let mut s = format!("error: {e}");
                for cause in e.chain().skip(1) {
                    s.push_str(&format!("\n  caused by: {cause}"));
                }
                s
            }
            CliError::Ops(OpsError::HookFailed(f)) => crate::render::hook_failure(f),
            CliError::Ops(OpsError::Incident(IncidentError::Guard(
                g @ GuardError::Order { id, to, missing },
            ))) => format!(
                "refused: {id}: {to} refused: {missing}{} (D-ORDER: safe → evidence → observe → recover → verify → learn)",
                g.next()
                    .map(|n| crate::render::hint(&n))
                    .unwrap_or_default()
            ),
            // Several unmet conditions: each with what meets it.
            CliError::Ops(OpsError::Refused(r)) if r.unmet.len() > 1 => format!(
                "refused: {}",
                crate::render::unmet::list(r.message.lines().next().unwrap_or_default(), &r.unmet)
            ),
            CliError::Ops(e) => format!(
                "{}: {e}{}",
                if e.is_refusal() { "refused" } else { "error" },
                e.next()
                    .map(|n| crate::render::hint(&n))
                    .unwrap_or_default()
            ),
        }
    }
}

/// A command's result: the exit code of its answer, or an error.
pub type Outcome = Result<u8, CliError>;
