//! Writes the synthetic fills of `opsbook_recon::synth` (every break class
//! injected at known keys) for the benchmark, and the truth as JSON.
//!
//! `cargo run --release -p opsbook-recon --example recon-gen -- DIR ROWS PER_CLASS`

use std::io::Write;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        let _ = writeln!(std::io::stderr(), "usage: recon-gen DIR ROWS PER_CLASS");
        return std::process::ExitCode::from(2);
    }
    let dir = std::path::PathBuf::from(&args[1]);
    let (Ok(rows), Ok(per)) = (args[2].parse::<u64>(), args[3].parse::<u64>()) else {
        let _ = writeln!(
            std::io::stderr(),
            "recon-gen: ROWS and PER_CLASS must be integers"
        );
        return std::process::ExitCode::from(2);
    };
    let spec = opsbook_recon::synth::Spec::new(rows, per);
    let run = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let (files, truth) = opsbook_recon::synth::generate(&spec, &dir)?;
        let breaks: serde_json::Map<String, serde_json::Value> = truth
            .breaks
            .iter()
            .map(|(c, keys)| {
                (
                    c.as_str().to_string(),
                    keys.iter().cloned().collect::<Vec<_>>().into(),
                )
            })
            .collect();
        let t = serde_json::json!({
            "as_of_ms": truth.as_of_ms,
            "exchange_since_ms": truth.exchange_since_ms,
            "matched": truth.matched,
            "rows_internal": truth.rows.0,
            "rows_exchange": truth.rows.1,
            "files": {
                "internal": files.internal, "exchange": files.exchange,
                "orders": files.orders, "previous_exchange": files.previous_exchange,
            },
            "breaks": breaks,
        });
        std::fs::write(dir.join("truth.json"), serde_json::to_vec_pretty(&t)?)?;
        Ok(())
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "recon-gen: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
