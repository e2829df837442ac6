//! Properties: the classifier never panics on any input, and appending a
//! command to a step never lowers its tier (monotonicity).

use opsbook_classify::{Shell, classify};
use proptest::prelude::*;

const PS_SNIPPETS: &[&str] = &[
    "Get-Process",
    "Stop-Service w32time",
    "Remove-Item C:\\x -Recurse",
    "Get-ChildItem | ForEach-Object { $_.Name }",
    "w32tm /query /status",
    "Invoke-RestMethod -Method Get -Uri 'https://x.invalid/api/v3/time'",
    "$h = @{ a = 1 }",
    "Remove-Item x -WhatIf",
    "'a' | Out-File x.txt",
    "if ($x) { Get-Date } else { Stop-Service y }",
    "function F { Get-Date }\nF",
];
const PS_APPEND: &[&str] = &[
    "Get-Date",
    "Remove-Item y",
    "Stop-Service z",
    "-WhatIf",
    " -WhatIf",
    "}",
    "{",
    "'",
    "\"",
    "# comment",
    "$x = 1",
    "& $x",
    "Get-Item y > out.txt",
    "`",
    "| Remove-Item",
    "| Out-Null",
    "@\"",
];
const BASH_SNIPPETS: &[&str] = &[
    "ls -la",
    "systemctl restart nginx",
    "rm -rf /tmp/x",
    "curl -s https://x.invalid/",
    "echo hi > /dev/null",
    "for f in *; do echo $f; done",
];
const BASH_APPEND: &[&str] = &[
    "ls",
    "rm x",
    "'",
    "\"",
    "fi",
    "do",
    "# c",
    "> out.txt",
    "| xargs rm",
    "$(",
    "\\",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,300}") {
        let a = classify(&s, Shell::PowerShell);
        let b = classify(&s, Shell::Bash);
        prop_assert!(a.forced_by.is_some() || a.tier == opsbook_classify::Tier::T0);
        prop_assert!(b.forced_by.is_some() || b.tier == opsbook_classify::Tier::T0);
    }

    #[test]
    fn shell_like_text_never_panics(s in "[-a-zA-Z0-9 $@&|;(){}\\[\\]'\"`.:=<>*%?!\\\\/\n\t#,+\u{2013}\u{201C}\u{00A0}]{0,200}") {
        let _ = classify(&s, Shell::PowerShell);
        let _ = classify(&s, Shell::Bash);
    }

    #[test]
    fn appending_a_command_never_lowers_the_tier_powershell(i in 0..PS_SNIPPETS.len(), j in 0..PS_APPEND.len(), sep in prop::sample::select(vec!["\n", "; ", " "])) {
        let base = PS_SNIPPETS[i];
        let more = format!("{base}{sep}{}", PS_APPEND[j]);
        let (t0, t1) = (classify(base, Shell::PowerShell).tier, classify(&more, Shell::PowerShell).tier);
        // `-WhatIf` appended to the same command may lower it: that is the
        // one documented exception, and only for the command it ends.
        let whatif = PS_APPEND[j].trim() == "-WhatIf" && sep == " ";
        prop_assert!(t1 >= t0 || whatif, "{base:?} is {t0:?} but {more:?} is {t1:?}");
    }

    #[test]
    fn appending_a_line_never_lowers_the_tier_bash(i in 0..BASH_SNIPPETS.len(), j in 0..BASH_APPEND.len()) {
        let base = BASH_SNIPPETS[i];
        let more = format!("{base}\n{}", BASH_APPEND[j]);
        let (t0, t1) = (classify(base, Shell::Bash).tier, classify(&more, Shell::Bash).tier);
        prop_assert!(t1 >= t0, "{base:?} is {t0:?} but {more:?} is {t1:?}");
    }

    #[test]
    fn appending_any_text_on_a_new_line_never_lowers_powershell(i in 0..PS_SNIPPETS.len(), extra in "[-a-zA-Z $@&|;(){}'\"`.=>]{0,40}") {
        let base = PS_SNIPPETS[i];
        let more = format!("{base}\n{extra}");
        let (t0, t1) = (classify(base, Shell::PowerShell).tier, classify(&more, Shell::PowerShell).tier);
        prop_assert!(t1 >= t0, "{base:?} is {t0:?} but {more:?} is {t1:?}");
    }
}
