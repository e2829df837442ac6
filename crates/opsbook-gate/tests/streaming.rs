//! The streaming gate (`check`, runbooks parsed, checked and released one by
//! one) and the whole-SSOT gate (`run` over `Ssot::load`) must report the
//! same findings.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use opsbook_core::contracts::Contracts;
use opsbook_core::ssot::Ssot;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn streaming_and_whole_loads_agree() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("ops");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ops"),
        &root,
    );
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
    let opts = opsbook_gate::Options {
        as_of: jiff::civil::date(2026, 11, 29),
        runbook_base: None,
        baseline: None,
    };
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
