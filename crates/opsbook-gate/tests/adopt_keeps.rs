//! Adoption keeps what worked (issue 11, item 3), on a small collection in
//! the shapes of public ones (GOV.UK's `page.html.md` and links to
//! `page.html`, tech-docs' `.html.md.erb` and index pages, Hugo's `+++`
//! front matter, `_index.md` and pretty URLs, `deprecated_runbooks/`, a
//! Japanese runbook), written here from scratch: links and images still
//! resolve, `--category` is obeyed, Japanese headings are recognised,
//! deprecated pages become stubs with `replaced_by`, odd front matter and
//! extensions are handled or reported, and the plan says what the gate says.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use opsbook_core::adopt::{self, Options, Plan};
use opsbook_core::contracts::Contracts;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn collection(t: &Path) -> PathBuf {
    let src = t.join("src");
    write(
        &src,
        &[
            (
                "manual/alerts.html.md",
                "\n---\ntitle: Alert handling\n---\n\n# Alert handling\n\n## Overview\n\nStart at the [overview](../README.md), then [DNS](dns.html#fix) or [the index](/manual/index.html).\n\n![flow](../images/flow.png)\n\n## Resolution\n\nSee [the old page](nowhere.md) and [reference][dns].\n\n[dns]: dns.html\n",
            ),
            (
                "manual/dns.html.md.erb",
                "---\ntitle: DNS failures\ndescription: \"written for\n  Middleman\"\n---\n\n# DNS failures\n\n## Mitigation\n\n### Fix {#fix}\n\nFlush the resolver cache.\n\n## Recovery\n\n### Nothing yet\n",
            ),
            (
                "manual/index.html.md",
                "---\ntitle: Manual\n---\n\n# Manual\n\n## Overview\n\n- [Alerts](manual/alerts)\n- [DNS](manual/dns)\n",
            ),
            (
                "manual/legacy-failover.md",
                "# Legacy failover\n\nThis page has been replaced by [alert handling](alerts.html).\n\n## Related\n\nNothing else.\n",
            ),
            (
                "deprecated_runbooks/old-dns.md",
                "# [Deprecated] Old DNS runbook\n\nUse [the DNS runbook](../manual/dns.html) instead.\n\n## Mitigation\n\nRestart bind.\n",
            ),
            ("images/flow.png", "\u{89}PNG"),
            ("README.md", "# About these runbooks\n"),
            (
                "ja/clock-drift.md",
                "# 取引ホストの時計ズレ\n\n## 前提条件\n\n管理者権限の PowerShell。\n\n## 緩和\n\nSAFE_MODE にする。\n\n## 復旧手順\n\nw32tm /resync を実行する。\n\n## 切り戻し\n\n以前のピアに戻す。\n\n## 関連\n\n[アラート](../manual/alerts.html)\n\n## やってはいけないこと\n\n注文中に時計を飛ばさない。\n",
            ),
            (
                "hugo/_index.md",
                "+++\ntitle = \"Nodes\"\n+++\n\nNode alerts.\n",
            ),
            (
                "hugo/NodeDown.md",
                "+++\ntitle = \"NodeDown\"\nweight = 10\n+++\n\n# NodeDown\n\n## Meaning\n\nA node is down; see [NodeLost](../NodeLost/) and [all node alerts](./).\n\n## Mitigation\n\nReboot it.\n",
            ),
            (
                "hugo/NodeLost.md",
                "# NodeLost\n\n## Meaning\n\nGone.\n\n## Mitigation\n\nWait.\n",
            ),
            (
                "hugo/NodeUp.MD",
                "# NodeUp\n\n## Meaning\n\nThe node is back.\n\n## Mitigation\n\nNothing.\n",
            ),
            (
                "hugo/Widget.mdx",
                "import Chart from './chart'\n\n# Widget\n\n## Diagnosis\n\n<Chart />\n\nLook at the chart.\n",
            ),
            ("notes.rst", "Notes\n=====\n"),
            (
                "StrayRunbook",
                "# A runbook someone saved without an extension\n",
            ),
        ],
    );
    src
}

fn item<'a>(p: &'a Plan, original: &str) -> &'a adopt::Item {
    p.items
        .iter()
        .find(|i| i.original_path == original)
        .unwrap_or_else(|| panic!("{original} not adopted"))
}

