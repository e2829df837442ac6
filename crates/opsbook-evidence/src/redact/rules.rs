//! The rule set: classes compiled from the catalog, `policy/evidence.yaml`,
//! gitleaks TOML and literal values; the keyword automaton that decides
//! where each class runs; the rule-set version recorded in manifests.

use regex::Regex;
use serde_json::Value;

use super::catalog::{BUILTIN, PERSONAL, Personal};
use super::values::{Known, SecretValues};
use super::{MARKER, RuleError};

/// One class of secret.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Class ID, e.g. `pem_private_key`; shown in the replacement and reports.
    pub id: String,
    /// What it catches.
    pub description: String,
    pub(super) re: Regex,
    /// Index of the capture group to replace (`secret`), or 0 for the match.
    pub(super) group: usize,
    /// Where its matches can be: what the scan looks for before running it.
    pub(super) anchor: Anchor,
    /// For [`Anchor::Line`] and [`Anchor::Run`]: the pattern as group 1
    /// behind a lazy `[^\n]*?` prefix, searched anchored at a line start.
    pub(super) line_re: Option<regex_automata::meta::Regex>,
}

/// Where a rule's matches can be, so that the scan runs the rule only there
/// instead of over every byte (the keyword prefilter of gitleaks, kept
/// sound): one pass of all keywords over a block (ASCII case-insensitive,
/// Teddy SIMD) names the lines worth running a rule on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// Every match starts on a line, or at the line break just before it,
    /// that contains one of these keywords (lowercase ASCII; matched ASCII
    /// case-insensitively; a block holding the Unicode case variants of `k`
    /// and `s`, U+212A and U+017F, is scanned whole). The match may run on
    /// over later lines. A property test checks this of every built-in class
    /// on generated matches.
    Line(Vec<String>),
    /// Every match starts on a line that holds a run of at least this many
    /// base64 characters (`[A-Za-z0-9+/_-]`), e.g. a Telegram bot token.
    Run(usize),
    /// The rule runs over a whole block in which one of these keywords
    /// appears anywhere (gitleaks `keywords`, a policy class's `keywords`).
    Block(Vec<String>),
    /// The rule runs over every block.
    Everywhere,
}

/// A compiled set of redaction rules.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub(super) rules: Vec<Rule>,
    /// All keywords in one automaton, built on first use.
    pub(super) keywords: std::sync::OnceLock<Keywords>,
    pub(super) replacement: String,
    pub(super) fingerprint: String,
    /// Values found in other files of the same bundle: redacted wherever
    /// they appear ([`RuleSet::with_values`]).
    pub(super) values: SecretValues,
    /// The values in one automaton, built on first use.
    pub(super) values_ac: std::sync::OnceLock<Known>,
}

pub(super) fn compile(id: &str, pattern: &str) -> Result<(Regex, usize), RuleError> {
    let re = check_pattern(pattern).map_err(|p| RuleError {
        id: id.to_string(),
        message: p.to_string(),
    })?;
    let group = re
        .capture_names()
        .position(|n| n == Some("secret"))
        .unwrap_or(0);
    Ok((re, group))
}

/// Why a redaction pattern cannot be right (D-EVD-LIMITS): the class is
/// refused when the rule set loads, before anything is collected. The gate
/// (OB203) reports the same, in CI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternProblem {
    /// Not Rust `regex` syntax (look-around, a typo).
    #[error("does not compile: {0}")]
    DoesNotCompile(String),
    /// The pattern, or its `secret` group, can match an empty span.
    #[error("can match an empty span (e.g. `x*` or `\\b`): it would redact nothing or everything")]
    MatchesEmpty,
    /// The pattern, or its `secret` group, or one of its alternatives,
    /// matches only white space or line breaks (`\n`, `\s+`, `a|\n`).
    #[error(
        "matches only white space or line breaks (e.g. `\\n`, `\\s+`): it would redact the layout of every file and protect nothing"
    )]
    OnlySpace,
}

