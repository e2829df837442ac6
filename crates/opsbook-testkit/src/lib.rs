//! opsbook-testkit: what opsbook's tests stand up instead of the outside
//! world, in one place — SNTP servers with a set or scripted clock offset
//! ([`sntp`]), an exchange's server-time endpoint ([`exchange`]) and a
//! fresh starter SSOT ([`ssot`]). Never shipped (`publish = false`); a
//! dev-dependency only.

pub mod exchange;
pub mod sntp;
pub mod ssot;
