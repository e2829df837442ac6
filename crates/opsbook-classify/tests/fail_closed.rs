//! Each fail-closed path: code the classifier cannot see is T2, with the
//! rule that says why and the node that forced it.

use opsbook_classify::{Shell, Tier, classify, grammar_loads};

fn t2(code: &str, shell: Shell, rule: &str) {
    let c = classify(code, shell);
    assert_eq!(c.tier, Tier::T2, "{code}: {}", c.reason);
    let f = c
        .forced_by
        .as_ref()
        .unwrap_or_else(|| panic!("{code}: no forcing node"));
    assert!(
        f.rule.contains(rule),
        "{code}: rule {} does not contain {rule}",
        f.rule
    );
    assert!(!c.reason.is_empty());
}

#[test]
fn grammars_load() {
    // An ABI mismatch between tree-sitter and a grammar only shows at run time.
    assert!(grammar_loads(Shell::PowerShell));
    assert!(grammar_loads(Shell::Bash));
    assert!(!grammar_loads(Shell::Cmd));
}

#[test]
fn parse_errors() {
    t2(
        "Get-Process {",
        Shell::PowerShell,
        "fail-closed:parse-error",
    );
    t2("Get-Item (", Shell::PowerShell, "fail-closed:parse-error");
    t2("if then fi (", Shell::Bash, "fail-closed:parse-error");
    let c = classify("Get-Date\nGet-Item (", Shell::PowerShell);
    assert_eq!(c.forced_by.map(|f| f.line), Some(2));
}

#[test]
fn dynamic_command_names() {
    t2("& $x", Shell::PowerShell, "fail-closed:dynamic-command");
    t2(". $x", Shell::PowerShell, "fail-closed:dynamic-command");
    t2(
        "& (Get-Command Remove-Item) x",
        Shell::PowerShell,
        "fail-closed:dynamic-command",
    );
    t2(
        "& \"$tool\\x.exe\"",
        Shell::PowerShell,
        "fail-closed:dynamic-command",
    );
    t2("$CMD -x", Shell::Bash, "fail-closed:dynamic-command");
    t2(
        "$(which rm) -f x",
        Shell::Bash,
        "fail-closed:dynamic-command",
    );
    // A variable the step only assigns a script block literal is visible.
    assert_eq!(
        classify("$s = { Get-Date }; & $s", Shell::PowerShell).tier,
        Tier::T0
    );
    assert_eq!(
        classify("$s = { Remove-Item x }; & $s", Shell::PowerShell).tier,
        Tier::T2
    );
    // … and one it assigns literal command names is resolved.
    assert_eq!(
        classify("$c = 'Get-Date'; & $c", Shell::PowerShell).tier,
        Tier::T0
    );
    assert_eq!(
        classify("$c = 'Stop-Service'; & $c x", Shell::PowerShell).tier,
        Tier::T1
    );
}

#[test]
fn invoke_expression() {
    t2("iex $code", Shell::PowerShell, "fail-closed:dynamic-code");
    t2(
        "Invoke-Expression \"Get-Item $x\"",
        Shell::PowerShell,
        "fail-closed:dynamic-code",
    );
    t2(
        "'Get-Date' | Invoke-Expression",
        Shell::PowerShell,
        "fail-closed:dynamic-code",
    );
    // A literal is classified as code, recursively.
    assert_eq!(classify("iex 'Get-Date'", Shell::PowerShell).tier, Tier::T0);
    assert_eq!(
        classify("iex 'iex ''Stop-Service x'''", Shell::PowerShell).tier,
        Tier::T1
    );
    t2("iex 'Remove-Item x'", Shell::PowerShell, "Remove-Item");
    t2("eval \"$x\"", Shell::Bash, "fail-closed:dynamic-code");
    t2(
        "[scriptblock]::Create($s)",
        Shell::PowerShell,
        "dotnet:[scriptblock]::Create",
    );
}