/// Compiles a redaction pattern as redaction does and refuses one that
/// cannot be right: it does not compile, or it (or its `secret` group) can
/// match an empty span or only white space.
///
/// # Errors
/// The [`PatternProblem`].
pub fn check_pattern(pattern: &str) -> Result<Regex, PatternProblem> {
    let re = regex::RegexBuilder::new(pattern)
        .size_limit(64 << 20)
        .build()
        .map_err(|e| PatternProblem::DoesNotCompile(e.to_string()))?;
    if re.is_match("") {
        return Err(PatternProblem::MatchesEmpty);
    }
    if let Ok(h) = regex_syntax::parse(pattern) {
        let secret = secret_group(&h);
        if h.properties().minimum_len() == Some(0)
            || secret.is_some_and(|g| g.properties().minimum_len() == Some(0))
        {
            return Err(PatternProblem::MatchesEmpty);
        }
        if space_branch(&h) || secret.is_some_and(space_branch) {
            return Err(PatternProblem::OnlySpace);
        }
    }
    Ok(re)
}

/// The `secret` capture group of a pattern's syntax tree.
fn secret_group(h: &regex_syntax::hir::Hir) -> Option<&regex_syntax::hir::Hir> {
    use regex_syntax::hir::HirKind;
    match h.kind() {
        HirKind::Capture(c) if c.name.as_deref() == Some("secret") => Some(&c.sub),
        HirKind::Capture(c) => secret_group(&c.sub),
        HirKind::Repetition(r) => secret_group(&r.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().find_map(secret_group),
        _ => None,
    }
}

/// Whether a syntax tree, or one of its top-level alternatives (`a|\n`),
/// matches only white space: such an alternative alone redacts the layout
/// of every file.
fn space_branch(h: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::HirKind;
    match h.kind() {
        HirKind::Capture(c) => space_branch(&c.sub),
        HirKind::Alternation(v) => v.iter().any(space_branch),
        _ => only_space(h),
    }
}

/// Whether every character a syntax tree can match is white space
/// (assertions match none).
fn only_space(h: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(l) => {
            std::str::from_utf8(&l.0).is_ok_and(|s| s.chars().all(char::is_whitespace))
        }
        // White space comes in short ranges: a long one holds other
        // characters.
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| {
            u32::from(r.end()) - u32::from(r.start()) < 64
                && (r.start()..=r.end()).all(char::is_whitespace)
        }),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .all(|r| (r.start()..=r.end()).all(|b| b.is_ascii_whitespace() || b == 0x0b)),
        HirKind::Repetition(r) => only_space(&r.sub),
        HirKind::Capture(c) => only_space(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(only_space),
    }
}

/// Whether some match of `pattern` can be empty (its shortest match is 0
/// bytes), by the syntax tree; an unparsable pattern says no here and fails
/// to compile elsewhere.
#[must_use]
pub fn can_match_empty(pattern: &str) -> bool {
    regex_syntax::parse(pattern).is_ok_and(|h| h.properties().minimum_len() == Some(0))
}

/// The pattern as group 1 behind a lazy `\n??[^\n]*?` prefix (its own
/// groups shift by one), for anchored searches from a line start (or the
/// line break before it): it finds the leftmost match starting on that line,
/// however far it runs on, and gives up at the line's end when none starts
/// there.
pub(super) fn compile_line(
    id: &str,
    pattern: &str,
) -> Result<regex_automata::meta::Regex, RuleError> {
    regex_automata::meta::Regex::builder()
        .configure(regex_automata::meta::Config::new().nfa_size_limit(Some(64 << 20)))
        .build(&format!("\\n??[^\\n]*?({pattern})"))
        .map_err(|e| RuleError {
            id: id.to_string(),
            message: format!("does not compile: {e}"),
        })
}

/// A class's `keywords` (JSON from the policy, TOML from gitleaks) as
/// strings.
///
/// # Errors
/// Not a list, or an item that is not a string.
pub(super) fn strings(list: Option<Vec<Option<&str>>>, id: &str) -> Result<Vec<String>, RuleError> {
    list.and_then(|k| k.into_iter().map(|k| k.map(String::from)).collect())
        .ok_or_else(|| RuleError {
            id: id.to_string(),
            message: "`keywords` must be a list of strings, e.g. [account, acct]".into(),
        })
}

/// A user class's anchor: [`Anchor::Block`] with its keywords, or
/// [`Anchor::Everywhere`] without.
///
/// # Errors
/// An empty keyword (it would be found everywhere and say nothing).
pub(super) fn block_anchor(id: &str, keywords: Option<Vec<String>>) -> Result<Anchor, RuleError> {
    let Some(k) = keywords.filter(|k| !k.is_empty()) else {
        return Ok(Anchor::Everywhere);
    };
    if k.iter().any(|k| k.trim().is_empty()) {
        return Err(RuleError {
            id: id.to_string(),
            message: "has an empty keyword: keywords must be non-empty strings".into(),
        });
    }
    Ok(Anchor::Block(
        k.iter().map(|k| k.to_ascii_lowercase()).collect(),
    ))
}

