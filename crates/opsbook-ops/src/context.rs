//! The context every operation runs in: where the SSOT is, what time it is,
//! who acts; and the warnings met on the way.

use std::sync::{Arc, Mutex};

use opsbook_core::clock::Clock;
use opsbook_core::incident::Store;
use opsbook_core::layout::{Layout, PolicyFile};
use opsbook_core::ledger::Actor;
use opsbook_core::policy::{self, PolicyDoc};
use opsbook_core::ssot::{Config, Ssot};

use crate::OpsError;

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
        Context {
            layout,
            clock,
            actor,
            warnings: Arc::default(),
        }
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
        Ok(Store::new(self.layout.root(), cfg.incident_id.as_deref())?)
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
