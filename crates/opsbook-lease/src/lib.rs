//! opsbook-lease: split-brain fencing (seed §2.1.5 Split-brain防止 二重起動・
//! 二重実行・二重書込み, §5.1; spec/split-brain-prevention.md,
//! `policy/failover.yaml`; D-SW-SPLITBRAIN, D-SW-FAILOVER).
//!
//! One active holder per lease name, with a fencing token that only grows
//! and that the trading process passes with every write ([`Leases`]; how a
//! bot uses it: `docs/lease.md`). Two backends behind one [`Store`]
//! contract: [`LocalStore`] (a file and a sidecar lock, for one host) and
//! [`s3::S3Store`] (conditional writes on S3-compatible storage, so two
//! hosts can never both hold a lease). The expiry rule — monotonic for the
//! holder, wall clock plus a safety margin for everyone else — is in
//! [`model`]. Every acquire, renewal, expiry observed, release, takeover
//! and refused claim is an event in `ledger/lease.jsonl` ([`events`]);
//! [`split_brain::assess`] reads it back for the `no_split_brain` recovery
//! check, and [`failover`] evaluates the failover and failback safety
//! conditions.
//!
//! The CLI and the ops layer stay thin: build a store and [`Leases`] from
//! the SSOT and the flags, call one operation, render the result or the
//! error, exit with [`LeaseError::exit_code`]. This crate never reads
//! policy files and never prints.

pub mod events;
pub mod failover;
pub mod model;
#[cfg(feature = "s3")]
pub mod s3;
mod service;
pub mod split_brain;
pub mod store;

pub use model::{State, Status, Timing};
pub use service::{Clock, Lease, LeaseError, Leases, Previous, Release, Renewal};
pub use store::{LocalStore, Store, StoreError, Stored, Version};
