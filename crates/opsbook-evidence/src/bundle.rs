//! Collect, seal, sign (D-EVD-BUNDLE, D-EVD-LIMITS).
//!
//! A bundle is `EVB-<yyyymmdd>-<hhmmss>-<hash6>.zip` holding
//! `manifest.json`, `SHA256SUMS` (`sha256sum -c` and PowerShell
//! `Get-FileHash` can check it; ASCII, LF), `redaction-report.json` (rule
//! IDs, counts, locations — never values) and `files/NNNN-<name>` (short
//! ASCII names; the original names are in the manifest). Beside it:
//! `<bundle>.zip.sha256` and, when a key is configured, a minisign
//! signature `<bundle>.zip.minisig` whose trusted comment pins the bundle ID
//! and the custody head. Same inputs and time ⇒ same manifest and entry
//! hashes (entries sorted, fixed timestamps).
//!
//! Collection follows the order of volatility (RFC 3227): command outputs
//! (processes, connections, state) first, then files.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use sha2::Digest;

use crate::redact::{ArchiveLimits, FileOutcome, Hit, RuleSet};

/// Why collecting or sealing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// I/O on a file or directory.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The bundle must not be released (fail closed).
    #[error("no bundle released: {0}")]
    Refused(String),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EvidenceError + '_ {
    move |source| EvidenceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Hex SHA-256.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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

/// What to collect.
#[derive(Debug, Clone)]
pub struct Request {
    /// Incident ID.
    pub incident: String,
    /// Runbook whose `required_evidence` this follows.
    pub runbook: Option<String>,
    /// Sources, in the order given (commands are run before files).
    pub sources: Vec<Source>,
    /// Host name.
    pub host: String,
    /// Collector (user, display name).
    pub collector: Value,
    /// Collection time (UTC).
    pub now: jiff::Timestamp,
    /// Local UTC offset of the collecting host, seconds.
    pub utc_offset_seconds: i32,
    /// The host's clock against a time reference (offset in ms when
    /// measured, or why not).
    pub clock: crate::timeref::ClockCheck,
    /// Tool version.
    pub tool_version: String,
    /// Bundle IDs already used (from the custody ledger): a bundle of the
    /// same files in the same second gets a `-2`, `-3`… suffix instead of
    /// replacing the earlier one anywhere.
    pub taken_ids: std::collections::BTreeSet<String>,
    /// What the runbook asked for and is not here (`source`, `reason`):
    /// listed with the excluded items so the manifest shows the gap.
    pub missing: Vec<Excluded>,
}

/// A file in the bundle.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Entry name in the ZIP (`files/0001-engine.log`).
    pub entry: String,
    /// The original name (path or `command:NAME`).
    pub original: String,
    /// `file` or `command`.
    pub kind: &'static str,
    /// Bytes in the bundle.
    pub size: u64,
    /// SHA-256 of the bytes in the bundle.
    pub sha256: String,
    /// Bytes of the source (whole file or whole output).
    pub source_size: u64,
    /// SHA-256 of the whole source (before cutting and redaction).
    pub source_sha256: String,
    /// Encoding found and kept.
    pub encoding: String,
    /// Redactions by class.
    pub redactions: std::collections::BTreeMap<String, usize>,
    /// Head + tail cut, when the source exceeded `max_file_bytes`.
    pub truncated: Option<Value>,
    /// For commands: argv (redacted), exit code, UTC start and end.
    pub command: Option<Value>,
}

/// Something left out, with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct Excluded {
    /// Path or `command:NAME`.
    pub source: String,
    /// Why.
    pub reason: String,
}

/// A sealed bundle in a directory.
#[derive(Debug, Clone, Serialize)]
pub struct Sealed {
    /// `EVB-…`.
    pub bundle_id: String,
    /// The ZIP.
    pub path: PathBuf,
    /// SHA-256 of the ZIP.
    pub sha256: String,
    /// Bytes of the ZIP.
    pub size: u64,
    /// Whether a signature was written.
    pub signed: bool,
    /// Files in the bundle.
    pub files: Vec<FileEntry>,
    /// What was left out.
    pub excluded: Vec<Excluded>,
    /// Redactions in all.
    pub redactions: usize,
    /// SHA-256 of `manifest.json`.
    pub manifest_sha256: String,
}

