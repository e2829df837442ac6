//! Native programs called from either shell: a tool's rules, or its special
//! reading (code in a `-c` string, a wrapped command, find's `-exec`, awk
//! and sed programs, curl/wget, dd).

use std::sync::LazyLock;

use opsbook_core::model::Tier;
use regex::Regex;

use crate::Shell;
use crate::engine::{Hit, NArg, Verdict, http_tool, tool_rules};
use crate::tables::{Tables, ToolHandler};

/// Directories whose programs are known by their bare name.
const SYSTEM_DIRS: &[&str] = &[
    "c:\\windows\\system32",
    "c:\\windows",
    "c:\\windows\\syswow64",
    "c:\\windows\\system32\\windowspowershell\\v1.0",
    "c:\\program files\\powershell\\7",
    "/bin",
    "/usr/bin",
    "/sbin",
    "/usr/sbin",
    "/usr/local/bin",
];

/// Splits a command written as a path into its program name when the path
/// is a system directory; `Err` with the reason otherwise.
pub(crate) fn program_from_path(path: &str) -> Result<String, String> {
    let cut = path.rfind(['\\', '/']).map_or(0, |i| i + 1);
    let (dir, base) = (&path[..cut.saturating_sub(1)], &path[cut..]);
    let d = dir
        .to_ascii_lowercase()
        .replace('/', if dir.starts_with('/') { "/" } else { "\\" });
    if SYSTEM_DIRS.contains(&d.as_str()) && !base.is_empty() {
        Ok(base.to_string())
    } else {
        Err(format!(
            "`{path}` is a program or script run by path: the classifier cannot see what it does"
        ))
    }
}

