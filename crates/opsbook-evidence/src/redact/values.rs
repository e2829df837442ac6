//! Secret values found once, redacted wherever else they appear: which
//! values count (mixed like a secret, not a word), and one automaton that
//! finds them all.

use super::MARKER;

/// Secret values found, with their class: `(class ID, value)`. Kept in
/// memory only, never written: a bundle uses them to redact a value found in
/// one file wherever else it appears. Its `Debug` shows the count alone.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretValues(pub(super) Vec<(String, String)>);

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretValues({} values)", self.0.len())
    }
}

impl SecretValues {
    /// How many values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `other`'s values (each value once).
    pub fn extend(&mut self, other: &SecretValues) {
        for v in &other.0 {
            if !self.0.iter().any(|x| x.1 == v.1) {
                self.0.push(v.clone());
            }
        }
    }
}

/// Whether a value found once is worth redacting wherever else it appears:
/// 8 to 4096 bytes, not a redaction already, and mixed like a secret (two of
/// lower case, upper case, digits, symbols) rather than a word (`required`,
/// `disabled`) whose other occurrences are ordinary text.
pub(super) fn repeatable(v: &str) -> bool {
    if v.len() < 8 || v.len() > 4096 || v.contains(MARKER) {
        return false;
    }
    let kinds = [
        v.bytes().any(|c| c.is_ascii_lowercase()),
        v.bytes().any(|c| c.is_ascii_uppercase()),
        v.bytes().any(|c| c.is_ascii_digit()),
        v.bytes()
            .any(|c| !c.is_ascii_alphanumeric() && !c.is_ascii_whitespace()),
    ];
    kinds.iter().filter(|k| **k).count() >= 2
}

/// Known values of other files, found by one automaton.
#[derive(Debug, Clone)]
pub(super) struct Known {
    pub(super) ac: Option<aho_corasick::AhoCorasick>,
    /// The class (rule index) of each value.
    pub(super) classes: Vec<usize>,
}

/// One leftmost-longest automaton of `words` (`None` for none).
pub(super) fn automaton(words: &[&str]) -> Option<aho_corasick::AhoCorasick> {
    (!words.is_empty())
        .then(|| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(words)
                .ok()
        })
        .flatten()
}

/// Every occurrence of the automaton's words in `text`, as spans of the
/// word's class seen in the `repeat` view.
pub(super) fn occurrences(
    text: &str,
    ac: Option<&aho_corasick::AhoCorasick>,
    classes: &[usize],
) -> Vec<(usize, usize, usize, &'static str)> {
    let Some(ac) = ac else { return Vec::new() };
    ac.find_iter(text)
        .map(|m| {
            (
                m.start(),
                m.end(),
                classes[m.pattern().as_usize()],
                "repeat",
            )
        })
        .collect()
}
