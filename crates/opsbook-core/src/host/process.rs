//! Running a program with a timeout that stops everything it started: its
//! own process group on Unix, a Job Object on Windows (`process-wrap`).
//! Output is captured with a cap per stream and kept even when a process it
//! left behind holds the pipes open.
//!
//! One place for it: platform hooks ([`crate::safety::hook`]), evidence commands
//! and (later) runbook steps run through [`run`].

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use process_wrap::std::{ChildWrapper, CommandWrap};

/// What to run.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// argv; the first element is the program (never a shell string).
    pub argv: &'a [String],
    /// Extra environment variables.
    pub env: &'a [(&'a str, String)],
    /// Stopped (with everything it started) after this long.
    pub timeout: Duration,
    /// Bytes kept per stream; the rest is counted, not kept.
    pub output_cap: usize,
    /// Whether a process it leaves behind holding its output open is
    /// stopped (evidence commands: yes; a platform hook may start a
    /// service on purpose: no).
    pub stop_leftovers: bool,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Exit status 0 within the timeout.
    pub ok: bool,
    /// The exit code, if the process exited.
    pub exit_code: Option<i32>,
    /// Stopped at the timeout.
    pub timed_out: bool,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Standard output bytes (at most the cap), and how many were cut.
    pub stdout: (Vec<u8>, usize),
    /// Standard error bytes (at most the cap), and how many were cut.
    pub stderr: (Vec<u8>, usize),
    /// Why it could not start, if it did not.
    pub error: Option<String>,
    /// A process it started kept the output open after it ended.
    pub held_open: bool,
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

fn failed(error: String) -> Outcome {
    Outcome {
        ok: false,
        exit_code: None,
        timed_out: false,
        duration_ms: 0,
        stdout: (Vec::new(), 0),
        stderr: (Vec::new(), 0),
        error: Some(error),
        held_open: false,
    }
}

/// Runs `spec`, waiting at most its timeout.
#[must_use]
pub fn run(spec: &Spec<'_>) -> Outcome {
    let start = Instant::now();
    let Some((prog, args)) = spec.argv.split_first() else {
        return failed("the command is empty".into());
    };
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in spec.env {
        cmd.env(k, v);
    }
    let mut wrap = CommandWrap::from(cmd);
    #[cfg(unix)]
    wrap.wrap(process_wrap::std::ProcessGroup::leader());
    #[cfg(windows)]
    wrap.wrap(process_wrap::std::JobObject);
    let mut child: Box<dyn ChildWrapper> = match wrap.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start `{prog}`: {e}")),
    };
    let out = child.stdout().take().map(|r| drain(r, spec.output_cap));
    let err = child.stderr().take().map(|r| drain(r, spec.output_cap));
    let limit = spec.timeout.max(Duration::from_millis(1));
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= limit => {
                timed_out = true;
                // The whole group / job: what the command started goes too.
                let _ = child.start_kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    // A background process may keep the pipes open after the command ended
    // or was stopped: wait 2 s, keep what was read, and (when asked) stop
    // the group.
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
        if spec.stop_leftovers {
            let _ = child.start_kill();
            wait_done(&handles, Duration::from_secs(1));
        }
    }
    let take = |o: Option<(Shared, std::thread::JoinHandle<()>)>| {
        o.map(|(shared, _)| shared.lock().map(|g| g.clone()).unwrap_or_default())
            .unwrap_or_default()
    };
    let exit_code = status.and_then(|s| s.code());
    Outcome {
        ok: !timed_out && status.is_some_and(|s| s.success()),
        exit_code,
        timed_out,
        duration_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        stdout: take(out),
        stderr: take(err),
        error: None,
        held_open,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(line: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), line.into()]
    }

    /// A timeout stops the command and what it started.
    #[test]
    fn a_timeout_stops_the_whole_group() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mark = dir.path().join("late");
        let argv = sh(&format!("(sleep 2; touch {}) & sleep 30", mark.display()));
        let started = Instant::now();
        let o = run(&Spec {
            argv: &argv,
            env: &[],
            timeout: Duration::from_millis(500),
            output_cap: 1024,
            stop_leftovers: false,
        });
        assert!(o.timed_out && !o.ok, "{o:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_secs(3));
        assert!(!mark.exists(), "the background child outlived the timeout");
    }

    #[test]
    fn output_is_capped_and_the_cut_counted() {
        let argv = sh("printf 0123456789; printf oops >&2; exit 3");
        let o = run(&Spec {
            argv: &argv,
            env: &[("X", "1".into())],
            timeout: Duration::from_secs(10),
            output_cap: 4,
            stop_leftovers: true,
        });
        assert_eq!(o.exit_code, Some(3));
        assert_eq!(o.stdout, (b"0123".to_vec(), 6));
        assert_eq!(o.stderr, (b"oops".to_vec(), 0));
        let o = run(&Spec {
            argv: &["/nonexistent/program".to_string()],
            env: &[],
            timeout: Duration::from_secs(1),
            output_cap: 4,
            stop_leftovers: true,
        });
        assert!(
            o.error
                .as_deref()
                .is_some_and(|e| e.contains("cannot start"))
        );
    }
}
