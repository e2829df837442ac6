//! Plain scalars resolved with the YAML 1.2 core schema: `2026-11-01` stays a
//! string, `yes` is not a boolean, numbers as YAML 1.2 writes them.

use serde_json::{Number, Value};

/// Resolves a scalar with the YAML 1.2 core schema. `tag` is the full tag
/// (`tag:yaml.org,2002:int`); a local tag (`!foo`) keeps the text. Only
/// strings are allocated, at their exact size.
pub(crate) fn resolve_scalar(s: &str, plain: bool, tag: Option<&str>) -> Value {
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

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

pub(crate) fn parse_number(s: &str) -> Option<Value> {
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
