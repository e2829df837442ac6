//! One line of a ledger: the [`Event`] (`{seq, ts, actor, type, data,
//! prev_hash, hash}`), who wrote it ([`Actor`]), its hash (SHA-256 of the
//! RFC 8785 canonical form without `hash`: [`hash_of`]) and its time format
//! (UTC RFC 3339 with milliseconds: [`format_ts`]).

use super::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;

/// Who wrote an event: the OS user and host, and optionally a configured name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// OS user (`%USERNAME%` on Windows, `$USER` elsewhere).
    pub user: String,
    /// Host name (`%COMPUTERNAME%` on Windows, `$HOSTNAME` or the system's elsewhere).
    pub host: String,
    /// A configured display name (e.g. the incident commander's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Actor {
    /// The current OS user and host, with an optional display name.
    #[must_use]
    pub fn current(name: Option<String>) -> Actor {
        let env = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        };
        let host = env(&["COMPUTERNAME", "HOSTNAME"])
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
            })
            .unwrap_or_else(|| "unknown-host".to_string());
        Actor {
            user: env(&["USERNAME", "USER", "LOGNAME"])
                .unwrap_or_else(|| "unknown-user".to_string()),
            host,
            name,
        }
    }
}

/// One ledger event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// UTC RFC 3339 with milliseconds, e.g. `2026-11-29T23:08:50.123Z`.
    pub ts: String,
    /// Who wrote it.
    pub actor: Actor,
    /// Event type (`opened`, `decision`, `safety_set`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Type-specific payload.
    pub data: Value,
    /// The previous event's hash; `None` for `seq` 1.
    pub prev_hash: Option<String>,
    /// SHA-256 hex of the JCS encoding of this event without `hash`.
    pub hash: String,
}

/// The hash of an event value (its `hash` member, if any, is ignored).
///
/// # Errors
/// [`LedgerError::Encode`] if the value cannot be canonicalised.
pub fn hash_of(event: &Value) -> Result<String, LedgerError> {
    let mut v = event.clone();
    if let Value::Object(o) = &mut v {
        o.remove("hash");
    }
    let bytes = serde_jcs::to_vec(&v).map_err(|e| LedgerError::Encode(e.to_string()))?;
    Ok(sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// UTC RFC 3339 with milliseconds.
#[must_use]
pub fn format_ts(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
