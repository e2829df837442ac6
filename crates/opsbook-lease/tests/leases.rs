//! Lease operations in one process, on both backends (the local file store
//! and the object-store backend over `object_store`'s in-memory store, which
//! enforces the same conditional writes as S3), with the ledger they write.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use opsbook_core::ledger::{self, Actor};
use opsbook_lease::events::LeaseEvent;
use opsbook_lease::s3::S3Store;
use opsbook_lease::split_brain::{self, ProblemKind, SplitBrainParams};
use opsbook_lease::{Lease, LeaseError, Leases, LocalStore, State, Store, Timing};

const T0: i64 = 1_796_000_000_000;

fn actor(host: &str) -> Actor {
    Actor {
        user: "op".into(),
        host: host.into(),
        name: None,
    }
}

/// A service whose wall clock reads `clock` (ms since epoch).
fn leases(store: Box<dyn Store>, ledger: &Path, clock: &Arc<AtomicI64>) -> Leases {
    let c = Arc::clone(clock);
    Leases::new(
        store,
        ledger.to_path_buf(),
        actor("trade-01"),
        Timing::default(),
    )
    .with_clock(Arc::new(move || {
        Timestamp::from_millisecond(c.load(Ordering::SeqCst)).unwrap()
    }))
}

/// A service at T0 that has granted `order-gateway` to n1 (token 1).
fn granted(store: Box<dyn Store>, ledger: &Path) -> (Arc<AtomicI64>, Leases, Lease) {
    let clock = Arc::new(AtomicI64::new(T0));
    let l = leases(store, ledger, &clock);
    let a = l
        .acquire("order-gateway", "n1", Duration::from_secs(30))
        .unwrap();
    (clock, l, a)
}

/// Both backends, each with its own ledger, plus the directory they live in.
fn backends() -> Vec<(tempfile::TempDir, Box<dyn Store>, PathBuf)> {
    let local = tempfile::tempdir().unwrap();
    let l = Box::new(LocalStore::new(&local.path().join("leases"))) as Box<dyn Store>;
    let lp = local.path().join("ledger").join("lease.jsonl");
    let mem = tempfile::tempdir().unwrap();
    let s = S3Store::with_store(
        Arc::new(object_store::memory::InMemory::new()),
        "leases/",
        "s3://memory/leases",
    )
    .unwrap();
    s.self_test().unwrap();
    let mp = mem.path().join("ledger").join("lease.jsonl");
    vec![(local, l, lp), (mem, Box::new(s), mp)]
}

