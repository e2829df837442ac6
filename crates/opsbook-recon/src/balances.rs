//! TODO
use crate::{ReconError, Request, report::Report};
pub(crate) fn run(_req: &Request) -> Result<Report, ReconError> {
    Err(ReconError::Usage("todo".into()))
}
