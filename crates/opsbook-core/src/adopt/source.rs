//! Reading one page of a source collection as its authors' tools read it:
//! front matter in YAML (`---`, also after leading blank lines) or TOML
//! (`+++`, Hugo), a title in English and/or Japanese, and the marks a
//! collection uses for a deprecated page (`deprecated_runbooks/`, a
//! "[Deprecated]" title, "replaced by …").

use serde_json::Value;

/// The front matter of a source page and where its body starts.
pub(super) struct Front<'a> {
    /// The parsed front matter (a mapping), if any.
    pub value: Option<Value>,
    /// The body after the front matter (or the whole text).
    pub body: &'a str,
    /// 1-based line on which `body` starts.
    pub body_line: usize,
    /// What was done that the plan should say.
    pub notes: Vec<String>,
}

fn whole(text: &str, notes: Vec<String>) -> Front<'_> {
    Front {
        value: None,
        body: text,
        body_line: 1,
        notes,
    }
}

/// Splits and parses a page's front matter: YAML between `---` lines (as Go
/// and libyaml read it), also when blank lines come first, or TOML between
/// `+++` lines. Front matter that does not parse stays in the body, with a note.
pub(super) fn front(text: &str) -> Front<'_> {
    let lead = text.len() - text.trim_start_matches(['\n', '\r', ' ', '\t']).len();
    // Back up to the start of the first non-blank line.
    let lead = text[..lead].rfind('\n').map_or(0, |i| i + 1);
    let skipped_lines = text[..lead].matches('\n').count();
    let rest = &text[lead..];
    let first = rest.split('\n').next().unwrap_or("").trim_end();
    let mut notes = Vec::new();
    if skipped_lines > 0 && (first == "---" || first == "+++") {
        notes.push(format!(
            "front matter starts after {skipped_lines} blank line{}: taken as front matter",
            if skipped_lines == 1 { "" } else { "s" }
        ));
    }
    match first {
        "---" => match crate::syntax::markdown::split_front_matter(rest) {
            Ok(s) => {
                let Some(fm) = s.front_matter else {
                    return whole(text, notes);
                };
                match crate::syntax::yaml::parse_compat(fm) {
                    Ok(d) if d.value.is_object() => Front {
                        value: Some(d.value),
                        body: s.body,
                        body_line: s.body_line + skipped_lines,
                        notes,
                    },
                    Ok(_) => {
                        notes.push(
                            "original front matter is not a mapping; kept in the body".into(),
                        );
                        whole(text, notes)
                    }
                    Err(e) => {
                        notes.push(format!(
                            "original front matter not parsed (line {}: {}); kept in the body",
                            e.pos.line + skipped_lines + 1,
                            e.message
                        ));
                        whole(text, notes)
                    }
                }
            }
            Err(e) => {
                notes.push(format!(
                    "front matter not terminated (line {}); whole file kept as body",
                    e.line + skipped_lines
                ));
                whole(text, notes)
            }
        },
        "+++" => {
            let start = first.len() + 1;
            let Some(close) = rest
                .get(start..)
                .and_then(|r| r.split_inclusive('\n').position(|l| l.trim_end() == "+++"))
            else {
                notes.push(
                    "TOML front matter (`+++`) not terminated; whole file kept as body".into(),
                );
                return whole(text, notes);
            };
            let lines: Vec<&str> = rest[start..].split_inclusive('\n').collect();
            let toml_text: String = lines[..close].concat();
            let body_off = start + lines[..=close].iter().map(|l| l.len()).sum::<usize>();
            match toml::from_str::<toml::Value>(&toml_text) {
                Ok(v) => {
                    notes.push("TOML front matter (`+++`) converted to YAML".into());
                    Front {
                        value: Some(crate::ssot::toml_to_json(v)),
                        body: &rest[body_off.min(rest.len())..],
                        body_line: skipped_lines + close + 3,
                        notes,
                    }
                }
                Err(e) => {
                    notes.push(format!(
                        "TOML front matter (`+++`) not parsed ({}); kept in the body",
                        e.message()
                    ));
                    whole(text, notes)
                }
            }
        }
        _ => whole(text, notes),
    }
}

