//! `opsbook severity classify`: P0/P1/P2 from stated facts, by policy.

use super::{context, emit, op};
use crate::cli::SeverityCommand;
use crate::exit::{self, Outcome};
use crate::render;

pub fn run(c: &SeverityCommand) -> Outcome {
    let SeverityCommand::Classify {
        root,
        facts,
        facts_file,
        format,
    } = c;
    let cx = context(root, None)?;
    let r = op(&cx, |cx| {
        opsbook_ops::incident::classify(cx, facts, facts_file.as_deref())
    })?;
    let c = &r.classification;
    let mut s = render::classification(c);
    for m in c.matches.iter().skip(1).take(5) {
        s.push_str(&format!("  also matched: {} ({})\n", m.rule, m.severity));
    }
    if c.matches.len() > 6 {
        s.push_str(&format!(
            "  … and {} more (--format json lists them)\n",
            c.matches.len() - 6
        ));
    }
    emit(*format, &r, &s)?;
    Ok(exit::OK)
}
