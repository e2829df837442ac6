//! opsbook-testkit: what opsbook's tests stand up instead of the outside
//! world, in one place — an SNTP server with a set clock offset ([`sntp`])
//! and a fresh starter SSOT ([`ssot`]). Never shipped (`publish = false`);
//! a dev-dependency only.

pub mod sntp;
pub mod ssot;
