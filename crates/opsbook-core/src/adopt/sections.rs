//! opsbook's runbook sections (D-RB-SECTIONS) and the names other
//! collections give them, in English and Japanese (the glossary's terms and
//! their usual variants), so that adoption groups a source's sections under
//! opsbook's, and says what is missing exactly as the gate will.

/// The opsbook runbook sections, in order, as (English, Japanese) (D-RB-SECTIONS).
pub const SECTIONS: [(&str, &str); 11] = [
    ("Prerequisites", "前提条件"),
    ("Triage", "トリアージ"),
    ("Safety", "安全確保"),
    ("Evidence", "証跡"),
    ("Mitigation", "緩和"),
    ("Recovery", "復旧"),
    ("Validation", "検証"),
    ("Backout", "切り戻し"),
    ("Post-Recovery Watch", "復旧後監視"),
    ("Related", "関連"),
    ("Do-Not-Do", "やってはいけないこと"),
];

/// Section names used by real collections, mapped to opsbook sections.
/// Matching is case-insensitive on the heading text without numbering.
pub const SECTION_ALIASES: &[(&str, &str)] = &[
    ("prerequisites", "Prerequisites"),
    ("pre-requisites", "Prerequisites"),
    ("requirements", "Prerequisites"),
    ("before you begin", "Prerequisites"),
    ("before you start", "Prerequisites"),
    ("preparation", "Prerequisites"),
    ("overview", "Triage"),
    ("summary", "Triage"),
    ("meaning", "Triage"),
    ("impact", "Triage"),
    ("description", "Triage"),
    ("alert description", "Triage"),
    ("symptoms", "Triage"),
    ("diagnosis", "Triage"),
    ("troubleshooting", "Triage"),
    ("investigation", "Triage"),
    ("triage", "Triage"),
    ("background", "Triage"),
    ("context", "Triage"),
    ("safety", "Safety"),
    ("evidence", "Evidence"),
    ("mitigation", "Mitigation"),
    ("workaround", "Mitigation"),
    ("remediation", "Mitigation"),
    ("recommended actions", "Mitigation"),
    ("fix", "Mitigation"),
    ("resolution", "Recovery"),
    ("recovery", "Recovery"),
    ("restore", "Recovery"),
    ("procedure", "Recovery"),
    ("steps", "Recovery"),
    ("validation", "Validation"),
    ("verification", "Validation"),
    ("verify", "Validation"),
    ("testing", "Validation"),
    ("rollback", "Backout"),
    ("backout", "Backout"),
    ("revert", "Backout"),
    ("post-recovery watch", "Post-Recovery Watch"),
    ("monitoring", "Post-Recovery Watch"),
    ("follow-up", "Post-Recovery Watch"),
    ("related", "Related"),
    ("see also", "Related"),
    ("references", "Related"),
    ("links", "Related"),
    ("additional resources", "Related"),
    ("further reading", "Related"),
    ("do-not-do", "Do-Not-Do"),
    ("do not", "Do-Not-Do"),
    ("don'ts", "Do-Not-Do"),
    ("what not to do", "Do-Not-Do"),
];

/// Japanese section names (glossary.md and the variants Japanese runbooks
/// use), mapped to opsbook sections. Matched exactly, or as the stem of a
/// heading that adds 手順/方法/策/… (`復旧手順`, `緩和策`, `関連リンク`).
pub const SECTION_ALIASES_JA: &[(&str, &str)] = &[
    ("前提条件", "Prerequisites"),
    ("前提", "Prerequisites"),
    ("事前準備", "Prerequisites"),
    ("準備", "Prerequisites"),
    ("必要なもの", "Prerequisites"),
    ("トリアージ", "Triage"),
    ("概要", "Triage"),
    ("影響", "Triage"),
    ("影響範囲", "Triage"),
    ("症状", "Triage"),
    ("事象", "Triage"),
    ("調査", "Triage"),
    ("原因調査", "Triage"),
    ("切り分け", "Triage"),
    ("診断", "Triage"),
    ("安全確保", "Safety"),
    ("安全", "Safety"),
    ("証跡", "Evidence"),
    ("証跡収集", "Evidence"),
    ("エビデンス", "Evidence"),
    ("緩和", "Mitigation"),
    ("暫定対応", "Mitigation"),
    ("暫定対処", "Mitigation"),
    ("回避策", "Mitigation"),
    ("対処", "Mitigation"),
    ("対応", "Mitigation"),
    ("復旧", "Recovery"),
    ("恒久対応", "Recovery"),
    ("検証", "Validation"),
    ("確認", "Validation"),
    ("動作確認", "Validation"),
    ("切り戻し", "Backout"),
    ("切戻し", "Backout"),
    ("ロールバック", "Backout"),
    ("戻し", "Backout"),
    ("復旧後監視", "Post-Recovery Watch"),
    ("事後監視", "Post-Recovery Watch"),
    ("経過観察", "Post-Recovery Watch"),
    ("監視", "Post-Recovery Watch"),
    ("関連", "Related"),
    ("参考", "Related"),
    ("参照", "Related"),
    ("参考資料", "Related"),
    ("関連資料", "Related"),
    ("やってはいけないこと", "Do-Not-Do"),
    ("してはいけないこと", "Do-Not-Do"),
    ("禁止事項", "Do-Not-Do"),
];

