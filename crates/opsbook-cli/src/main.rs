//! `opsbook`: the operations SSOT for incident response, runbooks and evidence.
//!
//! This binary is thin: it parses arguments ([`cli`]), runs one command
//! (`commands/<verb>.rs`, which calls one operation of `opsbook-ops`),
//! renders the outcome ([`render`]) and exits with the code documented in
//! [`exit`] (0 ok, 1 findings or refused, 2 usage/config/IO, 3 CONFIRM,
//! 4 hook failed).

mod cli;
mod commands;
mod exit;
mod output;
mod render;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if let Err(e) = opsbook_core::clock::check_env() {
        commands::say(&format!("error: {e}"));
        return ExitCode::from(exit::ERROR);
    }
    match commands::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let text = e.render();
            if !text.is_empty() {
                commands::say(&text);
            }
            ExitCode::from(e.code())
        }
    }
}
