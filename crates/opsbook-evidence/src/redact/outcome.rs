//! What one file becomes: kept (its bytes, the encoding kept, the
//! redactions) or excluded with the reason; the encodings and the record of
//! a cut file.

use opsbook_core::text::{self, Reading};
use serde::Serialize;

use super::{Hit, SecretValues};

/// How a file's bytes are encoded (kept on output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with BOM.
    Utf8Bom,
    /// UTF-16LE (with BOM, or confirmed by its text).
    Utf16le,
    /// UTF-16BE (with BOM, or confirmed by its text).
    Utf16be,
    /// A gzip stream.
    Gzip,
    /// A ZIP archive.
    Zip,
    /// A tar archive.
    Tar,
}

impl Encoding {
    pub(super) fn of(r: &Reading<'_>) -> Encoding {
        match r.encoding {
            text::Encoding::Utf8 => Encoding::Utf8,
            text::Encoding::Utf8Bom => Encoding::Utf8Bom,
            text::Encoding::Utf16Le => Encoding::Utf16le,
            text::Encoding::Utf16Be => Encoding::Utf16be,
        }
    }

    /// The name of a reading, as a hit's view.
    pub(super) fn view(r: &Reading<'_>) -> &'static str {
        match r.encoding {
            text::Encoding::Utf8 | text::Encoding::Utf8Bom => "utf8",
            text::Encoding::Utf16Le => "utf16le",
            text::Encoding::Utf16Be => "utf16be",
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
        /// The values redacted (in memory only; see [`RuleSet::with_values`]).
        values: SecretValues,
    },
    /// Not shipped, with the reason (fail closed).
    Excluded {
        /// Why.
        reason: String,
    },
}

/// What was kept of a file over the size limit, in bytes of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cut {
    /// Kept from the start (whole lines).
    pub head_bytes: u64,
    /// Kept from the end (from the first line that does not continue
    /// something cut off).
    pub tail_bytes: u64,
    /// Left out between them.
    pub cut_bytes: u64,
}

/// The line that stands for what was cut out of a file, between its head
/// and tail (its own line; the scan treats it as a hard boundary).
#[must_use]
pub fn cut_marker(cut: &Cut, size: u64) -> String {
    format!(
        "[opsbook: {} bytes cut here (head {} + tail {} of {size} kept)]",
        cut.cut_bytes, cut.head_bytes, cut.tail_bytes
    )
}
