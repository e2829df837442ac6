//! The built-in classes (D-EVD-LIMITS): what each catches, its pattern and
//! where its matches start (the keywords of its [`super::Anchor`]). The
//! catalog is data; [`super::RuleSet`] compiles it. A class may have more
//! than one pattern (entries with the same ID): each has its own anchor.
//!
//! Every anchor is checked by a property test on generated matches of its
//! pattern, so a keyword list that misses a form the pattern accepts fails
//! the build, not an incident.

use serde::Serialize;

use super::Anchor;

/// Where a built-in pattern's matches start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// On a line that holds one of these keywords (lowercase ASCII).
    Keywords(&'static [&'static str]),
    /// On a line with a run of at least this many base64 characters.
    Run(usize),
    /// Anywhere: the pattern runs over every byte.
    Everywhere,
}

/// One built-in pattern of a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    /// Class ID, e.g. `pem_private_key`.
    pub id: &'static str,
    /// What it catches.
    pub description: &'static str,
    /// Rust `regex` syntax (no look-around: linear time); a `secret` group,
    /// when present, is the part replaced.
    pub pattern: &'static str,
    /// Where its matches start.
    pub start: Start,
}

impl Class {
    pub(super) fn anchor(&self) -> Anchor {
        match self.start {
            Start::Keywords(k) => Anchor::Line(k.iter().map(|k| (*k).to_string()).collect()),
            Start::Run(n) => Anchor::Run(n),
            Start::Everywhere => Anchor::Everywhere,
        }
    }
}

/// Keywords of the classes that match a secret-named key (YAML block
/// scalars, JSON values): one of these is in every such key name.
const SECRET_KEY_NAMES: &[&str] = &[
    "apikey",
    "api_key",
    "api-key",
    "secret",
    "pass",
    "pwd",
    "token",
    "privatekey",
    "private_key",
    "private-key",
    "mnemonic",
];

/// Keywords of the classes that read a secret-named variable (environment
/// tables, `$env:`): one of these is in every such name.
const SECRET_VAR_WORDS: &[&str] = &["key", "secret", "token", "pass", "pwd", "credential"];

/// The key-name part of the secret-named key classes: a known secret word
/// inside the name, or `pass` / `pwd` as a whole part of it (`DB_PASS`,
/// `smtp.pass`, `ADMIN_PWD`, but not `bypass`).
macro_rules! secret_key {
    () => {
        r"(?:[\w.-]*(?:api[_-]?key|api[_-]?secret|secret|passphrase|password|passwd|token|private[_-]?key|mnemonic)[\w.-]*|(?:[\w.-]*[_.-])?(?:pass|pwd)(?:[_.-][\w.-]*)?)"
    };
}

