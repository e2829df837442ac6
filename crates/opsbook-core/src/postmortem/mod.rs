//! Postmortems that are not a formality (D-LEARN; seed §3.3).
//!
//! `incidents/<ID>/postmortem.md` is Markdown with YAML front matter
//! (contract `postmortem`). Its action items are typed — `type` (runbook |
//! policy | test | monitoring | implementation), `target`, `owner`, `due`,
//! `status`, `done_ref` — and [`check_items`] rejects what would let an
//! incident end without an improvement: vague items ("be careful",
//! 「気をつける」…), targets that do not exist in the SSOT, done items
//! without a `done_ref`, and overdue open items (warning, then error).
//!
//! Where each part is: the front matter (`front_matter.rs`), vague phrases
//! (`vague.rs`), the item rules (`items.rs`), the first draft
//! (`draft.rs`), checking a file (`file.rs`).

mod draft;
mod file;
mod front_matter;
mod items;
#[cfg(test)]
mod tests;
mod vague;

pub use draft::*;
pub use file::*;
pub use front_matter::*;
pub use items::*;
pub use vague::*;
