//! Whose spool (issue 13 item 8, D-EVD-SPOOL): the SSOT a bundle belongs
//! to (its identity, written to every manifest), the default spool of one
//! SSOT, and which spooled bundles a flush of this SSOT may deliver — never
//! another SSOT's, whose custody belongs in that SSOT's ledger.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use opsbook_core::policy::Evidence;
use opsbook_evidence::deliver;
use serde::Serialize;
use serde_json::{Value, json};

use crate::Context;

/// The variable that names one spool directory for every SSOT (as given).
pub const SPOOL_ENV: &str = "OPSBOOK_SPOOL";

/// Who an SSOT is, as a bundle's manifest records it (`ssot`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SsotIdentity {
    /// `[project] name` of `opsbook.toml` (the root's folder name without one).
    pub name: String,
    /// The root, absolute.
    pub root: String,
    /// The first 16 hex digits of the SHA-256 of the canonical root path:
    /// two SSOTs on one host never share it, whatever their names.
    pub id: String,
}

impl SsotIdentity {
    /// The SSOT of `ctx`.
    #[must_use]
    pub fn of(ctx: &Context) -> SsotIdentity {
        let root = ctx.layout.root();
        let abs = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let canon = std::fs::canonicalize(root).unwrap_or_else(|_| abs.clone());
        let digest = opsbook_evidence::bundle::sha256_hex(canon.to_string_lossy().as_bytes());
        let name = ctx
            .config()
            .ok()
            .and_then(|c| c.project_name)
            .filter(|n| !n.trim().is_empty())
            .or_else(|| abs.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "ssot".into());
        SsotIdentity {
            name,
            root: abs.display().to_string(),
            id: digest[..16].to_string(),
        }
    }

    /// The folder of this SSOT's spool under a shared base:
    /// `<name as a slug>-<id>` (`example-trading-ops-3f2a…`).
    #[must_use]
    pub fn folder(&self) -> String {
        format!("{}-{}", opsbook_core::required::slug(&self.name), self.id)
    }

    /// As written to a manifest.
    #[must_use]
    pub fn to_value(&self) -> Value {
        json!({"name": self.name, "root": self.root, "id": self.id})
    }
}

/// Where this SSOT's bundles wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spool {
    /// The directory new bundles are spooled to and flushed from.
    pub dir: PathBuf,
    /// The shared directory that was every SSOT's default spool before
    /// spools were per SSOT (bundles there are looked at by a flush):
    /// `None` when the spool was given (`--spool`, `OPSBOOK_SPOOL`).
    pub legacy: Option<PathBuf>,
}

/// This SSOT's spool: `arg` when given, else `OPSBOOK_SPOOL` (both exactly
/// as given, possibly shared: a flush delivers only this SSOT's bundles
/// from them), else `<base>/<name>-<id>` under the policy's `spool.path`
/// or the platform default (`%ProgramData%\opsbook\spool`,
/// `$XDG_DATA_HOME/opsbook/spool`): one spool per SSOT.
#[must_use]
pub fn spool(ctx: &Context, arg: Option<&Path>, policy: Option<&Evidence>) -> Spool {
    if let Some(a) = arg {
        return Spool {
            dir: a.to_path_buf(),
            legacy: None,
        };
    }
    if let Some(e) = std::env::var_os(SPOOL_ENV).filter(|v| !v.is_empty()) {
        return Spool {
            dir: PathBuf::from(e),
            legacy: None,
        };
    }
    let base = deliver::spool_dir(policy.and_then(|p| p.spool.path.as_deref()));
    Spool {
        dir: base.join(SsotIdentity::of(ctx).folder()),
        legacy: Some(base),
    }
}

/// A spooled bundle a flush of this SSOT leaves alone, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// `EVB-…`.
    pub bundle_id: String,
    /// The ZIP.
    pub path: String,
    /// Why it is not this SSOT's to deliver.
    pub why: String,
    /// The SSOT its manifest names (root), when it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssot_root: Option<String>,
}

/// Whether a spooled bundle is this SSOT's to deliver.
pub(crate) enum Owner {
    /// Deliver it.
    Ours,
    /// Leave it: another SSOT's, or nobody's provably.
    Not(Skipped),
}

/// The `ssot` object of the manifest inside `zip`; `Ok(None)` when the
/// manifest has none (sealed by an opsbook before issue 13).
fn manifest_ssot(zip: &Path) -> Result<Option<Value>, String> {
    let f = std::fs::File::open(zip).map_err(|e| format!("cannot be read: {e}"))?;
    let mut a = zip::ZipArchive::new(f).map_err(|e| format!("not a readable ZIP: {e}"))?;
    let mut s = String::new();
    a.by_name("manifest.json")
        .map_err(|e| format!("no manifest.json: {e}"))?
        .read_to_string(&mut s)
        .map_err(|e| format!("manifest.json cannot be read: {e}"))?;
    let m: Value =
        serde_json::from_str(&s).map_err(|e| format!("manifest.json is not JSON: {e}"))?;
    Ok(m.get("ssot").filter(|v| !v.is_null()).cloned())
}

