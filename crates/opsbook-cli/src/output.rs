//! Writing command output: to stdout, or atomically to `--output FILE`.

use std::io::{IsTerminal, Write};
use std::path::Path;

/// Writes `text` to `output` (atomically) or to stdout.
///
/// Stdout closed by its reader (`opsbook gate | Select-Object -First 5`,
/// `… | head`) is not an error: the rest of the output is not wanted, and
/// the command's exit status (1 on findings) still tells the answer.
///
/// # Errors
/// The file cannot be written; stdout fails otherwise.
pub fn emit(text: &str, output: Option<&Path>) -> std::io::Result<()> {
    match output.filter(|p| p.as_os_str() != "-") {
        Some(p) => opsbook_core::fsutil::write_atomic(p, text.as_bytes()).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot write `{}`: {e}", p.display()))
        }),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r,
            }
        }
    }
}

/// Whether to colour human output on stdout.
pub fn color(choice: crate::cli::ColorChoice, to_file: bool) -> bool {
    match choice {
        crate::cli::ColorChoice::Always => true,
        crate::cli::ColorChoice::Never => false,
        crate::cli::ColorChoice::Auto => {
            !to_file && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    }
}
