//! Embedded JSON Schema (draft 2020-12) contracts and their validation
//! (D-CONTRACTS).
//!
//! The contracts ship in `scaffold/contracts/` and are embedded in the binary;
//! an SSOT's own `contracts/` directory takes precedence so that a team can
//! tighten a contract. Which contract applies to which file is decided by
//! [`crate::ssot::FileKind::contract`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::ssot::scaffold;

/// A contract violation: where in the instance, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the validated instance (`""` for the root).
    pub pointer: String,
    /// The validator's message.
    pub message: String,
}

/// Why a contract could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractError {
    /// Contract name (file stem without `.schema.json`).
    pub name: String,
    /// Where it came from (`embedded` or a path).
    pub origin: String,
    /// What is wrong with it.
    pub message: String,
}

/// Embedded contracts as (file name, JSON text), sorted by name.
#[must_use]
pub fn embedded() -> Vec<(String, &'static str)> {
    scaffold::files()
        .into_iter()
        .filter_map(|(p, bytes)| {
            let name = p.strip_prefix("contracts/")?;
            if name.contains('/') || !name.ends_with(".schema.json") {
                return None;
            }
            Some((name.to_string(), std::str::from_utf8(bytes).ok()?))
        })
        .collect()
}

/// A set of compiled contracts, by name (`runbook`, `policy-severity`, …).
pub struct Contracts {
    validators: BTreeMap<String, jsonschema::Validator>,
    /// Contracts that failed to load.
    pub errors: Vec<ContractError>,
}

impl std::fmt::Debug for Contracts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contracts")
            .field("names", &self.validators.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::meta::validate(schema).map_err(|e| format!("not a valid JSON Schema: {e}"))?;
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

impl Contracts {
    /// Compiles the embedded contracts, then overlays `<root>/contracts/*.schema.json`
    /// when `root` is given. Unreadable or invalid SSOT contracts are listed in
    /// [`Contracts::errors`] and the embedded version is kept.
    #[must_use]
    pub fn load(root: Option<&Path>) -> Contracts {
        Contracts::load_filtered(root, &|_| true)
    }

    /// [`Contracts::load`] compiling only the named contracts (what one
    /// command needs: a policy read at 3 a.m. does not wait for twenty schemas).
    #[must_use]
    pub fn load_only(root: Option<&Path>, names: &[&str]) -> Contracts {
        Contracts::load_filtered(root, &|n| names.contains(&n))
    }

    fn load_filtered(root: Option<&Path>, wanted: &dyn Fn(&str) -> bool) -> Contracts {
        let mut c = Contracts {
            validators: BTreeMap::new(),
            errors: Vec::new(),
        };
        for (file, text) in embedded() {
            let name = file.trim_end_matches(".schema.json").to_string();
            if !wanted(&name) {
                continue;
            }
            match serde_json::from_str::<Value>(text)
                .map_err(|e| e.to_string())
                .and_then(|v| compile(&v))
            {
                Ok(v) => {
                    c.validators.insert(name, v);
                }
                Err(message) => c.errors.push(ContractError {
                    name,
                    origin: "embedded".into(),
                    message,
                }),
            }
        }
        if let Some(dir) = root.map(|r| r.join("contracts"))
            && let Ok(entries) = std::fs::read_dir(&dir)
        {
            let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                let Some(file) = p.file_name().and_then(|f| f.to_str()) else {
                    continue;
                };
                let Some(name) = file.strip_suffix(".schema.json") else {
                    continue;
                };
                if !wanted(name) {
                    continue;
                }
                let loaded = std::fs::read(&p)
                    .map_err(|e| e.to_string())
                    .and_then(|b| crate::syntax::text::decode(&b).map_err(|e| e.to_string()))
                    .and_then(|d| serde_json::from_str::<Value>(&d.text).map_err(|e| e.to_string()))
                    .and_then(|v| compile(&v));
                match loaded {
                    Ok(v) => {
                        c.validators.insert(name.to_string(), v);
                    }
                    Err(message) => c.errors.push(ContractError {
                        name: name.to_string(),
                        origin: format!("contracts/{file}"),
                        message,
                    }),
                }
            }
        }
        c
    }

    /// Whether a contract of that name exists.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    /// Contract names, sorted.
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.validators.keys().map(String::as_str).collect()
    }

    /// Validates an instance; `None` when there is no such contract.
    #[must_use]
    pub fn validate(&self, name: &str, instance: &Value) -> Option<Vec<Violation>> {
        let v = self.validators.get(name)?;
        // The fast path: most files are valid, and `is_valid` stops early.
        if v.is_valid(instance) {
            return Some(Vec::new());
        }
        Some(
            v.iter_errors(instance)
                .map(|e| Violation {
                    pointer: e.instance_path().as_str().to_string(),
                    message: e.to_string(),
                })
                .collect(),
        )
    }
}

/// Writes every embedded contract into `dir` (created if missing).
///
/// # Errors
/// Any I/O error creating the directory or writing a file.
pub fn export(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (file, text) in embedded() {
        crate::host::fsutil::write_atomic(&dir.join(&file), text.as_bytes())?;
        written.push(file);
    }
    Ok(written)
}
