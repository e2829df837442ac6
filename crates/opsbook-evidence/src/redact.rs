//! Fail-closed redaction (D-EVD-LIMITS): what a trading platform leaks, in
//! every representation it leaks it in.
//!
//! A [`RuleSet`] is a list of classes (built-in, `policy/evidence.yaml`,
//! gitleaks-style TOML, literal values). [`RuleSet::scan`] finds secrets in
//! text seen through several *views*, each mapped back to the original
//! bytes, so that a hit in any view redacts the original span:
//!
//! - the text as it is (multi-line PEM blocks, YAML block scalars, values
//!   wrapped onto continuation lines);
//! - without ANSI colour codes and invisible characters (zero-width space,
//!   soft hyphen, BOM) that split a secret for the eye but not for the log;
//! - JSON-unescaped (`\n`, `\"`, `\/`, `\uXXXX`: a flattened PEM key inside a
//!   JSON string);
//! - percent-decoded (`api%5Fkey%3D…` in URLs);
//! - base64-decoded runs (a config blob wrapped in base64): a hit inside
//!   redacts the whole run.
//!
//! Each class runs only where its [`Anchor`] says a match can start (a line
//! holding one of its keywords, or a long base64 run): one SIMD keyword pass
//! per block replaces a pass of every pattern over every byte. A property
//! test checks the built-in anchors on generated matches, another that the
//! anchored scan redacts exactly what a scan of every byte does.
//!
//! [`RuleSet::redact_file`] decides per file: UTF-8 (with or without BOM)
//! and UTF-16LE/BE (what Windows PowerShell 5.1 writes) are decoded exactly
//! (CR, CRLF and the BOM are kept) and re-encoded the same way; a file in
//! which nothing fires comes back byte for byte; gzip and ZIP (recognised by
//! their magic bytes, whatever the extension) are scanned inside within
//! depth and size limits; anything that cannot be scanned is excluded with
//! the reason. Nothing passes unscanned.

use std::io::Read;
use std::time::Instant;

use base64::Engine as _;
use regex::Regex;
use serde::Serialize;
use serde_json::Value;

/// Why a rule set cannot be built: the run stops (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redaction rule `{id}`: {message}")]
pub struct RuleError {
    /// The rule.
    pub id: String,
    /// What is wrong.
    pub message: String,
}

/// One class of secret.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Class ID, e.g. `pem_private_key`; shown in the replacement and reports.
    pub id: String,
    /// What it catches.
    pub description: String,
    re: Regex,
    /// Index of the capture group to replace (`secret`), or 0 for the match.
    group: usize,
    /// Where its matches can be: what the scan looks for before running it.
    anchor: Anchor,
    /// For [`Anchor::Line`] and [`Anchor::Run`]: the pattern as group 1
    /// behind a lazy `[^\n]*?` prefix, searched anchored at a line start.
    line_re: Option<regex_automata::meta::Regex>,
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

/// Keywords of the classes that match a secret-named key (YAML block
/// scalars, JSON values): one of these is in every such key name.
const SECRET_KEY_NAMES: &[&str] = &[
    "apikey",
    "api_key",
    "api-key",
    "secret",
    "passphrase",
    "password",
    "passwd",
    "token",
    "privatekey",
    "private_key",
    "private-key",
    "mnemonic",
];

/// The anchors of the built-in classes (by ID); a class not listed here
/// runs everywhere.
const ANCHORS: &[(&str, &[&str])] = &[
    ("pem_private_key", &["-----begin "]),
    ("pem_private_key_header", &["-----begin "]),
    ("yaml_block_secret", SECRET_KEY_NAMES),
    (
        "labelled_secret",
        &[
            "apikey",
            "api_key",
            "api-key",
            "secret",
            "passphrase",
            "password",
            "passwd",
            "pwd",
            "token",
            "accesskey",
            "access_key",
            "access-key",
            "access-sign",
            "bapi-sign",
            "mnemonic",
            "seedphrase",
            "seed_phrase",
            "seed-phrase",
            "privatekey",
            "private_key",
            "private-key",
        ],
    ),
    ("json_secret_value", SECRET_KEY_NAMES),
    ("connection_string_password", &["password", "pwd"]),
    ("authorization_header", &["authorization"]),
    ("bearer_token", &["bearer"]),
    ("jwt", &["eyj"]),
    ("url_credentials", &["://"]),
    ("request_signature", &["signature=", "sign="]),
    (
        "aws_access_key_id",
        &["akia", "asia", "agpa", "aida", "aroa"],
    ),
    ("aws_secret_access_key", &["secret"]),
    ("slack_webhook", &["hooks.slack.com"]),
    ("discord_webhook", &["discord"]),
    ("slack_token", &["xox"]),
    (
        "github_token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    ),
    ("exchange_api_key", &["key", "secret"]),
    ("email_address", &["@"]),
    ("windows_user_path", &["users\\"]),
];

/// Built-in classes anchored on a base64 run rather than a keyword.
const RUN_ANCHORS: &[(&str, usize)] = &[("telegram_bot_token", 35)];

/// The anchor of a built-in class.
fn builtin_anchor(id: &str) -> Anchor {
    if let Some((_, k)) = ANCHORS.iter().find(|(i, _)| *i == id) {
        return Anchor::Line(k.iter().map(|k| (*k).to_string()).collect());
    }
    if let Some((_, n)) = RUN_ANCHORS.iter().find(|(i, _)| *i == id) {
        return Anchor::Run(*n);
    }
    Anchor::Everywhere
}

/// The marker a replacement starts with: hits inside one are ignored, so
/// redaction is idempotent and a redacted file rescans clean.
pub const MARKER: &str = "[REDACTED:";

/// The built-in classes: (id, description, pattern). Patterns are Rust
/// `regex` syntax (no look-around: linear time); a `secret` group, when
/// present, is the part replaced.
pub const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "pem_private_key",
        "PEM private key blocks (RSA, EC, Ed25519, OpenSSH, encrypted), multi-line or flattened, in any letter case",
        r"(?is)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----",
    ),
    (
        "pem_private_key_header",
        "A PEM private key header whose END line is missing (a cut or partial key)",
        r"(?i)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[A-Za-z0-9+/=\s\\n]{16,}",
    ),
    (
        "yaml_block_secret",
        "A secret-named YAML key whose value is a block scalar (| or >) on the following lines",
        r"(?im)^[ \t]*[\w.-]*(?:api[_-]?key|api[_-]?secret|secret[_-]?key|secret|passphrase|password|passwd|token|private[_-]?key|mnemonic)[\w.-]*[ \t]*:[ \t]*[|>][-+0-9]*[ \t]*\r?\n(?:[ \t]*\r?\n)*(?P<secret>(?:[ \t]+[^\r\n]*\S[^\r\n]*(?:\r?\n|\z))+)",
    ),
    (
        "labelled_secret",
        "Values of keys, secrets, passphrases and tokens by label, including exchange header names (Binance X-MBX-APIKEY, OKX OK-ACCESS-*, Bybit X-BAPI-*)",
        r#"(?i)(?:api[_-]?key|api[_-]?secret|secret[_-]?key|client[_-]?secret|secret|passphrase|password|passwd|pwd|token|access[_-]?key|x-mbx-apikey|ok-access-key|ok-access-sign|ok-access-passphrase|x-bapi-api-key|x-bapi-sign|mnemonic|seed[_-]?phrase|private[_-]?key)["']?\s*(?:[:=]|=>)\s*["']?(?P<secret>[^\s"',;&<>]{6,})"#,
    ),
    (
        "json_secret_value",
        "A JSON string value of a secret-named key, escapes (\\\" \\\\) included",
        r#"(?i)"[\w.-]*(?:api[_-]?key|api[_-]?secret|secret|passphrase|password|passwd|token|private[_-]?key|mnemonic)[\w.-]*"\s*:\s*"(?P<secret>(?:[^"\\]|\\.){6,})""#,
    ),
    (
        "connection_string_password",
        "Password= / Pwd= in ADO.NET, ODBC and JDBC connection strings",
        r#"(?i)(?:^|[;\s])(?:password|pwd)\s*=\s*(?P<secret>"[^"\r\n]*"|'[^'\r\n]*'|[^;\s]+)"#,
    ),
    (
        "authorization_header",
        "HTTP Authorization header values (Bearer, Basic, token)",
        r"(?i)authorization[\x22']?\s*[:=]\s*[\x22']?(?:bearer|basic|token)\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
    ),
    (
        "bearer_token",
        "Bearer tokens outside an Authorization header",
        r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)",
    ),
    (
        "jwt",
        "JSON Web Tokens",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    (
        "url_credentials",
        "user:password@ in URLs (database, broker and proxy URLs), also when the password contains @",
        r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]*:(?P<secret>[^/\s]*[^/\s@])@[^@/\s]+",
    ),
    (
        "request_signature",
        "HMAC signatures in signed exchange URLs and bodies (replayable inside recvWindow)",
        r"(?i)[?&](?:signature|sign)=(?P<secret>[0-9a-zA-Z%+/=_-]{16,})",
    ),
    (
        "aws_access_key_id",
        "AWS / S3-compatible access key IDs",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b",
    ),
    (
        "aws_secret_access_key",
        "AWS secret access keys by label",
        r#"(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9/+=]{40})"#,
    ),
    (
        "telegram_bot_token",
        "Telegram bot tokens (alerting bots)",
        r"(?P<secret>[0-9]{8,10}:[A-Za-z0-9_-]{35})(?:[^A-Za-z0-9_-]|$)",
    ),
    (
        "slack_webhook",
        "Slack incoming webhook URLs",
        r"https://hooks\.slack\.com/services/(?P<secret>[A-Za-z0-9/_-]{20,})",
    ),
    (
        "discord_webhook",
        "Discord webhook URLs",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/(?P<secret>[0-9]+/[A-Za-z0-9_-]{20,})",
    ),
    (
        "slack_token",
        "Slack bot, user and app tokens",
        r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    ),
    (
        "github_token",
        "GitHub personal, OAuth and app tokens",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})",
    ),
    (
        "exchange_api_key",
        "64-character exchange API keys and secrets (Binance style) next to a key-ish word",
        r"(?i)(?:key|secret|apikey|api_key)[^\r\n]{0,20}?\b(?P<secret>[A-Za-z0-9]{64})\b",
    ),
];

/// Optional personal-data classes (configurable in `policy/evidence.yaml`
/// `redaction.personal_data`).
pub const PERSONAL: &[(&str, &str, &str)] = &[
    (
        "email_address",
        "E-mail addresses (operators and account holders)",
        r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b",
    ),
    (
        "ipv4_address",
        "IPv4 addresses",
        r"\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\b",
    ),
    (
        "windows_user_path",
        "The user name in Windows profile paths (C:\\Users\\NAME)",
        r"(?i)\b[a-z]:\\+users\\+(?P<secret>[^\\\s\x22']+)",
    ),
];

/// Which personal-data classes apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Personal {
    /// E-mail addresses.
    pub email: bool,
    /// IPv4 addresses.
    pub ip: bool,
    /// Windows user names in paths.
    pub windows_user: bool,
}

impl Default for Personal {
    fn default() -> Personal {
        Personal {
            email: true,
            ip: false,
            windows_user: true,
        }
    }
}

/// A compiled set of redaction rules.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// All keywords in one automaton, built on first use.
    keywords: std::sync::OnceLock<Keywords>,
    replacement: String,
    fingerprint: String,
}

/// One redaction, located in the original text (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// Class ID.
    pub rule: String,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column (in characters) of the start.
    pub column: usize,
    /// Length of the redacted span, bytes of the decoded text.
    pub bytes: usize,
    /// The view it was found in: `text`, `clean`, `json`, `percent`, `base64`.
    pub view: &'static str,
}

