//! `opsbook evidence verify`: everything a receiver checks, each failure
//! named (D-EVD-BUNDLE).
//!
//! Checks, in order: the archive itself is safe to open (no path traversal,
//! absolute paths, links, or decompression bombs); the ZIP's SHA-256 against
//! `<zip>.sha256`; the minisign signature (when a public key is given) and
//! its trusted comment; `SHA256SUMS` and the manifest against every entry;
//! the custody chain (when the SSOT's custody ledger is given); and a fresh
//! redaction scan of every file.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::bundle::sha256_hex;
use crate::redact::{ArchiveLimits, RuleSet};

/// One check and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Passed.
    pub ok: bool,
    /// Passed, but with something the reader should know (an unsigned
    /// bundle, a signature not checked for want of a key).
    pub warning: bool,
    /// Details (the reason when it failed).
    pub detail: String,
}

/// The result of [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The bundle.
    pub path: String,
    /// Bundle ID from the manifest.
    pub bundle_id: Option<String>,
    /// SHA-256 of the ZIP.
    pub sha256: String,
    /// Every check.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether every check passed.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Limits for opening a bundle.
const MAX_ENTRIES: usize = 10_000;
const MAX_TOTAL: u64 = 8 << 30;
const MAX_RATIO: u64 = 1_000;

fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.starts_with('/') || name.starts_with('\\') || name.as_bytes().get(1) == Some(&b':') {
        return Some("an absolute path");
    }
    if name.split(['/', '\\']).any(|c| c == "..") {
        return Some("a path that climbs out (..)");
    }
    if name.contains('\0') {
        return Some("a NUL byte in the name");
    }
    None
}

