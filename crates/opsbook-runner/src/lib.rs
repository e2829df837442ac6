//! The step runner: the code of one runbook step (PowerShell or bash) is
//! written to a temporary script and run with a timeout that stops its
//! whole process tree (`opsbook_core::process`: a process group on Unix, a
//! Job Object on Windows), and what it did comes back as a [`Transcript`]
//! (D-AUTO-BOUNDARY, D-WIN).
//!
//! - PowerShell: `<pwsh|powershell.exe> -NoProfile -NonInteractive -File
//!   <temp .ps1>`; the script is UTF-8 **with BOM** (Windows PowerShell 5.1
//!   reads a BOM-less script as the ANSI code page), CRLF line endings, and
//!   a preamble that sets `$ErrorActionPreference = 'Stop'`. A native
//!   program's exit code is checked after each statement that runs one
//!   (`opsbook_classify::with_exit_checks`: `; if ($global:LASTEXITCODE -ne
//!   0) { throw … }` on the same line), unless the author reads
//!   `$LASTEXITCODE` right there — the same on Windows PowerShell 5.1,
//!   where nothing else would notice, and on 7.x, where
//!   `$PSNativeCommandUseErrorActionPreference` is set to `$false` so that
//!   an exit code the author handles (`opsbook safety can` answering 3) is
//!   not an error there either. A step that reaches its end exits 0.
//! - bash: `bash <temp .sh>`, the script opening with `set -euo pipefail`.
//!
//! Nothing is put on a command line but the script's path: secrets reach a
//! step only through the environment it inherits. This crate knows nothing
//! of incidents, safety states, freezes or ledgers (the operations layer
//! decides whether a step may run and records what it did).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The shell a step runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    /// Windows PowerShell 5.1 or PowerShell 7.
    PowerShell,
    /// bash.
    Bash,
}

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The lines put before a PowerShell step's code.
pub const PWSH_PREAMBLE: &str = "$ErrorActionPreference = 'Stop'\r\n\
$PSNativeCommandUseErrorActionPreference = $false\r\n\
$global:LASTEXITCODE = 0\r\n\
try {\r\n";

/// The lines put after a PowerShell step's code: a terminating error
/// (including a native program's non-zero exit code, turned into one by the
/// inserted checks) is printed and exits 1; a step that reaches its end
/// exits 0 — an exit code the author read and handled (`opsbook safety can`
/// answering 3) is not the step's failure.
pub const PWSH_EPILOGUE: &str = "\r\n} catch {\r\n\
  [Console]::Error.WriteLine(($_ | Out-String))\r\n\
  exit 1\r\n\
}\r\n\
exit 0\r\n";

/// The line put before a bash step's code.
pub const BASH_PREAMBLE: &str = "set -euo pipefail\n";

/// The exact bytes of the script a step runs as.
#[must_use]
pub fn script_bytes(shell: Shell, code: &str) -> Vec<u8> {
    match shell {
        Shell::PowerShell => {
            let lf = code.replace("\r\n", "\n");
            let body = opsbook_classify::with_exit_checks(&lf).replace('\n', "\r\n");
            let mut out = BOM.to_vec();
            out.extend_from_slice(PWSH_PREAMBLE.as_bytes());
            out.extend_from_slice(body.trim_end_matches(['\r', '\n']).as_bytes());
            out.extend_from_slice(PWSH_EPILOGUE.as_bytes());
            out
        }
        Shell::Bash => {
            let mut out = BASH_PREAMBLE.as_bytes().to_vec();
            out.extend_from_slice(code.replace("\r\n", "\n").as_bytes());
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out
        }
    }
}

