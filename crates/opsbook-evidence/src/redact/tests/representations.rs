//! Every representation a secret leaks in: blocks, PEM, YAML, ANSI,
//! JSON escapes, percent encoding, base64.

use super::*;

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
    let b64 =
        base64::engine::general_purpose::STANDARD.encode("{\"api_secret\":\"Qw3rTy7uIoPaSdFg\"}");
    let line = format!("blob={b64} end");
    assert_eq!(red(&line), "blob=[REDACTED:labelled_secret] end");
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
        red("svc:\n  api_secret: |\n\n    AKfakeBlankFirstLine01\n  other: 1\n  more: 2\ntop: 3\n"),
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

/// A NUL or a cut marker's line far into a text (in a later block than the
/// first ones scanned) still sends the whole text down the exact path: NULs
/// read as spaces, no match across the marker.
#[test]
fn a_nul_or_a_cut_marker_in_a_later_block_is_honoured() {
    let filler = "2026-11-29T02:10:00Z INFO heartbeat ok\n".repeat(2 * BLOCK / 40);
    // A NUL between a label and its value reads as a space.
    let text = format!("{filler}token\0:\0Zq8fakeTokenValue123\n{filler}");
    assert!(blocks(&text).len() >= 4);
    let hits = rs().scan(&text, None).unwrap();
    let found: Vec<(&str, usize)> = hits.iter().map(|h| (h.rule.as_str(), h.line)).collect();
    assert_eq!(found, [("labelled_secret", 2 * BLOCK / 40 + 1)]);
    // A label before the marker and a value-like word after it: no match
    // runs across the marker.
    let marker = cut_marker(
        &Cut {
            head_bytes: 10,
            tail_bytes: 10,
            cut_bytes: 80,
        },
        100,
    );
    let text = format!("{filler}password:\n{marker}\nAKfakeNotAValueAfterCut\n{filler}");
    assert!(rs().scan(&text, None).unwrap().is_empty());
    // The same label and word without the marker are a hit: the test above
    // is not clean by accident.
    let text = format!("{filler}password:\nAKfakeNotAValueAfterCut\n{filler}");
    assert_eq!(rs().scan(&text, None).unwrap().len(), 1);
}
