//! What an incident will need (OB009, OB010; D-GATE-SCHEMA, D-EVD-LIMITS,
//! issue 13 item 9): the policies the operations load at 3 a.m. are there
//! and load as the operations load them, and no secret key file sits in the
//! SSOT.

use opsbook_core::layout::{Layout, PolicyFile};
use opsbook_core::policy::{self, PolicyDoc, PolicyError, PolicyErrorKind};
use opsbook_core::ssot::FileKind;

use crate::Finding;
use crate::rules::context::Ctx;
use crate::rules::{Level, Rule};

/// `OB009` `policy-unusable`: a policy that incidents, safety, freeze or evidence need is missing or cannot be used.
pub const POLICY_UNUSABLE: &Rule = &Rule {
    code: "OB009",
    name: "policy-unusable",
    level: Level::Error,
    requirement: "D-GATE-SCHEMA",
    summary: "a policy that incidents, safety, freeze or evidence need is missing or cannot be used",
    doc: "## What it does
Loads each policy the operations load, exactly as they load it (the typed policy of `opsbook-core`): `policy/severity.yaml` (`opsbook incident open`, `halt`, `p0`), `policy/degraded.yaml` (`opsbook safety set`, `status`), `policy/safety-matrix.yaml` (`opsbook safety can`, `confirm`) and `policy/change-freeze.yaml` (`opsbook freeze`) must exist; `policy/evidence.yaml`, `policy/time.yaml` and `policy/failover.yaml` may be absent (built-in defaults) but when present must load. Reports a missing required file, and a file that parses but has a field of the wrong shape (YAML syntax is OB005, the contract OB201, an unreadable file OB001).

## Why is this bad?
The operation refuses to run without its policy (fail closed). Found by the gate, that is a pull request to fix; found during an incident, it is a P0 with no `incident open`, no `safety set` and no freeze.

## Example
An SSOT without `policy/degraded.yaml`: every `opsbook safety set` fails.

Use instead: restore the file (`opsbook init` writes the starter one), or fix the field the message names.",
};

/// `OB010` `secret-key-in-ssot`: a private or secret key file is inside the SSOT.
pub const SECRET_KEY_IN_SSOT: &Rule = &Rule {
    code: "OB010",
    name: "secret-key-in-ssot",
    level: Level::Error,
    requirement: "D-EVD-LIMITS",
    summary: "a private or secret key file is inside the SSOT",
    doc: "## What it does
Looks at every file of the SSOT (excluded ones too) for a private key: a PEM private key (`-----BEGIN … PRIVATE KEY-----`, OpenSSH included), a minisign secret key (the evidence signing key: `untrusted comment: minisign … secret key`), a PKCS#12 bundle (`.p12`, `.pfx`) or a file named like a private key (`id_rsa`, `id_ed25519`, `*.key`, `*.sec`). Public keys and certificates are fine.

## Why is this bad?
The SSOT is a git repository that every operator, CI runner and reviewer clones. A signing key inside it lets anyone sign forged evidence bundles that verify; an exchange or SSH key inside it is a leak (seed §5: 秘密情報はSSOTに置かない).

## Example
`keys/evidence.key` (minisign secret key) committed beside `keys/evidence.pub`.

Use instead: keep the key outside the SSOT (a protected path or the Windows certificate store) and point `signing.key_ref` of `policy/evidence.yaml` at it (`env:OPSBOOK_SIGNING_KEY`); commit only the `.pub`. Rotate a key that was ever committed.",
};

/// Which policies are needed, and whether their absence is a finding.
const NEEDED: &[(PolicyFile, bool)] = &[
    (PolicyFile::Severity, true),
    (PolicyFile::Degraded, true),
    (PolicyFile::SafetyMatrix, true),
    (PolicyFile::ChangeFreeze, true),
    (PolicyFile::Evidence, false),
    (PolicyFile::Time, false),
    (PolicyFile::Failover, false),
];

fn load(layout: &Layout, p: PolicyFile) -> Result<(), PolicyError> {
    fn one<T: PolicyDoc>(l: &Layout) -> Result<(), PolicyError> {
        policy::load::<T>(l).map(|_| ())
    }
    match p {
        PolicyFile::Severity => one::<policy::Severity>(layout),
        PolicyFile::Degraded => one::<policy::Degraded>(layout),
        PolicyFile::SafetyMatrix => one::<policy::SafetyMatrix>(layout),
        PolicyFile::ChangeFreeze => one::<policy::ChangeFreeze>(layout),
        PolicyFile::Evidence => one::<policy::Evidence>(layout),
        PolicyFile::Time => one::<policy::Time>(layout),
        PolicyFile::Failover => one::<policy::Failover>(layout),
        PolicyFile::Notification => one::<policy::Notification>(layout),
        PolicyFile::AlertNoise => one::<policy::AlertNoise>(layout),
    }
}

