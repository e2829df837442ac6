//! Property tests for the parsers every file goes through: whatever the
//! bytes, decoding, front-matter splitting, YAML and Markdown parsing return
//! a value or an error with a position — they never panic — and decoding
//! round-trips what opsbook writes.
#![allow(clippy::unwrap_used)]

use opsbook_core::markdown;
use opsbook_core::text::{self, Encoding, LineEnding};
use opsbook_core::yaml;
use proptest::prelude::*;

fn encodings() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::Utf8),
        Just(Encoding::Utf8Bom),
        Just(Encoding::Utf16Le),
        Just(Encoding::Utf16Be)
    ]
}

fn endings() -> impl Strategy<Value = LineEnding> {
    prop_oneof![Just(LineEnding::Lf), Just(LineEnding::CrLf)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    // A text that itself starts with U+FEFF is indistinguishable from a BOM: excluded.
    #[test]
    fn decode_inverts_encode(s in "[^\u{0}\r\u{feff}]{0,200}", enc in encodings(), le in endings()) {
        let bytes = text::encode(&s, enc, le);
        let d = text::decode(&bytes).unwrap();
        prop_assert_eq!(&d.text, &s);
        prop_assert_eq!(d.encoding, enc);
        if s.contains('\n') {
            prop_assert_eq!(d.line_ending, le);
        }
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Err(e) = text::decode(&bytes) {
            prop_assert!(e.line >= 1);
            prop_assert!(e.offset <= bytes.len() + 1);
        }
    }

    #[test]
    fn yaml_never_panics_and_positions_are_in_range(s in "(([a-z]{1,3}|-|  |\t|:|'|\"|\\[|\\]|\\{|\\}|&a|\\*a|#|\n|---|\\.\\.\\.|!!str|\\|) ?){0,60}") {
        let lines = s.split('\n').count() + 1;
        match yaml::parse_stream(&s) {
            Ok(docs) => {
                for d in docs {
                    for p in d.all_positions() {
                        prop_assert!(p.line >= 1 && p.line <= lines, "{:?} beyond {} lines", p, lines);
                    }
                }
            }
            Err(e) => prop_assert!(e.pos.line <= lines, "{:?}", e),
        }
    }

    #[test]
    fn markdown_never_panics_and_lines_are_in_range(s in "((#{1,3} |```|~~~|---|\\[x\\]\\(y\\.md\\)|[a-z ]{0,8}|\\{step=1 tier=T1\\}|powershell|\n)){0,80}") {
        match markdown::split_front_matter(&s) {
            Ok(split) => {
                let body = markdown::parse_body(split.body, split.body_line);
                let lines = s.split('\n').count();
                for h in &body.headings {
                    prop_assert!(h.line >= 1 && h.line <= lines, "{:?} beyond {}", h, lines);
                }
                for c in &body.code_blocks {
                    prop_assert!(c.line >= 1 && c.line <= lines);
                }
                if let Some(fm) = split.front_matter {
                    let _ = yaml::parse(fm);
                }
            }
            Err(e) => prop_assert_eq!(e.line, 1),
        }
    }
}
