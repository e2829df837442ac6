//! opsbook gate
