//! Opening an incident: the severity from stated facts
//! (`policy/severity.yaml`), the title checks, the ID and the first events;
//! one path for `incident open`, `halt` and `p0` (D-INC-OPEN).

use super::*;

/// How an incident's severity is decided when it is opened.
#[derive(Debug, Clone, Default)]
pub struct SeverityInput {
    /// Stated by hand (needs a reason, or facts it may only raise).
    pub stated: Option<String>,
    /// Why (decision log).
    pub reason: Option<String>,
    /// `KEY=VALUE` facts (typed by `policy/severity.yaml`).
    pub facts: Vec<String>,
    /// Facts as a JSON/YAML object from a file.
    pub facts_file: Option<std::path::PathBuf>,
}

/// What to open.
#[derive(Debug, Clone, Default)]
pub struct OpenRequest {
    /// One line, as the operator sees it.
    pub title: String,
    /// Severity: stated or from facts.
    pub severity: SeverityInput,
    /// Detected (RFC 3339; without offset = UTC).
    pub detected: Option<String>,
    /// Impact started.
    pub impact_started: Option<String>,
    /// Incident commander.
    pub commander: Option<String>,
    /// A drill.
    pub drill: bool,
}

/// What [`open`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    /// The new ID.
    pub id: String,
    /// Its severity.
    pub severity: String,
    /// The rule that decided it (from facts).
    pub rule: Option<Value>,
    /// Facts assumed true because not stated.
    pub assumed: Option<Value>,
    /// The `opened` event.
    pub event: Event,
    /// The change freeze was turned on.
    pub froze: bool,
    /// The classification, when facts were stated.
    #[serde(skip)]
    pub classification: Option<Classification>,
    /// Stated by hand over a computed severity: (stated, computed, rule).
    #[serde(skip)]
    pub overridden: Option<(String, String, Option<String>)>,
    /// The title.
    #[serde(skip)]
    pub title: String,
    /// What should have followed the opening and could not be recorded
    /// (only `halt`, which never stops at a broken ledger, keeps an
    /// incident then; `incident open` takes it back instead).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrecorded: Vec<String>,
}

/// `policy/severity.yaml`, as a classifier.
///
/// # Errors
/// The policy is missing or invalid.
pub fn severity_policy(ctx: &Context) -> Result<Policy, OpsError> {
    let p: opsbook_core::policy::Severity = ctx.policy()?;
    Policy::from_policy(&p).map_err(|e| OpsError::Other(format!("policy/severity.yaml: {e}")))
}

/// Reads a YAML/JSON file of values (any encoding Windows writes).
///
/// # Errors
/// Unreadable or not YAML/JSON.
pub fn read_value(path: &Path) -> Result<Value, OpsError> {
    let bytes = std::fs::read(path)
        .map_err(|e| OpsError::invalid(format!("cannot read `{}`: {e}", path.display())))?;
    let text = opsbook_core::text::decode(&bytes)
        .map_err(|e| OpsError::invalid(format!("{}: {e}", path.display())))?;
    let doc = opsbook_core::yaml::parse(&text.text)
        .map_err(|e| OpsError::invalid(format!("{}: {e}", path.display())))?;
    Ok(doc.value)
}

/// Facts from a file and `KEY=VALUE` (the latter win), typed by the policy.
///
/// # Errors
/// A fact the policy does not declare, of the wrong type, or stated twice.
pub fn collect_facts(
    policy: &Policy,
    facts: &[String],
    file: Option<&Path>,
) -> Result<Facts, OpsError> {
    let mut stated = Facts::new();
    if let Some(f) = file {
        let v = read_value(f)?;
        let Some(obj) = v.as_object() else {
            return Err(OpsError::invalid(format!(
                "`{}` must hold an object of facts, e.g. {{\"mode\": \"live\", \"unexpected_loss_usd\": 1200}}",
                f.display()
            )));
        };
        let given: Facts = obj.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        stated.extend(
            policy
                .check_facts(&given)
                .map_err(|e| OpsError::invalid(format!("{}: {e}", f.display())))?,
        );
    }
    let mut given = BTreeMap::new();
    for kv in facts {
        let (k, v) = policy
            .parse_fact(kv)
            .map_err(|e| OpsError::invalid(e.to_string()))?;
        if let Some(prev) = given.insert(k.clone(), v.clone())
            && prev != v
        {
            return Err(OpsError::invalid(format!(
                "fact `{k}` is stated twice ({prev} and {v}): state it once"
            )));
        }
        stated.insert(k, v);
    }
    Ok(stated)
}

/// What [`classify`] found.
#[derive(Debug, Clone, Serialize)]
pub struct Classified {
    /// The facts as typed by the policy.
    pub facts: Facts,
    /// The classification.
    pub classification: Classification,
}

/// `severity classify`: P0/P1/P2 from stated facts, by policy.
///
/// # Errors
/// No fact stated; a fact the policy does not know; the policy is broken.
pub fn classify(
    ctx: &Context,
    facts: &[String],
    file: Option<&Path>,
) -> Result<Classified, OpsError> {
    let policy = severity_policy(ctx)?;
    let stated = collect_facts(&policy, facts, file)?;
    if stated.is_empty() {
        return Err(OpsError::invalid(
            "state at least one fact: --fact KEY=VALUE (repeatable) or --facts FILE",
        ));
    }
    let classification = policy.classify(&stated);
    Ok(Classified {
        facts: stated,
        classification,
    })
}

