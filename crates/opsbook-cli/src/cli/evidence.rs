//! Arguments of `opsbook evidence` (collect, scan, seal, verify, flush, hold,
//! prune).

use clap::Subcommand;
use std::path::PathBuf;

use super::SafeCommon;

/// `opsbook evidence`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Collect files and command outputs, redact (fail closed), seal, sign, deliver or spool
    #[command(
        after_long_help = "Command outputs are collected first (order of volatility, RFC 3227), then files.
Redaction is fail-closed: what cannot be scanned is excluded and listed; an independent rescan of
the sealed output must find nothing, or no bundle is released (exit 1).

Examples (PowerShell):
  opsbook evidence collect --incident $id --include D:\\trading\\logs\\*.log --cmd procs=\"Get-Process | Format-Table -AutoSize\"
  opsbook evidence collect --incident $id --runbook RB-QUICK-HALT-EVIDENCE --dest \\\\fileserver01\\opsbook-evidence --format json"
    )]
    Collect {
        #[command(flatten)]
        common: SafeCommon,
        /// The incident (its timeline gets the bundle reference)
        #[arg(long, value_name = "ID", env = "OPSBOOK_INCIDENT")]
        incident: String,
        /// Runbook whose required_evidence to collect: its `path` and `command` items, and paths named in its text
        #[arg(long, value_name = "RB")]
        runbook: Option<String>,
        /// A file, a glob or a directory (collected recursively, links excluded and listed) to collect (repeatable)
        #[arg(long = "include", visible_alias = "path", value_name = "PATH|GLOB|DIR")]
        includes: Vec<String>,
        /// A command whose output to collect, NAME=COMMAND (PowerShell on Windows; repeatable)
        #[arg(long = "cmd", value_name = "NAME=COMMAND")]
        commands: Vec<String>,
        /// Destination, tried in order (repeatable): a directory, a UNC share, or
        /// s3://BUCKET/PREFIX (endpoint and keys from AWS_ENDPOINT_URL, AWS_REGION,
        /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) [default: policy/evidence.yaml
        /// destinations]. If none takes the bundle it stays in the spool
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        dest: Vec<String>,
        /// The local spool (default: OPSBOOK_SPOOL, else this SSOT's own folder NAME-ID under
        /// policy spool.path or %ProgramData%\opsbook\spool)
        #[arg(long, value_name = "DIR")]
        spool: Option<PathBuf>,
        /// SNTP server whose time the host's clock is compared with (one query; the
        /// offset goes into the manifest); `none` skips it [default: policy
        /// collection.clock_reference]
        #[arg(long, value_name = "HOST[:PORT]|none", env = "OPSBOOK_CLOCK_REFERENCE")]
        clock_reference: Option<String>,
    },
    /// Verify a bundle: archive hash, signature, every file, custody, a fresh redaction scan
    Verify {
        #[command(flatten)]
        common: SafeCommon,
        /// The bundle ZIP
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
        /// minisign public key to check the signature with
        #[arg(long, value_name = "FILE")]
        pubkey: Option<PathBuf>,
    },
    /// Deliver spooled bundles; a spool copy is removed only after the destination copy verified
    #[command(
        after_long_help = "Safe to run again and to interrupt: a bundle already at the destination with the same
SHA-256 is not copied twice, a different file under the same name is never overwritten, and the
spool copy is removed last. Exit 1 while bundles are still waiting. Only this SSOT's bundles are
delivered (the manifest names its SSOT): another SSOT's are left in place and listed, with the
command that delivers them from there; this SSOT's bundles in the shared spool of older versions
(%ProgramData%\\opsbook\\spool itself) are delivered too.

Examples (PowerShell):
  opsbook evidence flush --dest \\\\fileserver01\\opsbook-evidence
  $env:AWS_ENDPOINT_URL = 'https://minio.ops.internal:9000'
  opsbook evidence flush --dest s3://trading-ops-evidence/bundles/ --format json"
    )]
    Flush {
        #[command(flatten)]
        common: SafeCommon,
        /// Destination, tried in order (repeatable): a directory, a UNC share, or
        /// s3://BUCKET/PREFIX (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
        /// AWS_SECRET_ACCESS_KEY) [default: policy/evidence.yaml destinations]
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        dest: Vec<String>,
        /// The local spool (default: OPSBOOK_SPOOL, else this SSOT's own folder NAME-ID under
        /// policy spool.path or %ProgramData%\opsbook\spool)
        #[arg(long, value_name = "DIR")]
        spool: Option<PathBuf>,
    },
    /// Scan files for secrets without collecting them (exit 1 when something is found or a file could not be scanned)
    ///
    /// The same rules and views as `collect` (policy/evidence.yaml when run inside an SSOT).
    /// Reports rule, file, line and column — never the value. Files are scanned in parallel;
    /// files over limits.max_file_bytes are streamed with whole-file line numbers. As in a
    /// bundle, a secret value found in one file is a finding in every other file that holds it
    /// (bare, escaped or encoded). A path or glob that matches nothing is an error (exit 2),
    /// never "clean".
    #[command(after_long_help = "Examples (PowerShell):
  opsbook evidence scan D:\\trading\\logs
  opsbook evidence scan 'D:\\trading\\logs\\*.log' --format json")]
    Scan {
        #[command(flatten)]
        common: SafeCommon,
        /// Files, directories or globs
        #[arg(value_name = "PATH|GLOB", required = true)]
        paths: Vec<String>,
    },
    /// Delete bundles past their retention (policy retention.by_severity); never one of an open incident or under hold
    Prune {
        #[command(flatten)]
        common: SafeCommon,
        /// The destination directory or share to prune
        #[arg(long, value_name = "DIR")]
        dest: PathBuf,
        /// Judge ages against this date (default: today, UTC)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Only list what would be deleted
        #[arg(long)]
        dry_run: bool,
    },
    /// Place (or --release) a hold on a bundle or an incident's bundles: never pruned while held
    Hold {
        #[command(flatten)]
        common: SafeCommon,
        /// Bundle ID (EVB-…) or incident ID
        #[arg(value_name = "TARGET")]
        target: String,
        /// Why (legal hold, dispute, audit)
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        reason: String,
        /// Release the hold instead
        #[arg(long)]
        release: bool,
    },
    /// Create the signing key pair (minisign format); keep the secret key off the SSOT
    Keygen {
        /// Directory for opsbook-evidence.key and opsbook-evidence.pub (default: the user's opsbook config directory)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}
