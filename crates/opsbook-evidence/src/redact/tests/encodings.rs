//! Encodings, NUL runs, byte identity and cut files (issue 10, items 1, 3
//! and 6): a guess is never trusted alone, a file in which nothing fires is
//! the original byte for byte, no match runs across a cut, and whatever is
//! kept rescans clean (one verdict).

use super::*;

fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut v = Vec::new();
    if bom {
        v.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for u in text.encode_utf16() {
        v.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    v
}

/// Issue 10, item 1: a UTF-8 log and the NUL run an unclean shutdown
/// leaves after it used to read as BOM-less UTF-16 and ship in clear.
#[test]
fn a_utf8_log_with_a_nul_tail_is_redacted_as_utf8_and_keeps_its_tail() {
    let log = "2026-11-29T02:10:00Z INFO start\r\nX-MBX-APIKEY: AKfakeNulTail0001\r\n";
    for tail in [1usize, 2, 3, 4096, 65_536 + 1] {
        let mut b = log.as_bytes().to_vec();
        b.resize(b.len() + tail, 0);
        let (out, encoding, hits) = kept(&b);
        assert_eq!(encoding, Encoding::Utf8, "tail {tail}");
        assert_eq!(hits.len(), 1);
        let mut want = log
            .replace("AKfakeNulTail0001", "[REDACTED:labelled_secret]")
            .into_bytes();
        want.resize(want.len() + tail, 0);
        assert_eq!(out, want, "tail {tail}");
    }
    // NUL runs in the middle (a crash, then the service wrote on after
    // them): scanned as spaces, kept as they were.
    let mut b = b"before crash\n".to_vec();
    b.resize(b.len() + 300, 0);
    b.extend_from_slice(b"password=AKfakeAfterNul01\n");
    let (out, encoding, _) = kept(&b);
    assert_eq!(encoding, Encoding::Utf8);
    let mut want = b"before crash\n".to_vec();
    want.resize(want.len() + 300, 0);
    want.extend_from_slice(b"password=[REDACTED:labelled_secret]\n");
    assert_eq!(out, want);
}

/// `evidence scan` reports a secret once, as `collect` redacts it once: the
/// reading without NUL bytes (for UTF-16 at an odd offset) finding the
/// same class on the same line as the text itself is the same secret, not
/// a second one (issue 10, item 3: one verdict).
#[test]
fn a_secret_before_a_nul_run_is_reported_once() {
    let log = "2026-11-29T02:10:00Z INFO start\r\nX-MBX-APIKEY: AKfakeNulOnce0001\r\n";
    let mut tail = log.as_bytes().to_vec();
    tail.resize(tail.len() + 4096, 0);
    let mut between = b"2026-11-29 crash\n".to_vec();
    between.resize(between.len() + 300, 0);
    between.extend_from_slice(b"password=AKfakeNulOnce0002\n");
    let mut wide = utf16(log, true, false);
    wide.resize(wide.len() + 4096, 0);
    for (b, line) in [(tail, 2), (between, 2), (wide, 2)] {
        let hits = rs().scan_file(&b, &ArchiveLimits::default(), None).unwrap();
        let found: Vec<(&str, usize, &str)> = hits
            .iter()
            .map(|h| (h.rule.as_str(), h.line, h.view))
            .collect();
        assert_eq!(found, [("labelled_secret", line, "text")]);
        let (_, _, redacted) = kept(&b);
        assert_eq!(redacted.len(), hits.len());
    }
    // A second secret of the same class on that line, split by NULs, is
    // still never shipped.
    let mut b = b"password=AKfakeNulOnce0003 passwd=AKfake\0NulOnce0004\n".to_vec();
    b.resize(b.len() + 64, 0);
    match rs().redact_file(&b, &ArchiveLimits::default(), None) {
        FileOutcome::Excluded { reason } => {
            assert!(reason.starts_with("read as without-nul"), "{reason}")
        }
        FileOutcome::Kept { bytes, .. } => panic!("shipped {:?}", String::from_utf8_lossy(&bytes)),
    }
}

#[test]
fn bomless_utf16_is_redacted_when_its_text_confirms_it() {
    let text = "2026-11-29 INFO ok\r\npassword=AKfakeNoBom0001\r\n";
    for le in [true, false] {
        let (out, encoding, _) = kept(&utf16(text, le, false));
        assert_eq!(
            encoding,
            if le {
                Encoding::Utf16le
            } else {
                Encoding::Utf16be
            }
        );
        assert_eq!(
            out,
            utf16(
                &text.replace("AKfakeNoBom0001", "[REDACTED:labelled_secret]"),
                le,
                false
            )
        );
    }
}

/// Bytes that read as text two ways are scanned both ways: a secret in the
/// reading that is not redacted excludes the file, named, never ships.
#[test]
fn a_secret_in_the_other_reading_excludes_the_file() {
    // A UTF-8 log (the reading its text confirms) with a BOM-less UTF-16
    // line in it: the secret is only in the UTF-16 reading.
    let mut b = b"2026-11-29 ordinary\n".repeat(100);
    b.extend(utf16("password=AKfakeOtherRead1\n", true, false));
    let hits = rs().scan_file(&b, &ArchiveLimits::default(), None).unwrap();
    let found: Vec<(&str, &str)> = hits.iter().map(|h| (h.rule.as_str(), h.view)).collect();
    assert_eq!(
        found,
        [
            ("labelled_secret", "utf16le"),
            ("labelled_secret", "without-nul")
        ]
    );
    match rs().redact_file(&b, &ArchiveLimits::default(), None) {
        FileOutcome::Excluded { reason } => assert_eq!(
            reason,
            "read as utf16le the bytes hold secrets (labelled_secret at line 1) that redacting them as utf8 cannot remove: not shipped"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn files_in_which_nothing_fires_come_back_byte_for_byte() {
    let text = "2026-11-29 order 1 filled\r\nsecond line\rcr only\nno final newline";
    let mut nul_tail = text.as_bytes().to_vec();
    nul_tail.resize(nul_tail.len() + 777, 0);
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend_from_slice(text.as_bytes());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("utf-8 crlf/cr/no final newline", text.as_bytes().to_vec()),
        ("utf-8 bom", bom8),
        ("utf-16le bom", utf16(text, true, true)),
        ("utf-16be bom", utf16(text, false, true)),
        ("utf-16le no bom", utf16(text, true, false)),
        ("nul tail", nul_tail),
        ("empty", Vec::new()),
        ("only nul", vec![0; 64]),
    ];
    for (what, b) in cases {
        let (out, _, hits) = kept(&b);
        assert!(hits.is_empty(), "{what}: {hits:?}");
        assert_eq!(out, b, "{what}");
    }
}

/// Issue 10, item 6: the head ends inside a private key whose END is in the
/// tail, after which another key follows. A match across the cut would
/// swallow the marker and the tail's lines.
#[test]
fn no_match_runs_across_the_cut_and_the_kept_counts_are_true() {
    let head =
        "2026-11-29 start\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\n";
    let tail = "gIBAAKCAQEA7bq\n-----END PRIVATE KEY-----\n2026-11-29 keep me\n-----BEGIN PRIVATE KEY-----\nMIIEfakeSecondKey0123\n-----END PRIVATE KEY-----\n2026-11-29 end\n";
    let size = 10_000u64;
    let (out, cut) = rs().redact_cut(head.as_bytes(), tail.as_bytes(), size, None);
    let cut = cut.expect("kept");
    let FileOutcome::Kept { bytes, hits, .. } = out else {
        panic!("excluded")
    };
    let text = String::from_utf8(bytes).unwrap();
    let marker = cut_marker(&cut, size);
    assert_eq!(
        text,
        format!(
            "2026-11-29 start\n[REDACTED:pem_private_key_header]\n{marker}\n2026-11-29 keep me\n[REDACTED:pem_private_key]\n2026-11-29 end\n"
        )
    );
    // The tail starts after the key's END line (nothing of it is kept).
    let kept_tail = &tail[tail.find("2026-11-29 keep me").unwrap()..];
    assert_eq!(
        (cut.head_bytes, cut.tail_bytes, cut.cut_bytes),
        (
            head.len() as u64,
            kept_tail.len() as u64,
            size - head.len() as u64 - kept_tail.len() as u64
        )
    );
    assert_eq!(hits.len(), 2);
    assert!(rs().scan(&text, None).unwrap().is_empty());
    // A label at the end of the head and a value-like token after the cut:
    // the marker is no value, and nothing of the tail is taken for one.
    let (out, _) = rs().redact_cut(
        b"2026-11-29 ok\npassword:\n",
        b"x\nAKfakeNotAValueAfterCut\n2026-11-29 end\n",
        5_000,
        None,
    );
    let FileOutcome::Kept { bytes, hits, .. } = out else {
        panic!("excluded")
    };
    assert!(hits.is_empty(), "{hits:?}");
    assert!(String::from_utf8(bytes).unwrap().contains("\n[opsbook: "));
}

#[test]
fn a_cut_utf16_file_keeps_utf16_with_the_marker_in_utf16() {
    let mut line = String::new();
    for i in 0..40 {
        line.push_str(&format!("2026-11-29 line {i}\r\n"));
    }
    let whole = utf16(
        &format!("{line}password=AKfakeCutUtf16\r\n{line}"),
        true,
        true,
    );
    let (head, tail) = (&whole[..301], &whole[whole.len() - 403..]);
    let (out, cut) = rs().redact_cut(head, tail, whole.len() as u64, None);
    let cut = cut.unwrap();
    let FileOutcome::Kept {
        bytes, encoding, ..
    } = out
    else {
        panic!("excluded")
    };
    assert_eq!(encoding, Encoding::Utf16le);
    assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
    let text = String::from_utf16(
        &bytes[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(
        text.contains(&cut_marker(&cut, whole.len() as u64)),
        "{text}"
    );
    assert_eq!(
        cut.head_bytes + cut.tail_bytes + cut.cut_bytes,
        whole.len() as u64
    );
    // The head is whole lines, in bytes of the source.
    assert_eq!(cut.head_bytes % 2, 0);
    let head_kept = &text[..text.find("\n[opsbook").unwrap()];
    assert!(head_kept.ends_with("\r\n"));
    assert_eq!(
        cut.head_bytes,
        2 + 2 * head_kept.encode_utf16().count() as u64
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Any bytes, a planted secret line and a NUL tail: the secret never
    /// ships, and what ships rescans clean.
    #[test]
    fn any_bytes_and_a_nul_tail_never_bypass_the_scan(
        before in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
        text in "[ -~\r\n]{0,80}",
        wide in proptest::bool::ANY,
        tail in 0usize..3000,
    ) {
        let secret = "password=AKfakePropNul01\r\n";
        let mut b = before.clone();
        if wide {
            b.extend(utf16(&format!("{text}{secret}"), true, false));
        } else {
            b.extend_from_slice(format!("{text}{secret}").as_bytes());
        }
        b.resize(b.len() + tail, 0);
        if let FileOutcome::Kept { bytes, .. } = rs().redact_file(&b, &ArchiveLimits::default(), None) {
            proptest::prop_assert!(memchr::memmem::find(&bytes, b"AKfakePropNul01").is_none());
            proptest::prop_assert!(memchr::memmem::find(&bytes, &utf16("AKfakePropNul01", true, false)).is_none());
            proptest::prop_assert_eq!(rs().scan_file(&bytes, &ArchiveLimits::default(), None), Ok(Vec::new()));
        }
    }

    /// One verdict: for any text dense with labels, keywords and secret
    /// shapes, what redaction keeps, the post-seal scan finds nothing in.
    #[test]
    fn the_post_seal_scan_never_finds_what_redaction_left(s in "(?s)((token|Password|API_KEY|DB_PASS|pwd|passwd|listenKey|AccountKey|\"key\"|\"secret\"|\"sign\"|\"auth\"|\"op\"|\"args\"|auth|login|signature=|sig=|\\$env:OKX_KEY|ConvertTo-SecureString |-AsPlainText|-String |Name *: |Value *: |BINANCE_SECRET  |api\\.telegram\\.org/bot|/ws/|://|@|bearer |eyJ|-----BEGIN |-----END |PRIVATE KEY-----|Authorization: |secret|key|x-mbx-apikey|[0-9]{9}:|[A-Za-z0-9_-]{6,70}|[ \t]{1,4}|[:=\"'|>;/.@\\\\\\[\\](){},]|\r?\n){0,40})") {
        let r = rs();
        let once = r.redact(&s, None).unwrap();
        let again = r.scan(&once.text, None).unwrap();
        proptest::prop_assert!(again.is_empty(), "{:?} -> {:?}: {:?}", s, once.text, again);
        let (bytes, _) = match r.redact_file(s.as_bytes(), &ArchiveLimits::default(), None) {
            FileOutcome::Kept { bytes, hits, .. } => (bytes, hits),
            FileOutcome::Excluded { reason } => return Err(proptest::test_runner::TestCaseError::fail(reason)),
        };
        proptest::prop_assert_eq!(r.scan_file(&bytes, &ArchiveLimits::default(), None), Ok(Vec::new()));
    }
}

/// `evidence scan` streams files over the size limit: a BOM-less UTF-16
/// log and a UTF-8 log with a NUL tail are scanned as what they are.
#[test]
fn streams_read_bomless_utf16_and_nul_tails_as_what_they_are() {
    let mut text = "2026-11-29 ordinary line of a long log\r\n".repeat(300);
    text.push_str("password=AKfakeStreamU16\r\n");
    let hits = rs()
        .scan_stream(&utf16(&text, true, false)[..], 4096, None)
        .unwrap();
    let found: Vec<(&str, usize)> = hits.iter().map(|h| (h.rule.as_str(), h.line)).collect();
    assert_eq!(found, [("labelled_secret", 301)]);
    let mut b = text.into_bytes();
    b.resize(b.len() + 20_000, 0);
    let hits = rs().scan_stream(&b[..], 4096, None).unwrap();
    let found: Vec<(&str, usize)> = hits.iter().map(|h| (h.rule.as_str(), h.line)).collect();
    assert_eq!(found, [("labelled_secret", 301)]);
    // UTF-16 appearing later in a file read as UTF-8 is named, not skipped.
    let mut mixed = "2026-11-29 ordinary\n".repeat(400).into_bytes();
    mixed.extend(utf16(
        &"password=AKfakeLateU16\r\n".repeat(200),
        true,
        false,
    ));
    let e = rs().scan_stream(&mixed[..], 4096, None).unwrap_err();
    assert!(e.starts_with("UTF-16 text without a BOM after byte"), "{e}");
}
