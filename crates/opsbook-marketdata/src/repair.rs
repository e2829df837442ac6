//! Non-destructive repair (D-DATA-REPAIR), in the order the data-integrity
//! spec gives: **mark** (a sidecar JSONL manifest next to each data file,
//! carrying the file's SHA-256), **quarantine** (move, hard-link or copy the
//! affected files aside with a manifest; never deletes, never overwrites,
//! verified by hash) and **backfill plan** (the exact REST and archive
//! requests, with data.binance.vision `.CHECKSUM` files and republished
//! archives flagged; in [`backfill`], re-exported here). Nothing here edits
//! or deletes an original.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod backfill;

pub use backfill::{
    ArchiveCheck, BackfillPlan, Market, Republished, Request, backfill_plan, check_archive,
    read_republished,
};

use crate::error::Error;
use crate::report::{Finding, Kind, Report, Unit};

/// Streams a file through SHA-256; lower-case hex.
///
/// # Errors
/// [`Error::Io`].
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// One line of a marks sidecar (`<data file>.marks.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// The finding kind (`gap`, `duplicate`, `no_trade`, …).
    pub kind: Kind,
    /// The data file's name (the sidecar sits beside it).
    pub file: String,
    /// SHA-256 of the data file when marked: a mark is void for other bytes.
    pub sha256: String,
    /// 1-based line or row of the finding.
    pub line: Option<u64>,
    /// Symbol.
    pub symbol: Option<String>,
    /// Stream.
    pub stream: Option<String>,
    /// First affected ID or time.
    pub from: Option<i64>,
    /// Last affected ID or time (inclusive).
    pub to: Option<i64>,
    /// How many.
    pub count: u64,
    /// What `from`/`to` count.
    pub unit: Option<Unit>,
    /// The scan's message.
    pub message: String,
    /// When marked (RFC 3339 UTC).
    pub marked_at: String,
    /// Who or what marked it (incident ID, operator), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// What makes two marks the same: the finding and the file's bytes.
type MarkKey = (
    Kind,
    Option<u64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    String,
);

impl Mark {
    fn key(&self) -> MarkKey {
        (
            self.kind,
            self.line,
            self.symbol.clone(),
            self.stream.clone(),
            self.from,
            self.to,
            self.sha256.clone(),
        )
    }
}

/// What `mark` wrote for one data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkOutcome {
    /// The sidecar written.
    pub sidecar: PathBuf,
    /// The data file's SHA-256.
    pub sha256: String,
    /// Marks added now.
    pub added: usize,
    /// Marks that were already there (same finding, same file bytes).
    pub kept: usize,
}

/// The sidecar path for a data file: `<file>.marks.jsonl`.
pub fn sidecar_for(data: &Path) -> PathBuf {
    let mut s = data.as_os_str().to_owned();
    s.push(".marks.jsonl");
    PathBuf::from(s)
}

/// Resolves a finding's file against `base` (the directory the scan ran in).
fn resolve(base: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Writes the report's findings into a marks sidecar beside each data file
/// (append-only in effect: existing lines are kept byte for byte, new ones
/// appended, the file replaced atomically; a finding already marked for the
/// same file bytes is not added twice).
///
/// # Errors
/// I/O errors; a sidecar line that is not a mark ([`Error::Record`]).
pub fn mark(
    report: &Report,
    base: &Path,
    reference: Option<&str>,
) -> Result<Vec<MarkOutcome>, Error> {
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if !f.file.is_empty() {
            by_file.entry(f.file.as_str()).or_default().push(f);
        }
    }
    let mut out = Vec::new();
    for (file, findings) in by_file {
        let data = resolve(base, file);
        let sha = sha256_file(&data)?;
        let side = sidecar_for(&data);
        let existing = match std::fs::read(&side) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(&side, e)),
        };
        let mut seen = BTreeSet::new();
        for (i, l) in existing.split(|b| *b == b'\n').enumerate() {
            if l.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let m: Mark = serde_json::from_slice(l).map_err(|e| {
                Error::record(
                    &side,
                    i as u64 + 1,
                    format!("expected a mark (JSON object): {e}"),
                )
            })?;
            seen.insert(m.key());
        }
        let kept = seen.len();
        let mut bytes = existing.clone();
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        let name = data
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let at = now();
        let mut added = 0;
        for f in findings {
            let m = Mark {
                kind: f.kind,
                file: name.clone(),
                sha256: sha.clone(),
                line: f.line,
                symbol: f.symbol.clone(),
                stream: f.stream.clone(),
                from: f.from,
                to: f.to,
                count: f.count,
                unit: f.unit,
                message: f.message.clone(),
                marked_at: at.clone(),
                reference: reference.map(str::to_string),
            };
            if seen.insert(m.key()) {
                bytes.extend_from_slice(serde_json::to_string(&m).unwrap_or_default().as_bytes());
                bytes.push(b'\n');
                added += 1;
            }
        }
        if added > 0 {
            opsbook_core::fsutil::write_atomic(&side, &bytes).map_err(|e| Error::io(&side, e))?;
        }
        out.push(MarkOutcome {
            sidecar: side,
            sha256: sha,
            added,
            kept,
        });
    }
    Ok(out)
}

