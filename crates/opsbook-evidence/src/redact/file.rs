//! One file's bytes: decoded exactly (UTF-8 with or without BOM, UTF-16),
//! redacted and re-encoded the same way, archives opened, anything that
//! cannot be scanned excluded with the reason.

use std::time::Instant;

use serde::Serialize;

use super::Hit;
use super::archive::{ArchiveLimits, gunzip, unzip};
use super::rules::RuleSet;

/// How a file's bytes are encoded (kept on output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with BOM.
    Utf8Bom,
    /// UTF-16LE (with BOM, or detected).
    Utf16le,
    /// UTF-16BE (with BOM).
    Utf16be,
    /// A gzip stream.
    Gzip,
    /// A ZIP archive.
    Zip,
}

pub(super) fn decode_exact(b: &[u8]) -> Option<(std::borrow::Cow<'_, str>, Encoding, bool)> {
    use std::borrow::Cow;
    let utf16 = |body: &[u8], le: bool| -> Option<Cow<'_, str>> {
        if !body.len().is_multiple_of(2) {
            return None;
        }
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).ok().map(Cow::Owned)
    };
    if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .ok()
            .map(|s| (Cow::Borrowed(s), Encoding::Utf8Bom, true));
    }
    if let Some(rest) = b.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true).map(|s| (s, Encoding::Utf16le, true));
    }
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false).map(|s| (s, Encoding::Utf16be, true));
    }
    if !b.contains(&0) {
        return std::str::from_utf8(b)
            .ok()
            .map(|s| (Cow::Borrowed(s), Encoding::Utf8, false));
    }
    // UTF-16LE without BOM: ASCII text has a zero in every odd byte.
    let odd_zero = b.iter().skip(1).step_by(2).filter(|&&x| x == 0).count();
    if b.len() >= 4 && odd_zero * 10 >= (b.len() / 2) * 9 {
        return utf16(b, true).map(|s| (s, Encoding::Utf16le, false));
    }
    None
}

pub(super) fn encode_exact(s: &str, enc: Encoding, bom: bool) -> Vec<u8> {
    match enc {
        Encoding::Utf8 | Encoding::Gzip | Encoding::Zip => s.as_bytes().to_vec(),
        Encoding::Utf8Bom => {
            let mut v = vec![0xEF, 0xBB, 0xBF];
            v.extend_from_slice(s.as_bytes());
            v
        }
        Encoding::Utf16le | Encoding::Utf16be => {
            let le = enc == Encoding::Utf16le;
            let mut v = Vec::with_capacity(s.len() * 2 + 2);
            if bom {
                v.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
            }
            for u in s.encode_utf16() {
                v.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            v
        }
    }
}

/// What happens to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Scanned; `bytes` is what goes into the bundle (identical to the input
    /// when `hits` is empty).
    Kept {
        /// Output bytes.
        bytes: Vec<u8>,
        /// Encoding found (and kept).
        encoding: Encoding,
        /// Redactions.
        hits: Vec<Hit>,
    },
    /// Not shipped, with the reason (fail closed).
    Excluded {
        /// Why.
        reason: String,
    },
}

impl RuleSet {
    /// Decides what one file's bytes become in the bundle.
    #[must_use]
    pub fn redact_file(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
    ) -> FileOutcome {
        self.redact_file_at(bytes, limits, deadline, 1, true)
    }

    /// As [`RuleSet::redact_file`] for the hits only (no redacted copy is
    /// made): `Err` with the reason when the file cannot be scanned.
    ///
    /// # Errors
    /// The reason the file would be excluded.
    pub fn scan_file(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
    ) -> Result<Vec<Hit>, String> {
        match self.redact_file_at(bytes, limits, deadline, 1, false) {
            FileOutcome::Kept { hits, .. } => Ok(hits),
            FileOutcome::Excluded { reason } => Err(reason),
        }
    }

    pub(super) fn redact_file_at(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
        depth: u8,
        build: bool,
    ) -> FileOutcome {
        let excluded = |reason: String| FileOutcome::Excluded { reason };
        if bytes.starts_with(&[0x1f, 0x8b])
            || bytes.starts_with(b"PK\x03\x04")
            || bytes.starts_with(b"PK\x05\x06")
        {
            let gz = bytes.starts_with(&[0x1f, 0x8b]);
            if depth > limits.max_depth {
                return excluded(format!(
                    "archive nested deeper than {} levels: not scanned",
                    limits.max_depth
                ));
            }
            let members = match if gz {
                gunzip(bytes, limits)
            } else {
                unzip(bytes, limits)
            } {
                Ok(m) => m,
                Err(e) => return excluded(e),
            };
            for (name, inner) in &members {
                match self.redact_file_at(inner, limits, deadline, depth + 1, false) {
                    FileOutcome::Kept { hits, .. } if hits.is_empty() => {}
                    FileOutcome::Kept { hits, .. } => {
                        let mut classes: Vec<&str> = hits.iter().map(|h| h.rule.as_str()).collect();
                        classes.sort_unstable();
                        classes.dedup();
                        return excluded(format!(
                            "{} member `{name}` holds secrets ({}): extract it and collect the file itself so it can be redacted",
                            if gz { "gzip" } else { "ZIP" },
                            classes.join(", ")
                        ));
                    }
                    FileOutcome::Excluded { reason } => {
                        return excluded(format!(
                            "{} member `{name}`: {reason}",
                            if gz { "gzip" } else { "ZIP" }
                        ));
                    }
                }
            }
            return FileOutcome::Kept {
                bytes: if build { bytes.to_vec() } else { Vec::new() },
                encoding: if gz { Encoding::Gzip } else { Encoding::Zip },
                hits: Vec::new(),
            };
        }
        let Some((text, enc, bom)) = decode_exact(bytes) else {
            return excluded("binary or undecodable (not UTF-8 or UTF-16 text): cannot be scanned, so not shipped".into());
        };
        // Without `build` (a scan) no copy of the file is made.
        let copy = || if build { bytes.to_vec() } else { Vec::new() };
        match self.redact_found(&text, deadline, build) {
            Err(e) => excluded(e),
            Ok(None) => FileOutcome::Kept {
                bytes: copy(),
                encoding: enc,
                hits: Vec::new(),
            },
            Ok(Some(r)) if r.hits.is_empty() => FileOutcome::Kept {
                bytes: copy(),
                encoding: enc,
                hits: Vec::new(),
            },
            Ok(Some(r)) => FileOutcome::Kept {
                bytes: if build {
                    encode_exact(&r.text, enc, bom)
                } else {
                    Vec::new()
                },
                encoding: enc,
                hits: r.hits,
            },
        }
    }
}
