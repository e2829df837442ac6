//! `policy/failover.yaml`: failover and failback conditions, fencing, and
//! split-brain detection (D-SW-FAILOVER, D-SW-SPLITBRAIN) (contract
//! `policy-failover`). Read by `opsbook lease` and `failover check` (issue 16).

use serde::{Deserialize, Serialize};

use super::PolicyDoc;
use crate::ssot::layout::PolicyFile;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Failover {
    /// The three modes, for people.
    #[serde(default)]
    pub modes: std::collections::BTreeMap<String, Mode>,
    /// Components and how each may fail over.
    #[serde(default)]
    pub components: Vec<Component>,
    /// Fencing of order writers.
    #[serde(default)]
    pub fencing: Option<Fencing>,
    /// Failover conditions.
    #[serde(default)]
    pub failover: Option<FailoverRule>,
    /// Failback conditions.
    #[serde(default)]
    pub failback: Option<FailbackRule>,
    /// Split-brain detection.
    #[serde(default)]
    pub split_brain: Option<SplitBrain>,
}

impl PolicyDoc for Failover {
    const FILE: PolicyFile = PolicyFile::Failover;
}

/// One mode (`automatic`, `semi_automatic`, `manual`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mode {
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// When it applies.
    #[serde(default)]
    pub conditions: Vec<String>,
}

/// One component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// ID.
    #[serde(default)]
    pub id: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// Its failover mode.
    #[serde(default)]
    pub mode: String,
    /// Places orders or writes the order ledger.
    #[serde(default)]
    pub writes_orders: bool,
    /// Must hold the fencing token.
    #[serde(default)]
    pub fencing_required: bool,
}

/// `fencing`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fencing {
    /// Order writers must hold the token.
    #[serde(default)]
    pub required_for_order_writers: bool,
    /// `lease`.
    #[serde(default)]
    pub mechanism: String,
    /// Lease lifetime, seconds.
    #[serde(default)]
    pub lease_ttl_seconds: u64,
    /// Renewal interval, seconds.
    #[serde(default)]
    pub renew_interval_seconds: u64,
    /// `monotonic_integer`.
    #[serde(default)]
    pub token: String,
    /// What a node that lost its lease does.
    #[serde(default)]
    pub on_lease_lost: String,
    /// A clientOrderId prefix per node.
    #[serde(default)]
    pub client_order_id_prefix_per_node: bool,
    /// The platform declares itself single-instance (no standby): the
    /// `no_split_brain` acceptance check then needs no lease held
    /// (spec/split-brain-prevention.md, D-SW-SPLITBRAIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_instance: Option<SingleInstance>,
}

/// `fencing.single_instance`: one instance of each order writer on one
/// host, no standby.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SingleInstance {
    /// The host the order writers run on.
    #[serde(default)]
    pub host: String,
    /// Why a second instance cannot start.
    #[serde(default)]
    pub reason: String,
}

/// `failover`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverRule {
    /// Danger tier.
    #[serde(default)]
    pub tier: String,
    /// The safety state it needs at least.
    #[serde(default)]
    pub min_safety_state: String,
    /// Seconds the primary must be down.
    #[serde(default)]
    pub primary_down_confirm_seconds: u64,
    /// Observers that must agree.
    #[serde(default)]
    pub independent_observers: u32,
    /// What must hold first.
    #[serde(default)]
    pub preconditions: Vec<String>,
}

/// `failback`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailbackRule {
    /// Danger tier.
    #[serde(default)]
    pub tier: String,
    /// Safety states it is allowed in.
    #[serde(default)]
    pub allowed_states: Vec<String>,
    /// Minutes stable on the standby first.
    #[serde(default)]
    pub min_stable_minutes_on_standby: u64,
    /// What it needs.
    #[serde(default)]
    pub requires: Vec<String>,
}

/// `split_brain`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitBrain {
    /// How it is detected, for people.
    #[serde(default)]
    pub detection: Vec<String>,
    /// The safety state on detection.
    #[serde(default)]
    pub on_detect: String,
}
