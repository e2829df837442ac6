//! Keyword anchors are sound: generated matches, the anchored scan against
//! a scan of every byte, and the property tests of the engine.

use super::*;

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
        let mut of_rule = 0;
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
            of_rule += 1;
        }
        // Every pattern is really tried, not only the easy ones.
        assert!(
            of_rule >= 25,
            "{}: only {of_rule} generated matches of {pattern} were checked",
            rule.id
        );
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

    /// Long runs across the 64-byte blocks of the mask, `=` padding at
    /// block ends, and multi-byte characters (whose bytes are never base64).
    #[test]
    fn base64_runs_across_blocks_are_what_the_regex_finds(
        parts in proptest::collection::vec(
            proptest::prop_oneof![
                "[A-Za-z0-9+/_-]{0,150}",
                "[=.: \n\"\u{e9}\u{20ac}\u{1F600}]{1,3}",
            ],
            0..24,
        )
    ) {
        let s = parts.concat();
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
