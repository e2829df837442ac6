//! `opsbook find TEXT…` (D-RB-INDEX): what the screen says → the runbooks to
//! open, best first, with the commands that open and run them.

use opsbook_ops::find::FindRequest;

use super::{context, emit, op};
use crate::cli::FindArgs;
use crate::exit::{self, Outcome};
use crate::render::find as render;

pub fn run(a: &FindArgs) -> Outcome {
    let ctx = context(&a.root, None)?;
    let found = op(&ctx, |c| {
        opsbook_ops::find::find(
            c,
            &FindRequest {
                text: std::iter::once(a.text.clone())
                    .chain(a.more.iter().cloned())
                    .collect(),
                limit: a.limit,
            },
        )
    })?;
    let root = a.root.root.as_deref();
    emit(a.format, &found, &render::human(&found, root))?;
    Ok(if found.hits.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
