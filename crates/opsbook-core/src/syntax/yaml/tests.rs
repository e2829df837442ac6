//! Tests of YAML loading: positions, duplicate keys, aliases, the core schema,
//! streams, libyaml compatibility.

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
        s.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
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