/// Classifies a native program call. `extra` receives hits of code nested
/// in the arguments (`bash -c '…'`), relative to the nested code's string;
/// they are attached to the call's span by the caller.
pub(crate) fn classify_native(
    t: &Tables,
    name: &str,
    args: &[NArg],
    depth: usize,
    extra: &mut Vec<Hit>,
) -> Verdict {
    let Some(tool) = t.tool(name) else {
        return Verdict::new(
            Tier::T2,
            "fail-closed:unknown-program",
            format!(
                "`{name}` is not a known command or program: the classifier cannot see what it does"
            ),
        );
    };
    let Some(h) = tool.handler else {
        return tool_rules(tool, name, args);
    };
    let rule = format!("native:{}", tool.names[0]);
    match h {
        ToolHandler::Http => http_tool(t, &tool.names[0], args),
        ToolHandler::ShellC => {
            let Some(i) = args.iter().position(|a| {
                a.lit
                    .as_deref()
                    .is_some_and(|s| s.starts_with('-') && !s.starts_with("--") && s.contains('c'))
            }) else {
                return Verdict::new(
                    Tier::T2,
                    format!("{rule}:script"),
                    format!(
                        "`{name}` runs a script file or reads commands from its input: the classifier cannot see them"
                    ),
                );
            };
            match args.get(i + 1).and_then(|a| a.lit.clone()) {
                Some(code) => nested_verdict(t, &code, Shell::Bash, depth, extra, &rule, name),
                None => Verdict::new(
                    Tier::T2,
                    "fail-closed:dynamic-code",
                    format!("`{name} -c` with code that is not a literal"),
                ),
            }
        }
        ToolHandler::PowerShell => powershell_args(t, name, args, depth, extra),
        ToolHandler::Eval => {
            let lits: Option<Vec<String>> = args.iter().map(|a| a.lit.clone()).collect();
            match lits {
                Some(l) if !l.is_empty() => {
                    nested_verdict(t, &l.join(" "), Shell::Bash, depth, extra, &rule, name)
                }
                Some(_) => Verdict::new(Tier::T0, rule, "`eval` with nothing to run"),
                None => Verdict::new(
                    Tier::T2,
                    "fail-closed:dynamic-code",
                    "`eval` of code that is not a literal: the classifier cannot see it",
                ),
            }
        }
        ToolHandler::Wrapper => {
            let mut i = 0;
            let mut skipped = 0;
            while i < args.len() {
                let a = &args[i];
                let Some(s) = a.lit.as_deref() else { break };
                if s == "--" {
                    i += 1;
                    break;
                }
                if s.starts_with('-') && s.len() > 1 {
                    i += if tool.value_options.iter().any(|v| v == s) {
                        2
                    } else {
                        1
                    };
                    continue;
                }
                if tool.names[0] == "env" && s.contains('=') {
                    i += 1;
                    continue;
                }
                if skipped < tool.skip {
                    skipped += 1;
                    i += 1;
                    continue;
                }
                break;
            }
            match args.get(i) {
                None => Verdict::new(
                    tool.no_args.unwrap_or(Tier::T0),
                    rule,
                    format!("`{name}` without a command to run"),
                ),
                Some(a) => match &a.lit {
                    Some(inner) => {
                        if depth > crate::engine::MAX_DEPTH {
                            return Verdict::new(
                                Tier::T2,
                                "fail-closed:too-deep",
                                "commands wrapped too deeply to follow",
                            );
                        }
                        let inner_name = match inner.contains(['/', '\\']) {
                            true => match program_from_path(inner) {
                                Ok(n) => n,
                                Err(why) => return Verdict::new(Tier::T2, "fail-closed:path", why),
                            },
                            false => inner.clone(),
                        };
                        let v = classify_native(t, &inner_name, &args[i + 1..], depth + 1, extra);
                        Verdict::new(
                            v.tier,
                            format!("{rule}>{}", v.rule),
                            format!("`{name}` runs `{inner_name}`: {}", v.reason),
                        )
                    }
                    None => Verdict::new(
                        Tier::T2,
                        "fail-closed:dynamic-command",
                        format!("`{name}` runs a command that is not a literal"),
                    ),
                },
            }
        }
        ToolHandler::Find => {
            let mut v = Verdict::new(Tier::T0, rule.clone(), "`find` lists files");
            let mut i = 0;
            while i < args.len() {
                match args[i].lit.as_deref() {
                    Some("-delete") => {
                        v = v.max(Verdict::new(
                            Tier::T2,
                            format!("{rule}:-delete"),
                            "`find -delete` deletes every file it finds",
                        ))
                    }
                    Some("-fprint" | "-fprint0" | "-fprintf" | "-fls") => {
                        v = v.max(Verdict::new(
                            Tier::T1,
                            format!("{rule}:-fprint"),
                            "`find -fprint` writes a file",
                        ));
                    }
                    Some(x @ ("-exec" | "-execdir" | "-ok" | "-okdir")) => {
                        let end = args[i + 1..]
                            .iter()
                            .position(|a| matches!(a.lit.as_deref(), Some(";" | "+" | "\\;")))
                            .map_or(args.len(), |p| i + 1 + p);
                        let inner = &args[i + 1..end];
                        let iv = match inner.first() {
                            Some(NArg { lit: Some(n), .. }) => {
                                let n = if n.contains('/') {
                                    program_from_path(n).unwrap_or_default()
                                } else {
                                    n.clone()
                                };
                                classify_native(t, &n, &inner[1..], depth + 1, extra)
                            }
                            _ => Verdict::new(
                                Tier::T2,
                                "fail-closed:dynamic-command",
                                format!("`find {x}` runs a command that is not a literal"),
                            ),
                        };
                        v = v.max(Verdict::new(
                            iv.tier,
                            format!("{rule}:{x}>{}", iv.rule),
                            format!("`find {x}` runs it on every file found: {}", iv.reason),
                        ));
                        i = end;
                    }
                    None => {}
                    _ => {}
                }
                i += 1;
            }
            v
        }
        ToolHandler::Awk => {
            let mut i = 0;
            let mut program = None;
            while i < args.len() {
                match args[i].lit.as_deref() {
                    Some("-f") | Some("--file") => {
                        return Verdict::new(
                            Tier::T2,
                            format!("{rule}:-f"),
                            "`awk -f` runs a program file the classifier cannot see",
                        );
                    }
                    Some("-v" | "-F" | "--assign" | "--field-separator") => i += 2,
                    Some(s) if s.starts_with('-') && s.len() > 1 => i += 1,
                    _ => {
                        program = Some(&args[i]);
                        break;
                    }
                }
            }
            match program.map(|p| p.lit.as_deref()) {
                None => Verdict::new(Tier::T0, rule, "`awk` without a program"),
                Some(None) => Verdict::new(
                    Tier::T2,
                    "fail-closed:dynamic-code",
                    "`awk` with a program that is not a literal",
                ),
                Some(Some(p)) => awk_program(p, &rule),
            }
        }
        ToolHandler::Sed => {
            let mut v = Verdict::new(Tier::T0, rule.clone(), "`sed` prints its edits");
            let mut script: Option<&NArg> = None;
            let mut i = 0;
            while i < args.len() {
                let a = &args[i];
                match a.lit.as_deref() {
                    Some(s)
                        if s == "-i"
                            || s.starts_with("-i") && !s.starts_with("-in")
                            || s.starts_with("--in-place")
                            || (s.starts_with('-')
                                && !s.starts_with("--")
                                && s.contains('i')
                                && s.len() <= 4) =>
                    {
                        v = v.max(Verdict::new(
                            Tier::T1,
                            format!("{rule}:-i"),
                            "`sed -i` edits files in place",
                        ));
                    }
                    Some("-f" | "--file") => {
                        return Verdict::new(
                            Tier::T2,
                            format!("{rule}:-f"),
                            "`sed -f` runs a script file the classifier cannot see",
                        );
                    }
                    Some("-e" | "--expression") => {
                        script = args.get(i + 1);
                        i += 1;
                    }
                    Some(s) if s.starts_with('-') => {}
                    _ => {
                        if script.is_none() {
                            script = Some(a);
                        }
                    }
                }
                i += 1;
            }
            match script.map(|s| s.lit.as_deref()) {
                Some(None) => v.max(Verdict::new(
                    Tier::T2,
                    "fail-closed:dynamic-code",
                    "`sed` with a script that is not a literal",
                )),
                Some(Some(s)) => v.max(sed_script(s, &rule)),
                None => v,
            }
        }
        ToolHandler::Dd => {
            let of = args.iter().any(|a| a.prefix.starts_with("of="));
            if of {
                Verdict::new(
                    Tier::T2,
                    format!("{rule}:of="),
                    "`dd of=` overwrites a device or file",
                )
            } else {
                Verdict::new(Tier::T0, rule, "`dd` without of= writes to its output")
            }
        }
    }
}

