//! One module per command family. Each command parses its arguments into
//! a request, calls one operation of `opsbook-ops` (or the gate), renders
//! the outcome, and returns the exit code of its answer (see [`crate::exit`]).

mod adopt;
mod classify;
mod confirm;
mod contracts;
mod coverage;
mod drill;
mod evidence;
mod explain;
mod failover;
mod find;
mod freeze;
mod gate;
mod halt;
mod incident;
mod init;
mod learn;
mod lease;
mod ledger;
mod marketdata;
mod reconcile;
mod run;
mod safety;
mod severity;
mod time;

use std::path::PathBuf;
use std::sync::Arc;

use opsbook_core::layout::Layout;
use opsbook_core::ledger::Actor;
use opsbook_ops::Context;

use crate::cli::{Cli, Command, ListFormat, RootArg};
use crate::exit::{self, CliError, Outcome};

/// Runs the parsed command.
pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Init(a) => Ok(init::run(&a)?),
        Command::Gate(a) => Ok(gate::run(&a)?),
        Command::Explain(a) => Ok(explain::run(&a)?),
        Command::Contracts(c) => Ok(contracts::run(&c)?),
        Command::Coverage(a) => Ok(coverage::run(&a)?),
        Command::Adopt(a) => Ok(adopt::run(&a)?),
        Command::Ledger(c) => ledger::run(&c),
        Command::Severity(c) => severity::run(&c),
        Command::Drill(c) => drill::run(&c),
        Command::Incident(c) => incident::run(&c),
        Command::Postmortem(c) => learn::postmortem(&c),
        Command::Actions(a) => learn::actions(&a),
        Command::Report(a) => learn::report(&a),
        Command::Safety(c) => safety::run(&c),
        Command::Freeze(c) => freeze::run(&c),
        Command::Confirm(a) => confirm::run(&a),
        Command::Halt(a) => halt::halt(&a),
        Command::P0(a) => halt::p0(&a),
        Command::Evidence(c) => evidence::run(&c),
        Command::Reconcile(c) => reconcile::run(&c),
        Command::Marketdata(c) => marketdata::run(&c),
        Command::Time(c) => time::run(&c),
        Command::Lease(c) => lease::run(&c),
        Command::Failover(c) => failover::run(&c),
        Command::Classify(a) => classify::run(&a),
        Command::Run(a) => run::run(&a),
        Command::Find(a) => find::run(&a),
    }
}

/// Resolves `--root`, or discovers the SSOT upwards from the current directory.
pub fn resolve_root(arg: &RootArg) -> Result<PathBuf, CliError> {
    if let Some(r) = &arg.root {
        if !r.exists() {
            return Err(exit::usage(format!(
                "--root `{}` does not exist",
                r.display()
            )));
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
    let cwd = std::env::current_dir()
        .map_err(|e| exit::usage(format!("cannot read the current directory: {e}")))?;
    match opsbook_core::ssot::discover(&cwd) {
        Some(r) => Ok(r),
        None => Err(exit::usage(format!(
            "no opsbook.toml in `{}` or any parent directory; pass --root DIR, or create an SSOT with `opsbook init DIR`",
            cwd.display()
        ))),
    }
}

/// The context of an operation: the SSOT at `--root` (or discovered), the
/// system clock (`OPSBOOK_NOW` honoured), the OS user with `--actor`.
pub fn context(root: &RootArg, actor: Option<&str>) -> Result<Context, CliError> {
    Ok(Context::new(
        Layout::new(resolve_root(root)?),
        Arc::new(opsbook_core::clock::SystemClock::default()),
        Actor::current(actor.map(str::to_string)),
    ))
}

/// Parses `--as-of` (default: today, UTC).
pub fn parse_as_of(s: Option<&str>) -> Result<jiff::civil::Date, CliError> {
    match s {
        None => Ok(opsbook_core::clock::today_utc()),
        Some(s) => s
            .parse()
            .map_err(|_| exit::usage(format!("--as-of `{s}` is not a date; expected YYYY-MM-DD"))),
    }
}

/// An argument as it must be typed in a printed hint ([`opsbook_core::text::quote_arg`]).
pub fn quote_arg(s: &str) -> String {
    opsbook_core::text::quote_arg(s)
}

/// Prints the warnings an operation met, on stderr.
#[allow(clippy::print_stderr)]
pub fn warnings(ctx: &Context) {
    for w in ctx.take_warnings() {
        eprintln!("{w}");
    }
}

/// Prints a line for people on stderr (progress, advice).
#[allow(clippy::print_stderr)]
pub fn say(s: &str) {
    eprintln!("{s}");
}

/// Prints `text` (human) or the outcome as JSON, per `format`.
pub fn emit<T: serde::Serialize>(
    format: ListFormat,
    outcome: &T,
    text: &str,
) -> Result<(), CliError> {
    let out = match format {
        ListFormat::Json => crate::render::json(outcome)?,
        _ => text.to_string(),
    };
    crate::output::emit(&out, None)?;
    Ok(())
}

/// Runs an operation in `ctx`, showing its warnings whatever the result.
pub fn op<T>(
    ctx: &Context,
    f: impl FnOnce(&Context) -> Result<T, opsbook_ops::OpsError>,
) -> Result<T, CliError> {
    let r = f(ctx);
    warnings(ctx);
    Ok(r?)
}

/// `Ok(OK)` when `ok`, else `Ok(FINDINGS)`.
#[must_use]
pub fn ok_or_findings(ok: bool) -> u8 {
    if ok { exit::OK } else { exit::FINDINGS }
}

/// The context of an operation that also works outside an SSOT (a scan, a
/// clock check): the SSOT when `--root` is given or one is found upwards,
/// else the current directory (its policies are then the starter ones).
pub fn context_or_cwd(root: &RootArg, actor: Option<&str>) -> Result<Context, CliError> {
    if root.root.is_some() {
        return context(root, actor);
    }
    let cwd = std::env::current_dir()
        .map_err(|e| exit::usage(format!("cannot read the current directory: {e}")))?;
    let dir = opsbook_core::ssot::discover(&cwd).unwrap_or(cwd);
    Ok(Context::new(
        Layout::new(dir),
        Arc::new(opsbook_core::clock::SystemClock::default()),
        Actor::current(actor.map(str::to_string)),
    ))
}

/// Names on stderr what an operation did but could not record (issue 13:
/// it happened; these records are missing); exit 2 when there is any,
/// else `done`.
#[must_use]
pub fn unrecorded(list: &[String], done: u8) -> u8 {
    if list.is_empty() {
        return done;
    }
    say(
        "NOT RECORDED (the step above happened; these records are missing — repair the ledger named, `opsbook ledger verify`, and add what is missing by hand):",
    );
    for u in list {
        say(&format!("  - {u}"));
    }
    exit::ERROR
}
