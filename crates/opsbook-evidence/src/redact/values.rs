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

/// Known values of other files, found by one [`Words`] search.
#[derive(Debug, Clone)]
pub(super) struct Known {
    pub(super) ac: Option<Words>,
    /// The class (rule index) of each value.
    pub(super) classes: Vec<usize>,
}

/// A set of words found leftmost-longest, as `aho_corasick`'s
/// `MatchKind::LeftmostLongest` finds them (`None` for no words).
///
/// A bundle's known values are thousands of secrets (2,439 on the 1 GB
/// benchmark corpus): an automaton of that size reads about 230 MB/s, and
/// the post-seal scan reads every byte of the bundle through it. Words of
/// at least [`SAMPLED_MIN`] bytes are found by sampling instead: every
/// occurrence of a word of length `L` holds a 4-byte window starting at a
/// multiple of `step` (`step` ≤ `L` − 3), at one of the word's first `step`
/// offsets; so only those windows are looked up (a 2^k-bit filter, then a
/// sorted table of (window, word, offset)), each hit confirmed by comparing
/// the whole word. About 1.5 GB/s on the benchmark's logs, and exactly the
/// automaton's matches (a property test compares them).
pub(super) fn automaton(words: &[&str]) -> Option<Words> {
    if words.is_empty() {
        return None;
    }
    if let Some(s) = Sampled::new(words) {
        return Some(Words::Sampled(s));
    }
    aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(words)
        .ok()
        .map(Words::Automaton)
}

/// The shortest word [`automaton`] samples for (shorter sets use an
/// automaton); [`repeatable`] values are at least this long.
pub(super) const SAMPLED_MIN: usize = 8;

/// Offsets looked at per residue when choosing a word's sampled windows.
const CHOICES: usize = 8;

/// The most words one sampled window may stand for (else: the automaton).
const MAX_SHARED: usize = 64;

/// See [`automaton`].
#[derive(Debug, Clone)]
pub(super) enum Words {
    Sampled(Sampled),
    Automaton(aho_corasick::AhoCorasick),
}

impl Words {
    /// The matches `(start, end, word index)`, leftmost-longest, not
    /// overlapping, left to right.
    pub(super) fn find_all(&self, text: &[u8]) -> Vec<(usize, usize, usize)> {
        match self {
            Words::Sampled(s) => s.find_all(text, false),
            Words::Automaton(ac) => ac
                .find_iter(text)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect(),
        }
    }

    /// Whether any word occurs in `text`.
    pub(super) fn is_match(&self, text: &[u8]) -> bool {
        match self {
            Words::Sampled(s) => !s.find_all(text, true).is_empty(),
            Words::Automaton(ac) => ac.is_match(text),
        }
    }
}

/// Words of at least [`SAMPLED_MIN`] bytes, found by sampled 4-byte windows.
#[derive(Clone)]
pub(super) struct Sampled {
    words: Vec<Box<[u8]>>,
    /// Distance between sampled windows, bytes (≤ shortest word − 3).
    step: usize,
    /// `32 - log2(filter bits)`.
    shift: u32,
    /// Bit `hash(window)` set for every window in `table`.
    filter: Vec<u64>,
    /// `(window, word, offset of the window in the word)`, sorted.
    table: Vec<(u32, u32, u32)>,
}

impl std::fmt::Debug for Sampled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sampled({} words, step {})", self.words.len(), self.step)
    }
}

