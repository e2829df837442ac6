//! Reads of the evidence custody ledger (`ledger/custody.jsonl`) that other
//! use cases need: what a bundle ID was sealed with (D-EVD-CUSTODY).

use opsbook_core::event::{self, CustodyEvent, custody::Sealed};
use opsbook_core::layout::LedgerFile;

use crate::{Context, OpsError};

/// The `sealed` record of bundle `id` (`EVB-…`) in this SSOT's custody
/// ledger: its SHA-256 (64 lowercase hex), size in bytes and manifest hash.
/// `None` when the ledger is absent or never sealed that ID.
///
/// # Errors
/// The custody ledger exists but cannot be read or its hash chain is broken.
pub fn sealed(ctx: &Context, id: &str) -> Result<Option<Sealed>, OpsError> {
    Ok(sealed_at(ctx, id)?.map(|s| s.record))
}

/// A bundle's `sealed` record with when it was written.
#[derive(Debug, Clone)]
pub struct SealedAt {
    /// The record.
    pub record: Sealed,
    /// When the custody ledger recorded the seal (RFC 3339 UTC, the event's `ts`).
    pub ts: String,
    /// The event's seq in `ledger/custody.jsonl`.
    pub seq: u64,
}

/// [`sealed`], with the time and seq of the `sealed` event (a bundle's
/// seal time, e.g. for `cause_mitigated`: sealed after MITIGATING).
///
/// # Errors
/// As [`sealed`].
pub fn sealed_at(ctx: &Context, id: &str) -> Result<Option<SealedAt>, OpsError> {
    let path = ctx.layout.ledger(LedgerFile::Custody);
    if !path.is_file() {
        return Ok(None);
    }
    Ok(event::read::<CustodyEvent>(&path)?
        .into_iter()
        .find_map(|(e, c)| match c {
            CustodyEvent::Sealed(s) if s.bundle_id == id => Some(SealedAt {
                record: s,
                ts: e.ts,
                seq: e.seq,
            }),
            _ => None,
        }))
}
