//! The built-in classes (D-EVD-LIMITS): what each catches, its pattern and
//! its [`Anchor`], the keywords a match must start beside. The catalog is
//! data; [`super::RuleSet`] compiles it.

use super::Anchor;
use serde::Serialize;

/// Keywords of the classes that match a secret-named key (YAML block
/// scalars, JSON values): one of these is in every such key name.
pub(super) const SECRET_KEY_NAMES: &[&str] = &[
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
pub(super) const ANCHORS: &[(&str, &[&str])] = &[
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
pub(super) const RUN_ANCHORS: &[(&str, usize)] = &[("telegram_bot_token", 35)];

/// The anchor of a built-in class.
pub(super) fn builtin_anchor(id: &str) -> Anchor {
    if let Some((_, k)) = ANCHORS.iter().find(|(i, _)| *i == id) {
        return Anchor::Line(k.iter().map(|k| (*k).to_string()).collect());
    }
    if let Some((_, n)) = RUN_ANCHORS.iter().find(|(i, _)| *i == id) {
        return Anchor::Run(*n);
    }
    Anchor::Everywhere
}

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