fn compile(id: &str, pattern: &str) -> Result<(Regex, usize), RuleError> {
    let re = regex::RegexBuilder::new(pattern)
        .size_limit(64 << 20)
        .build()
        .map_err(|e| RuleError {
            id: id.to_string(),
            message: format!("does not compile: {e}"),
        })?;
    let group = re
        .capture_names()
        .position(|n| n == Some("secret"))
        .unwrap_or(0);
    if re.is_match("") || can_match_empty(pattern) {
        return Err(RuleError {
            id: id.to_string(),
            message: "can match an empty span (e.g. `x*` or `\\b`): it would redact nothing or everything".into(),
        });
    }
    Ok((re, group))
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
fn compile_line(id: &str, pattern: &str) -> Result<regex_automata::meta::Regex, RuleError> {
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
fn strings(list: Option<Vec<Option<&str>>>, id: &str) -> Result<Vec<String>, RuleError> {
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
fn block_anchor(id: &str, keywords: Option<Vec<String>>) -> Result<Anchor, RuleError> {
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
struct Keywords {
    ac: Option<aho_corasick::AhoCorasick>,
    owners: Vec<Vec<usize>>,
    /// One-byte keywords and the rules they stand for.
    bytes: Vec<(u8, Vec<usize>)>,
}

impl Keywords {
    fn new(rules: &[Rule]) -> Keywords {
        let mut words: Vec<&str> = rules
            .iter()
            .flat_map(|r| match &r.anchor {
                Anchor::Line(k) | Anchor::Block(k) => k.as_slice(),
                Anchor::Run(_) | Anchor::Everywhere => &[],
            })
            .map(String::as_str)
            .collect();
        words.sort_unstable();
        words.dedup();
        let owners_of = |w: &str| -> Vec<usize> {
            rules
                .iter()
                .enumerate()
                .filter(|(_, r)| match &r.anchor {
                    Anchor::Line(k) | Anchor::Block(k) => {
                        k.iter().any(|k| w.starts_with(k.as_str()))
                    }
                    Anchor::Run(_) | Anchor::Everywhere => false,
                })
                .map(|(i, _)| i)
                .collect()
        };
        let bytes = words
            .iter()
            .filter(|w| w.len() == 1)
            .map(|w| (w.as_bytes()[0], owners_of(w)))
            .collect();
        words.retain(|w| w.len() > 1);
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
        };
        for (id, d, p) in BUILTIN {
            rs.add(id, d, p, builtin_anchor(id))?;
        }
        for (id, d, p) in PERSONAL {
            let on = match *id {
                "email_address" => personal.email,
                "ipv4_address" => personal.ip,
                _ => personal.windows_user,
            };
            if on {
                rs.add(id, d, p, builtin_anchor(id))?;
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

    fn add(
        &mut self,
        id: &str,
        description: &str,
        pattern: &str,
        anchor: Anchor,
    ) -> Result<(), RuleError> {
        let (re, group) = compile(id, pattern)?;
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

    fn refresh_fingerprint(&mut self) {
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

    /// Rule IDs and descriptions.
    #[must_use]
    pub fn rules(&self) -> Vec<(&str, &str)> {
        self.rules
            .iter()
            .map(|r| (r.id.as_str(), r.description.as_str()))
            .collect()
    }

    fn replacement(&self, class: &str) -> String {
        self.replacement.replace("{class}", class)
    }
}

/// A view of a text: the text seen another way, each of its bytes mapped
/// to the span of the original it came from.
struct View {
    name: &'static str,
    text: String,
    start: Vec<usize>,
    end: Vec<usize>,
}

impl View {
    fn push(&mut self, s: &str, from: usize, to: usize) {
        self.text.push_str(s);
        for _ in 0..s.len() {
            self.start.push(from);
            self.end.push(to);
        }
    }

    /// A char copied from the original at `at`: each byte maps to itself.
    fn push_char(&mut self, c: char, at: usize) {
        self.text.push(c);
        for k in 0..c.len_utf8() {
            self.start.push(at + k);
            self.end.push(at + k + 1);
        }
    }

    fn original(&self, s: usize, e: usize) -> (usize, usize) {
        (self.start[s], self.end[e - 1])
    }
}

/// A fast byte-level pre-check for [`is_invisible`] characters (their UTF-8
/// lead bytes), confirmed char by char only when it fires.
fn maybe_invisible(b: &[u8]) -> bool {
    // Lead bytes of the invisible characters' UTF-8 forms, found by memchr
    // (ASCII logs have none); then their second byte.
    let lead = |i: usize| {
        matches!(
            (b[i], b.get(i + 1)),
            (0xE2, Some(0x80 | 0x81))
                | (0xEF, Some(0xBB))
                | (0xC2, Some(0xAD))
                | (0xE1, Some(0xA0))
        )
    };
    (memchr::memchr3_iter(0xE2, 0xEF, 0xC2, b).any(lead) || memchr::memchr_iter(0xE1, b).any(lead))
        && std::str::from_utf8(b).is_ok_and(|t| t.chars().any(is_invisible))
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// Without ANSI escape sequences and invisible characters.
fn clean_view(text: &str) -> Option<View> {
    if !text.contains('\u{1b}') && !text.chars().any(is_invisible) {
        return None;
    }
    let mut v = View {
        name: "clean",
        text: String::with_capacity(text.len()),
        start: Vec::with_capacity(text.len()),
        end: Vec::with_capacity(text.len()),
    };
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b {
            // CSI: ESC [ params final-byte; OSC: ESC ] … BEL/ST; other: ESC x.
            let mut j = i + 1;
            if j < b.len() && b[j] == b'[' {
                j += 1;
                while j < b.len() && !(0x40..=0x7e).contains(&b[j]) {
                    j += 1;
                }
                j = (j + 1).min(b.len());
            } else if j < b.len() && b[j] == b']' {
                while j < b.len() && b[j] != 0x07 && !(b[j] == 0x1b && b.get(j + 1) == Some(&b'\\'))
                {
                    j += 1;
                }
                j = (j + if b.get(j) == Some(&0x1b) { 2 } else { 1 }).min(b.len());
            } else if j < b.len() {
                // ESC + one character (which may be several bytes).
                j += text[j..].chars().next().map_or(1, char::len_utf8);
            }
            // Never stop inside a character.
            while j < b.len() && !text.is_char_boundary(j) {
                j += 1;
            }
            i = j;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or('\0');
        let n = c.len_utf8();
        if !is_invisible(c) {
            v.push_char(c, i);
        }
        i += n;
    }
    Some(v)
}

/// JSON string escapes resolved (`\n`, `\"`, `\/`, `\\`, `\uXXXX`).
fn json_view(text: &str) -> Option<View> {
    // Windows paths are full of backslashes: only JSON-ish escapes count.
    if !["\\n", "\\\"", "\\/", "\\u", "\\r", "\\t"]
        .iter()
        .any(|e| text.contains(e))
    {
        return None;
    }
    let mut v = View {
        name: "json",
        text: String::with_capacity(text.len()),
        start: Vec::with_capacity(text.len()),
        end: Vec::with_capacity(text.len()),
    };
    let b = text.as_bytes();
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let simple = match b[i + 1] {
                b'n' => Some("\n"),
                b'r' => Some("\r"),
                b't' => Some("\t"),
                b'"' => Some("\""),
                b'\\' => Some("\\"),
                b'/' => Some("/"),
                _ => None,
            };
            if let Some(s) = simple {
                v.push(s, i, i + 2);
                i += 2;
                changed = true;
                continue;
            }
            if b[i + 1] == b'u'
                && i + 6 <= b.len()
                && let Some(c) = text
                    .get(i + 2..i + 6)
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
            {
                v.push(c.encode_utf8(&mut [0u8; 4]), i, i + 6);
                i += 6;
                changed = true;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap_or('\0');
        v.push_char(c, i);
        i += c.len_utf8();
    }
    changed.then_some(v)
}

/// `%XX` decoded (only when the result is UTF-8).
fn percent_view(text: &str) -> Option<View> {
    let b = text.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    if !b
        .windows(3)
        .any(|w| w[0] == b'%' && hex(w[1]).is_some() && hex(w[2]).is_some())
    {
        return None;
    }
    // All escapes decoded; if that is not UTF-8 (`%FF`), only those that
    // decode to ASCII, the others kept as they are.
    let decode = |ascii_only: bool| {
        let mut out: Vec<u8> = Vec::with_capacity(b.len());
        let mut start = Vec::with_capacity(b.len());
        let mut end = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%'
                && i + 2 < b.len()
                && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
                && (!ascii_only || h < 8)
            {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                start.push(i);
                end.push(i + 3);
                i += 3;
                continue;
            }
            out.push(b[i]);
            start.push(i);
            end.push(i + 1);
            i += 1;
        }
        String::from_utf8(out).ok().map(|text| View {
            name: "percent",
            text,
            start,
            end,
        })
    };
    decode(false).or_else(|| decode(true))
}

/// A span found: (start, end, rule index, view name), in the original text.
type Span = (usize, usize, usize, &'static str);

/// Spans (start, end, rule index, view name) found in `text`, not yet merged.
///
/// The text is cut into blocks of about [`BLOCK`] bytes at line ends (never
/// inside a PEM block), scanned in parallel. In each block one keyword pass
/// (see [`Anchor`]) names the lines each rule runs on; views are built only
/// for the lines that need them (a JSON escape, `%XX`, an ANSI code or an
/// invisible character), so clean logs cost a few SIMD passes.
fn find(
    rs: &RuleSet,
    text: &str,
    deadline: Option<Instant>,
) -> Result<Vec<(usize, usize, usize, &'static str)>, String> {
    use rayon::prelude::*;
    let blocks = blocks(text);
    let parts: Vec<Result<Vec<Span>, String>> = blocks
        .par_iter()
        .map(|&(a, b)| find_block(rs, text, a, b, deadline))
        .collect();
    let mut out = Vec::new();
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// Block size for scanning, bytes.
const BLOCK: usize = 64 << 10;

/// `(start, end)` of blocks of about [`BLOCK`] bytes ending at a line end,
/// extended so that no `-----BEGIN … PRIVATE KEY-----` block is cut.
fn blocks(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + BLOCK).min(text.len());
        if end < text.len() {
            end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
            // Indented lines continue what is above them (a YAML block
            // scalar, a wrapped key, a stack trace): never cut before one.
            while end < text.len() && text[end..].starts_with([' ', '\t']) {
                end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
            }
            // An unclosed private key in this block: run to its END line.
            let block = &text[at..end];
            if memchr::memmem::find(block.as_bytes(), b"-----BEGIN ").is_some()
                && let Some(b) = memchr::memmem::rfind(block.as_bytes(), b"-----BEGIN ")
                && memchr::memmem::find(&block.as_bytes()[b..], b"-----END ").is_none()
                && let Some(e) = memchr::memmem::find(&text.as_bytes()[end..], b"-----END ")
            {
                let after = end + e;
                end = text[after..]
                    .find('\n')
                    .map_or(text.len(), |i| after + i + 1);
            }
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push((at, end));
        at = end;
    }
    out
}

/// Hits `(start, end, rule index)` of every rule in `view` that start
/// before `limit` (they may run on past it), each rule run only where its
/// [`Anchor`] says a match can be. `runs` are the [`base64_runs`] of
/// `view[..limit]`.
fn scan_view(
    rs: &RuleSet,
    view: &str,
    limit: usize,
    runs: &[(usize, usize)],
    out: &mut Vec<(usize, usize, usize)>,
) {
    let b = view.as_bytes();
    let region = &b[..limit];
    let n = rs.rules.len();
    // The Unicode case variants of ASCII letters (KELVIN SIGN for k, LONG S
    // for s) match `(?i)` keywords but not their ASCII-lowercased form.
    let folded = memchr::memmem::find(region, "\u{212A}".as_bytes()).is_some()
        || memchr::memmem::find(region, "\u{17F}".as_bytes()).is_some();
    let mut whole = vec![false; n];
    let mut lines: Vec<(usize, usize)> = Vec::new();
    for (i, r) in rs.rules.iter().enumerate() {
        match r.anchor {
            Anchor::Everywhere => whole[i] = true,
            Anchor::Line(_) | Anchor::Block(_) if folded => whole[i] = true,
            _ => {}
        }
    }
    let kw = rs.keywords.get_or_init(|| Keywords::new(&rs.rules));
    if let Some(ac) = &kw.ac
        && !folded
    {
        let mut lower = region.to_vec();
        lower.make_ascii_lowercase();
        let mut starts = LineStarts::default();
        let mut at = 0;
        while at < lower.len() {
            let Some(m) = ac.find(aho_corasick::Input::new(&lower).span(at..lower.len())) else {
                break;
            };
            for &ri in &kw.owners[m.pattern().as_usize()] {
                match rs.rules[ri].anchor {
                    Anchor::Block(_) => whole[ri] = true,
                    _ => lines.push((ri, starts.of(b, m.start()))),
                }
            }
            at = m.start() + 1;
        }
    }
    if !folded {
        for (byte, owners) in &kw.bytes {
            let mut starts = LineStarts::default();
            for at in memchr::memchr_iter(*byte, region) {
                for &ri in owners {
                    match rs.rules[ri].anchor {
                        Anchor::Block(_) => whole[ri] = true,
                        _ => lines.push((ri, starts.of(b, at))),
                    }
                }
            }
        }
    }
    let run_rules: Vec<(usize, usize)> = rs
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r.anchor {
            Anchor::Run(len) => Some((i, len)),
            _ => None,
        })
        .collect();
    if !run_rules.is_empty() {
        let mut starts = LineStarts::default();
        for &(s, e) in runs {
            let len = view[s..e].trim_end_matches('=').len();
            for &(ri, min) in &run_rules {
                if len >= min {
                    lines.push((ri, starts.of(b, s)));
                }
            }
        }
    }
    lines.sort_unstable();
    lines.dedup();
    let first = out.len();
    let mut caps_of: Vec<Option<regex_automata::util::captures::Captures>> = vec![None; n];
    for (ri, ls) in lines {
        let r = &rs.rules[ri];
        if whole[ri] {
            continue;
        }
        let Some(re) = &r.line_re else { continue };
        let caps = caps_of[ri].get_or_insert_with(|| re.create_captures());
        let line_end = memchr::memchr(b'\n', &b[ls..]).map_or(b.len(), |i| ls + i);
        let mut from = ls.saturating_sub(1);
        while from <= line_end {
            let input = regex_automata::Input::new(view)
                .span(from..view.len())
                .anchored(regex_automata::Anchored::Yes);
            re.search_captures(&input, caps);
            let Some(whole_match) = caps.get_match() else {
                break;
            };
            if let Some(m) = caps.get_group(r.group + 1).or_else(|| caps.get_group(1))
                && m.start < m.end
            {
                out.push((m.start, m.end, ri));
            }
            from = whole_match.end().max(from + 1);
        }
    }
    // Whole-block rules see a few lines past the limit, for a match that
    // starts before it and runs on.
    let mut ext = limit;
    for _ in 0..3 {
        if ext < b.len() {
            ext = memchr::memchr(b'\n', &b[ext..]).map_or(b.len(), |i| ext + i + 1);
        }
    }
    let ext = (ext.min(limit + 4096)..=b.len())
        .find(|&i| view.is_char_boundary(i))
        .unwrap_or(b.len());
    for (ri, r) in rs.rules.iter().enumerate() {
        if !whole[ri] {
            continue;
        }
        for caps in r.re.captures_iter(&view[..ext]) {
            let m = caps.get(r.group).or_else(|| caps.get(0));
            if let Some(m) = m
                && !m.as_str().is_empty()
                && caps.get(0).is_some_and(|w| w.start() < limit)
            {
                out.push((m.start(), m.end(), ri));
            }
        }
    }
    outside_markers(view, &mut out[first..]);
    out.retain(|s| s.0 < s.1);
}

/// Trims hits to what lies outside earlier redactions (`[REDACTED:…]`): a
/// hit inside one is emptied (the caller drops it). Redacting a token in
/// `https://TOKEN@host` leaves `https://[REDACTED:github_token]@host`, in
/// which `url_credentials` would read `[REDACTED` as a user and
/// `github_token]` as a password; the rescan before sealing must not refuse
/// the bundle for it. A hit that reaches out of a marker keeps the part
/// outside, so no real byte is let through.
fn outside_markers(view: &str, hits: &mut [(usize, usize, usize)]) {
    let b = view.as_bytes();
    let Some(reach) = hits.iter().map(|h| h.1).max() else {
        return;
    };
    let markers: Vec<(usize, usize)> = memchr::memmem::find_iter(&b[..reach], MARKER.as_bytes())
        .map(|s| {
            let limit = (s + 256).min(b.len());
            let e = memchr::memchr2(b']', b'\n', &b[s + MARKER.len()..limit])
                .filter(|&i| b[s + MARKER.len() + i] == b']')
                .map_or(s + MARKER.len(), |i| s + MARKER.len() + i + 1);
            (s, e)
        })
        .collect();
    if markers.is_empty() {
        return;
    }
    for h in hits {
        // Nothing but white space outside the markers (an indented YAML
        // block scalar already redacted): nothing left to redact.
        let mut at = h.0;
        let mut real = false;
        for &(ms, me) in markers.iter().filter(|m| m.1 > h.0 && m.0 < h.1) {
            real |= b[at..ms.max(at)].iter().any(|c| !c.is_ascii_whitespace());
            at = at.max(me);
        }
        real |= b[at.min(h.1)..h.1].iter().any(|c| !c.is_ascii_whitespace());
        if !real {
            h.1 = h.0;
            continue;
        }
        for &(ms, me) in &markers {
            if h.0 >= ms && h.0 < me {
                h.0 = me.min(h.1);
            }
            if h.1 > ms && h.1 <= me && h.0 < ms {
                h.1 = ms;
            } else if h.1 > ms && h.1 <= me {
                h.1 = h.0;
            }
        }
    }
}

/// Line starts of increasing positions, scanning back only over what lies
/// between two asked positions (linear even on one long line).
#[derive(Default)]
struct LineStarts {
    scanned: usize,
    start: usize,
}

impl LineStarts {
    fn of(&mut self, b: &[u8], pos: usize) -> usize {
        if pos < self.scanned {
            // Asked out of order: scan back from here.
            return memchr::memrchr(b'\n', &b[..pos]).map_or(0, |i| i + 1);
        }
        if let Some(i) = memchr::memrchr(b'\n', &b[self.scanned..pos]) {
            self.start = self.scanned + i + 1;
        }
        self.scanned = pos;
        self.start
    }
}

/// The lines of `text` (with their offsets) that contain any of `needles`,
/// in order, each once. Needles are found with `memmem`, so a text without
/// them costs one fast pass per needle.
fn lines_with<'t>(text: &'t str, needles: &[&str]) -> Vec<(usize, &'t str)> {
    let b = text.as_bytes();
    let mut hits: Vec<usize> = needles
        .iter()
        .flat_map(|n| memchr::memmem::find_iter(b, n.as_bytes()))
        .collect();
    if hits.is_empty() {
        return Vec::new();
    }
    hits.sort_unstable();
    // Line starts, found scanning back only over what lies between two hits
    // (linear even for one long line with many hits).
    let (mut line_start, mut scanned) = (0usize, 0usize);
    let mut starts: Vec<usize> = Vec::with_capacity(hits.len());
    for pos in hits {
        if let Some(i) = memchr::memrchr(b'\n', &b[scanned..pos]) {
            line_start = scanned + i + 1;
        }
        scanned = pos;
        if starts.last() != Some(&line_start) {
            starts.push(line_start);
        }
    }
    starts
        .into_iter()
        .map(|s| {
            let e = memchr::memchr(b'\n', &b[s..]).map_or(b.len(), |i| s + i + 1);
            (s, &text[s..e])
        })
        .collect()
}

/// Spans found in the block `full[offset..end]`: matches start in the
/// block but may run on past its end (`password:` as a block's last line,
/// its value on the next block's first).
fn find_block(
    rs: &RuleSet,
    full: &str,
    offset: usize,
    end: usize,
    deadline: Option<Instant>,
) -> Result<Vec<(usize, usize, usize, &'static str)>, String> {
    let mut out = Vec::new();
    let over = || deadline.is_some_and(|d| Instant::now() > d);
    let tail = &full[offset..];
    let text = &full[offset..end];
    let runs: Vec<(usize, usize)> = base64_runs(text).collect();
    let mut raw = Vec::new();
    scan_view(rs, tail, text.len(), &runs, &mut raw);
    // A YAML block scalar's extent is its indentation's, not the regex's
    // (which also takes the sibling keys below); earlier redactions are
    // left out again once it is known.
    let mut yaml = false;
    for h in &mut raw {
        if rs.rules[h.2].id == "yaml_block_secret" {
            (h.0, h.1) = yaml_block(tail, h.0);
            yaml = true;
        }
    }
    if yaml {
        outside_markers(tail, &mut raw);
    }
    for (s, e, r) in raw {
        if e > s {
            out.push((offset + s, offset + e, r, "text"));
        }
    }
    if over() {
        return Err("the scan exceeded its time budget".into());
    }
    // Views, line by line where they are needed.
    let has_invisible =
        memchr::memchr(0x1b, text.as_bytes()).is_some() || maybe_invisible(text.as_bytes());
    let mut views: Vec<(usize, View)> = Vec::new();
    if has_invisible && let Some(v) = clean_view(text) {
        views.push((0, v));
    }
    for (at, line) in lines_with(text, &["\\\"", "\\n", "\\u", "\\/"]) {
        if let Some(v) = json_view(line) {
            views.push((at, v));
        }
    }
    for (at, line) in lines_with(text, &["%"]) {
        if let Some(v) = percent_view(line) {
            views.push((at, v));
        }
    }
    for (at, v) in views {
        let mut hits = Vec::new();
        let runs: Vec<(usize, usize)> = base64_runs(&v.text).collect();
        scan_view(rs, &v.text, v.text.len(), &runs, &mut hits);
        for (s, e, r) in hits {
            let (a, b) = v.original(s, e);
            out.push((offset + at + a, offset + at + b, r, v.name));
        }
        if over() {
            return Err("the scan exceeded its time budget".into());
        }
    }
    // Base64 runs: a secret inside redacts the whole run.
    for &(ms, me) in &runs {
        let m = &text[ms..me];
        if m.len() > 4 << 20 || m.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let run = m.trim_end_matches('=');
        let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(run)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(run));
        let Ok(bytes) = decoded else {
            continue;
        };
        let Ok(inner) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if inner.len() < 12 {
            continue;
        }
        let mut hits = Vec::new();
        let inner_runs: Vec<(usize, usize)> = base64_runs(inner).collect();
        scan_view(rs, inner, inner.len(), &inner_runs, &mut hits);
        if let Some((_, _, r)) = hits.first() {
            out.push((offset + ms, offset + me, *r, "base64"));
        }
        if over() {
            return Err("the scan exceeded its time budget".into());
        }
    }
    // Base64 wrapped over lines (MIME's 76 columns, `base64 -w`, a YAML
    // block scalar): the lines are decoded together; a secret inside
    // redacts them all.
    for (ms, me, joined) in wrapped_base64(text, &runs) {
        let run = joined.trim_end_matches('=');
        let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(run)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(run));
        let Some(inner) = decoded.ok().and_then(|b| String::from_utf8(b).ok()) else {
            continue;
        };
        let mut hits = Vec::new();
        let inner_runs: Vec<(usize, usize)> = base64_runs(&inner).collect();
        scan_view(rs, &inner, inner.len(), &inner_runs, &mut hits);
        if let Some((_, _, r)) = hits.first() {
            out.push((offset + ms, offset + me, *r, "base64"));
        }
        if over() {
            return Err("the scan exceeded its time budget".into());
        }
    }
    Ok(out)
}

/// Base64 wrapped over two or more lines: consecutive lines that are each
/// one base64 run (after indentation, before an optional CR), all but the
/// last of the same length (at least 40 characters) and without `=`.
/// Returns `(start, end, the runs joined)`, at most 4 MiB each.
fn wrapped_base64(text: &str, runs: &[(usize, usize)]) -> Vec<(usize, usize, String)> {
    let b = text.as_bytes();
    // A run that is its line's whole content.
    let whole_line = |&(s, e): &(usize, usize)| {
        let ls = memchr::memrchr(b'\n', &b[..s]).map_or(0, |i| i + 1);
        let rest = &b[e..];
        b[ls..s].iter().all(|c| matches!(c, b' ' | b'\t'))
            && (rest.is_empty() || rest.starts_with(b"\n") || rest.starts_with(b"\r\n"))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let (s0, e0) = runs[i];
        let width = e0 - s0;
        if width < 40 || b[s0..e0].contains(&b'=') || !whole_line(&runs[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut joined = text[s0..e0].to_string();
        while j + 1 < runs.len() {
            let (s, e) = runs[j + 1];
            let (_, pe) = runs[j];
            // The next line directly below, nothing but indentation between.
            let between = &b[pe..s];
            let one_break = between.strip_prefix(b"\r").unwrap_or(between);
            let adjacent = one_break.first() == Some(&b'\n')
                && one_break[1..].iter().all(|c| matches!(c, b' ' | b'\t'));
            let (ps, _) = runs[j];
            let last_was_full = pe - ps == width && !b[ps..pe].contains(&b'=');
            if !adjacent || !last_was_full || e - s > width || !whole_line(&runs[j + 1]) {
                break;
            }
            joined.push_str(&text[s..e]);
            j += 1;
            if joined.len() > 4 << 20 {
                break;
            }
        }
        if j > i {
            out.push((s0, runs[j].1, joined));
        }
        i = j + 1;
    }
    out
}

/// Runs of at least 24 base64 (standard or URL-safe) characters with up to
/// two `=` after them: `(start, end)`, left to right, not overlapping (what
/// the regex `[A-Za-z0-9+/_-]{24,}={0,2}` finds, at a table lookup a byte).
fn base64_runs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    const fn table() -> [bool; 256] {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            let c = i as u8;
            t[i] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'_' || c == b'-';
            i += 1;
        }
        t
    }
    static B64: [bool; 256] = table();
    const MIN: usize = 24;
    let b = text.as_bytes();
    let is = |i: usize| B64[usize::from(b[i])];
    // Invariant: a run of MIN or more can start no earlier than `start` (0,
    // or just after a byte outside the alphabet or a run's end), and
    // `start..good` are known to be in the alphabet. A run starting at
    // `start` covers `start + MIN - 1`: check backwards from there down to
    // `good`; the first byte outside the alphabet, at `k`, moves `start`
    // past it (so most bytes are never looked at), else the run is found.
    let (mut start, mut good) = (0usize, 0usize);
    std::iter::from_fn(move || {
        loop {
            let probe = start + MIN - 1;
            if probe >= b.len() {
                return None;
            }
            match (good.max(start)..=probe).rev().find(|&j| !is(j)) {
                Some(k) => {
                    start = k + 1;
                    good = probe + 1;
                }
                None => {
                    let mut end = probe + 1;
                    while end < b.len() && is(end) {
                        end += 1;
                    }
                    let run_end = end;
                    while end < b.len() && end - run_end < 2 && b[end] == b'=' {
                        end += 1;
                    }
                    let found = (start, end);
                    start = end;
                    good = end;
                    return Some(found);
                }
            }
        }
    })
}

/// The span of a YAML block scalar starting on the line at `start`: its
/// lines are those indented deeper than the key's line; the span runs from
/// the first non-blank character to the end of the last such line (the line
/// break is kept, so the YAML stays valid around the replacement).
fn yaml_block(text: &str, start: usize) -> (usize, usize) {
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    // The key's line: the nearest line above that is not blank.
    let mut line_start = start;
    let key_indent = loop {
        let prev = text[..line_start.saturating_sub(1)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = &text[prev..line_start.max(prev)];
        if prev == 0 || !line.trim().is_empty() {
            break indent(line);
        }
        line_start = prev;
    };
    let mut pos = start;
    let mut first = None;
    let mut end = start;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..line_end].trim_end_matches('\r');
        if line.trim().is_empty() {
            pos = line_end + 1;
            continue;
        }
        if indent(line) <= key_indent {
            break;
        }
        first.get_or_insert(pos + indent(line));
        end = pos + line.len();
        pos = line_end + 1;
    }
    (first.unwrap_or(start), end)
}

/// Extends a hit that ends a line over continuation lines that carry only
/// more of the same token (a key wrapped at 64 or 76 columns).
fn extend_wrapped(text: &str, mut end: usize) -> usize {
    let b = text.as_bytes();
    loop {
        let mut i = end;
        if b.get(i) == Some(&b'\\') {
            i += 1;
        }
        if b.get(i) == Some(&b'\r') {
            i += 1;
        }
        if b.get(i) != Some(&b'\n') {
            return end;
        }
        i += 1;
        let line_end = text[i..].find('\n').map_or(text.len(), |k| i + k);
        let line = text[i..line_end].trim_end_matches('\r');
        // A wrapped continuation is indented, and is not `key=value`.
        if !line.starts_with([' ', '\t']) {
            return end;
        }
        let token = line.trim();
        if token.trim_end_matches('=').contains('=') {
            return end;
        }
        let is_token = token.len() >= 8
            && token.len() <= 512
            && token
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=_-".contains(&c));
        if !is_token {
            return end;
        }
        end = i + line.trim_end().len();
    }
}

/// Where to cut `text` after about `target` bytes: at a line end, never
/// before an indented continuation line, never inside a PEM private key
/// block. `None` when the cut needs text not read yet (the END line of a
/// key that began before `target`); at `eof` the whole text is one piece.
fn safe_cut(text: &str, target: usize, eof: bool) -> Option<usize> {
    if eof || text.len() <= target {
        return eof.then_some(text.len());
    }
    let b = text.as_bytes();
    let line_end = |from: usize| memchr::memchr(b'\n', &b[from..]).map(|i| from + i + 1);
    let mut end = line_end(target)?;
    while end < b.len() && matches!(b[end], b' ' | b'\t') {
        end = line_end(end)?;
    }
    if let Some(begin) = memchr::memmem::rfind(&b[..end], b"-----BEGIN ")
        && memchr::memmem::find(&b[begin..end], b"-----END ").is_none()
    {
        let e = memchr::memmem::find(&b[end..], b"-----END ")?;
        end = line_end(end + e)?;
    }
    Some(end)
}

/// Decodes a stream of bytes as UTF-8 or UTF-16 piece by piece, carrying an
/// incomplete character over to the next piece.
struct StreamDecoder {
    enc: Option<Encoding>,
    carry: Vec<u8>,
    at: u64,
}

impl StreamDecoder {
    fn push(&mut self, bytes: &[u8], out: &mut String) -> Result<(), String> {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        let mut body: &[u8] = &buf;
        if self.enc.is_none() {
            if body.len() < 3 && !bytes.is_empty() {
                self.carry = buf;
                return Ok(());
            }
            let (enc, skip) = if body.starts_with(&[0xEF, 0xBB, 0xBF]) {
                (Encoding::Utf8Bom, 3)
            } else if body.starts_with(&[0xFF, 0xFE]) {
                (Encoding::Utf16le, 2)
            } else if body.starts_with(&[0xFE, 0xFF]) {
                (Encoding::Utf16be, 2)
            } else {
                (Encoding::Utf8, 0)
            };
            self.enc = Some(enc);
            body = &body[skip..];
            self.at += skip as u64;
        }
        match self.enc {
            Some(Encoding::Utf16le | Encoding::Utf16be) => {
                let le = self.enc == Some(Encoding::Utf16le);
                let mut units: Vec<u16> = body
                    .chunks_exact(2)
                    .map(|c| {
                        if le {
                            u16::from_le_bytes([c[0], c[1]])
                        } else {
                            u16::from_be_bytes([c[0], c[1]])
                        }
                    })
                    .collect();
                let mut keep = body.len() % 2;
                // A high surrogate at the end waits for its pair.
                if !bytes.is_empty() && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
                    units.pop();
                    keep += 2;
                }
                let text = String::from_utf16(&units)
                    .map_err(|_| format!("not valid UTF-16 after byte {}: not scanned", self.at))?;
                out.push_str(&text);
                self.at += (body.len() - keep) as u64;
                self.carry = body[body.len() - keep..].to_vec();
            }
            _ => match std::str::from_utf8(body) {
                Ok(t) => {
                    out.push_str(t);
                    self.at += body.len() as u64;
                }
                Err(e) if e.error_len().is_none() && !bytes.is_empty() => {
                    let ok = e.valid_up_to();
                    out.push_str(std::str::from_utf8(&body[..ok]).unwrap_or_default());
                    self.at += ok as u64;
                    self.carry = body[ok..].to_vec();
                }
                Err(e) => {
                    return Err(format!(
                        "not UTF-8 or UTF-16 text at byte {}: not scanned",
                        self.at + e.valid_up_to() as u64
                    ));
                }
            },
        }
        if bytes.is_empty() && !self.carry.is_empty() {
            return Err(format!(
                "the text ends inside a character at byte {}: not scanned",
                self.at
            ));
        }
        Ok(())
    }
}

/// What was found and redacted in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The redacted text (the input itself when nothing fired).
    pub text: String,
    /// Each redaction.
    pub hits: Vec<Hit>,
}

impl RuleSet {
    /// `text` with every secret replaced; for opsbook's own records (names,
    /// paths, destinations) that must never carry one.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        self.redact(text, None)
            .map(|r| r.text)
            .unwrap_or_else(|_| "[REDACTED:unscannable]".into())
    }

    /// Finds secrets in `text` (every view) without changing it.
    ///
    /// # Errors
    /// The time budget ran out (fail closed: the caller excludes the file).
    pub fn scan(&self, text: &str, deadline: Option<Instant>) -> Result<Vec<Hit>, String> {
        Ok(self
            .redact_found(text, deadline, false)?
            .map(|r| r.hits)
            .unwrap_or_default())
    }

    /// Scans a stream of any size (UTF-8 with or without BOM, UTF-16 with a
    /// BOM) in pieces of about `window` bytes cut at safe line ends, with
    /// memory bounded by a few windows; hits carry the line numbers of the
    /// whole stream.
    ///
    /// # Errors
    /// Read errors, bytes that are not text (named by offset: nothing is
    /// silently skipped), or the time budget.
    pub fn scan_stream<R: Read>(
        &self,
        mut r: R,
        window: usize,
        deadline: Option<Instant>,
    ) -> Result<Vec<Hit>, String> {
        let mut dec = StreamDecoder {
            enc: None,
            carry: Vec::new(),
            at: 0,
        };
        let mut pending = String::new();
        let mut chunk = vec![0u8; window.clamp(4096, 64 << 20)];
        let mut hits = Vec::new();
        let mut lines_before = 0usize;
        let mut carry_cols = 0usize;
        let mut seen = std::collections::HashSet::new();
        let mut eof = false;
        while !eof || !pending.is_empty() {
            if !eof {
                let n = r
                    .read(&mut chunk)
                    .map_err(|e| format!("cannot be read: {e}"))?;
                eof = n == 0;
                dec.push(&chunk[..n], &mut pending)?;
            }
            // Past 4 windows without a safe cut (one very long line, or a
            // key whose END never comes): cut at the last line end, else at
            // the last space or separator, so no token is split (the header
            // rule still flags a cut key).
            let cut = safe_cut(&pending, window, eof).or_else(|| {
                (pending.len() > 4 * window).then(|| {
                    let b = pending.as_bytes();
                    memchr::memrchr(b'\n', b).map_or_else(
                        || {
                            let from = b.len().saturating_sub(64 << 10);
                            b[from..]
                                .iter()
                                .rposition(|c| matches!(c, b' ' | b'\t' | b',' | b';'))
                                .map_or(b.len(), |i| from + i + 1)
                        },
                        |i| i + 1,
                    )
                })
            });
            let Some(cut) = cut else { continue };
            let piece = &pending[..cut];
            for mut h in self.scan(piece, deadline)? {
                if h.line == 1 {
                    h.column += carry_cols;
                }
                h.line += lines_before;
                // A hit in the overlap of two pieces is reported once.
                if seen.insert((h.rule.clone(), h.line, h.column)) {
                    hits.push(h);
                }
            }
            // A cut may fall between a label and its value: inside a line
            // (at a space: `password: VALUE`) or at a line end (`password:`
            // with the value below). The next piece starts again up to
            // 4 KiB before the cut (at a space, or at the start of one of
            // the last three lines), so both are seen together.
            let b = piece.as_bytes();
            let back = cut - (4096).min(cut / 2);
            let keep = if eof {
                cut
            } else if piece.ends_with('\n') {
                let mut ls = cut - 1;
                for _ in 0..3 {
                    match memchr::memrchr(b'\n', &b[back..ls]) {
                        Some(i) => ls = back + i,
                        None => break,
                    }
                }
                if ls + 1 < cut && ls >= back {
                    ls + 1
                } else {
                    cut
                }
            } else {
                b[back..cut.saturating_sub(1)]
                    .iter()
                    .position(|c| matches!(c, b' ' | b'\t' | b',' | b';'))
                    .map_or(cut, |i| back + i + 1)
            };
            let done = &pending[..keep];
            let newlines = memchr::memchr_iter(b'\n', done.as_bytes()).count();
            // Columns continue on a line cut in the middle.
            carry_cols = match memchr::memrchr(b'\n', done.as_bytes()) {
                Some(i) => done[i + 1..].chars().count(),
                None => carry_cols + done.chars().count(),
            };
            lines_before += newlines;
            pending.drain(..keep);
        }
        Ok(hits)
    }

    /// Redacts `text`: every span found in any view is replaced by
    /// `[REDACTED:<class>]`; overlapping spans are merged.
    ///
    /// # Errors
    /// The time budget ran out.
    pub fn redact(&self, text: &str, deadline: Option<Instant>) -> Result<Redacted, String> {
        Ok(self
            .redact_found(text, deadline, true)?
            .unwrap_or_else(|| Redacted {
                text: text.to_string(),
                hits: Vec::new(),
            }))
    }

    /// As [`RuleSet::redact`], `None` when nothing fired (no copy of a
    /// clean text is made). With `build` false only the hits are computed
    /// (the returned `text` stays empty).
    fn redact_found(
        &self,
        text: &str,
        deadline: Option<Instant>,
        build: bool,
    ) -> Result<Option<Redacted>, String> {
        let mut spans = find(self, text, deadline)?;
        if spans.is_empty() {
            return Ok(None);
        }
        for s in &mut spans {
            s.1 = extend_wrapped(text, s.1);
        }
        // A personal-data match that overlaps a secret is the secret's
        // neighbourhood seen wrongly (`user:pass@host` read as an e-mail
        // address): the secret's class and extent win, so the host stays.
        let personal = |r: usize| PERSONAL.iter().any(|(id, _, _)| *id == self.rules[r].id);
        let mut secrets: Vec<(usize, usize)> = spans
            .iter()
            .filter(|s| !personal(s.2))
            .map(|s| (s.0, s.1))
            .collect();
        if !secrets.is_empty() && secrets.len() < spans.len() {
            secrets.sort_unstable();
            // The furthest end among secrets starting at or before each one.
            let reach: Vec<usize> = secrets
                .iter()
                .scan(0, |m, &(_, e)| {
                    *m = (*m).max(e);
                    Some(*m)
                })
                .collect();
            spans.retain(|s| {
                let n = secrets.partition_point(|&(a, _)| a < s.1);
                !personal(s.2) || n == 0 || reach[n - 1] <= s.0
            });
        }
        spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
        let mut merged: Vec<(usize, usize, usize, &'static str)> = Vec::new();
        for s in spans {
            match merged.last_mut() {
                Some(last) if s.0 < last.1 => last.1 = last.1.max(s.1),
                _ => merged.push(s),
            }
        }
        let mut out = String::with_capacity(if build { text.len() } else { 0 });
        let mut hits = Vec::with_capacity(merged.len());
        let mut at = 0;
        // Line counting runs forward with the sorted spans.
        let (mut line, mut counted, mut line_start) = (1usize, 0usize, 0usize);
        for (s, e, r, view) in merged {
            // Keep spans on char boundaries of the original.
            let s = (0..=s.max(at))
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0)
                .max(at);
            let e = (e..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            if e <= s {
                continue;
            }
            let gap = &text.as_bytes()[counted..s];
            line += memchr::memchr_iter(b'\n', gap).count();
            if let Some(i) = memchr::memrchr(b'\n', gap) {
                line_start = counted + i + 1;
            }
            counted = s;
            let column = text[line_start..s].chars().count() + 1;
            let class = &self.rules[r].id;
            if build {
                out.push_str(&text[at..s]);
                out.push_str(&self.replacement(class));
            }
            hits.push(Hit {
                rule: class.clone(),
                line,
                column,
                bytes: e - s,
                view,
            });
            at = e;
        }
        if build {
            out.push_str(&text[at..]);
        }
        Ok(Some(Redacted { text: out, hits }))
    }
}

/// How a file's bytes are encoded (kept on output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with BOM.
    Utf8Bom,
    /// UTF-16LE (with BOM, or detected).
    Utf16le,
    /// UTF-16BE (with BOM).
    Utf16be,
    /// A gzip stream.
    Gzip,
    /// A ZIP archive.
    Zip,
}

fn decode_exact(b: &[u8]) -> Option<(std::borrow::Cow<'_, str>, Encoding, bool)> {
    use std::borrow::Cow;
    let utf16 = |body: &[u8], le: bool| -> Option<Cow<'_, str>> {
        if !body.len().is_multiple_of(2) {
            return None;
        }
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).ok().map(Cow::Owned)
    };
    if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .ok()
            .map(|s| (Cow::Borrowed(s), Encoding::Utf8Bom, true));
    }
    if let Some(rest) = b.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true).map(|s| (s, Encoding::Utf16le, true));
    }
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false).map(|s| (s, Encoding::Utf16be, true));
    }
    if !b.contains(&0) {
        return std::str::from_utf8(b)
            .ok()
            .map(|s| (Cow::Borrowed(s), Encoding::Utf8, false));
    }
    // UTF-16LE without BOM: ASCII text has a zero in every odd byte.
    let odd_zero = b.iter().skip(1).step_by(2).filter(|&&x| x == 0).count();
    if b.len() >= 4 && odd_zero * 10 >= (b.len() / 2) * 9 {
        return utf16(b, true).map(|s| (s, Encoding::Utf16le, false));
    }
    None
}

