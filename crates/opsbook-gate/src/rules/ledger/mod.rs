//! `OB8xx`: ledgers (D-INC-LEDGER): chains, incident logs, postmortems, the safety ledger.

pub mod amended;
pub mod chain;
pub mod incident;
pub mod postmortem;
pub mod safety;
pub mod secrets;

pub use amended::POSTMORTEM_EDITED_AFTER_CLOSE;
pub use chain::LEDGER_BROKEN;
pub use incident::{CLOSED_WITHOUT_POSTMORTEM, INCIDENT_EVENT_CONTRACT, INCIDENT_ORDER};
pub use postmortem::{
    ACTION_ITEM_DONE_WITHOUT_REF, ACTION_ITEM_LONG_OVERDUE, ACTION_ITEM_OVERDUE,
    ACTION_ITEM_UNKNOWN_TARGET, ACTION_ITEM_VAGUE,
};
pub use safety::SAFETY_ORDER;
pub use secrets::SECRET_IN_RECORD;

use crate::rules::Rule;

/// The rules of this family, sorted by code.
pub const RULES: &[&Rule] = &[
    LEDGER_BROKEN,
    INCIDENT_EVENT_CONTRACT,
    INCIDENT_ORDER,
    CLOSED_WITHOUT_POSTMORTEM,
    ACTION_ITEM_VAGUE,
    ACTION_ITEM_UNKNOWN_TARGET,
    ACTION_ITEM_DONE_WITHOUT_REF,
    ACTION_ITEM_OVERDUE,
    ACTION_ITEM_LONG_OVERDUE,
    SAFETY_ORDER,
    SECRET_IN_RECORD,
    POSTMORTEM_EDITED_AFTER_CLOSE,
];
