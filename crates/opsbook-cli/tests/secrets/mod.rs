//! No planted secret reaches a ledger or a postmortem (issue 13 item 2):
//! an AWS key ID, a Bearer token, a PostgreSQL URL with its password and an
//! `X-MBX-APIKEY` header typed into every free text of an incident (title,
//! reason, notes, decisions, an attached URL, a safety reason, the hook's
//! output, a freeze reason, drill notes, the postmortem's author) are stored
//! as `[REDACTED:<class>]`; the commands warn; the gate stays clean.

use std::path::Path;

use super::{at, init_ssot, ok};

const AWS: &str = "AKIAIOSFODNN7EXAMPLE";
const BEARER_SECRET: &str = "eyJhbGciOiJIUzI1NiJ9abcdefghijklmnop";
const PG_PASSWORD: &str = "S3cretPassw0rd";
const MBX: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn no_planted_secret_is_in_any_ledger_or_postmortem() {
    let (_t, dir) = init_ssot();
    let pg = format!("postgres://trader:{PG_PASSWORD}@db.internal:5432/orders");
    let mut toml = std::fs::read_to_string(dir.join("opsbook.toml")).unwrap();
    toml.push_str(&format!(
        "\n[safety.hooks.SAFE_MODE]\ncommand = [\"sh\", \"-c\", \"echo 'X-MBX-APIKEY: {MBX}'; echo 'Authorization: Bearer {BEARER_SECRET}' >&2\"]\ntimeout_seconds = 20\n"
    ));
    std::fs::write(dir.join("opsbook.toml"), toml).unwrap();

    let t0 = "2026-11-29T03:10:00Z";
    let title = format!("API key {AWS} leaked in the gateway log");
    let reason = format!("seen with {pg}");
    let (code, id, err) = at(
        &dir,
        t0,
        &[
            "incident",
            "open",
            "--title",
            &title,
            "--severity",
            "P1",
            "--reason",
            &reason,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("[REDACTED:aws_access_key_id]"),
        "no warning: {err}"
    );
    // Nor is the title echoed back in clear (a first-time user saw it).
    assert!(
        !err.contains(AWS) && !id.contains(AWS),
        "the secret is echoed: {err}"
    );
    assert!(
        err.contains("opened INC-") && err.contains("API key [REDACTED:aws_access_key_id] leaked"),
        "{err}"
    );
    let id = id.trim().to_string();
    ok(&dir, "2026-11-29T03:11:00Z", &["incident", "ack", &id]);
    let note = format!("curl -H 'X-MBX-APIKEY: {MBX}' -H 'Authorization: Bearer {BEARER_SECRET}'");
    let (code, _, err) = at(
        &dir,
        "2026-11-29T03:12:00Z",
        &["incident", "log", &id, &note],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("REDACTED"), "no warning: {err}");
    ok(
        &dir,
        "2026-11-29T03:13:00Z",
        &[
            "incident",
            "decide",
            &id,
            "--decision",
            &format!("rotate {AWS}"),
            "--reason",
            &reason,
        ],
    );
    ok(
        &dir,
        "2026-11-29T03:14:00Z",
        &[
            "incident",
            "attach",
            &id,
            &format!("https://ops:{PG_PASSWORD}@grafana.internal/d/abc"),
            "--sha256",
            &"ab".repeat(32),
        ],
    );
    ok(
        &dir,
        "2026-11-29T03:15:00Z",
        &[
            "safety",
            "set",
            "SAFE_MODE",
            "--reason",
            &format!("key {AWS} leaked"),
            "--incident",
            &id,
        ],
    );
    ok(
        &dir,
        "2026-11-29T03:16:00Z",
        &["freeze", "on", "--reason", &format!("leak of {pg}")],
    );
    ok(
        &dir,
        "2026-11-29T03:17:00Z",
        &["postmortem", "new", &id, "--actor", &format!("ops {AWS}")],
    );
    ok(
        &dir,
        "2026-11-29T04:00:00Z",
        &[
            "drill",
            "record",
            "DR-HALT-EVIDENCE",
            "--result",
            "pass",
            "--evidence",
            "opsbook.toml",
            "--notes",
            &format!("spool at {pg}"),
        ],
    );

    let mut seen = 0;
    for root in ["ledger", "incidents"] {
        for p in files_under(&dir.join(root)) {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            for s in [AWS, BEARER_SECRET, PG_PASSWORD, MBX] {
                assert!(!text.contains(s), "{} holds `{s}`:\n{text}", p.display());
            }
            seen += 1;
        }
    }
    assert!(seen >= 5, "{seen} files");
    let events = std::fs::read_to_string(dir.join(format!("incidents/{id}/events.jsonl"))).unwrap();
    assert!(
        events.contains("API key [REDACTED:aws_access_key_id] leaked in the gateway log"),
        "{events}"
    );
    let safety = std::fs::read_to_string(dir.join("ledger/safety.jsonl")).unwrap();
    assert!(safety.contains("X-MBX-APIKEY: [REDACTED:"), "{safety}");
    // What opsbook stored rescans clean.
    let (_, out, err) = at(&dir, "2026-11-29T05:00:00Z", &["gate", "--format", "json"]);
    assert!(!out.contains("OB811"), "{out}{err}");
}
