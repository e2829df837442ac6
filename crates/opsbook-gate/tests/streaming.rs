//! The streaming gate (`check`, runbooks parsed, checked and released one by
//! one) and the whole-SSOT gate (`run` over `Ssot::load`) must report the
//! same findings.
#![allow(clippy::unwrap_used)]

mod common;

use opsbook_core::contracts::Contracts;
use opsbook_core::ssot::Ssot;

#[test]
fn streaming_and_whole_loads_agree() {
    let (_t, root) = common::example_ssot();
    let rb = root.join("runbooks/platform/time-drift.md");
    let text =
        std::fs::read_to_string(&rb)
            .unwrap()
            .replacen("## Backout / 切り戻し", "## Backout", 1);
    std::fs::write(&rb, text).unwrap();
    let rb = root.join("runbooks/execution/reconciliation.md");
    let text = std::fs::read_to_string(&rb).unwrap().replacen(
        "last_verified: null",
        "last_verified: 2026-01-01",
        1,
    );
    std::fs::write(&rb, text).unwrap();
    std::fs::write(
        root.join("runbooks/platform/stray.md"),
        "# no front matter\n",
    )
    .unwrap();

    let contracts = Contracts::load(Some(&root));
    let opts = common::options();
    let (_, streamed) = opsbook_gate::check(&root, &contracts, &opts).unwrap();
    let whole = opsbook_gate::run(&Ssot::load(&root).unwrap(), &contracts, &opts);
    assert_eq!(streamed.findings, whole.findings);
    assert_eq!(streamed.summary, whole.summary);
    // The other starter runbooks are drafts nobody verified yet (OB505).
    let codes: Vec<&str> = streamed
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .filter(|c| *c != "OB505")
        .collect();
    assert_eq!(
        codes,
        ["OB502", "OB006", "OB301", "OB102"],
        "{:#?}",
        streamed.findings
    );
}
