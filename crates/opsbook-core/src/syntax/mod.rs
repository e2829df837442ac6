//! Syntax: reading text as Windows writes it (UTF-8 with or without BOM,
//! UTF-16LE, CRLF) and the formats the SSOT is written in — YAML with
//! positions, Markdown structure and its heading anchors — and the serde
//! helpers that read a document leniently (`lenient`).

pub mod anchors;
pub(crate) mod lenient;
pub mod markdown;
pub mod text;
pub mod yaml;