fn encode_exact(s: &str, enc: Encoding, bom: bool) -> Vec<u8> {
    match enc {
        Encoding::Utf8 | Encoding::Gzip | Encoding::Zip => s.as_bytes().to_vec(),
        Encoding::Utf8Bom => {
            let mut v = vec![0xEF, 0xBB, 0xBF];
            v.extend_from_slice(s.as_bytes());
            v
        }
        Encoding::Utf16le | Encoding::Utf16be => {
            let le = enc == Encoding::Utf16le;
            let mut v = Vec::with_capacity(s.len() * 2 + 2);
            if bom {
                v.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
            }
            for u in s.encode_utf16() {
                v.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            v
        }
    }
}

/// Limits for archives inside evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArchiveLimits {
    /// Nesting depth (an archive inside an archive is depth 2).
    pub max_depth: u8,
    /// Total decompressed bytes per archive.
    pub max_unpacked_bytes: u64,
    /// Decompressed / compressed ratio (a bomb exceeds it).
    pub max_ratio: u64,
    /// Members per archive.
    pub max_members: usize,
}

impl Default for ArchiveLimits {
    fn default() -> ArchiveLimits {
        ArchiveLimits {
            max_depth: 2,
            max_unpacked_bytes: 256 << 20,
            max_ratio: 200,
            max_members: 2000,
        }
    }
}

