//! Renders `docs/tiers.md`, the tier rules as tables a runbook author can
//! read, from the same rows the classifier uses (a test keeps the file and
//! the data in step: `UPDATE_DOCS=1 cargo test -p opsbook-classify --test docs`
//! rewrites it).

use std::fmt::Write as _;

use crate::tables::{raw_dotnet, raw_http, raw_native, raw_powershell};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", cell(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Markdown text of `docs/tiers.md`.
#[must_use]
pub fn render_markdown() -> String {
    let mut o = String::new();
    let (Some(ps), Some(native), Some(http), Some(dotnet)) =
        (raw_powershell(), raw_native(), raw_http(), raw_dotnet())
    else {
        return "# Danger tiers\n\nThe classifier's tables are malformed: run `cargo test -p opsbook-classify`.\n".to_string();
    };
    let _ = writeln!(
        o,
        r#"# Danger tiers of runbook steps

<!-- Generated from crates/opsbook-classify/data/*.toml by
     `UPDATE_DOCS=1 cargo test -p opsbook-classify --test docs`. Do not edit by hand. -->

Every fenced `powershell` (`pwsh`, `ps1`, `ps`, `posh`) or `bash` (`sh`,
`shell`, `zsh`) block of a runbook is a **step**. opsbook classifies its code
and computes the **lowest tier it may be declared as** (DESIGN §2, D-AUTO-BOUNDARY):

| tier | meaning | declare it when |
|---|---|---|
| **T0** | read-only | the step only observes (queries, reads, prints) |
| **T1** | reversible | the step changes state and a tested backout exists |
| **T2** | irreversible or wide blast radius | deletes, erases, resets, cancels orders, moves funds, restarts machines, or runs code opsbook cannot see |

A step's tier is the **highest** tier of anything in it: every command of a
pipeline, every script block (`ForEach-Object {{ … }}`, `Where-Object`,
`Invoke-Command -ScriptBlock`, `&{{ … }}`), every nested `$( … )`, every
redirection to a file, every .NET call. `opsbook classify FILE` shows the
command that forced it. Fences tagged `console`, `text`, `output` … or not
tagged at all are **not steps and never run**. `cmd`/`bat` fences are steps
that are always T2 (batch code is not parsed).

`opsbook gate` checks every runbook against these tables
(`opsbook explain OB115` … `OB121`): a step declared below its computed tier
(OB115, pointing at the command that forces it), a computed T1/T2 step
without a `dangerous_ops` entry (OB116), a backout `Step N` whose code is T2
(OB117), a `safety_label` below the highest computed tier (OB118), a
non-ASCII dash, quote or space inside a step (OB119), an untagged fence
(OB120, a warning: it never runs) and a prompt inside a step (OB121:
`Read-Host`, `Get-Credential`, `pause`, the host's `ReadLine`, bash `read`
fail under `opsbook run`; a step takes its inputs from `$env:OPSBOOK_<NAME>`,
given with `opsbook run RB-ID --input OPSBOOK_<NAME>=<value>`).

## Fail closed: always T2

The classifier gives T2, with the reason, to anything it cannot see:

- code that does not parse (an ERROR or MISSING node in the grammar);
- a command name that is not a literal: `& $x`, `. $x`, `$cmd args`,
  `& (Get-Command …)` — except a variable that the step only ever assigns a
  script block literal (its body is classified) or literal command names;
- `Invoke-Expression`/`iex` of anything but a literal string (a literal is
  classified as code), `[scriptblock]::Create(…)`, `eval $x`;
- `powershell`/`pwsh` with `-EncodedCommand`, `-File` or a positional script;
  `-Command` with code that is not a literal (a literal is classified);
  `bash -c` likewise; `Start-Process` of a program that is not a literal;
- a script or program run by path (`.\fix.ps1`, `./fix.sh`, `D:\tools\x.exe`)
  — a program in a system directory (`C:\Windows\System32\w32tm.exe`,
  `/usr/bin/rm`) counts as its bare name;
- a command, verb, native program, .NET static member or method that the
  tables below do not list;
- `Invoke-RestMethod`/`Invoke-WebRequest`/curl with a method that is not a
  literal, or a non-read-only call to a URL that is not a literal.

## How names are read (PowerShell)

- Case does not matter; backtick escapes in names are removed
  (`` Re`move-Item `` is `Remove-Item`); a module qualifier is dropped
  (`Microsoft.PowerShell.Management\Remove-Item`).
- Aliases are resolved for **both** Windows PowerShell 5.1 and PowerShell 7;
  where they differ the worse meaning counts (`sc` is Set-Content on 5.1 and
  sc.exe on 7 — write `sc.exe`; `curl` is Invoke-WebRequest on 5.1 and
  curl.exe on 7).
- Splatting: `@params` whose hashtable is a literal in the step, never
  changed, is read as parameters; any other splat is the worst case (every
  parameter that raises a tier may be there; `-WhatIf` is not assumed).
- `-WhatIf` lowers a command to T0 only when written literally (`-WhatIf` or
  `-WhatIf:$true`, not `-WhatIf:$false`, not a prefix, not through a splat,
  not with a non-ASCII dash) on a cmdlet marked *WhatIf* below — the
  cmdlets whose PowerShell 7.5 reference lists `-WhatIf`.
- Parameters are matched by prefix, as PowerShell does (`-Rec` is
  `-Recurse`).
- Redirections `>`, `>>`, `2>`, `*>` to a file are a write (T1); to `$null`
  they are nothing. bash: `>`/`>>`/`&>` to a file T1; `/dev/null` nothing.
- Methods on values the step made in memory (literals, hashtables,
  `[pscustomobject]@{{…}}`, strings, parsed JSON/CSV, dates, output of the
  *data* cmdlets) are T0. A method on any other value takes the worst
  meaning of its name (table ".NET methods").
- Non-ASCII dashes (`–`, `—`), curly quotes and no-break spaces are read as
  PowerShell reads them (as `-`, `'`/`"` and space) and reported as separate
  findings; they never lower a tier.
"#
    );

    // --- verbs
    let _ = writeln!(
        o,
        "## PowerShell verbs\n\nA `Verb-Noun` command without its own row takes its verb's tier. Unknown verbs are T2.\n"
    );
    for tier in ["T0", "T1", "T2"] {
        let verbs: Vec<String> = ps
            .verbs
            .iter()
            .filter(|v| v.tier == tier)
            .map(|v| v.verb.clone())
            .collect();
        let _ = writeln!(o, "- **{tier}**: {}", code_list(&verbs));
    }
    let _ = writeln!(o, "\n| verb | tier | why |\n|---|---|---|");
    for v in &ps.verbs {
        let _ = writeln!(o, "| `{}` | {} | {} |", v.verb, v.tier, cell(&v.why));
    }

    // --- cmdlets
    let _ = writeln!(
        o,
        "\n## PowerShell cmdlets with their own rule\n\n*WhatIf*: a literal `-WhatIf` lowers it to T0. *raises*: these parameters raise it. *data*: its output is plain data (methods on it are T0). *session drive*: on `env:`, `variable:`, `function:`, `alias:` paths it is T0.\n\n| cmdlet | tier | WhatIf | raises | notes | why |\n|---|---|---|---|---|---|"
    );
    for c in &ps.cmdlets {
        let raise: Vec<String> = c.raise.iter().map(|(p, t)| format!("-{p} → {t}")).collect();
        let mut notes: Vec<String> = Vec::new();
        if let Some((p, v)) = &c.unless {
            notes.push(format!("not with -{p} {v}"));
        }
        if c.data {
            notes.push("data".into());
        }
        if c.session {
            notes.push("session drive".into());
        }
        if let Some(h) = &c.handler {
            notes.push(format!("reads: {h}"));
        }
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {} | {} | {} |",
            c.name,
            c.tier,
            if c.whatif { "yes" } else { "" },
            cell(&raise.join(", ")),
            cell(&notes.join("; ")),
            cell(&c.why)
        );
    }

    // --- aliases
    let _ = writeln!(
        o,
        "\n## PowerShell aliases\n\nA missing meaning means the name runs the native program of that name on that host.\n\n| alias | Windows PowerShell 5.1 | PowerShell 7 |\n|---|---|---|"
    );
    for a in &ps.aliases {
        let (x, y) = match (&a.to, &a.ps51, &a.ps7) {
            (Some(t), _, _) => (t.clone(), t.clone()),
            (None, s, t) => (
                s.clone()
                    .unwrap_or_else(|| format!("{}.exe (native)", a.alias)),
                t.clone()
                    .unwrap_or_else(|| format!("{}.exe (native)", a.alias)),
            ),
        };
        let _ = writeln!(o, "| `{}` | {} | {} |", cell(&a.alias), cell(&x), cell(&y));
    }

    // --- native
    let _ = writeln!(
        o,
        "\n## Native programs and shell builtins\n\nBy name (lower-case, `.exe` dropped). The rules are checked on the literal arguments and the **highest** matching rule wins; with no match the default applies. An argument that is not a literal may be any word: the worst case is taken. Programs not listed are T2.\n\n| programs | default | no arguments | rules | why |\n|---|---|---|---|---|"
    );
    for t in &native.tools {
        let rules: Vec<String> = t
            .rules
            .iter()
            .map(|r| {
                let mut parts = Vec::new();
                if !r.sub.is_empty() {
                    let at = r.at.unwrap_or(1);
                    let pos = if at == 1 {
                        String::new()
                    } else {
                        format!(" (word {at})")
                    };
                    parts.push(format!("{}{pos}", r.sub.join("\\|")));
                }
                if !r.prefix.is_empty() {
                    let at = r.at.unwrap_or(1);
                    let p: Vec<String> = r
                        .prefix
                        .iter()
                        .map(|p| {
                            if p.is_empty() {
                                "any".into()
                            } else {
                                format!("{p}…")
                            }
                        })
                        .collect();
                    parts.push(format!("word {at} {}", p.join("\\|")));
                }
                if !r.any.is_empty() {
                    parts.push(r.any.join("\\|"));
                }
                if !r.contains.is_empty() {
                    parts.push(format!("contains {}", r.contains.join("\\|")));
                }
                if !r.with.is_empty() {
                    parts.push(format!("with {}", r.with.join("\\|")));
                }
                if !r.without.is_empty() {
                    parts.push(format!("without {}", r.without.join("\\|")));
                }
                if let Some(m) = r.min_args {
                    parts.push(format!("≥ {m} args"));
                }
                if let Some(m) = r.max_args {
                    parts.push(format!("≤ {m} args"));
                }
                format!("{} → {}", parts.join(" "), r.tier)
            })
            .collect();
        let default = match (&t.handler, &t.default) {
            (Some(h), _) => format!("reads: {h}"),
            (None, Some(d)) => d.clone(),
            (None, None) => "T2".into(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            code_list(&t.names),
            default,
            t.no_args.clone().unwrap_or_default(),
            cell(&rules.join("; ")).replace("\\\\|", "\\|"),
            cell(&t.why)
        );
    }

    // --- http
    let _ = writeln!(
        o,
        "\n## HTTP calls\n\n`Invoke-RestMethod`, `Invoke-WebRequest` (default GET), curl (default GET; `-d`/`--data`/`-F` POST, `-T` PUT, `-I` HEAD) and wget (GET; `--post-data` POST). Writing the response to a file (`-OutFile`, `curl -o`, a wget download) is T1.\n\n| method | tier | why |\n|---|---|---|"
    );
    for m in &http.methods {
        let _ = writeln!(o, "| `{}` | {} | {} |", m.method, m.tier, cell(&m.why));
    }
    let _ = writeln!(
        o,
        "\nA call that is not read-only (above T0) to a URL containing one of these is raised to its tier (GET and HEAD stay T0):\n\n| URL contains | tier | why |\n|---|---|---|"
    );
    for e in &http.endpoints {
        let _ = writeln!(
            o,
            "| `{}` | {} | {} |",
            cell(&e.contains),
            e.tier,
            cell(&e.why)
        );
    }

    // --- dotnet
    let _ = writeln!(
        o,
        "\n## .NET static members (PowerShell)\n\n`[Type]::Member(…)`; type names are matched without a leading `System.`. Reading a static property is T0; calling a member not listed is T2. `*` = every member of the type.\n\n| type | member | tier | why |\n|---|---|---|---|"
    );
    for s in &dotnet.statics {
        let _ = writeln!(
            o,
            "| `{}` | `{}` | {} | {} |",
            cell(&s.ty),
            cell(&s.member),
            s.tier,
            cell(&s.why)
        );
    }
    let _ = writeln!(
        o,
        "\nType accelerators: {}.\n",
        code_list(
            &dotnet
                .accelerators
                .iter()
                .map(|a| format!("[{}] = {}", a.name, a.ty))
                .collect::<Vec<_>>()
        )
    );
    let _ = writeln!(
        o,
        "### Constructors\n\n`[Type]::new(…)` and `New-Object Type` are T0 except:\n\n| type | tier | why |\n|---|---|---|"
    );
    for c in &dotnet.constructors {
        let _ = writeln!(o, "| `{}` | {} | {} |", cell(&c.ty), c.tier, cell(&c.why));
    }
    let _ = writeln!(
        o,
        "\n### In-memory types\n\nEvery method of an object of these types is T0: {}.\n",
        code_list(&dotnet.local_types)
    );
    let _ = writeln!(
        o,
        "### .NET methods on values of unknown type\n\nThe worst meaning of the name on a common type. Methods not listed are T2.\n"
    );
    for m in &dotnet.methods {
        let _ = writeln!(
            o,
            "- **{}** ({}): {}\n",
            m.tier,
            cell(&m.why),
            code_list(&m.names)
        );
    }
    o
}