/// Whose bundle `(id, zip, sha)` is. This SSOT's when its manifest names
/// this SSOT; when the manifest names none (an older opsbook), or names a
/// root that is no SSOT any more (this SSOT was moved), only when this
/// SSOT's custody ledger recorded sealing exactly it (`sealed`: bundle ID
/// and SHA-256). Anything else is left where it is, with the command that
/// delivers it from its own SSOT.
pub(crate) fn owner(
    ours: &SsotIdentity,
    sealed: &BTreeSet<(String, String)>,
    id: &str,
    zip: &Path,
    sha: &str,
) -> Owner {
    let spool_dir = zip.parent().unwrap_or(Path::new("."));
    let sealed_here = sealed.contains(&(id.to_string(), sha.to_string()));
    let skip = |why: String, root: Option<String>| {
        Owner::Not(Skipped {
            bundle_id: id.into(),
            path: zip.display().to_string(),
            why,
            ssot_root: root,
        })
    };
    match manifest_ssot(zip) {
        Err(e) => skip(format!("its {e}: left in the spool"), None),
        Ok(Some(m)) if m["id"].as_str() == Some(ours.id.as_str()) => Owner::Ours,
        Ok(Some(m)) => {
            let root = m["root"].as_str().unwrap_or("").to_string();
            let moved = !Path::new(&root).join("opsbook.toml").is_file();
            if moved && sealed_here {
                return Owner::Ours;
            }
            let name = m["name"].as_str().unwrap_or("?");
            // A manifest's root is scrubbed like every other string in it
            // (a Windows user name becomes `[REDACTED:…]`): such a root is
            // no path to type, so the hint runs from inside that SSOT.
            let why = if root.contains("[REDACTED") {
                format!(
                    "belongs to the SSOT `{name}` at {root} (its manifest says so; the user name is redacted there); deliver it from inside that SSOT: opsbook evidence flush --spool \"{}\"",
                    spool_dir.display()
                )
            } else {
                format!(
                    "belongs to the SSOT `{name}` at {root} (its manifest says so); deliver it from there: opsbook evidence flush --root \"{root}\" --spool \"{}\"",
                    spool_dir.display()
                )
            };
            skip(why, Some(root))
        }
        Ok(None) if sealed_here => Owner::Ours,
        Ok(None) => skip(
            format!(
                "its manifest names no SSOT (sealed by an older opsbook) and this SSOT's custody ledger did not seal it; run inside the SSOT that collected it: opsbook evidence flush --spool \"{}\"",
                spool_dir.display()
            ),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    /// A spooled ZIP whose manifest names `ssot`.
    fn bundle(dir: &Path, ssot: &Value) -> PathBuf {
        let p = dir.join("EVB-20261207-0310-ab12.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        w.start_file("manifest.json", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(json!({ "ssot": ssot }).to_string().as_bytes())
            .unwrap();
        w.finish().unwrap();
        p
    }

    fn ours() -> SsotIdentity {
        SsotIdentity {
            name: "b".into(),
            root: "/srv/b".into(),
            id: "00000000000000bb".into(),
        }
    }

    fn why(o: Owner) -> Skipped {
        match o {
            Owner::Ours => panic!("delivered another SSOT's bundle"),
            Owner::Not(s) => s,
        }
    }

    #[test]
    fn another_ssots_bundle_names_the_command_that_delivers_it() {
        let t = tempfile::tempdir().unwrap();
        let other = t.path().join("a");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("opsbook.toml"), "").unwrap();
        let root = other.display().to_string();
        let zip = bundle(
            t.path(),
            &json!({"name": "a", "root": root, "id": "00000000000000aa"}),
        );
        let s = why(owner(&ours(), &BTreeSet::new(), "EVB-1", &zip, "x"));
        assert_eq!(s.ssot_root.as_deref(), Some(root.as_str()));
        assert!(
            s.why.ends_with(&format!(
                "deliver it from there: opsbook evidence flush --root \"{root}\" --spool \"{}\"",
                t.path().display()
            )),
            "{}",
            s.why
        );
    }

    #[test]
    fn a_redacted_root_is_not_offered_as_a_path_to_type() {
        // What a manifest sealed under C:\Users\NAME holds: no path.
        let t = tempfile::tempdir().unwrap();
        let root = r"C:\Users\[REDACTED:windows_user_path]\ops";
        let zip = bundle(
            t.path(),
            &json!({"name": "ops", "root": root, "id": "00000000000000aa"}),
        );
        let s = why(owner(&ours(), &BTreeSet::new(), "EVB-1", &zip, "x"));
        assert!(!s.why.contains("--root"), "{}", s.why);
        assert!(
            s.why.ends_with(&format!(
                "the user name is redacted there); deliver it from inside that SSOT: opsbook evidence flush --spool \"{}\"",
                t.path().display()
            )),
            "{}",
            s.why
        );
    }
}