/// The program a shell runs with: `OPSBOOK_PWSH` / `OPSBOOK_BASH` when set,
/// else for PowerShell `pwsh` on `PATH`, else `powershell` on `PATH`, else
/// `powershell.exe` (Windows PowerShell 5.1) on Windows and `pwsh` elsewhere
/// (so that the error names the program to install); for bash `bash`.
#[must_use]
pub fn program(shell: Shell) -> String {
    let (var, candidates): (&str, &[&str]) = match shell {
        Shell::PowerShell => ("OPSBOOK_PWSH", &["pwsh", "powershell"]),
        Shell::Bash => ("OPSBOOK_BASH", &["bash"]),
    };
    if let Ok(p) = std::env::var(var)
        && !p.trim().is_empty()
    {
        return p;
    }
    for c in candidates {
        if let Ok(p) = which::which(c) {
            return p.to_string_lossy().into_owned();
        }
    }
    match shell {
        // Windows PowerShell 5.1 exists only on Windows; elsewhere PowerShell is `pwsh`.
        Shell::PowerShell if cfg!(windows) => "powershell.exe".into(),
        Shell::PowerShell => "pwsh".into(),
        Shell::Bash => "bash".into(),
    }
}

/// The argv that runs `script` with `program`.
#[must_use]
pub fn argv(shell: Shell, program: &str, script: &Path) -> Vec<String> {
    let s = script.to_string_lossy().into_owned();
    match shell {
        Shell::PowerShell => vec![
            program.to_string(),
            "-NoProfile".into(),
            "-NonInteractive".into(),
            "-File".into(),
            s,
        ],
        Shell::Bash => vec![program.to_string(), s],
    }
}

/// One step to run.
#[derive(Debug, Clone)]
pub struct StepSpec<'a> {
    /// Its shell.
    pub shell: Shell,
    /// Its code (the text inside the fence).
    pub code: &'a str,
    /// The program (see [`program`]).
    pub program: &'a str,
    /// Where the temporary script is written (removed afterwards).
    pub work_dir: &'a Path,
    /// Extra environment variables (secrets go here, never on argv).
    pub env: &'a [(&'a str, String)],
    /// The step and everything it started are stopped after this long.
    pub timeout: Duration,
    /// Bytes kept per output stream.
    pub output_cap: usize,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transcript {
    /// The shell.
    pub shell: Shell,
    /// The program it ran with.
    pub program: String,
    /// The exact argv (the script path is a temporary file, gone now).
    pub argv: Vec<String>,
    /// SHA-256 (hex) of the step's code as written in the runbook.
    pub code_sha256: String,
    /// Exit code, when the process exited.
    pub exit_code: Option<i32>,
    /// Exit code 0 within the timeout.
    pub ok: bool,
    /// Stopped at the timeout (with its whole process tree).
    pub timed_out: bool,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Standard output (lossy UTF-8, at most the cap).
    pub stdout: String,
    /// Standard error (lossy UTF-8, at most the cap).
    pub stderr: String,
    /// Bytes cut beyond the cap (stdout, stderr).
    pub truncated_bytes: (usize, usize),
    /// Why it could not start, if it did not.
    pub error: Option<String>,
}

