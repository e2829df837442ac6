//! Reading one SSOT file: size limits, decoding (`syntax::text`), and
//! parsing by kind — Markdown front matter and body, YAML (Prometheus rule
//! files as Prometheus reads them), TOML with the parser's positions —
//! keeping each problem with its file and line.

use std::path::Path;

use serde_json::Value;

use crate::ssot::{FileKind, ParsedDoc, Problem, ProblemKind, SourceFile};
use crate::syntax::markdown::{self, Body};
use crate::syntax::text;
use crate::syntax::yaml::{self, Document, Pos};

/// Runbooks larger than this are reported, not parsed (bytes).
pub const MAX_RUNBOOK_BYTES: u64 = 2 * 1024 * 1024;
/// Any other SSOT file larger than this is reported, not parsed (bytes).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Reads and decodes one file, with a size limit.
fn read_text(path: &Path, rel: &str, limit: u64, size: u64) -> Result<String, Problem> {
    if size > limit {
        return Err(Problem {
            kind: ProblemKind::TooLarge,
            file: rel.to_string(),
            line: 1,
            col: 1,
            message: format!(
                "file is {size} bytes, over the limit of {limit} bytes for this kind of file"
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Problem {
        kind: ProblemKind::Io,
        file: rel.to_string(),
        line: 1,
        col: 1,
        message: format!("cannot read: {e}"),
    })?;
    text::decode(&bytes).map(|d| d.text).map_err(|e| Problem {
        kind: ProblemKind::Decode,
        file: rel.to_string(),
        line: e.line,
        col: 1,
        message: format!("not decodable text at byte {}: {}", e.offset, e.reason),
    })
}

fn yaml_problem(rel: &str, e: &yaml::YamlError, line_offset: usize) -> Problem {
    Problem {
        kind: ProblemKind::Yaml,
        file: rel.to_string(),
        line: e.pos.line.max(1) + line_offset,
        col: e.pos.col.max(1),
        message: match e.first {
            Some(first) => format!(
                "invalid YAML: {} (first defined at line {})",
                e.message,
                first.line + line_offset
            ),
            None => format!("invalid YAML: {}", e.message),
        },
    }
}

/// Loads a Markdown file with front matter: the front matter document and the body.
fn load_markdown(
    rel: &str,
    text: &str,
    needs_front_matter: bool,
    problems: &mut Vec<Problem>,
) -> (Vec<ParsedDoc>, Option<Body>, bool) {
    let split = match markdown::split_front_matter(text) {
        Ok(s) => s,
        Err(e) => {
            problems.push(Problem {
                kind: ProblemKind::FrontMatterInvalid,
                file: rel.to_string(),
                line: e.line,
                col: 1,
                message: e.message,
            });
            return (Vec::new(), None, false);
        }
    };
    let body = markdown::parse_body(split.body, split.body_line);
    let Some(fm) = split.front_matter else {
        if needs_front_matter {
            // Say what is there when it is almost front matter.
            let first = text
                .lines()
                .enumerate()
                .find(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| (i + 1, l.trim_end()));
            let message = match first {
                Some((1, "+++")) => "TOML front matter (`+++`) is not read: opsbook runbooks carry YAML between `---` lines (`opsbook adopt` converts it)".to_string(),
                Some((n, "---" | "+++")) => format!(
                    "front matter starts on line {n}, after blank lines: `---` must be on line 1"
                ),
                _ => "no YAML front matter: expected `---` on line 1, the metadata, and a closing `---`".to_string(),
            };
            problems.push(Problem {
                kind: ProblemKind::FrontMatterMissing,
                file: rel.to_string(),
                line: first.map_or(1, |(n, _)| n),
                col: 1,
                message,
            });
        }
        return (Vec::new(), Some(body), false);
    };
    let line_offset = split.front_matter_line - 1;
    match yaml::parse(fm) {
        Ok(doc) => {
            if !doc.value.is_object() {
                problems.push(Problem {
                    kind: ProblemKind::FrontMatterInvalid,
                    file: rel.to_string(),
                    line: split.front_matter_line,
                    col: 1,
                    message: "front matter is not a YAML mapping of `key: value` lines".into(),
                });
                return (Vec::new(), Some(body), false);
            }
            (vec![ParsedDoc { doc, line_offset }], Some(body), true)
        }
        Err(e) => {
            problems.push(yaml_problem(rel, &e, line_offset));
            (Vec::new(), Some(body), false)
        }
    }
}

/// A TOML value as JSON (dates as their RFC 3339 text).
pub(crate) fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Number(i.into()),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Positions for a TOML document from the parser's spans: each key (and
/// each array element) at its line and column, under its JSON pointer.
pub(crate) fn toml_positions(text: &str, value: &Value) -> Document {
    let mut doc = Document {
        value: value.clone(),
        ..Document::default()
    };
    doc.positions.insert(String::new(), Pos { line: 1, col: 1 });
    let pos = |offset: usize| {
        let before = &text[..offset.min(text.len())];
        Pos {
            line: before.matches('\n').count() + 1,
            col: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        }
    };
    fn walk(
        v: &toml::de::DeValue<'_>,
        pointer: &str,
        pos: &dyn Fn(usize) -> Pos,
        doc: &mut Document,
    ) {
        match v {
            toml::de::DeValue::Table(t) => {
                for (k, v) in t.iter() {
                    let p = format!(
                        "{pointer}/{}",
                        k.get_ref().replace('~', "~0").replace('/', "~1")
                    );
                    let at = pos(k.span().start);
                    doc.positions.insert(p.clone(), at);
                    doc.key_positions.insert(p.clone(), at);
                    walk(v.get_ref(), &p, pos, doc);
                }
            }
            toml::de::DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    let p = format!("{pointer}/{i}");
                    doc.positions.insert(p.clone(), pos(v.span().start));
                    walk(v.get_ref(), &p, pos, doc);
                }
            }
            _ => {}
        }
    }
    if let Ok(t) = toml::de::DeTable::parse(text) {
        walk(
            &toml::de::DeValue::Table(t.into_inner()),
            "",
            &pos,
            &mut doc,
        );
    }
    doc
}

pub(crate) fn load_file(
    path: &Path,
    rel: &str,
    kind: &FileKind,
    size: u64,
    problems: &mut Vec<Problem>,
) -> SourceFile {
    let mut f = SourceFile {
        rel: rel.to_string(),
        path: path.to_path_buf(),
        kind: kind.clone(),
        size,
        docs: Vec::new(),
        body: None,
        parsed: false,
    };
    let limit = if matches!(kind, FileKind::Runbook | FileKind::Template) {
        MAX_RUNBOOK_BYTES
    } else {
        MAX_FILE_BYTES
    };
    // Ledgers and incident logs are read once, by the ledger checks, which
    // verify the chain and (incidents) the contract per event: not read here.
    let checked = !matches!(
        kind,
        FileKind::Other
            | FileKind::Excluded
            | FileKind::Contract
            | FileKind::Ledger
            | FileKind::IncidentEvents
    );
    if !checked {
        return f;
    }
    let text = match read_text(path, rel, limit, size) {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return f;
        }
    };
    if text.trim().is_empty() {
        problems.push(Problem {
            kind: ProblemKind::Empty,
            file: rel.to_string(),
            line: 1,
            col: 1,
            message: "file is empty".into(),
        });
        return f;
    }
    match kind {
        FileKind::Runbook | FileKind::Postmortem => {
            let (docs, body, ok) = load_markdown(rel, &text, true, problems);
            f.docs = docs;
            f.body = body.map(Box::new);
            f.parsed = ok;
        }
        FileKind::Template | FileKind::Spec => {
            let (docs, body, ok) = load_markdown(rel, &text, false, problems);
            f.docs = docs;
            f.body = body.map(Box::new);
            f.parsed = ok || f.body.is_some();
        }
        FileKind::Config => match toml::from_str::<toml::Value>(&text) {
            Ok(v) => {
                let json = toml_to_json(v);
                f.docs = vec![ParsedDoc {
                    doc: toml_positions(&text, &json),
                    line_offset: 0,
                }];
                f.parsed = true;
            }
            Err(e) => {
                let (line, col) = e.span().map_or((1, 1), |s| {
                    let before = &text[..s.start.min(text.len())];
                    (
                        before.matches('\n').count() + 1,
                        before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                    )
                });
                problems.push(Problem {
                    kind: ProblemKind::Toml,
                    file: rel.to_string(),
                    line,
                    col,
                    message: format!("invalid TOML: {}", e.message()),
                });
            }
        },
        // Other tools' YAML: what Prometheus (Go, libyaml rules) loads must load.
        FileKind::Alerts => match yaml::parse_stream_compat(&text) {
            Ok(docs) => {
                f.docs = docs
                    .into_iter()
                    .map(|doc| ParsedDoc {
                        doc,
                        line_offset: 0,
                    })
                    .collect();
                f.parsed = true;
            }
            Err(e) => problems.push(yaml_problem(rel, &e, 0)),
        },
        _ => match yaml::parse(&text) {
            Ok(doc) => {
                f.docs = vec![ParsedDoc {
                    doc,
                    line_offset: 0,
                }];
                f.parsed = true;
            }
            Err(e) => problems.push(yaml_problem(rel, &e, 0)),
        },
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_positions_come_from_the_parsers_spans() {
        let text = "# c\n[gate]\nbaseline = \"x\"\n  alerts = [\"a\", \"b\"]\n[safety.hooks.HALTED]\ncommand = [\"a\",\n  \"b\"]\n";
        let v = toml_to_json(toml::from_str::<toml::Value>(text).unwrap());
        let d = toml_positions(text, &v);
        let at = |p: &str| {
            let x = d.pos_of(p);
            (x.line, x.col)
        };
        assert_eq!(at("/gate"), (2, 2));
        assert_eq!(at("/gate/baseline"), (3, 1));
        assert_eq!(at("/gate/alerts"), (4, 3));
        assert_eq!(at("/gate/alerts/1"), (4, 18));
        assert_eq!(at("/safety/hooks/HALTED/command"), (6, 1));
        assert_eq!(at("/safety/hooks/HALTED/command/1"), (7, 3));
    }

    #[test]
    fn toml_positions_find_keys() {
        let t = "[project]\nname = \"x\"\n\n[gate.levels]\nOB101 = \"warn\"\n";
        let v = toml_to_json(toml::from_str(t).unwrap());
        let d = toml_positions(t, &v);
        assert_eq!(d.pos_of("/gate/levels/OB101").line, 5);
        assert_eq!(d.pos_of("/project/name").line, 2);
    }
}
