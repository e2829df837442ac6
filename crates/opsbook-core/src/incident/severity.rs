//! Objective severity (seed §3.1 "主観排除", §4.1.3; DESIGN §3.2).
//!
//! `policy/severity.yaml` holds typed `facts` and `rules`; each rule's `when`
//! is a conjunction of conditions on facts: a literal (equality) or an object
//! of operators (`eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in`) that must all
//! hold. The most severe matching rule wins (P0 > P1 > P2), ties go to the
//! rule that comes first. With `missing_facts: escalate` (the default), a
//! condition on a fact that was not stated counts as true and the fact is
//! listed: an unknown can raise severity but never lower it. No match gives
//! `default_severity`.

use std::collections::BTreeMap;

use serde_json::Value;

/// A stated fact value.
pub type Facts = BTreeMap<String, Value>;

/// The declared type of a fact.
#[derive(Debug, Clone, PartialEq)]
pub enum FactType {
    /// A number (unit in the policy).
    Number,
    /// `true` / `false`.
    Boolean,
    /// One of the listed values.
    Enum(Vec<String>),
    /// Anything (undeclared type).
    Any,
}

/// A rule that matched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Match {
    /// Rule ID, e.g. `SEV-P0-LOSS`.
    pub rule: String,
    /// P0 | P1 | P2.
    pub severity: String,
    /// Why the threshold is what it is.
    pub rationale: String,
    /// Facts the rule needed that were not stated (counted as true).
    pub assumed: Vec<String>,
}

/// The classification.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Classification {
    /// The resulting severity.
    pub severity: String,
    /// The rule that decided it (`None` when the default applied).
    pub rule: Option<String>,
    /// Its rationale.
    pub rationale: Option<String>,
    /// Facts assumed by the deciding rule because they were not stated.
    pub assumed: Vec<String>,
    /// Every matching rule, most severe first.
    pub matches: Vec<Match>,
}

/// Why facts or the policy are unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeverityError {
    /// A fact that the policy does not declare.
    #[error("unknown fact `{name}`; the policy declares: {known}")]
    UnknownFact {
        /// The fact.
        name: String,
        /// Declared facts, comma-separated.
        known: String,
    },
    /// A value of the wrong type.
    #[error("fact `{name}`: `{value}` is not {expected}")]
    BadValue {
        /// The fact.
        name: String,
        /// The value as given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// `KEY=VALUE` expected.
    #[error("`{0}` is not KEY=VALUE")]
    Syntax(String),
    /// The policy lacks `rules`.
    #[error("policy/severity.yaml has no `rules` list")]
    NoRules,
    /// A negative number the rules cannot judge: they compare the fact
    /// only with lower bounds of zero or more, so its sign would silently
    /// lower the severity (issue 13: `clock_offset_ms=-1200`).
    #[error(
        "fact `{name}`: {value} is negative, but policy/severity.yaml compares `{name}` only with bounds of zero or more ({bounds}): the sign would match no rule and lower the severity. State its magnitude ({name}={magnitude}); note the direction in the incident"
    )]
    Sign {
        /// The fact.
        name: String,
        /// The value as given.
        value: String,
        /// Its magnitude.
        magnitude: String,
        /// The rules' bounds on it, e.g. `gte 1000, gte 500`.
        bounds: String,
    },
}

/// The severity policy, read from `policy/severity.yaml`.
#[derive(Debug, Clone)]
pub struct Policy {
    facts: BTreeMap<String, FactType>,
    rules: Vec<crate::policy::RuleDecl>,
    default: String,
    escalate_missing: bool,
}

fn rank(sev: &str) -> u8 {
    match sev {
        "P0" => 0,
        "P1" => 1,
        _ => 2,
    }
}

impl Policy {
    /// The classifier of `policy/severity.yaml`.
    ///
    /// # Errors
    /// [`SeverityError::NoRules`] when there are no rules.
    pub fn from_policy(p: &crate::policy::Severity) -> Result<Policy, SeverityError> {
        if p.rules.is_empty() {
            return Err(SeverityError::NoRules);
        }
        let facts = p
            .facts
            .iter()
            .map(|(k, d)| {
                let t = match d.kind.as_deref() {
                    Some("number") => FactType::Number,
                    Some("boolean") => FactType::Boolean,
                    Some("enum") => FactType::Enum(d.values.clone()),
                    _ => FactType::Any,
                };
                (k.clone(), t)
            })
            .collect();
        Ok(Policy {
            facts,
            rules: p.rules.clone(),
            default: p.default_severity.clone().unwrap_or_else(|| "P2".into()),
            escalate_missing: p.missing_facts.as_deref().unwrap_or("escalate") == "escalate",
        })
    }