/// Whether text is Japanese: it holds kana or kanji.
pub(super) fn is_japanese(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c as u32,
            0x3040..=0x30FF   // hiragana, katakana
            | 0x31F0..=0x31FF // katakana extensions
            | 0x4E00..=0x9FFF // CJK unified ideographs
            | 0xFF66..=0xFF9F // half-width katakana
        )
    })
}

/// A title split into English and Japanese: `English / 日本語` (either
/// order, `／` too), or one language alone. Deprecation marks
/// ("[Deprecated]", "Deprecated:", "(deprecated)") are removed and reported.
pub(super) struct Title {
    pub en: Option<String>,
    pub ja: Option<String>,
    pub deprecated: bool,
}

pub(super) fn title(raw: &str) -> Title {
    let (text, deprecated) = strip_deprecated(raw.trim());
    for sep in [" / ", "／", " | "] {
        if let Some((a, b)) = text.split_once(sep) {
            let (a, b) = (a.trim(), b.trim());
            match (is_japanese(a), is_japanese(b)) {
                (false, true) => {
                    return Title {
                        en: Some(a.to_string()).filter(|s| !s.is_empty()),
                        ja: Some(b.to_string()),
                        deprecated,
                    };
                }
                (true, false) => {
                    return Title {
                        en: Some(b.to_string()).filter(|s| !s.is_empty()),
                        ja: Some(a.to_string()),
                        deprecated,
                    };
                }
                _ => {}
            }
        }
    }
    if is_japanese(&text) {
        Title {
            en: None,
            ja: Some(text),
            deprecated,
        }
    } else {
        Title {
            en: Some(text),
            ja: None,
            deprecated,
        }
    }
}

/// Removes a deprecation mark from a title: `[Deprecated] X`, `Deprecated: X`,
/// `DEPRECATED - X`, `X (deprecated)`, `【廃止】X`, `[非推奨] X`.
fn strip_deprecated(t: &str) -> (String, bool) {
    let lower = t.to_lowercase();
    for (open, close) in [("[", "]"), ("(", ")"), ("【", "】"), ("［", "］")] {
        for word in ["deprecated", "obsolete", "廃止", "非推奨"] {
            let mark = format!("{open}{word}{close}");
            if let Some(r) = lower.strip_prefix(&mark) {
                let cut = t.len() - r.len();
                return (
                    t[cut..]
                        .trim_start_matches([' ', ':', '-', '–'])
                        .trim()
                        .to_string(),
                    true,
                );
            }
            if lower.ends_with(&mark) {
                return (t[..t.len() - mark.len()].trim().to_string(), true);
            }
        }
    }
    for word in ["deprecated", "obsolete"] {
        if lower.starts_with(word)
            && lower[word.len()..]
                .trim_start()
                .starts_with([':', '-', '–'])
        {
            let r = t[word.len()..]
                .trim_start()
                .trim_start_matches([':', '-', '–'])
                .trim();
            return (r.to_string(), true);
        }
    }
    (t.to_string(), false)
}

/// Whether a path is in a directory a collection keeps deprecated pages in
/// (`deprecated_runbooks/`, `deprecated/`, `archive/`, `archived/`).
pub(super) fn in_deprecated_dir(rel: &str) -> bool {
    rel.split('/').rev().skip(1).any(|d| {
        let d = d.to_lowercase();
        d.starts_with("deprecated") || d == "archive" || d == "archived" || d == "obsolete"
    })
}

