//! From parser events to values with positions: the event source (saphyr's
//! strict parser, or libyaml's rules in `compat`), anchors and aliases under
//! the node budget, duplicate keys refused.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::*;
use serde_json::{Map, Value};

pub(crate) fn build<S: Source>(source: S) -> Result<Vec<Document>, YamlError> {
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

pub(crate) fn pos(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

/// A parser event, whichever parser produced it.
pub(crate) enum Ev {
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
pub(crate) trait Source {
    fn next(&mut self) -> Result<(Ev, Pos), YamlError>;
}

/// saphyr's strict YAML 1.2 parser (the default).
pub(crate) struct Saphyr<'a>(pub(crate) Parser<'a, saphyr_parser::StrInput<'a>>);

pub(crate) fn anchor_key(id: usize) -> Option<String> {
    (id > 0).then(|| id.to_string())
}

pub(crate) fn full_tag(tag: Option<&saphyr_parser::Tag>) -> Option<String> {
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

pub(crate) struct Builder<S> {
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

pub(crate) fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(o) => 1 + o.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}
