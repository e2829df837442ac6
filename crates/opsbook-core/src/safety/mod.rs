//! The platform's safety state: the state machine of `policy/degraded.yaml`
//! replayed from `ledger/safety.jsonl`, the actions matrix ([`Machine`],
//! [`Matrix`], [`replay`]), and the hooks that switch the platform
//! ([`hook`]).

pub mod hook;
mod machine;
mod unmet;

pub use crate::policy::Decision;
pub use machine::*;
pub use unmet::{Condition, Unmet, dwell_end, summary};
