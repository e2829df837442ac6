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

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use sha2::Digest;

pub use crate::error::EvidenceError;
use crate::error::io;
pub use crate::hash::{file_sha256, sha256_hex};
use crate::redact::{ArchiveLimits, FileOutcome, RuleSet, SecretValues};
pub use crate::sign::{key_path, keygen, sign};
use crate::sources::{Kept, Processed, process};
pub use crate::sources::{Limits, Source, SourceKey, expand};

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
    /// The key of the keyed source hash ([`SourceKey::from_policy`]):
    /// without it a redacted file records no source hash at all.
    pub source_key: Option<SourceKey>,
    /// The SSOT the bundle belongs to (`name`, `root`, `id`), written to
    /// the manifest: a flush delivers only its own SSOT's bundles.
    pub ssot: Option<Value>,
    /// What was asked for that only a person can collect (described in
    /// prose): listed under `not_collected`, with the reason.
    pub by_hand: Vec<Excluded>,
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
    /// SHA-256 of the whole source (before cutting and redaction); `null`
    /// when the file had redactions (see `source_hmac_sha256`).
    pub source_sha256: Option<String>,
    /// For a file that had redactions: HMAC-SHA256 of the whole source
    /// under the source-hash key ([`SourceKey`]), when one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_hmac_sha256: Option<String>,
    /// Encoding found and kept.
    pub encoding: String,
    /// Redactions by class.
    pub redactions: std::collections::BTreeMap<String, usize>,
    /// Head + tail cut, when the source exceeded `max_file_bytes`:
    /// `head_bytes`, `tail_bytes`, `cut_bytes`, `source_bytes` (the whole
    /// source) and `max_file_bytes` (the limit), all bytes.
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

/// A file cut to its head and tail because it exceeded the size limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Truncated {
    /// The original name (path or `command:NAME`).
    pub source: String,
    /// Bytes of the whole source.
    pub source_bytes: u64,
    /// Bytes of the source kept (head + tail).
    pub kept_bytes: u64,
    /// The limit it exceeded (`limits.max_file_bytes`), bytes.
    pub max_file_bytes: u64,
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
    /// What could not be collected, with the reason: everything excluded,
    /// every command that failed or timed out (its output is in the
    /// bundle), and what only a person can collect.
    pub not_collected: Vec<Excluded>,
    /// Files cut to head + tail, with the original size and the limit.
    pub truncated: Vec<Truncated>,
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

/// A source kept, its redacted bytes on disk until sealed.
struct Collected {
    kept: Kept,
    /// Where the redacted bytes are.
    path: PathBuf,
    size: u64,
    sha256: String,
}

