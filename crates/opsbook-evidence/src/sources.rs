//! What one source becomes before sealing (D-EVD-BUNDLE, D-EVD-LIMITS): a
//! path, glob or directory expanded into files; a file read whole or, over
//! the size limit, head and tail with bounded memory; a command run by the
//! platform's shell; each redacted and hashed, or excluded with the reason.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::Digest;

use serde::Serialize;

use crate::error::{EvidenceError, io};
use crate::hash::sha256_hex;
use crate::redact::{ArchiveLimits, Cut, FileOutcome, Hit, RuleSet, SecretValues};

/// Size limits (`policy/evidence.yaml` `limits`), bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Per file; larger files are cut head + tail.
    pub max_file_bytes: u64,
    /// Per bundle; files beyond are excluded and listed.
    pub max_bundle_bytes: u64,
    /// Files per bundle.
    pub max_files: usize,
    /// Kept from the start of a cut file.
    pub head_bytes: u64,
    /// Kept from the end of a cut file.
    pub tail_bytes: u64,
    /// Per-file scan time budget, seconds.
    pub scan_seconds: u64,
    /// Per-command timeout, seconds (`collection.command_timeout_seconds`).
    pub command_seconds: u64,
    /// Per-command captured output, bytes (`collection.max_command_output_bytes`).
    pub command_output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 64 << 20,
            max_bundle_bytes: 512 << 20,
            max_files: 2000,
            head_bytes: 8 << 20,
            tail_bytes: 32 << 20,
            scan_seconds: 60,
            command_seconds: 60,
            command_output_bytes: 16 << 20,
        }
    }
}

impl Limits {
    /// `limits` and `collection` of `policy/evidence.yaml` (the defaults
    /// for what it leaves out, or without a policy).
    #[must_use]
    pub fn from_policy(p: Option<&opsbook_core::policy::Evidence>) -> Limits {
        let d = Limits::default();
        let Some(p) = p else { return d };
        let l = &p.limits;
        Limits {
            max_file_bytes: l.max_file_bytes.unwrap_or(d.max_file_bytes),
            max_bundle_bytes: l.max_bundle_bytes.unwrap_or(d.max_bundle_bytes),
            max_files: l
                .max_files
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(d.max_files),
            head_bytes: l.truncation.head_bytes.unwrap_or(d.head_bytes),
            tail_bytes: l.truncation.tail_bytes.unwrap_or(d.tail_bytes),
            scan_seconds: l.scan_seconds.unwrap_or(d.scan_seconds),
            command_seconds: p
                .collection
                .command_timeout_seconds
                .unwrap_or(d.command_seconds),
            command_output_bytes: p
                .collection
                .max_command_output_bytes
                .unwrap_or(d.command_output_bytes),
        }
    }
}

/// One thing to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command's output: (name, command line). Run by PowerShell on
    /// Windows (`powershell.exe -NoProfile -NonInteractive -Command`), by
    /// `sh -c` elsewhere.
    Command(String, String),
    /// A file.
    File(PathBuf),
}

/// The secret key of the keyed source hash: for a file that had
/// redactions the manifest records HMAC-SHA256 of the source under this
/// key, never its plain SHA-256 (which, with the redacted copy beside it,
/// would let any reader confirm a guessed secret offline). Whoever holds
/// the key and the original file can check it. `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceKey(Vec<u8>);

impl std::fmt::Debug for SourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceKey(…)")
    }
}

/// Where the source-hash key is named by default: the variable holds the
/// key file's path.
pub const SOURCE_KEY_REF: &str = "env:OPSBOOK_EVIDENCE_HASH_KEY";