#[test]
fn adopted_collection_keeps_its_links_titles_and_deprecations() {
    let t = tempfile::tempdir().unwrap();
    let src = collection(t.path());
    let into = t.path().join("ops");
    let plan = adopt::plan(&src, &into, &Options::default()).unwrap();

    // Every Markdown page, whatever its extension's case; the rest reported.
    let dests: BTreeSet<&str> = plan.items.iter().map(|i| i.dest.as_str()).collect();
    assert_eq!(
        dests,
        [
            "runbooks/platform/deprecated_runbooks/old-dns.md",
            "runbooks/platform/hugo/NodeDown.md",
            "runbooks/platform/hugo/NodeLost.md",
            "runbooks/platform/hugo/NodeUp.md",
            "runbooks/platform/hugo/Widget.md",
            "runbooks/platform/ja/clock-drift.md",
            "runbooks/platform/manual/alerts.md",
            "runbooks/platform/manual/dns.md",
            "runbooks/platform/manual/index.md",
            "runbooks/platform/manual/legacy-failover.md",
        ]
        .into_iter()
        .collect()
    );
    let skipped: BTreeMap<&str, &str> = plan
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped.keys().copied().collect::<Vec<_>>(),
        ["README.md", "StrayRunbook", "hugo/_index.md", "notes.rst"]
    );
    assert!(skipped["notes.rst"].contains("not Markdown"));
    assert!(skipped["StrayRunbook"].contains("without a file extension"));

    // Front matter after a blank line, TOML front matter, MDX: handled, said.
    let alerts = item(&plan, "manual/alerts.html.md");
    assert_eq!(alerts.title, "Alert handling");
    assert!(
        alerts
            .notes
            .iter()
            .any(|n| n.contains("after 1 blank line")),
        "{:?}",
        alerts.notes
    );
    let node = item(&plan, "hugo/NodeDown.md");
    assert!(
        node.notes.iter().any(|n| n.contains("TOML")),
        "{:?}",
        node.notes
    );
    assert!(
        node.content
            .contains("original_front_matter: {\"title\":\"NodeDown\",\"weight\":10}"),
        "{}",
        node.content
    );
    assert!(
        item(&plan, "hugo/Widget.mdx")
            .notes
            .iter()
            .any(|n| n.contains("MDX"))
    );
    assert!(
        item(&plan, "manual/dns.html.md.erb")
            .content
            .contains("\"description\":\"written for Middleman\""),
        "front matter as Middleman's YAML parser reads it"
    );

    // Links are rewritten to what they reached; linked files are copied.
    assert_eq!(alerts.links_rewritten, 5);
    for want in [
        "[overview](../../../assets/README.md)",
        "[DNS](dns.md#fix)",
        "[the index](index.md)",
        "![flow](../../../assets/images/flow.png)",
        "[the old page](nowhere.md)",
        "[dns]: dns.md",
    ] {
        assert!(
            alerts.content.contains(want),
            "{want} in {}",
            alerts.content
        );
    }
    assert!(
        alerts
            .notes
            .iter()
            .any(|n| n.contains("1 relative link did not resolve in the source"))
    );
    let assets: Vec<(&str, &str)> = plan
        .assets
        .iter()
        .map(|a| (a.from.as_str(), a.to.as_str()))
        .collect();
    assert_eq!(
        assets,
        [
            ("README.md", "assets/README.md"),
            ("hugo/_index.md", "assets/hugo/_index.md"),
            ("images/flow.png", "assets/images/flow.png"),
        ]
    );
    assert!(
        item(&plan, "hugo/NodeDown.md").content.contains(
            "[NodeLost](NodeLost.md) and [all node alerts](../../../assets/hugo/_index.md)"
        )
    );
    assert!(
        item(&plan, "manual/index.html.md")
            .content
            .contains("[Alerts](alerts.md)")
    );

    // Japanese headings by the glossary's terms; a Japanese title is title.ja.
    let ja = item(&plan, "ja/clock-drift.md");
    let moves: Vec<(&str, &str)> = ja
        .sections
        .iter()
        .map(|m| (m.from.as_str(), m.to.as_str()))
        .collect();
    assert_eq!(
        moves,
        [
            ("前提条件", "Prerequisites"),
            ("緩和", "Mitigation"),
            ("復旧手順", "Recovery"),
            ("切り戻し", "Backout"),
            ("関連", "Related"),
            ("やってはいけないこと", "Do-Not-Do"),
        ]
    );
    assert_eq!(ja.title_ja.as_deref(), Some("取引ホストの時計ズレ"));
    assert_eq!(ja.title, "clock drift");
    assert!(
        ja.content
            .contains("title:\n  en: \"clock drift\"\n  ja: \"取引ホストの時計ズレ\"\n"),
        "{}",
        ja.content
    );

    // Deprecated pages: a stub, with the replacement when the page names it.
    let old = item(&plan, "deprecated_runbooks/old-dns.md");
    assert_eq!(
        (old.status.as_str(), old.replaced_by.as_deref()),
        ("deprecated", Some("RB-MANUAL-DNS"))
    );
    assert_eq!(old.title, "Old DNS runbook");
    assert_eq!(old.missing_sections, ["Related"]);
    let legacy = item(&plan, "manual/legacy-failover.md");
    assert_eq!(
        (legacy.status.as_str(), legacy.replaced_by.as_deref()),
        ("deprecated", Some("RB-MANUAL-ALERTS"))
    );
    assert!(legacy.missing_sections.is_empty());
    assert_eq!(item(&plan, "manual/dns.html.md.erb").status, "active");

    // Written, the gate agrees with the plan, and every link that resolved in
    // the source resolves: the one broken there is the only OB701.
    adopt::apply(&plan, &into).unwrap();
    assert_eq!(
        std::fs::read(into.join("assets/images/flow.png")).unwrap(),
        "\u{89}PNG".as_bytes()
    );
    let contracts = Contracts::load(Some(&into));
    let opts = common::options();
    let (_, report) = opsbook_gate::check(&into, &contracts, &opts).unwrap();
    let broken: Vec<(&str, &str)> = report
        .findings
        .iter()
        .filter(|f| f.code == "OB701")
        .map(|f| (f.file.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        broken,
        [(
            "runbooks/platform/manual/alerts.md",
            "link `nowhere.md` does not resolve to a file"
        )]
    );
    for i in &plan.items {
        let of = |code: &str| -> BTreeSet<String> {
            report
                .findings
                .iter()
                .filter(|f| f.file == i.dest && f.code == code)
                .map(|f| f.message.split('`').nth(1).unwrap().to_string())
                .collect()
        };
        assert_eq!(
            of("OB101"),
            i.missing_sections.iter().cloned().collect(),
            "{} missing",
            i.dest
        );
        assert_eq!(
            of("OB103"),
            i.empty_sections.iter().cloned().collect(),
            "{} empty",
            i.dest
        );
    }
    assert_eq!(
        item(&plan, "manual/dns.html.md.erb").empty_sections,
        ["Recovery"]
    );
    // Deprecated stubs point at active runbooks: no OB601/OB602.
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.code == "OB601" || f.code == "OB602"),
        "{:#?}",
        report.findings
    );
}

