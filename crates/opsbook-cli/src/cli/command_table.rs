//! The gate's table of opsbook commands (OB708) equals the real clap tree:
//! the gate cannot depend on this crate, so this test holds the two
//! together. `OPSBOOK_BLESS=1 cargo test -p opsbook-cli the_gate_knows_every_command_and_flag`
//! rewrites the table after a command or flag changes.
#![allow(clippy::unwrap_used)]

use clap::CommandFactory;
use opsbook_gate::rules::links::commands::{TABLE, Tree};

fn walk(cmd: &clap::Command, path: &str, tree: &mut Tree) {
    let flags = tree.flags.entry(path.to_string()).or_default();
    for a in cmd.get_arguments() {
        let valued = a.get_action().takes_values();
        let mut names: Vec<String> = Vec::new();
        if let Some(l) = a.get_long() {
            names.push(format!("--{l}"));
        }
        for l in a.get_all_aliases().unwrap_or_default() {
            names.push(format!("--{l}"));
        }
        if let Some(s) = a.get_short() {
            names.push(format!("-{s}"));
        }
        for n in names {
            flags.insert(n.clone());
            if valued {
                tree.valued.insert((path.to_string(), n));
            }
        }
    }
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let mut names = vec![sub.get_name().to_string()];
        names.extend(sub.get_all_aliases().map(str::to_string));
        for n in names {
            let p = if path.is_empty() {
                n
            } else {
                format!("{path} {n}")
            };
            walk(sub, &p, tree);
        }
    }
}

#[test]
fn the_gate_knows_every_command_and_flag() {
    let mut cmd = crate::cli::Cli::command();
    cmd.build();
    let mut tree = Tree::default();
    walk(&cmd, "", &mut tree);
    let want = tree.render();
    if std::env::var_os("OPSBOOK_BLESS").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../opsbook-gate/src/rules/links/opsbook-commands.txt");
        std::fs::write(&path, &want).unwrap();
        return;
    }
    assert!(
        Tree::parse(TABLE) == tree,
        "the gate's command table (crates/opsbook-gate/src/rules/links/opsbook-commands.txt) differs from the clap tree; rewrite it with OPSBOOK_BLESS=1 cargo test -p opsbook-cli the_gate_knows_every_command_and_flag"
    );
    assert_eq!(TABLE, want);
    // The table is real: the commands the runbooks use are in it.
    for c in ["incident open", "safety set", "evidence collect", "gate"] {
        assert!(tree.flags.contains_key(c), "{c}");
    }
}
