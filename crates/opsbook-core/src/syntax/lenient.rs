//! Serde helpers for documents read leniently: a field of the wrong shape
//! becomes its default (or `None`) instead of failing the whole document, so
//! that one bad field does not hide every other finding in a file — the
//! file's contract (D-CONTRACTS) is what reports it.
//!
//! Used by the typed views of `opsbook.toml`, runbook front matter and
//! postmortem front matter (`#[serde(default, deserialize_with = "…")]`).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A field read on its own: a value of the wrong shape is `None`.
///
/// # Errors
/// Only when the input is not a self-describing value at all.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

/// A field read on its own: a value of the wrong shape is `T::default()`.
///
/// # Errors
/// As [`lenient`].
pub(crate) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    lenient(d).map(Option::unwrap_or_default)
}

/// A table (a mapping read into `T`); a value that is not a mapping, or a
/// mapping `T` cannot read, is `T::default()`.
///
/// # Errors
/// As [`lenient`].
pub(crate) fn table<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(table_of(Value::deserialize(d)?))
}

/// A table that, when present, is `Some` even when its shape is wrong
/// (`Some(T::default())`): the section was written, its fields were not.
///
/// # Errors
/// As [`lenient`].
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    table(d).map(Some)
}

fn table_of<T: DeserializeOwned + Default>(v: Value) -> T {
    match v {
        Value::Object(_) => serde_json::from_value(v).unwrap_or_default(),
        _ => T::default(),
    }
}

/// The strings of a list; other elements, and a value that is not a list,
/// are left out.
///
/// # Errors
/// As [`lenient`].
pub(crate) fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => string_items(a),
        _ => Vec::new(),
    })
}

/// One string, or the strings of a list (other elements left out).
///
/// # Errors
/// As [`lenient`].
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => string_items(a),
        Value::String(s) => vec![s],
        _ => Vec::new(),
    })
}

/// A mapping of tables, each read as [`table`]; a value that is not a
/// mapping is empty.
///
/// # Errors
/// As [`lenient`].
pub(crate) fn map_of_tables<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(match Value::deserialize(d)? {
        Value::Object(o) => o.into_iter().map(|(k, v)| (k, table_of(v))).collect(),
        _ => BTreeMap::new(),
    })
}

/// The string values of a mapping (others left out); a value that is not a
/// mapping is empty.
///
/// # Errors
/// As [`lenient`].
pub(crate) fn string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(o) => o
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect(),
        _ => BTreeMap::new(),
    })
}

/// A list of tables, each read as [`table`]; a value that is not a list is
/// empty.
///
/// # Errors
/// As [`lenient`].
pub(crate) fn tables<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => a.into_iter().map(table_of).collect(),
        _ => Vec::new(),
    })
}

fn string_items(a: Vec<Value>) -> Vec<String> {
    a.into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// Reads `T` from a document value as a [`table`]: a document that is not
/// a mapping is `T::default()`.
#[must_use]
pub(crate) fn read<T: DeserializeOwned + Default>(v: &Value) -> T {
    match v {
        Value::Object(_) => T::deserialize(v).unwrap_or_default(),
        _ => T::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Doc {
        #[serde(default, deserialize_with = "lenient")]
        name: Option<String>,
        #[serde(default, deserialize_with = "strings")]
        list: Vec<String>,
        #[serde(default, deserialize_with = "one_or_many")]
        argv: Vec<String>,
        #[serde(default, deserialize_with = "string_map")]
        levels: BTreeMap<String, String>,
        #[serde(default, deserialize_with = "present")]
        section: Option<Inner>,
        #[serde(default, deserialize_with = "tables")]
        items: Vec<Inner>,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Inner {
        #[serde(default, deserialize_with = "or_default")]
        n: u32,
    }

    #[test]
    fn a_field_of_the_wrong_shape_is_its_default_and_the_rest_is_read() {
        let d: Doc = read(&serde_json::json!({
            "name": 5,
            "list": ["a", 1, "b"],
            "argv": "pwsh",
            "levels": {"OB101": "warn", "OB102": 3},
            "section": ["not", "a", "table"],
            "items": [{"n": 2}, 7, {"n": "x"}],
            "unknown": true
        }));
        assert_eq!(d.name, None);
        assert_eq!(d.list, ["a", "b"]);
        assert_eq!(d.argv, ["pwsh"]);
        assert_eq!(d.levels.len(), 1);
        assert_eq!(d.section, Some(Inner { n: 0 }));
        assert_eq!(d.items, [Inner { n: 2 }, Inner { n: 0 }, Inner { n: 0 }]);
        let d: Doc = read(&serde_json::json!({"list": "a", "section": {"n": -1}}));
        assert!(d.list.is_empty(), "a lone string is not a list here");
        assert_eq!(d.section, Some(Inner { n: 0 }));
        assert_eq!(read::<Doc>(&serde_json::json!([1])), Doc::default());
    }
}