impl SourceKey {
    /// A key from a key file's bytes (surrounding white space trimmed).
    ///
    /// # Errors
    /// Fewer than 16 bytes: too short to stop guessing.
    pub fn new(bytes: &[u8]) -> Result<SourceKey, EvidenceError> {
        let k = bytes.trim_ascii();
        if k.len() < 16 {
            return Err(EvidenceError::Invalid(format!(
                "the source-hash key has {} bytes: at least 16 are needed (e.g. 32 random bytes, hex)",
                k.len()
            )));
        }
        Ok(SourceKey(k.to_vec()))
    }

    /// The key named by `integrity.source_hash.key_ref` of
    /// `policy/evidence.yaml` (`env:VAR` holding the key file's path, or
    /// `file:PATH`; default [`SOURCE_KEY_REF`]); `None` when that names
    /// nothing (no keyed hash: none is recorded for redacted files).
    ///
    /// # Errors
    /// A form other than `env:`/`file:`, an unreadable or short key file.
    pub fn from_policy(
        policy: Option<&opsbook_core::policy::Evidence>,
    ) -> Result<Option<SourceKey>, EvidenceError> {
        let key_ref = policy
            .and_then(|p| p.integrity.source_hash.key_ref.as_deref())
            .unwrap_or(SOURCE_KEY_REF);
        let Some(path) = crate::sign::key_path(key_ref)? else {
            return Ok(None);
        };
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        SourceKey::new(&bytes)
            .map(Some)
            .map_err(|e| EvidenceError::Invalid(format!("{} ({key_ref}): {e}", path.display())))
    }

    fn mac(&self) -> hmac::Hmac<sha2::Sha256> {
        use hmac::KeyInit as _;
        hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"))
    }

