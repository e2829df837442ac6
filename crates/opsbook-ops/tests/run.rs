#![allow(clippy::unwrap_used)]
#![cfg(unix)]
//! `opsbook run` as library tests (issue 14, item 3): bash steps for real
//! (PowerShell's argv and script bytes are the runner's tests), gated by
//! the computed tier, transcripts redacted and attached, the run ledger
//! and `--resume`, T2 through the safety matrix, freeze and confirmation.

mod common;

use common::Ssot;
use opsbook_core::event::RunEvent;
use opsbook_core::event::incident::IncidentEvent;
use opsbook_core::layout::LedgerFile;
use opsbook_ops::confirm::FileAnswers;
use opsbook_ops::run::{self, Mode, RunRequest, Tier};
use serde_json::{Value, json};

const TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

/// A runbook RB-TEST-RUN with bash steps, registered in the SSOT; `mark`
/// is a file step 2 creates.
fn runbook(s: &Ssot, mark: &std::path::Path, extra: &str) {
    let text = format!(
        "---\nrunbook_id: RB-TEST-RUN\ntitle: {{en: Test run, ja: テスト}}\nkind: MITIGATION\ncategory: platform\ndangerous_ops:\n  - id: make-mark\n    tier: T1\n    backout: \"rm the mark file\"\n    confirmation: \"Say yes.\"\nsupported_modes:\n  environments: [stage, prod]\n  trading: [live, paper]\nstatus: active\n---\n\n# Test\n\n```bash {{step=1 tier=T0}}\necho hello\necho 'token {TOKEN}'\n```\n\n```bash {{step=2 tier=T1 op=make-mark}}\ntouch '{}'\n```\n\n```text\nnot a step\n```\n{extra}",
        mark.display()
    );
    std::fs::create_dir_all(s.path("runbooks/test")).unwrap();
    std::fs::write(s.path("runbooks/test/run.md"), text).unwrap();
    let reg = std::fs::read_to_string(s.path("runbooks/runbooks.yaml")).unwrap();
    if !reg.contains("RB-TEST-RUN") {
        std::fs::write(
            s.path("runbooks/runbooks.yaml"),
            format!("{reg}  - {{ id: RB-TEST-RUN, path: test/run.md, status: active }}\n"),
        )
        .unwrap();
    }
}

fn req(only: Option<&str>) -> RunRequest {
    RunRequest {
        runbook: "RB-TEST-RUN".into(),
        only_step: only.map(str::to_string),
        // Answers come from a file (not a person): T0 runs only with consent.
        yes_t0: true,
        mode: Mode {
            environment: Some("prod".into()),
            trading: Some("live".into()),
        },
        ..RunRequest::default()
    }
}

fn answers(v: Value) -> FileAnswers {
    FileAnswers::new(v)
}

