//! Secrets as real configs and logs carry them (issue 10, items 2 and 3):
//! one table per representation, each row the exact redacted output. Keys,
//! hosts, field names and line structure stay readable; JSON and YAML
//! still parse; the result rescans clean. Every value here is fake.

use super::*;

/// A hex HMAC-SHA256, as signed exchange requests carry.
const HMAC: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/// A Binance listenKey (60 characters).
const LISTEN: &str = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a6";

/// Each `(input, output)`: the redaction is exactly `output`, redacting it
/// again changes nothing, a scan of it finds nothing, and a JSON or YAML
/// input still parses.
fn table(rows: &[(String, String)]) {
    for (input, want) in rows {
        let got = red(input);
        assert_eq!(&got, want, "input {input:?}");
        let again = rs().scan(&got, None).unwrap();
        assert!(again.is_empty(), "{input:?}: the rescan finds {again:?}");
        if serde_json::from_str::<Value>(input).is_ok() {
            assert!(
                serde_json::from_str::<Value>(&got).is_ok(),
                "JSON broken: {got}"
            );
        }
        // YAML-shaped input (a `key:` line) must still parse.
        if input.contains(":\n")
            && opsbook_core::yaml::parse(input).is_ok()
            && !input.starts_with('{')
        {
            assert!(
                opsbook_core::yaml::parse(&got).is_ok(),
                "YAML broken: {got}"
            );
        }
    }
}

fn rows(r: &[(&str, &str)]) -> Vec<(String, String)> {
    r.iter()
        .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
        .collect()
}

#[test]
fn short_key_names_real_software_uses() {
    table(&rows(&[
        (
            "SMTP_PASS=AKfakeSmtpPw01\n",
            "SMTP_PASS=[REDACTED:labelled_secret]\n",
        ),
        (
            "db:\n  DB_PASS: AKfakeDbPw0001\n",
            "db:\n  DB_PASS: [REDACTED:labelled_secret]\n",
        ),
        (
            "REDIS_PASS=\"AKfakeRedis001\"\n",
            "REDIS_PASS=\"[REDACTED:labelled_secret]\"\n",
        ),
        (
            "ADMIN_PWD=AKfakeAdminPwd1\n",
            "ADMIN_PWD=[REDACTED:labelled_secret]\n",
        ),
        (
            "passwd: AKfakePasswd01\n",
            "passwd: [REDACTED:labelled_secret]\n",
        ),
        (
            "{\"smtp\": {\"mail_pass\": \"two words AKfake\"}}",
            "{\"smtp\": {\"mail_pass\": \"[REDACTED:json_secret_value]\"}}",
        ),
        // `pass` inside a word is no key name.
        (
            "bypass=enabled_for_tests compass=northwest1\n",
            "bypass=enabled_for_tests compass=northwest1\n",
        ),
    ]));
}