/// Every keyword of a rule set in one automaton (leftmost-longest, over
/// ASCII-lowercased text), and for each keyword the rules it may stand for:
/// those with a keyword that is a prefix of it, since a longest match at a
/// position hides the shorter keywords starting there.
///
/// One-byte keywords (`@`) are found by `memchr` instead: in the automaton
/// they would turn off its SIMD prefilter.
#[derive(Debug, Clone)]
pub(super) struct Keywords {
    pub(super) ac: Option<aho_corasick::AhoCorasick>,
    pub(super) owners: Vec<Vec<usize>>,
    /// One-byte keywords and the rules they stand for.
    pub(super) bytes: Vec<(u8, Vec<usize>)>,
}

/// `words` (sorted) in the order that puts neighbours in one bucket of the
/// SIMD searcher: Teddy has 16 buckets and gives a new word the bucket
/// `15 - id % 16`; the candidates a bucket lets through are every mix of its
/// words' first bytes, so alike words (`key`, `mnemonic`… sorted together)
/// share one and unlike ones do not. Measured on the benchmark's clean logs
/// (`scripts/bench-evidence`), the keyword pass costs a third less than in
/// the sorted order.
fn teddy_order(mut words: Vec<&str>) -> Vec<&str> {
    const BUCKETS: usize = 16;
    words.sort_unstable();
    let (base, extra) = (words.len() / BUCKETS, words.len() % BUCKETS);
    // Chunk `j` (of consecutive words) takes the ids `j`, `j + 16`, ….
    let mut chunks: Vec<&[&str]> = Vec::with_capacity(BUCKETS);
    let mut at = 0;
    for j in 0..BUCKETS {
        let n = base + usize::from(j < extra);
        chunks.push(&words[at..at + n]);
        at += n;
    }
    (0..=base)
        .flat_map(|r| chunks.iter().filter_map(move |c| c.get(r).copied()))
        .collect()
}

impl Keywords {
    /// Only the shortest keywords are searched: one that holds another is
    /// found through it (a line with `apikey` holds `key`), so the automaton
    /// stays within what its SIMD searcher takes (Teddy: at most 64 words)
    /// and no searched word is a prefix of another. A rule runs where a
    /// searched word is found that one of its keywords holds.
    pub(super) fn new(rules: &[Rule]) -> Keywords {
        fn keywords(r: &Rule) -> &[String] {
            match &r.anchor {
                Anchor::Line(k) | Anchor::Block(k) => k.as_slice(),
                Anchor::Run(_) | Anchor::Everywhere => &[],
            }
        }
        let mut all: Vec<&str> = rules
            .iter()
            .flat_map(keywords)
            .map(String::as_str)
            .collect();
        all.sort_unstable();
        all.dedup();
        let mut words: Vec<&str> = all
            .iter()
            .copied()
            .filter(|w| !all.iter().any(|o| o != w && w.contains(o)))
            .collect();
        let owners_of = |w: &str| -> Vec<usize> {
            rules
                .iter()
                .enumerate()
                .filter(|(_, r)| keywords(r).iter().any(|k| k.contains(w)))
                .map(|(i, _)| i)
                .collect()
        };
        let bytes = words
            .iter()
            .filter(|w| w.len() == 1)
            .map(|w| (w.as_bytes()[0], owners_of(w)))
            .collect();
        words.retain(|w| w.len() > 1);
        let words = teddy_order(words);
        let owners = words.iter().map(|w| owners_of(w)).collect();
        let ac = (!words.is_empty()).then(|| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&words)
                .expect("keywords are non-empty strings of bounded size")
        });
        Keywords { ac, owners, bytes }
    }
}

