//! What makes an action item vague — an intention, not an artifact ("be
//! careful", 「気をつける」…): [`vague_phrase`].

/// Phrases that make an action item vague: an intention, not an artifact.
/// Matched case-insensitively: English as whole words, Japanese as substrings.
pub const VAGUE_PHRASES: &[&str] = &[
    "be careful",
    "be more careful",
    "more carefully",
    "take care",
    "pay attention",
    "pay more attention",
    "be aware",
    "be more aware",
    "be vigilant",
    "be mindful",
    "stay alert",
    "remember to",
    "try to",
    "try harder",
    "do better",
    "raise awareness",
    "remind everyone",
    "remind the team",
    "keep in mind",
    "気をつける",
    "気を付ける",
    "気をつけ",
    "気を付け",
    "注意する",
    "注意を払",
    "注意喚起",
    "徹底する",
    "徹底させる",
    "徹底を図",
    "周知徹底",
    "意識する",
    "意識を高",
    "意識付け",
    "心がける",
    "心掛ける",
    "努める",
    "慎重に",
    "しっかり",
    "再発防止に努",
    "vigilant",
    "mindful",
    "more careful",
    "more attention",
    "徹底",
    "注意す",
    "注意し",
    "気をつ",
    "気を付",
    "意識し",
    "意識す",
    "周知",
    "心が",
    "心掛",
];

/// Inflected and intensified English forms of the phrases above, matched on
/// the lower-cased text with runs of whitespace squashed: "paying attention",
/// "pay close(r) attention", "be extra careful", "being more careful", "take
/// great care", "exercise caution", "be (more) cautious", "be made aware",
/// "stay/remain alert", "keep an eye on".
pub const VAGUE_PATTERNS: &[&str] = &[
    r"\b(?:pay|pays|paid|paying)(?: \w+){0,2} attention\b",
    r"\b(?:be|being|been|is|are|was|were|stay|stays|staying|remain|remains|remaining|get|getting)(?: (?:more|extra|very|really|especially|particularly|extremely|super|much|even|most|a bit|a little|all the more))* (?:careful|cautious|aware|alert|attentive|vigilant|mindful)\b",
    r"\b(?:more|extra|especially|particularly|extremely|very) (?:careful|cautious|attentive|carefully|cautiously)\b",
    r"\b(?:take|takes|taking|took|taken)(?: (?:more|extra|great|special|particular|good|greater|better))? care\b",
    r"\b(?:exercise|exercising|use|using) (?:more |extra |great )?caution\b",
    r"\bwith (?:more |extra |great )?caution\b",
    r"\b(?:raise|raising|increase|increasing|improve|improving) (?:the )?awareness\b",
    r"\bkeep(?:ing)? an eye on\b",
    r"\bwatch(?:ing)? out\b",
];

/// The first vague phrase in `text`, if any: a phrase of [`VAGUE_PHRASES`]
/// or a match of [`VAGUE_PATTERNS`], as found in the text.
#[must_use]
pub fn vague_phrase(text: &str) -> Option<String> {
    static PATTERNS: std::sync::LazyLock<Vec<regex::Regex>> = std::sync::LazyLock::new(|| {
        VAGUE_PATTERNS
            .iter()
            .filter_map(|p| regex::Regex::new(p).ok())
            .collect()
    });
    let lower = text.to_lowercase();
    let squashed: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    // English phrases match whole words ("entry to" is not "try to");
    // Japanese has no spaces between words: substrings.
    let at_word = |p: &str| {
        squashed.match_indices(p).any(|(i, _)| {
            !p.is_ascii()
                || (!squashed[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
                    && !squashed[i + p.len()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric))
        })
    };
    if let Some(p) = VAGUE_PHRASES.iter().find(|p| at_word(p)) {
        return Some((*p).to_string());
    }
    PATTERNS
        .iter()
        .find_map(|re| re.find(&squashed).map(|m| m.as_str().to_string()))
}
