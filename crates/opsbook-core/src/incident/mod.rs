//! Incidents: the event-sourced record and its status machine and guards
//! ([`Store`], [`Incident`]), and severity classification from facts
//! ([`severity`], D-INC-SEVERITY).

mod record;
pub mod severity;

pub use record::*;
