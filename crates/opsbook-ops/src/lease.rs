//! Split-brain fencing (seed §2.1.5 二重起動・二重実行・二重書込み,
//! D-SW-SPLITBRAIN; docs/lease.md): the lease operations over the store
//! `opsbook.toml` `[lease]` names — a local store for one host, or a shared
//! one on S3-compatible storage whose credentials resolve as evidence
//! destinations' do (`opsbook_core::s3env`) — with every grant, renewal,
//! expiry, release, takeover and refused claim in `ledger/lease.jsonl`;
//! and the `no_split_brain` recovery-acceptance check that opsbook
//! verifies itself from that ledger ([`verify_no_split_brain`]).

use std::sync::Arc;
use std::time::Duration;

use opsbook_core::incident::Incident;
use opsbook_core::layout::LedgerFile;
use opsbook_core::ledger;
use opsbook_core::next::NextStep;
use opsbook_core::policy::Failover;
use opsbook_lease::s3::{S3Config, S3Store};
use opsbook_lease::split_brain::{self, SplitBrainParams};
/// The outcomes, as the lease engine defines them (front ends render them).
pub use opsbook_lease::{Lease, Release, Renewal, State, Status};
use opsbook_lease::{LeaseError, Leases, LocalStore, Store, Timing};

use crate::{Context, OpsError};

/// The TTL when neither `--ttl` nor `policy/failover.yaml`
/// `fencing.lease_ttl_seconds` gives one.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// Which store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A file per lease in a directory of this host.
    Local,
    /// One object per lease on S3-compatible storage (`[lease.s3]`).
    S3,
}

impl From<LeaseError> for OpsError {
    fn from(e: LeaseError) -> OpsError {
        let next = e.status().map(|s| NextStep::LeaseStatus {
            name: s.name.clone(),
        });
        match e {
            LeaseError::Held { .. }
            | LeaseError::Stale { .. }
            | LeaseError::Expired { .. }
            | LeaseError::Contended { .. } => OpsError::refused(e.to_string(), next),
            LeaseError::Invalid(m) => OpsError::Invalid(m),
            LeaseError::Ledger(l) => OpsError::Ledger(l),
            other => OpsError::Other(other.to_string()),
        }
    }
}

/// Parses a duration: `30s`, `2m`, `1500ms`, `1h`, or a number of seconds.
///
/// # Errors
/// Not a duration, or not above zero.
pub fn parse_duration(s: &str) -> Result<Duration, OpsError> {
    let t = s.trim();
    let d = if let Ok(n) = t.parse::<u64>() {
        Duration::from_secs(n)
    } else {
        let sd: jiff::SignedDuration = t.parse().map_err(|_| {
            OpsError::invalid(format!("`{s}` is not a duration; use 30s, 2m or 1500ms"))
        })?;
        Duration::try_from(sd).map_err(|_| OpsError::invalid(format!("`{s}` is negative")))?
    };
    if d.is_zero() {
        return Err(OpsError::invalid(format!(
            "`{s}`: the duration must be above zero"
        )));
    }
    Ok(d)
}

/// The backend: given, else `[lease] backend`, else local.
///
/// # Errors
/// An unknown backend in `opsbook.toml`.
pub fn backend(ctx: &Context, given: Option<Backend>) -> Result<Backend, OpsError> {
    if let Some(b) = given {
        return Ok(b);
    }
    match ctx.config()?.lease.backend.as_deref() {
        None | Some("local") => Ok(Backend::Local),
        Some("s3") => Ok(Backend::S3),
        Some(other) => Err(OpsError::invalid(format!(
            "opsbook.toml [lease] backend = \"{other}\": expected \"local\" or \"s3\""
        ))),
    }
}

/// The shared store of `[lease.s3]`, credentials resolved as for evidence
/// destinations (`credentials_ref = "env:NAME"`, else the `AWS_*`
/// variables).
///
/// # Errors
/// No `[lease.s3]` bucket; bad credentials; a configuration the S3 client
/// rejects.
pub fn s3_store(ctx: &Context) -> Result<S3Store, OpsError> {
    let Some(s) = ctx
        .config()?
        .lease
        .s3
        .filter(|s| !s.bucket.trim().is_empty())
    else {
        return Err(OpsError::invalid(
            "the s3 lease backend needs [lease.s3] with a bucket in opsbook.toml",
        ));
    };
    let creds = opsbook_core::s3env::credentials(s.credentials_ref.as_deref())
        .map_err(|e| OpsError::invalid(format!("opsbook.toml [lease.s3] {e}")))?;
    S3Store::new(&S3Config {
        bucket: s.bucket,
        prefix: s.prefix,
        endpoint: opsbook_core::s3env::endpoint(s.endpoint.as_deref()),
        region: s.region,
        access_key_id: creds.as_ref().map(|c| c.access_key_id.clone()),
        secret_access_key: creds.as_ref().map(|c| c.secret_access_key.clone()),
        session_token: creds.and_then(|c| c.session_token),
    })
    .map_err(|e| OpsError::Other(e.to_string()))
}

