//! Checking evidence without collecting it: [`verify`] a bundle (hash,
//! signature, files, custody, a fresh redaction scan) and [`scan`] files
//! for secrets with the same rules as collect.

use std::path::{Path, PathBuf};

use opsbook_core::layout::LedgerFile;
use opsbook_evidence::bundle::{self, Limits};
use opsbook_evidence::redact::{RuleSet, SecretValues};
use serde::Serialize;

use super::{policy, rules};
use crate::{Context, OpsError};

/// What [`verify`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// Every check passed.
    pub ok: bool,
    /// The checks.
    pub report: opsbook_evidence::verify::Report,
    /// The same checks without opsbook (PowerShell 5.1).
    pub powershell: Vec<String>,
}

/// Verifies a bundle: archive hash, signature, every file, custody (when
/// inside an SSOT), a fresh redaction scan.
///
/// # Errors
/// The bundle cannot be read; a broken evidence policy.
pub fn verify(
    ctx: Option<&Context>,
    bundle_path: &Path,
    pubkey: Option<&Path>,
) -> Result<Verified, OpsError> {
    let pol = match ctx {
        Some(c) => policy(c)?,
        None => None,
    };
    let rs = rules(pol.as_ref())?;
    let custody_log = ctx
        .map(|c| c.layout.ledger(LedgerFile::Custody))
        .filter(|p| p.is_file());
    let r = opsbook_evidence::verify::verify(bundle_path, pubkey, custody_log.as_deref(), &rs)
        .map_err(|e| OpsError::Other(format!("cannot read `{}`: {e}", bundle_path.display())))?;
    let name = bundle_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Verified {
        ok: r.ok(),
        powershell: opsbook_evidence::verify::powershell_one_liners(&name),
        report: r,
    })
}

/// One file's scan.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FileScan {
    /// Scanned: what fired (never the values).
    Scanned {
        /// The file (scrubbed).
        file: String,
        /// Rule, line, column, bytes, view.
        hits: Vec<opsbook_evidence::redact::Hit>,
    },
    /// Not scanned, and why: not proven clean.
    Unscannable {
        /// The file (scrubbed).
        file: String,
        /// Why.
        unscannable: String,
    },
}

/// What [`scan`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    /// Files scanned.
    pub files: usize,
    /// Bytes.
    pub bytes: u64,
    /// Secrets found.
    pub findings: usize,
    /// Files that could not be scanned.
    pub unscannable: usize,
    /// Per file.
    pub results: Vec<FileScan>,
}

impl Scanned {
    /// Proven clean: nothing found, and every file scanned.
    #[must_use]
    pub fn clean(&self) -> bool {
        self.findings == 0 && self.unscannable == 0
    }
}

