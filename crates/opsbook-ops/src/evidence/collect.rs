//! Collecting evidence for an incident (D-EVD-BUNDLE): what a runbook's
//! `required_evidence` asks for, then redact (fail closed), seal, sign,
//! spool and deliver one bundle, with a custody event at every step and
//! the reference on the incident's timeline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use opsbook_core::event::{CustodyEvent, IncidentEvent, custody as cev, incident as iev};
use opsbook_evidence::bundle::{self, EvidenceError, Excluded, Limits, Request, Source};
use opsbook_evidence::deliver;
use serde::Serialize;
use serde_json::json;

use super::delivery::forward;
use super::{SsotIdentity, clock_check, custody, destinations, policy, rules, sealed_ids, spool};
use crate::{Context, OpsError};

/// What a runbook's `required_evidence` asks for, and what of it opsbook
/// can collect.
struct Required {
    /// Every item, described.
    items: Vec<String>,
    /// What opsbook collects for them.
    sources: Vec<Source>,
    /// Files asked for (`path`) that are not there.
    missing: Vec<String>,
    /// Items described in prose that name nothing here to collect: only a
    /// person can collect them.
    by_hand: Vec<Excluded>,
}

/// What a runbook's `required_evidence` asks for (each described), the
/// sources opsbook can collect for it (structured `path` and `command`
/// items, and paths named in free text that exist here), the required
/// files that are missing and what only a person can collect.
fn required_sources(ctx: &Context, rb: &str) -> Result<Required, OpsError> {
    // The full load: a metadata-only load drops the front matter's values.
    let ssot = opsbook_core::ssot::Ssot::load(ctx.layout.root())?;
    let Some(r) = ssot
        .runbooks
        .iter()
        .find(|r| r.meta.id.as_deref() == Some(rb))
    else {
        return Err(OpsError::invalid(format!(
            "runbook {rb} is not in this SSOT"
        )));
    };
    let f = ssot.runbook_file(r);
    let items = f
        .value()
        .map(opsbook_core::required::items)
        .unwrap_or_default();
    let re = regex::Regex::new(r#"(?:[A-Za-z]:\\|\\\\|/)[^\s"'(),]+"#)
        .map_err(|e| OpsError::Other(e.to_string()))?;
    let mut sources = Vec::new();
    let mut missing = Vec::new();
    let mut by_hand = Vec::new();
    for i in &items {
        if i.command.is_some() && i.path.is_some() {
            ctx.warn(format!(
                "warning: {rb}: the item `{}` has both path and command (the runbook contract allows one): only the command is run; `opsbook gate` reports it",
                i.what
            ));
        }
        if let Some(c) = &i.command {
            sources.push(Source::Command(i.name.clone(), c.clone()));
        } else if let Some(p) = &i.path {
            // A path that is not there is missing, not a file to try.
            let mut found = bundle::expand(p)?;
            found.retain(|f| std::fs::symlink_metadata(f).is_ok());
            if found.is_empty() {
                missing.push(i.describe());
            }
            sources.extend(found.into_iter().map(Source::File));
        } else {
            let before = sources.len();
            for m in re.find_iter(&i.what) {
                let p = PathBuf::from(m.as_str().trim_end_matches(['.', ';']));
                if p.is_file() {
                    sources.push(Source::File(p));
                }
            }
            if sources.len() == before {
                by_hand.push(Excluded {
                    source: i.what.clone(),
                    reason: format!(
                        "asked for by {rb} in prose only (no `command` or `path`): collect it by hand and attach it to the incident"
                    ),
                });
            }
        }
    }
    Ok(Required {
        items: items
            .iter()
            .map(opsbook_core::required::EvidenceItem::describe)
            .collect(),
        sources,
        missing,
        by_hand,
    })
}

/// What to collect.
#[derive(Debug, Clone, Default)]
pub struct CollectRequest {
    /// The incident.
    pub incident: String,
    /// A runbook whose `required_evidence` to follow.
    pub runbook: Option<String>,
    /// Files or globs.
    pub includes: Vec<String>,
    /// Commands, `NAME=COMMAND`.
    pub commands: Vec<String>,
    /// Destinations (default: the policy's).
    pub dest: Vec<String>,
    /// The spool (default: `OPSBOOK_SPOOL`, else this SSOT's own folder
    /// under the policy's or the platform's spool: [`spool()`]).
    pub spool: Option<PathBuf>,
    /// The SNTP server to compare the clock with (`none` skips it).
    pub clock_reference: Option<String>,
    /// The tool version recorded in the manifest.
    pub tool_version: String,
}

/// A command whose output went in, but that did not do its job.
#[derive(Debug, Clone, Serialize)]
pub struct FailedCommand {
    /// `command:NAME`.
    pub source: String,
    /// Its exit code.
    pub exit_code: Option<i64>,
    /// Stopped at its timeout.
    pub timed_out: bool,
}

/// What [`collect`] sealed.
#[derive(Debug, Clone, Serialize)]
pub struct Collected {
    /// `EVB-…`.
    pub bundle_id: String,
    /// Where it is now (the destination, or the spool).
    pub path: String,
    /// The ZIP's SHA-256.
    pub sha256: String,
    /// Not delivered: in the spool.
    pub spooled: bool,
    /// Signed.
    pub signed: bool,
    /// Files in it.
    pub files: usize,
    /// Redactions.
    pub redactions: usize,
    /// What was left out, and why.
    pub excluded: Vec<Excluded>,
    /// Commands that failed or timed out.
    pub commands_failed: Vec<FailedCommand>,
    /// What could not be collected, with the reason (as in the manifest's
    /// `not_collected`: excluded items, failed commands, prose-only items).
    pub not_collected: Vec<Excluded>,
    /// Files cut to head + tail (over `limits.max_file_bytes`), with the
    /// original size and the limit (as in the manifest).
    pub truncated: Vec<bundle::Truncated>,
    /// The per-command timeout, seconds.
    #[serde(skip)]
    pub command_seconds: u64,
}

/// Collects, redacts (fail closed), seals, signs, spools and delivers a
/// bundle for an incident, with a custody event at every step; the
/// incident's timeline gets the reference.
///
/// # Errors
/// Nothing to collect, bad `--cmd` (bad input); the spool full, or the
/// sealed bundle not clean (refused: no bundle released); a broken policy,
/// ledger or I/O.
#[allow(clippy::too_many_lines)]
pub fn collect(
    ctx: &Context,
    req: &CollectRequest,
    progress: &mut dyn bundle::Progress,
) -> Result<Collected, OpsError> {
    let pol = policy(ctx)?;
    let rs = rules(pol.as_ref())?;
    let limits = Limits::from_policy(pol.as_ref());
    let store = ctx.store()?;
    let id = store.resolve(&req.incident)?;
    let inc = store.load(&id)?;
    let mut sources = Vec::new();
    for c in &req.commands {
        let Some((name, line)) = c.split_once('=') else {
            return Err(OpsError::invalid(format!(
                "--cmd `{c}`: expected NAME=COMMAND, e.g. procs=\"Get-Process\""
            )));
        };
        if name.trim().is_empty() || line.trim().is_empty() {
            return Err(OpsError::invalid(format!(
                "--cmd `{c}`: NAME and COMMAND must not be empty"
            )));
        }
        sources.push(Source::Command(name.trim().to_string(), line.to_string()));
    }
    for i in &req.includes {
        let found = bundle::expand(i)?;
        if found.is_empty() {
            ctx.warn(format!("warning: `{i}` matches no file"));
        }
        sources.extend(found.into_iter().map(Source::File));
    }
    let runbook = req.runbook.as_deref();
    let mut required = Vec::new();
    let mut missing = Vec::new();
    let mut by_hand = Vec::new();
    if let Some(rb) = runbook {
        let Required {
            items,
            sources: found,
            missing: gaps,
            by_hand: prose,
        } = required_sources(ctx, rb)?;
        required = items;
        missing = gaps;
        by_hand = prose;
        for m in &missing {
            ctx.warn(format!("warning: {rb} asks for {m}: nothing there"));
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
            return Err(OpsError::invalid(
                "nothing to collect: give --include PATH|GLOB|DIR, --cmd NAME=COMMAND or --runbook RB",
            ));
        }
        return Err(OpsError::invalid(format!(
            "nothing to collect: none of the files named by {}'s required evidence exists here. It asks for:\n{}\nCollect them with --include PATH|GLOB|DIR and --cmd NAME=COMMAND",
            runbook.unwrap_or_default(),
            required
                .iter()
                .map(|r| format!("  - {r}"))
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    let spool_dir = spool(ctx, req.spool.as_deref(), pol.as_ref()).dir;
    let max_spool = pol
        .as_ref()
        .and_then(|p| p.spool.max_bytes)
        .unwrap_or(10 << 30);
    let used = deliver::spool_bytes(&spool_dir);
    if used + limits.max_bundle_bytes / 4 > max_spool {
        return Err(OpsError::refused(
            format!(
                "the spool {} holds {used} bytes of undelivered bundles (limit {max_spool}); new collections are refused rather than unsent bundles evicted",
                spool_dir.display()
            ),
            Some(opsbook_core::next::NextStep::FlushEvidence),
        ));
    }
    let clock = clock_check(req.clock_reference.as_deref(), pol.as_ref());
    if clock.reference != "none"
        && let Some(e) = &clock.error
    {
        // In a clock incident the operator must not believe it was checked.
        ctx.warn(format!(
            "warning: the clock offset was NOT measured against {}: {e} (recorded in the manifest; `--clock-reference none` to skip, or name a reachable NTP server)",
            clock.reference
        ));
    }
    if let Some(ms) = clock.offset_ms.filter(|ms| ms.abs() >= 1000) {
        ctx.warn(format!(
            "warning: this host's clock is {} by {} ms against {} (recorded in the manifest); check `w32tm /query /status`",
            if ms > 0 { "behind" } else { "ahead" },
            ms.abs(),
            clock.reference
        ));
    }
    let now = ctx.now();
    let offset = jiff::tz::TimeZone::system().to_offset(now).seconds();
    let who = &ctx.actor;
    let r = Request {
        incident: id.clone(),
        runbook: runbook.map(str::to_string),
        sources: sources.clone(),
        host: who.host.clone(),
        collector: json!({"user": who.user, "name": who.name}),
        now,
        utc_offset_seconds: offset,
        clock,
        tool_version: req.tool_version.clone(),
        taken_ids: sealed_ids(ctx),
        missing: missing
            .iter()
            .map(|m| Excluded {
                source: rs.scrub(m),
                reason: format!(
                    "asked for by {}: nothing there",
                    runbook.unwrap_or("the runbook")
                ),
            })
            .collect(),
        source_key: bundle::SourceKey::from_policy(pol.as_ref())?,
        ssot: Some(SsotIdentity::of(ctx).to_value()),
        by_hand,
    };
    custody(
        ctx,
        CustodyEvent::CollectStarted(cev::CollectStarted {
            incident: id.clone(),
            runbook: runbook.map(str::to_string),
            sources: sources
                .iter()
                .map(|s| {
                    rs.scrub(&match s {
                        Source::Command(n, _) => format!("command:{n}"),
                        Source::File(p) => p.display().to_string(),
                    })
                })
                .collect(),
            required_evidence: required.iter().map(|r| rs.scrub(r)).collect(),
            rules_version: rs.fingerprint().to_string(),
        }),
    )?;
    let sealed = match bundle::collect(&r, &rs, &limits, &spool_dir, progress) {
        Ok(s) => s,
        Err(EvidenceError::Refused(m)) => {
            custody(
                ctx,
                CustodyEvent::CollectRefused(cev::CollectRefused {
                    incident: id.clone(),
                    why: m.clone(),
                }),
            )?;
            return Err(OpsError::refused(format!("no bundle released: {m}"), None));
        }
        Err(e) => return Err(e.into()),
    };
    // A command that failed or timed out is evidence too (its output is in
    // the bundle), but the operator must know it did not do its job.
    let commands_failed: Vec<FailedCommand> = sealed
        .files
        .iter()
        .filter_map(|f| {
            let c = f.command.as_ref()?;
            let timed_out = c["timed_out"].as_bool().unwrap_or(false);
            let code = c["exit_code"].as_i64();
            (timed_out || code != Some(0)).then(|| FailedCommand {
                source: f.original.clone(),
                exit_code: code,
                timed_out,
            })
        })
        .collect();
    let mut by_class = BTreeMap::new();
    for f in &sealed.files {
        for (k, n) in &f.redactions {
            *by_class.entry(k.clone()).or_insert(0usize) += n;
        }
    }
    custody(
        ctx,
        CustodyEvent::Collected(cev::Collected {
            bundle_id: sealed.bundle_id.clone(),
            files: sealed.files.len(),
            excluded: sealed.excluded.len(),
        }),
    )?;
    custody(
        ctx,
        CustodyEvent::Redacted(cev::Redacted {
            bundle_id: sealed.bundle_id.clone(),
            redactions: by_class,
            rules_version: rs.fingerprint().to_string(),
        }),
    )?;
    let sealed_ev = custody(
        ctx,
        CustodyEvent::Sealed(cev::Sealed {
            bundle_id: sealed.bundle_id.clone(),
            sha256: sealed.sha256.clone(),
            size: sealed.size,
            manifest_sha256: sealed.manifest_sha256.clone(),
        }),
    )?;
    // Sign, pinning the bundle ID and the custody head.
    let key_ref = pol
        .as_ref()
        .and_then(|p| p.integrity.signature.key_ref.clone())
        .unwrap_or_else(|| "env:OPSBOOK_EVIDENCE_SIGNING_KEY".into());
    let mut signed = false;
    match bundle::key_path(&key_ref)? {
        Some(k) => {
            let sig = bundle::sign(&sealed.path, &sealed.bundle_id, &sealed_ev.hash, &k)?;
            let sig_sha =
                bundle::sha256_hex(&std::fs::read(&sig).map_err(|e| OpsError::io(&sig, e))?);
            custody(
                ctx,
                CustodyEvent::Signed(cev::Signed {
                    bundle_id: sealed.bundle_id.clone(),
                    sha256: sealed.sha256.clone(),
                    signature_sha256: sig_sha,
                    custody_head: sealed_ev.hash.clone(),
                }),
            )?;
            signed = true;
        }
        None => {
            custody(
                ctx,
                CustodyEvent::Unsigned(cev::Unsigned {
                    bundle_id: sealed.bundle_id.clone(),
                    sha256: sealed.sha256.clone(),
                    why: format!(
                        "no signing key ({key_ref} is not set): sealed unsigned (policy on_missing_key)"
                    ),
                }),
            )?;
            ctx.warn(format!(
                "warning: no signing key ({key_ref}): the bundle is sealed unsigned; create one with `opsbook evidence keygen`"
            ));
        }
    }
    custody(
        ctx,
        CustodyEvent::Spooled(cev::BundleAt {
            bundle_id: sealed.bundle_id.clone(),
            sha256: sealed.sha256.clone(),
            path: sealed.path.display().to_string(),
        }),
    )?;
    let dests = destinations(&req.dest, pol.as_ref());
    let delivered = forward(
        ctx,
        &rs,
        &sealed.bundle_id,
        &sealed.path,
        &sealed.sha256,
        &dests,
    )?;
    let spooled = delivered.is_none();
    let path = delivered.unwrap_or_else(|| sealed.path.display().to_string());
    // The incident's timeline gets the bundle reference.
    if !inc.status.is_terminal() {
        store.transact(ctx.clock.as_ref(), &id, who, |_| {
            Ok::<_, OpsError>(vec![IncidentEvent::EvidenceAttached(
                iev::EvidenceAttached {
                    reference: sealed.bundle_id.clone(),
                    sha256: sealed.sha256.clone(),
                    kind: "bundle".into(),
                    size_bytes: None,
                    note: Some(format!(
                        "{} file(s), {} redaction(s), {} excluded{}",
                        sealed.files.len(),
                        sealed.redactions,
                        sealed.excluded.len(),
                        if spooled { ", spooled" } else { "" }
                    )),
                    from_incident: None,
                },
            )])
        })?;
    }
    Ok(Collected {
        bundle_id: sealed.bundle_id,
        path,
        sha256: sealed.sha256,
        spooled,
        signed,
        files: sealed.files.len(),
        redactions: sealed.redactions,
        excluded: sealed.excluded,
        commands_failed,
        not_collected: sealed.not_collected,
        truncated: sealed.truncated,
        command_seconds: limits.command_seconds,
    })
}
