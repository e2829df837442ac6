//! The built-in and policy classes: what each catches, exactly.

use super::*;

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
        red("hook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
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

/// Issue 10, item 4: a class that can only match white space or line
/// breaks is refused at load, naming the class, like the empty pattern.
#[test]
fn classes_that_match_only_white_space_are_refused_at_load() {
    let load = |pattern: &str| {
        let v: Value =
            serde_json::json!({"redaction": {"classes": [{"id": "desk", "pattern": pattern}]}});
        RuleSet::from_policy(Some(&v))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    for pattern in [
        "\n",
        "\\n",
        "\\s+",
        "[ \\t]+",
        "\\r?\\n",
        "(?:\\s|\\n)+",
        " ",
        "\\s+\\b",
        "password=(?P<secret>\\s+)",
        // An alternative that matches only white space redacts the layout
        // of every file all the same.
        "DESK-[0-9]{6}|\\n",
        "(?:\\r?\\n|ACCT[0-9]+)",
        "acct=(?P<secret>[A-Z0-9]{20}|\\s+)",
    ] {
        assert_eq!(
            load(pattern),
            Err("redaction rule `desk`: matches only white space or line breaks (e.g. `\\n`, `\\s+`): it would redact the layout of every file and protect nothing".into()),
            "{pattern:?}"
        );
    }
    assert_eq!(
        load("key=(?P<secret>x*)"),
        Err("redaction rule `desk`: can match an empty span (e.g. `x*` or `\\b`): it would redact nothing or everything".into())
    );
    for fine in [
        "\\s+token",
        "DESK-[0-9]{6}",
        "(?i)acct\\s*=\\s*(?P<secret>\\S+)",
        "[\\s\\S]{4}",
    ] {
        assert_eq!(load(fine), Ok(()), "{fine:?}");
    }
    assert!(matches!(
        check_pattern("\\t"),
        Err(PatternProblem::OnlySpace)
    ));
}

/// The built-in classes are compiled without the policy checks at run
/// time: here each passes them.
#[test]
fn every_builtin_pattern_passes_the_policy_checks() {
    for c in BUILTIN.iter().chain(PERSONAL) {
        assert!(
            check_pattern(c.pattern).is_ok(),
            "{}: {:?}",
            c.id,
            check_pattern(c.pattern).err()
        );
    }
}

#[test]
fn a_value_that_only_names_a_variable_is_not_a_secret() {
    for kept in [
        "$headers = @{ 'X-Admin-Token' = $env:TRADEBOT_ADMIN_TOKEN }\n",
        "password=${DB_PASSWORD}\n",
        "export API_KEY=$EXCHANGE_API_KEY\n",
        "set token=%TRADEBOT_TOKEN%\n",
        "secret: $Env:Binance_Secret\n",
    ] {
        assert_eq!(red(kept), kept);
    }
    // A value that merely starts like one is redacted.
    assert_eq!(
        red("password=$ecretPass99\n"),
        "password=[REDACTED:labelled_secret]\n"
    );
    assert_eq!(
        red("token=$env:X-not-a-name-abcdef\n"),
        "token=[REDACTED:labelled_secret]\n"
    );
    assert_eq!(
        red("password=%notclosed123\n"),
        "password=[REDACTED:labelled_secret]\n"
    );
}