/// Verifies a bundle. `pubkey`: a minisign public key file; `custody`: the
/// SSOT's `ledger/custody.jsonl`.
///
/// # Errors
/// Only when the file cannot be read at all; every finding is a [`Check`].
pub fn verify(
    zip: &Path,
    pubkey: Option<&Path>,
    custody: Option<&Path>,
    rules: &RuleSet,
) -> std::io::Result<Report> {
    // Streamed: the archive is never held in memory whole.
    let sha = crate::bundle::file_sha256(zip).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut r = Report {
        path: zip.display().to_string(),
        bundle_id: None,
        sha256: sha.clone(),
        checks: Vec::new(),
    };
    let mut signature_warning = false;
    let mut add = |name: &str, ok: bool, detail: String| {
        r.checks.push(Check {
            name: name.to_string(),
            ok,
            warning: false,
            detail,
        });
    };
    // 1. The .sha256 beside it.
    let mut side = zip.as_os_str().to_os_string();
    side.push(".sha256");
    match std::fs::read_to_string(PathBuf::from(&side)) {
        Ok(s) => {
            let want = s
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            add(
                "archive hash",
                want == sha,
                if want == sha {
                    format!("SHA-256 {sha} matches {}", Path::new(&side).display())
                } else {
                    format!(
                        "SHA-256 is {sha}, {} says {want}: the archive changed",
                        Path::new(&side).display()
                    )
                },
            );
        }
        Err(_) => add(
            "archive hash",
            false,
            format!(
                "{} is missing: the archive hash cannot be checked",
                Path::new(&side).display()
            ),
        ),
    }
    // 2. Safe to open.
    let mut archive = match zip::ZipArchive::new(std::io::BufReader::new(std::fs::File::open(zip)?))
    {
        Ok(a) => a,
        Err(e) => {
            add("archive", false, format!("not a readable ZIP: {e}"));
            return Ok(r);
        }
    };
    if archive.len() > MAX_ENTRIES {
        add(
            "archive safety",
            false,
            format!("{} entries (limit {MAX_ENTRIES})", archive.len()),
        );
        return Ok(r);
    }
    // Each entry is hashed and rescanned as it is read, and dropped: only
    // manifest.json and SHA256SUMS are kept (bounded memory).
    let mut entries: Vec<(String, String, u64)> = Vec::new();
    let mut kept: Vec<(String, Vec<u8>)> = Vec::new();
    let mut hits: Vec<String> = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut f = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                add(
                    "archive safety",
                    false,
                    format!("entry {i} cannot be read: {e}"),
                );
                return Ok(r);
            }
        };
        let name = f
            .name()
            .map_or_else(|_| format!("entry {i}"), |n| n.to_string());
        if let Some(why) = unsafe_name(&name) {
            add(
                "archive safety",
                false,
                format!("entry `{name}` is {why}: refused"),
            );
            return Ok(r);
        }
        if f.is_symlink() {
            add(
                "archive safety",
                false,
                format!("entry `{name}` is a link: refused"),
            );
            return Ok(r);
        }
        if f.is_dir() {
            continue;
        }
        let declared = f.size();
        let compressed = f.compressed_size().max(1);
        if declared / compressed > MAX_RATIO && declared > 1 << 20 {
            add(
                "archive safety",
                false,
                format!(
                    "entry `{name}` expands {declared} bytes from {compressed}: a decompression bomb, refused"
                ),
            );
            return Ok(r);
        }
        let mut buf = Vec::new();
        let room = MAX_TOTAL.saturating_sub(total);
        if Read::by_ref(&mut f)
            .take(room + 1)
            .read_to_end(&mut buf)
            .is_err()
        {
            add(
                "archive safety",
                false,
                format!("entry `{name}` cannot be decompressed"),
            );
            return Ok(r);
        }
        total += buf.len() as u64;
        if total > MAX_TOTAL {
            add(
                "archive safety",
                false,
                format!("the archive expands beyond {MAX_TOTAL} bytes: refused"),
            );
            return Ok(r);
        }
        match rules.scan_file(&buf, &ArchiveLimits::default(), None) {
            Ok(h) if h.is_empty() => {}
            Ok(h) => hits.push(format!(
                "`{name}`: {}",
                h.iter()
                    .map(|x| format!("{} at {}:{}", x.rule, x.line, x.column))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Err(reason) => hits.push(format!("`{name}` cannot be scanned: {reason}")),
        }
        entries.push((name.clone(), sha256_hex(&buf), buf.len() as u64));
        if name == "manifest.json" || name == "SHA256SUMS" {
            kept.push((name, buf));
        }
    }
    add(
        "archive safety",
        true,
        format!("{} entries, no traversal, links or bombs", entries.len()),
    );
    let get = |n: &str| kept.iter().find(|(e, _)| e == n).map(|(_, b)| b.as_slice());
    let seen = |n: &str| {
        entries
            .iter()
            .find(|(e, _, _)| e == n)
            .map(|(_, h, l)| (h.as_str(), *l))
    };
    let manifest: Option<Value> = get("manifest.json").and_then(|b| serde_json::from_slice(b).ok());
    let bundle_id = manifest
        .as_ref()
        .and_then(|m| m.get("bundle_id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    // 3. Signature.
    let mut sig = zip.as_os_str().to_os_string();
    sig.push(".minisig");
    let sig = PathBuf::from(sig);
    match (pubkey, std::fs::read_to_string(&sig)) {
        (Some(pk), Ok(s)) => {
            let res = minisign::PublicKey::from_file(pk)
                .map_err(|e| format!("public key `{}`: {e}", pk.display()))
                .and_then(|pk| {
                    let sb = minisign::SignatureBox::from_string(&s)
                        .map_err(|e| format!("signature file: {e}"))?;
                    let trusted = sb.trusted_comment().unwrap_or_default();
                    let data =
                        std::fs::File::open(zip).map_err(|e| format!("{}: {e}", zip.display()))?;
                    minisign::verify(&pk, &sb, std::io::BufReader::new(data), true, false, false)
                        .map_err(|e| format!("signature does not verify: {e}"))?;
                    Ok(trusted)
                });
            match res {
                Ok(trusted) => {
                    let pins = bundle_id
                        .as_deref()
                        .is_some_and(|b| trusted.contains(&format!("bundle_id:{b}")));
                    add(
                        "signature",
                        pins,
                        if pins {
                            format!("minisign signature valid; trusted comment: {trusted}")
                        } else {
                            format!(
                                "the signature is valid but its trusted comment does not name this bundle: {trusted}"
                            )
                        },
                    );
                }
                Err(e) => add("signature", false, e),
            }
        }
        (None, Ok(_)) => {
            signature_warning = true;
            add(
                "signature",
                true,
                "present, not checked: pass --pubkey FILE to check it".into(),
            );
        }
        (_, Err(_)) => {
            // A signature that was made and is gone is a stripped signature.
            let signed_in_custody = custody
                .and_then(|c| opsbook_core::ledger::read(c).ok())
                .is_some_and(|ev| {
                    ev.iter().any(|e| {
                        e.kind == "signed"
                            && e.data.get("sha256").and_then(Value::as_str) == Some(sha.as_str())
                    })
                });
            match (pubkey.is_some(), signed_in_custody) {
                (_, true) => add(
                    "signature",
                    false,
                    format!(
                        "{} is missing, but the custody ledger records that this bundle was signed: the signature was removed",
                        sig.display()
                    ),
                ),
                (true, false) => add(
                    "signature",
                    false,
                    format!(
                        "a public key was given but {} is missing: the signature was removed or never made",
                        sig.display()
                    ),
                ),
                (false, false) => {
                    signature_warning = true;
                    add("signature", true, "unsigned bundle (the custody ledger says why when it is at hand); integrity rests on the hashes and the custody chain".into());
                }
            }
        }
    }
    // 4. SHA256SUMS and the manifest against every entry.
    match get("SHA256SUMS").and_then(|b| std::str::from_utf8(b).ok()) {
        None => add("SHA256SUMS", false, "missing or not text".into()),
        Some(sums) => {
            let mut bad = Vec::new();
            let mut listed = 0;
            for line in sums.lines().filter(|l| !l.trim().is_empty()) {
                let Some((h, name)) = line.split_once("  ") else {
                    bad.push(format!("malformed line `{line}`"));
                    continue;
                };
                listed += 1;
                match seen(name) {
                    None => bad.push(format!("`{name}` is listed but missing")),
                    Some((sha, _)) if sha != h => {
                        bad.push(format!("`{name}` does not match its hash"))
                    }
                    Some(_) => {}
                }
            }
            for (n, _, _) in &entries {
                if n != "SHA256SUMS" && !sums.lines().any(|l| l.ends_with(&format!("  {n}"))) {
                    bad.push(format!("`{n}` is in the archive but not in SHA256SUMS"));
                }
            }
            add(
                "SHA256SUMS",
                bad.is_empty(),
                if bad.is_empty() {
                    format!("{listed} entries match")
                } else {
                    bad.join("; ")
                },
            );
        }
    }
    match &manifest {
        None => add(
            "manifest",
            false,
            "manifest.json is missing or not JSON".into(),
        ),
        Some(m) => {
            let mut bad = Vec::new();
            let files = m
                .get("files")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for f in &files {
                let entry = f.get("entry").and_then(Value::as_str).unwrap_or("");
                let want = f.get("sha256").and_then(Value::as_str).unwrap_or("");
                let size = f.get("size").and_then(Value::as_u64).unwrap_or(u64::MAX);
                match seen(entry) {
                    None => bad.push(format!(
                        "`{entry}` is in the manifest but not in the archive"
                    )),
                    Some((sha, len)) if sha != want || len != size => {
                        bad.push(format!("`{entry}` does not match the manifest"))
                    }
                    Some(_) => {}
                }
            }
            add(
                "manifest",
                bad.is_empty(),
                if bad.is_empty() {
                    format!("{} files match", files.len())
                } else {
                    bad.join("; ")
                },
            );
        }
    }
    // 5. Custody.
    if let Some(c) = custody {
        let v =
            opsbook_core::ledger::verify(c).map_err(|e| std::io::Error::other(e.to_string()))?;
        let events = if v.ok() {
            opsbook_core::ledger::read(c).unwrap_or_default()
        } else {
            Vec::new()
        };
        let sealed = events.iter().any(|e| {
            e.kind == "sealed" && e.data.get("sha256").and_then(Value::as_str) == Some(sha.as_str())
        });
        add(
            "custody",
            v.ok() && sealed,
            match (&v.first_break, sealed) {
                (Some(b), _) => format!("custody ledger broken at line {}: {}", b.line, b.message),
                (None, false) => format!("no `sealed` event with SHA-256 {sha} in {}", c.display()),
                (None, true) => format!(
                    "sealed in {} ({} events, chain intact)",
                    c.display(),
                    events.len()
                ),
            },
        );
    }
    // 6. The fresh redaction scan ran as each entry was read.
    add(
        "redaction rescan",
        hits.is_empty(),
        if hits.is_empty() {
            format!("{} entries scanned, nothing found", entries.len())
        } else {
            hits.join("; ")
        },
    );
    r.bundle_id = bundle_id;
    if signature_warning && let Some(c) = r.checks.iter_mut().find(|c| c.name == "signature") {
        c.warning = true;
    }
    Ok(r)
}

/// PowerShell 5.1 one-liners that verify a bundle without opsbook.
#[must_use]
pub fn powershell_one_liners(zip_name: &str) -> Vec<String> {
    vec![
        format!("(Get-FileHash '{zip_name}' -Algorithm SHA256).Hash.ToLower() -eq (Get-Content '{zip_name}.sha256').Split(' ')[0]"),
        format!("Expand-Archive '{zip_name}' -DestinationPath bundle; Set-Location bundle"),
        "Get-Content SHA256SUMS | ForEach-Object { $h, $f = $_ -split '  ', 2; if ((Get-FileHash $f -Algorithm SHA256).Hash.ToLower() -ne $h) { \"BAD $f\" } else { \"OK  $f\" } }".to_string(),
        format!("minisign -Vm '{zip_name}' -p opsbook-evidence.pub   # the signature, with the minisign tool"),
    ]
}
