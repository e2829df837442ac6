//! opsbook-evidence: evidence support bundles (D-EVD-*; DESIGN §3.4).
//!
//! [`redact`] is the fail-closed redaction engine: built-in classes for
//! what a trading platform leaks (exchange keys and signatures, bearer and
//! JWT tokens, PEM keys, passwords in URLs and connection strings, cloud and
//! chat tokens, personal data), seen through every representation a log
//! carries them in (ANSI colours, invisible characters, JSON escapes,
//! percent encoding, base64, UTF-16, gzip and ZIP). A file in which nothing
//! fires comes back byte for byte; a file that cannot be scanned is
//! excluded with the reason.

pub mod bundle;
pub mod deliver;
pub mod destination;
pub mod error;
pub mod hash;
pub mod redact;
#[cfg(feature = "s3")]
pub mod s3;
pub mod sign;
pub mod sources;
pub mod timeref;
pub mod verify;