/// Scans files for secrets without collecting them (the same rules and
/// views as collect; the policy's when inside an SSOT). Files over the
/// size cap are streamed, with whole-file line numbers. As in a bundle, a
/// value found in one file is a finding in another file that holds it (a
/// second pass over the files in which nothing was found, only when some
/// value was; D-EVD-BUNDLE).
///
/// # Errors
/// A path or glob that matches nothing (never "clean"); a broken policy.
pub fn scan(ctx: Option<&Context>, paths: &[String]) -> Result<Scanned, OpsError> {
    use rayon::prelude::*;
    let pol = match ctx {
        Some(c) => policy(c)?,
        None => None,
    };
    let rs = rules(pol.as_ref())?;
    let limits = Limits::from_policy(pol.as_ref());
    let mut files = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            files.extend(
                walkdir::WalkDir::new(path)
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_file())
                    .map(walkdir::DirEntry::into_path),
            );
        } else {
            let found = bundle::expand(p)?;
            // A typo must not read as "clean".
            if found.is_empty()
                || (found.len() == 1 && std::fs::symlink_metadata(&found[0]).is_err())
            {
                return Err(OpsError::invalid(format!(
                    "`{p}` matches no file: nothing was scanned"
                )));
            }
            files.extend(found);
        }
    }
    files.sort();
    let archive = opsbook_evidence::redact::ArchiveLimits::default();
    // One file, with `rs`: its result, its size and the values found in it.
    let scan_one = |rs: &RuleSet, f: &PathBuf| -> (FileScan, u64, SecretValues) {
        // A file name can carry a secret too.
        let name = rs.scrub(&f.display().to_string());
        let n = std::fs::metadata(f).map_or(0, |m| m.len());
        let r = if n > limits.max_file_bytes {
            // Streamed in pieces cut at line ends: bounded memory, line
            // numbers of the whole file.
            std::fs::File::open(f)
                .map_err(|e| format!("cannot be read: {e}"))
                .and_then(|file| rs.scan_stream(std::io::BufReader::new(file), 8 << 20, None))
                .map(|h| (h, SecretValues::default()))
        } else {
            match read_reusing(f) {
                Ok(bytes) => {
                    let r = rs.scan_file_values(&bytes, &archive, None);
                    give_back(bytes);
                    r
                }
                Err(e) => {
                    let unscannable = format!("cannot be read: {e}");
                    let scan = FileScan::Unscannable {
                        file: name,
                        unscannable,
                    };
                    return (scan, 0, SecretValues::default());
                }
            }
        };
        match r {
            Ok((hits, values)) => {
                let scan = FileScan::Scanned {
                    file: name,
                    // An archive member's name can carry a secret too.
                    hits: hits
                        .into_iter()
                        .map(|mut h| {
                            h.member = h.member.map(|m| rs.scrub(&m));
                            h
                        })
                        .collect(),
                };
                (scan, n, values)
            }
            Err(e) => {
                let scan = FileScan::Unscannable {
                    file: name,
                    unscannable: e,
                };
                (scan, n, SecretValues::default())
            }
        }
    };
    let first: Vec<(FileScan, u64, SecretValues)> =
        files.par_iter().map(|f| scan_one(&rs, f)).collect();
    // One verdict with `evidence collect`: a value found in one file is a
    // finding wherever another file holds it (collect redacts it there). A
    // file in which nothing was found is scanned again with the values of
    // all the others; one with findings already says so.
    let mut values = SecretValues::default();
    for r in &first {
        values.extend(&r.2);
    }
    let results: Vec<(FileScan, u64)> = if values.is_empty() {
        first.into_iter().map(|r| (r.0, r.1)).collect()
    } else {
        let all = rs.with_values(&values);
        files
            .par_iter()
            .zip(first)
            .map(|(f, (scan, n, _))| match scan {
                FileScan::Scanned { hits, .. } if hits.is_empty() => {
                    let (again, n, _) = scan_one(&all, f);
                    (again, n)
                }
                FileScan::Scanned { file, hits } => (
                    FileScan::Scanned {
                        file: all.scrub(&file),
                        hits,
                    },
                    n,
                ),
                FileScan::Unscannable { file, unscannable } => (
                    FileScan::Unscannable {
                        file: all.scrub(&file),
                        unscannable: all.scrub(&unscannable),
                    },
                    n,
                ),
            })
            .collect()
    };
    let findings = results
        .iter()
        .map(|r| match &r.0 {
            FileScan::Scanned { hits, .. } => hits.len(),
            FileScan::Unscannable { .. } => 0,
        })
        .sum();
    let unscannable = results
        .iter()
        .filter(|r| matches!(r.0, FileScan::Unscannable { .. }))
        .count();
    let bytes = results.iter().map(|r| r.1).sum();
    Ok(Scanned {
        files: results.len(),
        bytes,
        findings,
        unscannable,
        results: results.into_iter().map(|r| r.0).collect(),
    })
}

thread_local! {
    /// A scanning thread's file buffer, kept between files: reading a file
    /// into pages already mapped saves a page fault every 4 KiB.
    static BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The bytes of `path`, read into this thread's kept buffer (taken, so a
/// nested scan on the same thread reads into a new one).
fn read_reusing(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut buf = BUFFER.take();
    buf.clear();
    std::fs::File::open(path)?.read_to_end(&mut buf)?;
    Ok(buf)
}

/// Keeps `buf` for this thread's next file.
fn give_back(buf: Vec<u8>) {
    BUFFER.set(buf);
}