/// The store to use.
///
/// # Errors
/// As [`backend`] and [`s3_store`].
pub fn store(ctx: &Context, given: Option<Backend>) -> Result<Box<dyn Store>, OpsError> {
    Ok(match backend(ctx, given)? {
        Backend::Local => Box::new(LocalStore::new(&local_dir(ctx)?)),
        Backend::S3 => Box::new(s3_store(ctx)?),
    })
}

/// The lease service over `store`: `ledger/lease.jsonl`, the actor, and the
/// context's clock as its wall clock.
#[must_use]
pub fn service_on(ctx: &Context, store: Box<dyn Store>) -> Leases {
    let clock = Arc::clone(&ctx.clock);
    Leases::new(
        store,
        ctx.layout.ledger(LedgerFile::Lease),
        ctx.actor.clone(),
        Timing::default(),
    )
    .with_clock(Arc::new(move || clock.now()))
}

/// The lease service of this SSOT.
///
/// # Errors
/// As [`store`].
pub fn service(ctx: &Context, given: Option<Backend>) -> Result<Leases, OpsError> {
    Ok(service_on(ctx, store(ctx, given)?))
}

/// The TTL: given, else the policy's `fencing.lease_ttl_seconds`, else 30 s.
fn ttl(ctx: &Context, given: Option<&str>) -> Result<Duration, OpsError> {
    if let Some(t) = given {
        return parse_duration(t);
    }
    let secs = ctx
        .policy_optional::<Failover>()?
        .and_then(|p| p.fencing)
        .map_or(0, |f| f.lease_ttl_seconds);
    Ok(if secs > 0 {
        Duration::from_secs(secs)
    } else {
        DEFAULT_TTL
    })
}

/// A lease operation's arguments.
#[derive(Debug, Clone, Default)]
pub struct LeaseRequest {
    /// Lease name (by convention the component: `order-gateway`).
    pub name: String,
    /// Holder ID.
    pub holder: Option<String>,
    /// TTL (`30s`); default the policy's.
    pub ttl: Option<String>,
    /// The fencing token held.
    pub token: Option<u64>,
    /// Acquire: keep trying this long (a standby waiting for expiry).
    pub wait: Option<String>,
    /// The store (default `[lease] backend`).
    pub backend: Option<Backend>,
}

impl LeaseRequest {
    fn holder(&self, verb: &str) -> Result<String, OpsError> {
        self.holder.clone().ok_or_else(|| {
            OpsError::invalid(format!(
                "`lease {verb}` needs --holder ID: the node or instance (e.g. trade-01), also its clientOrderId prefix"
            ))
        })
    }

    fn token(&self, verb: &str) -> Result<u64, OpsError> {
        self.token.ok_or_else(|| {
            OpsError::invalid(format!(
                "`lease {verb}` needs --token N: the fencing token your acquire returned"
            ))
        })
    }
}

/// Acquires a lease: granted with the next fencing token if free, released
/// or expired; refused (with who holds it, since when) otherwise — also for
/// the caller's own holder ID (a second instance). On S3 the store first
/// proves that it enforces conditional writes.
///
/// # Errors
/// [`OpsError::Refused`] when held; bad input; store and ledger errors.
pub fn acquire(ctx: &Context, req: &LeaseRequest) -> Result<Lease, OpsError> {
    let holder = req.holder("acquire")?;
    let ttl = ttl(ctx, req.ttl.as_deref())?;
    let store: Box<dyn Store> = match backend(ctx, req.backend)? {
        Backend::S3 => {
            let s = s3_store(ctx)?;
            s.self_test().map_err(|e| OpsError::Other(e.to_string()))?;
            Box::new(s)
        }
        Backend::Local => {
            ctx.warn(format!(
                "warning: the local lease store ({}) fences the processes of this host only: a standby on another host cannot see it; use [lease] backend = \"s3\" in opsbook.toml when order writers run on two hosts (docs/lease.md)",
                local_dir(ctx)?.display()
            ));
            store(ctx, Some(Backend::Local))?
        }
    };
    let svc = service_on(ctx, store);
    Ok(match &req.wait {
        Some(w) => svc.acquire_wait(
            &req.name,
            &holder,
            ttl,
            parse_duration(w)?,
            Duration::from_millis(500),
        )?,
        None => svc.acquire(&req.name, &holder, ttl)?,
    })
}

