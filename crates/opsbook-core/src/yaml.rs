//! YAML 1.2 loading into JSON values with source positions.
//!
//! Built on `saphyr-parser`'s event stream so that every value keeps its line
//! and column: JSON Schema errors (which speak in JSON pointers) can then be
//! reported at the YAML line that caused them. Plain scalars are resolved with
//! the YAML 1.2 core schema (so `2026-11-01` stays a string, `yes` is not a
//! boolean). Duplicate mapping keys are an error, aliases are expanded under a
//! node budget (no "billion laughs"), and multi-document streams are supported
//! for Prometheus rule files.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

/// Upper bound on the number of nodes a document may expand to through aliases.
pub const NODE_BUDGET: usize = 1_000_000;

/// A position in a YAML source: 1-based line and 1-based column (characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

/// A YAML syntax or structure error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Where the problem is (relative to the parsed string).
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
    /// Where the earlier definition is, for a duplicate key (relative to the
    /// parsed string, like `pos`).
    pub first: Option<Pos>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.pos.line, self.pos.col, self.message
        )?;
        if let Some(first) = self.first {
            write!(f, " (first defined at line {})", first.line)?;
        }
        Ok(())
    }
}

impl std::error::Error for YamlError {}

/// A compact position (4 + 4 bytes) for the tree; [`Pos`] is the public form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct P {
    line: u32,
    col: u32,
}

impl P {
    fn of(p: Pos) -> P {
        P {
            line: u32::try_from(p.line).unwrap_or(u32::MAX),
            col: u32::try_from(p.col).unwrap_or(u32::MAX),
        }
    }

    fn pos(self) -> Pos {
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
pub struct PosTree(Node);

#[derive(Debug, Clone, Default)]
enum Node {
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

fn unescape_segment(s: &str) -> String {
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

/// Parses a single-document YAML string.
///
/// An empty string gives a `null` document. More than one document is an error.
///
/// # Errors
/// [`YamlError`] on a syntax error, a duplicate key, a non-scalar key, an
/// unknown alias, a second document, or when aliases expand beyond [`NODE_BUDGET`].
pub fn parse(src: &str) -> Result<Document, YamlError> {
    let mut docs = parse_stream(src)?;
    match docs.len() {
        0 => Ok(Document {
            value: Value::Null,
            ..Document::default()
        }),
        1 => Ok(docs.remove(0)),
        _ => Err(YamlError {
            first: None,
            pos: docs[1].pos_of(""),
            message: "expected one YAML document, found a second one (`---`)".to_string(),
        }),
    }
}

/// Parses a YAML stream of any number of documents (`---` separated).
///
/// # Errors
/// As [`parse`], except that several documents are allowed.
pub fn parse_stream(src: &str) -> Result<Vec<Document>, YamlError> {
    let mut b = Builder {
        parser: Parser::new_from_str(src),
        budget: NODE_BUDGET,
        anchors: HashMap::new(),
    };
    let mut docs = Vec::new();
    loop {
        let (ev, span) = b.next()?;
        match ev {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                b.anchors.clear();
                let mut doc = Document::default();
                let (ev, span) = b.next()?;
                if matches!(ev, Event::DocumentEnd) {
                    doc.tree = PosTree::leaf(pos(&span));
                    docs.push(doc);
                    continue;
                }
                let (value, tree) = b.node(ev, span)?;
                doc.value = value;
                doc.tree = PosTree(tree);
                docs.push(doc);
            }
            other => {
                return Err(YamlError {
                    first: None,
                    pos: pos(&span),
                    message: format!("unexpected YAML event {other:?}"),
                });
            }
        }
    }
    Ok(docs)
}

fn pos(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    budget: usize,
    anchors: HashMap<usize, Value>,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(x)) => Ok(x),
            Some(Err(e)) => Err(YamlError {
                first: None,
                pos: Pos {
                    line: e.marker().line(),
                    col: e.marker().col() + 1,
                },
                message: e.info().to_string(),
            }),
            None => Err(YamlError {
                first: None,
                pos: Pos::default(),
                message: "unexpected end of YAML".to_string(),
            }),
        }
    }

