//! Arguments of `opsbook run` (a runbook's steps under their danger tiers).

use clap::Args;
use std::path::PathBuf;

use super::SafeCommon;

/// `--input NAME=VALUE`: split at the first `=`.
fn parse_input(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!(
            "`{s}` is not NAME=VALUE (e.g. --input OPSBOOK_REASON=\"clock 640 ms ahead\")"
        )),
    }
}

/// `opsbook run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: SafeCommon,
    /// The runbook ID (runbooks/runbooks.yaml)
    #[arg(value_name = "RB-ID")]
    pub runbook: String,
    /// The incident the run works for (transcripts attached, steps on its timeline)
    #[arg(long, value_name = "ID", env = "OPSBOOK_INCIDENT")]
    pub incident: Option<String>,
    /// Run nothing: list every step, its tiers, what the matrix and freeze say now, its backout
    #[arg(long)]
    pub plan: bool,
    /// Start at step N
    #[arg(long, value_name = "N")]
    pub from_step: Option<String>,
    /// Run only step N
    #[arg(long, value_name = "N", conflicts_with = "from_step")]
    pub only_step: Option<String>,
    /// Continue a run after its last step done (refused if the runbook changed since)
    #[arg(long, value_name = "RUN-ID")]
    pub resume: Option<String>,
    /// Without a terminal: run T0 steps without asking (T1/T2 still need answers)
    #[arg(long)]
    pub yes_t0: bool,
    /// Ask before T0 (read-only) steps too, showing the code (default No); also `[run] ask_t0 = true` in opsbook.toml
    #[arg(long, conflicts_with = "yes_t0")]
    pub ask_t0: bool,
    /// An input of the steps, set as the environment variable NAME of each step (repeatable; never a secret: set secrets in the session's environment, which steps inherit)
    #[arg(long = "input", value_name = "NAME=VALUE", value_parser = parse_input)]
    pub inputs: Vec<(String, String)>,
    /// Answers from a file instead of the terminal (`steps.N: yes` for T1, the confirmation's for T2)
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// The current environment, for supported_modes (dev, stage, prod)
    #[arg(long = "environment", value_name = "ENV", env = "OPSBOOK_ENVIRONMENT")]
    pub environment: Option<String>,
    /// The current trading mode, for supported_modes (live, shadow, paper)
    #[arg(
        long = "trading-mode",
        value_name = "MODE",
        env = "OPSBOOK_TRADING_MODE"
    )]
    pub trading_mode: Option<String>,
}