/// Whether a line says the page was replaced: "replaced by", "superseded
/// by", "deprecated in favour of", "deprecated, use … instead", 「…に置き換え」.
pub(super) fn says_replaced(line: &str) -> bool {
    let l = line.to_lowercase();
    [
        "replaced by",
        "superseded by",
        "in favour of",
        "in favor of",
        "has been replaced",
        "has moved to",
        "置き換え",
        "移行しました",
        "後継",
    ]
    .iter()
    .any(|p| l.contains(p))
        || (l.contains("deprecated") && l.contains("instead"))
}

/// Whether front matter marks the page deprecated (`deprecated: true`,
/// `status: deprecated|obsolete|archived`).
pub(super) fn front_deprecated(fm: Option<&Value>) -> bool {
    let Some(fm) = fm else { return false };
    fm.get("deprecated").and_then(Value::as_bool) == Some(true)
        || fm.get("status").and_then(Value::as_str).is_some_and(|s| {
            matches!(
                s.to_lowercase().as_str(),
                "deprecated" | "obsolete" | "archived"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_variants() {
        let f = front("---\ntitle: A\n---\n# A\n");
        assert_eq!(f.value.unwrap()["title"], "A");
        assert_eq!((f.body, f.body_line), ("# A\n", 4));
        let f = front("\n\n---\ntitle: B\n---\n# B\n");
        assert_eq!(f.value.unwrap()["title"], "B");
        assert_eq!(f.body_line, 6);
        assert!(f.notes[0].contains("after 2 blank lines"), "{:?}", f.notes);
        let f = front("+++\ntitle = \"C\"\nweight = 3\n+++\n\n# C\n");
        let v = f.value.unwrap();
        assert_eq!(
            (v["title"].as_str(), v["weight"].as_i64()),
            (Some("C"), Some(3))
        );
        assert_eq!((f.body, f.body_line), ("\n# C\n", 5));
        assert!(f.notes[0].contains("TOML"), "{:?}", f.notes);
        let f = front("+++\ntitle = \n+++\n# D\n");
        assert!(
            f.value.is_none() && f.body.starts_with("+++"),
            "kept, with a note"
        );
        assert!(f.notes[0].contains("not parsed"), "{:?}", f.notes);
        let f = front("---\ndescription: \"one\n  two\"\nx: 1\n---\nbody\n");
        assert_eq!(
            f.value.unwrap()["description"],
            "one two",
            "front matter as Hugo (Go yaml) reads it"
        );
    }

    #[test]
    fn titles_in_two_languages_and_deprecation_marks() {
        let t = title("Clock drift / 時計ズレ");
        assert_eq!(
            (t.en.as_deref(), t.ja.as_deref()),
            (Some("Clock drift"), Some("時計ズレ"))
        );
        let t = title("時計ズレ／Clock drift");
        assert_eq!(
            (t.en.as_deref(), t.ja.as_deref()),
            (Some("Clock drift"), Some("時計ズレ"))
        );
        let t = title("取引ホストの時計ズレ");
        assert_eq!(
            (t.en, t.ja.as_deref()),
            (None, Some("取引ホストの時計ズレ"))
        );
        for d in [
            "[Deprecated] Old DNS failover",
            "Deprecated: Old DNS failover",
            "Old DNS failover (deprecated)",
            "DEPRECATED - Old DNS failover",
        ] {
            let t = title(d);
            assert!(t.deprecated, "{d}");
            assert_eq!(t.en.as_deref(), Some("Old DNS failover"), "{d}");
        }
        assert!(title("【廃止】旧DNS切替").deprecated);
        assert!(!title("Deprecation of TLS 1.0 on the gateway").deprecated);
        assert!(in_deprecated_dir("deprecated_runbooks/dns.md"));
        assert!(!in_deprecated_dir("dns/deprecated-api-calls.md"));
        assert!(says_replaced(
            "This runbook has been replaced by [DNS failover](dns.md)."
        ));
        assert!(says_replaced("Deprecated: use the new procedure instead."));
        assert!(!says_replaced(
            "Replace the certificate by running cert-manager renew."
        ));
    }
}