fn window(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

impl Sampled {
    fn new(words: &[&str]) -> Option<Sampled> {
        let min = words.iter().map(|w| w.len()).min()?;
        if min < SAMPLED_MIN || words.len() > u32::MAX as usize {
            return None;
        }
        let step = (min - 3).min(16);
        // Every occurrence has a sampled window at each offset `j` of the
        // word with `j ≡ r (mod step)` for one residue `r`: one offset per
        // residue is enough, and it is chosen among a few with that residue,
        // spread over the whole word, as the window the fewest words share.
        // Tokens with a common prefix (every JWT starts `eyJhbGciOi`, every
        // PEM key `MIIEvQIBADANBgkqhkiG9w0BAQEFAASC`, every AWS key ID
        // `AKIA`) are then not all checked at every sampled window of that
        // prefix.
        let offsets = |len: usize, r: usize| {
            let n = (len - 4 - r) / step + 1;
            (0..CHOICES.min(n)).map(move |i| r + (i * n / CHOICES.min(n)) * step)
        };
        let mut seen: Vec<u32> = Vec::new();
        for w in words {
            let b = w.as_bytes();
            for r in 0..step {
                seen.extend(offsets(b.len(), r).map(|j| window(&b[j..])));
            }
        }
        seen.sort_unstable();
        let shared = |k: u32| {
            let from = seen.partition_point(|&x| x < k);
            seen[from..].iter().take_while(|&&x| x == k).count()
        };
        let mut table = Vec::with_capacity(words.len() * step);
        for (i, w) in words.iter().enumerate() {
            let b = w.as_bytes();
            for r in 0..step {
                let j = offsets(b.len(), r)
                    .min_by_key(|&j| shared(window(&b[j..])))
                    .unwrap_or(r);
                table.push((window(&b[j..]), i as u32, j as u32));
            }
        }
        table.sort_unstable();
        // Words that still share their windows (thousands of near-copies):
        // the automaton, linear whatever the words.
        let mut widest = 0;
        for run in table.chunk_by(|a, b| a.0 == b.0) {
            widest = widest.max(run.len());
        }
        if widest > MAX_SHARED {
            return None;
        }
        let bits = (table.len() * 32)
            .next_power_of_two()
            .clamp(1 << 12, 1 << 22);
        let shift = 32 - bits.trailing_zeros();
        let mut filter = vec![0u64; bits / 64];
        for &(k, _, _) in &table {
            let h = hash(k, shift);
            filter[h / 64] |= 1 << (h % 64);
        }
        Some(Sampled {
            words: words.iter().map(|w| w.as_bytes().into()).collect(),
            step,
            shift,
            filter,
            table,
        })
    }

    /// The matches, leftmost-longest (ties: the lowest word index), not
    /// overlapping; with `first`, at most one (some match, for `is_match`).
    fn find_all(&self, t: &[u8], first: bool) -> Vec<(usize, usize, usize)> {
        let mut found = Vec::new();
        let mut p = 0;
        while p + 4 <= t.len() {
            let k = window(&t[p..]);
            let h = hash(k, self.shift);
            if self.filter[h / 64] >> (h % 64) & 1 == 1 {
                let from = self.table.partition_point(|e| e.0 < k);
                for &(_, w, j) in self.table[from..].iter().take_while(|e| e.0 == k) {
                    let (w, j) = (w as usize, j as usize);
                    if p >= j && t[p - j..].starts_with(&self.words[w]) {
                        found.push((p - j, p - j + self.words[w].len(), w));
                        if first {
                            return found;
                        }
                    }
                }
            }
            p += self.step;
        }
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let mut end = 0;
        found.retain(|m| {
            let keep = m.0 >= end;
            if keep {
                end = m.1;
            }
            keep
        });
        found
    }
}

fn hash(window: u32, shift: u32) -> usize {
    (window.wrapping_mul(0x9E37_79B1) >> shift) as usize
}

/// Every occurrence of the words in `text`, as spans of the word's class
/// seen in the `repeat` view.
pub(super) fn occurrences(
    text: &str,
    ac: Option<&Words>,
    classes: &[usize],
) -> Vec<(usize, usize, usize, &'static str)> {
    let Some(ac) = ac else { return Vec::new() };
    ac.find_all(text.as_bytes())
        .into_iter()
        .map(|(s, e, w)| (s, e, classes[w], "repeat"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(words: &[&str], text: &str) -> Vec<(usize, usize, usize)> {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(words)
            .unwrap()
            .find_iter(text)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect()
    }

    #[test]
    fn sampling_finds_overlapping_and_nested_words_as_the_automaton_does() {
        let words = [
            "Zq8fakeSecret01",
            "fakeSecret01!!x",
            "Zq8fakeSecret01ABCDEFGH",
            "pass-W0rd",
        ];
        let text = "a Zq8fakeSecret01ABCDEFGH b Zq8fakeSecret01!!x pass-W0rdpass-W0rd Zq8fakeSecre";
        let Some(Words::Sampled(s)) = automaton(&words) else {
            panic!("words of 8 or more bytes are sampled")
        };
        let found = s.find_all(text.as_bytes(), false);
        assert_eq!(
            found,
            [(2, 25, 2), (28, 43, 0), (47, 56, 3), (56, 65, 3)],
            "{found:?}"
        );
        assert_eq!(found, reference(&words, text));
        assert!(Words::Sampled(s).is_match(b"..pass-W0rd"));
        // A word shorter than 8 bytes: the automaton.
        assert!(matches!(
            automaton(&["short", "Zq8fakeSecret01"]),
            Some(Words::Automaton(_))
        ));
        assert!(automaton(&[]).is_none());
    }

    /// Thousands of tokens with one prefix (JWTs share their header): each
    /// is sampled where it differs from the others, so a window stands for a
    /// few words, and the matches are still the automaton's. Near-copies
    /// that share every window fall back to the automaton.
    #[test]
    fn shared_prefixes_are_sampled_where_the_words_differ() {
        let mut x: u64 = 7;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        let jwts: Vec<String> = (0..3000)
            .map(|_| {
                let tail: String = (0..43)
                    .map(|_| alphabet[(next() % 64) as usize] as char)
                    .collect();
                format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvcHMifQ.{tail}")
            })
            .collect();
        // One short word makes the step small (5): the windows are chosen
        // over the whole of each token, past its 56-byte shared prefix.
        let refs: Vec<&str> = jwts
            .iter()
            .map(String::as_str)
            .chain(["Zq8fake!"])
            .collect();
        let Some(Words::Sampled(s)) = automaton(&refs) else {
            panic!("distinct tokens are sampled")
        };
        assert_eq!(s.step, 5);
        let widest = s
            .table
            .chunk_by(|a, b| a.0 == b.0)
            .map(<[_]>::len)
            .max()
            .unwrap();
        assert!(widest <= 4, "a window stands for {widest} words");
        let text: String = (0..200)
            .map(|i| {
                format!(
                    "GET /orders Authorization: Bearer {}\n",
                    refs[(i * 37) % 3000]
                )
            })
            .collect::<String>()
            + "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvcHMifQ.notOneOfThem\n";
        let found = s.find_all(text.as_bytes(), false);
        assert_eq!(found.len(), 200);
        assert_eq!(found, reference(&refs, &text));
        // 200 words of 8 bytes that differ only in their last byte share
        // every window: the automaton.
        let near: Vec<String> = (0..200u8)
            .map(|i| format!("Zq8fake{}", char::from(b'!' + i % 90)))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let refs: Vec<&str> = near.iter().map(String::as_str).collect();
        assert!(matches!(automaton(&refs), Some(Words::Automaton(_))));
    }

    proptest::proptest! {
        /// Sampling finds exactly what the leftmost-longest automaton finds,
        /// on texts made of the words' own pieces (overlaps, prefixes,
        /// repeats, a word cut at the end) and noise.
        #[test]
        fn sampling_equals_the_automaton(
            words in proptest::collection::vec("[a-c0-2!]{8,24}", 1..12),
            picks in proptest::collection::vec((0usize..12, 0usize..24, 0usize..24, "[a-c0-2! ]{0,6}"), 0..40),
        ) {
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            let mut text = String::new();
            for (w, a, b, noise) in &picks {
                text.push_str(noise);
                let w = &words[w % words.len()];
                let (a, b) = ((*a).min(w.len()), (*b).min(w.len()));
                text.push_str(&w[a.min(b)..]);
                text.push_str(&w[..a.max(b)]);
            }
            let Some(Words::Sampled(s)) = automaton(&refs) else {
                panic!("words of 8 or more bytes are sampled")
            };
            let found = s.find_all(text.as_bytes(), false);
            proptest::prop_assert_eq!(&found, &reference(&refs, &text));
            proptest::prop_assert_eq!(!found.is_empty(), Words::Sampled(s).is_match(text.as_bytes()));
        }
    }
}