/// What happens to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Scanned; `bytes` is what goes into the bundle (identical to the input
    /// when `hits` is empty).
    Kept {
        /// Output bytes.
        bytes: Vec<u8>,
        /// Encoding found (and kept).
        encoding: Encoding,
        /// Redactions.
        hits: Vec<Hit>,
    },
    /// Not shipped, with the reason (fail closed).
    Excluded {
        /// Why.
        reason: String,
    },
}

impl RuleSet {
    /// Decides what one file's bytes become in the bundle.
    #[must_use]
    pub fn redact_file(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
    ) -> FileOutcome {
        self.redact_file_at(bytes, limits, deadline, 1, true)
    }

    /// As [`RuleSet::redact_file`] for the hits only (no redacted copy is
    /// made): `Err` with the reason when the file cannot be scanned.
    ///
    /// # Errors
    /// The reason the file would be excluded.
    pub fn scan_file(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
    ) -> Result<Vec<Hit>, String> {
        match self.redact_file_at(bytes, limits, deadline, 1, false) {
            FileOutcome::Kept { hits, .. } => Ok(hits),
            FileOutcome::Excluded { reason } => Err(reason),
        }
    }

    fn redact_file_at(
        &self,
        bytes: &[u8],
        limits: &ArchiveLimits,
        deadline: Option<Instant>,
        depth: u8,
        build: bool,
    ) -> FileOutcome {
        let excluded = |reason: String| FileOutcome::Excluded { reason };
        if bytes.starts_with(&[0x1f, 0x8b])
            || bytes.starts_with(b"PK\x03\x04")
            || bytes.starts_with(b"PK\x05\x06")
        {
            let gz = bytes.starts_with(&[0x1f, 0x8b]);
            if depth > limits.max_depth {
                return excluded(format!(
                    "archive nested deeper than {} levels: not scanned",
                    limits.max_depth
                ));
            }
            let members = match if gz {
                gunzip(bytes, limits)
            } else {
                unzip(bytes, limits)
            } {
                Ok(m) => m,
                Err(e) => return excluded(e),
            };
            for (name, inner) in &members {
                match self.redact_file_at(inner, limits, deadline, depth + 1, false) {
                    FileOutcome::Kept { hits, .. } if hits.is_empty() => {}
                    FileOutcome::Kept { hits, .. } => {
                        let mut classes: Vec<&str> = hits.iter().map(|h| h.rule.as_str()).collect();
                        classes.sort_unstable();
                        classes.dedup();
                        return excluded(format!(
                            "{} member `{name}` holds secrets ({}): extract it and collect the file itself so it can be redacted",
                            if gz { "gzip" } else { "ZIP" },
                            classes.join(", ")
                        ));
                    }
                    FileOutcome::Excluded { reason } => {
                        return excluded(format!(
                            "{} member `{name}`: {reason}",
                            if gz { "gzip" } else { "ZIP" }
                        ));
                    }
                }
            }
            return FileOutcome::Kept {
                bytes: if build { bytes.to_vec() } else { Vec::new() },
                encoding: if gz { Encoding::Gzip } else { Encoding::Zip },
                hits: Vec::new(),
            };
        }
        let Some((text, enc, bom)) = decode_exact(bytes) else {
            return excluded("binary or undecodable (not UTF-8 or UTF-16 text): cannot be scanned, so not shipped".into());
        };
        // Without `build` (a scan) no copy of the file is made.
        let copy = || if build { bytes.to_vec() } else { Vec::new() };
        match self.redact_found(&text, deadline, build) {
            Err(e) => excluded(e),
            Ok(None) => FileOutcome::Kept {
                bytes: copy(),
                encoding: enc,
                hits: Vec::new(),
            },
            Ok(Some(r)) if r.hits.is_empty() => FileOutcome::Kept {
                bytes: copy(),
                encoding: enc,
                hits: Vec::new(),
            },
            Ok(Some(r)) => FileOutcome::Kept {
                bytes: if build {
                    encode_exact(&r.text, enc, bom)
                } else {
                    Vec::new()
                },
                encoding: enc,
                hits: r.hits,
            },
        }
    }
}

