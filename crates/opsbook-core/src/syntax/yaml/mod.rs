//! YAML 1.2 loading into JSON values with source positions.
//!
//! Built on `saphyr-parser`'s event stream so that every value keeps its line
//! and column: JSON Schema errors (which speak in JSON pointers) can then be
//! reported at the YAML line that caused them. Plain scalars are resolved with
//! the YAML 1.2 core schema (so `2026-11-01` stays a string, `yes` is not a
//! boolean). Duplicate mapping keys are an error, aliases are expanded under a
//! node budget (no "billion laughs"), and multi-document streams are supported
//! for Prometheus rule files. Other tools' YAML (rule files, a source
//! collection's front matter) that saphyr's strict parser refuses is read
//! again with libyaml's rules ([`parse_stream_compat`], `compat`), into the
//! same values and positions.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

mod compat;
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
    single(parse_stream(src)?)
}

/// The one document of a stream (`null` when empty).
fn single(mut docs: Vec<Document>) -> Result<Document, YamlError> {
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

/// Parses a single-document YAML string as [`parse`] does, with libyaml's
/// rules as the fallback ([`parse_stream_compat`]): for other tools' YAML.
///
/// # Errors
/// As [`parse`].
pub fn parse_compat(src: &str) -> Result<Document, YamlError> {
    single(parse_stream_compat(src)?)
}

/// Parses a YAML stream of any number of documents (`---` separated).
///
/// # Errors
/// As [`parse`], except that several documents are allowed.
pub fn parse_stream(src: &str) -> Result<Vec<Document>, YamlError> {
    build(Saphyr(Parser::new_from_str(src)))
}

/// Parses a YAML stream as [`parse_stream`] does, and when saphyr's strict
/// YAML 1.2 parser refuses it, again with libyaml's rules (the parser behind
/// Go's yaml.v2/v3, PyYAML and Ruby, through `libyaml-safer`, a line-by-line
/// safe Rust port). For files written for other tools — Prometheus rule
/// files, a source collection's front matter — whose authors checked them
/// with those parsers: e.g. a quoted scalar whose continuation lines are
/// indented no deeper than its key, which Prometheus loads and YAML 1.2
/// forbids. Values, duplicate-key errors and positions are the same either
/// way. When both refuse, saphyr's error (the more precise one) is returned.
///
/// # Errors
/// As [`parse_stream`], when libyaml refuses the text too.
pub fn parse_stream_compat(src: &str) -> Result<Vec<Document>, YamlError> {
    match parse_stream(src) {
        Ok(d) => Ok(d),
        Err(strict) => {
            match build(compat::Libyaml::new(src)) {
                Ok(d) => Ok(d),
                // A structural error of ours (duplicate key, alias bomb) is
                // the same whichever parser found it; libyaml's own syntax
                // errors are less precise than saphyr's.
                Err(e) if e.first.is_some() || e.message.contains("alias") => Err(e),
                Err(_) => Err(strict),
            }
        }
    }
}

fn build<S: Source>(source: S) -> Result<Vec<Document>, YamlError> {
    let mut b = Builder {
        source,
        budget: NODE_BUDGET,
        anchors: HashMap::new(),
    };
    let mut docs = Vec::new();
    loop {
        let (ev, at) = b.next()?;
        match ev {
            Ev::StreamStart | Ev::DocEnd => {}
            Ev::StreamEnd => break,
            Ev::DocStart => {
                b.anchors.clear();
                let mut doc = Document::default();
                let (ev, at) = b.next()?;
                if matches!(ev, Ev::DocEnd) {
                    doc.tree = PosTree::leaf(at);
                    docs.push(doc);
                    continue;
                }
                let (value, tree) = b.node(ev, at)?;
                doc.value = value;
                doc.tree = PosTree(tree);
                docs.push(doc);
            }
            other => {
                return Err(YamlError {
                    first: None,
                    pos: at,
                    message: format!("unexpected YAML event {}", other.name()),
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

/// A parser event, whichever parser produced it.
enum Ev {
    StreamStart,
    StreamEnd,
    DocStart,
    DocEnd,
    /// The value, resolved by [`resolve_scalar`] where the parser hands the
    /// text over (no copy of non-string scalars), and its anchor.
    Scalar(Value, Option<String>),
    Alias(String),
    SeqStart(Option<String>),
    SeqEnd,
    MapStart(Option<String>),
    MapEnd,
}

impl Ev {
    fn name(&self) -> &'static str {
        match self {
            Ev::StreamStart => "stream start",
            Ev::StreamEnd => "stream end",
            Ev::DocStart => "document start",
            Ev::DocEnd => "document end",
            Ev::Scalar(..) => "scalar",
            Ev::Alias(_) => "alias",
            Ev::SeqStart(_) => "sequence start",
            Ev::SeqEnd => "sequence end",
            Ev::MapStart(_) => "mapping start",
            Ev::MapEnd => "mapping end",
        }
    }
}

/// Where events come from.
trait Source {
    fn next(&mut self) -> Result<(Ev, Pos), YamlError>;
}

/// saphyr's strict YAML 1.2 parser (the default).
struct Saphyr<'a>(Parser<'a, saphyr_parser::StrInput<'a>>);

fn anchor_key(id: usize) -> Option<String> {
    (id > 0).then(|| id.to_string())
}

fn full_tag(tag: Option<&saphyr_parser::Tag>) -> Option<String> {
    tag.map(|t| {
        if t.handle == "!!" {
            format!("tag:yaml.org,2002:{}", t.suffix)
        } else {
            format!("{}{}", t.handle, t.suffix)
        }
    })
}

impl Source for Saphyr<'_> {
    fn next(&mut self) -> Result<(Ev, Pos), YamlError> {
        loop {
            let (ev, span) = match self.0.next_event() {
                Some(Ok(x)) => x,
                Some(Err(e)) => {
                    return Err(YamlError {
                        first: None,
                        pos: Pos {
                            line: e.marker().line(),
                            col: e.marker().col() + 1,
                        },
                        message: e.info().to_string(),
                    });
                }
                None => {
                    return Err(YamlError {
                        first: None,
                        pos: Pos::default(),
                        message: "unexpected end of YAML".to_string(),
                    });
                }
            };
            let at = pos(&span);
            let ev = match ev {
                Event::Nothing => continue,
                Event::StreamStart => Ev::StreamStart,
                Event::StreamEnd => Ev::StreamEnd,
                Event::DocumentStart(_) => Ev::DocStart,
                Event::DocumentEnd => Ev::DocEnd,
                Event::Scalar(v, style, anchor, tag) => Ev::Scalar(
                    resolve_scalar(
                        &v,
                        style == ScalarStyle::Plain,
                        full_tag(tag.as_deref()).as_deref(),
                    ),
                    anchor_key(anchor),
                ),
                Event::Alias(id) => Ev::Alias(id.to_string()),
                Event::SequenceStart(anchor, _) => Ev::SeqStart(anchor_key(anchor)),
                Event::SequenceEnd => Ev::SeqEnd,
                Event::MappingStart(anchor, _) => Ev::MapStart(anchor_key(anchor)),
                Event::MappingEnd => Ev::MapEnd,
            };
            return Ok((ev, at));
        }
    }
}

struct Builder<S> {
    source: S,
    budget: usize,
    anchors: HashMap<String, Value>,
}

impl<S: Source> Builder<S> {
    fn next(&mut self) -> Result<(Ev, Pos), YamlError> {
        self.source.next()
    }

    fn spend(&mut self, n: usize, at: Pos) -> Result<(), YamlError> {
        if n > self.budget {
            return Err(YamlError {
                first: None,
                pos: at,
                message: format!("document expands to more than {NODE_BUDGET} nodes (alias bomb?)"),
            });
        }
        self.budget -= n;
        Ok(())
    }

    fn node(&mut self, ev: Ev, here: Pos) -> Result<(Value, Node), YamlError> {
        self.spend(1, here)?;
        match ev {
            Ev::Scalar(value, anchor) => {
                if let Some(a) = anchor {
                    self.anchors.insert(a, value.clone());
                }
                Ok((value, Node::Leaf(P::of(here))))
            }
            Ev::Alias(id) => {
                let Some(v) = self.anchors.get(&id).cloned() else {
                    return Err(YamlError {
                        first: None,
                        pos: here,
                        message: "alias refers to an unknown anchor".into(),
                    });
                };
                let n = count_nodes(&v);
                self.spend(n, here)?;
                Ok((v, Node::Leaf(P::of(here))))
            }
            Ev::SeqStart(anchor) => {
                let mut items = Vec::new();
                let mut trees = Vec::new();
                loop {
                    let (ev, at) = self.next()?;
                    if matches!(ev, Ev::SeqEnd) {
                        break;
                    }
                    let (v, t) = self.node(ev, at)?;
                    items.push(v);
                    trees.push(t);
                }
                let v = Value::Array(items);
                if let Some(a) = anchor {
                    self.anchors.insert(a, v.clone());
                }
                Ok((v, Node::Seq(P::of(here), trees)))
            }
            Ev::MapStart(anchor) => {
                let mut map = Map::new();
                // In the object's key order (see `PosTree`).
                let mut entries: Vec<(P, Node)> = Vec::new();
                let mut merged: Vec<String> = Vec::new();
                loop {
                    let (kev, kat) = self.next()?;
                    if matches!(kev, Ev::MapEnd) {
                        break;
                    }
                    let key = match kev {
                        Ev::Scalar(k, _) => match k {
                            Value::String(s) => s,
                            Value::Null => "null".to_string(),
                            other => other.to_string(),
                        },
                        Ev::Alias(id) => match self.anchors.get(&id) {
                            Some(Value::String(s)) => s.clone(),
                            _ => {
                                return Err(YamlError {
                                    first: None,
                                    pos: kat,
                                    message: "mapping key must be a string scalar".into(),
                                });
                            }
                        },
                        _ => {
                            return Err(YamlError {
                                first: None,
                                pos: kat,
                                message: "mapping key must be a scalar, not a list or mapping"
                                    .into(),
                            });
                        }
                    };
                    let kpos = P::of(kat);
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
                            pos: kat,
                            message: format!("duplicate key `{key}`"),
                        });
                    }
                    let (vev, vat) = self.next()?;
                    let (v, t) = self.node(vev, vat)?;
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
                if let Some(a) = anchor {
                    self.anchors.insert(a, v.clone());
                }
                Ok((v, Node::Map(P::of(here), entries)))
            }
            other => Err(YamlError {
                first: None,
                pos: here,
                message: format!("unexpected YAML event {}", other.name()),
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

/// Resolves a scalar with the YAML 1.2 core schema. `tag` is the full tag
/// (`tag:yaml.org,2002:int`); a local tag (`!foo`) keeps the text. Only
/// strings are allocated, at their exact size.
fn resolve_scalar(s: &str, plain: bool, tag: Option<&str>) -> Value {
    let text = || Value::String(s.to_string());
    if let Some(tag) = tag {
        if let Some(core) = tag.strip_prefix("tag:yaml.org,2002:") {
            return match core {
                "null" => Value::Null,
                "bool" => parse_bool(s).map_or_else(text, Value::Bool),
                "int" | "float" => parse_number(s).unwrap_or_else(text),
                _ => text(),
            };
        }
        return text();
    }
    if !plain {
        return text();
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        _ => {}
    }
    if let Some(b) = parse_bool(s) {
        return Value::Bool(b);
    }
    parse_number(s).unwrap_or_else(text)
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

    /// Positions of scalars and mapping keys.
    fn leaves(n: &Node) -> Vec<Pos> {
        match n {
            Node::Empty => vec![],
            Node::Leaf(p) => vec![p.pos()],
            Node::Seq(_, items) => items.iter().flat_map(leaves).collect(),
            Node::Map(_, entries) => entries
                .iter()
                .flat_map(|(k, v)| std::iter::once(k.pos()).chain(leaves(v)))
                .collect(),
        }
    }

    fn via_libyaml(src: &str) -> Result<Vec<Document>, YamlError> {
        build(compat::Libyaml::new(src))
    }

    #[test]
    fn libyaml_builder_gives_the_same_values_and_positions() {
        for src in [
            "a: 1\nb: [x, 2026-11-01, yes, true, ~]\nc:\n  d: 1.5\n",
            "base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n  z: 4\n",
            "groups:\n- name: g\n  rules:\n  - alert: A\n    labels: {severity: critical}\n    annotations:\n      runbook_url: \"https://r/x#y\"\n      text: |\n        two\n        lines\n---\nb: !!str 12\nc: '12'\n",
            "こんにちは: 世界\nlist:\n  - 'é'\n  - \"\\u00e9\"\n",
        ] {
            let a = parse_stream(src).unwrap();
            let b = via_libyaml(src).unwrap();
            assert_eq!(a.len(), b.len(), "{src}");
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.value, y.value, "{src}");
                assert_eq!(leaves(&x.tree.0), leaves(&y.tree.0), "{src}");
            }
        }
    }

    #[test]
    fn quoted_scalars_indented_as_go_and_libyaml_accept_them() {
        // Continuation lines of a quoted scalar at the key's indentation, or
        // less: YAML 1.2 (saphyr) refuses, libyaml (Prometheus, PyYAML) loads.
        let src = "groups:\n- name: g\n  rules:\n  - alert: A\n    annotations:\n      description: \"first line\n      second line\"\n      summary: 'one\n    two'\n  - alert: B\n";
        let strict = parse_stream(src).unwrap_err();
        assert_eq!(strict.pos.line, 6, "{strict}");
        let docs = parse_stream_compat(src).unwrap();
        assert_eq!(
            docs[0].value["groups"][0]["rules"][0]["annotations"],
            json!({"description": "first line second line", "summary": "one two"})
        );
        assert_eq!(docs[0].key_pos_of("/groups/0/rules/1/alert").line, 10);
        assert_eq!(
            docs[0].pos_of("/groups/0/rules/0/annotations/summary"),
            Pos { line: 8, col: 16 }
        );
    }

    #[test]
    fn compat_still_refuses_what_libyaml_refuses() {
        // Duplicate keys: our rule, whichever parser.
        let e = parse_stream_compat("a:\n  b: \"x\n  y\"\n  b: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate key `b`"), "{e}");
        assert_eq!(e.first.map(|p| p.line), Some(2));
        // Tabs and broken structure: the strict parser's message.
        let e = parse_stream_compat("a:\n\tb: 1\n").unwrap_err();
        assert_eq!(e.pos.line, 2, "{e}");
        let e = parse_stream_compat("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.line >= 1, "{e}");
        let e = parse_stream_compat("a: \"x\n---\n y\"\n").unwrap_err();
        assert!(e.pos.line >= 1, "{e}");
    }
}
