//! Files and streams: encodings kept, byte identity, archives, binary.

use super::*;

#[test]
fn streams_are_scanned_in_pieces_with_whole_file_lines() {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!("{i:05} ordinary line of a long log\r\n"));
        if i == 1500 {
            text.push_str("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\n");
            text.push_str("  continuation\n-----END RSA PRIVATE KEY-----\n");
        }
    }
    text.push_str("password=StreamTail99\n");
    let whole = rs().scan(&text, None).unwrap();
    // Small windows: many pieces, the key block never cut.
    let got = rs().scan_stream(text.as_bytes(), 4096, None).unwrap();
    assert_eq!(got, whole);
    assert_eq!(
        got.iter()
            .map(|h| (h.rule.as_str(), h.line))
            .collect::<Vec<_>>(),
        vec![("pem_private_key", 1503), ("labelled_secret", 3006)]
    );
    // UTF-16LE with BOM, as Windows PowerShell 5.1 writes, in odd-sized reads.
    let mut u16 = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        u16.extend_from_slice(&u.to_le_bytes());
    }
    struct Odd<'a>(&'a [u8]);
    impl Read for Odd<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(4093);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    assert_eq!(rs().scan_stream(Odd(&u16), 4096, None).unwrap(), whole);
    // One long line (minified JSON): cut between tokens, columns kept.
    let long = format!(
        "{}\"password\":\"LongLineSecret42\",{}",
        "\"k\":1, ".repeat(9000),
        "\"v\":2, ".repeat(9000)
    );
    let whole = rs().scan(&long, None).unwrap();
    assert_eq!(whole.len(), 1);
    assert_eq!(
        rs().scan_stream(long.as_bytes(), 4096, None).unwrap(),
        whole
    );
    let mut utf8 = "日本語のログ password=MultiByte123\n"
        .repeat(500)
        .into_bytes();
    let all = rs().scan_stream(Odd(&utf8), 4096, None).unwrap();
    assert_eq!(all.len(), 500);
    assert_eq!(all[499].line, 500);
    // Not text: named, never silently skipped.
    utf8.splice(9000..9000, [0xFF, 0xFE, 0x00]);
    let e = rs().scan_stream(&utf8[..], 4096, None).unwrap_err();
    assert!(e.contains("not UTF-8 or UTF-16 text at byte 9000"), "{e}");
}

#[test]
fn utf16le_files_keep_encoding_bom_and_crlf() {
    let text = "user=ops\r\npassword=Hunter2Secret\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let FileOutcome::Kept {
        bytes: out,
        encoding,
        hits,
        ..
    } = rs().redact_file(&bytes, &ArchiveLimits::default(), None)
    else {
        panic!("excluded")
    };
    assert_eq!(encoding, Encoding::Utf16le);
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].line, hits[0].column), (2, 10));
    let mut want = vec![0xFF, 0xFE];
    for u in "user=ops\r\npassword=[REDACTED:labelled_secret]\r\n".encode_utf16() {
        want.extend_from_slice(&u.to_le_bytes());
    }
    assert_eq!(out, want);
}

#[test]
fn clean_files_come_back_byte_for_byte() {
    for bytes in [
        b"plain\r\nlines\rcr only\n".to_vec(),
        vec![0xEF, 0xBB, 0xBF, b'o', b'k', b'\r', b'\n'],
    ] {
        match rs().redact_file(&bytes, &ArchiveLimits::default(), None) {
            FileOutcome::Kept {
                bytes: out, hits, ..
            } => {
                assert!(hits.is_empty());
                assert_eq!(out, bytes);
            }
            FileOutcome::Excluded { reason } => panic!("{reason}"),
        }
    }
}

