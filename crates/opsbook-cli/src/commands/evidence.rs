//! `opsbook evidence …` (D-EVD-*): parse → one operation of
//! `opsbook_ops::evidence` → render → exit code.

use std::fmt::Write as _;
use std::io::IsTerminal;

use opsbook_ops::evidence::{self as ops, CollectRequest, FileScan};

use super::{context, emit, op, resolve_root};
use crate::cli::{EvidenceCommand, ListFormat};
use crate::exit::{self, Outcome};

#[allow(clippy::too_many_lines)]
pub fn run(c: &EvidenceCommand) -> Outcome {
    match c {
        EvidenceCommand::Collect {
            common,
            incident,
            runbook,
            includes,
            commands,
            dest,
            spool,
            clock_reference,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let bar = if std::io::stderr().is_terminal() && common.format != ListFormat::Json {
                let b = indicatif::ProgressBar::new(0);
                b.set_style(
                    indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                Some(b)
            } else {
                None
            };
            let mut progress = |done: usize, total: usize, what: &str| {
                if let Some(b) = &bar {
                    b.set_length(total as u64);
                    b.set_position(done as u64);
                    b.set_message(what.to_string());
                }
            };
            let r = op(&cx, |cx| {
                ops::collect(
                    cx,
                    &CollectRequest {
                        incident: incident.clone(),
                        runbook: runbook.clone(),
                        includes: includes.clone(),
                        commands: commands.clone(),
                        dest: dest.clone(),
                        spool: spool.clone(),
                        clock_reference: clock_reference.clone(),
                        tool_version: env!("CARGO_PKG_VERSION").to_string(),
                    },
                    &mut progress,
                )
            });
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let s = r?;
            for f in &s.commands_failed {
                super::say(&format!(
                    "warning: {} {}: its output is in the bundle, but check it",
                    f.source,
                    if f.timed_out {
                        format!("was stopped at the {} s timeout", s.command_seconds)
                    } else {
                        match f.exit_code {
                            Some(code) => format!("exited with {code}"),
                            None => "ended without an exit code".to_string(),
                        }
                    }
                ));
            }
            let mut text = format!(
                "{} sealed: {} file(s), {} redaction(s), {} excluded, {}\n  {}\n  sha256 {}\n",
                s.bundle_id,
                s.files,
                s.redactions,
                s.excluded.len(),
                if s.signed { "signed" } else { "UNSIGNED" },
                s.path,
                s.sha256
            );
            for x in &s.excluded {
                let _ = writeln!(text, "  excluded {}: {}", x.source, x.reason);
            }
            for t in &s.truncated {
                let _ = writeln!(
                    text,
                    "  TRUNCATED {}: {} bytes, over the limit of {} bytes (limits.max_file_bytes): head + tail kept ({} bytes)",
                    t.source, t.source_bytes, t.max_file_bytes, t.kept_bytes
                );
            }
            for x in s.not_collected.iter().filter(|x| {
                !s.excluded
                    .iter()
                    .any(|e| e.source == x.source && e.reason == x.reason)
            }) {
                let _ = writeln!(text, "  not collected {}: {}", x.source, x.reason);
            }
            if s.spooled {
                let _ = writeln!(
                    text,
                    "  not delivered: kept in the spool; `opsbook evidence flush` (or `--dest DIR|s3://BUCKET/PREFIX`) delivers it later"
                );
            }
            emit(common.format, &s, &text)?;
            Ok(exit::OK)
        }
        EvidenceCommand::Verify {
            common,
            bundle,
            pubkey,
        } => {
            // Inside an SSOT the custody ledger is checked too.
            let cx = resolve_root(&common.root)
                .ok()
                .map(|_| context(&common.root, common.actor.as_deref()))
                .transpose()?;
            let r = match &cx {
                Some(cx) => op(cx, |cx| ops::verify(Some(cx), bundle, pubkey.as_deref()))?,
                None => ops::verify(None, bundle, pubkey.as_deref())?,
            };
            let name = bundle
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut s = String::new();
            for ch in &r.report.checks {
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
                r.report.bundle_id.as_deref().unwrap_or(&name),
                if r.ok { "valid" } else { "NOT valid" }
            );
            for l in &r.powershell {
                let _ = writeln!(s, "  {l}");
            }
            emit(common.format, &r, &s)?;
            Ok(super::ok_or_findings(r.ok))
        }
        EvidenceCommand::Flush {
            common,
            dest,
            spool,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let f = op(&cx, |cx| ops::flush(cx, dest, spool.as_deref()))?;
            let mut text = format!(
                "{} bundle(s) delivered and verified, {} still waiting in {}\n",
                f.delivered.len(),
                f.waiting.len(),
                f.spool
            );
            if !f.skipped.is_empty() {
                let _ = writeln!(
                    text,
                    "{} bundle(s) not this SSOT's left in place (neither delivered nor recorded here):",
                    f.skipped.len()
                );
                for k in &f.skipped {
                    let _ = writeln!(text, "  {} ({}): {}", k.bundle_id, k.path, k.why);
                }
            }
            emit(common.format, &f, &text)?;
            Ok(super::ok_or_findings(f.waiting.is_empty()))
        }
        EvidenceCommand::Scan { common, paths } => {
            // The SSOT's policy when run inside one; built-in rules otherwise.
            let cx = resolve_root(&common.root)
                .ok()
                .map(|_| context(&common.root, common.actor.as_deref()))
                .transpose()?;
            let r = match &cx {
                Some(cx) => op(cx, |cx| ops::scan(Some(cx), paths))?,
                None => ops::scan(None, paths)?,
            };
            let mut s = String::new();
            let mut with = 0;
            for f in &r.results {
                match f {
                    FileScan::Scanned { file, hits } => {
                        with += usize::from(!hits.is_empty());
                        for x in hits {
                            let _ = writeln!(
                                s,
                                "{file}:{}:{}: {} ({} bytes, {} view){}",
                                x.line,
                                x.column,
                                x.rule,
                                x.bytes,
                                x.view,
                                x.member
                                    .as_ref()
                                    .map(|m| format!(" in member {m}"))
                                    .unwrap_or_default()
                            );
                        }
                    }
                    FileScan::Unscannable { file, unscannable } => {
                        let _ = writeln!(s, "{file}: not scanned: {unscannable}");
                    }
                }
            }
            let _ = writeln!(
                s,
                "{} secret(s) in {with} of {} file(s) scanned ({} bytes){}",
                r.findings,
                r.files,
                r.bytes,
                if r.unscannable > 0 {
                    format!(
                        "; {} file(s) could NOT be scanned (not proven clean)",
                        r.unscannable
                    )
                } else {
                    String::new()
                }
            );
            emit(common.format, &r, &s)?;
            // Fail closed: a file that could not be scanned is not proven clean.
            Ok(super::ok_or_findings(r.clean()))
        }
        EvidenceCommand::Prune {
            common,
            dest,
            as_of,
            dry_run,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let as_of = super::parse_as_of(as_of.as_deref())?;
            let p = op(&cx, |cx| ops::prune(cx, dest, as_of, *dry_run))?;
            let mut s = String::new();
            for r in &p.bundles {
                let _ = writeln!(s, "{:<14} {}  {}", r.action, r.bundle, r.why);
            }
            let _ = writeln!(
                s,
                "{} bundle(s) deleted{}",
                p.deleted,
                if p.dry_run { " (dry run)" } else { "" }
            );
            emit(common.format, &p, &s)?;
            Ok(exit::OK)
        }
        EvidenceCommand::Hold {
            common,
            target,
            reason,
            release,
        } => {
            let cx = context(&common.root, common.actor.as_deref())?;
            let h = op(&cx, |cx| ops::hold(cx, target, reason, *release))?;
            if h.already {
                return Ok(exit::OK);
            }
            emit(
                common.format,
                &h,
                &format!(
                    "{}: hold {}\n",
                    h.target,
                    if h.released {
                        "released"
                    } else {
                        "placed: never pruned until released"
                    }
                ),
            )?;
            Ok(exit::OK)
        }
        EvidenceCommand::Keygen { out } => {
            let dir = match out {
                Some(d) => d.clone(),
                None => ops::default_key_dir()?,
            };
            let k = ops::keygen(&dir)?;
            crate::output::emit(
                &format!(
                    "secret key: {}\npublic key: {}\nSet OPSBOOK_EVIDENCE_SIGNING_KEY to the secret key's path on the collecting host (PowerShell: $env:OPSBOOK_EVIDENCE_SIGNING_KEY = '{}'); give the public key to whoever verifies bundles. Never put the secret key in the SSOT.\n",
                    k.secret, k.public, k.secret
                ),
                None,
            )?;
            Ok(exit::OK)
        }
    }
}
