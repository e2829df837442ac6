//! The platform's safety state as recorded: the state machine of
//! `policy/degraded.yaml`, the state replayed from `ledger/safety.jsonl`,
//! the actions matrix. Read by the safety, freeze and confirmation
//! operations alike.

use opsbook_core::layout::LedgerFile;
use opsbook_core::policy::{Degraded, SafetyMatrix};
use opsbook_core::safety::{self, Current, Machine, Matrix};

use crate::{Context, OpsError};

/// The state machine of `policy/degraded.yaml`.
///
/// # Errors
/// The policy cannot be read, or has no states.
pub fn machine(ctx: &Context) -> Result<Machine, OpsError> {
    let d: Degraded = ctx.policy()?;
    Machine::from_policy(&d).map_err(OpsError::Other)
}

/// The machine, and the current state (a snapshot, without the lock).
///
/// # Errors
/// The policy or the safety ledger cannot be read.
pub fn current(ctx: &Context) -> Result<(Machine, Current), OpsError> {
    let m = machine(ctx)?;
    let cur = safety::replay(
        &m,
        &opsbook_core::ledger::read(&ctx.layout.ledger(LedgerFile::Safety))?,
    );
    Ok((m, cur))
}

/// The safety actions matrix.
///
/// # Errors
/// The policy cannot be read.
pub fn matrix(ctx: &Context) -> Result<Matrix, OpsError> {
    Ok(Matrix::from_policy(&ctx.policy::<SafetyMatrix>()?))
}
