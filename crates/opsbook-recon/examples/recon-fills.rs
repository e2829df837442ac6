//! Runs one fills reconciliation the way the CLI will (parse → call →
//! render), for the benchmark: internal opsbook CSV vs a Binance-style
//! export, with cancelled orders and the previous export, and writes the
//! JSON report. Exit code: the report's (0 clean, 1 breaks, 3 pending only),
//! 2 on error.
//!
//! `recon-fills INTERNAL EXCHANGE ORDERS PREVIOUS_EXCHANGE AS_OF_MS EXCHANGE_SINCE_MS OUT.json`

use std::io::Write;

fn main() -> std::process::ExitCode {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 8 {
        let _ = writeln!(
            std::io::stderr(),
            "usage: recon-fills INTERNAL EXCHANGE ORDERS PREVIOUS_EXCHANGE AS_OF_MS EXCHANGE_SINCE_MS OUT.json"
        );
        return std::process::ExitCode::from(2);
    }
    let run = || -> Result<u8, String> {
        let ts = |s: &str| opsbook_recon::parse_time(s);
        let mut p = opsbook_recon::Params::new(ts(&a[5])?);
        p.exchange_since = Some(ts(&a[6])?);
        let mut req = opsbook_recon::Request::new(opsbook_recon::Kind::Fills, p);
        let input = |path: &str, f: &str| {
            opsbook_recon::Input::new(path, f, None).map_err(|e| e.to_string())
        };
        req.internal.push(input(&a[1], "opsbook")?);
        req.exchange.push(input(&a[2], "binance-mytrades")?);
        if a[3] != "-" {
            req.orders.push(input(&a[3], "opsbook-orders")?);
        }
        if a[4] != "-" {
            req.previous_exchange
                .push(input(&a[4], "binance-mytrades")?);
        }
        let report = opsbook_recon::reconcile(&req).map_err(|e| e.to_string())?;
        std::fs::write(&a[7], opsbook_recon::render::json(&report)).map_err(|e| e.to_string())?;
        Ok(report.exit_code())
    };
    match run() {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "recon-fills: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