/// Collects, redacts and seals a bundle into `out_dir` (temp file → fsync →
/// rename), and writes `<bundle>.zip.sha256` beside it. Signing is separate
/// ([`sign`]) because the trusted comment pins the custody head.
///
/// One verdict: a value redacted in one file is redacted wherever else it
/// appears in the bundle ([`RuleSet::with_values`]); the post-seal scan of
/// every file uses those values too, and what it finds in a file is
/// redacted there (and scanned again) rather than refusing the bundle.
///
/// # Errors
/// [`EvidenceError::Refused`] when the post-seal rescan still finds
/// something (naming the entry, the class and the line), a redaction broke
/// a JSON/YAML file, or nothing at all could be collected; I/O errors.
pub fn collect(
    req: &Request,
    rules: &RuleSet,
    limits: &Limits,
    out_dir: &Path,
    progress: &mut dyn Progress,
) -> Result<Sealed, EvidenceError> {
    let mut files: Vec<Collected> = Vec::new();
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
                           files: &mut Vec<Collected>,
                           excluded: &mut Vec<Excluded>,
                           total: &mut u64,
                           done: &mut usize|
     -> Result<(), EvidenceError> {
        use rayon::prelude::*;
        let results: Vec<Result<Processed, EvidenceError>> = pending
            .par_iter()
            .map(|src| process(src, rules, limits, &archive, req.source_key.as_ref()))
            .collect();
        for r in results {
            *done += 1;
            progress.step(*done, n, r.as_ref().map_or("", Processed::original));
            match r? {
                Processed::Excluded { original, reason } => excluded.push(Excluded {
                    source: original,
                    reason,
                }),
                Processed::Kept(mut k) => {
                    if files.len() >= limits.max_files {
                        excluded.push(Excluded {
                            source: k.original,
                            reason: format!(
                                "over the {} files of a bundle (limits.max_files)",
                                limits.max_files
                            ),
                        });
                        continue;
                    }
                    if *total + k.out.len() as u64 > limits.max_bundle_bytes {
                        excluded.push(Excluded {
                            source: k.original,
                            reason: format!(
                                "over the bundle limit of {} bytes (limits.max_bundle_bytes)",
                                limits.max_bundle_bytes
                            ),
                        });
                        continue;
                    }
                    *total += k.out.len() as u64;
                    let path = tmp.join(format!("{:04}", files.len() + 1));
                    std::fs::write(&path, &k.out).map_err(io(&path))?;
                    let out = std::mem::take(&mut k.out);
                    files.push(Collected {
                        kept: *k,
                        path,
                        size: out.len() as u64,
                        sha256: sha256_hex(&out),
                    });
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
    // The values found anywhere, redacted everywhere; names and reasons too.
    let mut values = SecretValues::default();
    for f in &files {
        values.extend(&f.kept.values);
    }
    let all = rules.with_values(&values);
    settle(&mut files, &mut excluded, &all, limits, &archive)?;
    for f in &mut files {
        f.kept.original = all.scrub(&f.kept.original);
        // A command's line can hold a value found in a file.
        f.kept.command = f.kept.command.as_ref().map(|c| scrub_strings(c, &all));
    }
    for x in &mut excluded {
        x.source = all.scrub(&x.source);
        x.reason = all.scrub(&x.reason);
    }
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
    let entries: Vec<FileEntry> = files
        .iter()
        .enumerate()
        .map(|(i, f)| file_entry(i, f, limits))
        .collect();
    let truncated: Vec<Truncated> = files
        .iter()
        .filter_map(|f| {
            let c = f.kept.truncated?;
            Some(Truncated {
                source: f.kept.original.clone(),
                source_bytes: f.kept.source_size,
                kept_bytes: c.head_bytes + c.tail_bytes,
                max_file_bytes: limits.max_file_bytes,
            })
        })
        .collect();
    let not_collected = not_collected(&excluded, &entries, &req.by_hand, &all);
    // Bundle ID: time plus a hash of what is in it (deterministic).
    let mut h = sha2::Sha256::new();
    h.update(req.incident.as_bytes());
    for f in &entries {
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
    let redactions: usize = files.iter().map(|f| f.kept.hits.len()).sum();
    let manifest = json!({
        "bundle_id": bundle_id,
        "incident": req.incident,
        "runbook": req.runbook,
        "host": req.host,
        "collector": req.collector,
        "tool": {"name": "opsbook", "version": req.tool_version},
        "rules": {"version": rules.fingerprint(), "classes": rules.classes()},
        "created_utc": opsbook_core::ledger::format_ts(req.now),
        "utc_offset_seconds": req.utc_offset_seconds,
        "clock_offset_ms": req.clock.offset_ms,
        "clock": req.clock,
        "order_of_volatility": "RFC 3227: command outputs first, then files",
        "files": entries,
        "excluded": excluded,
        "not_collected": not_collected,
        "truncated": truncated,
        "redactions": redactions,
        // The SSOT's root path can name a user (C:\Users\NAME\…): its
        // strings are redacted like every other name in the manifest.
        "ssot": req.ssot.as_ref().map(|v| scrub_strings(v, &all)),
    });
    let manifest_bytes = (serde_json::to_string_pretty(&manifest)
        .map_err(|e| EvidenceError::Invalid(e.to_string()))?
        + "\n")
        .into_bytes();
    let report = json!({
        "bundle_id": bundle_id,
        "rules_version": rules.fingerprint(),
        "files": entries.iter().zip(&files).map(|(e, f)| json!({
            "entry": e.entry,
            "original": e.original,
            "hits": f.kept.hits.iter().map(|h| {
                let mut o = json!({"class": h.rule, "line": h.line});
                if let Some(m) = &h.member {
                    o["member"] = json!(all.scrub(m));
                }
                o
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "note": "class and line of each redaction only: never a value, its length or its column",
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
        .chain(entries.iter().map(|f| (f.entry.clone(), f.sha256.clone())))
        .collect();
    hashes.sort();
    let sums: String = hashes.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
    small.push(("SHA256SUMS".into(), sums.into_bytes()));
    // The independent scan of what is released besides the files (those
    // were scanned by `settle`).
    final_scan(&small, &all, limits)?;
    let mut zip_entries: Vec<(String, Body)> =
        small.into_iter().map(|(n, b)| (n, Body::Mem(b))).collect();
    zip_entries.extend(
        entries
            .iter()
            .zip(&files)
            .map(|(e, f)| (e.entry.clone(), Body::File(f.path.clone()))),
    );
    zip_entries.sort_by(|a, b| a.0.cmp(&b.0));
    let path = out_dir.join(format!("{bundle_id}.zip"));
    let part = out_dir.join(format!("{bundle_id}.zip.tmp"));
    write_zip_to(&zip_entries, req.now, &part)?;
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
        files: entries,
        excluded,
        not_collected,
        truncated,
        redactions,
        manifest_sha256: sha256_hex(&manifest_bytes),
    })
}

/// What could not be collected: every exclusion, every command that failed
/// or timed out, and what only a person can collect (scrubbed).
fn not_collected(
    excluded: &[Excluded],
    entries: &[FileEntry],
    by_hand: &[Excluded],
    all: &RuleSet,
) -> Vec<Excluded> {
    let mut out: Vec<Excluded> = excluded.to_vec();
    for e in entries {
        let Some(c) = &e.command else { continue };
        let reason = if c["timed_out"].as_bool().unwrap_or(false) {
            "stopped at its timeout".to_string()
        } else {
            match c["exit_code"].as_i64() {
                Some(0) => continue,
                Some(code) => format!("exited with {code}"),
                None => "ended without an exit code".to_string(),
            }
        };
        out.push(Excluded {
            source: e.original.clone(),
            reason: format!("{reason}; its output is in {}", e.entry),
        });
    }
    out.extend(by_hand.iter().map(|b| Excluded {
        source: all.scrub(&b.source),
        reason: all.scrub(&b.reason),
    }));
    out
}

/// The manifest entry of the `i`-th file kept. A file with redactions
/// records no plain source hash (with the redacted copy beside it, it would
/// let any reader confirm a guessed secret offline): the keyed hash when a
/// source key is configured, else none.
fn file_entry(i: usize, f: &Collected, limits: &Limits) -> FileEntry {
    let k = &f.kept;
    let redacted = !k.hits.is_empty();
    let mut counts = std::collections::BTreeMap::new();
    for h in &k.hits {
        *counts.entry(h.rule.clone()).or_insert(0) += 1;
    }
    FileEntry {
        entry: format!("files/{:04}-{}", i + 1, safe_name(&k.original)),
        original: k.original.clone(),
        kind: k.kind,
        size: f.size,
        sha256: f.sha256.clone(),
        source_size: k.source_size,
        source_sha256: (!redacted).then(|| k.source_sha256.clone()),
        source_hmac_sha256: k.source_hmac.clone().filter(|_| redacted),
        encoding: k.encoding.clone(),
        redactions: counts,
        truncated: k.truncated.map(|c| {
            json!({
                "head_bytes": c.head_bytes,
                "tail_bytes": c.tail_bytes,
                "cut_bytes": c.cut_bytes,
                "source_bytes": k.source_size,
                "max_file_bytes": limits.max_file_bytes,
            })
        }),
        command: k.command.clone(),
    }
}

/// The post-seal scan of every collected file (in parallel), with the
/// bundle's values: what it finds in a file is redacted there and the file
/// scanned again; a file it cannot scan is excluded with the reason.
///
/// # Errors
/// [`EvidenceError::Refused`] when a file still holds something after that
/// (naming the file, the class and the line); I/O errors.
fn settle(
    files: &mut Vec<Collected>,
    excluded: &mut Vec<Excluded>,
    all: &RuleSet,
    limits: &Limits,
    archive: &ArchiveLimits,
) -> Result<(), EvidenceError> {
    use rayon::prelude::*;
    let deadline = || Some(Instant::now() + Duration::from_secs(limits.scan_seconds.max(1)));
    let verdicts: Vec<Result<Option<String>, EvidenceError>> = files
        .par_iter_mut()
        .map(|f| {
            let b = std::fs::read(&f.path).map_err(io(&f.path))?;
            // A whole file in which the rules found nothing ships as it was
            // read: the scan of exactly these bytes is done, and only the
            // values found in other files are new to it.
            if f.kept.hits.is_empty()
                && f.kept.truncated.is_none()
                && !all.may_hold_known_values(&b)
            {
                return Ok(None);
            }
            match all.scan_file(&b, archive, deadline()) {
                Ok(h) if h.is_empty() => return Ok(None),
                Err(reason) => {
                    return Ok(Some(format!("the post-seal scan could not scan it: {reason}")));
                }
                Ok(_) => {}
            }
            let (out, hits) = match all.redact_file(&b, archive, deadline()) {
                FileOutcome::Excluded { reason } => return Ok(Some(reason)),
                FileOutcome::Kept { bytes, hits, .. } => (bytes, hits),
            };
            match all.scan_file(&out, archive, deadline()) {
                Ok(h) if h.is_empty() => {}
                Ok(h) => {
                    return Err(EvidenceError::Refused(format!(
                        "the post-seal scan found {} at line {}{} of `{}` after redaction: nothing released; collect the other files without it",
                        h[0].rule,
                        h[0].line,
                        h[0].member.as_ref().map(|m| format!(" of member `{}`", all.scrub(m))).unwrap_or_default(),
                        all.scrub(&f.kept.original)
                    )));
                }
                Err(reason) => {
                    return Ok(Some(format!("the post-seal scan could not scan it: {reason}")));
                }
            }
            std::fs::write(&f.path, &out).map_err(io(&f.path))?;
            f.size = out.len() as u64;
            f.sha256 = sha256_hex(&out);
            f.kept.hits.extend(hits);
            Ok(None)
        })
        .collect();
    let mut kept = Vec::with_capacity(files.len());
    for (f, v) in files.drain(..).zip(verdicts) {
        match v? {
            None => kept.push(f),
            Some(reason) => excluded.push(Excluded {
                source: f.kept.original,
                reason,
            }),
        }
    }
    *files = kept;
    Ok(())
}

/// Fail closed: an independent scan of the final output (every entry,
/// manifest and report included) must find nothing, or nothing is released.
///
/// # Errors
/// [`EvidenceError::Refused`] naming the entry, the class and the line.
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
                    "the post-seal scan found {} at line {} of `{name}`{}: nothing released",
                    hits[0].rule,
                    hits[0].line,
                    if hits.len() > 1 {
                        format!(" (and {} more)", hits.len() - 1)
                    } else {
                        String::new()
                    }
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

/// Writes the ZIP to `path` and fsyncs it. Entries are DEFLATE-compressed
/// in parallel, a few at a time (each into a one-entry ZIP in memory, read
/// from disk in 1 MiB pieces), then copied raw in order: the same bytes
/// whatever the scheduling, with memory bounded by one batch's compressed
/// size.
fn write_zip_to(
    entries: &[(String, Body)],
    at: jiff::Timestamp,
    path: &Path,
) -> Result<(), EvidenceError> {
    use rayon::prelude::*;
    let f = std::fs::File::create(path).map_err(io(path))?;
    let mut w = zip::ZipWriter::new(std::io::BufWriter::new(f));
    let zerr =
        |e: &dyn std::fmt::Display| EvidenceError::Invalid(format!("cannot write the ZIP: {e}"));
    let batch = rayon::current_num_threads().max(1) * 2;
    for chunk in entries.chunks(batch) {
        let parts: Vec<Result<Vec<u8>, EvidenceError>> = chunk
            .par_iter()
            .map(|(name, body)| compress_entry(name, body, at))
            .collect();
        for part in parts {
            let mut one =
                zip::ZipArchive::new(std::io::Cursor::new(part?)).map_err(|e| zerr(&e))?;
            let file = one.by_index_raw(0).map_err(|e| zerr(&e))?;
            w.raw_copy_file(file).map_err(|e| zerr(&e))?;
        }
    }
    let buf = w.finish().map_err(|e| zerr(&e))?;
    let f = buf.into_inner().map_err(|e| zerr(&e.error().to_string()))?;
    f.sync_all().map_err(io(path))?;
    Ok(())
}

/// One entry compressed into a one-entry ZIP in memory.
fn compress_entry(name: &str, body: &Body, at: jiff::Timestamp) -> Result<Vec<u8>, EvidenceError> {
    let zerr =
        |e: &dyn std::fmt::Display| EvidenceError::Invalid(format!("cannot write the ZIP: {e}"));
    let len = match body {
        Body::Mem(b) => b.len() as u64,
        Body::File(p) => std::fs::metadata(p).map_err(io(p))?.len(),
    };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, zip_options(at, len))
        .map_err(|e| zerr(&e))?;
    match body {
        Body::Mem(b) => w.write_all(b).map_err(|e| zerr(&e))?,
        Body::File(p) => {
            let mut src = std::fs::File::open(p).map_err(io(p))?;
            std::io::copy(&mut src, &mut w).map_err(|e| zerr(&e))?;
        }
    }
    Ok(w.finish().map_err(|e| zerr(&e))?.into_inner())
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
mod tests;

/// `v` with every string in it passed through the rule set's `scrub`.
fn scrub_strings(v: &Value, all: &crate::redact::RuleSet) -> Value {
    match v {
        Value::String(t) => Value::String(all.scrub(t)),
        Value::Array(a) => Value::Array(a.iter().map(|x| scrub_strings(x, all)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), scrub_strings(x, all)))
                .collect(),
        ),
        other => other.clone(),
    }
}
