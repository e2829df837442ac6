//! `opsbook`: the operations SSOT for incident response, runbooks and evidence.
//!
//! This binary is thin: it parses arguments ([`cli`]), runs one command
//! (`commands/<verb>.rs`) and maps the outcome to a documented exit code:
//! 0 success / no finding at error level, 1 findings at error level or a
//! step refused by an incident guard,
//! 2 usage, configuration or I/O error. A closed pipe (`| Select-Object -First 5`)
//! is not an error.

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// Exit code: success, no finding at error level.
pub const EXIT_OK: u8 = 0;
/// Exit code: at least one finding at error level (or a P0 coverage hole),
/// or an incident guard refused the step (D-ORDER).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage, configuration or I/O error.
pub const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if let Err(e) = opsbook_core::clock::check_env() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("error: {e}");
        }
        return ExitCode::from(EXIT_ERROR);
    }
    match commands::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::from(EXIT_OK);
            }
            // A guard refusing a step is an answer, not a failure of opsbook.
            let refused = e.chain().any(|c| {
                c.downcast_ref::<opsbook_core::incident::GuardError>()
                    .is_some()
                    || matches!(
                        c.downcast_ref::<opsbook_core::incident::IncidentError>(),
                        Some(
                            opsbook_core::incident::IncidentError::Guard(_)
                                | opsbook_core::incident::IncidentError::Refused(_)
                        )
                    )
            });
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{}: {e}", if refused { "refused" } else { "error" });
                for cause in e.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(if refused { EXIT_FINDINGS } else { EXIT_ERROR })
        }
    }
}
