//! Records of one block and how a row becomes one: the [`Build`] trait
//! every record kind implements, the per-row [`Ctx`], the [`Batch`] a block
//! yields, and where a record came from ([`Loc`]).

use crate::ids::{Arena, LocalNames, Names};
use crate::mapping::{Cells, Plan};

/// Where a record came from: the input's index on its side and the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Loc {
    /// Index of the input file on its side (0-based).
    pub file: u8,
    /// 1-based line of the row (of its first line, for a multi-line row).
    pub line: u64,
}

/// A row that could not be read, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reject {
    pub line: u64,
    pub message: String,
}

/// Records of one block, in file order.
#[derive(Debug)]
pub(crate) struct Batch<T> {
    pub items: Vec<T>,
    pub rejects: Vec<Reject>,
    /// (line, note) for rows read with a remark (unknown operation, …).
    pub notes: Vec<(u64, String)>,
    /// Data rows seen (kept, filtered out and rejected).
    pub rows: u64,
    /// Rows the profile's filter left out.
    pub filtered: u64,
    /// String IDs of the items.
    pub arena: Arena,
    /// Per-item annotations a parallel stage computes for the sequential one.
    pub aux: Vec<u64>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            items: Vec::new(),
            rejects: Vec::new(),
            notes: Vec::new(),
            rows: 0,
            filtered: 0,
            arena: Arena::default(),
            aux: Vec::new(),
        }
    }
}

/// Per-row context handed to a record builder.
pub(crate) struct Ctx<'a> {
    pub line: u64,
    pub names: &'a Names,
    pub local: &'a mut LocalNames,
    pub arena: &'a mut Arena,
    pub notes: &'a mut Vec<(u64, String)>,
    pub file: u8,
}

impl Ctx<'_> {
    /// Where the row is.
    pub fn loc(&self) -> Loc {
        Loc {
            file: self.file,
            line: self.line,
        }
    }
}

/// Turns one row into a record.
pub(crate) trait Build: Sync {
    type Out: Send;
    fn build<C: Cells>(&self, plan: &Plan, row: &C, ctx: &mut Ctx<'_>)
    -> Result<Self::Out, String>;
}

/// Why an input could not be streamed (the caller adds the path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamError {
    pub line: Option<u64>,
    pub message: String,
}

pub(crate) fn serr(line: Option<u64>, message: impl Into<String>) -> StreamError {
    StreamError {
        line,
        message: message.into(),
    }
}