/// The built-in classes.
pub const BUILTIN: &[Class] = &[
    Class {
        id: "pem_private_key",
        description: "PEM private key blocks (RSA, EC, Ed25519, OpenSSH, encrypted), multi-line or flattened, in any letter case",
        pattern: r"(?is)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----",
        start: Start::Keywords(&["-----begin "]),
    },
    Class {
        id: "pem_private_key_header",
        description: "A PEM private key header whose END line is missing (a cut or partial key)",
        pattern: r"(?i)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[A-Za-z0-9+/=\s\\n]{16,}",
        start: Start::Keywords(&["-----begin "]),
    },
    Class {
        id: "yaml_block_secret",
        description: "A secret-named YAML key whose value is a block scalar (| or >) on the following lines",
        pattern: concat!(
            r"(?im)^[ \t]*",
            secret_key!(),
            r"[ \t]*:[ \t]*[|>][-+0-9]*[ \t]*\r?\n(?:[ \t]*\r?\n)*(?P<secret>(?:[ \t]+[^\r\n]*\S[^\r\n]*(?:\r?\n|\z))+)"
        ),
        start: Start::Keywords(SECRET_KEY_NAMES),
    },
    Class {
        id: "labelled_secret",
        description: "Values of keys, secrets, passphrases, passwords (also short: DB_PASS, *_PWD, passwd) and tokens by label, including exchange header names (Binance X-MBX-APIKEY, OKX OK-ACCESS-*, Bybit X-BAPI-*), Binance listenKey and Azure AccountKey; the value may be on the next line after an opening bracket or parenthesis",
        pattern: r#"(?i)(?:api[_-]?key|api[_-]?secret|secret[_-]?key|client[_-]?secret|secret|passphrase|password|passwd|(?:[_.-]|\b)pass|pwd|token|access[_-]?key|account[_-]?key|listen[_-]?key|x-mbx-apikey|ok-access-key|ok-access-sign|ok-access-passphrase|x-bapi-api-key|x-bapi-sign|mnemonic|seed[_-]?phrase|private[_-]?key)["']?\s*(?:[:=]|=>)\s*(?:@?[(\[][ \t]*\r?\n\s*)?["']?(?P<secret>[^\s"',;&<>]{6,})"#,
        start: Start::Keywords(&[
            "apikey",
            "api_key",
            "api-key",
            "secret",
            "pass",
            "pwd",
            "token",
            "accesskey",
            "access_key",
            "access-key",
            "accountkey",
            "account_key",
            "account-key",
            "listenkey",
            "listen_key",
            "listen-key",
            "access-sign",
            "bapi-sign",
            "mnemonic",
            "seedphrase",
            "seed_phrase",
            "seed-phrase",
            "privatekey",
            "private_key",
            "private-key",
        ]),
    },
    Class {
        id: "prose_password",
        description: "A password told in words (\"the password is Hunter2Hunter2!\", \"passphrase was …\"): a value of four or more characters with a digit, after password / passwd / passphrase and is / was",
        pattern: r#"(?i)\b(?:password|passwd|passphrase)\s+(?:is|was|stays|remains)\s+["'`]?(?P<secret>[^\s"'`]{3,}[0-9][^\s"'`]*|[^\s"'`]*[0-9][^\s"'`]{3,})"#,
        start: Start::Keywords(&["pass"]),
    },
    Class {
        id: "json_secret_value",
        description: "A JSON string value of a secret-named key, escapes (\\\" \\\\) included",
        pattern: concat!(
            r#"(?i)""#,
            secret_key!(),
            r#""\s*:\s*"(?P<secret>(?:[^"\\]|\\.){6,})""#
        ),
        start: Start::Keywords(SECRET_KEY_NAMES),
    },
    Class {
        id: "exchange_config_key",
        description: "A bare \"key\" beside \"secret\" (or password, passphrase) in one exchange config object (freqtrade, ccxt)",
        pattern: r#"(?is)["']key["']\s*:\s*["'](?P<secret>[^"'\\\r\n]{6,})["'][^{}]{0,400}?["'](?:secret|password|passphrase)["']\s*:"#,
        start: Start::Keywords(&["key"]),
    },
    Class {
        id: "exchange_config_key",
        description: "A bare \"key\" after \"secret\" (or password, passphrase) in one exchange config object",
        pattern: r#"(?is)["'](?:secret|password|passphrase)["']\s*:[^{}]{0,400}?["']key["']\s*:\s*["'](?P<secret>[^"'\\\r\n]{6,})["']"#,
        start: Start::Keywords(&["secret", "pass"]),
    },
    Class {
        id: "exchange_config_key",
        description: "A bare key: beside secret: (or password:, passphrase:) within 6 lines in a YAML exchange config",
        pattern: r#"(?im)^[ \t]*(?:-[ \t]+)?["']?key["']?[ \t]*:[ \t]*["']?(?P<secret>[^\s"'#,{}\[\]$%][^\s"'#,{}\[\]]{5,})["']?[ \t]*\r?(?:\n[^\n]*){0,6}?\n[ \t]*(?:-[ \t]+)?["']?(?:secret|password|passphrase)["']?[ \t]*:"#,
        start: Start::Keywords(&["key"]),
    },
    Class {
        id: "exchange_config_key",
        description: "A bare key: after secret: (or password:, passphrase:) within 6 lines in a YAML exchange config",
        pattern: r#"(?im)^[ \t]*(?:-[ \t]+)?["']?(?:secret|password|passphrase)["']?[ \t]*:[^\n]*(?:\n[^\n]*){0,6}?\n[ \t]*(?:-[ \t]+)?["']?key["']?[ \t]*:[ \t]*["']?(?P<secret>[^\s"'#,{}\[\]$%][^\s"'#,{}\[\]]{5,})"#,
        start: Start::Keywords(&["secret", "pass"]),
    },
    Class {
        id: "request_signature",
        description: "Signatures by label: JSON \"sign\"/\"signature\" fields, sig= (Azure SAS), hmac=, X-MBX-SIGNATURE, a 64-hex signature= (replayable inside recvWindow)",
        pattern: r#"(?i)\b(?:sign|signature|sig|hmac|x-mbx-signature)["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9+/=_%-]{16,})"#,
        start: Start::Keywords(&["sig", "hmac"]),
    },
    Class {
        id: "ws_login_args",
        description: "The args of an exchange WebSocket login frame (Bybit {\"op\":\"auth\",\"args\":[key, expires, signature]}, OKX v3 {\"op\":\"login\",\"args\":[key, passphrase, timestamp, sign]}): replaced as one string, so the JSON still parses",
        pattern: r#"(?is)["']op["'][ \t]*:[ \t]*["'](?:auth|login)["'][^{}\[\]]{0,200}?["']args["']\s*:\s*\[\s*["'](?P<secret>[^\]]+?)["']\s*\]"#,
        start: Start::Keywords(&["auth", "login"]),
    },
    Class {
        id: "ws_login_args",
        description: "The args of an exchange WebSocket login frame written before its op",
        pattern: r#"(?is)["']args["']\s*:\s*\[\s*["'](?P<secret>[^\]]+?)["']\s*\][^{}\[\]]{0,200}?["']op["']\s*:\s*["'](?:auth|login)["']"#,
        start: Start::Keywords(&["args"]),
    },
    Class {
        id: "docker_auth",
        description: "Docker's \"auth\" (base64 user:password) in config.json auths",
        pattern: r#"(?i)["']auth["']\s*:\s*["'](?P<secret>[A-Za-z0-9+/]{8,}={0,2})["']"#,
        start: Start::Keywords(&["auth"]),
    },
    Class {
        id: "binance_listen_key",
        description: "A Binance listenKey in a user-data-stream URL (/ws/KEY, streams=…/KEY)",
        pattern: r"(?i)(?:/ws/|streams=(?:[A-Za-z0-9@_.-]+/)*)(?P<secret>[A-Za-z0-9]{40,})",
        start: Start::Keywords(&["/ws/", "streams="]),
    },
    Class {
        id: "powershell_secure_string",
        description: "The plain text given to ConvertTo-SecureString -AsPlainText (also -String, or piped in)",
        pattern: r#"(?i)convertto-securestring(?:\s+-(?:asplaintext|force)(?::\$\w+)?)*\s+(?:-string\s+)?["'](?P<secret>[^"'\r\n]+)["']"#,
        start: Start::Keywords(&["convertto-securestring"]),
    },
    Class {
        id: "powershell_secure_string",
        description: "The plain text piped into ConvertTo-SecureString",
        pattern: r#"(?i)["'](?P<secret>[^"'\r\n]+)["'][ \t]*\|[ \t]*convertto-securestring"#,
        start: Start::Keywords(&["convertto-securestring"]),
    },
    Class {
        id: "powershell_env_secret",
        description: "$env:NAME = \"…\" (and [Environment]::SetEnvironmentVariable) where NAME names a key, secret, token, pass or credential",
        pattern: r#"(?i)\$env:[A-Za-z0-9_]*(?:key|secret|token|pass|pwd|credential)[A-Za-z0-9_]*\s*=\s*["'](?P<secret>[^"'\r\n]+)["']"#,
        start: Start::Keywords(&["$env:"]),
    },
    Class {
        id: "powershell_env_secret",
        description: "[Environment]::SetEnvironmentVariable(NAME, \"…\") where NAME names a key, secret, token, pass or credential",
        pattern: r#"(?i)setenvironmentvariable\(\s*["'][A-Za-z0-9_]*(?:key|secret|token|pass|pwd|credential)[A-Za-z0-9_]*["']\s*,\s*["'](?P<secret>[^"'\r\n]+)["']"#,
        start: Start::Keywords(&["setenvironmentvariable"]),
    },
    Class {
        id: "powershell_env_secret",
        description: "Set-Item / New-Item Env:NAME \"…\" (with or without -Path and -Value) where NAME names a key, secret, token, pass or credential",
        pattern: r#"(?i)\b(?:set|new)-item\s+(?:-path\s+)?["']?env:\\?[A-Za-z0-9_]*(?:key|secret|token|pass|pwd|credential)[A-Za-z0-9_]*["']?\s+(?:-value\s+)?["'](?P<secret>[^"'\r\n]+)["']"#,
        start: Start::Keywords(&["set-item", "new-item"]),
    },
    Class {
        id: "env_table_secret",
        description: "The value of a secret-named variable in the table `Get-ChildItem Env:` prints (NAME, spaces, value; an upper-case name with KEY, SECRET, TOKEN, PASS, PWD… as one of its `_` parts)",
        pattern: r"(?m)^[ \t]*(?:[A-Z0-9]+_(?:[A-Z0-9]+_)*)?(?:KEY|APIKEY|SECRET|APISECRET|TOKEN|PASS|PASSWD|PASSWORD|PASSPHRASE|PWD|ACCESSKEY|CREDENTIALS?)(?:_[A-Z0-9]+)*(?:…|\.\.\.)?[ \t]+(?P<secret>[^\s=:](?:[^\r\n]*\S)?)",
        start: Start::Keywords(SECRET_VAR_WORDS),
    },
    Class {
        id: "env_table_secret",
        description: "The Value line under a secret-named Name in `Get-ChildItem Env: | Format-List`",
        pattern: r"(?im)^[ \t]*Name[ \t]*:[ \t]*[A-Za-z0-9_.-]*(?:key|secret|token|pass|pwd|credential)[A-Za-z0-9_.-]*[ \t]*\r?\n[ \t]*Value[ \t]*:[ \t]*(?P<secret>\S(?:[^\r\n]*\S)?)",
        start: Start::Keywords(SECRET_VAR_WORDS),
    },
    Class {
        id: "connection_string_password",
        description: "Password= / Pwd= in ADO.NET, ODBC and JDBC connection strings",
        pattern: r#"(?i)(?:^|[;\s])(?:password|pwd)\s*=\s*(?P<secret>"[^"\r\n]*"|'[^'\r\n]*'|[^;\s]+)"#,
        start: Start::Keywords(&["password", "pwd"]),
    },
    Class {
        id: "authorization_header",
        description: "HTTP Authorization header values (Bearer, Basic, token)",
        pattern: r"(?i)authorization[\x22']?\s*[:=]\s*[\x22']?(?:bearer|basic|token)\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
        start: Start::Keywords(&["authorization"]),
    },
    Class {
        id: "bearer_token",
        description: "Bearer tokens outside an Authorization header",
        pattern: r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)",
        start: Start::Keywords(&["bearer"]),
    },
    Class {
        id: "jwt",
        description: "JSON Web Tokens",
        pattern: r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        start: Start::Keywords(&["eyj"]),
    },
    Class {
        id: "url_credentials",
        description: "user:password@ in URLs (database, broker and proxy URLs), also when the password contains @",
        pattern: r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]*:(?P<secret>[^/\s]*[^/\s@])@[^@/\s]+",
        start: Start::Keywords(&["://"]),
    },
    Class {
        id: "request_signature",
        description: "HMAC signatures in signed exchange URLs and bodies (replayable inside recvWindow)",
        pattern: r"(?i)[?&](?:signature|sign)=(?P<secret>[0-9a-zA-Z%+/=_-]{16,})",
        start: Start::Keywords(&["signature=", "sign="]),
    },
    Class {
        id: "aws_access_key_id",
        description: "AWS / S3-compatible access key IDs",
        pattern: r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b",
        start: Start::Keywords(&["akia", "asia", "agpa", "aida", "aroa"]),
    },
    Class {
        id: "aws_secret_access_key",
        description: "AWS secret access keys by label",
        pattern: r#"(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9/+=]{40})"#,
        start: Start::Keywords(&["secret"]),
    },
    Class {
        id: "telegram_bot_token",
        description: "Telegram bot tokens (alerting bots)",
        pattern: r"(?P<secret>[0-9]{8,10}:[A-Za-z0-9_-]{35})(?:[^A-Za-z0-9_-]|$)",
        start: Start::Run(35),
    },
    Class {
        id: "telegram_bot_token",
        description: "Telegram bot tokens in Bot API URLs (api.telegram.org/bot…), whatever their length",
        pattern: r"(?i)api\.telegram\.org/(?:file/)?bot(?P<secret>[0-9]{3,}:[A-Za-z0-9_-]+)",
        start: Start::Keywords(&["api.telegram.org/"]),
    },
    Class {
        id: "slack_webhook",
        description: "Slack incoming webhook URLs",
        pattern: r"https://hooks\.slack\.com/services/(?P<secret>[A-Za-z0-9/_-]{20,})",
        start: Start::Keywords(&["hooks.slack.com"]),
    },
    Class {
        id: "discord_webhook",
        description: "Discord webhook URLs",
        pattern: r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/(?P<secret>[0-9]+/[A-Za-z0-9_-]{20,})",
        start: Start::Keywords(&["discord"]),
    },
    Class {
        id: "slack_token",
        description: "Slack bot, user and app tokens",
        pattern: r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
        start: Start::Keywords(&["xox"]),
    },
    Class {
        id: "github_token",
        description: "GitHub personal, OAuth and app tokens",
        pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})",
        start: Start::Keywords(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]),
    },
    Class {
        id: "exchange_api_key",
        description: "64-character exchange API keys and secrets (Binance style) next to a key-ish word",
        pattern: r"(?i)(?:key|secret|apikey|api_key)[^\r\n]{0,20}?\b(?P<secret>[A-Za-z0-9]{64})\b",
        start: Start::Keywords(&["key", "secret"]),
    },
];

/// Optional personal-data classes (configurable in `policy/evidence.yaml`
/// `redaction.personal_data`).
pub const PERSONAL: &[Class] = &[
    Class {
        id: "email_address",
        description: "E-mail addresses (operators and account holders)",
        pattern: r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b",
        start: Start::Keywords(&["@"]),
    },
    Class {
        id: "ipv4_address",
        description: "IPv4 addresses",
        pattern: r"\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\b",
        start: Start::Everywhere,
    },
    Class {
        id: "windows_user_path",
        description: "The user name in Windows profile paths (C:\\Users\\NAME)",
        pattern: r"(?i)\b[a-z]:\\+users\\+(?P<secret>[^\\\s\x22']+)",
        start: Start::Keywords(&["users\\"]),
    },
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
