//! Evidence orchestration (D-EVD-*): collect for an incident (redacted,
//! sealed, signed, spooled, delivered, attached to the timeline — every
//! step a custody event), flush the spool, hold, prune by retention,
//! verify and scan. The engines (redaction, bundle, delivery) are
//! `opsbook-evidence`'s; the order, the ledgers and the policy are here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use opsbook_core::event::{CustodyEvent, IncidentEvent, custody as cev, incident as iev};
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger::Event;
use opsbook_core::policy::Evidence;
use opsbook_evidence::bundle::{self, EvidenceError, Excluded, Limits, Request, Source};
use opsbook_evidence::deliver::{self, Destination};
use opsbook_evidence::redact::RuleSet;
use opsbook_evidence::timeref::ClockCheck;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Context, OpsError};

mod spool;
pub use self::spool::{SPOOL_ENV, Skipped, Spool, SsotIdentity, spool};

/// `policy/evidence.yaml` when the SSOT has one (built-in rules and
/// defaults otherwise).
///
/// # Errors
/// A policy that exists but cannot be read or is invalid: evidence work
/// stops rather than run without the classes and limits it sets (fail closed).
pub fn policy(ctx: &Context) -> Result<Option<Evidence>, OpsError> {
    ctx.policy_optional::<Evidence>().map_err(|e| {
        OpsError::Other(format!(
            "{e}; nothing was done (fail closed): fix the evidence policy"
        ))
    })
}

/// The redaction rule set; a class that does not compile stops the run.
///
/// # Errors
/// A class that does not compile (fail closed).
pub fn rules(policy: Option<&Evidence>) -> Result<RuleSet, OpsError> {
    let doc = policy.map(Evidence::redaction_document);
    RuleSet::from_policy(doc.as_ref()).map_err(|e| {
        OpsError::Other(format!(
            "{e}; nothing was done (fail closed): fix policy/evidence.yaml"
        ))
    })
}

fn custody(ctx: &Context, e: CustodyEvent) -> Result<Event, OpsError> {
    ctx.append(&ctx.layout.ledger(LedgerFile::Custody), &e)
}

