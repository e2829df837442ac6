//! Fuzzes multi-document YAML (Prometheus rule files, registries, policies).
#![no_main]

use libfuzzer_sys::fuzz_target;
use opsbook_core::{ssot::ParsedDoc, text, yaml};

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = text::decode(data) else { return };
    if let Ok(docs) = yaml::parse_stream(&decoded.text) {
        let docs: Vec<ParsedDoc> = docs.into_iter().map(|doc| ParsedDoc { doc, line_offset: 0 }).collect();
        let _ = opsbook_core::alerts::extract("fuzz.yaml", &docs);
    }
});