    /// Hex HMAC-SHA256 of `bytes` under this key.
    #[must_use]
    pub fn hex(&self, bytes: &[u8]) -> String {
        use hmac::Mac as _;
        let mut m = self.mac();
        m.update(bytes);
        hex(&m.finalize().into_bytes())
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// Expands what an operator names into files: a directory, walked
/// recursively (what `--include DIR` means); a glob (`logs/*.log`,
/// `C:\trading\logs\*.log`); a path, as it is. Symbolic links are listed,
/// never followed, so that collect excludes each with the reason.
///
/// # Errors
/// A pattern that is not a valid glob.
pub fn expand(pattern: &str) -> Result<Vec<PathBuf>, EvidenceError> {
    let p = Path::new(pattern);
    if !pattern.contains(['*', '?', '[']) {
        if std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) {
            let mut out: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() || e.file_type().is_symlink())
                .map(walkdir::DirEntry::into_path)
                .collect();
            out.sort();
            return Ok(out);
        }
        return Ok(vec![p.to_path_buf()]);
    }
    // The directory part before the first wildcard is walked.
    let norm = pattern.replace('\\', "/");
    let first = norm.find(['*', '?', '[']).unwrap_or(norm.len());
    let base = norm[..first]
        .rfind('/')
        .map_or(".", |i| if i == 0 { "/" } else { &norm[..i] });
    let glob = globset::GlobBuilder::new(&norm)
        .literal_separator(true)
        .build()
        .map_err(|e| EvidenceError::Invalid(format!("`{pattern}` is not a glob: {e}")))?
        .compile_matcher();
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(base)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        // Links are kept so that collect lists them as excluded, with why.
        .filter(|e| e.file_type().is_file() || e.file_type().is_symlink())
        .map(walkdir::DirEntry::into_path)
        .filter(|path| {
            let s = path.to_string_lossy().replace('\\', "/");
            let s = s.strip_prefix("./").unwrap_or(&s).to_string();
            glob.is_match(&s) || glob.is_match(format!("./{s}"))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// A file as read: whole, or its head and tail when over the size limit.
enum Content {
    Whole(Vec<u8>),
    Cut { head: Vec<u8>, tail: Vec<u8> },
}

/// A source's bytes and hashes.
struct Sourced {
    content: Content,
    size: u64,
    sha256: String,
    /// HMAC-SHA256 under the source key, when there is one.
    hmac: Option<String>,
}

/// Reads a file whole, or head + tail when over the limit (bounded memory:
/// a 2 GB single-line log costs head + tail bytes); the hashes cover the
/// whole source, streamed, in the same pass.
fn read_bounded(
    path: &Path,
    l: &Limits,
    key: Option<&SourceKey>,
) -> Result<Sourced, EvidenceError> {
    use hmac::Mac as _;
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let size = f.metadata().map_err(io(path))?.len();
    let mut h = sha2::Sha256::new();
    let mut m = key.map(SourceKey::mac);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        if let Some(m) = &mut m {
            m.update(&buf[..n]);
        }
    }
    let sha256 = hex(&h.finalize());
    let hmac = m.map(|m| hex(&m.finalize().into_bytes()));
    f.seek(SeekFrom::Start(0)).map_err(io(path))?;
    if size <= l.max_file_bytes {
        let mut all = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        f.read_to_end(&mut all).map_err(io(path))?;
        return Ok(Sourced {
            content: Content::Whole(all),
            size,
            sha256,
            hmac,
        });
    }
    let head_n = l.head_bytes.min(size);
    let tail_n = l.tail_bytes.min(size - head_n);
    let mut head = vec![0u8; usize::try_from(head_n).unwrap_or(0)];
    f.read_exact(&mut head).map_err(io(path))?;
    f.seek(SeekFrom::Start(size - tail_n)).map_err(io(path))?;
    let mut tail = vec![0u8; usize::try_from(tail_n).unwrap_or(0)];
    f.read_exact(&mut tail).map_err(io(path))?;
    Ok(Sourced {
        content: Content::Cut { head, tail },
        size,
        sha256,
        hmac,
    })
}

fn shell(cmd: &str) -> Vec<String> {
    if cfg!(windows) {
        vec![
            "powershell.exe".into(),
            "-NoProfile".into(),
            "-NonInteractive".into(),
            "-Command".into(),
            cmd.into(),
        ]
    } else {
        vec!["sh".into(), "-c".into(), cmd.into()]
    }
}

/// What one source became.
pub(crate) enum Processed {
    Excluded { original: String, reason: String },
    Kept(Box<Kept>),
}

/// A source kept for the bundle.
pub(crate) struct Kept {
    /// The name (path or `command:NAME`), scrubbed.
    pub(crate) original: String,
    /// `file` or `command`.
    pub(crate) kind: &'static str,
    /// The redacted bytes.
    pub(crate) out: Vec<u8>,
    pub(crate) hits: Vec<Hit>,
    /// The values redacted (memory only).
    pub(crate) values: SecretValues,
    pub(crate) encoding: String,
    pub(crate) source_size: u64,
    /// Plain SHA-256 of the whole source.
    pub(crate) source_sha256: String,
    /// HMAC-SHA256 of the whole source under the source key.
    pub(crate) source_hmac: Option<String>,
    pub(crate) truncated: Option<Cut>,
    pub(crate) command: Option<Value>,
}

impl Processed {
    pub(crate) fn original(&self) -> &str {
        match self {
            Processed::Excluded { original, .. } => original,
            Processed::Kept(k) => &k.original,
        }
    }
}

/// Reads (or runs) one source and redacts it.
pub(crate) fn process(
    src: &Source,
    rules: &RuleSet,
    limits: &Limits,
    archive: &ArchiveLimits,
    key: Option<&SourceKey>,
) -> Result<Processed, EvidenceError> {
    // Names go into the manifest: they never carry a secret either.
    let (original, kind) = match src {
        Source::Command(name, _) => (rules.scrub(&format!("command:{name}")), "command"),
        Source::File(p) => (rules.scrub(&p.display().to_string()), "file"),
    };
    let excluded = |reason: String| {
        Ok(Processed::Excluded {
            original: original.clone(),
            reason: rules.scrub(&reason),
        })
    };
    let (read, command) = match src {
        Source::Command(name, line) => {
            let started = jiff::Timestamp::now();
            let hook = opsbook_core::hook::Hook {
                command: shell(line),
                timeout_seconds: limits.command_seconds,
                manual_runbook: None,
            };
            let cap = usize::try_from(limits.command_output_bytes).unwrap_or(usize::MAX);
            let r = opsbook_core::hook::run_raw(&hook, &[], cap);
            let ended = jiff::Timestamp::now();
            if let Some(e) = &r.error {
                return excluded(format!("command `{name}` did not start: {e}"));
            }
            let mut out = r.stdout.0;
            if !r.stderr.0.is_empty() {
                out.extend_from_slice(b"\n[stderr]\n");
                out.extend_from_slice(&r.stderr.0);
            }
            let argv: Vec<String> = hook.command.iter().map(|a| rules.scrub(a)).collect();
            let cmd = json!({
                "argv": argv, "exit_code": r.exit_code, "timed_out": r.timed_out,
                "started_utc": opsbook_core::ledger::format_ts(started),
                "ended_utc": opsbook_core::ledger::format_ts(ended),
                "output_cut_bytes": r.stdout.1 + r.stderr.1,
            });
            let read = Sourced {
                size: out.len() as u64,
                sha256: sha256_hex(&out),
                hmac: key.map(|k| k.hex(&out)),
                content: Content::Whole(out),
            };
            (read, Some(cmd))
        }
        Source::File(p) => match std::fs::symlink_metadata(p) {
            Err(e) => return excluded(format!("cannot be read: {e}")),
            Ok(m) if !m.is_file() => {
                return excluded(if m.file_type().is_symlink() {
                    "a symbolic link: collect its target explicitly".into()
                } else {
                    "not a regular file".into()
                });
            }
            Ok(_) => match read_bounded(p, limits, key) {
                Ok(r) => (r, None),
                Err(e) => return excluded(format!("cannot be read: {e}")),
            },
        },
    };
    let deadline = Instant::now() + Duration::from_secs(limits.scan_seconds.max(1));
    let (outcome, truncated, whole) = match &read.content {
        Content::Whole(b) => (rules.redact_file(b, archive, Some(deadline)), None, Some(b)),
        Content::Cut { head, tail } => {
            let (o, cut) = rules.redact_cut(head, tail, read.size, Some(deadline));
            (o, cut, None)
        }
    };
    let (out, encoding, hits, values) = match outcome {
        FileOutcome::Excluded { reason } => return excluded(reason),
        FileOutcome::Kept {
            bytes,
            encoding,
            hits,
            values,
        } => (bytes, encoding, hits, values),
    };
    // Redaction must not damage structured evidence.
    if let Some(bytes) = whole.filter(|_| !hits.is_empty()) {
        let lower = original.to_ascii_lowercase();
        if lower.ends_with(".json")
            && serde_json::from_slice::<Value>(bytes).is_ok()
            && serde_json::from_slice::<Value>(&out).is_err()
        {
            return Err(EvidenceError::Refused(format!(
                "redaction broke the JSON of `{original}` (redaction_error: abort_bundle)"
            )));
        }
        if (lower.ends_with(".yaml") || lower.ends_with(".yml"))
            && let (Ok(a), Ok(b)) = (std::str::from_utf8(bytes), std::str::from_utf8(&out))
            && opsbook_core::yaml::parse(a).is_ok()
            && opsbook_core::yaml::parse(b).is_err()
        {
            return Err(EvidenceError::Refused(format!(
                "redaction broke the YAML of `{original}` (redaction_error: abort_bundle)"
            )));
        }
    }
    Ok(Processed::Kept(Box::new(Kept {
        original: original.clone(),
        kind,
        out,
        hits,
        values,
        encoding: serde_json::to_value(encoding)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        source_size: read.size,
        source_sha256: read.sha256,
        source_hmac: read.hmac,
        truncated,
        command,
    })))
}
