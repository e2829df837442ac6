//! One file of the SSOT after loading ([`SourceFile`]: its parsed documents
//! with positions, its Markdown body), a runbook's typed front matter
//! ([`Runbook`]), and the problems loading met ([`Problem`]), each with file
//! and line.

use std::path::PathBuf;

use serde_json::Value;

use crate::ssot::FileKind;
use crate::ssot::runbook_meta::RunbookMeta;
use crate::syntax::markdown::Body;
use crate::syntax::yaml::{Document, Pos};

/// What kind of problem loading met. The gate maps each to a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// The file could not be read (permissions, vanished, …).
    Io,
    /// The directory walk failed (symlink loop, unreadable directory).
    Walk,
    /// The bytes are not text in a supported encoding.
    Decode,
    /// The file is over the size limit.
    TooLarge,
    /// The file is empty (or only whitespace).
    Empty,
    /// A runbook or postmortem without front matter.
    FrontMatterMissing,
    /// Front matter not closed, or not a mapping.
    FrontMatterInvalid,
    /// YAML syntax or structure error (incl. duplicate keys, tabs).
    Yaml,
    /// TOML syntax error.
    Toml,
    /// JSON syntax error.
    Json,
}

/// A problem met while loading, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The kind of problem.
    pub kind: ProblemKind,
    /// File path relative to the root, `/`-separated.
    pub file: String,
    /// 1-based line (1 when the whole file is concerned).
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A parsed YAML/JSON/TOML document inside a file.
#[derive(Debug, Clone)]
pub struct ParsedDoc {
    /// The document with node positions (relative to the document start).
    pub doc: Document,
    /// Line offset to add to document positions to get file lines.
    pub line_offset: usize,
}

impl ParsedDoc {
    /// The file position of a JSON pointer.
    #[must_use]
    pub fn pos(&self, pointer: &str) -> Pos {
        let p = self.doc.pos_of(pointer);
        Pos {
            line: p.line + self.line_offset,
            col: p.col,
        }
    }

    /// The file position of the key of a mapping entry.
    #[must_use]
    pub fn key_pos(&self, pointer: &str) -> Pos {
        let p = self.doc.key_pos_of(pointer);
        Pos {
            line: p.line + self.line_offset,
            col: p.col,
        }
    }
}

/// One file of the SSOT after loading.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the root, `/`-separated.
    pub rel: String,
    /// Absolute (or root-joined) path; empty for a runbook released by
    /// [`Ssot::load_streaming`] (use `root.join(rel)`).
    pub path: PathBuf,
    /// Kind by path.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Parsed documents: the front matter for Markdown, each document of a
    /// YAML stream, each line of a JSONL file.
    pub docs: Vec<ParsedDoc>,
    /// The Markdown body structure (runbooks, postmortems, specs, templates).
    pub body: Option<Box<Body>>,
    /// Whether parsing succeeded far enough for content checks.
    pub parsed: bool,
}

impl SourceFile {
    /// The first document (front matter or the YAML file itself).
    #[must_use]
    pub fn doc(&self) -> Option<&ParsedDoc> {
        self.docs.first()
    }

    /// The first document's value.
    #[must_use]
    pub fn value(&self) -> Option<&Value> {
        self.docs.first().map(|d| &d.doc.value)
    }
}

/// A runbook: its file index and its typed front matter.
#[derive(Debug, Clone)]
pub struct Runbook {
    /// Index into [`Ssot::files`].
    pub file: usize,
    /// Path relative to `runbooks/` (what the registry stores).
    pub registry_path: String,
    /// Typed front matter (empty when it did not parse). Boxed: a large
    /// SSOT holds one per runbook, moved several times while loading.
    pub meta: Box<RunbookMeta>,
    /// File positions of the front-matter fields that cross-file checks
    /// point at (`/runbook_id`, `/status`, `/replaced_by`, `/related/N`), kept
    /// when the parsed file itself is released by [`Ssot::load_streaming`].
    pub positions: Vec<(Box<str>, Pos)>,
}

impl Runbook {
    /// The file position of a front-matter pointer kept in [`Runbook::positions`]
    /// (line 1 when unknown).
    #[must_use]
    pub fn pos(&self, pointer: &str) -> Pos {
        self.positions
            .iter()
            .find(|(k, _)| &**k == pointer)
            .map_or(Pos { line: 1, col: 1 }, |(_, p)| *p)
    }
}

pub(crate) fn runbook_of(index: usize, f: &SourceFile) -> Runbook {
    let meta = Box::new(f.value().map(RunbookMeta::from_value).unwrap_or_default());
    let mut positions = Vec::new();
    if let Some(d) = f.doc() {
        let mut keep = vec![
            "/runbook_id".to_string(),
            "/status".to_string(),
            "/replaced_by".to_string(),
        ];
        keep.extend((0..meta.related.len()).map(|i| format!("/related/{i}")));
        for k in keep {
            let p = d.pos(&k);
            positions.push((k.into_boxed_str(), p));
        }
    }
    Runbook {
        file: index,
        registry_path: f
            .rel
            .strip_prefix("runbooks/")
            .unwrap_or(&f.rel)
            .to_string(),
        meta,
        positions,
    }
}