fn runs(s: &Ssot) -> Vec<RunEvent> {
    opsbook_core::event::read::<RunEvent>(&s.ctx().layout.ledger(LedgerFile::Runs))
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

fn open_incident(s: &Ssot) -> String {
    opsbook_ops::incident::open(
        s.ctx(),
        &opsbook_ops::incident::OpenRequest {
            title: "test".into(),
            severity: opsbook_ops::incident::SeverityInput {
                stated: Some("P2".into()),
                reason: Some("test".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap()
    .id
}

#[test]
fn plan_runs_nothing_and_lists_tiers_backout_and_questions() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    runbook(&s, &mark, "");
    let p = run::plan(s.ctx(), &req(None)).unwrap();
    assert_eq!(p.runbook, "RB-TEST-RUN");
    assert_eq!(p.state, "NORMAL");
    assert_eq!(p.steps.len(), 2);
    assert_eq!(
        (p.steps[0].declared, p.steps[0].computed, p.steps[0].tier),
        (Some(Tier::T0), Tier::T0, Tier::T0)
    );
    assert_eq!(p.steps[1].computed, Tier::T1);
    assert_eq!(p.steps[1].backout.as_deref(), Some("rm the mark file"));
    assert!(
        p.steps[1].asks.contains("default No"),
        "{}",
        p.steps[1].asks
    );
    assert_eq!(p.not_steps.len(), 1);
    assert!(p.steps[0].warnings.is_empty());
    assert!(!mark.exists());
    assert!(!s.ctx().layout.ledger(LedgerFile::Runs).exists());
    // A step that does not exist is named.
    let e = run::plan(s.ctx(), &req(Some("9"))).unwrap_err().to_string();
    assert!(e.contains("no step 9") && e.contains("1, 2"), "{e}");
}

#[test]
fn t0_and_t1_steps_run_with_redacted_transcripts_attached_and_a_ledger() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    runbook(&s, &mark, "");
    let inc = open_incident(&s);
    let mut r = req(None);
    r.incident = Some(inc.clone());
    r.work_dir = Some(dir.path().join("work"));
    let ran = run::run(s.ctx(), &r, &mut answers(json!({"steps": {"2": "yes"}}))).unwrap();
    assert_eq!(ran.result, "completed", "{ran:?}");
    assert_eq!(ran.run, "RUN-1");
    assert!(mark.exists(), "step 2 did not run");
    let results: Vec<(&str, &str)> = ran
        .steps
        .iter()
        .map(|x| (x.step.as_str(), x.result.as_str()))
        .collect();
    assert_eq!(results, [("1", "done"), ("2", "done")]);
    // The transcript: redacted, hashed, with what the issue lists.
    let t1 = ran.steps[0].transcript.as_deref().unwrap();
    assert_eq!(t1, "runs/RUN-1/step-1.json");
    let bytes = std::fs::read(s.path(t1)).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains("[REDACTED:github_token]"), "{text}");
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["host"], "HOST1");
    assert_eq!(v["user"], "op");
    assert_eq!(v["shell"], "bash");
    assert_eq!(
        v["code_sha256"],
        opsbook_runner::code_sha256(&format!("echo hello\necho 'token {TOKEN}'\n"))
    );
    assert!(v["stdout"].as_str().unwrap().starts_with("hello\n"));
    assert_eq!(v["redactions"], 1);
    assert_eq!(ran.steps[0].redactions, 1);
    // The ledger: started, two steps, finished; the chain verifies.
    let ev = runs(&s);
    assert!(
        matches!(&ev[0], RunEvent::RunStarted(x) if x.runbook == "RB-TEST-RUN" && x.incident.as_deref() == Some(inc.as_str()))
    );
    assert!(
        matches!(&ev[1], RunEvent::StepFinished(x) if x.result == "done" && x.transcript.as_deref() == Some(t1))
    );
    assert!(matches!(&ev[3], RunEvent::RunFinished(x) if x.result == "completed" && x.done == 2));
    s.ledgers_verify();
    // The incident: each transcript attached, each step on the timeline.
    let store = s.ctx().store().unwrap();
    let events = store.load(&inc).unwrap().events;
    let typed: Vec<IncidentEvent> = events
        .iter()
        .filter_map(opsbook_core::event::parse::<IncidentEvent>)
        .collect();
    let attached = typed
        .iter()
        .filter(|e| matches!(e, IncidentEvent::EvidenceAttached(a) if a.reference.ends_with("step-1.json") || a.reference.ends_with("step-2.json")))
        .count();
    assert_eq!(attached, 2);
    let steps: Vec<String> = typed
        .iter()
        .filter_map(|e| match e {
            IncidentEvent::RunbookStep(x) => Some(format!("{}:{}:{}", x.step, x.tier, x.result)),
            _ => None,
        })
        .collect();
    assert_eq!(steps, ["1:T0:done", "2:T1:done"]);
}

#[test]
fn a_declined_t1_step_stops_the_run_and_resume_continues_after_the_last_done() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    runbook(&s, &mark, "");
    let ran = run::run(
        s.ctx(),
        &req(None),
        &mut answers(json!({"steps": {"2": "no"}})),
    )
    .unwrap();
    assert_eq!(ran.result, "stopped");
    assert_eq!(ran.steps[1].result, "declined");
    assert!(!mark.exists());
    let mut r = req(None);
    r.resume = Some("RUN-1".into());
    let again = run::run(s.ctx(), &r, &mut answers(json!({"steps": {"2": "yes"}}))).unwrap();
    assert_eq!(again.already_done, ["1"]);
    assert_eq!(again.steps.len(), 1, "{again:?}");
    assert_eq!(
        (again.steps[0].step.as_str(), again.steps[0].result.as_str()),
        ("2", "done")
    );
    assert!(mark.exists());
    assert!(again.resumed && again.run == "RUN-1");
    s.ledgers_verify();
}

#[test]
fn resume_refuses_a_runbook_changed_since_the_run_began() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    runbook(&s, &mark, "");
    let ran = run::run(
        s.ctx(),
        &req(None),
        &mut answers(json!({"steps": {"2": "no"}})),
    )
    .unwrap();
    assert_eq!(ran.result, "stopped");
    s.edit("runbooks/test/run.md", "echo hello", "echo changed");
    let mut r = req(None);
    r.resume = Some("RUN-1".into());
    let e = run::run(s.ctx(), &r, &mut answers(json!({"steps": {"2": "yes"}}))).unwrap_err();
    assert!(e.is_refusal(), "{e}");
    assert!(e.to_string().contains("changed since the run began"), "{e}");
    assert!(!mark.exists());
    let e = {
        let mut r = req(None);
        r.resume = Some("RUN-7".into());
        run::run(s.ctx(), &r, &mut answers(json!({}))).unwrap_err()
    };
    assert!(e.to_string().contains("no such run"), "{e}");
}