/// Opens an incident: the one path for `incident open`, `halt` and `p0`.
/// The title is one line; the severity comes from facts by policy, or is
/// stated with a reason; a severity in `on_incident_severity` turns the
/// change freeze on (D-SAFE-FREEZE).
///
/// Complete or nothing: when the freeze it must turn on cannot be
/// recorded, the incident just opened is taken back (a retry then opens
/// one, not two).
///
/// # Errors
/// Bad input (empty or multi-line title, no severity, times in the future
/// or in the wrong order), a broken policy, ledger errors (nothing kept).
pub fn open(ctx: &Context, req: &OpenRequest) -> Result<Opened, OpsError> {
    open_as(ctx, req, false)
}

/// [`open`]; with `keep`, a freeze that cannot be recorded leaves the
/// incident open and is named in [`Opened::unrecorded`] (`halt`).
pub(crate) fn open_as(ctx: &Context, req: &OpenRequest, keep: bool) -> Result<Opened, OpsError> {
    let title = req.title.trim();
    if title.is_empty() {
        return Err(OpsError::invalid(
            "--title is empty: say what is broken, as you see it",
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(OpsError::invalid(
            "--title must be one line (no line breaks or control characters); put details in `opsbook incident log`",
        ));
    }
    crate::scrub::check_input("title", title)?;
    let s = &req.severity;
    let reason = s.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let mut data = ev::Opened {
        title: title.to_string(),
        ..ev::Opened::default()
    };
    let mut classification = None;
    let mut overridden = None;
    if s.facts.is_empty() && s.facts_file.is_none() {
        let (Some(sev), Some(r)) = (s.stated.as_deref(), reason) else {
            return Err(OpsError::invalid(
                "state the severity: --fact KEY=VALUE... (computed by policy/severity.yaml), or --severity P0|P1|P2 with --reason TEXT",
            ));
        };
        data.severity = sev.to_string();
        data.reason = Some(r.to_string());
    } else {
        let policy = severity_policy(ctx)?;
        let stated = collect_facts(&policy, &s.facts, s.facts_file.as_deref())?;
        let cl = policy.classify(&stated);
        let mut sev = cl.severity.clone();
        if let Some(st) = s.stated.as_deref() {
            if severity_rank(st) > severity_rank(&cl.severity) && reason.is_none() {
                return Err(OpsError::invalid(format!(
                    "the facts give {} (rule {}); lowering it to {st} needs --reason",
                    cl.severity,
                    cl.rule.as_deref().unwrap_or("default")
                )));
            }
            if st != cl.severity {
                overridden = Some((st.to_string(), cl.severity.clone(), cl.rule.clone()));
            }
            sev = st.to_string();
        }
        data.severity = sev;
        data.facts = Some(stated);
        data.rule = Some(cl.rule.clone());
        if !cl.assumed.is_empty() {
            data.assumed = Some(cl.assumed.clone());
        }
        data.reason = reason.map(str::to_string);
        classification = Some(cl);
    }
    let now = ctx.now();
    let det = req
        .detected
        .as_deref()
        .map(|d| past_time("--detected", d, now))
        .transpose()?;
    let imp = req
        .impact_started
        .as_deref()
        .map(|d| past_time("--impact-started", d, now))
        .transpose()?;
    if let (Some(i), Some(d)) = (&imp, &det)
        && opsbook_core::incident::millis_between(i, d).is_some_and(|ms| ms < 0)
    {
        return Err(OpsError::invalid(format!(
            "--impact-started {i} is after --detected {d}: impact cannot start after it was detected; check the times (UTC unless an offset is given)"
        )));
    }
    data.detected_at = det;
    data.impact_started_at = imp;
    data.commander = req.commander.clone();
    data.drill = req.drill.then_some(true);
    let st = ctx.store()?;
    let (id, event) = st.open(ctx.clock.as_ref(), &ctx.actor, data)?;
    let typed = opsbook_core::event::parse::<IncidentEvent>(&event);
    let Some(IncidentEvent::Opened(written)) = typed else {
        return Err(OpsError::Other(
            "the opened event does not read back".into(),
        ));
    };
    let sev = written.severity.clone();
    // D-SAFE-FREEZE: opening an incident of these severities freezes changes.
    let mut unrecorded = Vec::new();
    let froze = match crate::freeze::policy_lenient(ctx).and_then(|fp| {
        if fp.on_incident_severity.contains(&sev) {
            crate::freeze::freeze_on_if_off(
                ctx,
                &format!("{sev} incident {id} opened: {title}"),
                Some(&id),
                "incident",
            )
        } else {
            Ok(false)
        }
    }) {
        Ok(f) => f,
        Err(e) if keep => {
            unrecorded.push(format!("the change freeze for {id} (turn it on): {e}"));
            false
        }
        Err(e) => {
            return Err(match st.discard_new(&id, &event.hash) {
                Ok(()) => OpsError::Other(format!(
                    "{e}\nthe change freeze a {sev} incident turns on could not be recorded, so {id} was not opened (nothing was recorded); repair that ledger (`opsbook ledger verify`) and open it again, or stop trading with `opsbook halt`, which never waits for a record"
                )),
                Err(d) => OpsError::Other(format!(
                    "{e}\n{id} was opened but the change freeze could not be recorded, and taking it back failed too ({d}): use {id}, do not open another"
                )),
            });
        }
    };
    // As recorded: a secret in the title was redacted on its way in, and
    // is not echoed back either.
    let title = event
        .data
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or(title)
        .to_string();
    Ok(Opened {
        id,
        severity: sev,
        rule: event.data.get("rule").cloned(),
        assumed: event.data.get("assumed").cloned(),
        event,
        froze,
        classification,
        overridden,
        title,
        unrecorded,
    })
}
