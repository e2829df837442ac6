//! Every fenced block of a runbook: steps against their declared tier,
//! fences that never run, and the starter runbooks as they are today.

use std::path::Path;

use opsbook_classify::{Shell, Tier, classify_runbook};

const RB: &str = "---\nrunbook_id: RB-X\n---\n# X\n\n## Triage\n\n```powershell {step=1 tier=T0}\nGet-Service w32time\n```\n\n```powershell {step=2 tier=T0}\nGet-Date\nStop-Service w32time\n```\n\n```\nuntagged\n```\n\n```console\nPS> Remove-Item x\n```\n\n```bash {step=3 tier=T2 op=wipe}\nrm -rf /tmp/x\n```\n\n```text\nnot code\n```\n";

#[test]
fn steps_and_fences() {
    let r = classify_runbook(RB).expect("front matter closes");
    assert_eq!(r.steps.len(), 3);
    assert_eq!(r.tier, Tier::T2);
    let s1 = &r.steps[0];
    assert_eq!(
        (
            s1.line,
            s1.code_line,
            s1.step.as_deref(),
            s1.declared,
            s1.classification.tier
        ),
        (8, 9, Some("1"), Some(Tier::T0), Tier::T0)
    );
    assert!(!s1.declared_below_computed);
    let s2 = &r.steps[1];
    assert_eq!(
        (s2.declared, s2.classification.tier),
        (Some(Tier::T0), Tier::T1)
    );
    assert!(s2.declared_below_computed);
    // The forcing command is on file line 14 (the fence is line 12).
    assert_eq!(s2.forced_by_line, Some(14));
    assert_eq!(
        s2.classification
            .forced_by
            .as_ref()
            .map(|f| f.command.as_str()),
        Some("Stop-Service w32time")
    );
    let s3 = &r.steps[2];
    assert_eq!(
        (s3.shell, s3.op.as_deref(), s3.declared_below_computed),
        (Shell::Bash, Some("wipe"), false)
    );
    let langs: Vec<&str> = r.not_steps.iter().map(|f| f.lang.as_str()).collect();
    assert_eq!(langs, ["", "console", "text"]);
    assert!(r.not_steps[0].reason.contains("never executed"));
    let json = serde_json::to_value(&r.steps[1].classification).expect("serialises");
    assert_eq!(json["tier"], "T1");
    assert_eq!(json["forced_by"]["rule"], "cmdlet:Stop-Service");
    assert_eq!(json["forced_by"]["line"], 2);
    assert!(
        json["reason"]
            .as_str()
            .is_some_and(|s| s.contains("Stop-Service"))
    );
}

#[test]
fn unterminated_front_matter_is_an_error() {
    assert!(classify_runbook("---\na: 1\n").is_err());
}

/// The starter runbooks as shipped: every step classifies, and the steps
/// declared below their computed tier are exactly these (for issue 14 item
/// 4, which retags them): Export-Csv to a temp file is a write, and a POST
/// to a cancel endpoint is T2.
#[test]
fn starter_runbooks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scaffold/runbooks");
    let mut below = Vec::new();
    let mut steps = 0;
    for e in walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
    {
        let text = std::fs::read_to_string(e.path()).expect("read");
        let r = classify_runbook(&text).expect("front matter");
        for s in &r.steps {
            steps += 1;
            assert!(
                !s.classification
                    .commands
                    .iter()
                    .any(|c| c.rule.contains("parse-error")),
                "{}:{} does not parse",
                e.path().display(),
                s.line
            );
            if s.declared_below_computed {
                let name = e
                    .path()
                    .strip_prefix(&root)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                below.push(format!(
                    "{name} step {} {:?}<{:?} {}",
                    s.step.as_deref().unwrap_or("?"),
                    s.declared.unwrap_or(Tier::T0),
                    s.classification.tier,
                    s.classification
                        .forced_by
                        .as_ref()
                        .map_or("", |f| f.rule.as_str())
                ));
            }
        }
    }
    below.sort();
    assert!(steps > 80, "{steps} steps");
    assert_eq!(
        below,
        [
            "execution/reconciliation.md step 4 T0<T1 cmdlet:Export-Csv",
            "execution/reconciliation.md step 6 T1<T2 http:endpoint:cancel",
            "quick/halt-and-evidence.md step 4 T1<T2 http:endpoint:cancel",
        ]
    );
}