#[test]
fn a_clean_archive_is_kept_byte_for_byte_and_a_bomb_is_excluded() {
    use std::io::Write;
    let gz = |s: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(s.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let clean = gz("all quiet\n");
    match rs().redact_file(&clean, &ArchiveLimits::default(), None) {
        FileOutcome::Kept {
            bytes, encoding, ..
        } => {
            assert_eq!(encoding, Encoding::Gzip);
            assert_eq!(bytes, clean);
        }
        FileOutcome::Excluded { reason } => panic!("{reason}"),
    }
    // A bomb: 64 MiB of zeros compressed to a few KB.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![b'a'; 64 << 20]).unwrap();
    let bomb = e.finish().unwrap();
    match rs().redact_file(&bomb, &ArchiveLimits::default(), None) {
        FileOutcome::Excluded { reason } => {
            assert!(reason.contains("decompression bomb"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn binary_is_excluded_and_bad_rules_stop_the_run() {
    match rs().redact_file(&[0, 159, 146, 150, 0, 1], &ArchiveLimits::default(), None) {
        FileOutcome::Excluded { reason } => {
            assert!(reason.contains("cannot be scanned"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let mut r = rs();
    assert!(
        r.add_literal("k", "short")
            .unwrap_err()
            .message
            .contains("at least 8")
    );
    assert!(r.add_literal("k", "").is_err());
    let v: Value =
        serde_json::json!({"redaction": {"classes": [{"id": "bad", "pattern": "(unclosed"}]}});
    assert!(
        RuleSet::from_policy(Some(&v))
            .unwrap_err()
            .message
            .contains("does not compile")
    );
    for pattern in ["x*", "\\b", "(?:key)?"] {
        let v: Value =
            serde_json::json!({"redaction": {"classes": [{"id": "empty", "pattern": pattern}]}});
        assert!(
            RuleSet::from_policy(Some(&v))
                .unwrap_err()
                .message
                .contains("can match an empty span"),
            "{pattern}"
        );
    }
    let n = r
        .add_gitleaks_toml("[[rules]]\nid = \"internal-token\"\nregex = '''itk_[a-z0-9]{20}'''\n")
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        r.redact("x itk_abcdefghij0123456789 y", None).unwrap().text,
        "x [REDACTED:gitleaks:internal-token] y"
    );
}

/// A one-line stream cut at a space between a label and its value: the
/// pieces overlap, so the value is found once, at its real column.
#[test]
fn a_stream_cut_between_label_and_value_still_finds_it() {
    let window = 4096;
    let label = " password: ";
    // Five reads of `window` bytes fill the pending text past four
    // windows; its last space is the one after the label.
    let mut line = "a".repeat(5 * window - label.len());
    line.push_str(label);
    let col = line.chars().count() + 1;
    line.push_str("AKfakeStreamCut0123");
    line.push_str(&"b".repeat(3 * window));
    line.push_str(" tail\n");
    let hits = rs()
        .scan_stream(std::io::Cursor::new(line.into_bytes()), window, None)
        .unwrap();
    let found: Vec<(&str, usize, usize)> = hits
        .iter()
        .map(|h| (h.rule.as_str(), h.line, h.column))
        .collect();
    assert_eq!(found, vec![("labelled_secret", 1, col)]);
    // The same at a line end: the label ends a piece (the first line
    // end past `window` bytes), the value (after a blank line) starts
    // the next.
    let mut text = "2026-11-29 ordinary line\n".repeat(163);
    text.push_str(&format!("{}\n", "c".repeat(window - 6 - text.len() - 1)));
    assert_eq!(text.len(), window - 6);
    let lines = text.lines().count();
    text.push_str("password:\n\n  AKfakeStreamNextLine01\n");
    text.push_str(&"2026-11-29 more\n".repeat(400));
    let hits = rs()
        .scan_stream(std::io::Cursor::new(text.into_bytes()), window, None)
        .unwrap();
    let found: Vec<(&str, usize, usize)> = hits
        .iter()
        .map(|h| (h.rule.as_str(), h.line, h.column))
        .collect();
    assert_eq!(found, vec![("labelled_secret", lines + 3, 3)]);
}