    fn spend(&mut self, n: usize, span: &Span) -> Result<(), YamlError> {
        if n > self.budget {
            return Err(YamlError {
                first: None,
                pos: pos(span),
                message: format!("document expands to more than {NODE_BUDGET} nodes (alias bomb?)"),
            });
        }
        self.budget -= n;
        Ok(())
    }

    fn node(&mut self, ev: Event<'a>, span: Span) -> Result<(Value, Node), YamlError> {
        self.spend(1, &span)?;
        let here = pos(&span);
        match ev {
            Event::Scalar(v, style, anchor, tag) => {
                let value = resolve_scalar(&v, style, tag.as_deref());
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                Ok((value, Node::Leaf(P::of(here))))
            }
            Event::Alias(id) => {
                let Some(v) = self.anchors.get(&id).cloned() else {
                    return Err(YamlError {
                        first: None,
                        pos: here,
                        message: "alias refers to an unknown anchor".into(),
                    });
                };
                let n = count_nodes(&v);
                self.spend(n, &span)?;
                Ok((v, Node::Leaf(P::of(here))))
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                let mut trees = Vec::new();
                loop {
                    let (ev, sp) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    let (v, t) = self.node(ev, sp)?;
                    items.push(v);
                    trees.push(t);
                }
                let v = Value::Array(items);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok((v, Node::Seq(P::of(here), trees)))
            }
            Event::MappingStart(anchor, _) => {
                let mut map = Map::new();
                // In the object's key order (see `PosTree`).
                let mut entries: Vec<(P, Node)> = Vec::new();
                let mut merged: Vec<String> = Vec::new();
                loop {
                    let (kev, kspan) = self.next()?;
                    if matches!(kev, Event::MappingEnd) {
                        break;
                    }
                    let key = match kev {
                        Event::Scalar(k, style, _, tag) => {
                            match resolve_scalar(&k, style, tag.as_deref()) {
                                Value::String(s) => s,
                                Value::Null => "null".to_string(),
                                other => other.to_string(),
                            }
                        }
                        Event::Alias(id) => match self.anchors.get(&id) {
                            Some(Value::String(s)) => s.clone(),
                            _ => {
                                return Err(YamlError {
                                    first: None,
                                    pos: pos(&kspan),
                                    message: "mapping key must be a string scalar".into(),
                                });
                            }
                        },
                        _ => {
                            return Err(YamlError {
                                first: None,
                                pos: pos(&kspan),
                                message: "mapping key must be a scalar, not a list or mapping"
                                    .into(),
                            });
                        }
                    };
                    let kpos = P::of(pos(&kspan));
                    // Linear search only when the key is already there (rare).
                    let existing = if map.contains_key(&key) {
                        map.keys().position(|k| *k == key)
                    } else {
                        None
                    };
                    if let Some(idx) = existing
                        && !merged.contains(&key)
                    {
                        return Err(YamlError {
                            first: entries.get(idx).map(|(p, _)| p.pos()),
                            pos: pos(&kspan),
                            message: format!("duplicate key `{key}`"),
                        });
                    }
                    let (vev, vspan) = self.next()?;
                    let (v, t) = self.node(vev, vspan)?;
                    if key == "<<" {
                        // YAML 1.1 merge key: merge the mapping(s) without
                        // overriding; merged keys point at the `<<` entry.
                        let sources = match v {
                            Value::Array(a) => a,
                            other => vec![other],
                        };
                        for src in sources {
                            if let Value::Object(o) = src {
                                for (k, v) in o {
                                    if !map.contains_key(&k) {
                                        merged.push(k.clone());
                                        map.insert(k, v);
                                        entries.push((kpos, t.clone()));
                                    }
                                }
                            }
                        }
                        continue;
                    }
                    match existing {
                        // An explicit key overrides a merged one, in place.
                        Some(idx) => {
                            merged.retain(|m| *m != key);
                            if let Some(e) = entries.get_mut(idx) {
                                *e = (kpos, t);
                            }
                            map.insert(key, v);
                        }
                        None => {
                            entries.push((kpos, t));
                            map.insert(key, v);
                        }
                    }
                }
                let v = Value::Object(map);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok((v, Node::Map(P::of(here), entries)))
            }
            other => Err(YamlError {
                first: None,
                pos: here,
                message: format!("unexpected YAML event {other:?}"),
            }),
        }
    }
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(o) => 1 + o.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// Resolves a scalar with the YAML 1.2 core schema.
fn resolve_scalar(s: &str, style: ScalarStyle, tag: Option<&saphyr_parser::Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
            return match tag.suffix.as_str() {
                "str" => Value::String(s.to_string()),
                "null" => Value::Null,
                "bool" => parse_bool(s).map_or_else(|| Value::String(s.to_string()), Value::Bool),
                "int" | "float" => parse_number(s).unwrap_or_else(|| Value::String(s.to_string())),
                _ => Value::String(s.to_string()),
            };
        }
        return Value::String(s.to_string());
    }
    if style != ScalarStyle::Plain {
        return Value::String(s.to_string());
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        _ => {}
    }
    if let Some(b) = parse_bool(s) {
        return Value::Bool(b);
    }
    parse_number(s).unwrap_or_else(|| Value::String(s.to_string()))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn parse_number(s: &str) -> Option<Value> {
    let bytes = s.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16)
            .ok()
            .map(|n| Value::Number(n.into()));
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8)
            .ok()
            .map(|n| Value::Number(n.into()));
    }
    let int_like = s.trim_start_matches(['-', '+']);
    if !int_like.is_empty() && int_like.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = s.parse::<i64>() {
            return Some(Value::Number(n.into()));
        }
        if let Ok(n) = s.parse::<u64>() {
            return Some(Value::Number(n.into()));
        }
    }
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | ".nan" | ".NaN" | ".NAN" => {
            // JSON has no infinities: keep the text.
            return Some(Value::String(s.to_string()));
        }
        _ => {}
    }
    let float_re = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && s.bytes().any(|b| b.is_ascii_digit());
    if float_re && let Ok(f) = s.parse::<f64>() {
        return Number::from_f64(f).map(Value::Number);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn core_schema_and_positions() {
        let d = parse("a: 1\nb: [x, 2026-11-01, yes, true, ~]\nc:\n  d: 1.5\n").unwrap();
        assert_eq!(
            d.value,
            json!({"a": 1, "b": ["x", "2026-11-01", "yes", true, null], "c": {"d": 1.5}})
        );
        assert_eq!(d.pos_of("/c/d"), Pos { line: 4, col: 6 });
        assert_eq!(d.key_pos_of("/c"), Pos { line: 3, col: 1 });
        assert_eq!(d.pos_of("/b/1"), Pos { line: 2, col: 8 });
        assert_eq!(d.pos_of("/nope/deeper").line, 1);
    }

    #[test]
    fn duplicate_key_names_both_lines() {
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.pos.line, 3);
        assert!(
            e.message.contains("duplicate key `a`") && e.first.map(|p| p.line) == Some(1),
            "{}",
            e.message
        );
    }

    #[test]
    fn tabs_are_a_syntax_error_with_line() {
        let e = parse("a:\n\tb: 1\n").unwrap_err();
        assert_eq!(e.pos.line, 2, "{e}");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let e = parse(&s).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{e}");
    }

    #[test]
    fn merge_keys_and_overrides_keep_positions_aligned() {
        let d = parse("base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n  z: 4\n").unwrap();
        assert_eq!(
            d.value,
            json!({"base": {"x": 1, "y": 2}, "thing": {"x": 1, "y": 3, "z": 4}})
        );
        assert_eq!(d.pos_of("/thing/z"), Pos { line: 5, col: 6 });
        assert_eq!(d.key_pos_of("/thing/y"), Pos { line: 4, col: 3 });
        assert_eq!(
            d.key_pos_of("/thing/x").line,
            3,
            "a merged key points at `<<`"
        );
    }

    #[test]
    fn multi_document() {
        let docs = parse_stream("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].pos_of("/b").line, 3);
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
    }

    #[test]
    fn quoted_stays_string_and_empty_is_null() {
        assert_eq!(
            parse("a: '1'\nb: \"true\"\n").unwrap().value,
            json!({"a": "1", "b": "true"})
        );
        assert_eq!(parse("").unwrap().value, Value::Null);
    }
}
