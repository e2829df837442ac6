//! `opsbook evidence collect|verify|flush|keygen` (D-EVD-*).

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use opsbook_core::ledger::{self, Actor};
use opsbook_evidence::bundle::{self, EvidenceError, Limits, Request, Source};
use opsbook_evidence::deliver::{self, Destination};
use opsbook_evidence::redact::RuleSet;
use serde_json::{Value, json};

use crate::cli::{EvidenceCommand, ListFormat, SafeCommon};

#[allow(clippy::print_stderr)]
fn note(s: &str) {
    eprintln!("{s}");
}

/// `policy/evidence.yaml`: `None` when there is none (built-in rules and
/// defaults apply).
///
/// # Errors
/// A policy that exists but cannot be read or parsed: evidence work stops
/// rather than run without the classes and limits it sets (fail closed).
fn policy(root: &Path) -> anyhow::Result<Option<Value>> {
    let path = root.join("policy").join("evidence.yaml");
    if !path.exists() {
        return Ok(None);
    }
    super::severity::read_value(&path).map(Some).map_err(|e| {
        anyhow::anyhow!("{e}; nothing was done (fail closed): fix the evidence policy")
    })
}

/// The rule set; a rule that does not compile stops the run (fail closed).
fn rules(policy: Option<&Value>) -> anyhow::Result<RuleSet> {
    RuleSet::from_policy(policy).map_err(|e| {
        anyhow::anyhow!("{e}; nothing was done (fail closed): fix policy/evidence.yaml")
    })
}

fn custody(root: &Path, who: &Actor, kind: &str, data: Value) -> anyhow::Result<ledger::Event> {
    Ok(ledger::append(
        &root.join("ledger").join("custody.jsonl"),
        who,
        kind,
        data,
    )?)
}