#[test]
fn exchange_configs_azure_docker_and_listen_keys() {
    table(&[
        // freqtrade: a bare "key" beside "secret".
        (
            "{\n    \"exchange\": {\n        \"name\": \"binance\",\n        \"key\": \"AKfakeFreqKey0001\",\n        \"secret\": \"AKfakeFreqSecret1\",\n        \"ccxt_config\": {}\n    }\n}\n".into(),
            "{\n    \"exchange\": {\n        \"name\": \"binance\",\n        \"key\": \"[REDACTED:exchange_config_key]\",\n        \"secret\": \"[REDACTED:labelled_secret]\",\n        \"ccxt_config\": {}\n    }\n}\n".into(),
        ),
        (
            "{\"exchange\": {\"secret\": \"AKfakeFreqSecret2\", \"key\": \"AKfakeFreqKey0002\", \"name\": \"okx\"}}".into(),
            "{\"exchange\": {\"secret\": \"[REDACTED:labelled_secret]\", \"key\": \"[REDACTED:exchange_config_key]\", \"name\": \"okx\"}}".into(),
        ),
        // The same exchange config in YAML: a bare key beside its secret,
        // either order, quoted or not.
        (
            "exchange:\n  name: kraken\n  key: AKfakeYamlKey0001\n  secret: AKfakeYamlSec0001\n".into(),
            "exchange:\n  name: kraken\n  key: [REDACTED:exchange_config_key]\n  secret: [REDACTED:labelled_secret]\n".into(),
        ),
        (
            "exchanges:\r\n  - id: okx\r\n    secret: 'AKfakeYamlSec0002'\r\n    password: 'AKfakeYamlPass002'\r\n    key: 'AKfakeYamlKey0002'\r\n".into(),
            "exchanges:\r\n  - id: okx\r\n    secret: '[REDACTED:labelled_secret]'\r\n    password: '[REDACTED:labelled_secret]'\r\n    key: '[REDACTED:exchange_config_key]'\r\n".into(),
        ),
        // A YAML key that names a variable, or with no secret near it, stays.
        (
            "exchange:\n  key: $BINANCE_KEY\n  secret: $Env:Binance_Secret\n".into(),
            "exchange:\n  key: $BINANCE_KEY\n  secret: $Env:Binance_Secret\n".into(),
        ),
        (
            "cache:\n  key: orders_latest_btc\n  ttl: 30\n".into(),
            "cache:\n  key: orders_latest_btc\n  ttl: 30\n".into(),
        ),
        // A "key" with no secret beside it is ordinary data.
        (
            "{\"cache\": {\"key\": \"orders:BTCUSDT:latest\", \"ttl\": 30}}".into(),
            "{\"cache\": {\"key\": \"orders:BTCUSDT:latest\", \"ttl\": 30}}".into(),
        ),
        (
            "DefaultEndpointsProtocol=https;AccountName=opsbookdiag;AccountKey=AKfakeAzureKey0123456789+/abcdEFGH==;EndpointSuffix=core.windows.net\n".into(),
            "DefaultEndpointsProtocol=https;AccountName=opsbookdiag;AccountKey=[REDACTED:labelled_secret];EndpointSuffix=core.windows.net\n".into(),
        ),
        (
            "{\"auths\": {\"registry.example.com\": {\"auth\": \"b3BzOkFLZmFrZURvY2tlcjAx\"}}}".into(),
            "{\"auths\": {\"registry.example.com\": {\"auth\": \"[REDACTED:docker_auth]\"}}}".into(),
        ),
        (
            format!("{{\"listenKey\":\"{LISTEN}\"}}"),
            "{\"listenKey\":\"[REDACTED:labelled_secret]\"}".into(),
        ),
        (
            format!("connect wss://stream.binance.com:9443/ws/{LISTEN}\n"),
            "connect wss://stream.binance.com:9443/ws/[REDACTED:binance_listen_key]\n".into(),
        ),
        (
            format!("wss://stream.binance.com:9443/stream?streams=btcusdt@trade/{LISTEN}\n"),
            "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/[REDACTED:binance_listen_key]\n".into(),
        ),
        (
            format!("PUT /api/v3/userDataStream?listenKey={LISTEN} 200\n"),
            "PUT /api/v3/userDataStream?listenKey=[REDACTED:labelled_secret] 200\n".into(),
        ),
    ]);
}