#[test]
fn a_step_computed_above_its_declared_tier_runs_at_the_computed_tier() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let sneaky = dir.path().join("sneaky");
    runbook(
        &s,
        &mark,
        &format!(
            "\n```bash {{step=3 tier=T0}}\ntouch '{}'\n```\n",
            sneaky.display()
        ),
    );
    let mut r = req(Some("3"));
    r.yes_t0 = true;
    // Declared T0, computed T1: asked like a T1 step; no answer = declined.
    let ran = run::run(s.ctx(), &r, &mut answers(json!({}))).unwrap();
    assert_eq!(ran.steps[0].tier, Tier::T1);
    assert_eq!(ran.steps[0].result, "declined");
    assert!(!sneaky.exists());
}

fn t2_runbook(s: &Ssot, action: &str, mark: &std::path::Path) {
    runbook(
        s,
        mark,
        &format!(
            "\n```bash {{step=3 tier=T2 action={action}}}\nrm -f '{}'\n```\n",
            mark.display()
        ),
    );
}

#[test]
fn t2_is_refused_in_the_wrong_state_during_a_freeze_and_outside_its_modes() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    std::fs::write(&mark, "x").unwrap();
    // release_halt is DENY in NORMAL.
    t2_runbook(&s, "release_halt", &mark);
    let mut fit = opsbook_core::yaml::parse(&opsbook_testkit::ssot::confirm_answers("HOST1", 4))
        .unwrap()
        .value;
    fit["steps"] = json!({"2": "yes"});
    let ran = run::run(s.ctx(), &req(Some("3")), &mut answers(fit.clone())).unwrap();
    assert_eq!(ran.steps[0].result, "refused", "{ran:?}");
    assert!(
        ran.steps[0].reason.as_deref().unwrap().contains("NORMAL"),
        "{ran:?}"
    );
    assert!(mark.exists());
    // deploy_code is ALLOW in NORMAL, but frozen.
    t2_runbook(&s, "deploy_code", &mark);
    opsbook_ops::freeze::on(s.ctx(), "test freeze", None).unwrap();
    let ran = run::run(s.ctx(), &req(Some("3")), &mut answers(fit.clone())).unwrap();
    assert_eq!(ran.steps[0].result, "refused");
    assert!(
        ran.steps[0].reason.as_deref().unwrap().contains("freeze"),
        "{ran:?}"
    );
    assert!(mark.exists());
    opsbook_ops::freeze::off(s.ctx(), "test over").unwrap();
    // Outside supported_modes.
    let mut r = req(Some("3"));
    r.mode.environment = Some("dev".into());
    let ran = run::run(s.ctx(), &r, &mut answers(fit.clone())).unwrap();
    assert!(
        ran.steps[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("supported_modes"),
        "{ran:?}"
    );
    assert!(mark.exists());
    // The current mode unknown: refused, not assumed.
    let mut r = req(Some("3"));
    r.mode = Mode::default();
    let ran = run::run(s.ctx(), &r, &mut answers(fit.clone())).unwrap();
    assert!(
        ran.steps[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("OPSBOOK_ENVIRONMENT"),
        "{ran:?}"
    );
    // Both unknown modes are named at once, with where each can be given.
    let why = ran.steps[0].reason.as_deref().unwrap();
    assert!(
        why.contains("OPSBOOK_TRADING_MODE") && why.contains("[run] environment"),
        "{why}"
    );
    assert!(mark.exists());
    // Everything allows it: the confirmation passes and the step runs.
    s.cooling_off(0);
    let ran = run::run(s.ctx(), &req(Some("3")), &mut answers(fit)).unwrap();
    assert_eq!(ran.steps[0].result, "done", "{ran:?}");
    assert!(
        ran.steps[0]
            .confirmation
            .as_deref()
            .unwrap()
            .starts_with("CNF-")
    );
    assert!(!mark.exists());
    s.ledgers_verify();
}

#[test]
fn a_t2_step_without_an_action_is_refused() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    runbook(
        &s,
        &mark,
        "\n```bash {step=3}\nrm -rf /tmp/opsbook-never\n```\n",
    );
    let ran = run::run(s.ctx(), &req(Some("3")), &mut answers(json!({}))).unwrap();
    assert_eq!(ran.steps[0].result, "refused");
    assert!(
        ran.steps[0].reason.as_deref().unwrap().contains("action="),
        "{ran:?}"
    );
}

#[test]
fn a_step_that_times_out_is_recorded_and_stops_the_run() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    runbook(
        &s,
        &mark,
        "\n```bash {step=3 tier=T0 timeout=1}\nsleep 30\n```\n",
    );
    let mut r = req(Some("3"));
    r.yes_t0 = true;
    let ran = run::run(s.ctx(), &r, &mut answers(json!({}))).unwrap();
    assert_eq!(ran.steps[0].result, "timed_out", "{ran:?}");
    assert_eq!(ran.result, "stopped");
}

