//! What this host offers every use case: the UTC clock, atomic file writes
//! and the per-machine data directory, processes with a timeout that stops
//! their whole tree, S3 settings from the environment, error chains in one
//! line. Nothing here knows incidents or runbooks.

pub mod causes;
pub mod clock;
pub mod fsutil;
pub mod process;
pub mod s3env;
