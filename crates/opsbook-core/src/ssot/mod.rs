//! The SSOT as a folder: discovery and loading ([`Ssot`], [`discover`]),
//! what each file is ([`FileKind`]) and how it is read, the typed
//! `opsbook.toml` ([`Config`]) and runbook front matter ([`RunbookMeta`]),
//! the layout that knows every path in it ([`layout`]), the embedded
//! starter content ([`scaffold`]) and the JSON Schema contracts its files
//! are checked against ([`contracts`]).

mod config;
pub mod contracts;
mod kind;
pub mod layout;
mod load;
mod read;
mod runbook_meta;
pub mod scaffold;
mod source;

pub use config::*;
pub use kind::*;
pub use load::*;
pub use read::*;
pub use runbook_meta::*;
pub use source::*;