#[test]
fn encoded_and_hosted_code() {
    t2(
        "powershell -EncodedCommand ZQBjAGgAbwA=",
        Shell::PowerShell,
        "fail-closed:encoded-command",
    );
    t2(
        "powershell.exe -enc ZQBjAGgAbwA=",
        Shell::PowerShell,
        "fail-closed:encoded-command",
    );
    t2(
        "pwsh -e ZQBjAGgAbwA=",
        Shell::PowerShell,
        "fail-closed:encoded-command",
    );
    t2(
        "pwsh -File x.ps1",
        Shell::PowerShell,
        "fail-closed:script-file",
    );
    t2(
        "powershell -Command $c",
        Shell::PowerShell,
        "fail-closed:dynamic-code",
    );
    t2(
        "Start-Process $p",
        Shell::PowerShell,
        "fail-closed:dynamic-command",
    );
    t2(
        "Start-Process pwsh -ArgumentList '-EncodedCommand', 'ZQBj'",
        Shell::PowerShell,
        "fail-closed:encoded-command",
    );
    t2("sh -c \"$c\"", Shell::Bash, "fail-closed:dynamic-code");
    assert_eq!(
        classify(
            "powershell -NoProfile -Command \"Get-Date\"",
            Shell::PowerShell
        )
        .tier,
        Tier::T0
    );
    assert_eq!(classify("bash -c 'ls -la'", Shell::Bash).tier, Tier::T0);
}

#[test]
fn scripts_run_by_path() {
    t2(".\\fix.ps1", Shell::PowerShell, "fail-closed:path");
    t2("& .\\fix.ps1 -Force", Shell::PowerShell, "fail-closed:path");
    t2(". .\\env.ps1", Shell::PowerShell, "fail-closed:path");
    t2("fix.ps1", Shell::PowerShell, "fail-closed:script-file");
    t2(
        "D:\\tools\\x.exe /all",
        Shell::PowerShell,
        "fail-closed:path",
    );
    t2("./fix.sh", Shell::Bash, "fail-closed:path");
    t2("bash fix.sh", Shell::Bash, "native:bash:script");
    t2("source env.sh", Shell::Bash, "native:source");
    // A system directory counts as the bare program.
    assert_eq!(
        classify(
            "C:\\Windows\\System32\\w32tm.exe /query /status",
            Shell::PowerShell
        )
        .tier,
        Tier::T0
    );
    assert_eq!(classify("/usr/bin/uptime", Shell::Bash).tier, Tier::T0);
}

#[test]
fn unknown_programs_cmdlets_and_members() {
    t2(
        "frobnicate --all",
        Shell::PowerShell,
        "fail-closed:unknown-command",
    );
    t2(
        "frobnicate --all",
        Shell::Bash,
        "fail-closed:unknown-program",
    );
    t2(
        "Frob-Widget -All",
        Shell::PowerShell,
        "fail-closed:unknown-verb",
    );
    t2(
        "$x.Frobnicate()",
        Shell::PowerShell,
        "fail-closed:unknown-method",
    );
    t2(
        "[Acme.Widget]::Frob()",
        Shell::PowerShell,
        "fail-closed:unknown-static",
    );
    t2(
        "[Acme.Widget]::Mode = 1",
        Shell::PowerShell,
        "fail-closed:unknown-static",
    );
    t2(
        "$x.$name()",
        Shell::PowerShell,
        "fail-closed:dynamic-member",
    );
    t2(
        "Get-Item x | ForEach-Object -MemberName $m",
        Shell::PowerShell,
        "fail-closed:dynamic-member",
    );
    t2(
        "New-Object -TypeName $t",
        Shell::PowerShell,
        "fail-closed:dynamic-type",
    );
}

#[test]
fn http_that_cannot_be_seen() {
    t2(
        "Invoke-RestMethod -Method $m -Uri https://x.invalid/",
        Shell::PowerShell,
        "http:method-not-literal",
    );
    t2(
        "Invoke-RestMethod -Method Post -Uri $u",
        Shell::PowerShell,
        "http:url-not-literal",
    );
    t2(
        "Invoke-RestMethod -Method Post -Uri \"https://api.x.invalid$path\"",
        Shell::PowerShell,
        "http:url-not-literal",
    );
    t2(
        "Invoke-WebRequest -Method FROB -Uri https://x.invalid/",
        Shell::PowerShell,
        "http:unknown-method",
    );
    t2("Invoke-RestMethod @p", Shell::PowerShell, "splat");
    t2(
        "curl -X \"$M\" https://x.invalid/",
        Shell::Bash,
        "http:method-not-literal",
    );
    t2("curl -K opts.txt", Shell::Bash, "http:curl-config");
    // A GET to a URL with variables only reads.
    assert_eq!(
        classify(
            "Invoke-RestMethod -Uri \"https://x.invalid/$p\"",
            Shell::PowerShell
        )
        .tier,
        Tier::T0
    );
}

