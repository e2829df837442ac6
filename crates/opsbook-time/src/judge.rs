//! Thresholds, levels, verdicts and the sign convention of a clock check:
//! pure functions over measured offsets (`policy/time.yaml` `thresholds_ms`
//! and `actions`; spec/time-integrity.md).
//!
//! **Sign convention** (the same as the evidence manifest's
//! `clock_offset_ms`): `offset_ms = reference − local`. Positive: the local
//! clock is **behind** the reference; negative: the local clock is
//! **ahead**. Binance and Bybit reject a signed request stamped 1000 ms or
//! more ahead of their clock, and one stamped more than `recvWindow`
//! (5000 ms) behind it: ahead is five times tighter, which is why the
//! thresholds are applied to |offset| and the sign is reported, not judged.

use serde::{Deserialize, Serialize};

/// Offset thresholds in ms, applied to |offset| (`thresholds_ms` of
/// `policy/time.yaml`). A level is reached **at or above** its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// |offset| at which to warn (P1, run the time-drift runbook).
    pub warn: u64,
    /// |offset| at which new exposure stops (SAFE_MODE).
    pub halt_new_orders: u64,
    /// |offset| at which signed requests fail (HALTED).
    pub critical: u64,
}

impl Thresholds {
    /// The starter policy's values: 250 / 500 / 1000 ms.
    pub const POLICY_DEFAULT: Thresholds = Thresholds {
        warn: 250,
        halt_new_orders: 500,
        critical: 1000,
    };

    /// Checks `1 ≤ warn < halt_new_orders < critical`.
    ///
    /// # Errors
    /// A message naming the thresholds out of order.
    pub fn validate(&self) -> Result<(), String> {
        if self.warn >= 1
            && self.warn < self.halt_new_orders
            && self.halt_new_orders < self.critical
        {
            Ok(())
        } else {
            Err(format!(
                "thresholds_ms must satisfy 1 <= warn < halt_new_orders < critical; got warn {}, halt_new_orders {}, critical {}",
                self.warn, self.halt_new_orders, self.critical
            ))
        }
    }

    /// The level of an offset (ms, either sign).
    #[must_use]
    pub fn level(&self, offset_ms: i64) -> Level {
        let a = offset_ms.unsigned_abs();
        if a >= self.critical {
            Level::Critical
        } else if a >= self.halt_new_orders {
            Level::HaltNewOrders
        } else if a >= self.warn {
            Level::Warn
        } else {
            Level::Ok
        }
    }
}

/// How far a measured offset is over the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Below `warn`.
    Ok,
    /// At or above `warn`.
    Warn,
    /// At or above `halt_new_orders`.
    HaltNewOrders,
    /// At or above `critical`.
    Critical,
}

/// The answer of a whole check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every source judged was measured and below `warn`. Exit 0.
    Ok,
    /// At or above `warn`. Exit 1.
    Warn,
    /// At or above `halt_new_orders` (SAFE_MODE). Exit 1.
    HaltNewOrders,
    /// At or above `critical` (HALTED). Exit 1.
    Critical,
    /// A source the verdict depends on could not be measured and nothing
    /// measured is over a threshold. Never OK. Exit 2.
    Unmeasured,
}

impl Verdict {
    /// The process exit code for this verdict: 0 ok, 1 at or above `warn`
    /// (spec/time-integrity.md rule 7), 2 could not measure.
    #[must_use]
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Ok => 0,
            Verdict::Warn | Verdict::HaltNewOrders | Verdict::Critical => 1,
            Verdict::Unmeasured => 2,
        }
    }

    /// `ok`, `warn`, `halt_new_orders`, `critical`, `unmeasured`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::HaltNewOrders => "halt_new_orders",
            Verdict::Critical => "critical",
            Verdict::Unmeasured => "unmeasured",
        }
    }

    /// The level, when measured.
    #[must_use]
    pub fn level(self) -> Option<Level> {
        match self {
            Verdict::Ok => Some(Level::Ok),
            Verdict::Warn => Some(Level::Warn),
            Verdict::HaltNewOrders => Some(Level::HaltNewOrders),
            Verdict::Critical => Some(Level::Critical),
            Verdict::Unmeasured => None,
        }
    }
}

impl From<Level> for Verdict {
    fn from(l: Level) -> Verdict {
        match l {
            Level::Ok => Verdict::Ok,
            Level::Warn => Verdict::Warn,
            Level::HaltNewOrders => Verdict::HaltNewOrders,
            Level::Critical => Verdict::Critical,
        }
    }
}