fn destinations(args: &[String], policy: Option<&Value>) -> Vec<Destination> {
    if !args.is_empty() {
        return args.iter().map(|d| Destination::parse(d)).collect();
    }
    policy
        .and_then(|p| p.get("destinations"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|d| match d.get("kind").and_then(Value::as_str) {
                    Some("s3") => {
                        let field = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
                        Some(Destination::S3(deliver::S3Target {
                            bucket: field("bucket").unwrap_or_default(),
                            prefix: field("prefix").unwrap_or_default(),
                            endpoint: field("endpoint"),
                            region: field("region"),
                            credentials_ref: field("credentials_ref"),
                        }))
                    }
                    _ => d
                        .get("path")
                        .and_then(Value::as_str)
                        .map(|p| Destination::Dir(PathBuf::from(p))),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The clock offset against `--clock-reference`, else the policy's
/// `collection.clock_reference`; `none` (or nothing configured) skips it.
fn clock_check(arg: Option<&str>, policy: Option<&Value>) -> opsbook_evidence::timeref::ClockCheck {
    use opsbook_evidence::timeref::{ClockCheck, measure};
    let col = policy.and_then(|p| p.get("collection"));
    let reference = arg.map(str::to_string).or_else(|| {
        col.and_then(|c| c.get("clock_reference"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    match reference.as_deref().map(str::trim) {
        None | Some("") => ClockCheck::skipped("none", "no clock reference configured"),
        Some(r) if r.eq_ignore_ascii_case("none") => {
            ClockCheck::skipped("none", "clock reference disabled")
        }
        Some(r) => {
            let ms = col
                .and_then(|c| c.get("clock_timeout_ms"))
                .and_then(Value::as_u64)
                .unwrap_or(1500)
                .clamp(100, 10_000);
            measure(r, std::time::Duration::from_millis(ms))
        }
    }
}

/// Bundle IDs the custody ledger records as sealed.
fn sealed_ids(root: &Path) -> std::collections::BTreeSet<String> {
    ledger::read(&root.join("ledger").join("custody.jsonl"))
        .map(|events| {
            events
                .iter()
                .filter(|e| e.kind == "sealed")
                .filter_map(|e| e.data.get("bundle_id").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn spool(arg: Option<&PathBuf>, policy: Option<&Value>) -> PathBuf {
    arg.cloned().unwrap_or_else(|| {
        deliver::spool_dir(
            policy
                .and_then(|p| p.pointer("/spool/path"))
                .and_then(Value::as_str),
        )
    })
}

/// Delivers one spooled bundle to the first destination that takes it,
/// with custody events; removes the spool copy only after verification.
/// Returns the destination path when delivered.
fn forward(
    root: &Path,
    who: &Actor,
    rs: &RuleSet,
    id: &str,
    zip: &Path,
    sha: &str,
    dests: &[Destination],
) -> anyhow::Result<Option<String>> {
    for d in dests {
        // Never a credential in a record or on the terminal.
        let to = rs.scrub(&d.display());
        custody(
            root,
            who,
            "transfer_attempt",
            json!({"bundle_id": id, "sha256": sha, "from": zip.display().to_string(), "to": to}),
        )?;
        match deliver::deliver(zip, sha, d) {
            Ok(at) => {
                custody(
                    root,
                    who,
                    "transfer_ok",
                    json!({"bundle_id": id, "sha256": sha, "to": to}),
                )?;
                custody(
                    root,
                    who,
                    "remote_verify_ok",
                    json!({"bundle_id": id, "sha256": sha, "at": rs.scrub(&at)}),
                )?;
                deliver::remove_from_spool(zip).with_context(|| {
                    format!(
                        "delivered and verified, but the spool copy {} could not be removed",
                        zip.display()
                    )
                })?;
                custody(
                    root,
                    who,
                    "spool_removed",
                    json!({"bundle_id": id, "sha256": sha, "path": zip.display().to_string()}),
                )?;
                // The operator gets the real path; records get the scrubbed one.
                return Ok(Some(at));
            }
            Err(e) => {
                let e = rs.scrub(&deliver::strip_credentials(&e));
                custody(
                    root,
                    who,
                    "transfer_failed",
                    json!({"bundle_id": id, "sha256": sha, "to": to, "error": e}),
                )?;
                note(&format!("warning: delivery to {to} failed: {e}"));
            }
        }
    }
    Ok(None)
}

pub fn run(c: &EvidenceCommand) -> anyhow::Result<u8> {
    match c {
        EvidenceCommand::Collect {
            common,
            incident,
            runbook,
            includes,
            commands,
            dest,
            spool: spool_arg,
            clock_reference,
        } => collect(
            common,
            incident,
            runbook.as_deref(),
            includes,
            commands,
            dest,
            spool_arg.as_ref(),
            clock_reference.as_deref(),
        ),
        EvidenceCommand::Verify {
            common,
            bundle: path,
            pubkey,
        } => {
            let root = super::resolve_root(&common.root).ok();
            let pol = match root.as_deref() {
                Some(r) => policy(r)?,
                None => None,
            };
            let rs = rules(pol.as_ref())?;
            let custody_log = root
                .as_ref()
                .map(|r| r.join("ledger").join("custody.jsonl"))
                .filter(|p| p.is_file());
            let r = opsbook_evidence::verify::verify(
                path,
                pubkey.as_deref(),
                custody_log.as_deref(),
                &rs,
            )
            .with_context(|| format!("cannot read `{}`", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = match common.format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(
                        &json!({"ok": r.ok(), "report": r, "powershell": opsbook_evidence::verify::powershell_one_liners(&name)}),
                    )? + "\n"
                }
                _ => {
                    let mut s = String::new();
                    for ch in &r.checks {
                        let _ = writeln!(
                            s,
                            "{} {:<18} {}",
                            match (ch.ok, ch.warning) {
                                (false, _) => "FAIL",
                                (true, true) => "WARN",
                                (true, false) => "ok  ",
                            },
                            ch.name,
                            ch.detail
                        );
                    }
                    let _ = writeln!(
                        s,
                        "{}: {}\n\nWithout opsbook (PowerShell 5.1):",
                        r.bundle_id.as_deref().unwrap_or(&name),
                        if r.ok() { "valid" } else { "NOT valid" }
                    );
                    for l in opsbook_evidence::verify::powershell_one_liners(&name) {
                        let _ = writeln!(s, "  {l}");
                    }
                    s
                }
            };
            crate::output::emit(&text, None)?;
            Ok(if r.ok() {
                crate::EXIT_OK
            } else {
                crate::EXIT_FINDINGS
            })
        }
        EvidenceCommand::Flush {
            common,
            dest,
            spool: spool_arg,
        } => {
            let root = super::resolve_root(&common.root)?;
            let who = Actor::current(common.actor.clone());
            let pol = policy(&root)?;
            let rs = rules(pol.as_ref())?;
            let dir = spool(spool_arg.as_ref(), pol.as_ref());
            let dests = destinations(dest, pol.as_ref());
            if dests.is_empty() {
                bail!(
                    "no destination: give --dest DIR or configure destinations in policy/evidence.yaml"
                );
            }
            let waiting = deliver::spooled(&dir);
            let mut delivered = Vec::new();
            let mut left = Vec::new();
            for (id, zip, sha) in &waiting {
                match forward(&root, &who, &rs, id, zip, sha, &dests)? {
                    Some(at) => delivered.push(json!({"bundle_id": id, "sha256": sha, "at": at})),
                    None => left.push(json!({"bundle_id": id, "sha256": sha})),
                }
            }
            let text = match common.format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(
                        &json!({"spool": dir.display().to_string(), "delivered": delivered, "waiting": left}),
                    )? + "\n"
                }
                _ => format!(
                    "{} bundle(s) delivered and verified, {} still waiting in {}\n",
                    delivered.len(),
                    left.len(),
                    dir.display()
                ),
            };
            crate::output::emit(&text, None)?;
            Ok(if left.is_empty() {
                crate::EXIT_OK
            } else {
                crate::EXIT_FINDINGS
            })
        }
        EvidenceCommand::Scan { common, paths } => scan(common, paths),
        EvidenceCommand::Prune {
            common,
            dest,
            as_of,
            dry_run,
        } => prune(common, dest, as_of.as_deref(), *dry_run),
        EvidenceCommand::Hold {
            common,
            target,
            reason,
            release,
        } => {
            let root = super::resolve_root(&common.root)?;
            let who = Actor::current(common.actor.clone());
            if reason.trim().is_empty() {
                bail!("--reason is empty: say why (legal hold, dispute, audit)");
            }
            let rs = rules(policy(&root)?.as_ref())?;
            // The target must exist: a sealed bundle or an incident.
            let sealed = ledger::read(&root.join("ledger").join("custody.jsonl"))?
                .iter()
                .any(|e| {
                    e.kind == "sealed"
                        && e.data.get("bundle_id").and_then(Value::as_str) == Some(target.as_str())
                });
            let store = super::incident::store(&root)?;
            if !sealed && store.resolve(target).is_err() {
                bail!(
                    "`{target}` is neither a bundle sealed here (custody ledger) nor an incident"
                );
            }
            let held = holds(&root)?.contains(target.as_str());
            if *release && !held {
                note(&format!("refused: `{target}` is not under hold"));
                return Ok(crate::EXIT_FINDINGS);
            }
            if !*release && held {
                note(&format!("`{target}` is already under hold"));
                return Ok(crate::EXIT_OK);
            }
            let kind = if *release {
                "hold_released"
            } else {
                "hold_placed"
            };
            let ev = custody(
                &root,
                &who,
                kind,
                json!({"target": target, "reason": rs.scrub(reason)}),
            )?;
            super::incident::print_events(
                common.format,
                &[ev],
                &format!(
                    "{target}: hold {}\n",
                    if *release {
                        "released"
                    } else {
                        "placed: never pruned until released"
                    }
                ),
            )
        }
        EvidenceCommand::Keygen { out } => {
            let dir = match out {
                Some(d) => d.clone(),
                None => {
                    let base = std::env::var_os("APPDATA")
                        .or_else(|| std::env::var_os("XDG_CONFIG_HOME"))
                        .map(PathBuf::from)
                        .or_else(|| {
                            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config"))
                        })
                        .context("no APPDATA/XDG_CONFIG_HOME/HOME: pass --out DIR")?;
                    base.join("opsbook")
                }
            };
            let (sk, pk) = bundle::keygen(&dir)?;
            crate::output::emit(
                &format!(
                    "secret key: {}\npublic key: {}\nSet OPSBOOK_EVIDENCE_SIGNING_KEY to the secret key's path on the collecting host (PowerShell: $env:OPSBOOK_EVIDENCE_SIGNING_KEY = '{}'); give the public key to whoever verifies bundles. Never put the secret key in the SSOT.\n",
                    sk.display(),
                    pk.display(),
                    sk.display()
                ),
                None,
            )?;
            Ok(crate::EXIT_OK)
        }
    }
}

/// What a runbook's `required_evidence` asks for (each item described) and
/// the sources opsbook can collect for it: structured `path` (file or glob)
/// and `command` items, and paths named in free text that exist here.
/// Required files that are missing are listed as the third value.
fn required_sources(
    root: &Path,
    rb: &str,
) -> anyhow::Result<(Vec<String>, Vec<Source>, Vec<String>)> {
    // The full load: a metadata-only load drops the front matter's values.
    let ssot = opsbook_core::ssot::Ssot::load(root)?;
    let Some(r) = ssot
        .runbooks
        .iter()
        .find(|r| r.meta.id.as_deref() == Some(rb))
    else {
        bail!("runbook {rb} is not in this SSOT");
    };
    let f = ssot.runbook_file(r);
    let items = f
        .value()
        .map(opsbook_core::required::items)
        .unwrap_or_default();
    let re = regex::Regex::new(r#"(?:[A-Za-z]:\\|\\\\|/)[^\s"'(),]+"#)?;
    let mut sources = Vec::new();
    let mut missing = Vec::new();
    for i in &items {
        if i.command.is_some() && i.path.is_some() {
            note(&format!(
                "warning: {rb}: the item `{}` has both path and command (the runbook contract allows one): only the command is run; `opsbook gate` reports it",
                i.what
            ));
        }
        if let Some(c) = &i.command {
            sources.push(Source::Command(i.name.clone(), c.clone()));
        } else if let Some(p) = &i.path {
            let found = bundle::expand(p)?;
            if found.is_empty() {
                missing.push(i.describe());
            }
            sources.extend(found.into_iter().map(Source::File));
        } else {
            for m in re.find_iter(&i.what) {
                let p = PathBuf::from(m.as_str().trim_end_matches(['.', ';']));
                if p.is_file() {
                    sources.push(Source::File(p));
                }
            }
        }
    }
    Ok((
        items
            .iter()
            .map(opsbook_core::required::EvidenceItem::describe)
            .collect(),
        sources,
        missing,
    ))
}

#[allow(clippy::too_many_arguments)]
fn collect(
    common: &SafeCommon,
    incident: &str,
    runbook: Option<&str>,
    includes: &[String],
    commands: &[String],
    dest: &[String],
    spool_arg: Option<&PathBuf>,
    clock_reference: Option<&str>,
) -> anyhow::Result<u8> {
    let root = super::resolve_root(&common.root)?;
    let who = Actor::current(common.actor.clone());
    let pol = policy(&root)?;
    let rs = rules(pol.as_ref())?;
    let limits = Limits::from_policy(pol.as_ref());
    let store = super::incident::store(&root)?;
    let id = store.resolve(incident)?;
    let inc = store.load(&id)?;
    let mut sources = Vec::new();
    for c in commands {
        let Some((name, line)) = c.split_once('=') else {
            bail!("--cmd `{c}`: expected NAME=COMMAND, e.g. procs=\"Get-Process\"");
        };
        if name.trim().is_empty() || line.trim().is_empty() {
            bail!("--cmd `{c}`: NAME and COMMAND must not be empty");
        }
        sources.push(Source::Command(name.trim().to_string(), line.to_string()));
    }
    for i in includes {
        let found = bundle::expand(i)?;
        if found.is_empty() {
            note(&format!("warning: `{i}` matches no file"));
        }
        sources.extend(found.into_iter().map(Source::File));
    }
    let mut required = Vec::new();
    let mut missing = Vec::new();
    if let Some(rb) = runbook {
        let (items, found, gaps) = required_sources(&root, rb)?;
        required = items;
        missing = gaps;
        for m in &missing {
            note(&format!("warning: {rb} asks for {m}: nothing there"));
        }
        for src in found {
            let dup = sources.iter().any(|s| match (s, &src) {
                (Source::File(a), Source::File(b)) => a == b,
                (Source::Command(a, _), Source::Command(b, _)) => a == b,
                _ => false,
            });
            if !dup {
                sources.push(src);
            }
        }
    }
    if sources.is_empty() {
        if required.is_empty() {
            bail!(
                "nothing to collect: give --include PATH|GLOB|DIR, --cmd NAME=COMMAND or --runbook RB"
            );
        }
        bail!(
            "nothing to collect: none of the files named by {}'s required evidence exists here. It asks for:\n{}\nCollect them with --include PATH|GLOB|DIR and --cmd NAME=COMMAND",
            runbook.unwrap_or_default(),
            required
                .iter()
                .map(|r| format!("  - {r}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let spool_dir = spool(spool_arg, pol.as_ref());
    let max_spool = pol
        .as_ref()
        .and_then(|p| p.pointer("/spool/max_bytes"))
        .and_then(Value::as_u64)
        .unwrap_or(10 << 30);
    let used = deliver::spool_bytes(&spool_dir);
    if used + limits.max_bundle_bytes / 4 > max_spool {
        note(&format!(
            "refused: the spool {} holds {used} bytes of undelivered bundles (limit {max_spool}); new collections are refused rather than unsent bundles evicted: run `opsbook evidence flush`",
            spool_dir.display()
        ));
        return Ok(crate::EXIT_FINDINGS);
    }
    let clock = clock_check(clock_reference, pol.as_ref());
    if clock.reference != "none"
        && let Some(e) = &clock.error
    {
        // In a clock incident the operator must not believe it was checked.
        note(&format!(
            "warning: the clock offset was NOT measured against {}: {e} (recorded in the manifest; `--clock-reference none` to skip, or name a reachable NTP server)",
            clock.reference
        ));
    }
    if let Some(ms) = clock.offset_ms.filter(|ms| ms.abs() >= 1000) {
        note(&format!(
            "warning: this host's clock is {} by {} ms against {} (recorded in the manifest); check `w32tm /query /status`",
            if ms > 0 { "behind" } else { "ahead" },
            ms.abs(),
            clock.reference
        ));
    }
    let now = opsbook_core::clock::now();
    let offset = jiff::tz::TimeZone::system().to_offset(now).seconds();
    let req = Request {
        incident: id.clone(),
        runbook: runbook.map(str::to_string),
        sources: sources.clone(),
        host: who.host.clone(),
        collector: json!({"user": who.user, "name": who.name}),
        now,
        utc_offset_seconds: offset,
        clock,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        taken_ids: sealed_ids(&root),
        missing: missing
            .iter()
            .map(|m| bundle::Excluded {
                source: rs.scrub(m),
                reason: format!(
                    "asked for by {}: nothing there",
                    runbook.unwrap_or("the runbook")
                ),
            })
            .collect(),
        source_key: bundle::SourceKey::from_policy(pol.as_ref())?,
    };
    custody(
        &root,
        &who,
        "collect_started",
        json!({"incident": id, "runbook": runbook, "sources": sources.iter().map(|s| rs.scrub(&match s { Source::Command(n, _) => format!("command:{n}"), Source::File(p) => p.display().to_string() })).collect::<Vec<_>>(), "required_evidence": required.iter().map(|r| rs.scrub(r)).collect::<Vec<_>>(), "rules_version": rs.fingerprint()}),
    )?;
    let bar = if std::io::stderr().is_terminal() && common.format != ListFormat::Json {
        let b = indicatif::ProgressBar::new(sources.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let mut progress = |done: usize, _total: usize, what: &str| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
            b.set_message(what.to_string());
        }
    };
    let sealed = match bundle::collect(&req, &rs, &limits, &spool_dir, &mut progress) {
        Ok(s) => s,
        Err(EvidenceError::Refused(m)) => {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            custody(
                &root,
                &who,
                "collect_refused",
                json!({"incident": id, "why": m}),
            )?;
            note(&format!("refused: no bundle released: {m}"));
            return Ok(crate::EXIT_FINDINGS);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    // A command that failed or timed out is evidence too (its output is in
    // the bundle), but the operator must know it did not do its job.
    let failed_commands: Vec<Value> = sealed
        .files
        .iter()
        .filter_map(|f| {
            let c = f.command.as_ref()?;
            let timed_out = c["timed_out"].as_bool().unwrap_or(false);
            let code = c["exit_code"].as_i64();
            (timed_out || code != Some(0))
                .then(|| json!({"source": f.original, "exit_code": code, "timed_out": timed_out}))
        })
        .collect();
    for c in &failed_commands {
        note(&format!(
            "warning: {} {}: its output is in the bundle, but check it",
            c["source"].as_str().unwrap_or("?"),
            if c["timed_out"] == true {
                format!("was stopped at the {} s timeout", limits.command_seconds)
            } else {
                match c["exit_code"].as_i64() {
                    Some(code) => format!("exited with {code}"),
                    None => "ended without an exit code".to_string(),
                }
            }
        ));
    }
    let mut by_class = std::collections::BTreeMap::new();
    for f in &sealed.files {
        for (k, n) in &f.redactions {
            *by_class.entry(k.clone()).or_insert(0usize) += n;
        }
    }
    custody(
        &root,
        &who,
        "collected",
        json!({"bundle_id": sealed.bundle_id, "files": sealed.files.len(), "excluded": sealed.excluded.len()}),
    )?;
    custody(
        &root,
        &who,
        "redacted",
        json!({"bundle_id": sealed.bundle_id, "redactions": by_class, "rules_version": rs.fingerprint()}),
    )?;
    let sealed_ev = custody(
        &root,
        &who,
        "sealed",
        json!({"bundle_id": sealed.bundle_id, "sha256": sealed.sha256, "size": sealed.size, "manifest_sha256": sealed.manifest_sha256}),
    )?;
    // Sign, pinning the bundle ID and the custody head.
    let key_ref = pol
        .as_ref()
        .and_then(|p| p.pointer("/integrity/signature/key_ref"))
        .and_then(Value::as_str)
        .unwrap_or("env:OPSBOOK_EVIDENCE_SIGNING_KEY");
    let mut signed = false;
    match bundle::key_path(key_ref)? {
        Some(k) => {
            let sig = bundle::sign(&sealed.path, &sealed.bundle_id, &sealed_ev.hash, &k)?;
            let sig_sha = bundle::sha256_hex(&std::fs::read(&sig)?);
            custody(
                &root,
                &who,
                "signed",
                json!({"bundle_id": sealed.bundle_id, "sha256": sealed.sha256, "signature_sha256": sig_sha, "custody_head": sealed_ev.hash}),
            )?;
            signed = true;
        }
        None => {
            custody(
                &root,
                &who,
                "unsigned",
                json!({"bundle_id": sealed.bundle_id, "sha256": sealed.sha256, "why": format!("no signing key ({key_ref} is not set): sealed unsigned (policy on_missing_key)")}),
            )?;
            note(&format!(
                "warning: no signing key ({key_ref}): the bundle is sealed unsigned; create one with `opsbook evidence keygen`"
            ));
        }
    }
    custody(
        &root,
        &who,
        "spooled",
        json!({"bundle_id": sealed.bundle_id, "sha256": sealed.sha256, "path": sealed.path.display().to_string()}),
    )?;
    let dests = destinations(dest, pol.as_ref());
    let delivered = forward(
        &root,
        &who,
        &rs,
        &sealed.bundle_id,
        &sealed.path,
        &sealed.sha256,
        &dests,
    )?;
    let spooled = delivered.is_none();
    let path = delivered
        .clone()
        .unwrap_or_else(|| sealed.path.display().to_string());
    // The incident's timeline gets the bundle reference.
    if !inc.status.is_terminal() {
        store.transact(&id, &who, |_| {
            Ok(vec![(
                "evidence_attached".into(),
                json!({"ref": sealed.bundle_id, "sha256": sealed.sha256, "kind": "bundle", "note": format!("{} file(s), {} redaction(s), {} excluded{}", sealed.files.len(), sealed.redactions, sealed.excluded.len(), if spooled { ", spooled" } else { "" })}),
            )])
        })?;
    }
    let text = match common.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "bundle_id": sealed.bundle_id, "path": path, "sha256": sealed.sha256, "spooled": spooled,
                "signed": signed, "files": sealed.files.len(), "redactions": sealed.redactions,
                "excluded": sealed.excluded, "commands_failed": failed_commands,
            }))? + "\n"
        }
        _ => {
            let mut s = format!(
                "{} sealed: {} file(s), {} redaction(s), {} excluded, {}\n  {}\n  sha256 {}\n",
                sealed.bundle_id,
                sealed.files.len(),
                sealed.redactions,
                sealed.excluded.len(),
                if signed { "signed" } else { "UNSIGNED" },
                path,
                sealed.sha256
            );
            for x in &sealed.excluded {
                let _ = writeln!(s, "  excluded {}: {}", x.source, x.reason);
            }
            if spooled {
                let _ = writeln!(
                    s,
                    "  not delivered: kept in the spool; `opsbook evidence flush` (or `--dest DIR|s3://BUCKET/PREFIX`) delivers it later"
                );
            }
            s
        }
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}

fn scan(common: &SafeCommon, paths: &[String]) -> anyhow::Result<u8> {
    use rayon::prelude::*;
    let pol = match super::resolve_root(&common.root) {
        Ok(root) => policy(&root)?,
        Err(_) => None,
    };
    let rs = rules(pol.as_ref())?;
    let limits = Limits::from_policy(pol.as_ref());
    let mut files = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            files.extend(
                walkdir::WalkDir::new(path)
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_file())
                    .map(walkdir::DirEntry::into_path),
            );
        } else {
            let found = bundle::expand(p)?;
            // A typo must not read as "clean".
            if found.is_empty()
                || (found.len() == 1 && std::fs::symlink_metadata(&found[0]).is_err())
            {
                bail!("`{p}` matches no file: nothing was scanned");
            }
            files.extend(found);
        }
    }
    files.sort();
    let archive = opsbook_evidence::redact::ArchiveLimits::default();
    let results: Vec<(
        String,
        Result<Vec<opsbook_evidence::redact::Hit>, String>,
        u64,
    )> = files
        .par_iter()
        .map(|f| {
            // A file name can carry a secret too.
            let name = rs.scrub(&f.display().to_string());
            let n = std::fs::metadata(f).map_or(0, |m| m.len());
            if n > limits.max_file_bytes {
                // Streamed in pieces cut at line ends: bounded memory, line
                // numbers of the whole file.
                let r = std::fs::File::open(f)
                    .map_err(|e| format!("cannot be read: {e}"))
                    .and_then(|file| rs.scan_stream(std::io::BufReader::new(file), 8 << 20, None));
                return (name, r, n);
            }
            let bytes = match std::fs::read(f) {
                Ok(b) => b,
                Err(e) => return (name, Err(format!("cannot be read: {e}")), 0),
            };
            (name, rs.scan_file(&bytes, &archive, None), n)
        })
        .collect();
    let found: usize = results
        .iter()
        .map(|r| r.1.as_ref().map_or(0, Vec::len))
        .sum();
    let unscanned = results.iter().filter(|r| r.1.is_err()).count();
    let bytes: u64 = results.iter().map(|r| r.2).sum();
    let text = match common.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "files": results.len(), "bytes": bytes, "findings": found, "unscannable": unscanned,
                "results": results.iter().map(|(f, r, _)| match r {
                    Ok(h) => json!({"file": f, "hits": h}),
                    Err(e) => json!({"file": f, "unscannable": e}),
                }).collect::<Vec<_>>(),
            }))? + "\n"
        }
        _ => {
            let mut s = String::new();
            for (f, r, _) in &results {
                match r {
                    Ok(h) => {
                        for x in h {
                            let _ = writeln!(
                                s,
                                "{f}:{}:{}: {} ({} bytes, {} view){}",
                                x.line,
                                x.column,
                                x.rule,
                                x.bytes,
                                x.view,
                                x.member
                                    .as_ref()
                                    .map(|m| format!(" in member {}", rs.scrub(m)))
                                    .unwrap_or_default()
                            );
                        }
                    }
                    Err(e) => {
                        let _ = writeln!(s, "{f}: not scanned: {e}");
                    }
                }
            }
            let with = results
                .iter()
                .filter(|r| r.1.as_ref().is_ok_and(|h| !h.is_empty()))
                .count();
            let _ = writeln!(
                s,
                "{found} secret(s) in {with} of {} file(s) scanned ({bytes} bytes){}",
                results.len(),
                if unscanned > 0 {
                    format!("; {unscanned} file(s) could NOT be scanned (not proven clean)")
                } else {
                    String::new()
                }
            );
            s
        }
    };
    crate::output::emit(&text, None)?;
    // Fail closed: a file that could not be scanned is not proven clean.
    Ok(if found == 0 && unscanned == 0 {
        crate::EXIT_OK
    } else {
        crate::EXIT_FINDINGS
    })
}

/// Targets under hold, from the custody ledger.
fn holds(root: &Path) -> anyhow::Result<std::collections::BTreeSet<String>> {
    let mut h = std::collections::BTreeSet::new();
    for e in ledger::read(&root.join("ledger").join("custody.jsonl"))? {
        let t = e
            .data
            .get("target")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match e.kind.as_str() {
            "hold_placed" => {
                h.insert(t);
            }
            "hold_released" => {
                h.remove(&t);
            }
            _ => {}
        }
    }
    Ok(h)
}

fn prune(
    common: &SafeCommon,
    dest: &Path,
    as_of: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<u8> {
    use std::io::Read;
    let root = super::resolve_root(&common.root)?;
    let who = Actor::current(common.actor.clone());
    let pol = policy(&root)?;
    let as_of = super::parse_as_of(as_of)?;
    let held = holds(&root)?;
    let store = super::incident::store(&root)?;
    let days = |sev: &str| {
        pol.as_ref()
            .and_then(|p| p.pointer(&format!("/retention/by_severity/{sev}")))
            .and_then(Value::as_i64)
    };
    let unlinked = pol
        .as_ref()
        .and_then(|p| p.pointer("/retention/unlinked_days"))
        .and_then(Value::as_i64)
        .unwrap_or(180);
    let mut rows = Vec::new();
    let mut zips: Vec<PathBuf> = std::fs::read_dir(dest)
        .with_context(|| format!("cannot read `{}`", dest.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    zips.sort();
    let mut deleted = 0;
    for z in zips {
        let id = z
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let manifest: Option<Value> = std::fs::File::open(&z)
            .ok()
            .and_then(|f| zip::ZipArchive::new(f).ok())
            .and_then(|mut a| {
                let mut s = String::new();
                a.by_name("manifest.json")
                    .ok()?
                    .read_to_string(&mut s)
                    .ok()?;
                serde_json::from_str(&s).ok()
            });
        let Some(m) = manifest else {
            rows.push(json!({"bundle": id, "action": "keep", "why": "no readable manifest: kept"}));
            continue;
        };
        let inc_id = m
            .get("incident")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let created = m
            .get("created_utc")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if held.contains(&id) || held.contains(&inc_id) {
            rows.push(json!({"bundle": id, "action": "keep", "why": "under hold"}));
            continue;
        }
        let (base, keep_days, why) = match store.load(&inc_id) {
            Ok(inc) if !inc.status.is_terminal() => {
                rows.push(json!({"bundle": id, "action": "keep", "why": format!("incident {inc_id} is {}", inc.status)}));
                continue;
            }
            Ok(inc) => (
                inc.ended_at.clone().unwrap_or(created.clone()),
                days(&inc.severity).unwrap_or(365),
                format!("{} incident {inc_id} ended", inc.severity),
            ),
            Err(_) => (
                created.clone(),
                unlinked,
                "not tied to an incident here".to_string(),
            ),
        };
        let Some(base_date) = base
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
        else {
            rows.push(json!({"bundle": id, "action": "keep", "why": "no date to judge by: kept"}));
            continue;
        };
        // A retention the calendar cannot hold (negative, absurd) keeps the
        // bundle: a bad policy value must never delete evidence.
        let Some(expires) = jiff::Span::new()
            .try_days(keep_days)
            .ok()
            .filter(|_| keep_days >= 0)
            .and_then(|span| base_date.checked_add(span).ok())
        else {
            rows.push(json!({"bundle": id, "action": "keep", "why": format!("retention of {keep_days} days is not usable: kept")}));
            continue;
        };
        if as_of <= expires {
            rows.push(json!({"bundle": id, "action": "keep", "why": format!("{why}; kept until {expires}")}));
            continue;
        }
        if !dry_run {
            let sha = bundle::sha256_hex(&std::fs::read(&z)?);
            for f in deliver::bundle_files(&z).into_iter().rev() {
                std::fs::remove_file(&f)
                    .with_context(|| format!("cannot delete `{}`", f.display()))?;
            }
            custody(
                &root,
                &who,
                "retention_delete",
                json!({"bundle_id": id, "sha256": sha, "at": deliver::strip_credentials(&dest.display().to_string()), "why": format!("{why}; retention ended {expires}")}),
            )?;
            deleted += 1;
        }
        rows.push(json!({"bundle": id, "action": if dry_run { "would delete" } else { "deleted" }, "why": format!("{why}; retention ended {expires}")}));
    }
    let text = match common.format {
        ListFormat::Json => {
            serde_json::to_string_pretty(
                &json!({"as_of": as_of.to_string(), "bundles": rows, "deleted": deleted}),
            )? + "\n"
        }
        _ => {
            let mut s = String::new();
            for r in &rows {
                let _ = writeln!(
                    s,
                    "{:<14} {}  {}",
                    r["action"].as_str().unwrap_or(""),
                    r["bundle"].as_str().unwrap_or(""),
                    r["why"].as_str().unwrap_or("")
                );
            }
            let _ = writeln!(
                s,
                "{deleted} bundle(s) deleted{}",
                if dry_run { " (dry run)" } else { "" }
            );
            s
        }
    };
    crate::output::emit(&text, None)?;
    Ok(crate::EXIT_OK)
}