/// Renews the caller's lease with its token.
///
/// # Errors
/// [`OpsError::Refused`] when the token is stale or the lease expired
/// (stop sending orders); bad input; store and ledger errors.
pub fn renew(ctx: &Context, req: &LeaseRequest) -> Result<Renewal, OpsError> {
    let holder = req.holder("renew")?;
    let ttl = ttl(ctx, req.ttl.as_deref())?;
    Ok(service(ctx, req.backend)?.renew(&req.name, &holder, req.token("renew")?, ttl)?)
}

/// Releases the caller's lease (its token stays the floor of the next).
///
/// # Errors
/// [`OpsError::Refused`] when the token is stale; bad input; store and
/// ledger errors.
pub fn release(ctx: &Context, req: &LeaseRequest) -> Result<Release, OpsError> {
    let holder = req.holder("release")?;
    Ok(service(ctx, req.backend)?.release(&req.name, &holder, req.token("release")?)?)
}

/// Who holds a lease now (reads only).
///
/// # Errors
/// Bad name; store errors.
pub fn status(ctx: &Context, req: &LeaseRequest) -> Result<Status, OpsError> {
    Ok(service(ctx, req.backend)?.status(&req.name)?)
}

/// Every lease this SSOT knows, sorted by name: the order writers of
/// `policy/failover.yaml` (`fencing_required`, even when never acquired)
/// and every lease named in `ledger/lease.jsonl`, each as its store says
/// now (reads only).
///
/// # Errors
/// A broken policy or lease ledger; store errors.
pub fn status_all(ctx: &Context, backend: Option<Backend>) -> Result<Vec<Status>, OpsError> {
    let mut names: std::collections::BTreeSet<String> = ctx
        .policy_optional::<Failover>()?
        .map(|p| {
            p.components
                .into_iter()
                .filter(|c| c.fencing_required)
                .map(|c| c.id)
                .collect()
        })
        .unwrap_or_default();
    let path = ctx.layout.ledger(LedgerFile::Lease);
    if path.is_file() {
        for e in ledger::read(&path)? {
            if let Some(Ok(ev)) = opsbook_core::event::lease::LeaseEvent::from_event(&e) {
                names.insert(ev.name().to_string());
            }
        }
    }
    let svc = service(ctx, backend)?;
    names
        .iter()
        .map(|n| svc.status(n).map_err(OpsError::from))
        .collect()
}

/// Where the local store of this SSOT lives: `OPSBOOK_LEASE_DIR`, else
/// `opsbook.toml` `[lease] dir`, else the host's data directory
/// (`%ProgramData%\opsbook\leases`; `$XDG_DATA_HOME` or
/// `~/.local/share/opsbook/leases` elsewhere) — one per host, shared by
/// every checkout of the SSOT on it, so that two checkouts never fence
/// apart.
///
/// # Errors
/// A broken `opsbook.toml`.
pub fn local_dir(ctx: &Context) -> Result<std::path::PathBuf, OpsError> {
    Ok(opsbook_core::fsutil::machine_dir(
        "OPSBOOK_LEASE_DIR",
        ctx.config()?.lease.dir.as_deref(),
        "leases",
    ))
}

/// Whether the token (and the holder, when given) is the lease's current,
/// unexpired grant: what an order writer asks before a write (reads only).
///
/// # Errors
/// [`OpsError::Refused`] when it must not be used; bad input; store errors.
pub fn check(ctx: &Context, req: &LeaseRequest) -> Result<Status, OpsError> {
    Ok(service(ctx, req.backend)?.check(&req.name, req.token("check")?, req.holder.as_deref())?)
}

/// The components that must hold a lease: `fencing_required` (order
/// writers) in `policy/failover.yaml`.
///
/// # Errors
/// The policy cannot be read.
pub fn required(ctx: &Context) -> Result<Vec<String>, OpsError> {
    Ok(ctx
        .policy::<Failover>()?
        .components
        .into_iter()
        .filter(|c| c.fencing_required)
        .map(|c| c.id)
        .collect())
}

