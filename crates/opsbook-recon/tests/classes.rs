#![allow(clippy::unwrap_used)]
//! Every break class, injected at known keys by `synth`, is found exactly.

use std::collections::{BTreeMap, BTreeSet};

use opsbook_recon::synth::{self, Spec};
use opsbook_recon::{Class, Input, Kind, Params, Request, reconcile};

fn params(truth: &synth::Truth) -> Params {
    let mut p = Params::new(jiff::Timestamp::from_millisecond(truth.as_of_ms).unwrap());
    p.exchange_since = Some(jiff::Timestamp::from_millisecond(truth.exchange_since_ms).unwrap());
    p
}

#[test]
fn every_class_is_found_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec::new(20_000, 5);
    let (files, truth) = synth::generate(&spec, dir.path()).unwrap();
    let mut req = Request::new(Kind::Fills, params(&truth));
    req.internal
        .push(Input::new(&files.internal, "opsbook", None).unwrap());
    req.exchange
        .push(Input::new(&files.exchange, "binance-mytrades", None).unwrap());
    req.orders
        .push(Input::new(&files.orders, "opsbook-orders", None).unwrap());
    req.previous_exchange
        .push(Input::new(&files.previous_exchange, "binance-mytrades", None).unwrap());
    let report = reconcile(&req).unwrap();
    let mut got: BTreeMap<Class, BTreeSet<String>> = Class::BREAKS
        .iter()
        .map(|c| (*c, BTreeSet::new()))
        .collect();
    for b in &report.breaks {
        got.entry(b.class)
            .or_default()
            .insert(serde_json::to_string(&b.key).unwrap());
    }
    for c in Class::BREAKS {
        let want = &truth.breaks[&c];
        let have = &got[&c];
        assert_eq!(
            have,
            want,
            "class {c:?}: missing {:?}, extra {:?}",
            want.difference(have).collect::<Vec<_>>(),
            have.difference(want).collect::<Vec<_>>()
        );
    }
    assert_eq!(report.summary.matched, truth.matched);
    assert_eq!(report.summary.rows["internal"], truth.rows.0);
    assert_eq!(report.summary.rows["exchange"], truth.rows.1);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.severity != opsbook_recon::Severity::Error),
        "{:?}",
        report.findings
    );
}