fn kinds(ledger: &Path) -> Vec<String> {
    ledger::read(ledger)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn one_holder_at_a_time_and_a_second_acquire_is_refused_with_who_and_since() {
    for (_d, store, lp) in backends() {
        let (clock, l, a) = granted(store, &lp);
        assert_eq!(a.token, 1);
        assert_eq!(a.valid_for_ms, 28_000);
        assert!(a.is_valid());
        assert_eq!(a.expires_at.as_millisecond(), T0 + 30_000);
        clock.fetch_add(5_000, Ordering::SeqCst);
        let e = l
            .acquire("order-gateway", "n2", Duration::from_secs(30))
            .unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let LeaseError::Held {
            status, claimant, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(claimant, "n2");
        assert_eq!(e.status(), Some(&**status));
        assert_eq!(status.holder.as_deref(), Some("n1"));
        assert_eq!(status.token, Some(1));
        assert_eq!(status.since.unwrap().as_millisecond(), T0);
        assert_eq!(status.takeover_at.unwrap().as_millisecond(), T0 + 32_000);
        let msg = e.to_string();
        assert!(
            msg.contains("held by n1") && msg.contains("since 2026-") && msg.contains("token 1"),
            "{msg}"
        );
        // The same holder ID is refused too: two instances never share.
        let e = l
            .acquire("order-gateway", "n1", Duration::from_secs(30))
            .unwrap_err();
        assert!(e.to_string().contains("second instance"), "{e}");
        // Another name is independent.
        assert_eq!(
            l.acquire("trading-engine", "n2", Duration::from_secs(30))
                .unwrap()
                .token,
            1
        );
        assert_eq!(
            kinds(&lp),
            [
                "lease_acquired",
                "lease_refused",
                "lease_refused",
                "lease_acquired"
            ]
        );
        assert!(ledger::verify(&lp).unwrap().ok());
    }
}

#[test]
fn renew_release_and_stale_tokens() {
    for (_d, store, lp) in backends() {
        let (clock, l, a) = granted(store, &lp);
        clock.fetch_add(10_000, Ordering::SeqCst);
        let r = l
            .renew("order-gateway", "n1", a.token, Duration::from_secs(30))
            .unwrap();
        assert_eq!(r.lease.token, 1);
        assert_eq!(r.lease.expires_at.as_millisecond(), T0 + 40_000);
        assert_eq!(r.ledger_warning, None);
        // A wrong token or another holder: stale, exit 1, nothing written.
        for (holder, token) in [("n1", 2), ("n2", 1)] {
            let e = l
                .renew("order-gateway", holder, token, Duration::from_secs(30))
                .unwrap_err();
            assert!(matches!(e, LeaseError::Stale { .. }), "{e:?}");
            assert_eq!(e.exit_code(), 1);
        }
        assert_eq!(
            l.check("order-gateway", 1, Some("n1")).unwrap().state,
            State::Held
        );
        assert!(l.check("order-gateway", 1, Some("n2")).is_err());
        // Another holder's release (even with the current token) names who holds it.
        let e = l.release("order-gateway", "n2", 1).unwrap_err();
        assert!(matches!(e, LeaseError::Stale { .. }), "{e}");
        let m = e.to_string();
        assert!(
            m.starts_with("lease `order-gateway` is held by n1 (host trade-01) since ")
                && m.contains("with token 1, not by n2; it expires at ")
                && m.contains("Only n1 can renew or release it"),
            "{m}"
        );
        assert!(!m.contains("stale"), "{m}");
        assert_eq!(l.status("order-gateway").unwrap().state, State::Held);
        let rel = l.release("order-gateway", "n1", 1).unwrap();
        assert!(!rel.already_released && !rel.was_expired);
        assert!(
            l.release("order-gateway", "n1", 1)
                .unwrap()
                .already_released
        );
        assert_eq!(l.status("order-gateway").unwrap().state, State::Released);
        // The released token is stale for writes and renewals.
        let e = l.check("order-gateway", 1, None).unwrap_err();
        assert!(e.to_string().contains("was released"), "{e}");
        assert!(matches!(
            l.renew("order-gateway", "n1", 1, Duration::from_secs(30)),
            Err(LeaseError::Stale { .. })
        ));
        // The next grant gets a higher token; the old one stays stale.
        let b = l
            .acquire("order-gateway", "n2", Duration::from_secs(30))
            .unwrap();
        assert_eq!(b.token, 2);
        assert!(b.took_over.is_none());
        let e = l.check("order-gateway", 1, None).unwrap_err();
        assert!(
            e.to_string().contains("current token is 2, holder n2"),
            "{e}"
        );
        // A check that names no holder does not invent one.
        assert!(
            e.to_string()
                .starts_with("token 1 is stale for lease `order-gateway`"),
            "{e}"
        );
        assert!(matches!(
            l.release("order-gateway", "n1", 1),
            Err(LeaseError::Stale { .. })
        ));
        assert_eq!(
            kinds(&lp),
            [
                "lease_acquired",
                "lease_renewed",
                "lease_released",
                "lease_acquired"
            ]
        );
    }
}

#[test]
fn takeover_only_after_expiry_plus_margin_and_late_renewals_are_refused() {
    for (_d, store, lp) in backends() {
        let (clock, l, _) = granted(store, &lp);
        // At expiry and inside the 2 s margin: still refused.
        for at in [30_000, 31_999] {
            clock.store(T0 + at, Ordering::SeqCst);
            let e = l
                .acquire("order-gateway", "n2", Duration::from_secs(30))
                .unwrap_err();
            let LeaseError::Held { status, .. } = e else {
                panic!()
            };
            assert_eq!(status.state, State::Expiring, "{at}");
        }
        // The holder's own renewal at expiry is refused: it must stop.
        clock.store(T0 + 30_000, Ordering::SeqCst);
        let e = l
            .renew("order-gateway", "n1", 1, Duration::from_secs(30))
            .unwrap_err();
        assert!(matches!(e, LeaseError::Expired { .. }), "{e:?}");
        assert!(e.to_string().contains("stop sending orders"), "{e}");
        // From expires_at + margin: taken over with the next token.
        clock.store(T0 + 32_000, Ordering::SeqCst);
        let b = l
            .acquire("order-gateway", "n2", Duration::from_secs(30))
            .unwrap();
        assert_eq!(b.token, 2);
        let p = b.took_over.as_ref().unwrap();
        assert_eq!((p.holder.as_str(), p.token), ("n1", 1));
        assert_eq!(p.expires_at.as_millisecond(), T0 + 30_000);
        // The old holder is stale now whatever its clock says.
        clock.store(T0 + 1_000, Ordering::SeqCst);
        assert!(matches!(
            l.renew("order-gateway", "n1", 1, Duration::from_secs(30)),
            Err(LeaseError::Stale { .. })
        ));
        let events = ledger::read(&lp).unwrap();
        let k: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            k,
            [
                "lease_acquired",
                "lease_refused",
                "lease_refused",
                "lease_expired",
                "lease_expired",
                "lease_taken_over"
            ]
        );
        let Some(Ok(LeaseEvent::Expired(x))) = LeaseEvent::from_event(&events[3]) else {
            panic!()
        };
        assert_eq!(x.observed_by, "n1");
        assert_eq!(
            serde_json::to_value(x.rule).unwrap(),
            "holder",
            "the late renewal"
        );
        let Some(Ok(LeaseEvent::TakenOver(t))) = LeaseEvent::from_event(&events[5]) else {
            panic!()
        };
        assert_eq!((t.previous_token, t.granted.token), (1, 2));
        assert_eq!(serde_json::to_value(t.rule).unwrap(), "wall_clock");
    }
}

#[test]
fn the_holder_stops_by_its_monotonic_clock_before_others_may_take_over() {
    let d = tempfile::tempdir().unwrap();
    let l = Leases::new(
        Box::new(LocalStore::new(d.path())),
        d.path().join("lease.jsonl"),
        actor("trade-01"),
        Timing {
            margin: Duration::from_millis(400),
        },
    );
    let a = l
        .acquire("order-gateway", "n1", Duration::from_millis(1000))
        .unwrap();
    assert_eq!(a.valid_for_ms, 600);
    assert!(a.is_valid());
    assert!(a.remaining() <= Duration::from_millis(600));
    std::thread::sleep(Duration::from_millis(650));
    assert!(!a.is_valid(), "ttl - margin has passed");
    assert_eq!(a.remaining(), Duration::ZERO);
    // Others cannot take over yet: expires_at + margin is 1400 ms away.
    assert!(matches!(
        l.acquire("order-gateway", "n2", Duration::from_secs(5)),
        Err(LeaseError::Held { .. })
    ));
}

#[test]
fn a_waiting_standby_takes_over_by_watching_the_record_on_its_monotonic_clock() {
    // The standby's wall clock is 10 minutes behind: by the wall-clock rule
    // the lease would not expire for 10 more minutes. Watching the record
    // unchanged for ttl + margin is enough.
    let d = tempfile::tempdir().unwrap();
    let timing = Timing {
        margin: Duration::from_millis(200),
    };
    let primary = Leases::new(
        Box::new(LocalStore::new(d.path())),
        d.path().join("lease.jsonl"),
        actor("trade-01"),
        timing,
    );
    let a = primary
        .acquire("order-gateway", "n1", Duration::from_millis(800))
        .unwrap();
    let standby = Leases::new(
        Box::new(LocalStore::new(d.path())),
        d.path().join("lease.jsonl"),
        actor("trade-02"),
        timing,
    )
    .with_clock(Arc::new(|| {
        Timestamp::now() - jiff::SignedDuration::from_secs(600)
    }));
    let start = std::time::Instant::now();
    let b = standby
        .acquire_wait(
            "order-gateway",
            "n2",
            Duration::from_millis(800),
            Duration::from_secs(5),
            Duration::from_millis(50),
        )
        .unwrap();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(1000), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(b.token, a.token + 1);
    assert_eq!(
        serde_json::to_value(b.took_over.unwrap().rule).unwrap(),
        "monotonic"
    );
    // Only the first refusal of the wait is recorded.
    let k = kinds(&d.path().join("lease.jsonl"));
    assert_eq!(
        k,
        [
            "lease_acquired",
            "lease_refused",
            "lease_expired",
            "lease_taken_over"
        ]
    );
}

#[test]
fn a_lost_record_never_restarts_the_tokens() {
    let d = tempfile::tempdir().unwrap();
    let store = LocalStore::new(&d.path().join("leases"));
    let path = store.record_path("order-gateway");
    let lp = d.path().join("lease.jsonl");
    let clock = Arc::new(AtomicI64::new(T0));
    let l = leases(Box::new(store), &lp, &clock);
    for t in 1..=3 {
        let a = l
            .acquire("order-gateway", "n1", Duration::from_secs(30))
            .unwrap();
        assert_eq!(a.token, t);
        l.release("order-gateway", "n1", t).unwrap();
    }
    std::fs::remove_file(&path).unwrap();
    let a = l
        .acquire("order-gateway", "n1", Duration::from_secs(30))
        .unwrap();
    assert_eq!(a.token, 4, "the ledger's highest token is the floor");
}

#[test]
fn a_damaged_record_is_an_error_never_a_free_lease() {
    let d = tempfile::tempdir().unwrap();
    let store = LocalStore::new(d.path());
    let path = store.record_path("order-gateway");
    let lp = d.path().join("lease.jsonl");
    let (_, l, _) = granted(Box::new(store), &lp);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let e = l
        .acquire("order-gateway", "n2", Duration::from_secs(30))
        .unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let m = e.to_string();
    assert!(
        m.contains("order-gateway.lease.json") && m.contains("never delete it"),
        "{m}"
    );
    assert!(l.status("order-gateway").is_err());
    // A record written by PowerShell 5.1 (UTF-16LE with BOM, CRLF) reads.
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.replace('\n', "\r\n").encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(l.status("order-gateway").unwrap().token, Some(1));
}

#[test]
fn a_grant_the_ledger_cannot_record_is_withdrawn() {
    for (_d, store, lp) in backends() {
        let (_, l, _) = granted(store, &lp);
        l.release("order-gateway", "n1", 1).unwrap();
        // A torn last line (a crash mid-append) blocks appends.
        let mut f = std::fs::OpenOptions::new().append(true).open(&lp).unwrap();
        std::io::Write::write_all(&mut f, b"{\"seq\":3,").unwrap();
        drop(f);
        let e = l
            .acquire("order-gateway", "n2", Duration::from_secs(30))
            .unwrap_err();
        let LeaseError::Unrecorded {
            token, withdrawn, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!((*token, *withdrawn), (2, true));
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("withdrawn"), "{e}");
        assert!(
            matches!(
                e.next(),
                Some(opsbook_core::next::NextStep::RepairLedger { ref path })
                    if path.ends_with("lease.jsonl")
            ),
            "{:?}",
            e.next()
        );
        let s = l.status("order-gateway").unwrap();
        assert_eq!((s.state, s.token), (State::Released, Some(2)));
        ledger::repair(&lp, &actor("trade-01"), Timestamp::now()).unwrap();
        assert_eq!(
            l.acquire("order-gateway", "n2", Duration::from_secs(30))
                .unwrap()
                .token,
            3
        );
    }
}

#[test]
fn bad_input_is_refused_before_anything_is_written() {
    let d = tempfile::tempdir().unwrap();
    let lp = d.path().join("lease.jsonl");
    let clock = Arc::new(AtomicI64::new(T0));
    let l = leases(Box::new(LocalStore::new(d.path())), &lp, &clock);
    for (name, holder, ttl) in [
        ("Order Gateway", "n1", 30_000),
        ("order-gateway", "", 30_000),
        ("order-gateway", "n1", 3_000),
    ] {
        let e = l
            .acquire(name, holder, Duration::from_millis(ttl))
            .unwrap_err();
        assert!(matches!(e, LeaseError::Invalid(_)), "{e:?}");
        assert_eq!(e.exit_code(), 2);
    }
    assert!(!lp.exists());
}

#[test]
fn two_hosts_on_separate_local_stores_show_up_as_split_brain_in_the_ledger() {
    // The misconfiguration the shared backend exists for: each host with
    // its own local store, both writing one shared ledger.
    let d = tempfile::tempdir().unwrap();
    let lp = d.path().join("lease.jsonl");
    let host = |dir: &str, name: &str| {
        Leases::new(
            Box::new(LocalStore::new(&d.path().join(dir))),
            lp.clone(),
            actor(name),
            Timing::default(),
        )
    };
    let (host1, host2) = (host("h1", "trade-01"), host("h2", "trade-02"));
    host1
        .acquire("order-gateway", "n1", Duration::from_secs(30))
        .unwrap();
    host2
        .acquire("order-gateway", "n2", Duration::from_secs(30))
        .unwrap();
    host1
        .renew("order-gateway", "n1", 1, Duration::from_secs(30))
        .unwrap();
    let p = SplitBrainParams {
        required: vec!["order-gateway".into(), "trading-engine".into()],
        since: None,
        now: Timestamp::now(),
    };
    let r = split_brain::assess(&ledger::read(&lp).unwrap(), &p);
    assert!(!r.ok);
    let og = r.leases.iter().find(|l| l.name == "order-gateway").unwrap();
    let kinds: Vec<ProblemKind> = og.problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [ProblemKind::Overlap, ProblemKind::StaleWriter],
        "{og:#?}"
    );
    // host2's store had no record: the shared ledger's floor gave it token 2.
    assert_eq!(og.token, Some(2));
    assert_eq!(og.problems[0].seq, Some(2));
    assert!(
        og.problems[1]
            .message
            .contains("n1 renewed token 1 while n2 held token 2")
    );
    let te = r
        .leases
        .iter()
        .find(|l| l.name == "trading-engine")
        .unwrap();
    assert_eq!(te.problems[0].kind, ProblemKind::NotHeld);
    assert!(te.problems[0].message.contains("never acquired"));
    // Counted only from `since`: before it, the history is history.
    let p = SplitBrainParams {
        required: vec!["order-gateway".into()],
        since: Some(Timestamp::now() + jiff::SignedDuration::from_secs(1)),
        now: Timestamp::now(),
    };
    assert!(split_brain::assess(&ledger::read(&lp).unwrap(), &p).ok);
}