fn gunzip(bytes: &[u8], limits: &ArchiveLimits) -> Result<Vec<(String, Vec<u8>)>, String> {
    let cap = limits.max_unpacked_bytes.min(
        (bytes.len() as u64)
            .saturating_mul(limits.max_ratio)
            .max(1 << 20),
    );
    let mut out = Vec::new();
    let mut d = flate2::read::MultiGzDecoder::new(bytes).take(cap + 1);
    d.read_to_end(&mut out)
        .map_err(|e| format!("gzip stream cannot be read ({e}): not scanned"))?;
    if out.len() as u64 > cap {
        return Err(format!(
            "gzip expands beyond {} bytes (limit {} bytes or {}x its size): a decompression bomb or too large to scan",
            cap, limits.max_unpacked_bytes, limits.max_ratio
        ));
    }
    Ok(vec![("(gzip content)".into(), out)])
}

fn unzip(bytes: &[u8], limits: &ArchiveLimits) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("ZIP cannot be read ({e}): not scanned"))?;
    if z.len() > limits.max_members {
        return Err(format!(
            "ZIP has {} members (limit {}): not scanned",
            z.len(),
            limits.max_members
        ));
    }
    let cap = limits.max_unpacked_bytes.min(
        (bytes.len() as u64)
            .saturating_mul(limits.max_ratio)
            .max(1 << 20),
    );
    let mut total = 0u64;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z
            .by_index(i)
            .map_err(|e| format!("ZIP member {i} cannot be read ({e}): not scanned"))?;
        if f.is_dir() {
            continue;
        }
        let name = f
            .name()
            .map_or_else(|_| format!("member {i}"), |n| n.to_string());
        if f.encrypted() {
            return Err(format!(
                "ZIP member `{name}` is encrypted: cannot be scanned"
            ));
        }
        let mut buf = Vec::new();
        let room = cap.saturating_sub(total);
        Read::by_ref(&mut f)
            .take(room + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("ZIP member `{name}` cannot be read ({e}): not scanned"))?;
        total += buf.len() as u64;
        if total > cap {
            return Err(format!(
                "ZIP expands beyond {cap} bytes (limit {} bytes or {}x its size): a decompression bomb or too large to scan",
                limits.max_unpacked_bytes, limits.max_ratio
            ));
        }
        out.push((name, buf));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    static RULES: std::sync::LazyLock<RuleSet> =
        std::sync::LazyLock::new(|| RuleSet::builtin(Personal::default()).unwrap());

    fn rs() -> RuleSet {
        RULES.clone()
    }

    fn red(s: &str) -> String {
        rs().redact(s, None).unwrap().text
    }

    // Fake secrets only: none of these is a real credential.
    const BINANCE_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

    #[test]
    fn every_builtin_compiles_and_nothing_fires_on_ordinary_logs() {
        let text = "2026-11-29T02:10:00Z INFO order 123 filled qty=0.5 price=37000.1\r\nWARN recvWindow exceeded -1021\r\n";
        let r = rs().redact(text, None).unwrap();
        assert!(r.hits.is_empty(), "{:?}", r.hits);
        assert_eq!(r.text, text);
    }

    #[test]
    fn labelled_exchange_keys_headers_and_signatures() {
        assert_eq!(
            red(&format!("X-MBX-APIKEY: {BINANCE_KEY}\n")),
            "X-MBX-APIKEY: [REDACTED:labelled_secret]\n"
        );
        assert_eq!(
            red(
                "GET /api/v3/order?symbol=BTCUSDT&timestamp=1701220000000&signature=3c1a4e2f9b8d7c6a5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1"
            ),
            "GET /api/v3/order?symbol=BTCUSDT&timestamp=1701220000000&signature=[REDACTED:request_signature]"
        );
        assert_eq!(
            red("api_secret = \"Zx9!kQ2#mW8$pL5\""),
            "api_secret = \"[REDACTED:labelled_secret]\""
        );
    }

    #[test]
    fn bearer_jwt_and_cloud_chat_tokens() {
        assert_eq!(
            red("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789"),
            "Authorization: Bearer [REDACTED:authorization_header]"
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(
            red(&format!("token used {jwt} ok")),
            "token used [REDACTED:jwt] ok"
        );
        assert_eq!(red("AKIAIOSFODNN7EXAMPLE"), "[REDACTED:aws_access_key_id]");
        assert_eq!(
            red("bot 1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 started"),
            "bot [REDACTED:telegram_bot_token] started"
        );
        assert_eq!(
            red(
                "hook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
            ),
            "hook https://hooks.slack.com/services/[REDACTED:slack_webhook]"
        );
    }

    /// Found by the benchmark: a token inside a Bot API URL, and a token on
    /// the line after another secret.
    #[test]
    fn telegram_tokens_in_urls_and_adjacent_lines() {
        assert_eq!(
            red(
                "POST https://api.telegram.org/bot5695165439:AAlZGCS7ruA2oOcO26jYevpZcfdN2AKzjdl/sendMessage -> 200"
            ),
            "POST https://api.telegram.org/bot[REDACTED:telegram_bot_token]/sendMessage -> 200"
        );
        let two = "hook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\nGH_DEPLOY=ghp_oQrSZbrHQdMc5sgYX5Gl1iXpFmpXbZLREsrW\n";
        let r = rs().redact(two, None).unwrap();
        let rules: Vec<&str> = r.hits.iter().map(|h| h.rule.as_str()).collect();
        assert_eq!(rules, ["slack_webhook", "github_token"], "{:?}", r.text);
        assert_eq!(r.hits[1].line, 2);
    }

    /// Blocks are cut at line ends, never inside a private key.
    #[test]
    fn large_texts_are_scanned_in_blocks_without_cutting_a_key() {
        let filler = "2026-11-29T02:10:00Z INFO heartbeat ok\n".repeat((BLOCK / 40) - 2);
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n";
        let text = format!("{filler}{pem}{filler}password=Hunter2Secret\n");
        let r = rs().redact(&text, None).unwrap();
        let rules: Vec<&str> = r.hits.iter().map(|h| h.rule.as_str()).collect();
        assert_eq!(rules, ["pem_private_key", "labelled_secret"]);
        assert!(
            !r.text.contains("MIIEvQ") && !r.text.contains("AAAAAAAA"),
            "no part of the key left"
        );
        assert!(blocks(&text).len() >= 2);
    }

    /// A YAML block scalar that straddles a block boundary stays whole.
    #[test]
    fn indented_continuations_are_never_cut_between_blocks() {
        let head = "x: 1\n".repeat(BLOCK / 5 - 3);
        let yaml = "exchange:\n  api_secret: |\n".to_string()
            + &"    9f86d081884c7d659a2feaa0c55ad015\n".repeat(40)
            + "  symbol: BTCUSDT\n";
        let text = head + &yaml;
        let r = rs().redact(&text, None).unwrap();
        assert!(!r.text.contains("9f86d081"), "no line of the block left");
        assert!(
            r.text
                .ends_with("    [REDACTED:yaml_block_secret]\n  symbol: BTCUSDT\n"),
            "{}",
            &r.text[r.text.len() - 80..]
        );
    }

    /// Found by a first-time user: single quotes with a policy class of the
    /// same ID, an empty user in a URL, escaped quotes inside a JSON value.
    #[test]
    fn policy_classes_add_and_odd_forms_are_caught() {
        let v: Value = serde_json::json!({"redaction": {"classes": [{"id": "labelled_secret", "pattern": "(?i)api_key=(?P<secret>[a-z]{6,})"}]}});
        let r = RuleSet::from_policy(Some(&v)).unwrap();
        assert_eq!(
            r.redact("api_key = 'SingleQuoted12345'", None)
                .unwrap()
                .text,
            "api_key = '[REDACTED:labelled_secret]'"
        );
        assert_eq!(
            red("redis://:RedisNoUserPw55@cache:6379"),
            "redis://:[REDACTED:url_credentials]@cache:6379"
        );
        let j = r#"{"secret":"a\"b\\cEscQuoteSecret","n":1}"#;
        let out = red(j);
        assert!(!out.contains("EscQuoteSecret"), "{out}");
        assert!(serde_json::from_str::<Value>(&out).is_ok(), "{out}");
    }

    #[test]
    fn user_keywords_decide_which_blocks_a_class_runs_on() {
        let class = |k: Value| {
            serde_json::json!({"redaction": {"classes": [
                {"id": "desk_id", "pattern": "DESK-[0-9]{6}", "keywords": k}
            ]}})
        };
        let text = "order routed via DESK-123456 at 09:00";
        // A keyword found in the block (ASCII case-insensitively): it runs.
        let r = RuleSet::from_policy(Some(&class(serde_json::json!(["desk-"])))).unwrap();
        assert_eq!(
            r.redact(text, None).unwrap().text,
            "order routed via [REDACTED:desk_id] at 09:00"
        );
        // As in gitleaks, a keyword anywhere in the block is enough.
        let r = RuleSet::from_policy(Some(&class(serde_json::json!(["ROUTED"])))).unwrap();
        assert_eq!(r.redact(text, None).unwrap().hits.len(), 1);
        // None of them in the block: the class does not run (the author's
        // promise), and the keywords are part of the rule-set version.
        let r2 = RuleSet::from_policy(Some(&class(serde_json::json!(["nowhere"])))).unwrap();
        assert!(r2.redact(text, None).unwrap().hits.is_empty());
        assert_ne!(r.fingerprint(), r2.fingerprint());
        let err = RuleSet::from_policy(Some(&class(serde_json::json!([" "])))).unwrap_err();
        assert!(err.to_string().contains("empty keyword"), "{err}");
        for bad in [serde_json::json!("desk"), serde_json::json!([42])] {
            let err = RuleSet::from_policy(Some(&class(bad))).unwrap_err();
            assert_eq!(
                err.to_string(),
                "redaction rule `desk_id`: `keywords` must be a list of strings, e.g. [account, acct]"
            );
        }
        let mut g = RuleSet::builtin(Personal::default()).unwrap();
        g.add_gitleaks_toml(
            "[[rules]]\nid = \"desk\"\nregex = 'DESK-[0-9]{6}'\nkeywords = [\"desk\"]\n",
        )
        .unwrap();
        assert_eq!(
            g.redact(text, None).unwrap().text,
            "order routed via [REDACTED:gitleaks:desk] at 09:00"
        );
    }

    #[test]
    fn streams_are_scanned_in_pieces_with_whole_file_lines() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&format!("{i:05} ordinary line of a long log\r\n"));
            if i == 1500 {
                text.push_str("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\n");
                text.push_str("  continuation\n-----END RSA PRIVATE KEY-----\n");
            }
        }
        text.push_str("password=StreamTail99\n");
        let whole = rs().scan(&text, None).unwrap();
        // Small windows: many pieces, the key block never cut.
        let got = rs().scan_stream(text.as_bytes(), 4096, None).unwrap();
        assert_eq!(got, whole);
        assert_eq!(
            got.iter()
                .map(|h| (h.rule.as_str(), h.line))
                .collect::<Vec<_>>(),
            vec![("pem_private_key", 1503), ("labelled_secret", 3006)]
        );
        // UTF-16LE with BOM, as Windows PowerShell 5.1 writes, in odd-sized reads.
        let mut u16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            u16.extend_from_slice(&u.to_le_bytes());
        }
        struct Odd<'a>(&'a [u8]);
        impl Read for Odd<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(4093);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        assert_eq!(rs().scan_stream(Odd(&u16), 4096, None).unwrap(), whole);
        // One long line (minified JSON): cut between tokens, columns kept.
        let long = format!(
            "{}\"password\":\"LongLineSecret42\",{}",
            "\"k\":1, ".repeat(9000),
            "\"v\":2, ".repeat(9000)
        );
        let whole = rs().scan(&long, None).unwrap();
        assert_eq!(whole.len(), 1);
        assert_eq!(
            rs().scan_stream(long.as_bytes(), 4096, None).unwrap(),
            whole
        );
        let mut utf8 = "日本語のログ password=MultiByte123\n"
            .repeat(500)
            .into_bytes();
        let all = rs().scan_stream(Odd(&utf8), 4096, None).unwrap();
        assert_eq!(all.len(), 500);
        assert_eq!(all[499].line, 500);
        // Not text: named, never silently skipped.
        utf8.splice(9000..9000, [0xFF, 0xFE, 0x00]);
        let e = rs().scan_stream(&utf8[..], 4096, None).unwrap_err();
        assert!(e.contains("not UTF-8 or UTF-16 text at byte 9000"), "{e}");
    }

    #[test]
    fn a_password_in_a_url_is_not_read_as_an_email_address() {
        assert_eq!(
            red("postgres://trader:S3cretPassw0rd@db.internal:5432/oms"),
            "postgres://trader:[REDACTED:url_credentials]@db.internal:5432/oms"
        );
        // An address on its own is still personal data.
        assert_eq!(
            red("contact ops-lead@example.com"),
            "contact [REDACTED:email_address]"
        );
    }

    #[test]
    fn personal_data_classes_follow_the_policy() {
        let line = "login ops@example.com from 10.1.2.3 C:\\Users\\aiko\\x.log";
        let def = RuleSet::from_policy(None).unwrap();
        assert_eq!(
            def.redact(line, None).unwrap().text,
            "login [REDACTED:email_address] from 10.1.2.3 C:\\Users\\[REDACTED:windows_user_path]\\x.log"
        );
        let v: Value = serde_json::json!({"redaction": {"personal_data": {"email": false, "ip": true, "windows_user": false}}});
        let r = RuleSet::from_policy(Some(&v)).unwrap();
        assert_eq!(
            r.redact(line, None).unwrap().text,
            "login ops@example.com from [REDACTED:ipv4_address] C:\\Users\\aiko\\x.log"
        );
    }

    #[test]
    fn pem_multiline_flattened_and_in_json() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\r\nMIIEowIBAAKCAQEAx3o7\r\nZz9yQm8=\r\n-----END RSA PRIVATE KEY-----\r\n";
        assert_eq!(red(pem), "[REDACTED:pem_private_key]\r\n");
        let flat = "key=-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----END PRIVATE KEY----- next";
        assert_eq!(red(flat), "key=[REDACTED:pem_private_key] next");
        let json = r#"{"k":"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oooooooooooo\n-----END EC PRIVATE KEY-----\n","n":1}"#;
        let out = red(json);
        assert_eq!(out, r#"{"k":"[REDACTED:pem_private_key]\n","n":1}"#);
        assert!(serde_json::from_str::<Value>(&out).is_ok(), "still JSON");
    }

    #[test]
    fn passwords_in_urls_even_with_at_signs_and_connection_strings() {
        assert_eq!(
            red("db=postgres://trader:p@ss:w0rd@db01.internal:5432/fills"),
            // `w0rd@db01.internal` also looks like an e-mail address: the
            // secret wins and the host stays readable.
            "db=postgres://trader:[REDACTED:url_credentials]@db01.internal:5432/fills"
        );
        assert_eq!(
            red("Server=sql01;Database=fills;User Id=svc;Password=Winter2026!;Encrypt=true"),
            "Server=sql01;Database=fills;User Id=svc;Password=[REDACTED:labelled_secret];Encrypt=true"
        );
    }

    #[test]
    fn yaml_block_scalars_and_wrapped_values() {
        let yaml = "exchange:\n  api_secret: |\n    9f86d081884c7d659a2feaa0c55ad015\n    a3bf4f1b2b0b822cd15d6c15b0f00a08\n  symbol: BTCUSDT\n";
        let out = red(yaml);
        assert_eq!(
            out,
            "exchange:\n  api_secret: |\n    [REDACTED:yaml_block_secret]\n  symbol: BTCUSDT\n"
        );
        assert!(opsbook_core::yaml::parse(&out).is_ok(), "still YAML: {out}");
        let wrapped = "secret_key=9f86d081884c7d659a2feaa0c55ad015\n    a3bf4f1b2b0b822cd15d6c15b0f00a08\nnext line\n";
        assert_eq!(
            red(wrapped),
            "secret_key=[REDACTED:labelled_secret]\nnext line\n"
        );
    }

    #[test]
    fn ansi_colours_and_invisible_characters_inside_a_secret() {
        let ansi = "\u{1b}[32mapi_key=\u{1b}[0mAbCdEf123456\u{1b}[0m done";
        let out = red(ansi);
        assert!(!out.contains("AbCdEf"), "{out:?}");
        assert!(out.ends_with(" done"), "{out:?}");
        let zw = "password=Hunter\u{200B}2Secret! tail";
        let out = red(zw);
        assert_eq!(out, "password=[REDACTED:labelled_secret] tail");
    }

    #[test]
    fn json_escaped_percent_encoded_and_base64_wrapped() {
        let esc = r#"{"msg":"config: {\"api_key\": \"Qw3rTy7uIoPaSdFg\"}"}"#;
        let out = red(esc);
        assert!(!out.contains("Qw3rTy7uIoPaSdFg"), "{out}");
        assert!(serde_json::from_str::<Value>(&out).is_ok(), "{out}");
        let pct = "GET /cb?redirect=x%26api_key%3DQw3rTy7uIoPaSdFg%26y=1";
        let out = red(pct);
        assert!(!out.contains("Qw3rTy7uIoPaSdFg"), "{out}");
        let b64 = base64::engine::general_purpose::STANDARD
            .encode("{\"api_secret\":\"Qw3rTy7uIoPaSdFg\"}");
        let line = format!("blob={b64} end");
        assert_eq!(red(&line), "blob=[REDACTED:labelled_secret] end");
    }

    #[test]
    fn utf16le_files_keep_encoding_bom_and_crlf() {
        let text = "user=ops\r\npassword=Hunter2Secret\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let FileOutcome::Kept {
            bytes: out,
            encoding,
            hits,
        } = rs().redact_file(&bytes, &ArchiveLimits::default(), None)
        else {
            panic!("excluded")
        };
        assert_eq!(encoding, Encoding::Utf16le);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].line, hits[0].column), (2, 10));
        let mut want = vec![0xFF, 0xFE];
        for u in "user=ops\r\npassword=[REDACTED:labelled_secret]\r\n".encode_utf16() {
            want.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(out, want);
    }

    #[test]
    fn clean_files_come_back_byte_for_byte() {
        for bytes in [
            b"plain\r\nlines\rcr only\n".to_vec(),
            vec![0xEF, 0xBB, 0xBF, b'o', b'k', b'\r', b'\n'],
        ] {
            match rs().redact_file(&bytes, &ArchiveLimits::default(), None) {
                FileOutcome::Kept {
                    bytes: out, hits, ..
                } => {
                    assert!(hits.is_empty());
                    assert_eq!(out, bytes);
                }
                FileOutcome::Excluded { reason } => panic!("{reason}"),
            }
        }
    }

    #[test]
    fn archives_are_scanned_inside_whatever_their_name() {
        use std::io::Write;
        let gz = |s: &str| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(s.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let clean = gz("all quiet\n");
        match rs().redact_file(&clean, &ArchiveLimits::default(), None) {
            FileOutcome::Kept {
                bytes, encoding, ..
            } => {
                assert_eq!(encoding, Encoding::Gzip);
                assert_eq!(bytes, clean);
            }
            FileOutcome::Excluded { reason } => panic!("{reason}"),
        }
        let dirty = gz("password=Hunter2Secret\n");
        match rs().redact_file(&dirty, &ArchiveLimits::default(), None) {
            FileOutcome::Excluded { reason } => assert!(
                reason.contains("holds secrets (labelled_secret)"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
        // A bomb: 64 MiB of zeros compressed to a few KB.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b'a'; 64 << 20]).unwrap();
        let bomb = e.finish().unwrap();
        match rs().redact_file(&bomb, &ArchiveLimits::default(), None) {
            FileOutcome::Excluded { reason } => {
                assert!(reason.contains("decompression bomb"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        // A ZIP with a secret, named .log.
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file("inner/app.log", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"token: abcdefghijklmnop\n").unwrap();
        let zbytes = z.finish().unwrap().into_inner();
        match rs().redact_file(&zbytes, &ArchiveLimits::default(), None) {
            FileOutcome::Excluded { reason } => assert!(
                reason.contains("ZIP member `inner/app.log` holds secrets"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn binary_is_excluded_and_bad_rules_stop_the_run() {
        match rs().redact_file(&[0, 159, 146, 150, 0, 1], &ArchiveLimits::default(), None) {
            FileOutcome::Excluded { reason } => {
                assert!(reason.contains("cannot be scanned"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let mut r = rs();
        assert!(
            r.add_literal("k", "short")
                .unwrap_err()
                .message
                .contains("at least 8")
        );
        assert!(r.add_literal("k", "").is_err());
        let v: Value =
            serde_json::json!({"redaction": {"classes": [{"id": "bad", "pattern": "(unclosed"}]}});
        assert!(
            RuleSet::from_policy(Some(&v))
                .unwrap_err()
                .message
                .contains("does not compile")
        );
        for pattern in ["x*", "\\b", "(?:key)?"] {
            let v: Value = serde_json::json!({"redaction": {"classes": [{"id": "empty", "pattern": pattern}]}});
            assert!(
                RuleSet::from_policy(Some(&v))
                    .unwrap_err()
                    .message
                    .contains("can match an empty span"),
                "{pattern}"
            );
        }
        let n = r
            .add_gitleaks_toml(
                "[[rules]]\nid = \"internal-token\"\nregex = '''itk_[a-z0-9]{20}'''\n",
            )
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            r.redact("x itk_abcdefghij0123456789 y", None).unwrap().text,
            "x [REDACTED:gitleaks:internal-token] y"
        );
    }

    #[test]
    fn redaction_is_idempotent_and_the_rescan_is_clean() {
        let text = format!(
            "api_key={BINANCE_KEY}\npassword=Hunter2Secret\nAuthorization: Basic dXNlcjpwYXNzd29yZA==\n\
             PS D:\\deploy> git fetch https://ghp_uxtGrWhlahOEfhUQC5VWk5ORqe6KQ60QLc91@github.com/x/y.git\n"
        );
        let once = red(&text);
        assert!(
            once.contains("git fetch https://[REDACTED:github_token]@github.com/x/y.git"),
            "{once}"
        );
        let r = rs().redact(&once, None).unwrap();
        assert!(r.hits.is_empty(), "{:?} in {once}", r.hits);
        assert_eq!(r.text, once);
    }

    /// Found by a first-time user's trial: each redacts, and the redacted
    /// text rescans clean (the pre-seal scan would refuse the bundle).
    #[test]
    fn trial_findings_block_edges_yaml_blocks_and_bad_percent_escapes() {
        let pad = |n: usize| format!("{}\n", "x".repeat(n));
        let cases = [
            // A 64 KiB block ends between the label and its value.
            (
                format!("{}password:\nAKfakeCutValue0123\n", pad(65_530)),
                "AKfakeCutValue0123",
            ),
            (
                format!("{}password:\n\n    AKfakeCutBlank0123\n", pad(65_530)),
                "AKfakeCutBlank0123",
            ),
            (
                format!("{}{{\"password\":\n\"AKfakeCutJson0123\"}}\n", pad(65_530)),
                "AKfakeCutJson0123",
            ),
            (
                "password: |\n  AKfakeYamlBlock0123\n".to_string(),
                "AKfakeYamlBlock0123",
            ),
            (
                "svc:\n  api_secret: |\n\n    AKfakeBlankFirstLine01\n  other: 1\n".to_string(),
                "AKfakeBlankFirstLine01",
            ),
            (
                "GET /x?q=%FF&pass%77ord%3DAKfakePctBad0123 HTTP/1.1\n".to_string(),
                "AKfakePctBad0123",
            ),
        ];
        for (text, secret) in cases {
            let once = red(&text);
            assert!(
                !once.contains(secret),
                "{secret} left in {:?}",
                &once[once.len().saturating_sub(120)..]
            );
            let again = rs().redact(&once, None).unwrap();
            assert!(
                again.hits.is_empty(),
                "{secret}: rescan found {:?}",
                again.hits
            );
        }
        assert_eq!(
            red("password: |\n  AKfakeYamlBlock0123\nnext: 1\n"),
            "password: |\n  [REDACTED:yaml_block_secret]\nnext: 1\n"
        );
        // A PEM block written in lower case is still a private key.
        assert_eq!(
            red(
                "-----begin private key-----\nAKfakeLowerPem0123456789abcdefghij\n-----end private key-----\n"
            ),
            "[REDACTED:pem_private_key]\n"
        );
        // Nested: the sibling key below stays, and the result rescans clean.
        let nested = "db:\n  password: |\n    AKfakeYamlBlock0123\n  host: x\n";
        let once = red(nested);
        assert_eq!(
            once,
            "db:\n  password: |\n    [REDACTED:yaml_block_secret]\n  host: x\n"
        );
        assert!(rs().redact(&once, None).unwrap().hits.is_empty());
        // A blank first line: the siblings after the block stay too.
        assert_eq!(
            red(
                "svc:\n  api_secret: |\n\n    AKfakeBlankFirstLine01\n  other: 1\n  more: 2\ntop: 3\n"
            ),
            "svc:\n  api_secret: |\n\n    [REDACTED:yaml_block_secret]\n  other: 1\n  more: 2\ntop: 3\n"
        );
    }

    #[test]
    fn base64_wrapped_over_lines_is_decoded_together() {
        use base64::Engine as _;
        let config = "db:\n  host: db.internal\n  password: AKfakeWrapped0123456\n  pool: 10\n";
        let enc = base64::engine::general_purpose::STANDARD.encode(config);
        assert!(enc.len() > 76);
        let wrapped: Vec<&str> = enc
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect();
        let text = format!(
            "2026-11-29 config dump follows\r\n  {}\r\n2026-11-29 done\r\n",
            wrapped.join("\r\n  ")
        );
        assert_eq!(
            red(&text),
            "2026-11-29 config dump follows\r\n  [REDACTED:labelled_secret]\r\n2026-11-29 done\r\n"
        );
        // A wrapped PEM certificate body (binary inside) and wrapped
        // base64 of harmless text stay as they are.
        let harmless = base64::engine::general_purpose::STANDARD.encode("x".repeat(200));
        let lines: Vec<&str> = harmless
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect();
        let text = format!("{}\n", lines.join("\n"));
        assert_eq!(red(&text), text);
    }

    /// A one-line stream cut at a space between a label and its value: the
    /// pieces overlap, so the value is found once, at its real column.
    #[test]
    fn a_stream_cut_between_label_and_value_still_finds_it() {
        let window = 4096;
        let label = " password: ";
        // Five reads of `window` bytes fill the pending text past four
        // windows; its last space is the one after the label.
        let mut line = "a".repeat(5 * window - label.len());
        line.push_str(label);
        let col = line.chars().count() + 1;
        line.push_str("AKfakeStreamCut0123");
        line.push_str(&"b".repeat(3 * window));
        line.push_str(" tail\n");
        let hits = rs()
            .scan_stream(std::io::Cursor::new(line.into_bytes()), window, None)
            .unwrap();
        let found: Vec<(&str, usize, usize)> = hits
            .iter()
            .map(|h| (h.rule.as_str(), h.line, h.column))
            .collect();
        assert_eq!(found, vec![("labelled_secret", 1, col)]);
        // The same at a line end: the label ends a piece (the first line
        // end past `window` bytes), the value (after a blank line) starts
        // the next.
        let mut text = "2026-11-29 ordinary line\n".repeat(163);
        text.push_str(&format!("{}\n", "c".repeat(window - 6 - text.len() - 1)));
        assert_eq!(text.len(), window - 6);
        let lines = text.lines().count();
        text.push_str("password:\n\n  AKfakeStreamNextLine01\n");
        text.push_str(&"2026-11-29 more\n".repeat(400));
        let hits = rs()
            .scan_stream(std::io::Cursor::new(text.into_bytes()), window, None)
            .unwrap();
        let found: Vec<(&str, usize, usize)> = hits
            .iter()
            .map(|h| (h.rule.as_str(), h.line, h.column))
            .collect();
        assert_eq!(found, vec![("labelled_secret", lines + 3, 3)]);
    }

    /// The pattern without look-around assertions (`\b`, `^`, `$`, `\z`,
    /// `\A`), which the generator cannot produce: it matches a superset.
    fn without_assertions(p: &str) -> String {
        let mut out = String::new();
        let mut class = false;
        let mut chars = p.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let n = chars.next().unwrap_or_default();
                    if class || !matches!(n, 'b' | 'z' | 'A' | 'B') {
                        out.push('\\');
                        out.push(n);
                    }
                }
                '[' if !class => {
                    class = true;
                    out.push(c);
                    if chars.peek() == Some(&'^') {
                        out.push(chars.next().unwrap_or_default());
                    }
                    if chars.peek() == Some(&']') {
                        out.push(chars.next().unwrap_or_default());
                    }
                }
                ']' if class => {
                    class = false;
                    out.push(c);
                }
                '^' | '$' if !class => {}
                _ => out.push(c),
            }
        }
        out
    }

    /// What [`Anchor`] promises, checked of generated matches of every
    /// built-in class: a keyword starts on the match's first line (the
    /// match may begin at the line break before it), or the first line
    /// holds a long enough base64 run.
    #[test]
    fn every_builtin_anchor_holds_for_generated_matches() {
        use proptest::strategy::{Strategy, ValueTree};
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let all = RuleSet::builtin(Personal {
            email: true,
            ip: true,
            windows_user: true,
        })
        .expect("builtin");
        let mut checked = 0;
        for rule in &all.rules {
            let pattern = without_assertions(rule.re.as_str());
            let matches = proptest::string::string_regex(&pattern)
                .unwrap_or_else(|e| panic!("{}: {e}: {pattern}", rule.id));
            for _ in 0..400 {
                let m = matches.new_tree(&mut runner).expect("tree").current();
                // Only strings the real pattern finds in themselves count.
                let Some(found) = rule.re.find(&m) else {
                    continue;
                };
                let m = found.as_str();
                let folded = m.replace('\u{212A}', "k").replace('\u{17F}', "s");
                let lower = folded.to_ascii_lowercase();
                // The first line: up to the first line break after the first
                // character (the match may start with the break before it).
                let first_line_end = lower
                    .char_indices()
                    .skip(1)
                    .find(|(_, c)| *c == '\n')
                    .map_or(lower.len(), |(i, _)| i);
                let ok = match &rule.anchor {
                    Anchor::Line(k) => k.iter().any(|k| {
                        lower
                            .match_indices(k.as_str())
                            .any(|(i, _)| i < first_line_end)
                    }),
                    Anchor::Run(n) => {
                        let line = &folded[..first_line_end.min(folded.len())];
                        base64_runs(line).any(|(s, e)| line[s..e].trim_end_matches('=').len() >= *n)
                    }
                    Anchor::Block(_) | Anchor::Everywhere => true,
                };
                assert!(
                    ok,
                    "{}: generated match {m:?} breaks {:?}",
                    rule.id, rule.anchor
                );
                checked += 1;
            }
        }
        assert!(
            checked > 4000,
            "only {checked} generated matches were checked"
        );
    }

    /// The same rule set with every rule run over every byte.
    fn unanchored(rs: &RuleSet) -> RuleSet {
        let mut all = rs.clone();
        for r in &mut all.rules {
            r.anchor = Anchor::Everywhere;
            r.line_re = None;
        }
        all.keywords = std::sync::OnceLock::new();
        all
    }

    #[test]
    fn anchored_scanning_finds_what_a_scan_of_every_byte_finds_on_the_corpus() {
        // Real secrets-shaped lines of every class (the fixtures above),
        // joined with ordinary log lines.
        let text = [
            "2026-11-29T00:25:45.367Z INFO  [engine] order 2643 clientOrderId=ob-7104 status=FILLED",
            "X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            "GET /api/v3/order?symbol=BTCUSDT&timestamp=1&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
            "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789",
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "postgres://app:p@ss:w0rd@db.internal:5432/trade",
            "AKIAIOSFODNN7EXAMPLE and telegram 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_",
            "webhook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "slack xoxb-1234567890-abcdefghij github ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "Server=db;Database=t;User Id=sa;Password=Sup3r$ecret;",
            "api_key:",
            "  wrapped-value-on-next-line",
            "private_key: |",
            "  MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
            "-----BEGIN RSA PRIVATE KEY-----",
            "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
            "-----END RSA PRIVATE KEY-----",
            "{\"password\": \"hunter2hunter2\", \"user\": \"ops@example.com\"}",
            "C:\\Users\\tanaka\\AppData\\x.log key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "ſecret=not-ascii-long-s TOKEN=UPPERCASE-VALUE",
        ]
        .join("\n");
        let rs = rs();
        let anchored = rs.redact(&text, None).expect("anchored");
        let every = unanchored(&rs).redact(&text, None).expect("every byte");
        assert_eq!(anchored.text, every.text);
        let mut classes: Vec<&str> = anchored.hits.iter().map(|h| h.rule.as_str()).collect();
        classes.sort_unstable();
        classes.dedup();
        // Where two classes cover one span the merged hit keeps one name
        // (a connection-string password reads as `labelled_secret`).
        assert_eq!(
            classes,
            [
                "authorization_header",
                "aws_access_key_id",
                "email_address",
                "exchange_api_key",
                "github_token",
                "jwt",
                "labelled_secret",
                "pem_private_key",
                "request_signature",
                "slack_token",
                "slack_webhook",
                "telegram_bot_token",
                "url_credentials",
                "windows_user_path",
                "yaml_block_secret",
            ],
            "{:?}",
            anchored.hits
        );
        assert_eq!(anchored.hits.len(), 20, "{:?}", anchored.hits);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Keyword-anchored scanning redacts what running every rule over
        /// every byte redacts, on texts dense with keywords and secrets.
        #[test]
        fn anchored_scanning_equals_a_scan_of_every_byte(s in "(?s)((token|Password|API_KEY|pwd|://|@|bearer |eyJ|&sign=|-----BEGIN |-----END |PRIVATE KEY-----|Authorization: |secret|key|users\\\\|x-mbx-apikey|[0-9]{9}:|[A-Za-z0-9_-]{6,40}|[ \t]{1,4}|[:=\"'|>;/.@\\\\]|\r?\n|\u{212A}|\u{17F}){0,40})") {
            let rs = rs();
            let anchored = rs.redact(&s, None).unwrap();
            let every = unanchored(&rs).redact(&s, None).unwrap();
            proptest::prop_assert_eq!(anchored.text, every.text);
        }

        /// Any text: no panic, redacting twice changes nothing more, and the
        /// result rescans clean.
        #[test]
        fn redaction_is_total_idempotent_and_clean(s in "(?s)[ -~\\r\\n\\t\\u{1b}\\u{200b}é日%=:@/]{0,200}(api_key=[A-Za-z0-9]{8,20})?[ -~]{0,40}") {
            let r = rs();
            let once = r.redact(&s, None).unwrap();
            let twice = r.redact(&once.text, None).unwrap();
            proptest::prop_assert!(twice.hits.is_empty(), "{:?} -> {:?}", once.text, twice.hits);
            proptest::prop_assert_eq!(twice.text, once.text.clone());
            if once.hits.is_empty() {
                proptest::prop_assert_eq!(once.text, s);
            }
        }

        /// Arbitrary bytes as a file: never a panic; clean text comes back identical.
        #[test]
        fn lines_with_finds_each_line_with_a_needle_once(s in "[a-c%\\\\\"\n]{0,80}") {
            let needles = ["\\\"", "\\n", "%"];
            let mut want = Vec::new();
            let mut at = 0;
            for line in s.split_inclusive('\n') {
                if needles.iter().any(|n| line.contains(n)) {
                    want.push((at, line));
                }
                at += line.len();
            }
            proptest::prop_assert_eq!(lines_with(&s, &needles), want);
        }

        #[test]
        fn base64_runs_are_what_the_regex_finds(s in "[A-Za-z0-9+/_=. -]{0,120}") {
            let re = Regex::new(r"[A-Za-z0-9+/_-]{24,}={0,2}").expect("re");
            let want: Vec<(usize, usize)> = re.find_iter(&s).map(|m| (m.start(), m.end())).collect();
            let got: Vec<(usize, usize)> = base64_runs(&s).collect();
            proptest::prop_assert_eq!(got, want);
        }

        #[test]
        fn any_bytes_are_kept_identical_or_excluded_or_redacted(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            match rs().redact_file(&b, &ArchiveLimits::default(), None) {
                FileOutcome::Kept { bytes, hits, .. } if hits.is_empty() => proptest::prop_assert_eq!(bytes, b),
                _ => {}
            }
        }
    }
}