#[test]
fn inputs_reach_the_step_through_its_environment_and_never_the_transcript() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    runbook(
        &s,
        &mark,
        "\n```bash {step=3 tier=T0}\n: \"${OPSBOOK_REASON:?set OPSBOOK_REASON}\"\necho \"reason=$OPSBOOK_REASON root=$OPSBOOK_ROOT\"\n```\n",
    );
    let mut r = req(Some("3"));
    r.work_dir = Some(dir.path().join("work"));
    // Missing: the step fails naming the variable.
    let ran = run::run(s.ctx(), &r, &mut answers(json!({}))).unwrap();
    assert_eq!(ran.steps[0].result, "failed");
    let t = std::fs::read_to_string(s.path(ran.steps[0].transcript.as_deref().unwrap())).unwrap();
    assert!(t.contains("set OPSBOOK_REASON"), "{t}");
    // Given: in the environment, redacted from the transcript, the name kept.
    r.inputs = vec![("OPSBOOK_REASON".into(), "clock 640 ms ahead".into())];
    let ran = run::run(s.ctx(), &r, &mut answers(json!({}))).unwrap();
    assert_eq!(ran.result, "completed", "{ran:?}");
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(s.path(ran.steps[0].transcript.as_deref().unwrap())).unwrap(),
    )
    .unwrap();
    let out = v["stdout"].as_str().unwrap();
    assert!(
        out.starts_with("reason=[REDACTED:input:OPSBOOK_REASON] root="),
        "{out}"
    );
    assert!(
        out.contains(&s.ctx().layout.root().to_string_lossy().into_owned()),
        "{out}"
    );
    assert_eq!(v["inputs"], json!(["OPSBOOK_REASON"]));
    assert!(!serde_json::to_string(&v).unwrap().contains("640 ms"));
}

#[test]
fn inputs_that_look_like_secrets_or_are_reserved_are_refused_before_anything_runs() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    runbook(&s, &dir.path().join("mark"), "");
    for (name, says) in [
        ("TRADEBOT_ADMIN_TOKEN", "secret (TOKEN)"),
        ("OPSBOOK_API_KEY", "secret (API_KEY)"),
        ("OPSBOOK_INCIDENT", "--incident"),
        ("1X", "not an environment variable name"),
    ] {
        let mut r = req(None);
        r.inputs = vec![(name.into(), "value".into())];
        let e = run::run(s.ctx(), &r, &mut answers(json!({})))
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{name}: {e}");
        let e = run::plan(s.ctx(), &r).unwrap_err().to_string();
        assert!(e.contains(says), "{name}: {e}");
    }
    assert!(!s.ctx().layout.ledger(LedgerFile::Runs).exists());
    let mut r = req(None);
    r.inputs = vec![("A".into(), "1".into()), ("a".into(), "2".into())];
    let e = run::plan(s.ctx(), &r).unwrap_err().to_string();
    assert!(e.contains("twice"), "{e}");
}

#[test]
fn ask_t0_asks_before_a_t0_step_and_no_declines_it() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    runbook(&s, &dir.path().join("mark"), "");
    let mut r = req(Some("1"));
    r.ask_t0 = true;
    r.work_dir = Some(dir.path().join("work"));
    assert!(
        run::plan(s.ctx(), &r).unwrap().steps[0]
            .asks
            .contains("--ask-t0")
    );
    let ran = run::run(s.ctx(), &r, &mut answers(json!({"steps": {"1": "no"}}))).unwrap();
    assert_eq!(
        (ran.steps[0].result.as_str(), ran.result.as_str()),
        ("declined", "stopped")
    );
    let ran = run::run(s.ctx(), &r, &mut answers(json!({"steps": {"1": "yes"}}))).unwrap();
    assert_eq!(ran.steps[0].result, "done", "{ran:?}");
    // Without an answer for it, the question is not a yes.
    let ran = run::run(s.ctx(), &r, &mut answers(json!({}))).unwrap();
    assert_eq!(ran.steps[0].result, "declined");
}

#[test]
fn a_lowercase_runbook_id_is_the_runbook_and_a_partial_one_is_suggested() {
    let s = Ssot::new();
    let dir = tempfile::tempdir().unwrap();
    runbook(&s, &dir.path().join("mark"), "");
    let mut r = req(None);
    r.runbook = "rb-test-run".into();
    assert_eq!(run::plan(s.ctx(), &r).unwrap().runbook, "RB-TEST-RUN");
    r.runbook = "rb-run".into();
    let e = run::plan(s.ctx(), &r).unwrap_err().to_string();
    assert!(e.contains("did you mean RB-TEST-RUN?"), "{e}");
}