/// Progress callbacks (a bar on a terminal).
pub trait Progress {
    /// `done` of `total` sources, now working on `what`.
    fn step(&mut self, done: usize, total: usize, what: &str);
}

impl<F: FnMut(usize, usize, &str)> Progress for F {
    fn step(&mut self, done: usize, total: usize, what: &str) {
        self(done, total, what);
    }
}

fn safe_name(s: &str) -> String {
    let base = s.rsplit(['/', '\\']).next().unwrap_or(s);
    let mut out: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(40);
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, 'f');
    }
    out
}

/// Reads a file whole, or head + tail when over the limit (bounded memory:
/// a 2 GB single-line log costs head + tail bytes). Returns (bytes to scan,
/// source size, source SHA-256, truncation record).
fn read_bounded(
    path: &Path,
    l: &Limits,
) -> Result<(Vec<u8>, u64, String, Option<Value>), EvidenceError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let size = f.metadata().map_err(io(path))?.len();
    // The hash covers the whole source, streamed.
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let sha: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    f.seek(SeekFrom::Start(0)).map_err(io(path))?;
    if size <= l.max_file_bytes {
        let mut all = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        f.read_to_end(&mut all).map_err(io(path))?;
        return Ok((all, size, sha, None));
    }
    let head_n = l.head_bytes.min(size);
    let tail_n = l.tail_bytes.min(size - head_n);
    let mut head = vec![0u8; usize::try_from(head_n).unwrap_or(0)];
    f.read_exact(&mut head).map_err(io(path))?;
    f.seek(SeekFrom::Start(size - tail_n)).map_err(io(path))?;
    let mut tail = vec![0u8; usize::try_from(tail_n).unwrap_or(0)];
    f.read_exact(&mut tail).map_err(io(path))?;
    // Cut at line boundaries when there are any near the edges, so that no
    // half secret sits at a cut; a single-line file is cut where it is.
    if let Some(i) = head
        .iter()
        .rposition(|&b| b == b'\n')
        .filter(|i| head.len() - i < 1 << 20)
    {
        head.truncate(i + 1);
    }
    let skip = tail_skip(&tail);
    tail.drain(..skip);
    let cut = size - head.len() as u64 - tail.len() as u64;
    let marker = format!(
        "\n[opsbook: {cut} bytes cut here (head {} + tail {} of {size} kept)]\n",
        head.len(),
        tail.len()
    );
    let mut out = head.clone();
    out.extend_from_slice(marker.as_bytes());
    out.extend_from_slice(&tail);
    let rec = json!({"head_bytes": head.len(), "tail_bytes": tail.len(), "cut_bytes": cut});
    Ok((out, size, sha, Some(rec)))
}

/// How many bytes to drop at the start of a kept tail, so that nothing whose
/// label was cut off starts it (D-EVD-LIMITS): the partial first line, then
/// lines that continue something above (blank, indented, a bare token such
/// as a wrapped key, the rest of a PEM block up to its END line); in a
/// single long line, the first three words. At most 1 MiB.
fn tail_skip(tail: &[u8]) -> usize {
    let lim = tail.len().min(1 << 20);
    let b = &tail[..lim];
    let Some(first) = memchr::memchr(b'\n', b) else {
        // One long line: `passw|ord: VALUE` must not start with the value.
        let mut at = 0;
        for _ in 0..3 {
            while at < lim && !b[at].is_ascii_whitespace() {
                at += 1;
            }
            while at < lim && b[at].is_ascii_whitespace() {
                at += 1;
            }
        }
        return at;
    };
    let line_end = |from: usize| memchr::memchr(b'\n', &b[from..]).map(|i| from + i);
    let mut at = first + 1;
    // Inside a private key block: past its END line.
    if let Some(e) = memchr::memmem::find(b, b"-----END ")
        && memchr::memmem::find(&b[..e], b"-----BEGIN ").is_none()
        && let Some(le) = line_end(e)
    {
        at = at.max(le + 1);
    }
    while at < lim {
        let Some(le) = line_end(at) else { break };
        let line = b[at..le].strip_suffix(b"\r").unwrap_or(&b[at..le]);
        let bare_token = line.len() >= 8
            && line
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=_-.".contains(c));
        if line.iter().all(u8::is_ascii_whitespace)
            || line.starts_with(b" ")
            || line.starts_with(b"\t")
            || bare_token
        {
            at = le + 1;
        } else {
            break;
        }
    }
    at
}