/// Whether `reference` names this SSOT's lease ledger (`ledger/lease.jsonl`,
/// either slash, relative to the root or absolute).
fn names_lease_ledger(ctx: &Context, reference: &str) -> bool {
    let r = reference.trim().replace('\\', "/");
    let rel = LedgerFile::Lease.rel();
    if r == rel || r == format!("./{rel}") {
        return true;
    }
    let p = std::path::Path::new(reference.trim());
    p.is_absolute()
        && match (
            std::fs::canonicalize(p),
            std::fs::canonicalize(ctx.layout.ledger(LedgerFile::Lease)),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

/// The `no_split_brain` recovery-acceptance check, verified by opsbook
/// (spec/recovery-acceptance.md, spec/split-brain-prevention.md): the
/// reference must name this SSOT's `ledger/lease.jsonl`; its hash chain
/// must verify; replayed since the incident's recovery started (its first
/// MITIGATING), it must show no two holders at once, no token that fails
/// to increase and no renewal or release by a stale holder, and every
/// order writer of `policy/failover.yaml` (`fencing_required`) held by
/// exactly one holder now — a writer with no lease event is "never
/// acquired" and refused. A platform whose policy declares
/// `fencing.single_instance` (one instance per order writer, one host, no
/// standby) needs no lease held: the ledger, when it exists, is still
/// replayed, and the note names the declaration. (Orders from a
/// non-holder's clientOrderId prefix are reconciliation's to find.)
/// Returns the note to record with the answer.
///
/// # Errors
/// [`OpsError::Refused`] with the problems and [`NextStep::LeaseHolders`];
/// the failover policy cannot be read.
pub fn verify_no_split_brain(
    ctx: &Context,
    inc: &Incident,
    reference: &str,
) -> Result<String, OpsError> {
    let refuse = |m: String| {
        OpsError::refused(
            format!("no_split_brain is not verified: {m}"),
            Some(NextStep::LeaseHolders),
        )
    };
    let rel = LedgerFile::Lease.rel();
    if !names_lease_ledger(ctx, reference) {
        return Err(refuse(format!(
            "`{reference}` is not this SSOT's lease ledger: opsbook reads {rel} and policy/failover.yaml itself, so the answer is `no_split_brain=pass:{rel}`"
        )));
    }
    let policy = ctx.policy::<Failover>()?;
    let single = policy
        .fencing
        .as_ref()
        .and_then(|f| f.single_instance.clone())
        .filter(|s| !s.host.trim().is_empty() && !s.reason.trim().is_empty());
    let declared = single.as_ref().map(|s| {
        format!(
            "policy/failover.yaml declares the platform single-instance on {} ({}): no lease must be held",
            s.host.trim(),
            s.reason.trim()
        )
    });
    let required: Vec<String> = if single.is_some() {
        Vec::new()
    } else {
        required(ctx)?
    };
    let path = ctx.layout.ledger(LedgerFile::Lease);
    if !path.is_file() {
        if let Some(d) = declared {
            return Ok(format!(
                "verified by opsbook: {d}; {rel} does not exist (no lease was ever recorded through this SSOT)"
            ));
        }
        return Err(refuse(format!(
            "{rel} does not exist: no lease was ever acquired through this SSOT, so nothing shows one holder per order writer ({}). Each order writer acquires its lease (`opsbook lease acquire NAME --holder ID`); a platform that runs one instance with no standby declares it in policy/failover.yaml fencing.single_instance (host, reason)",
            if required.is_empty() {
                "none in policy/failover.yaml".to_string()
            } else {
                required.join(", ")
            }
        )));
    }
    let events = ledger::read(&path).map_err(|e| refuse(format!("{rel} does not verify: {e}")))?;
    let since = crate::time::recovery_start(inc);
    let report = split_brain::assess(
        &events,
        &SplitBrainParams {
            required,
            since,
            now: ctx.now(),
        },
    );
    let since_s = since.map_or_else(|| "the start".into(), ledger::format_ts);
    if !report.ok {
        let problems: Vec<String> = report
            .leases
            .iter()
            .flat_map(|l| {
                l.problems.iter().map(move |p| {
                    format!(
                        "{}{}: {}",
                        l.name,
                        p.seq.map(|s| format!(" #{s}")).unwrap_or_default(),
                        p.message
                    )
                })
            })
            .collect();
        return Err(refuse(format!(
            "{rel} since {since_s}: {}",
            problems.join("; ")
        )));
    }
    let holders: Vec<String> = report
        .leases
        .iter()
        .filter(|l| l.required)
        .map(|l| {
            format!(
                "{} held by {} (token {})",
                l.name,
                l.holder.as_deref().unwrap_or("?"),
                l.token.unwrap_or(0)
            )
        })
        .collect();
    let head = events.last().map_or_else(String::new, |e| {
        format!(
            " up to #{} (hash {})",
            e.seq,
            &e.hash[..e.hash.len().min(12)]
        )
    });
    Ok(format!(
        "verified by opsbook: {rel}{head}, {} lease events; since {since_s}: no overlap, tokens increasing, no stale writer; {}",
        report.events,
        match (declared, holders.is_empty()) {
            (Some(d), _) => d,
            (None, true) => "no order writer in policy/failover.yaml".to_string(),
            (None, false) => holders.join(", "),
        }
    ))
}