fn nested_verdict(
    t: &Tables,
    code: &str,
    shell: Shell,
    depth: usize,
    extra: &mut Vec<Hit>,
    rule: &str,
    name: &str,
) -> Verdict {
    let hits = crate::nested(t, code, shell, depth + 1);
    let worst = hits
        .iter()
        .filter(|h| h.tier == hits.iter().map(|x| x.tier).max().unwrap_or(Tier::T0))
        .min_by_key(|h| h.span.0);
    let v = match worst {
        Some(h) => Verdict::new(
            h.tier,
            format!("{rule}>{}", h.rule),
            format!(
                "`{name}` runs code that contains `{}`: {}",
                h.name, h.reason
            ),
        ),
        None => Verdict::new(
            Tier::T0,
            rule.to_string(),
            format!("`{name}` runs code with no command"),
        ),
    };
    extra.extend(hits);
    v
}

/// powershell/pwsh command-line parameters (prefixes accepted, as the hosts do).
fn powershell_args(
    t: &Tables,
    name: &str,
    args: &[NArg],
    depth: usize,
    extra: &mut Vec<Hit>,
) -> Verdict {
    const VALUED: &[&str] = &[
        "executionpolicy",
        "ep",
        "ex",
        "windowstyle",
        "w",
        "inputformat",
        "if",
        "outputformat",
        "of",
        "o",
        "version",
        "v",
        "configurationname",
        "config",
        "workingdirectory",
        "wd",
        "custompipename",
        "settingsfile",
        "psconsolefile",
    ];
    let rule = format!(
        "native:{}",
        name.to_ascii_lowercase().trim_end_matches(".exe")
    );
    let mut i = 0;
    while i < args.len() {
        let Some(s) = args[i].lit.as_deref() else {
            return Verdict::new(
                Tier::T2,
                "fail-closed:dynamic-code",
                format!("`{name}` with an argument that is not a literal"),
            );
        };
        let p = s.trim_start_matches(['-', '/']).to_ascii_lowercase();
        if !s.starts_with(['-', '/']) || p.is_empty() {
            return Verdict::new(
                Tier::T2,
                format!("{rule}:positional"),
                format!(
                    "`{name} {s}`: a positional argument is a script file on pwsh (-File): the classifier cannot see it"
                ),
            );
        }
        let is = |full: &str, min: usize| p.len() >= min && full.starts_with(p.as_str());
        if is("encodedcommand", 1) || p == "ec" || p == "enc" || is("encodedarguments", 8) {
            return Verdict::new(
                Tier::T2,
                "fail-closed:encoded-command",
                format!("`{name} -EncodedCommand` runs Base64 code the classifier does not read"),
            );
        }
        if is("file", 1) {
            return Verdict::new(
                Tier::T2,
                "fail-closed:script-file",
                format!("`{name} -File` runs a script file the classifier cannot see"),
            );
        }
        if is("command", 1) || p == "c" {
            let rest: Option<Vec<String>> = args[i + 1..].iter().map(|a| a.lit.clone()).collect();
            return match rest {
                Some(r) if r.is_empty() || r == ["-"] => Verdict::new(
                    Tier::T2,
                    format!("{rule}:stdin"),
                    format!("`{name} -Command -` reads code from its input"),
                ),
                Some(r) => nested_verdict(
                    t,
                    &r.join(" "),
                    Shell::PowerShell,
                    depth,
                    extra,
                    &rule,
                    name,
                ),
                None => Verdict::new(
                    Tier::T2,
                    "fail-closed:dynamic-code",
                    format!("`{name} -Command` with code that is not a literal"),
                ),
            };
        }
        i += if VALUED.contains(&p.as_str())
            || VALUED
                .iter()
                .any(|v| v.len() > 3 && p.len() >= 3 && v.starts_with(&p))
        {
            2
        } else {
            1
        };
    }
    Verdict::new(
        Tier::T2,
        format!("{rule}:interactive"),
        format!(
            "`{name}` without -Command starts a shell that reads commands the classifier cannot see"
        ),
    )
}