/// Which way the local clock is off (see the module's sign convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `offset_ms > 0`: the local clock is behind the reference (the
    /// exchange's `recvWindow`, 5000 ms, is the budget).
    Behind,
    /// `offset_ms < 0`: the local clock is ahead of the reference (the
    /// exchange's 1000 ms ahead limit is the budget).
    Ahead,
    /// `offset_ms == 0`.
    InSync,
}

/// The direction of an offset.
#[must_use]
pub fn direction(offset_ms: i64) -> Direction {
    match offset_ms.signum() {
        1 => Direction::Behind,
        -1 => Direction::Ahead,
        _ => Direction::InSync,
    }
}

/// What to do at one level (`actions` of `policy/time.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Safety state to escalate to (`SAFE_MODE`, `HALTED`), or none.
    pub safety_state: Option<String>,
    /// Notification severity (`P0`, `P1`, `P2`).
    pub notify: String,
}

/// The actions of the three levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actions {
    /// At `warn`.
    pub warn: Action,
    /// At `halt_new_orders`.
    pub halt_new_orders: Action,
    /// At `critical`.
    pub critical: Action,
}

impl Actions {
    /// The action for a level; `None` for [`Level::Ok`].
    #[must_use]
    pub fn for_level(&self, level: Level) -> Option<&Action> {
        match level {
            Level::Ok => None,
            Level::Warn => Some(&self.warn),
            Level::HaltNewOrders => Some(&self.halt_new_orders),
            Level::Critical => Some(&self.critical),
        }
    }
}

/// The median of `xs` (mean of the two middle values for an even count);
/// `None` when empty.
#[must_use]
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(f64::midpoint(v[n / 2 - 1], v[n / 2])),
    }
}

/// Largest minus smallest of `xs`; `None` when empty.
#[must_use]
pub fn spread(xs: &[f64]) -> Option<f64> {
    let lo = xs.iter().copied().reduce(f64::min)?;
    let hi = xs.iter().copied().reduce(f64::max)?;
    Some(hi - lo)
}

/// Whole milliseconds, rounded half away from zero.
#[must_use]
#[allow(clippy::cast_possible_truncation)]
pub fn round_ms(ms: f64) -> i64 {
    ms.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_change_exactly_at_each_threshold_in_both_directions() {
        let t = Thresholds::POLICY_DEFAULT;
        for sign in [1, -1] {
            let l = |ms: i64| t.level(sign * ms);
            assert_eq!(l(0), Level::Ok);
            assert_eq!(l(249), Level::Ok);
            assert_eq!(l(250), Level::Warn);
            assert_eq!(l(499), Level::Warn);
            assert_eq!(l(500), Level::HaltNewOrders);
            assert_eq!(l(999), Level::HaltNewOrders);
            assert_eq!(l(1000), Level::Critical);
            assert_eq!(l(60_000), Level::Critical);
        }
        assert_eq!(t.level(i64::MIN), Level::Critical);
    }

    #[test]
    fn exit_codes_by_verdict() {
        assert_eq!(Verdict::Ok.exit_code(), 0);
        assert_eq!(Verdict::Warn.exit_code(), 1);
        assert_eq!(Verdict::HaltNewOrders.exit_code(), 1);
        assert_eq!(Verdict::Critical.exit_code(), 1);
        assert_eq!(Verdict::Unmeasured.exit_code(), 2);
        assert_eq!(
            serde_json::to_string(&Verdict::HaltNewOrders).unwrap(),
            "\"halt_new_orders\""
        );
    }

    #[test]
    fn sign_convention_positive_is_behind() {
        assert_eq!(direction(12), Direction::Behind);
        assert_eq!(direction(-12), Direction::Ahead);
        assert_eq!(direction(0), Direction::InSync);
    }

    #[test]
    fn thresholds_must_be_ordered() {
        assert!(Thresholds::POLICY_DEFAULT.validate().is_ok());
        let bad = Thresholds {
            warn: 500,
            halt_new_orders: 500,
            critical: 1000,
        };
        assert!(bad.validate().unwrap_err().contains("warn 500"));
        let zero = Thresholds {
            warn: 0,
            halt_new_orders: 1,
            critical: 2,
        };
        assert!(zero.validate().is_err());
    }

    #[test]
    fn median_and_spread() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[-5.0, 100.0, -4.0]), Some(-4.0));
        assert_eq!(spread(&[3.0, -1.0, 2.0]), Some(4.0));
        assert_eq!(spread(&[]), None);
        assert_eq!(round_ms(2.5), 3);
        assert_eq!(round_ms(-2.5), -3);
        assert_eq!(round_ms(-2.4), -2);
    }
}