/// SHA-256 (hex) of a step's code.
#[must_use]
pub fn code_sha256(code: &str) -> String {
    hex(&Sha256::digest(code.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// Runs one step: writes its script to a temporary file in `work_dir`
/// (`.ps1` UTF-8 with BOM, or `.sh`), runs it, removes the file.
///
/// # Errors
/// The temporary script cannot be written (the step did not run).
pub fn run_step(spec: &StepSpec<'_>) -> std::io::Result<Transcript> {
    let suffix = match spec.shell {
        Shell::PowerShell => ".ps1",
        Shell::Bash => ".sh",
    };
    std::fs::create_dir_all(spec.work_dir)?;
    let mut file = tempfile::Builder::new()
        .prefix("opsbook-step-")
        .suffix(suffix)
        .tempfile_in(spec.work_dir)?;
    file.write_all(&script_bytes(spec.shell, spec.code))?;
    file.flush()?;
    // Closed (Windows will not let another process read a file open for
    // writing without sharing) but kept until the step has run.
    let path: tempfile::TempPath = file.into_temp_path();
    let script: PathBuf = path.to_path_buf();
    let argv = argv(spec.shell, spec.program, &script);
    let o = opsbook_core::process::run(&opsbook_core::process::Spec {
        argv: &argv,
        env: spec.env,
        timeout: spec.timeout,
        output_cap: spec.output_cap,
        stop_leftovers: true,
    });
    drop(path);
    Ok(Transcript {
        shell: spec.shell,
        program: spec.program.to_string(),
        argv,
        code_sha256: code_sha256(spec.code),
        exit_code: o.exit_code,
        ok: o.ok,
        timed_out: o.timed_out,
        duration_ms: o.duration_ms,
        stdout: String::from_utf8_lossy(&o.stdout.0).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr.0).into_owned(),
        truncated_bytes: (o.stdout.1, o.stderr.1),
        error: o.error,
    })
}

/// The shell's version as it reports it (`$PSVersionTable.PSVersion`, the
/// first line of `bash --version`), or `None` when it does not answer
/// within 10 s.
#[must_use]
pub fn shell_version(shell: Shell, program: &str) -> Option<String> {
    let argv: Vec<String> = match shell {
        Shell::PowerShell => vec![
            program.into(),
            "-NoProfile".into(),
            "-NonInteractive".into(),
            "-Command".into(),
            "$PSVersionTable.PSVersion.ToString()".into(),
        ],
        Shell::Bash => vec![program.into(), "--version".into()],
    };
    let o = opsbook_core::process::run(&opsbook_core::process::Spec {
        argv: &argv,
        env: &[],
        timeout: Duration::from_secs(10),
        output_cap: 4096,
        stop_leftovers: true,
    });
    if !o.ok {
        return None;
    }
    String::from_utf8_lossy(&o.stdout.0)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_scripts_are_utf8_with_bom_and_crlf() {
        let b = script_bytes(Shell::PowerShell, "Get-Date\nWrite-Output 'é'\n");
        assert!(b.starts_with(BOM));
        let s = std::str::from_utf8(&b[3..]).unwrap();
        assert!(s.starts_with("$ErrorActionPreference = 'Stop'\r\n"));
        assert!(s.contains("try {\r\nGet-Date\r\nWrite-Output 'é'\r\n} catch {"));
        assert!(!s.replace("\r\n", "").contains('\n'), "a bare LF: {s:?}");
        assert!(s.ends_with("exit 0\r\n"));
    }

    #[test]
    fn native_exit_codes_are_checked_after_each_statement_on_both_hosts() {
        let b = script_bytes(
            Shell::PowerShell,
            "w32tm /query /status\nopsbook safety can x\nif ($LASTEXITCODE -notin 0, 3) { throw 'no' }\nGet-Date\n",
        );
        let mut want = BOM.to_vec();
        want.extend_from_slice(
            b"$ErrorActionPreference = 'Stop'\r\n\
$PSNativeCommandUseErrorActionPreference = $false\r\n\
$global:LASTEXITCODE = 0\r\n\
try {\r\n\
w32tm /query /status; if ($global:LASTEXITCODE -ne 0) { throw \"w32tm exited $($global:LASTEXITCODE) (line 1 of the step)\" }\r\n\
opsbook safety can x\r\n\
if ($LASTEXITCODE -notin 0, 3) { throw 'no' }\r\n\
Get-Date\r\n\
} catch {\r\n\
  [Console]::Error.WriteLine(($_ | Out-String))\r\n\
  exit 1\r\n\
}\r\n\
exit 0\r\n",
        );
        assert_eq!(String::from_utf8_lossy(&b), String::from_utf8_lossy(&want));
    }

    #[test]
    fn bash_scripts_open_with_strict_mode() {
        assert_eq!(
            script_bytes(Shell::Bash, "echo a\r\necho b"),
            b"set -euo pipefail\necho a\necho b\n"
        );
    }

    #[test]
    fn argv_is_exact() {
        let p = Path::new("/tmp/x.ps1");
        assert_eq!(
            argv(Shell::PowerShell, "pwsh", p),
            [
                "pwsh",
                "-NoProfile",
                "-NonInteractive",
                "-File",
                "/tmp/x.ps1"
            ]
        );
        assert_eq!(argv(Shell::Bash, "bash", p), ["bash", "/tmp/x.ps1"]);
    }

    #[test]
    fn code_hash_is_sha256() {
        assert_eq!(
            code_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