#[test]
fn signatures_and_websocket_login_frames() {
    table(&[
        (
            format!("{{\"apiKey\":\"AKfakeBybitKey01\",\"sign\":\"{HMAC}\",\"timestamp\":\"1701220000000\"}}"),
            "{\"apiKey\":\"[REDACTED:labelled_secret]\",\"sign\":\"[REDACTED:request_signature]\",\"timestamp\":\"1701220000000\"}".into(),
        ),
        (format!("{{\"sign\":\"{HMAC}\"}}"), "{\"sign\":\"[REDACTED:request_signature]\"}".into()),
        (
            format!("{{\"signature\": \"{HMAC}\", \"recvWindow\": 5000}}"),
            "{\"signature\": \"[REDACTED:request_signature]\", \"recvWindow\": 5000}".into(),
        ),
        // Bybit: the key, expiry and signature of `auth` as one string.
        (
            format!("{{\"req_id\":\"a1\",\"op\":\"auth\",\"args\":[\"AKfakeBybitWsKey1\",1701220000000,\"{HMAC}\"]}}"),
            "{\"req_id\":\"a1\",\"op\":\"auth\",\"args\":[\"[REDACTED:ws_login_args]\"]}".into(),
        ),
        (
            format!("{{\"args\":[\"AKfakeBybitWsKey2\",1701220000000,\"{HMAC}\"],\"op\":\"auth\"}}"),
            "{\"args\":[\"[REDACTED:ws_login_args]\"],\"op\":\"auth\"}".into(),
        ),
        // OKX v3 login: key, passphrase, timestamp and sign as strings.
        (
            "{\"op\":\"login\",\"args\":[\"AKfakeOkxV3Key01\",\"AKfakeOkxV3Pass1\",\"1538054050.975\",\"AKfakeOkxV3Sign+/=\"]}".into(),
            "{\"op\":\"login\",\"args\":[\"[REDACTED:ws_login_args]\"]}".into(),
        ),
        // OKX login: each field by its name.
        (
            "{\"op\":\"login\",\"args\":[{\"apiKey\":\"AKfakeOkxKey0001\",\"passphrase\":\"AKfakeOkxPass01\",\"timestamp\":\"1701220000\",\"sign\":\"AKfakeOkxSignBase64Value01+/=\"}]}".into(),
            "{\"op\":\"login\",\"args\":[{\"apiKey\":\"[REDACTED:labelled_secret]\",\"passphrase\":\"[REDACTED:labelled_secret]\",\"timestamp\":\"1701220000\",\"sign\":\"[REDACTED:request_signature]\"}]}".into(),
        ),
        // A subscription is no login: its args stay.
        (
            "{\"op\":\"subscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}".into(),
            "{\"op\":\"subscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}".into(),
        ),
        // HMAC hex in a query and a 64-hex signature= anywhere.
        (
            format!("POST /fapi/v1/order?symbol=BTCUSDT&timestamp=1701220000000&signature={HMAC} 200\n"),
            "POST /fapi/v1/order?symbol=BTCUSDT&timestamp=1701220000000&signature=[REDACTED:request_signature] 200\n".into(),
        ),
        (
            format!("body: symbol=BTCUSDT signature={HMAC} sent\n"),
            "body: symbol=BTCUSDT signature=[REDACTED:request_signature] sent\n".into(),
        ),
        (
            "GET /c/logs/x.log?sv=2022-11-02&sr=b&sig=AKfake%2BAzureSas%3D0123 200\n".into(),
            "GET /c/logs/x.log?sv=2022-11-02&sr=b&sig=[REDACTED:request_signature] 200\n".into(),
        ),
    ]);
}

#[test]
fn powershell_secure_strings_env_assignments_and_env_tables() {
    table(&rows(&[
        (
            "$pw = ConvertTo-SecureString \"AKfakePsPlain01\" -AsPlainText -Force\n",
            "$pw = ConvertTo-SecureString \"[REDACTED:powershell_secure_string]\" -AsPlainText -Force\n",
        ),
        (
            "ConvertTo-SecureString -String 'AKfakePsPlain02' -AsPlainText -Force\n",
            "ConvertTo-SecureString -String '[REDACTED:powershell_secure_string]' -AsPlainText -Force\n",
        ),
        (
            "ConvertTo-SecureString -AsPlainText -Force -String \"AKfakePsPlain03\"\n",
            "ConvertTo-SecureString -AsPlainText -Force -String \"[REDACTED:powershell_secure_string]\"\n",
        ),
        (
            "\"AKfakePsPlain04\" | ConvertTo-SecureString -AsPlainText -Force\n",
            "\"[REDACTED:powershell_secure_string]\" | ConvertTo-SecureString -AsPlainText -Force\n",
        ),
        (
            "$env:BINANCE_API_SECRET = \"AKfakePsEnv0001\"\n",
            "$env:BINANCE_API_SECRET = \"[REDACTED:labelled_secret]\"\n",
        ),
        (
            "$env:EXCHANGE_PASSPHRASE = 'two words here'\n",
            "$env:EXCHANGE_PASSPHRASE = '[REDACTED:powershell_env_secret]'\n",
        ),
        (
            "$env:OKX_KEY = \"AKfakePsEnv0004\"\n",
            "$env:OKX_KEY = \"[REDACTED:powershell_env_secret]\"\n",
        ),
        (
            "$env:DB_PASS=\"AKfakePsEnv0002\"\n",
            "$env:DB_PASS=\"[REDACTED:labelled_secret]\"\n",
        ),
        (
            "[Environment]::SetEnvironmentVariable(\"BINANCE_KEY\", \"AKfakePsEnv0003\", \"User\")\n",
            "[Environment]::SetEnvironmentVariable(\"BINANCE_KEY\", \"[REDACTED:powershell_env_secret]\", \"User\")\n",
        ),
        (
            "Set-Item -Path Env:BINANCE_SECRET -Value \"AKfakePsItem0001\"\n",
            "Set-Item -Path Env:BINANCE_SECRET -Value \"[REDACTED:powershell_env_secret]\"\n",
        ),
        (
            "New-Item Env:\\OKX_PASSPHRASE 'AKfakePsItem0002' | Out-Null\n",
            "New-Item Env:\\OKX_PASSPHRASE '[REDACTED:powershell_env_secret]' | Out-Null\n",
        ),
        // A variable that names no secret stays.
        (
            "Set-Item -Path Env:LOG_LEVEL -Value \"debug-verbose\"\n",
            "Set-Item -Path Env:LOG_LEVEL -Value \"debug-verbose\"\n",
        ),
        // What `Get-ChildItem Env:` prints.
        (
            "\r\nName                           Value\r\n----                           -----\r\nALLUSERSPROFILE                C:\\ProgramData\r\nBINANCE_API_KEY                AKfakeEnvTable0001\r\nDB_PASS                        two words value\r\nPATH                           C:\\Windows\\system32\r\n",
            "\r\nName                           Value\r\n----                           -----\r\nALLUSERSPROFILE                C:\\ProgramData\r\nBINANCE_API_KEY                [REDACTED:env_table_secret]\r\nDB_PASS                        [REDACTED:env_table_secret]\r\nPATH                           C:\\Windows\\system32\r\n",
        ),
        (
            "Name  : BINANCE_API_SECRET\r\nValue : AKfakeEnvList0001\r\n\r\nName  : PATH\r\nValue : C:\\Windows\r\n",
            "Name  : BINANCE_API_SECRET\r\nValue : [REDACTED:env_table_secret]\r\n\r\nName  : PATH\r\nValue : C:\\Windows\r\n",
        ),
        // Words in upper case are no variable table.
        ("PASSED    12 tests\r\n", "PASSED    12 tests\r\n"),
    ]));
}