/// How quarantine sets a file aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineMode {
    /// Rename into quarantine (copy, verify, then remove the source across
    /// file systems): consumers no longer see the file.
    Move,
    /// Hard link (a copy where links are impossible): the original stays.
    Link,
    /// Copy: the original stays.
    Copy,
}

/// One line of `<dest>/quarantine.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// Where the file was.
    pub original: String,
    /// Where it is now.
    pub quarantined: String,
    /// SHA-256 (the same at both places, verified).
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// How it was set aside.
    pub mode: QuarantineMode,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Incident or operator reference, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Findings in the file, per kind.
    pub findings: BTreeMap<String, u64>,
    /// The affected line (row) ranges, `[first, last]`, for consumers that
    /// keep using a linked or copied file.
    pub ranges: Vec<[u64; 2]>,
}

/// Sets aside every file with a defect finding (or only `only`, if given)
/// into `dest`, and appends one manifest line per file to
/// `dest/quarantine.jsonl`. All targets are checked first: if any exists,
/// nothing is done ([`Error::Exists`]). Each copy is verified by SHA-256
/// before a move removes its source.
///
/// # Errors
/// [`Error::Exists`], I/O errors, a hash mismatch after copying.
pub fn quarantine(
    report: &Report,
    base: &Path,
    dest: &Path,
    mode: QuarantineMode,
    only: Option<&[String]>,
    reference: Option<&str>,
) -> Result<Vec<QuarantineEntry>, Error> {
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if !f.file.is_empty()
            && f.kind.is_defect()
            && only.is_none_or(|o| o.iter().any(|x| x == &f.file))
        {
            by_file.entry(f.file.as_str()).or_default().push(f);
        }
    }
    let mut plan = Vec::new();
    for (file, fs) in &by_file {
        let src = resolve(base, file);
        let name = src
            .file_name()
            .ok_or_else(|| Error::Usage(format!("{file}: not a file")))?;
        let to = dest.join(name);
        if to.exists() {
            return Err(Error::Exists { path: to });
        }
        if !src.is_file() {
            return Err(Error::io(
                &src,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        plan.push((src, to, fs));
    }
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    let mut entries = Vec::new();
    for (src, to, fs) in plan {
        let sha = sha256_file(&src)?;
        let bytes = std::fs::metadata(&src)
            .map_err(|e| Error::io(&src, e))?
            .len();
        set_aside(&src, &to, mode)?;
        let got = sha256_file(&to)?;
        if got != sha {
            return Err(Error::Usage(format!(
                "{}: SHA-256 after copying is {got}, expected {sha}; the original is untouched",
                to.display()
            )));
        }
        if mode == QuarantineMode::Move && src.exists() {
            std::fs::remove_file(&src).map_err(|e| Error::io(&src, e))?;
        }
        let mut findings = BTreeMap::new();
        let mut ranges = Vec::new();
        for f in fs.iter() {
            *findings.entry(f.kind.as_str().to_string()).or_default() += 1;
            if let Some(l) = f.line {
                let last = match f.kind {
                    Kind::Duplicate
                    | Kind::Conflict
                    | Kind::OutOfOrder
                    | Kind::PossibleDuplicate => l + f.count.saturating_sub(1),
                    _ => l,
                };
                ranges.push([l, last]);
            }
        }
        ranges.sort_unstable();
        entries.push(QuarantineEntry {
            original: src.display().to_string(),
            quarantined: to.display().to_string(),
            sha256: sha,
            bytes,
            mode,
            at: now(),
            reference: reference.map(str::to_string),
            findings,
            ranges,
        });
    }
    if !entries.is_empty() {
        let manifest = dest.join("quarantine.jsonl");
        let mut bytes = match std::fs::read(&manifest) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(&manifest, e)),
        };
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        for e in &entries {
            bytes.extend_from_slice(serde_json::to_string(e).unwrap_or_default().as_bytes());
            bytes.push(b'\n');
        }
        opsbook_core::fsutil::write_atomic(&manifest, &bytes)
            .map_err(|e| Error::io(&manifest, e))?;
    }
    Ok(entries)
}

/// Move (rename, else copy), link (else copy) or copy `src` to the new path
/// `to` through a temporary name, so `to` appears whole or not at all.
fn set_aside(src: &Path, to: &Path, mode: QuarantineMode) -> Result<(), Error> {
    if mode == QuarantineMode::Move && std::fs::rename(src, to).is_ok() {
        return Ok(());
    }
    if mode == QuarantineMode::Link && std::fs::hard_link(src, to).is_ok() {
        return Ok(());
    }
    let tmp = to.with_file_name(format!(
        ".{}.{}.tmp",
        to.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let r = (|| {
        std::fs::copy(src, &tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        if to.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "appeared while copying",
            ));
        }
        std::fs::rename(&tmp, to)
    })();
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(to, e));
    }
    Ok(())
}
