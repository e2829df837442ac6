//! Classifier speed: steps per second on the PowerShell 7.5 reference
//! blocks (real code), on the starter runbooks, and on every step of a
//! synthetic SSOT of 10,000 runbooks (`scripts/gen-synthetic-ssot.py`, the
//! input of `scripts/bench-gate`), side by side with what the gate already
//! spends on those files today (read + front-matter split + Markdown parse).
//!
//! ```text
//! cargo bench -p opsbook-classify --bench classify
//! ```
//!
//! Without the `--bench` argument that `cargo bench` passes (for example
//! under `cargo test --all-targets`) it is a smoke run on a few files.
//!
//! Environment: `OPSBOOK_BENCH_RUNBOOKS` (default 10000),
//! `OPSBOOK_BENCH_ROUNDS` (timed rounds, the best is reported; default 3),
//! `PYTHON` (default python3). The SSOT is generated once under
//! `target/bench-classify/` and reused.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opsbook_classify::{Shell, classify_blocks, classify_uncached};
use opsbook_core::markdown::{CodeBlock, parse_body, split_front_matter};

fn md_files(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    v.sort();
    v
}

fn best<F: FnMut() -> usize>(rounds: usize, mut f: F) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed());
    }
    (best, n)
}

fn blocks_of(files: &[PathBuf]) -> Vec<CodeBlock> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        if let Ok(s) = split_front_matter(&text) {
            out.extend(parse_body(s.body, s.body_line).code_blocks);
        }
    }
    out
}

fn report(what: &str, steps: usize, bytes: usize, d: Duration) {
    let s = d.as_secs_f64();
    println!(
        "{what:<44} {steps:>7} steps {:>8.1} ms  {:>9.0} steps/s  {:>6.1} MB/s  {:>6.1} µs/step",
        s * 1e3,
        steps as f64 / s,
        bytes as f64 / s / 1e6,
        s * 1e6 / steps.max(1) as f64
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("OPSBOOK_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if full { 3 } else { 1 });
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = manifest.join("../..");

    // 1. PowerShell reference blocks.
    let docs = repo.join("../shared/corpus/powershell-docs/reference/7.5");
    if docs.is_dir() {
        let mut files = md_files(&docs);
        if !full {
            files.truncate(10);
        }
        let blocks: Vec<CodeBlock> = blocks_of(&files)
            .into_iter()
            .filter(|b| b.lang == "powershell")
            .collect();
        let bytes: usize = blocks.iter().map(|b| b.code.len()).sum();
        let (d, n) = best(rounds, || {
            blocks
                .iter()
                .filter(|b| {
                    !classify_uncached(&b.code, Shell::PowerShell)
                        .reason
                        .is_empty()
                })
                .count()
        });
        report("PowerShell 7.5 reference blocks (uncached)", n, bytes, d);
    } else {
        println!("(no ../shared/corpus/powershell-docs: reference blocks skipped)");
    }

    // 2. Starter runbooks.
    let starters = md_files(&repo.join("scaffold/runbooks"));
    let blocks = blocks_of(&starters);
    let bytes: usize = blocks.iter().map(|b| b.code.len()).sum();
    let (d, _) = best(rounds.max(5), || classify_blocks(&blocks).steps.len());
    report(
        "starter runbooks (scaffold/runbooks)",
        classify_blocks(&blocks).steps.len(),
        bytes,
        d,
    );

    // 3. A synthetic SSOT of N runbooks, as scripts/bench-gate makes it.
    let n: usize = std::env::var("OPSBOOK_BENCH_RUNBOOKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if full { 10_000 } else { 50 });
    let dir = repo.join(format!("target/bench-classify/ssot-{n}"));
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let gen_ok = std::process::Command::new(&python)
        .arg(repo.join("scripts/gen-synthetic-ssot.py"))
        .args([
            dir.to_string_lossy().as_ref(),
            "--runbooks",
            &n.to_string(),
            "--seed",
            "42",
            "--skip-if-current",
            "--no-frontmatter",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !gen_ok {
        println!("(could not run {python} scripts/gen-synthetic-ssot.py: synthetic SSOT skipped)");
        return;
    }
    let files = md_files(&dir.join("runbooks"));
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    let (d_md, nblocks) = best(rounds, || {
        texts
            .iter()
            .map(|t| {
                split_front_matter(t)
                    .map_or(0, |s| parse_body(s.body, s.body_line).code_blocks.len())
            })
            .sum()
    });
    let all: Vec<Vec<CodeBlock>> = texts
        .iter()
        .map(|t| {
            split_front_matter(t)
                .map(|s| parse_body(s.body, s.body_line).code_blocks)
                .unwrap_or_default()
        })
        .collect();
    let bytes: usize = all.iter().flatten().map(|b| b.code.len()).sum();
    let (d_cold, steps) = best(rounds, || {
        all.iter()
            .flatten()
            .filter_map(|b| {
                Shell::from_info_string(&b.lang)
                    .map(|s| classify_uncached(&b.code, s).commands.len())
            })
            .count()
    });
    let (d_cls, _) = best(rounds, || {
        all.iter()
            .map(|b| classify_blocks(b).steps.len())
            .sum::<usize>()
    });
    let distinct: std::collections::HashSet<&str> =
        all.iter().flatten().map(|b| b.code.as_str()).collect();
    println!(
        "{} runbooks, {nblocks} fenced blocks, {} distinct step texts",
        files.len(),
        distinct.len()
    );
    report(
        "Markdown split + parse (the gate does it today)",
        nblocks,
        texts.iter().map(String::len).sum(),
        d_md,
    );
    report(
        "classify every step, uncached (one core)",
        steps,
        bytes,
        d_cold,
    );
    report(
        "classify every step, as the gate will (cached)",
        steps,
        bytes,
        d_cls,
    );
    println!(
        "classification adds {:.0}% to the Markdown parsing it rides on; on the gate's 0.69 s for 10,000 runbooks (README, 2 cores) it adds about {:.2} s single-threaded, {:.2} s on 2 cores ({:.2}x the gate)",
        100.0 * d_cls.as_secs_f64() / d_md.as_secs_f64(),
        d_cls.as_secs_f64() * 10_000.0 / files.len().max(1) as f64,
        d_cls.as_secs_f64() * 10_000.0 / files.len().max(1) as f64 / 2.0,
        (0.69 + d_cls.as_secs_f64() * 10_000.0 / files.len().max(1) as f64 / 2.0) / 0.69
    );
}
