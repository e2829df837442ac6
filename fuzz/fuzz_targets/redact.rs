//! Fuzzes redaction of any file bytes: decoding (UTF-8, BOM, UTF-16),
//! every view (ANSI, invisible, JSON escapes, percent, base64), gzip and
//! ZIP inside; then checks that the output rescans clean and that a file in
//! which nothing fired is returned byte for byte.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use opsbook_evidence::redact::{ArchiveLimits, FileOutcome, Personal, RuleSet};

static RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::builtin(Personal::default()).expect("built-in rules compile"));

fuzz_target!(|data: &[u8]| {
    let limits = ArchiveLimits::default();
    if let FileOutcome::Kept { bytes, hits, .. } = RULES.redact_file(data, &limits, None) {
        if hits.is_empty() {
            assert_eq!(bytes, data, "a clean file must come back byte for byte");
        } else if let FileOutcome::Kept { hits: again, .. } = RULES.redact_file(&bytes, &limits, None) {
            assert!(again.is_empty(), "redacted output still matches: {again:?}");
        }
    }
});
