//! `opsbook find TEXT…` (D-RB-INDEX): what the screen says → the runbooks to
//! open, best first, with the commands that open and run them.

use opsbook_ops::find::FindRequest;

use super::{context, op};
use crate::cli::{FindArgs, ListFormat};
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
    let out = match a.format {
        ListFormat::Human => render::human(&found, root),
        ListFormat::Json => render::json(&found, root)?,
        ListFormat::Markdown => render::markdown(&found, root),
    };
    crate::output::emit(&out, None)?;
    Ok(if found.hits.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
