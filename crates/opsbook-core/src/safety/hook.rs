//! Platform hooks: the command that switches the trading platform into a
//! safety state (flag file, kill-switch API, service stop), run with a
//! timeout and its output captured for the safety ledger (D-SAFE-SM).
//!
//! A hook is an argv list, never a shell string: on Windows typically
//! `["powershell.exe", "-NoProfile", "-NonInteractive", "-File", "C:\\ops\\hooks\\halt.ps1"]`.
//! The process, its timeout and the tree-kill are [`crate::host::process`]'s.

use std::time::Duration;

use serde::Serialize;

pub use crate::ssot::Hook;

/// Output kept per stream, bytes (the rest is cut, and says so).
pub const OUTPUT_CAP: usize = 16 * 1024;

/// What a hook run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Exit status 0 within the timeout.
    pub ok: bool,
    /// The exit code, if the process exited.
    pub exit_code: Option<i32>,
    /// Killed at the timeout.
    pub timed_out: bool,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Standard output (UTF-8, lossy; capped at [`OUTPUT_CAP`] bytes).
    pub stdout: String,
    /// Standard error (same).
    pub stderr: String,
    /// Why it could not start, if it did not.
    pub error: Option<String>,
}

fn as_text((kept, cut): (Vec<u8>, usize)) -> String {
    let mut s = crate::syntax::text::decode(&kept)
        .map(|d| d.text)
        .unwrap_or_else(|_| String::from_utf8_lossy(&kept).into_owned());
    if cut > 0 {
        s.push_str(&format!("\n[… {cut} more bytes not kept]"));
    }
    s
}

/// The raw result of [`run_raw`]: the process's outcome, bytes as read.
pub type RawOutcome = crate::host::process::Outcome;

/// Runs `hook` keeping at most `cap` bytes of each stream, as bytes (for
/// evidence collection, where the output is the evidence). A process it
/// leaves behind holding its output open is stopped: an evidence command
/// must not leave anything running.
#[must_use]
pub fn run_raw(hook: &Hook, env: &[(&str, String)], cap: usize) -> RawOutcome {
    run_inner(hook, env, cap, true)
}

/// Runs `hook` with extra environment variables, waiting at most its timeout.
#[must_use]
pub fn run(hook: &Hook, env: &[(&str, String)]) -> Outcome {
    // A platform hook may start something on purpose: it is left running.
    let r = run_inner(hook, env, OUTPUT_CAP, false);
    Outcome {
        ok: r.ok,
        exit_code: r.exit_code,
        timed_out: r.timed_out,
        duration_ms: r.duration_ms,
        stdout: as_text(r.stdout),
        stderr: as_text(r.stderr),
        error: r.error,
    }
}

fn run_inner(hook: &Hook, env: &[(&str, String)], cap: usize, stop_leftovers: bool) -> RawOutcome {
    let mut o = crate::host::process::run(&crate::host::process::Spec {
        argv: &hook.command,
        env,
        timeout: Duration::from_secs(hook.timeout_seconds.max(1)),
        output_cap: cap,
        stop_leftovers,
    });
    if o.held_open {
        o.stdout.0.extend_from_slice(if stop_leftovers {
            b"\n[output cut: a process the command started kept the stream open after it ended; it was stopped]\n"
        } else {
            b"\n[output cut: a process the command started kept the stream open after it ended; it was left running]\n"
        });
    }
    o
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn hook(line: &str) -> Hook {
        Hook {
            command: vec!["sh".into(), "-c".into(), line.into()],
            timeout_seconds: 10,
            manual_runbook: None,
        }
    }

    /// Output written before a background process held the pipe open is
    /// kept; an evidence command's leftover is stopped, a platform hook's
    /// is left running (it may have started it on purpose).
    #[test]
    fn a_background_process_holding_the_output_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let line =
            |mark: &std::path::Path| format!("(sleep 4; touch {}) & echo started", mark.display());
        let (stopped, kept) = (dir.path().join("stopped"), dir.path().join("kept"));
        let r = run_raw(&hook(&line(&stopped)), &[], 1 << 20);
        let out = String::from_utf8_lossy(&r.stdout.0).into_owned();
        assert!(
            out.starts_with("started\n") && out.contains("it was stopped"),
            "{out}"
        );
        let o = run(&hook(&line(&kept)), &[]);
        assert!(
            o.stdout.starts_with("started\n") && o.stdout.contains("it was left running"),
            "{}",
            o.stdout
        );
        std::thread::sleep(Duration::from_secs(3));
        assert!(
            !stopped.exists(),
            "the evidence command's leftover was stopped"
        );
        let mark = kept;
        assert!(
            mark.exists(),
            "the hook's background process was left running"
        );
    }
}
