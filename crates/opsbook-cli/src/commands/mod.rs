//! One module per command. Each returns the exit code or an error (exit 2).

mod adopt;
mod contracts;
mod coverage;
mod drill;
mod evidence;
mod explain;
mod gate;
mod human;
mod incident;
mod incident_view;
mod init;
mod learn;
mod ledger;
mod safety;
mod severity;

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::cli::{Cli, Command, RootArg};

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Init(a) => init::run(&a),
        Command::Gate(a) => gate::run(&a),
        Command::Explain(a) => explain::run(&a),
        Command::Contracts(c) => contracts::run(&c),
        Command::Coverage(a) => coverage::run(&a),
        Command::Adopt(a) => adopt::run(&a),
        Command::Ledger(c) => ledger::run(&c),
        Command::Severity(c) => severity::run(&c),
        Command::Drill(c) => drill::run(&c),
        Command::Incident(c) => incident::run(&c),
        Command::Postmortem(c) => learn::postmortem(&c),
        Command::Actions(a) => learn::actions(&a),
        Command::Report(a) => learn::report(&a),
        Command::Safety(c) => safety::run(&c),
        Command::Freeze(c) => safety::freeze_run(&c),
        Command::Confirm(a) => human::confirm_cmd(&a),
        Command::Halt(a) => human::halt(&a),
        Command::P0(a) => human::p0(&a),
        Command::Evidence(c) => evidence::run(&c),
    }
}

/// Resolves `--root`, or discovers the SSOT upwards from the current directory.
pub fn resolve_root(arg: &RootArg) -> anyhow::Result<PathBuf> {
    if let Some(r) = &arg.root {
        if !r.exists() {
            bail!("--root `{}` does not exist", r.display());
        }
        // `--root ops/opsbook.toml` means the directory that holds it.
        if r.is_file()
            && r.file_name()
                .is_some_and(|n| n == opsbook_core::ssot::CONFIG_FILE)
        {
            return Ok(r
                .parent()
                .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf));
        }
        return Ok(r.clone());
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    match opsbook_core::ssot::discover(&cwd) {
        Some(r) => Ok(r),
        None => bail!(
            "no opsbook.toml in `{}` or any parent directory; pass --root DIR, or create an SSOT with `opsbook init DIR`",
            cwd.display()
        ),
    }
}

/// Today's date in UTC.
pub fn today_utc() -> jiff::civil::Date {
    opsbook_core::clock::now()
        .in_tz("UTC")
        .map_or_else(|_| jiff::civil::date(1970, 1, 1), |z| z.date())
}

/// Parses `--as-of`.
pub fn parse_as_of(s: Option<&str>) -> anyhow::Result<jiff::civil::Date> {
    match s {
        None => Ok(today_utc()),
        Some(s) => s
            .parse()
            .with_context(|| format!("--as-of `{s}` is not a date; expected YYYY-MM-DD")),
    }
}

/// An argument as it must be typed in a printed hint ([`opsbook_core::text::quote_arg`]).
pub fn quote_arg(s: &str) -> String {
    opsbook_core::text::quote_arg(s)
}