static AWK_RUN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"system\s*\(|\|\s*"|"\s*\|\s*getline|\|&"#).ok());
static AWK_WRITE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"print[f]?[^;}\n]*>"#).ok());

fn awk_program(p: &str, rule: &str) -> Verdict {
    program_verdict(
        p,
        rule,
        (
            &AWK_RUN,
            "system",
            "`awk` program runs commands (system() or a pipe)",
        ),
        (&AWK_WRITE, "print>", "`awk` program may print to a file"),
        "`awk` program only reads and prints",
    )
}

static SED_EXEC: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(^|[;\n{}])\s*e(\s|$|;)|/[gpImM0-9]*e[gpImM0-9]*(\s|$|;|\})").ok()
});
static SED_WRITE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(^|[;\n{}])\s*[wW]\s|/[gpImMe0-9]*w\s").ok());

fn sed_script(s: &str, rule: &str) -> Verdict {
    program_verdict(
        s,
        rule,
        (
            &SED_EXEC,
            "e",
            "`sed` script runs commands (the e command or flag)",
        ),
        (
            &SED_WRITE,
            "w",
            "`sed` script writes a file (the w command or flag)",
        ),
        "`sed` script only edits its output",
    )
}

type Pattern<'a> = (&'a LazyLock<Option<Regex>>, &'a str, &'a str);

/// A literal awk/sed program: T2 when it runs commands, T1 when it writes
/// a file, else T0 (a pattern that fails to compile counts as matching).
fn program_verdict(
    text: &str,
    rule: &str,
    runs: Pattern<'_>,
    writes: Pattern<'_>,
    reads: &str,
) -> Verdict {
    for (tier, (re, id, why)) in [(Tier::T2, runs), (Tier::T1, writes)] {
        if re.as_ref().is_none_or(|r| r.is_match(text)) {
            return Verdict::new(tier, format!("{rule}:{id}"), why);
        }
    }
    Verdict::new(Tier::T0, rule.to_string(), reads)
}