impl RuleSet {
    /// The built-in classes plus the chosen personal-data classes.
    ///
    /// # Errors
    /// Never for the shipped patterns (a test compiles them); kept fallible
    /// because a rule that does not compile must stop the run.
    pub fn builtin(personal: Personal) -> Result<RuleSet, RuleError> {
        let mut rs = RuleSet {
            rules: Vec::new(),
            keywords: std::sync::OnceLock::new(),
            replacement: "[REDACTED:{class}]".into(),
            fingerprint: String::new(),
            values: SecretValues::default(),
            values_ac: std::sync::OnceLock::new(),
        };
        for c in BUILTIN {
            rs.add_rule(c.id, c.description, c.pattern, c.anchor(), false)?;
        }
        for c in PERSONAL {
            let on = match c.id {
                "email_address" => personal.email,
                "ipv4_address" => personal.ip,
                _ => personal.windows_user,
            };
            if on {
                rs.add_rule(c.id, c.description, c.pattern, c.anchor(), false)?;
            }
        }
        Ok(rs)
    }

    /// Built-ins plus `redaction` of `policy/evidence.yaml`: `replacement`,
    /// `classes: [{id, description, pattern}]` (a class with a built-in ID
    /// replaces it), `personal_data: {email, ip, windows_user}`.
    ///
    /// # Errors
    /// A class without an ID or pattern, or one that does not compile.
    pub fn from_policy(policy: Option<&Value>) -> Result<RuleSet, RuleError> {
        let red = policy.and_then(|p| p.get("redaction"));
        let pd = red.and_then(|r| r.get("personal_data"));
        let flag = |k: &str, d: bool| {
            pd.and_then(|p| p.get(k))
                .and_then(Value::as_bool)
                .unwrap_or(d)
        };
        let def = Personal::default();
        let mut rs = RuleSet::builtin(Personal {
            email: flag("email", def.email),
            ip: flag("ip", def.ip),
            windows_user: flag("windows_user", def.windows_user),
        })?;
        if let Some(r) = red
            .and_then(|r| r.get("replacement"))
            .and_then(Value::as_str)
        {
            if !r.starts_with(MARKER) || !r.contains("{class}") {
                return Err(RuleError {
                    id: "replacement".into(),
                    message: format!(
                        "`{r}` must start with `{MARKER}` and contain {{class}} (the rescan recognises redacted spans by it)"
                    ),
                });
            }
            rs.replacement = r.to_string();
        }
        for c in red
            .and_then(|r| r.get("classes"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = c.get("id").and_then(Value::as_str).unwrap_or("");
            let Some(p) = c.get("pattern").and_then(Value::as_str) else {
                return Err(RuleError {
                    id: id.to_string(),
                    message: "has no pattern".into(),
                });
            };
            if id.is_empty() {
                return Err(RuleError {
                    id: "?".into(),
                    message: format!("a class with pattern `{p}` has no id"),
                });
            }
            let d = c.get("description").and_then(Value::as_str).unwrap_or("");
            let anchor = block_anchor(
                id,
                c.get("keywords")
                    .map(|k| {
                        strings(
                            k.as_array()
                                .map(|k| k.iter().map(Value::as_str).collect::<Vec<_>>()),
                            id,
                        )
                    })
                    .transpose()?,
            )?;
            // A class with a built-in ID is added beside it, never instead of
            // it: a policy can make redaction stricter, not weaker.
            rs.add(id, d, p, anchor)?;
        }
        Ok(rs)
    }

    pub(super) fn add(
        &mut self,
        id: &str,
        description: &str,
        pattern: &str,
        anchor: Anchor,
    ) -> Result<(), RuleError> {
        self.add_rule(id, description, pattern, anchor, true)
    }

    /// As [`RuleSet::add`]; `checked` false skips [`check_pattern`]'s
    /// syntax-tree checks (the built-in classes: a test runs them on each).
    fn add_rule(
        &mut self,
        id: &str,
        description: &str,
        pattern: &str,
        anchor: Anchor,
        checked: bool,
    ) -> Result<(), RuleError> {
        let (re, group) = if checked {
            compile(id, pattern)?
        } else {
            let re = Regex::new(pattern).map_err(|e| RuleError {
                id: id.to_string(),
                message: format!("does not compile: {e}"),
            })?;
            let group = re
                .capture_names()
                .position(|n| n == Some("secret"))
                .unwrap_or(0);
            (re, group)
        };
        let line_re = match anchor {
            Anchor::Line(_) | Anchor::Run(_) => Some(compile_line(id, pattern)?),
            Anchor::Block(_) | Anchor::Everywhere => None,
        };
        self.rules.push(Rule {
            id: id.to_string(),
            description: description.to_string(),
            re,
            group,
            anchor,
            line_re,
        });
        self.refresh_fingerprint();
        Ok(())
    }

    /// Adds the `[[rules]]` of a gitleaks-style TOML file (`id`, `regex`,
    /// optional `secretGroup`, `description`).
    ///
    /// # Errors
    /// Unparsable TOML, a rule without `id`/`regex`, or a regex that does not
    /// compile in Rust syntax (gitleaks uses Go RE2, almost the same).
    pub fn add_gitleaks_toml(&mut self, text: &str) -> Result<usize, RuleError> {
        let v: toml::Table = toml::from_str(text).map_err(|e: toml::de::Error| RuleError {
            id: "gitleaks".into(),
            message: format!("not TOML: {e}"),
        })?;
        let mut n = 0;
        for r in v
            .get("rules")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = r.get("id").and_then(toml::Value::as_str).unwrap_or("");
            let Some(re) = r.get("regex").and_then(toml::Value::as_str) else {
                return Err(RuleError {
                    id: id.to_string(),
                    message: "has no regex".into(),
                });
            };
            if id.is_empty() {
                return Err(RuleError {
                    id: "?".into(),
                    message: format!("a gitleaks rule with regex `{re}` has no id"),
                });
            }
            let d = r
                .get("description")
                .and_then(toml::Value::as_str)
                .unwrap_or("");
            let anchor = block_anchor(
                id,
                r.get("keywords")
                    .map(|k| {
                        strings(
                            k.as_array()
                                .map(|k| k.iter().map(toml::Value::as_str).collect::<Vec<_>>()),
                            id,
                        )
                    })
                    .transpose()?,
            )?;
            self.add(&format!("gitleaks:{id}"), d, re, anchor)?;
            if let Some(g) = r.get("secretGroup").and_then(toml::Value::as_integer)
                && let Some(last) = self.rules.last_mut()
            {
                last.group = usize::try_from(g).unwrap_or(0);
            }
            n += 1;
        }
        Ok(n)
    }