/// What needs the policy, for the message.
fn needed_by(p: PolicyFile) -> &'static str {
    match p {
        PolicyFile::Severity => "`opsbook incident open`, `halt` and `p0`",
        PolicyFile::Degraded => "`opsbook safety set` and `safety status`",
        PolicyFile::SafetyMatrix => "`opsbook safety can` and `confirm`",
        PolicyFile::ChangeFreeze => "`opsbook freeze`",
        PolicyFile::Evidence => "`opsbook evidence collect`",
        PolicyFile::Time => "`opsbook time check`",
        PolicyFile::Failover => "`opsbook failover`",
        PolicyFile::Notification | PolicyFile::AlertNoise => "opsbook",
    }
}

/// OB009: every policy an operation needs loads as the operation loads it.
pub fn needed_policies(cx: &mut Ctx<'_>) {
    let layout = Layout::new(&cx.ssot.root);
    let mut found = Vec::new();
    for &(p, required) in NEEDED {
        let Err(e) = load(&layout, p) else { continue };
        let (line, message, help) = match e.kind {
            PolicyErrorKind::Missing if required => (
                0,
                format!("missing: {} refuse to run without it", needed_by(p)),
                format!(
                    "restore `{}` (the starter one: `opsbook init DIR`, then copy it over)",
                    p.rel()
                ),
            ),
            PolicyErrorKind::Shape => (
                e.line,
                format!("{} refuse to use it: {}", needed_by(p), e.message),
                "fix the field the message names".to_string(),
            ),
            // Absent optional policies have defaults; syntax, contract and
            // unreadable files are OB005, OB201 and OB001.
            _ => continue,
        };
        // A field of the wrong shape is the YAML token at its position; a
        // missing file has no span.
        let extent = if line > 0 {
            crate::span::Extent::Token
        } else {
            crate::span::Extent::Known
        };
        found.push(
            Finding::new(
                POLICY_UNUSABLE,
                &p.rel(),
                line.max(1),
                e.col.max(1),
                message,
                help,
            )
            .covering(extent),
        );
    }
    cx.out.extend(found);
}

/// Whether a file's name or first bytes say it is a private key.
fn key_kind(name: &str, head: &[u8]) -> Option<&'static str> {
    let head = String::from_utf8_lossy(head);
    if head.contains("-----BEGIN") && head.contains("PRIVATE KEY-----") {
        return Some("a PEM private key");
    }
    if head.starts_with("untrusted comment:")
        && head
            .lines()
            .next()
            .is_some_and(|l| l.contains("secret key"))
    {
        return Some("a minisign secret key");
    }
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e);
    if matches!(ext, Some("p12" | "pfx")) {
        return Some("a PKCS#12 key bundle");
    }
    if matches!(
        lower.as_str(),
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519"
    ) || matches!(ext, Some("key" | "sec"))
    {
        return Some("a file named like a private key");
    }
    None
}

/// OB010: no private or secret key file inside the SSOT.
pub fn secret_keys(cx: &mut Ctx<'_>) {
    use std::io::Read;
    let mut found = Vec::new();
    for f in &cx.ssot.files {
        // Ledgers are the ledger checks'; a key is never one.
        if matches!(f.kind, FileKind::Ledger | FileKind::IncidentEvents) {
            continue;
        }
        let path = if f.path.as_os_str().is_empty() {
            cx.ssot.root.join(&f.rel)
        } else {
            f.path.clone()
        };
        let mut head = Vec::with_capacity(512);
        if let Ok(file) = std::fs::File::open(&path) {
            let _ = file.take(512).read_to_end(&mut head);
        }
        let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
        if let Some(what) = key_kind(name, &head) {
            found.push(Finding::new(
                SECRET_KEY_IN_SSOT,
                &f.rel,
                1,
                1,
                format!("{what} is inside the SSOT"),
                "move it out of the SSOT (and out of git history), rotate it, and point the policy's key_ref at its new place (e.g. `env:OPSBOOK_SIGNING_KEY`); commit only public keys".into(),
            ));
        }
    }
    cx.out.extend(found);
}
