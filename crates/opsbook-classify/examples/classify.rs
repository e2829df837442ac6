//! Classifies a step from a file or standard input and prints the JSON
//! answer (development aid until `opsbook classify` lands):
//! `cargo run -p opsbook-classify --example classify -- powershell FILE|-`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(shell), Some(path)) = (
        args.get(1).and_then(|s| opsbook_classify::Shell::parse(s)),
        args.get(2),
    ) else {
        eprintln!("usage: classify powershell|bash FILE|-   (a .md FILE classifies every step)");
        std::process::exit(2);
    };
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    if let Err(e) = read {
        eprintln!("classify: {path}: {e}");
        std::process::exit(2);
    }
    let out = if path.ends_with(".md") {
        match opsbook_classify::classify_runbook(&text) {
            Ok(r) => serde_json::to_string_pretty(&r),
            Err(e) => {
                eprintln!("classify: {path}:{}: {}", e.line, e.message);
                std::process::exit(2);
            }
        }
    } else {
        serde_json::to_string_pretty(&opsbook_classify::classify(&text, shell))
    };
    match out {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("classify: {e}"),
    }
}