/// The `Get-ChildItem Env:` table as Windows PowerShell 5.1 writes it to a
/// file: UTF-16LE with a BOM, CRLF.
#[test]
fn an_env_table_in_utf16_is_redacted_in_utf16() {
    let table = "Name                           Value\r\n----                           -----\r\nOKX_SECRET                     AKfakeEnvUtf16001\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(table.encode_utf16().flat_map(u16::to_le_bytes));
    let FileOutcome::Kept {
        bytes: out,
        hits,
        encoding,
        ..
    } = rs().redact_file(&bytes, &ArchiveLimits::default(), None)
    else {
        panic!("excluded")
    };
    assert_eq!(encoding, Encoding::Utf16le);
    assert_eq!(
        (hits[0].rule.as_str(), hits[0].line),
        ("env_table_secret", 3)
    );
    let mut want = vec![0xFF, 0xFE];
    want.extend(
        table
            .replace("AKfakeEnvUtf16001", "[REDACTED:env_table_secret]")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    assert_eq!(out, want);
}

#[test]
fn values_on_the_line_after_an_opening_bracket() {
    table(&rows(&[
        (
            "API_SECRET = (\n    \"AKfakePyCont0001\"\n)\n",
            "API_SECRET = (\n    \"[REDACTED:labelled_secret]\"\n)\n",
        ),
        (
            "$password = @(\r\n  'AKfakePsCont0001'\r\n)\r\n",
            "$password = @(\r\n  '[REDACTED:labelled_secret]'\r\n)\r\n",
        ),
        (
            "client = Client(\n    api_key=\n        \"AKfakePyCont0002\",\n)\n",
            "client = Client(\n    api_key=\n        \"[REDACTED:labelled_secret]\",\n)\n",
        ),
        (
            "token = [\n  \"AKfakePyList0001\",\n]\n",
            "token = [\n  \"[REDACTED:labelled_secret]\",\n]\n",
        ),
        // A bracket that does not end its line is part of the value.
        (
            "password=(AKfakeParen01\n",
            "password=[REDACTED:labelled_secret]\n",
        ),
    ]));
}

#[test]
fn telegram_tokens_in_bot_urls_whatever_their_length() {
    table(&rows(&[
        (
            "GET https://api.telegram.org/bot123456:AKfakeShortTgTok/getMe 200\n",
            "GET https://api.telegram.org/bot[REDACTED:telegram_bot_token]/getMe 200\n",
        ),
        (
            "GET https://api.telegram.org/bot1234567890:AKfakeLongTelegramToken0123456789abcdefghij/sendMessage\n",
            "GET https://api.telegram.org/bot[REDACTED:telegram_bot_token]/sendMessage\n",
        ),
        (
            "GET https://api.telegram.org/file/bot5695165439:AKfakeFileTok01/documents/x.log\n",
            "GET https://api.telegram.org/file/bot[REDACTED:telegram_bot_token]/documents/x.log\n",
        ),
    ]));
}

#[test]
fn a_value_found_once_is_redacted_wherever_else_it_appears() {
    table(&rows(&[
        (
            "secret=AKfakeRepeat01x\n2026-11-29 retry with AKfakeRepeat01x\n",
            "secret=[REDACTED:labelled_secret]\n2026-11-29 retry with [REDACTED:labelled_secret]\n",
        ),
        // A word is not repeated: only values mixed like a secret are.
        (
            "password: required\n2026-11-29 field required\n",
            "password: [REDACTED:labelled_secret]\n2026-11-29 field required\n",
        ),
    ]));
    let r = rs()
        .redact("api_key=AKfakeRepeat02y\nAKfakeRepeat02y\n", None)
        .unwrap();
    let views: Vec<(&str, usize, &str)> = r
        .hits
        .iter()
        .map(|h| (h.rule.as_str(), h.line, h.view))
        .collect();
    assert_eq!(
        views,
        [
            ("labelled_secret", 1, "text"),
            ("labelled_secret", 2, "repeat")
        ]
    );
    assert_eq!(r.values.len(), 1);
}

/// Issue 10, item 3: a line with an API key and a signature is redacted
/// whole, and what the rescan would find, redaction has already removed.
#[test]
fn one_verdict_for_request_logs_the_rescan_used_to_refuse() {
    table(&rows(&[
        (
            "{\"apiKey\":\"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\",\"sign\":\"c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71\"}",
            "{\"apiKey\":\"[REDACTED:labelled_secret]\",\"sign\":\"[REDACTED:request_signature]\"}",
        ),
        (
            "2026-11-29T02:10:00Z DEBUG POST https://api.binance.com/api/v3/order X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A body=symbol=BTCUSDT&side=BUY&recvWindow=5000&timestamp=1701220000000&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71\n",
            "2026-11-29T02:10:00Z DEBUG POST https://api.binance.com/api/v3/order X-MBX-APIKEY: [REDACTED:labelled_secret] body=symbol=BTCUSDT&side=BUY&recvWindow=5000&timestamp=1701220000000&signature=[REDACTED:request_signature]\n",
        ),
    ]));
    // A redaction shorter than what it replaced brings a label within
    // reach: here a flattened private key of 600 characters stood between
    // a bare "key" and its "secret". One pass would leave the key for the
    // rescan to find; redaction rescans until nothing is left.
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".repeat(18)
    );
    let json = format!(
        "{{\"key\": \"AKfakeFixKey0001\", \"cert\": \"{pem}\", \"secret\": \"AKfakeFixSec0001\"}}"
    );
    let first = json
        .replace(&pem, "[REDACTED:pem_private_key]")
        .replace("AKfakeFixSec0001", "[REDACTED:labelled_secret]");
    assert_eq!(
        rs().scan(&first, None).unwrap()[0].rule,
        "exchange_config_key",
        "the case needs a second round"
    );
    assert_eq!(
        red(&json),
        "{\"key\": \"[REDACTED:exchange_config_key]\", \"cert\": \"[REDACTED:pem_private_key]\", \"secret\": \"[REDACTED:labelled_secret]\"}"
    );
    // A marker's own text is no label: `key` in `[REDACTED:…_key]` does
    // not make the 64 characters after it a key.
    let line = format!("order apiKey {BINANCE_KEY} ref {}", "A1".repeat(32));
    assert_eq!(
        red(&line),
        format!(
            "order apiKey [REDACTED:exchange_api_key] ref {}",
            "A1".repeat(32)
        )
    );
}

/// A password told in words, as operators write it in chat exports and
/// notes: redacted when the value has a digit and four or more characters;
/// prose about passwords stays.
#[test]
fn a_password_told_in_words() {
    table(&rows(&[
        (
            "note: the vault password is Hunter2Hunter2! (rotate)\n",
            "note: the vault password is [REDACTED:prose_password] (rotate)\n",
        ),
        (
            "Passphrase was \"okx-Fake-9-pass\" until 03:00\n",
            "Passphrase was \"[REDACTED:prose_password]\" until 03:00\n",
        ),
        (
            "password is required for login; password was rotated 2 days ago\n",
            "password is required for login; password was rotated 2 days ago\n",
        ),
    ]));
}