#[test]
fn a_clean_ledger_passes_no_split_brain_with_the_holder_named() {
    let d = tempfile::tempdir().unwrap();
    let lp = d.path().join("lease.jsonl");
    let l = Leases::new(
        Box::new(LocalStore::new(d.path())),
        lp.clone(),
        actor("trade-01"),
        Timing::default(),
    );
    let a = l
        .acquire("order-gateway", "n1", Duration::from_secs(30))
        .unwrap();
    l.renew("order-gateway", "n1", a.token, Duration::from_secs(30))
        .unwrap();
    let _ = l.acquire("order-gateway", "n2", Duration::from_secs(30));
    let events = ledger::read(&lp).unwrap();
    let p = SplitBrainParams {
        required: vec!["order-gateway".into()],
        since: None,
        now: Timestamp::now(),
    };
    let r = split_brain::assess(&events, &p);
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.events, 3);
    let og = &r.leases[0];
    assert_eq!((og.holder.as_deref(), og.token), (Some("n1"), Some(1)));
    assert_eq!(og.other_claimants.get("n2"), Some(&1));
    // Once released, the required lease is not held: the check fails.
    l.release("order-gateway", "n1", 1).unwrap();
    let r = split_brain::assess(&ledger::read(&lp).unwrap(), &p);
    assert!(!r.ok);
    assert_eq!(r.leases[0].problems[0].kind, ProblemKind::NotHeld);
    // An overlap: a grant recorded while another holder's lease runs.
    let mut forged = ledger::read(&lp).unwrap();
    forged.retain(|e| e.kind != "lease_released");
    let mut second = forged[0].clone();
    second.data["holder"] = "n9".into();
    second.data["token"] = 2.into();
    forged.push(second);
    let r = split_brain::assess(&forged, &p);
    let kinds: Vec<ProblemKind> = r.leases[0].problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [ProblemKind::Overlap], "{r:#?}");
    assert!(
        r.leases[0].problems[0]
            .message
            .contains("two active holders")
    );
    // The same token granted twice.
    forged.last_mut().unwrap().data["token"] = 1.into();
    let r = split_brain::assess(&forged, &p);
    let kinds: Vec<ProblemKind> = r.leases[0].problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [ProblemKind::TokenNotIncreasing, ProblemKind::Overlap]
    );
}
