//! The Python snippet of `docs/lease.md` runs as documented: against a
//! stand-in `opsbook` that prints what this library serialises for a real
//! acquire and renewal, it keeps the token, stops sending when a renewal is
//! refused, and its `TokenGate` refuses a lower token.

#![allow(clippy::unwrap_used)]

use std::path::Path;

fn block(doc: &str, lang: &str) -> String {
    let open = format!("```{lang}\n");
    let start = doc.find(&open).unwrap() + open.len();
    let end = start + doc[start..].find("\n```").unwrap();
    doc[start..end].to_string()
}

/// Unix only: the stand-in `opsbook` is a script run through its shebang.
#[cfg(unix)]
#[test]
fn the_python_snippet_keeps_the_token_and_stops_when_a_renewal_is_refused() {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    use opsbook_core::ledger::Actor;
    use opsbook_lease::{Leases, LocalStore, Timing};

    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_python_snippet_keeps_the_token_and_stops_when_a_renewal_is_refused: no python3"
        );
        return;
    }
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/lease.md"))
            .unwrap();
    let d = tempfile::tempdir().unwrap();
    // What the CLI prints: this library's JSON for a real grant and renewal.
    let l = Leases::new(
        Box::new(LocalStore::new(d.path())),
        d.path().join("lease.jsonl"),
        Actor {
            user: "op".into(),
            host: "trade-01".into(),
            name: None,
        },
        Timing::default(),
    );
    let a = l
        .acquire("order-gateway", "n1", Duration::from_secs(30))
        .unwrap();
    let r = l
        .renew("order-gateway", "n1", a.token, Duration::from_secs(30))
        .unwrap();
    std::fs::write(
        d.path().join("acquire.json"),
        serde_json::to_string(&a).unwrap(),
    )
    .unwrap();
    std::fs::write(
        d.path().join("renew.json"),
        serde_json::to_string(&r).unwrap(),
    )
    .unwrap();
    let fake = d.path().join("opsbook");
    std::fs::write(
        &fake,
        format!(
            r#"#!/usr/bin/env python3
import os, sys
d = {dir:?}
with open(os.path.join(d, "argv.log"), "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
verb = sys.argv[2]
if verb == "renew" and os.path.exists(os.path.join(d, "refuse")):
    sys.stderr.write("token 1 of holder n1 is stale for lease `order-gateway`\n")
    sys.exit(1)
sys.stdout.write(open(os.path.join(d, verb + ".json")).read())
"#,
            dir = d.path().display().to_string()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(d.path().join("fence.py"), block(&doc, "python")).unwrap();
    let driver = format!(
        r#"
import os, sys
sys.path.insert(0, {dir:?})
from fence import Fence, TokenGate
f = Fence("order-gateway", "n1", opsbook={fake:?})
assert not f.may_send()
lease = f.acquire()
assert f.token == 1 and f.may_send(), lease
assert f.client_order_id("abc") == "n1-1-abc"
assert len(f.client_order_id("x" * 40)) == 36
assert f.renew() and f.may_send()
open(os.path.join({dir:?}, "refuse"), "w").close()
assert not f.renew()
assert not f.may_send()
g = TokenGate(os.path.join({dir:?}, "highest"))
assert g.admit(2) and not g.admit(1) and g.admit(2) and g.admit(3)
assert not TokenGate(os.path.join({dir:?}, "highest")).admit(2)
print("OK")
"#,
        dir = d.path().display().to_string(),
        fake = fake.display().to_string()
    );
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg(driver)
        .output()
        .unwrap();
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "OK",
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let argv = std::fs::read_to_string(d.path().join("argv.log")).unwrap();
    let lines: Vec<&str> = argv.lines().collect();
    assert_eq!(
        lines,
        [
            "lease acquire order-gateway --holder n1 --ttl 30s --format json",
            "lease renew order-gateway --holder n1 --token 1 --ttl 30s --format json",
            "lease renew order-gateway --holder n1 --token 1 --ttl 30s --format json",
        ]
    );
}

#[test]
fn the_powershell_snippet_calls_the_same_commands_as_the_python_one() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/lease.md"))
            .unwrap();
    let ps = block(&doc, "powershell");
    assert!(ps.contains("& opsbook lease $Verb $Name --holder $Holder @Extra --format json"));
    assert!(ps.contains("-Verb acquire -Extra @('--ttl', $Ttl)"));
    assert!(ps.contains("-Verb renew -Extra @('--token', \"$script:Token\", '--ttl', $Ttl)"));
    assert!(ps.contains("$r.Lease.valid_for_ms / 1000"));
    // Balanced delimiters (no PowerShell parser in the workspace yet).
    for (o, c) in [('{', '}'), ('(', ')'), ('[', ']')] {
        assert_eq!(ps.matches(o).count(), ps.matches(c).count(), "{o}{c}");
    }
}