/// Destinations: those given, else the policy's.
#[must_use]
pub fn destinations(args: &[String], policy: Option<&Evidence>) -> Vec<Destination> {
    if !args.is_empty() {
        return args.iter().map(|d| Destination::parse(d)).collect();
    }
    policy
        .map(|p| {
            p.destinations
                .iter()
                .filter_map(|d| match d.kind.as_deref() {
                    Some("s3") => Some(Destination::S3(deliver::S3Target {
                        bucket: d.bucket.clone().unwrap_or_default(),
                        prefix: d.prefix.clone().unwrap_or_default(),
                        endpoint: d.endpoint.clone(),
                        region: d.region.clone(),
                        credentials_ref: d.credentials_ref.clone(),
                    })),
                    _ => d.path.as_ref().map(|p| Destination::Dir(PathBuf::from(p))),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The clock offset against `reference`, else the policy's
/// `collection.clock_reference`; `none` (or nothing configured) skips it.
#[must_use]
pub fn clock_check(reference: Option<&str>, policy: Option<&Evidence>) -> ClockCheck {
    let col = policy.map(|p| &p.collection);
    let reference = reference
        .map(str::to_string)
        .or_else(|| col.and_then(|c| c.clock_reference.clone()));
    match reference.as_deref().map(str::trim) {
        None | Some("") => ClockCheck::skipped("none", "no clock reference configured"),
        Some(r) if r.eq_ignore_ascii_case("none") => {
            ClockCheck::skipped("none", "clock reference disabled")
        }
        Some(r) => {
            let ms = col
                .and_then(|c| c.clock_timeout_ms)
                .unwrap_or(1500)
                .clamp(100, 10_000);
            opsbook_evidence::timeref::measure(r, std::time::Duration::from_millis(ms))
        }
    }
}

/// The custody ledger's events.
fn custody_events(ctx: &Context) -> Result<Vec<(Event, CustodyEvent)>, OpsError> {
    Ok(opsbook_core::event::read::<CustodyEvent>(
        &ctx.layout.ledger(LedgerFile::Custody),
    )?)
}

/// Bundle IDs the custody ledger records as sealed.
fn sealed_ids(ctx: &Context) -> BTreeSet<String> {
    sealed(ctx).into_iter().map(|(id, _)| id).collect()
}

/// (bundle ID, SHA-256) of every bundle the custody ledger records as sealed.
fn sealed(ctx: &Context) -> BTreeSet<(String, String)> {
    custody_events(ctx)
        .map(|events| {
            events
                .into_iter()
                .filter_map(|(_, e)| match e {
                    CustodyEvent::Sealed(s) => Some((s.bundle_id, s.sha256)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Targets under hold, from the custody ledger.
///
/// # Errors
/// A broken ledger.
pub fn holds(ctx: &Context) -> Result<BTreeSet<String>, OpsError> {
    let mut h = BTreeSet::new();
    for (_, e) in custody_events(ctx)? {
        match e {
            CustodyEvent::HoldPlaced(x) => {
                h.insert(x.target);
            }
            CustodyEvent::HoldReleased(x) => {
                h.remove(&x.target);
            }
            _ => {}
        }
    }
    Ok(h)
}

/// Delivers one spooled bundle to the first destination that takes it,
/// with custody events; removes the spool copy only after verification.
/// Returns the destination path when delivered.
fn forward(
    ctx: &Context,
    rs: &RuleSet,
    id: &str,
    zip: &Path,
    sha: &str,
    dests: &[Destination],
) -> Result<Option<String>, OpsError> {
    for d in dests {
        // Never a credential in a record or on the terminal.
        let to = rs.scrub(&d.display());
        custody(
            ctx,
            CustodyEvent::TransferAttempt(cev::TransferAttempt {
                bundle_id: id.into(),
                sha256: sha.into(),
                from: zip.display().to_string(),
                to: to.clone(),
            }),
        )?;
        match deliver::deliver(zip, sha, d) {
            Ok(at) => {
                custody(
                    ctx,
                    CustodyEvent::TransferOk(cev::TransferOk {
                        bundle_id: id.into(),
                        sha256: sha.into(),
                        to: to.clone(),
                    }),
                )?;
                custody(
                    ctx,
                    CustodyEvent::RemoteVerifyOk(cev::RemoteVerifyOk {
                        bundle_id: id.into(),
                        sha256: sha.into(),
                        at: rs.scrub(&at),
                    }),
                )?;
                deliver::remove_from_spool(zip).map_err(|e| {
                    OpsError::Other(format!(
                        "delivered and verified, but the spool copy {} could not be removed: {e}",
                        zip.display()
                    ))
                })?;
                custody(
                    ctx,
                    CustodyEvent::SpoolRemoved(cev::BundleAt {
                        bundle_id: id.into(),
                        sha256: sha.into(),
                        path: zip.display().to_string(),
                    }),
                )?;
                // The operator gets the real path; records get the scrubbed one.
                return Ok(Some(at));
            }
            Err(e) => {
                let e = rs.scrub(&deliver::strip_credentials(&e));
                custody(
                    ctx,
                    CustodyEvent::TransferFailed(cev::TransferFailed {
                        bundle_id: id.into(),
                        sha256: sha.into(),
                        to: to.clone(),
                        error: e.clone(),
                    }),
                )?;
                ctx.warn(format!("warning: delivery to {to} failed: {e}"));
            }
        }
    }
    Ok(None)
}

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

/// One bundle delivered or still waiting.
#[derive(Debug, Clone, Serialize)]
pub struct SpooledBundle {
    /// `EVB-…`.
    pub bundle_id: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Where it is now (delivered only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// What [`flush`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Flushed {
    /// The spool.
    pub spool: String,
    /// Delivered and verified.
    pub delivered: Vec<SpooledBundle>,
    /// Still waiting.
    pub waiting: Vec<SpooledBundle>,
    /// Left alone: another SSOT's bundles (or nobody's provably), each
    /// with why and the command that delivers it from its own SSOT.
    pub skipped: Vec<Skipped>,
    /// The shared spool of older opsbook versions that was looked at too
    /// (this SSOT's bundles there are delivered; others are skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_spool: Option<String>,
}

/// Delivers what waits in this SSOT's spool — and this SSOT's bundles in
/// the shared spool older versions used by default — with a custody event
/// at each step; a spool copy is removed only after the destination copy
/// verified. Safe to repeat and to interrupt. Another SSOT's bundle (its
/// manifest says so) is never delivered and never recorded here: it is
/// listed in [`Flushed::skipped`] (issue 13 item 8).
///
/// # Errors
/// No destination (bad input); a broken policy or ledger.
pub fn flush(
    ctx: &Context,
    dest: &[String],
    spool_arg: Option<&Path>,
) -> Result<Flushed, OpsError> {
    let pol = policy(ctx)?;
    let rs = rules(pol.as_ref())?;
    let sp = spool(ctx, spool_arg, pol.as_ref());
    let dests = destinations(dest, pol.as_ref());
    if dests.is_empty() {
        return Err(OpsError::invalid(
            "no destination: give --dest DIR or configure destinations in policy/evidence.yaml",
        ));
    }
    let ours = SsotIdentity::of(ctx);
    let sealed_here = sealed(ctx);
    let mut found = deliver::spooled(&sp.dir);
    let legacy = sp.legacy.as_deref().filter(|l| *l != sp.dir.as_path());
    if let Some(l) = legacy {
        found.extend(deliver::spooled(l));
    }
    let mut delivered = Vec::new();
    let mut waiting = Vec::new();
    let mut skipped = Vec::new();
    for (id, zip, sha) in found {
        if let spool::Owner::Not(s) = spool::owner(&ours, &sealed_here, &id, &zip, &sha) {
            ctx.warn(format!(
                "warning: {} in {} skipped: {}",
                id,
                zip.display(),
                s.why
            ));
            skipped.push(s);
            continue;
        }
        match forward(ctx, &rs, &id, &zip, &sha, &dests)? {
            Some(at) => delivered.push(SpooledBundle {
                bundle_id: id,
                sha256: sha,
                at: Some(at),
            }),
            None => waiting.push(SpooledBundle {
                bundle_id: id,
                sha256: sha,
                at: None,
            }),
        }
    }
    Ok(Flushed {
        spool: sp.dir.display().to_string(),
        delivered,
        waiting,
        skipped,
        legacy_spool: legacy.map(|l| l.display().to_string()),
    })
}

/// What [`hold`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    /// The bundle or incident.
    #[serde(skip)]
    pub target: String,
    /// Released (else placed).
    #[serde(skip)]
    pub released: bool,
    /// Nothing to do: already under hold.
    #[serde(skip)]
    pub already: bool,
    /// The custody events.
    pub events: Vec<Event>,
}

/// Places (or releases) a hold on a bundle or an incident's bundles: never
/// pruned while held.
///
/// # Errors
/// No reason, a target that is neither a sealed bundle nor an incident (bad
/// input); releasing what is not held (refused).
pub fn hold(ctx: &Context, target: &str, reason: &str, release: bool) -> Result<Held, OpsError> {
    if reason.trim().is_empty() {
        return Err(OpsError::invalid(
            "--reason is empty: say why (legal hold, dispute, audit)",
        ));
    }
    let rs = rules(policy(ctx)?.as_ref())?;
    // The target must exist: a sealed bundle or an incident.
    let sealed = custody_events(ctx)?
        .iter()
        .any(|(_, e)| matches!(e, CustodyEvent::Sealed(s) if s.bundle_id == target));
    if !sealed && ctx.store()?.resolve(target).is_err() {
        return Err(OpsError::invalid(format!(
            "`{target}` is neither a bundle sealed here (custody ledger) nor an incident"
        )));
    }
    let held = holds(ctx)?.contains(target);
    if release && !held {
        return Err(OpsError::refused(
            format!("`{target}` is not under hold"),
            None,
        ));
    }
    if !release && held {
        ctx.warn(format!("`{target}` is already under hold"));
        return Ok(Held {
            target: target.to_string(),
            released: false,
            already: true,
            events: Vec::new(),
        });
    }
    let h = cev::Hold {
        target: target.to_string(),
        reason: rs.scrub(reason),
    };
    let ev = custody(
        ctx,
        if release {
            CustodyEvent::HoldReleased(h)
        } else {
            CustodyEvent::HoldPlaced(h)
        },
    )?;
    Ok(Held {
        target: target.to_string(),
        released: release,
        already: false,
        events: vec![ev],
    })
}

/// One bundle judged by [`prune`].
#[derive(Debug, Clone, Serialize)]
pub struct PruneRow {
    /// `EVB-…`.
    pub bundle: String,
    /// `keep`, `would delete` or `deleted`.
    pub action: &'static str,
    /// Why.
    pub why: String,
}

/// What [`prune`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Pruned {
    /// The date judged against.
    pub as_of: String,
    /// Every bundle.
    pub bundles: Vec<PruneRow>,
    /// Bundles deleted.
    pub deleted: usize,
    /// Only listed.
    #[serde(skip)]
    pub dry_run: bool,
}

/// Deletes bundles past their retention (`retention.by_severity` after the
/// incident ended, `unlinked_days` otherwise); never one of an incident
/// still open or under hold; a bundle without a readable manifest, or a
/// retention the calendar cannot hold, is kept.
///
/// # Errors
/// The destination cannot be read; a broken policy or ledger.
pub fn prune(
    ctx: &Context,
    dest: &Path,
    as_of: jiff::civil::Date,
    dry_run: bool,
) -> Result<Pruned, OpsError> {
    use std::io::Read;
    let pol = policy(ctx)?;
    let held = holds(ctx)?;
    let store = ctx.store()?;
    let days = |sev: &str| {
        pol.as_ref()
            .and_then(|p| p.retention.by_severity.get(sev).copied())
    };
    let unlinked = pol
        .as_ref()
        .and_then(|p| p.retention.unlinked_days)
        .unwrap_or(180);
    let mut rows = Vec::new();
    let mut zips: Vec<PathBuf> = std::fs::read_dir(dest)
        .map_err(|e| OpsError::io(dest, e))?
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
        let keep = |rows: &mut Vec<PruneRow>, why: String| {
            rows.push(PruneRow {
                bundle: id.clone(),
                action: "keep",
                why,
            });
        };
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
            keep(&mut rows, "no readable manifest: kept".into());
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
            keep(&mut rows, "under hold".into());
            continue;
        }
        let (base, keep_days, why) = match store.load(&inc_id) {
            Ok(inc) if !inc.status.is_terminal() => {
                keep(&mut rows, format!("incident {inc_id} is {}", inc.status));
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
            .map(opsbook_core::clock::utc_date)
        else {
            keep(&mut rows, "no date to judge by: kept".into());
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
            keep(
                &mut rows,
                format!("retention of {keep_days} days is not usable: kept"),
            );
            continue;
        };
        if as_of <= expires {
            keep(&mut rows, format!("{why}; kept until {expires}"));
            continue;
        }
        if !dry_run {
            let sha = bundle::sha256_hex(&std::fs::read(&z).map_err(|e| OpsError::io(&z, e))?);
            for f in deliver::bundle_files(&z).into_iter().rev() {
                std::fs::remove_file(&f).map_err(|e| OpsError::io(&f, e))?;
            }
            custody(
                ctx,
                CustodyEvent::RetentionDelete(cev::RetentionDelete {
                    bundle_id: id.clone(),
                    sha256: sha,
                    at: deliver::strip_credentials(&dest.display().to_string()),
                    why: format!("{why}; retention ended {expires}"),
                }),
            )?;
            deleted += 1;
        }
        rows.push(PruneRow {
            bundle: id.clone(),
            action: if dry_run { "would delete" } else { "deleted" },
            why: format!("{why}; retention ended {expires}"),
        });
    }
    Ok(Pruned {
        as_of: as_of.to_string(),
        bundles: rows,
        deleted,
        dry_run,
    })
}

/// What [`verify`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// Every check passed.
    pub ok: bool,
    /// The checks.
    pub report: opsbook_evidence::verify::Report,
    /// The same checks without opsbook (PowerShell 5.1).
    pub powershell: Vec<String>,
}

/// Verifies a bundle: archive hash, signature, every file, custody (when
/// inside an SSOT), a fresh redaction scan.
///
/// # Errors
/// The bundle cannot be read; a broken evidence policy.
pub fn verify(
    ctx: Option<&Context>,
    bundle_path: &Path,
    pubkey: Option<&Path>,
) -> Result<Verified, OpsError> {
    let pol = match ctx {
        Some(c) => policy(c)?,
        None => None,
    };
    let rs = rules(pol.as_ref())?;
    let custody_log = ctx
        .map(|c| c.layout.ledger(LedgerFile::Custody))
        .filter(|p| p.is_file());
    let r = opsbook_evidence::verify::verify(bundle_path, pubkey, custody_log.as_deref(), &rs)
        .map_err(|e| OpsError::Other(format!("cannot read `{}`: {e}", bundle_path.display())))?;
    let name = bundle_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Verified {
        ok: r.ok(),
        powershell: opsbook_evidence::verify::powershell_one_liners(&name),
        report: r,
    })
}

/// One file's scan.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FileScan {
    /// Scanned: what fired (never the values).
    Scanned {
        /// The file (scrubbed).
        file: String,
        /// Rule, line, column, bytes, view.
        hits: Vec<opsbook_evidence::redact::Hit>,
    },
    /// Not scanned, and why: not proven clean.
    Unscannable {
        /// The file (scrubbed).
        file: String,
        /// Why.
        unscannable: String,
    },
}

/// What [`scan`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    /// Files scanned.
    pub files: usize,
    /// Bytes.
    pub bytes: u64,
    /// Secrets found.
    pub findings: usize,
    /// Files that could not be scanned.
    pub unscannable: usize,
    /// Per file.
    pub results: Vec<FileScan>,
}

impl Scanned {
    /// Proven clean: nothing found, and every file scanned.
    #[must_use]
    pub fn clean(&self) -> bool {
        self.findings == 0 && self.unscannable == 0
    }
}

/// Scans files for secrets without collecting them (the same rules and
/// views as collect; the policy's when inside an SSOT). Files over the
/// size cap are streamed, with whole-file line numbers.
///
/// # Errors
/// A path or glob that matches nothing (never "clean"); a broken policy.
pub fn scan(ctx: Option<&Context>, paths: &[String]) -> Result<Scanned, OpsError> {
    use rayon::prelude::*;
    let pol = match ctx {
        Some(c) => policy(c)?,
        None => None,
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
                return Err(OpsError::invalid(format!(
                    "`{p}` matches no file: nothing was scanned"
                )));
            }
            files.extend(found);
        }
    }
    files.sort();
    let archive = opsbook_evidence::redact::ArchiveLimits::default();
    let results: Vec<(FileScan, u64)> = files
        .par_iter()
        .map(|f| {
            // A file name can carry a secret too.
            let name = rs.scrub(&f.display().to_string());
            let n = std::fs::metadata(f).map_or(0, |m| m.len());
            let r = if n > limits.max_file_bytes {
                // Streamed in pieces cut at line ends: bounded memory, line
                // numbers of the whole file.
                std::fs::File::open(f)
                    .map_err(|e| format!("cannot be read: {e}"))
                    .and_then(|file| rs.scan_stream(std::io::BufReader::new(file), 8 << 20, None))
            } else {
                match read_reusing(f) {
                    Ok(bytes) => {
                        let r = rs.scan_file(&bytes, &archive, None);
                        give_back(bytes);
                        r
                    }
                    Err(e) => {
                        return (
                            FileScan::Unscannable {
                                file: name,
                                unscannable: format!("cannot be read: {e}"),
                            },
                            0,
                        );
                    }
                }
            };
            let scan = match r {
                Ok(hits) => FileScan::Scanned {
                    file: name,
                    // An archive member's name can carry a secret too.
                    hits: hits
                        .into_iter()
                        .map(|mut h| {
                            h.member = h.member.map(|m| rs.scrub(&m));
                            h
                        })
                        .collect(),
                },
                Err(e) => FileScan::Unscannable {
                    file: name,
                    unscannable: e,
                },
            };
            (scan, n)
        })
        .collect();
    let findings = results
        .iter()
        .map(|r| match &r.0 {
            FileScan::Scanned { hits, .. } => hits.len(),
            FileScan::Unscannable { .. } => 0,
        })
        .sum();
    let unscannable = results
        .iter()
        .filter(|r| matches!(r.0, FileScan::Unscannable { .. }))
        .count();
    let bytes = results.iter().map(|r| r.1).sum();
    Ok(Scanned {
        files: results.len(),
        bytes,
        findings,
        unscannable,
        results: results.into_iter().map(|r| r.0).collect(),
    })
}

/// Where the signing keys go by default: the user's opsbook config directory.
///
/// # Errors
/// None of `APPDATA`, `XDG_CONFIG_HOME`, `HOME` is set.
pub fn default_key_dir() -> Result<PathBuf, OpsError> {
    let base = std::env::var_os("APPDATA")
        .or_else(|| std::env::var_os("XDG_CONFIG_HOME"))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| OpsError::invalid("no APPDATA/XDG_CONFIG_HOME/HOME: pass --out DIR"))?;
    Ok(base.join("opsbook"))
}

/// The signing key pair that [`keygen`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Keys {
    /// The secret key (keep it off the SSOT).
    pub secret: String,
    /// The public key (give it to whoever verifies bundles).
    pub public: String,
}

/// Creates the signing key pair (minisign format) in `dir`.
///
/// # Errors
/// A key already there (never replaced), I/O.
pub fn keygen(dir: &Path) -> Result<Keys, OpsError> {
    let (sk, pk) = bundle::keygen(dir)?;
    Ok(Keys {
        secret: sk.display().to_string(),
        public: pk.display().to_string(),
    })
}

thread_local! {
    /// A scanning thread's file buffer, kept between files: reading a file
    /// into pages already mapped saves a page fault every 4 KiB.
    static BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The bytes of `path`, read into this thread's kept buffer (taken, so a
/// nested scan on the same thread reads into a new one).
fn read_reusing(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut buf = BUFFER.take();
    buf.clear();
    std::fs::File::open(path)?.read_to_end(&mut buf)?;
    Ok(buf)
}

/// Keeps `buf` for this thread's next file.
fn give_back(buf: Vec<u8>) {
    BUFFER.set(buf);
}