#[test]
fn category_is_obeyed_for_every_file() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    write(
        &src,
        &[
            (
                "security/leaked-key.md",
                "# Leaked key\n\nSee [auth](../auth/tokens.md) and [stuck](../orders/stuck.md).\n",
            ),
            ("auth/tokens.md", "# Tokens\n"),
            ("orders/stuck.md", "# Stuck orders\n"),
        ],
    );
    let into = t.path().join("ops");
    let with = adopt::plan(
        &src,
        &into,
        &Options {
            category: Some("execution".into()),
            ..Options::default()
        },
    )
    .unwrap();
    let cats: BTreeSet<(&str, &str)> = with
        .items
        .iter()
        .map(|i| (i.category.as_str(), i.dest.as_str()))
        .collect();
    assert_eq!(
        cats,
        [
            ("execution", "runbooks/execution/auth/tokens.md"),
            ("execution", "runbooks/execution/orders/stuck.md"),
            ("execution", "runbooks/execution/security/leaked-key.md"),
        ]
        .into_iter()
        .collect()
    );
    // Without --category the keyword decides, and links across categories
    // are rewritten.
    let without = adopt::plan(&src, &into, &Options::default()).unwrap();
    let leaked = item(&without, "security/leaked-key.md");
    assert_eq!(leaked.category, "security");
    assert!(
        leaked
            .content
            .contains("[auth](../auth/tokens.md) and [stuck](../../platform/orders/stuck.md)"),
        "{}",
        leaked.content
    );
    assert_eq!(item(&without, "orders/stuck.md").category, "platform");
}
