//! A thin driver over `opsbook_marketdata::scan` for `scripts/bench-marketdata`
//! (the `opsbook marketdata scan` command is added with the operations layer):
//! `mdscan [--scheme S] [--snapshot FILE]... [--format json|human] PATH...`;
//! exit 0 clean, 1 findings, 2 error.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut opts = opsbook_marketdata::ScanOptions::default();
    let mut paths = Vec::new();
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--scheme" => match args.next().map(|s| s.parse()) {
                Some(Ok(s)) => opts.scheme = s,
                _ => {
                    eprintln!(
                        "mdscan: --scheme needs auto|trade-id|agg-trade|binance-depth|okx-book|candles|time-grid"
                    );
                    return ExitCode::from(2);
                }
            },
            "--snapshot" => opts.snapshots.extend(args.next().map(PathBuf::from)),
            "--format" => json = args.next().as_deref() == Some("json"),
            _ => paths.push(PathBuf::from(a)),
        }
    }
    match opsbook_marketdata::scan(&paths, &opts) {
        Ok(r) => {
            if json {
                println!("{}", r.to_json());
            } else {
                print!("{}", r.render_human());
            }
            ExitCode::from(r.exit_code())
        }
        Err(e) => {
            eprintln!("mdscan: error: {e}");
            ExitCode::from(2)
        }
    }
}