#[test]
fn splatting_worst_case() {
    // Unknown hashtable: parameters that raise a tier are assumed.
    assert_eq!(classify("New-Item @p", Shell::PowerShell).tier, Tier::T2);
    // Literal hashtable: read as parameters.
    assert_eq!(
        classify(
            "$p = @{ Path = 'd'; ItemType = 'Directory'; Force = $true }\nNew-Item @p",
            Shell::PowerShell
        )
        .tier,
        Tier::T1
    );
    assert_eq!(
        classify(
            "$p = @{ Path = 'f'; Force = $true }\nNew-Item @p",
            Shell::PowerShell
        )
        .tier,
        Tier::T2
    );
    // A hashtable changed after it was written is not trusted.
    assert_eq!(classify("$p = @{ Method = 'Get'; Uri = 'https://x.invalid/' }\n$p.Method = 'Delete'\nInvoke-RestMethod @p", Shell::PowerShell).tier, Tier::T2);
    assert_eq!(
        classify(
            "$p = @{ Method = 'Get'; Uri = 'https://x.invalid/' }\nInvoke-RestMethod @p",
            Shell::PowerShell
        )
        .tier,
        Tier::T0
    );
    // -WhatIf through a splat does not lower.
    assert_eq!(
        classify(
            "$p = @{ WhatIf = $true }\nRemove-Item x @p",
            Shell::PowerShell
        )
        .tier,
        Tier::T2
    );
}

#[test]
fn cmd_fences_and_tables() {
    t2("del C:\\x", Shell::Cmd, "fail-closed:cmd");
    assert_eq!(classify("", Shell::Cmd).tier, Tier::T0);
    assert!(
        opsbook_classify::table_problems().is_empty(),
        "{:?}",
        opsbook_classify::table_problems()
    );
}

#[test]
fn odd_characters_are_findings_and_never_lower() {
    let c = classify("Stop-Service x \u{2013}WhatIf", Shell::PowerShell);
    assert_eq!(c.findings.len(), 1);
    assert_eq!(c.findings[0].code_point, "U+2013");
    assert_eq!((c.findings[0].line, c.findings[0].column), (1, 16));
    assert_eq!(
        c.tier,
        Tier::T1,
        "an en dash must not make -WhatIf lower the tier"
    );
    // PowerShell reads the en dash as `-`: `–Recurse` is the parameter.
    let c = classify("Remove-Item x \u{2013}Recurse", Shell::PowerShell);
    assert_eq!(c.tier, Tier::T2);
    // Curly quotes are read as quotes: the string is still one argument.
    let c = classify("iex \u{201C}Stop-Service x\u{201D}", Shell::PowerShell);
    assert_eq!(c.tier, Tier::T1, "{}", c.reason);
    assert_eq!(c.findings.len(), 2);
    // A no-break space separates like a space.
    let c = classify("Stop-Service\u{00A0}x", Shell::PowerShell);
    assert_eq!((c.tier, c.findings.len()), (Tier::T1, 1));
    let f = c.forced_by.expect("forced");
    assert_eq!(
        &"Stop-Service\u{00A0}x"[f.span.start..f.span.end],
        "Stop-Service\u{00A0}x"
    );
    // bash does not read them as ASCII, but they are still reported.
    let c = classify("rm \u{2013}rf /tmp/x", Shell::Bash);
    assert_eq!((c.tier, c.findings.len()), (Tier::T2, 1));
}

#[test]
fn bash_scanner_crash_inputs_are_safe() {
    // `{` followed by a character above U+00FF made tree-sitter-bash 0.25.1
    // read out of bounds (SIGSEGV for U+65E20 and above).
    for c in ['\u{C5BEF}', '\u{10FFFF}', '\u{65E20}', '\u{4E2D}', '\u{E9}'] {
        let code = format!("{{{c}");
        let _ = classify(&code, Shell::Bash);
        let _ = classify(&format!("echo {{1..{c}"), Shell::Bash);
        let _ = classify(&format!("bash -c 'echo {{{c}'"), Shell::Bash);
    }
    let c = classify("rm /tmp/\u{4E2D}\u{6587}", Shell::Bash);
    assert_eq!(c.tier, Tier::T2);
    assert_eq!(
        c.forced_by.map(|f| f.command),
        Some("rm /tmp/\u{4E2D}\u{6587}".to_string())
    );
}
