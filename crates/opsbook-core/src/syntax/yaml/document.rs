//! A parsed YAML document: its JSON value and the position of every node
//! and key, looked up by JSON pointer ([`Document::pos_of`]).

use std::collections::BTreeMap;

use super::*;
use serde_json::Value;

/// A compact position (4 + 4 bytes) for the tree; [`Pos`] is the public form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct P {
    line: u32,
    col: u32,
}

impl P {
    pub(crate) fn of(p: Pos) -> P {
        P {
            line: u32::try_from(p.line).unwrap_or(u32::MAX),
            col: u32::try_from(p.col).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn pos(self) -> Pos {
        Pos {
            line: self.line as usize,
            col: self.col as usize,
        }
    }
}

/// Where every node of a document starts, shaped like the document.
///
/// Kept as a tree rather than a map of JSON pointers so that loading builds
/// no pointer strings, and without key strings: a mapping's entries are in
/// the order of the keys of the JSON object (insertion order), so the key
/// is found in the value. [`Document::pos_of`] walks both on demand.
#[derive(Debug, Clone, Default)]
pub struct PosTree(pub(crate) Node);

#[derive(Debug, Clone, Default)]
pub(crate) enum Node {
    #[default]
    Empty,
    Leaf(P),
    Seq(P, Vec<Node>),
    /// Entries: (key position, value positions), in object key order.
    Map(P, Vec<(P, Node)>),
}

impl PosTree {
    /// A tree that knows only where the whole document starts.
    #[must_use]
    pub fn leaf(pos: Pos) -> PosTree {
        PosTree(Node::Leaf(P::of(pos)))
    }
}

impl Node {
    fn pos(&self) -> Option<Pos> {
        match self {
            Node::Empty => None,
            Node::Leaf(p) | Node::Seq(p, _) | Node::Map(p, _) => Some(p.pos()),
        }
    }

    fn collect(&self, out: &mut Vec<Pos>) {
        match self {
            Node::Empty => {}
            Node::Leaf(p) => out.push(p.pos()),
            Node::Seq(p, items) => {
                out.push(p.pos());
                items.iter().for_each(|i| i.collect(out));
            }
            Node::Map(p, entries) => {
                out.push(p.pos());
                for (kp, v) in entries {
                    out.push(kp.pos());
                    v.collect(out);
                }
            }
        }
    }
}

pub(crate) fn unescape_segment(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// One YAML document as JSON, with the position of every node.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The document as a JSON value (`null` for an empty document).
    pub value: Value,
    /// Node positions, shaped like the document.
    pub tree: PosTree,
    /// Extra positions by JSON pointer (`""`, `"/gate/levels"`), for
    /// documents not parsed from YAML (e.g. TOML); consulted first.
    pub positions: BTreeMap<String, Pos>,
    /// Extra key positions by JSON pointer of the mapping entry.
    pub key_positions: BTreeMap<String, Pos>,
}

impl Document {
    /// Walks the tree along a JSON pointer: (deepest node position reached,
    /// key position when the pointer ends exactly at a mapping entry).
    fn walk(&self, pointer: &str) -> (Option<Pos>, Option<Pos>) {
        let mut node = &self.tree.0;
        let mut value = &self.value;
        let mut best = node.pos();
        let mut key = None;
        for seg in pointer.split('/').skip(1) {
            let next = match (node, value) {
                (Node::Seq(_, items), Value::Array(vals)) => seg
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| Some((items.get(i)?, vals.get(i)?, None))),
                (Node::Map(_, entries), Value::Object(obj)) => {
                    let seg = unescape_segment(seg);
                    obj.keys().position(|k| *k == seg).and_then(|i| {
                        Some((
                            &entries.get(i)?.1,
                            obj.get(&seg)?,
                            Some(entries.get(i)?.0.pos()),
                        ))
                    })
                }
                _ => None,
            };
            match next {
                Some((n, v, kp)) => {
                    node = n;
                    value = v;
                    key = kp;
                    if let Some(p) = n.pos() {
                        best = Some(p);
                    }
                }
                None => return (best, None),
            }
        }
        (best, key)
    }

    /// The best position for a JSON pointer: the node itself, else its
    /// nearest ancestor that has one, else line 1.
    #[must_use]
    pub fn pos_of(&self, pointer: &str) -> Pos {
        if !self.positions.is_empty() {
            let mut p = pointer.to_string();
            loop {
                if let Some(pos) = self.positions.get(&p) {
                    return *pos;
                }
                match p.rfind('/') {
                    Some(i) => p.truncate(i),
                    None => break,
                }
            }
        }
        self.walk(pointer).0.unwrap_or(Pos { line: 1, col: 1 })
    }

    /// The position of the key of a mapping entry, falling back to [`Self::pos_of`].
    #[must_use]
    pub fn key_pos_of(&self, pointer: &str) -> Pos {
        if let Some(p) = self.key_positions.get(pointer) {
            return *p;
        }
        match self.walk(pointer) {
            (_, Some(k)) => k,
            _ => self.pos_of(pointer),
        }
    }

    /// Every recorded position (for tests and diagnostics).
    #[must_use]
    pub fn all_positions(&self) -> Vec<Pos> {
        let mut out: Vec<Pos> = self
            .positions
            .values()
            .chain(self.key_positions.values())
            .copied()
            .collect();
        self.tree.0.collect(&mut out);
        out
    }
}