/// Suffixes a Japanese heading adds to a section name: `復旧手順`, `緩和策`.
const JA_SUFFIXES: &[&str] = &[
    "手順",
    "方法",
    "策",
    "内容",
    "事項",
    "リンク",
    "情報",
    "について",
];

/// Sections required per runbook `kind` (indices into [`SECTIONS`]); a
/// deprecated runbook (a stub pointing at its replacement) needs only Related.
#[must_use]
pub fn required_sections(kind: Option<&str>, deprecated: bool) -> Vec<usize> {
    if deprecated {
        return vec![9];
    }
    match kind {
        Some("DRILL") => vec![0, 2, 3, 6, 7, 9, 10],
        Some("GOVERNANCE") => vec![0, 3, 6, 9, 10],
        _ => (0..SECTIONS.len()).collect(),
    }
}

/// A heading without numbering ("1)", "2.", "１．", "Step 3:") and trailing
/// punctuation, lower-cased.
fn section_key(heading: &str) -> String {
    let h = heading
        .trim()
        .trim_end_matches([':', '.', '：', '。'])
        .to_lowercase();
    let h = h.trim_start_matches(|c: char| {
        c.is_numeric() || matches!(c, ')' | '.' | ' ' | '．' | '）' | '　' | '、')
    });
    h.trim().to_string()
}

/// The opsbook section a source heading belongs to, by its English or
/// Japanese name; bilingual headings (`Mitigation / 緩和`, `緩和（Mitigation）`)
/// by either part.
#[must_use]
pub fn target_of(heading: &str) -> Option<&'static str> {
    let key = section_key(heading);
    let parts: Vec<&str> = key
        .split(['/', '／', '(', ')', '（', '）', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let whole_en = key
        .split(" / ")
        .next()
        .unwrap_or(&key)
        .split('(')
        .next()
        .unwrap_or(&key)
        .trim();
    if let Some((_, t)) = SECTION_ALIASES.iter().find(|(a, _)| *a == whole_en) {
        return Some(t);
    }
    for part in std::iter::once(key.as_str()).chain(parts.iter().copied()) {
        let p = section_key(part);
        if let Some((_, t)) = SECTION_ALIASES.iter().find(|(a, _)| *a == p) {
            return Some(t);
        }
        if let Some((_, t)) = SECTION_ALIASES_JA
            .iter()
            .find(|(a, _)| *a == p || JA_SUFFIXES.iter().any(|s| p == format!("{a}{s}")))
        {
            return Some(t);
        }
    }
    None
}

/// Index into [`SECTIONS`] of an English section name.
#[must_use]
pub fn index_of(name: &str) -> Option<usize> {
    SECTIONS.iter().position(|(e, _)| *e == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_japanese_and_bilingual_headings() {
        for (h, want) in [
            ("Meaning", Some("Triage")),
            ("2. Mitigation:", Some("Mitigation")),
            ("Triage / トリアージ", Some("Triage")),
            ("緩和", Some("Mitigation")),
            ("復旧", Some("Recovery")),
            ("切り戻し", Some("Backout")),
            ("関連", Some("Related")),
            ("前提条件", Some("Prerequisites")),
            ("１．復旧手順", Some("Recovery")),
            ("緩和策", Some("Mitigation")),
            ("関連リンク", Some("Related")),
            ("緩和 / Mitigation", Some("Mitigation")),
            ("切り戻し（Rollback）", Some("Backout")),
            ("ロールバック", Some("Backout")),
            ("禁止事項", Some("Do-Not-Do")),
            ("背景と経緯", None),
            ("Grafana dashboards", None),
            ("Steps to reproduce", None),
            ("Fix the thing", None),
        ] {
            assert_eq!(target_of(h), want, "{h}");
        }
    }
}
