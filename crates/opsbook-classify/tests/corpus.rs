//! Parse robustness on real PowerShell: every ```powershell block of the
//! PowerShell 7.5 reference (../shared/corpus/powershell-docs, code samples
//! MIT) is classified without a panic; a parse failure is T2, counted.
//!
//! The block count and the counts of blocks with odd characters come from
//! `scripts/corpus-pwsh-blocks.py`, which shares no code with opsbook (it
//! reads the fences with its own rules, stdlib only). The parse-failure and
//! tier counts are the classifier's own, pinned so that a change in the
//! grammar or the tables shows here.

use std::path::{Path, PathBuf};

use opsbook_classify::{FindingKind, Shell, Tier, classify};
use opsbook_core::markdown::{parse_body, split_front_matter};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/powershell-docs/reference/7.5");
    p.is_dir().then_some(p)
}

/// Figures printed by `scripts/corpus-pwsh-blocks.py` (independent).
const BLOCKS: usize = 3616;
const FILES: usize = 472;
const WITH_DASH: usize = 0;
const WITH_QUOTE: usize = 1;
const WITH_SPACE: usize = 1;
const WITH_INVISIBLE: usize = 0;

/// The classifier's own figures on that corpus (regression pins).
const PARSE_FAILURES: usize = 276;
const TIERS: [usize; 3] = [2349, 504, 763];

#[test]
fn every_reference_block_classifies_and_counts_match() {
    let Some(root) = corpus() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the corpus must be present in CI: ../shared/corpus/powershell-docs"
        );
        return;
    };
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    assert_eq!(files.len(), FILES);
    let (mut blocks, mut parse_failures) = (0, 0);
    let mut tiers = [0usize; 3];
    let (mut dash, mut quote, mut space, mut invisible) = (0, 0, 0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_default();
        let text = opsbook_core::text::decode(&bytes)
            .map(|d| d.text)
            .unwrap_or_default();
        let Ok(split) = split_front_matter(&text) else {
            continue;
        };
        let body = parse_body(split.body, split.body_line);
        for b in body.code_blocks.iter().filter(|b| b.lang == "powershell") {
            blocks += 1;
            let c = classify(&b.code, Shell::PowerShell);
            tiers[c.tier as usize] += 1;
            if c.commands
                .iter()
                .any(|x| x.rule == "fail-closed:parse-error")
            {
                parse_failures += 1;
                assert_eq!(
                    c.tier,
                    Tier::T2,
                    "a parse failure is T2: {}:{}",
                    f.display(),
                    b.line
                );
            }
            let has = |k: FindingKind| c.findings.iter().any(|x| x.kind == k);
            dash += usize::from(has(FindingKind::NonAsciiDash));
            quote += usize::from(has(FindingKind::NonAsciiQuote));
            space += usize::from(has(FindingKind::NonAsciiSpace));
            invisible += usize::from(has(FindingKind::InvisibleCharacter));
        }
    }
    eprintln!("blocks {blocks}, parse failures {parse_failures}, tiers T0/T1/T2 {tiers:?}");
    assert_eq!(
        blocks, BLOCKS,
        "```powershell blocks (scripts/corpus-pwsh-blocks.py)"
    );
    assert_eq!(
        (dash, quote, space, invisible),
        (WITH_DASH, WITH_QUOTE, WITH_SPACE, WITH_INVISIBLE)
    );
    assert_eq!(parse_failures, PARSE_FAILURES, "parse failures");
    assert_eq!(tiers, TIERS, "tier distribution T0/T1/T2");
}
