//! The tables under data/ are well-formed, agree with the PowerShell 7.5
//! reference where it can tell, and docs/tiers.md says what they say.

use std::path::Path;

use opsbook_classify::{Shell, Tier, classify, docs::render_markdown, table_problems};

#[test]
fn every_row_is_well_formed() {
    // Parsing with deny_unknown_fields, tiers T0/T1/T2, non-empty `why`,
    // no duplicate names, every alias meaning resolvable, rules with a
    // condition: all checked when the tables load.
    let p = table_problems();
    assert!(p.is_empty(), "malformed rows:\n{}", p.join("\n"));
}

fn reference() -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/powershell-docs/reference/7.5");
    p.is_dir().then_some(p)
}

/// Cmdlets the tables mark `whatif = true` must list -WhatIf in their 7.5
/// reference page, and every 7.5 cmdlet must classify without falling to an
/// unknown-command or unknown-verb rule.
#[test]
fn whatif_marks_and_coverage_agree_with_the_reference() {
    let Some(root) = reference() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the corpus must be present in CI"
        );
        return;
    };
    let pages: std::collections::HashMap<String, String> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.path().extension().is_some_and(|x| x == "md")
                && !e.path().to_string_lossy().contains("About")
        })
        .filter_map(|e| {
            let name = e.path().file_stem()?.to_string_lossy().to_string();
            name.contains('-').then(|| {
                (
                    name.to_ascii_lowercase(),
                    std::fs::read_to_string(e.path()).unwrap_or_default(),
                )
            })
        })
        .collect();
    assert!(pages.len() > 250, "{} cmdlet pages", pages.len());
    let toml: toml::Value =
        toml::from_str(include_str!("../data/powershell.toml")).expect("parses");
    let mut wrong = Vec::new();
    for c in toml["cmdlets"].as_array().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or_default();
        let whatif = c
            .get("whatif")
            .and_then(toml::Value::as_bool)
            .unwrap_or(false);
        if let Some(page) = pages.get(&name.to_ascii_lowercase()) {
            let has = page.contains("### -WhatIf");
            if whatif && !has {
                wrong.push(format!("{name}: marked whatif but its page has no -WhatIf"));
            }
        } else if whatif {
            wrong.push(format!(
                "{name}: marked whatif but has no 7.5 reference page to prove it"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let mut unknown = Vec::new();
    for name in pages.keys() {
        let c = classify(name, Shell::PowerShell);
        if c.commands
            .iter()
            .any(|x| x.rule.contains("unknown-verb") || x.rule.contains("unknown-command"))
        {
            unknown.push(name.clone());
        }
    }
    unknown.sort();
    assert!(
        unknown.is_empty(),
        "7.5 cmdlets the tables cannot rate: {unknown:?}"
    );
}

#[test]
fn docs_tiers_md_matches_the_data() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/tiers.md");
    let want = render_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs/tiers.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/tiers.md is out of date with data/*.toml: run `UPDATE_DOCS=1 cargo test -p opsbook-classify --test tables`"
    );
    // Spot checks that the rendering carries the rows.
    for needle in [
        "| `Remove` | T2 |",
        "| `Remove-Item` | T2 | yes |",
        "| `sc` | Set-Content | sc.exe (native) |",
        "`w32tm`",
        "| `DELETE` | T2 |",
        "| `/order` | T2 |",
        "| `IO.File` | `Delete` | T2 |",
    ] {
        assert!(want.contains(needle), "docs lack {needle}");
    }
}

#[test]
fn tiers_order() {
    assert!(Tier::T0 < Tier::T1 && Tier::T1 < Tier::T2);
}
