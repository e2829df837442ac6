//! Platform hooks: the command that switches the trading platform into a
//! safety state (flag file, kill-switch API, service stop), run with a
//! timeout and its output captured for the safety ledger (D-SAFE-SM).
//!
//! A hook is an argv list, never a shell string: on Windows typically
//! `["powershell.exe", "-NoProfile", "-NonInteractive", "-File", "C:\\ops\\hooks\\halt.ps1"]`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Output kept per stream, bytes (the rest is cut, and says so).
pub const OUTPUT_CAP: usize = 16 * 1024;

/// A configured hook (`[safety.hooks.STATE]` in `opsbook.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hook {
    /// argv; the first element is the program.
    pub command: Vec<String>,
    /// Timeout, seconds (default 30).
    pub timeout_seconds: u64,
    /// Runbook with the manual steps, shown when the hook fails.
    pub manual_runbook: Option<String>,
}

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

/// Output read so far and bytes cut beyond the cap, shared with the reader
/// thread so that what was read is kept even if the stream never closes.
type Shared = std::sync::Arc<std::sync::Mutex<(Vec<u8>, usize)>>;

fn drain(mut r: impl Read + Send + 'static, cap: usize) -> (Shared, std::thread::JoinHandle<()>) {
    let shared: Shared = std::sync::Arc::default();
    let out = std::sync::Arc::clone(&shared);
    let h = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let Ok(mut g) = out.lock() else { break };
                    let room = cap.saturating_sub(g.0.len());
                    g.0.extend_from_slice(&buf[..n.min(room)]);
                    g.1 += n.saturating_sub(room);
                }
            }
        }
    });
    (shared, h)
}

fn as_text((kept, cut): (Vec<u8>, usize)) -> String {
    let mut s = crate::text::decode(&kept)
        .map(|d| d.text)
        .unwrap_or_else(|_| String::from_utf8_lossy(&kept).into_owned());
    if cut > 0 {
        s.push_str(&format!("\n[… {cut} more bytes not kept]"));
    }
    s
}

/// Stops a process and everything it started: the process group on Unix
/// (`kill -KILL -- -PGID`), the tree on Windows (`taskkill /T /F`).
fn kill_tree(pid: u32) {
    let mut c = if cfg!(windows) {
        let mut c = Command::new("taskkill");
        c.args(["/T", "/F", "/PID", &pid.to_string()]);
        c
    } else {
        let mut c = Command::new("kill");
        c.args(["-KILL", "--", &format!("-{pid}")]);
        c
    };
    let _ = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The raw result of [`run_raw`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOutcome {
    /// Exit status 0 within the timeout.
    pub ok: bool,
    /// The exit code, if the process exited.
    pub exit_code: Option<i32>,
    /// Killed at the timeout.
    pub timed_out: bool,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Standard output bytes (at most `cap`), and how many were cut.
    pub stdout: (Vec<u8>, usize),
    /// Standard error bytes (at most `cap`), and how many were cut.
    pub stderr: (Vec<u8>, usize),
    /// Why it could not start, if it did not.
    pub error: Option<String>,
}

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
    let start = Instant::now();
    let failed = |error: String| RawOutcome {
        ok: false,
        exit_code: None,
        timed_out: false,
        duration_ms: 0,
        stdout: (Vec::new(), 0),
        stderr: (Vec::new(), 0),
        error: Some(error),
    };
    let Some((prog, args)) = hook.command.split_first() else {
        return failed("the hook command is empty".into());
    };
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Its own process group, so that a timeout can stop what it started too.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start `{prog}`: {e}")),
    };
    let out = child.stdout.take().map(|r| drain(r, cap));
    let err = child.stderr.take().map(|r| drain(r, cap));
    let limit = Duration::from_secs(hook.timeout_seconds.max(1));
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= limit => {
                timed_out = true;
                kill_tree(child.id());
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    // A grandchild (a background process) may keep the pipes open after the
    // command ended or was killed: wait 2 s, keep what was read, and (for
    // evidence commands) stop the process group.
    let wait_done = |hs: &[&std::thread::JoinHandle<()>], d: Duration| {
        let deadline = Instant::now() + d;
        while hs.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        hs.iter().all(|h| h.is_finished())
    };
    let handles: Vec<&std::thread::JoinHandle<()>> =
        out.iter().chain(err.iter()).map(|(_, h)| h).collect();
    let mut held_open = false;
    if !wait_done(&handles, Duration::from_secs(2)) {
        held_open = true;
        if stop_leftovers {
            kill_tree(child.id());
            wait_done(&handles, Duration::from_secs(1));
        }
    }
    let take = |o: Option<(Shared, std::thread::JoinHandle<()>)>, note: bool| {
        o.map(|(shared, _)| {
            let (mut kept, cut) = shared.lock().map(|g| g.clone()).unwrap_or_default();
            if held_open && note {
                kept.extend_from_slice(if stop_leftovers {
                    b"\n[output cut: a process the command started kept the stream open after it ended; it was stopped]\n"
                } else {
                    b"\n[output cut: a process the command started kept the stream open after it ended; it was left running]\n"
                });
            }
            (kept, cut)
        })
        .unwrap_or_default()
    };
    let (stdout, stderr) = (take(out, true), take(err, false));
    let exit_code = status.and_then(|s| s.code());
    RawOutcome {
        ok: !timed_out && status.is_some_and(|s| s.success()),
        exit_code,
        timed_out,
        duration_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        stdout,
        stderr,
        error: None,
    }
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