/// Expands a path or glob (`logs/*.log`, `C:\trading\logs\*.log`) into files.
///
/// # Errors
/// A pattern that is not a valid glob.
pub fn expand(pattern: &str) -> Result<Vec<PathBuf>, EvidenceError> {
    let p = Path::new(pattern);
    if !pattern.contains(['*', '?', '[']) {
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

/// Collects, redacts and seals a bundle into `out_dir` (temp file → fsync →
/// rename), and writes `<bundle>.zip.sha256` beside it. Signing is separate
/// ([`sign`]) because the trusted comment pins the custody head.
///
/// # Errors
/// [`EvidenceError::Refused`] when the post-seal rescan finds anything, a
/// redaction broke a JSON/YAML file, or nothing at all could be collected;
/// I/O errors.
pub fn collect(
    req: &Request,
    rules: &RuleSet,
    limits: &Limits,
    out_dir: &Path,
    progress: &mut dyn Progress,
) -> Result<Sealed, EvidenceError> {
    let mut files: Vec<(FileEntry, PathBuf, Vec<Hit>)> = Vec::new();
    let mut excluded = req.missing.clone();
    let mut total: u64 = 0;
    let archive = ArchiveLimits::default();
    // RFC 3227: the most volatile first.
    let mut ordered: Vec<&Source> = req
        .sources
        .iter()
        .filter(|s| matches!(s, Source::Command(..)))
        .collect();
    ordered.extend(req.sources.iter().filter(|s| matches!(s, Source::File(_))));
    let n = ordered.len();
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let tmp = out_dir.join(format!(
        ".collect-{}-{}",
        std::process::id(),
        req.now.as_millisecond()
    ));
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let cleanup = TempDir(tmp.clone());
    // Commands run one after the other, first (volatility); files are read
    // and redacted in parallel batches, then taken in order, so limits and
    // entry names do not depend on scheduling.
    let batch = rayon::current_num_threads().max(1) * 2;
    let mut done = 0usize;
    let mut pending: Vec<&Source> = Vec::new();
    let mut flush_batch = |pending: &mut Vec<&Source>,
                           files: &mut Vec<(FileEntry, PathBuf, Vec<Hit>)>,
                           excluded: &mut Vec<Excluded>,
                           total: &mut u64,
                           done: &mut usize|
     -> Result<(), EvidenceError> {
        use rayon::prelude::*;
        let results: Vec<Result<Processed, EvidenceError>> = pending
            .par_iter()
            .map(|src| process(src, rules, limits, &archive))
            .collect();
        for r in results {
            *done += 1;
            progress.step(*done, n, &r.original());
            let r = r?;
            match r {
                Processed::Excluded { original, reason } => excluded.push(Excluded {
                    source: original,
                    reason,
                }),
                Processed::Kept {
                    original,
                    kind,
                    out,
                    hits,
                    encoding,
                    source_size,
                    source_sha,
                    truncated,
                    command,
                } => {
                    if files.len() >= limits.max_files {
                        excluded.push(Excluded {
                            source: original,
                            reason: format!(
                                "over the {} files of a bundle (limits.max_files)",
                                limits.max_files
                            ),
                        });
                        continue;
                    }
                    if *total + out.len() as u64 > limits.max_bundle_bytes {
                        excluded.push(Excluded {
                            source: original,
                            reason: format!(
                                "over the bundle limit of {} bytes (limits.max_bundle_bytes)",
                                limits.max_bundle_bytes
                            ),
                        });
                        continue;
                    }
                    *total += out.len() as u64;
                    let mut counts = std::collections::BTreeMap::new();
                    for h in &hits {
                        *counts.entry(h.rule.clone()).or_insert(0) += 1;
                    }
                    let entry = format!("files/{:04}-{}", files.len() + 1, safe_name(&original));
                    let at = tmp.join(format!("{:04}", files.len() + 1));
                    std::fs::write(&at, &out).map_err(io(&at))?;
                    files.push((
                        FileEntry {
                            entry,
                            original,
                            kind,
                            size: out.len() as u64,
                            sha256: sha256_hex(&out),
                            source_size,
                            source_sha256: source_sha,
                            encoding,
                            redactions: counts,
                            truncated,
                            command,
                        },
                        at,
                        hits,
                    ));
                }
            }
        }
        pending.clear();
        Ok(())
    };
    for src in ordered {
        let is_cmd = matches!(src, Source::Command(..));
        pending.push(src);
        if is_cmd || pending.len() >= batch {
            flush_batch(
                &mut pending,
                &mut files,
                &mut excluded,
                &mut total,
                &mut done,
            )?;
        }
    }
    flush_batch(
        &mut pending,
        &mut files,
        &mut excluded,
        &mut total,
        &mut done,
    )?;
    progress.step(n, n, "sealing");
    if files.is_empty() {
        return Err(EvidenceError::Refused(format!(
            "nothing could be collected ({} item(s) excluded: {})",
            excluded.len(),
            excluded
                .iter()
                .map(|e| format!("{}: {}", e.source, e.reason))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    // Bundle ID: time plus a hash of what is in it (deterministic).
    let mut h = sha2::Sha256::new();
    h.update(req.incident.as_bytes());
    for (f, _, _) in &files {
        h.update(f.original.as_bytes());
        h.update(f.sha256.as_bytes());
    }
    let tag: String = h
        .finalize()
        .iter()
        .take(3)
        .map(|b| format!("{b:02x}"))
        .collect();
    let utc = req.now.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let base_id = format!("EVB-{}-{tag}", utc.strftime("%Y%m%d-%H%M%S"));
    let mut bundle_id = base_id.clone();
    let mut n = 2;
    while req.taken_ids.contains(&bundle_id) || out_dir.join(format!("{bundle_id}.zip")).exists() {
        bundle_id = format!("{base_id}-{n}");
        n += 1;
    }
    let redactions: usize = files.iter().map(|(_, _, h)| h.len()).sum();
    let manifest = json!({
        "bundle_id": bundle_id,
        "incident": req.incident,
        "runbook": req.runbook,
        "host": req.host,
        "collector": req.collector,
        "tool": {"name": "opsbook", "version": req.tool_version},
        "rules": {"version": rules.fingerprint(), "classes": rules.rules().iter().map(|(i, _)| *i).collect::<Vec<_>>()},
        "created_utc": opsbook_core::ledger::format_ts(req.now),
        "utc_offset_seconds": req.utc_offset_seconds,
        "clock_offset_ms": req.clock.offset_ms,
        "clock": req.clock,
        "order_of_volatility": "RFC 3227: command outputs first, then files",
        "files": files.iter().map(|(f, _, _)| f).collect::<Vec<_>>(),
        "excluded": excluded,
        "redactions": redactions,
    });
    let manifest_bytes = (serde_json::to_string_pretty(&manifest)
        .map_err(|e| EvidenceError::Invalid(e.to_string()))?
        + "\n")
        .into_bytes();
    let report = json!({
        "bundle_id": bundle_id,
        "rules_version": rules.fingerprint(),
        "files": files.iter().map(|(f, _, hits)| json!({"entry": f.entry, "original": f.original, "hits": hits})).collect::<Vec<_>>(),
        "note": "rule IDs, counts and locations only; redacted values are never recorded",
    });
    let report_bytes = (serde_json::to_string_pretty(&report)
        .map_err(|e| EvidenceError::Invalid(e.to_string()))?
        + "\n")
        .into_bytes();
    // Entries, sorted by name; the collected files stay on disk.
    let mut small: Vec<(String, Vec<u8>)> = vec![
        ("manifest.json".into(), manifest_bytes.clone()),
        ("redaction-report.json".into(), report_bytes),
    ];
    let mut hashes: Vec<(String, String)> = small
        .iter()
        .map(|(n, b)| (n.clone(), sha256_hex(b)))
        .chain(
            files
                .iter()
                .map(|(f, _, _)| (f.entry.clone(), f.sha256.clone())),
        )
        .collect();
    hashes.sort();
    let sums: String = hashes.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
    small.push(("SHA256SUMS".into(), sums.into_bytes()));
    // The independent scan of everything that will be released.
    final_scan(&small, rules, limits)?;
    final_scan_files(&files, rules, limits)?;
    let mut entries: Vec<(String, Body)> =
        small.into_iter().map(|(n, b)| (n, Body::Mem(b))).collect();
    entries.extend(
        files
            .iter()
            .map(|(f, p, _)| (f.entry.clone(), Body::File(p.clone()))),
    );
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let path = out_dir.join(format!("{bundle_id}.zip"));
    let part = out_dir.join(format!("{bundle_id}.zip.tmp"));
    write_zip_to(&entries, req.now, &part)?;
    let zip_sha = file_sha256(&part)?;
    std::fs::rename(&part, &path).map_err(io(&path))?;
    let size = std::fs::metadata(&path).map_err(io(&path))?.len();
    let sha256 = zip_sha;
    let side = out_dir.join(format!("{bundle_id}.zip.sha256"));
    opsbook_core::fsutil::write_atomic(&side, format!("{sha256}  {bundle_id}.zip\n").as_bytes())
        .map_err(io(&side))?;
    drop(cleanup);
    Ok(Sealed {
        bundle_id,
        path,
        sha256,
        size,
        signed: false,
        files: files.into_iter().map(|(f, _, _)| f).collect(),
        excluded,
        redactions,
        manifest_sha256: sha256_hex(&manifest_bytes),
    })
}

/// Fail closed: an independent scan of the final output (every entry,
/// manifest and report included) must find nothing, or nothing is released.
///
/// # Errors
/// [`EvidenceError::Refused`] naming the entry and the classes.
pub fn final_scan(
    entries: &[(String, Vec<u8>)],
    rules: &RuleSet,
    limits: &Limits,
) -> Result<(), EvidenceError> {
    let archive = ArchiveLimits::default();
    for (name, b) in entries {
        match rules.scan_file(
            b,
            &archive,
            Some(Instant::now() + Duration::from_secs(limits.scan_seconds.max(1))),
        ) {
            Ok(hits) if hits.is_empty() => {}
            Ok(hits) => {
                return Err(EvidenceError::Refused(format!(
                    "the post-seal scan found {} secret(s) in `{name}` ({}): nothing released",
                    hits.len(),
                    hits.iter()
                        .map(|h| h.rule.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            Err(reason) => {
                return Err(EvidenceError::Refused(format!(
                    "the post-seal scan could not scan `{name}`: {reason}"
                )));
            }
        }
    }
    Ok(())
}

/// Removes a temporary directory when dropped (also on errors).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An entry's content: in memory, or a file on disk.
enum Body {
    Mem(Vec<u8>),
    File(PathBuf),
}

/// What one source became.
#[allow(clippy::large_enum_variant)] // short-lived, one per source
enum Processed {
    Excluded {
        original: String,
        reason: String,
    },
    Kept {
        original: String,
        kind: &'static str,
        out: Vec<u8>,
        hits: Vec<Hit>,
        encoding: String,
        source_size: u64,
        source_sha: String,
        truncated: Option<Value>,
        command: Option<Value>,
    },
}

trait Original {
    fn original(&self) -> String;
}

impl Original for Result<Processed, EvidenceError> {
    fn original(&self) -> String {
        match self {
            Ok(Processed::Excluded { original, .. } | Processed::Kept { original, .. }) => {
                original.clone()
            }
            Err(_) => String::new(),
        }
    }
}

/// Reads (or runs) one source and redacts it.
fn process(
    src: &Source,
    rules: &RuleSet,
    limits: &Limits,
    archive: &ArchiveLimits,
) -> Result<Processed, EvidenceError> {
    // Names go into the manifest: they never carry a secret either.
    let (original, kind) = match src {
        Source::Command(name, _) => (rules.scrub(&format!("command:{name}")), "command"),
        Source::File(p) => (rules.scrub(&p.display().to_string()), "file"),
    };
    let excluded = |reason: String| {
        Ok(Processed::Excluded {
            original: original.clone(),
            reason,
        })
    };
    let (bytes, source_size, source_sha, truncated, command) = match src {
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
            let sha = sha256_hex(&out);
            let size = out.len() as u64;
            let cmd = json!({
                "argv": argv, "exit_code": r.exit_code, "timed_out": r.timed_out,
                "started_utc": opsbook_core::ledger::format_ts(started),
                "ended_utc": opsbook_core::ledger::format_ts(ended),
                "output_cut_bytes": r.stdout.1 + r.stderr.1,
            });
            (out, size, sha, None, Some(cmd))
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
            Ok(_) => match read_bounded(p, limits) {
                Ok((b, size, sha, t)) => (b, size, sha, t, None),
                Err(e) => return excluded(format!("cannot be read: {e}")),
            },
        },
    };
    let deadline = Instant::now() + Duration::from_secs(limits.scan_seconds.max(1));
    match rules.redact_file(&bytes, archive, Some(deadline)) {
        FileOutcome::Excluded { reason } => excluded(reason),
        FileOutcome::Kept {
            bytes: out,
            encoding,
            hits,
        } => {
            // Redaction must not damage structured evidence.
            let lower = original.to_ascii_lowercase();
            if !hits.is_empty() {
                if lower.ends_with(".json")
                    && serde_json::from_slice::<Value>(&bytes).is_ok()
                    && serde_json::from_slice::<Value>(&out).is_err()
                {
                    return Err(EvidenceError::Refused(format!(
                        "redaction broke the JSON of `{original}` (redaction_error: abort_bundle)"
                    )));
                }
                if (lower.ends_with(".yaml") || lower.ends_with(".yml"))
                    && let (Ok(a), Ok(b)) = (std::str::from_utf8(&bytes), std::str::from_utf8(&out))
                    && opsbook_core::yaml::parse(a).is_ok()
                    && opsbook_core::yaml::parse(b).is_err()
                {
                    return Err(EvidenceError::Refused(format!(
                        "redaction broke the YAML of `{original}` (redaction_error: abort_bundle)"
                    )));
                }
            }
            Ok(Processed::Kept {
                original: original.clone(),
                kind,
                out,
                hits,
                encoding: serde_json::to_value(encoding)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                source_size,
                source_sha,
                truncated,
                command,
            })
        }
    }
}

/// Hex SHA-256 of a file, streamed.
///
/// # Errors
/// I/O errors.
pub fn file_sha256(p: &Path) -> Result<String, EvidenceError> {
    let mut f = std::fs::File::open(p).map_err(io(p))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io(p))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// [`final_scan`] over the collected files on disk, in parallel.
fn final_scan_files(
    files: &[(FileEntry, PathBuf, Vec<Hit>)],
    rules: &RuleSet,
    limits: &Limits,
) -> Result<(), EvidenceError> {
    use rayon::prelude::*;
    files
        .par_iter()
        .map(|(f, p, _)| {
            let b = std::fs::read(p).map_err(io(p))?;
            final_scan(&[(f.entry.clone(), b)], rules, limits)
        })
        .collect::<Result<Vec<()>, EvidenceError>>()
        .map(|_| ())
}

/// Writes the ZIP to `path` (streaming the files from disk) and fsyncs it.
fn write_zip_to(
    entries: &[(String, Body)],
    at: jiff::Timestamp,
    path: &Path,
) -> Result<(), EvidenceError> {
    let f = std::fs::File::create(path).map_err(io(path))?;
    let mut w = zip::ZipWriter::new(std::io::BufWriter::new(f));
    let zerr =
        |e: &dyn std::fmt::Display| EvidenceError::Invalid(format!("cannot write the ZIP: {e}"));
    for (name, body) in entries {
        let len = match body {
            Body::Mem(b) => b.len() as u64,
            Body::File(p) => std::fs::metadata(p).map_err(io(p))?.len(),
        };
        w.start_file(name.as_str(), zip_options(at, len))
            .map_err(|e| zerr(&e))?;
        match body {
            Body::Mem(b) => w.write_all(b).map_err(|e| zerr(&e))?,
            Body::File(p) => {
                let mut src = std::fs::File::open(p).map_err(io(p))?;
                std::io::copy(&mut src, &mut w).map_err(|e| zerr(&e))?;
            }
        }
    }
    let buf = w.finish().map_err(|e| zerr(&e))?;
    let f = buf.into_inner().map_err(|e| zerr(&e.error().to_string()))?;
    f.sync_all().map_err(io(path))?;
    Ok(())
}

fn zip_options(at: jiff::Timestamp, len: u64) -> zip::write::SimpleFileOptions {
    let z = at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let dt = zip::DateTime::from_date_and_time(
        u16::try_from(z.year()).unwrap_or(1980).max(1980),
        u8::try_from(z.month()).unwrap_or(1),
        u8::try_from(z.day()).unwrap_or(1),
        u8::try_from(z.hour()).unwrap_or(0),
        u8::try_from(z.minute()).unwrap_or(0),
        u8::try_from(z.second()).unwrap_or(0),
    )
    .unwrap_or_default();
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(dt)
        .unix_permissions(0o644)
        .large_file(len >= u64::from(u32::MAX))
}

#[cfg(test)]
fn write_zip(entries: &[(String, Vec<u8>)], at: jiff::Timestamp) -> Result<Vec<u8>, EvidenceError> {
    let z = at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let dt = zip::DateTime::from_date_and_time(
        u16::try_from(z.year()).unwrap_or(1980).max(1980),
        u8::try_from(z.month()).unwrap_or(1),
        u8::try_from(z.day()).unwrap_or(1),
        u8::try_from(z.hour()).unwrap_or(0),
        u8::try_from(z.minute()).unwrap_or(0),
        u8::try_from(z.second()).unwrap_or(0),
    )
    .unwrap_or_default();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(dt)
            .unix_permissions(0o644)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        w.start_file(name.as_str(), opts)
            .map_err(|e| EvidenceError::Invalid(format!("cannot write the ZIP: {e}")))?;
        w.write_all(bytes)
            .map_err(|e| EvidenceError::Invalid(format!("cannot write the ZIP: {e}")))?;
    }
    Ok(w.finish()
        .map_err(|e| EvidenceError::Invalid(format!("cannot write the ZIP: {e}")))?
        .into_inner())
}

/// Where the signing key comes from: `env:VAR` (the variable holds the key
/// file's path) or `file:PATH`.
///
/// # Errors
/// An unknown form.
pub fn key_path(key_ref: &str) -> Result<Option<PathBuf>, EvidenceError> {
    if let Some(var) = key_ref.strip_prefix("env:") {
        return Ok(std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from));
    }
    if let Some(p) = key_ref.strip_prefix("file:") {
        return Ok(Some(PathBuf::from(p)));
    }
    Err(EvidenceError::Invalid(format!(
        "signature key_ref `{key_ref}`: expected env:VAR (holding the key file's path) or file:PATH"
    )))
}

/// Creates an unencrypted minisign key pair: `<dir>/opsbook-evidence.key`
/// (secret; keep it off the SSOT) and `<dir>/opsbook-evidence.pub`.
///
/// # Errors
/// Existing files (never overwritten), I/O errors.
pub fn keygen(dir: &Path) -> Result<(PathBuf, PathBuf), EvidenceError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let sk = dir.join("opsbook-evidence.key");
    let pk = dir.join("opsbook-evidence.pub");
    for p in [&sk, &pk] {
        if p.exists() {
            return Err(EvidenceError::Invalid(format!(
                "`{}` exists; keys are never overwritten",
                p.display()
            )));
        }
    }
    let kp = minisign::KeyPair::generate_unencrypted_keypair()
        .map_err(|e| EvidenceError::Invalid(format!("key generation failed: {e}")))?;
    let sk_box = kp
        .sk
        .to_box(Some("opsbook evidence signing key"))
        .map_err(|e| EvidenceError::Invalid(e.to_string()))?;
    let pk_box = kp
        .pk
        .to_box()
        .map_err(|e| EvidenceError::Invalid(e.to_string()))?;
    write_new_private(&sk, sk_box.to_string().as_bytes()).map_err(io(&sk))?;
    opsbook_core::fsutil::write_atomic(&pk, pk_box.to_string().as_bytes()).map_err(io(&pk))?;
    Ok((sk, pk))
}

/// Writes a secret file that did not exist: a temporary file created for
/// its owner alone (mode 0600 on Unix from the first byte; on Windows the
/// user profile's ACL does this: keep the key under `%APPDATA%`), synced,
/// then published by a hard link, which fails rather than replace a file
/// that appeared meanwhile.
///
/// # Errors
/// `AlreadyExists` when `path` exists; I/O errors.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    let written = o.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let published = written.and_then(|()| match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists && !path.exists() => {
            // A file system without hard links: a rename, after the check.
            std::fs::rename(&tmp, path)
        }
        r => r,
    });
    let _ = std::fs::remove_file(&tmp);
    published
}

/// Signs the ZIP with the key at `key`: writes `<zip>.minisig` whose trusted
/// comment is `bundle_id:<id> custody_head:<hash> sha256:<zip hash>`.
///
/// # Errors
/// Unreadable or encrypted key, I/O errors.
pub fn sign(
    zip: &Path,
    bundle_id: &str,
    custody_head: &str,
    key: &Path,
) -> Result<PathBuf, EvidenceError> {
    let text = std::fs::read_to_string(key).map_err(io(key))?;
    let sk = minisign::SecretKeyBox::from_string(&text)
        .and_then(minisign::SecretKeyBox::into_unencrypted_secret_key)
        .map_err(|e| {
            EvidenceError::Invalid(format!(
                "`{}` is not an unencrypted minisign secret key: {e}",
                key.display()
            ))
        })?;
    // Streamed: a bundle of hundreds of MB is never held in memory.
    let trusted = format!(
        "bundle_id:{bundle_id} custody_head:{custody_head} sha256:{}",
        file_sha256(zip)?
    );
    let data = std::io::BufReader::new(std::fs::File::open(zip).map_err(io(zip))?);
    let sig = minisign::sign(
        None,
        &sk,
        data,
        Some(&trusted),
        Some("opsbook evidence bundle"),
    )
    .map_err(|e| EvidenceError::Invalid(format!("signing failed: {e}")))?;
    let mut out = zip.as_os_str().to_os_string();
    out.push(".minisig");
    let out = PathBuf::from(out);
    opsbook_core::fsutil::write_atomic(&out, sig.to_string().as_bytes()).map_err(io(&out))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_tail_never_starts_with_what_its_label_was_cut_from() {
        let cases: &[(&[u8], &str)] = &[
            // A partial line, then a value below a cut-off label.
            (
                b"rd:\nAKfakeValue0123\n2026-11-29 next\n",
                "2026-11-29 next\n",
            ),
            // The rest of a YAML block scalar and a blank line.
            (
                b"x: |\n    AKfakeBlock0123\n\n  more: v\ntop: 1\n",
                "top: 1\n",
            ),
            // Inside a private key: past its END line.
            (
                b"MIIEv\nQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nafter\n",
                "after\n",
            ),
            // One long line: the first three words go.
            (b"AKfakeTailCut0123 and the rest of it", "rest of it"),
            (b"ord: AKfakeTailCut0123 rest of it", "of it"),
            // An ordinary log: only the partial first line.
            (
                b"partial\n2026-11-29 a\n2026-11-29 b\n",
                "2026-11-29 a\n2026-11-29 b\n",
            ),
        ];
        for (tail, kept) in cases {
            let skip = tail_skip(tail);
            assert_eq!(
                String::from_utf8_lossy(&tail[skip..]),
                *kept,
                "{:?}",
                String::from_utf8_lossy(tail)
            );
        }
    }

    #[test]
    fn the_final_scan_refuses_a_bundle_with_anything_left() {
        let rs = RuleSet::builtin(crate::redact::Personal::default()).unwrap();
        let ok = vec![("files/0001-a.log".to_string(), b"quiet\n".to_vec())];
        assert!(final_scan(&ok, &rs, &Limits::default()).is_ok());
        let bad = vec![(
            "manifest.json".to_string(),
            b"{\"x\": \"password=Hunter2Secret\"}".to_vec(),
        )];
        let e = final_scan(&bad, &rs, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("post-seal scan found 1 secret(s) in `manifest.json` (labelled_secret)"),
            "{e}"
        );
    }

    #[test]
    fn the_zip_is_deterministic() {
        let t: jiff::Timestamp = "2026-11-29T02:30:00Z".parse().unwrap();
        let e = vec![("a".to_string(), b"x".to_vec())];
        assert_eq!(write_zip(&e, t).unwrap(), write_zip(&e, t).unwrap());
    }
}
