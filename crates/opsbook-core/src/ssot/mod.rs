//! The SSOT as a folder: discovery and loading ([`Ssot`], [`discover`]),
//! the layout that knows every path in it ([`layout`]), the embedded
//! starter content ([`scaffold`]) and the JSON Schema contracts its files
//! are checked against ([`contracts`]).

pub mod contracts;
pub mod layout;
mod load;
pub mod scaffold;

pub use load::*;