    /// Adds a literal value to redact wherever it appears (a known key).
    ///
    /// # Errors
    /// An empty or trivially short (< 8 characters) literal: redacting it
    /// would destroy the evidence and protect nothing.
    pub fn add_literal(&mut self, id: &str, value: &str) -> Result<(), RuleError> {
        let v = value.trim();
        if v.chars().count() < 8 {
            return Err(RuleError {
                id: id.to_string(),
                message: format!(
                    "the literal secret is {} characters: at least 8 are needed (an empty or short value would redact ordinary text and protect nothing)",
                    v.chars().count()
                ),
            });
        }
        self.add(id, "literal value", &regex::escape(v), Anchor::Everywhere)
    }

    pub(super) fn refresh_fingerprint(&mut self) {
        use sha2::Digest;
        self.keywords = std::sync::OnceLock::new();
        let mut h = sha2::Sha256::new();
        for r in &self.rules {
            h.update(r.id.as_bytes());
            h.update([0]);
            h.update(r.re.as_str().as_bytes());
            h.update([0]);
            // User keywords decide where a rule runs: part of the version.
            if let Anchor::Block(k) = &r.anchor {
                for k in k {
                    h.update(k.as_bytes());
                    h.update([1]);
                }
            }
        }
        self.fingerprint = h
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
    }

    /// A short hash of every rule's ID and pattern: the rule-set version
    /// recorded in manifests.
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The same rule set, also redacting `values` (found in other files of
    /// the bundle) wherever they appear, under their class.
    #[must_use]
    pub fn with_values(&self, values: &SecretValues) -> RuleSet {
        let mut rs = self.clone();
        rs.values.extend(values);
        rs.values_ac = std::sync::OnceLock::new();
        rs
    }

    /// The class IDs, each once, in rule order (a class may have several
    /// patterns).
    #[must_use]
    pub fn classes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.rules {
            if !out.contains(&r.id.as_str()) {
                out.push(&r.id);
            }
        }
        out
    }

    /// Rule IDs and descriptions.
    #[must_use]
    pub fn rules(&self) -> Vec<(&str, &str)> {
        self.rules
            .iter()
            .map(|r| (r.id.as_str(), r.description.as_str()))
            .collect()
    }

    pub(super) fn replacement(&self, class: &str) -> String {
        self.replacement.replace("{class}", class)
    }
}
