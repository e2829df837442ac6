//! Fuzzes what the gate does with any runbook file: decode the bytes, split
//! the front matter, parse the YAML with positions, parse the Markdown body
//! (sections, steps, links) and read the typed metadata.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opsbook_core::{markdown, model::RunbookMeta, text, yaml};

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = text::decode(data) else { return };
    let Ok(split) = markdown::split_front_matter(&decoded.text) else { return };
    let body = markdown::parse_body(split.body, split.body_line);
    for c in &body.code_blocks {
        let _ = (c.attr("tier"), c.attr("op"), c.is_script());
    }
    if let Some(fm) = split.front_matter {
        if let Ok(doc) = yaml::parse(fm) {
            let meta = RunbookMeta::from_value(&doc.value);
            for op in &meta.dangerous_ops {
                let _ = doc.pos_of(&op.pointer);
            }
        }
    }
});
