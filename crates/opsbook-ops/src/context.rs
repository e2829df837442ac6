//! The context every operation runs in: where the SSOT is, what time it is,
//! who acts; and the warnings met on the way.

use std::sync::{Arc, Mutex};

use opsbook_core::clock::Clock;
use opsbook_core::incident::Store;
use opsbook_core::layout::{Layout, PolicyFile};
use opsbook_core::ledger::{Actor, SharedSeam, Writer};
use opsbook_core::policy::{self, PolicyDoc};
use opsbook_core::ssot::{Config, Ssot};

use crate::OpsError;
use crate::scrub::{Redaction, Scrub};

/// Where, when, who.
#[derive(Clone)]
pub struct Context {
    /// The SSOT's files.
    pub layout: Layout,
    /// The time source (the system clock, or a test's).
    pub clock: Arc<dyn Clock>,
    /// Who acts: OS user, host, display name.
    pub actor: Actor,
    warnings: Arc<Mutex<Vec<String>>>,
    seam: Option<SharedSeam>,
    /// The redaction every write goes through (issue 13 item 2).
    scrub: Arc<Scrub>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("layout", &self.layout)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context for the SSOT at `layout`.
    #[must_use]
    pub fn new(layout: Layout, clock: Arc<dyn Clock>, actor: Actor) -> Context {
        let warnings: Arc<Mutex<Vec<String>>> = Arc::default();
        let scrub = Arc::new(Scrub::new(layout.clone(), warnings.clone(), None));
        Context {
            layout,
            clock,
            actor,
            warnings,
            seam: Some(scrub.clone()),
            scrub,
        }
    }

    /// The context with a [`Seam`](opsbook_core::ledger::Seam) every ledger
    /// write of its operations goes through (tests inject failures there).
    /// The redaction runs first, then `seam`.
    #[must_use]
    pub fn with_seam(mut self, seam: SharedSeam) -> Context {
        let scrub = Arc::new(Scrub::new(
            self.layout.clone(),
            self.warnings.clone(),
            Some(seam),
        ));
        self.seam = Some(scrub.clone());
        self.scrub = scrub;
        self
    }

    /// The seam every ledger write of this context goes through (the
    /// redaction of free texts, then a test's seam): for the writers of
    /// `opsbook-core` an operation hands a path to.
    #[must_use]
    pub fn seam(&self) -> Option<SharedSeam> {
        self.seam.clone()
    }

    /// `text` as it may be written to the file at `path` (a postmortem
    /// draft): every secret replaced by `[REDACTED:<class>]`, with a warning.
    #[must_use]
    pub fn scrub_text(&self, path: &std::path::Path, text: &str) -> String {
        self.scrub.text(path, text)
    }

    /// Every redaction this context's operations made so far (file, event
    /// type, field, class — never the value).
    #[must_use]
    pub fn redactions(&self) -> Vec<Redaction> {
        self.scrub.found()
    }

    /// The log at `path` opened for a read-decide-append transaction,
    /// through the context's seam.
    ///
    /// # Errors
    /// I/O errors (the lock).
    pub fn writer(&self, path: &std::path::Path) -> Result<Writer, OpsError> {
        Ok(Writer::open_with(path, self.seam.clone())?)
    }

    /// Appends one typed event to the log at `path`, through the seam.
    ///
    /// # Errors
    /// As [`opsbook_core::ledger::append`].
    pub fn append<E: opsbook_core::event::LedgerEvent>(
        &self,
        path: &std::path::Path,
        event: &E,
    ) -> Result<opsbook_core::ledger::Event, OpsError> {
        Ok(opsbook_core::event::append_with(
            path,
            self.seam.clone(),
            self.clock.as_ref(),
            &self.actor,
            event,
        )?)
    }

    /// Now, by the context's clock.
    #[must_use]
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// Today (UTC), by the context's clock.
    #[must_use]
    pub fn today(&self) -> jiff::civil::Date {
        opsbook_core::clock::utc_date(self.now())
    }

    /// Records a warning for the front end to show.
    pub fn warn(&self, text: impl Into<String>) {
        if let Ok(mut w) = self.warnings.lock() {
            w.push(text.into());
        }
    }

    /// Warns when an event was written with a clock behind the ledger
    /// (the ledger kept time going forward and recorded how far behind).
    pub fn warn_clock(&self, events: &[opsbook_core::ledger::Event], what: &str) {
        if let Some(e) = events
            .iter()
            .find(|e| e.data.get("clock_behind_ms").is_some())
        {
            self.warn(format!(
                "warning: this machine's clock ({}) is {} ms behind {what}; recorded at {} so that time never goes backwards. Check time sync: w32tm /query /status",
                e.data["clock_observed"].as_str().unwrap_or("?"),
                e.data["clock_behind_ms"],
                e.ts
            ));
        }
    }

    /// The warnings recorded so far (emptied).
    #[must_use]
    pub fn take_warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    /// `opsbook.toml` (defaults where it is malformed).
    ///
    /// # Errors
    /// Not an SSOT, I/O.
    pub fn config(&self) -> Result<Config, OpsError> {
        Ok(Ssot::load_config(self.layout.root())?)
    }

    /// The incidents, with the SSOT's ID convention.
    ///
    /// # Errors
    /// Not an SSOT, a bad ID convention.
    pub fn store(&self) -> Result<Store, OpsError> {
        let cfg = self.config()?;
        Ok(
            Store::new(self.layout.root(), cfg.incident_id.as_deref())?
                .with_seam(self.seam.clone()),
        )
    }

    /// A policy, read and checked against its contract.
    ///
    /// # Errors
    /// [`OpsError::Policy`]: missing, unreadable or invalid.
    pub fn policy<T: PolicyDoc>(&self) -> Result<T, OpsError> {
        Ok(policy::load::<T>(&self.layout)?)
    }

    /// A policy when its file exists.
    ///
    /// # Errors
    /// As [`Context::policy`], except that a missing file is `None`.
    pub fn policy_optional<T: PolicyDoc>(&self) -> Result<Option<T>, OpsError> {
        Ok(policy::load_optional::<T>(&self.layout)?)
    }

    /// A policy, or the starter SSOT's with a warning when the SSOT's is
    /// missing or broken: for what must not wait on a file (the emergency
    /// stop, automatic freezes).
    ///
    /// # Errors
    /// Only if the built-in policy were broken.
    pub fn policy_or_builtin<T: PolicyDoc>(&self, why: &str) -> Result<T, OpsError> {
        match policy::load::<T>(&self.layout) {
            Ok(p) => Ok(p),
            Err(e) => {
                self.warn(format!(
                    "warning: {e}; using the starter {} {why}",
                    T::FILE.rel()
                ));
                Ok(policy::builtin::<T>()?)
            }
        }
    }

    /// The path of a policy file, relative to the root.
    #[must_use]
    pub fn policy_rel(p: PolicyFile) -> String {
        p.rel()
    }
}