    /// [`Policy::from_policy`] over a value already parsed.
    ///
    /// # Errors
    /// [`SeverityError::NoRules`] when the value is not the policy's shape
    /// or has no rules.
    pub fn from_value(v: &Value) -> Result<Policy, SeverityError> {
        let p: crate::policy::Severity =
            serde_json::from_value(v.clone()).map_err(|_| SeverityError::NoRules)?;
        Policy::from_policy(&p)
    }

    /// Parses `KEY=VALUE` by the fact's declared type (`true`/`false`,
    /// numbers, enum values; `yes`/`no` and `1`/`0` for booleans too).
    ///
    /// # Errors
    /// [`SeverityError`] for an unknown fact, a bad value or bad syntax.
    pub fn parse_fact(&self, kv: &str) -> Result<(String, Value), SeverityError> {
        let (k, raw) = kv
            .split_once('=')
            .ok_or_else(|| SeverityError::Syntax(kv.to_string()))?;
        let (k, raw) = (k.trim(), raw.trim());
        let Some(t) = self.facts.get(k) else {
            if self.facts.is_empty() {
                return Ok((k.to_string(), guess(raw)));
            }
            return Err(SeverityError::UnknownFact {
                name: k.to_string(),
                known: self.facts.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        let bad = |expected: String| SeverityError::BadValue {
            name: k.to_string(),
            value: raw.to_string(),
            expected,
        };
        let v = match t {
            FactType::Number => {
                let n = raw
                    .replace('_', "")
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| bad("a number".into()))?;
                if n < 0.0 {
                    self.judge_sign(k, raw, n)?;
                }
                serde_json::Number::from_f64(n)
                    .map(Value::Number)
                    .ok_or_else(|| bad("a number".into()))?
            }
            FactType::Boolean => match raw.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Value::Bool(true),
                "false" | "no" | "0" => Value::Bool(false),
                _ => return Err(bad("true or false".into())),
            },
            FactType::Enum(values) => {
                if values.iter().any(|x| x == raw) {
                    Value::String(raw.to_string())
                } else {
                    return Err(bad(format!("one of {}", values.join(", "))));
                }
            }
            FactType::Any => guess(raw),
        };
        Ok((k.to_string(), v))
    }

    /// A negative `value` of number fact `k` is judged only when some rule
    /// compares it with an upper bound or a negative bound; when every
    /// comparison is a lower bound of zero or more, its sign cannot be
    /// judged ([`SeverityError::Sign`]).
    fn judge_sign(&self, k: &str, raw: &str, n: f64) -> Result<(), SeverityError> {
        let mut bounds = Vec::new();
        for r in &self.rules {
            let Some(cond) = r.when.get(k) else { continue };
            let Some(ops) = cond.as_object() else {
                // A literal: equality judges any sign.
                return Ok(());
            };
            for (op, x) in ops {
                let lower = matches!(op.as_str(), "gt" | "gte");
                if !lower || num(x).is_none_or(|b| b < 0.0) {
                    return Ok(());
                }
                bounds.push(format!("{op} {x}"));
            }
        }
        if bounds.is_empty() {
            return Ok(());
        }
        Err(SeverityError::Sign {
            name: k.to_string(),
            value: raw.to_string(),
            magnitude: format!("{}", n.abs()),
            bounds: bounds.join(", "),
        })
    }

    /// Checks facts given as JSON (`--facts FILE`) against the declared types.
    ///
    /// # Errors
    /// As [`Policy::parse_fact`].
    pub fn check_facts(&self, facts: &Facts) -> Result<Facts, SeverityError> {
        let mut out = Facts::new();
        for (k, v) in facts {
            let raw = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let (k, v) = self.parse_fact(&format!("{k}={raw}"))?;
            out.insert(k, v);
        }
        Ok(out)
    }

    /// Classifies stated facts.
    #[must_use]
    pub fn classify(&self, facts: &Facts) -> Classification {
        let mut matches = Vec::new();
        for r in &self.rules {
            if r.when.is_empty() {
                continue;
            }
            let mut assumed = Vec::new();
            let holds = r.when.iter().all(|(fact, cond)| match facts.get(fact) {
                Some(v) => condition(v, cond),
                None => {
                    assumed.push(fact.clone());
                    self.escalate_missing
                }
            });
            if holds {
                matches.push(Match {
                    rule: if r.id.is_empty() {
                        "?".into()
                    } else {
                        r.id.clone()
                    },
                    severity: if r.severity.is_empty() {
                        "P2".into()
                    } else {
                        r.severity.clone()
                    },
                    rationale: r.rationale.clone(),
                    assumed,
                });
            }
        }
        // Stable: ties keep file order (the recorded `rule` never changes;
        // front ends name the rule matched on stated facts first).
        matches.sort_by_key(|m| rank(&m.severity));
        match matches.first() {
            Some(m) => Classification {
                severity: m.severity.clone(),
                rule: Some(m.rule.clone()),
                rationale: Some(m.rationale.clone()),
                assumed: m.assumed.clone(),
                matches,
            },
            None => Classification {
                severity: self.default.clone(),
                rule: None,
                rationale: None,
                assumed: Vec::new(),
                matches,
            },
        }
    }
}

fn guess(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => raw
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(raw.to_string()), Value::Number),
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn condition(v: &Value, cond: &Value) -> bool {
    let Some(ops) = cond.as_object() else {
        return equal(v, cond);
    };
    ops.iter().all(|(op, x)| match op.as_str() {
        "eq" => equal(v, x),
        "ne" => !equal(v, x),
        "gt" => matches!((num(v), num(x)), (Some(a), Some(b)) if a > b),
        "gte" => matches!((num(v), num(x)), (Some(a), Some(b)) if a >= b),
        "lt" => matches!((num(v), num(x)), (Some(a), Some(b)) if a < b),
        "lte" => matches!((num(v), num(x)), (Some(a), Some(b)) if a <= b),
        "in" => x.as_array().is_some_and(|a| a.iter().any(|y| equal(v, y))),
        _ => false,
    })
}

fn equal(a: &Value, b: &Value) -> bool {
    match (num(a), num(b)) {
        (Some(x), Some(y)) => (x - y).abs() < f64::EPSILON,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> Policy {
        Policy::from_value(&json!({
            "missing_facts": "escalate",
            "default_severity": "P2",
            "facts": {
                "mode": {"type": "enum", "values": ["live", "paper"]},
                "loss": {"type": "number"},
                "halted": {"type": "boolean"}
            },
            "rules": [
                {"id": "SEV-P1-LOSS", "severity": "P1", "when": {"mode": "live", "loss": {"gte": 100}}, "rationale": "r1"},
                {"id": "SEV-P0-LOSS", "severity": "P0", "when": {"mode": "live", "loss": {"gte": 1000}}, "rationale": "r0"},
                {"id": "SEV-P1-HALT", "severity": "P1", "when": {"halted": true, "mode": {"in": ["live"]}}, "rationale": "r2"}
            ]
        }))
        .unwrap()
    }

    fn facts(p: &Policy, kv: &[&str]) -> Facts {
        kv.iter().map(|s| p.parse_fact(s).unwrap()).collect()
    }

    #[test]
    fn most_severe_match_wins_and_names_the_rule() {
        let p = policy();
        let c = p.classify(&facts(&p, &["mode=live", "loss=1500", "halted=false"]));
        assert_eq!(
            (c.severity.as_str(), c.rule.as_deref()),
            ("P0", Some("SEV-P0-LOSS"))
        );
        assert_eq!(c.matches.len(), 2);
        let c = p.classify(&facts(&p, &["mode=live", "loss=150", "halted=false"]));
        assert_eq!(c.rule.as_deref(), Some("SEV-P1-LOSS"));
        let c = p.classify(&facts(&p, &["mode=paper", "loss=5000", "halted=true"]));
        assert_eq!(
            (c.severity.as_str(), c.rule),
            ("P2", None),
            "paper mode: default"
        );
    }

    #[test]
    fn missing_facts_escalate_and_are_listed() {
        let p = policy();
        let c = p.classify(&facts(&p, &["mode=live"]));
        assert_eq!(c.severity, "P0");
        assert_eq!(c.assumed, vec!["loss".to_string()]);
        let c = p.classify(&facts(&p, &["mode=live", "loss=0", "halted=no"]));
        assert_eq!(c.severity, "P2", "stating the facts lowers it");
    }

    #[test]
    fn facts_are_typed() {
        let p = policy();
        assert!(matches!(
            p.parse_fact("mode=liv"),
            Err(SeverityError::BadValue { .. })
        ));
        assert!(matches!(
            p.parse_fact("loss=lots"),
            Err(SeverityError::BadValue { .. })
        ));
        assert!(matches!(
            p.parse_fact("halted=maybe"),
            Err(SeverityError::BadValue { .. })
        ));
        assert!(matches!(
            p.parse_fact("los=1"),
            Err(SeverityError::UnknownFact { .. })
        ));
        assert!(matches!(
            p.parse_fact("loss"),
            Err(SeverityError::Syntax(_))
        ));
        assert_eq!(p.parse_fact("loss=1_000").unwrap().1, json!(1000.0));
    }
}
