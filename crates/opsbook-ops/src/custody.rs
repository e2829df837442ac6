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
    let path = ctx.layout.ledger(LedgerFile::Custody);
    if !path.is_file() {
        return Ok(None);
    }
    Ok(event::read::<CustodyEvent>(&path)?
        .into_iter()
        .find_map(|(_, e)| match e {
            CustodyEvent::Sealed(s) if s.bundle_id == id => Some(s),
            _ => None,
        }))
}
