//! The append-only, hash-chained ledger (D-INC-LEDGER, D-EVD-BUNDLE).
//!
//! One JSON object per line (JSON Lines): `{seq, ts, actor, type, data,
//! prev_hash, hash}`. `seq` counts from 1; `ts` is UTC RFC 3339 with
//! milliseconds; `prev_hash` is the previous event's `hash` (`null` for the
//! first); `hash` is the SHA-256 (lower-case hex) of the RFC 8785 (JCS)
//! canonical encoding of the event without `hash`. Any edited, removed,
//! reordered or foreign line breaks the chain at that line.
//!
//! Appends take a cross-process lock on a sidecar file (`<log>.lock`: on
//! Windows a locked byte range cannot be read by others, so the log itself is
//! never locked), write one line and `fsync` it. A crash can leave at most a
//! torn last line; [`verify`] names it and [`repair`] sets it aside in
//! `<log>.torn`, records that as a new event, and never drops a complete
//! event. Corrections are new events (`type: correction`, `data.supersedes`),
//! never edits.
//!
//! Where each part is: one line and its hash (`line.rs`), appending under
//! the lock (`append.rs`), reading (`read.rs`), verifying the chain
//! (`verify.rs`), repairs (`repair.rs`), errors (`error.rs`).

mod append;
mod error;
mod line;
mod read;
mod repair;
#[cfg(test)]
mod tests;
mod verify;

pub use append::*;
pub use error::*;
pub use line::*;
pub use read::*;
pub use repair::*;
pub use verify::*;
